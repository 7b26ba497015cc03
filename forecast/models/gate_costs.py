"""What the gates cost: closed-form parameter counts of each architecture (pure arithmetic, no
TensorFlow). ``u`` is the number of units, ``f`` the input features, ``h`` the horizon.

- SimpleRNN, one tanh state: input kernel ``f×u``, recurrent kernel ``u×u``, bias ``u`` →
  ``u(u + f + 1)``.
- LSTM, four blocks (input, forget, cell candidate, output), each a SimpleRNN's worth of weights →
  ``4u(u + f + 1)``.
- GRU with ``reset_after=True`` (Keras's default, the cuDNN form), three blocks (update, reset,
  candidate) with separate input and recurrent biases → ``3u(u + f + 2)``.
- Hybrid LSTM → GRU: an LSTM on the ``f`` inputs feeding a GRU on its ``u`` outputs →
  ``4u(u + f + 1) + 3u(u + u + 2)``.
- Every model ends in a ``Dense(h)`` head: ``(u + 1)h``; the linear baseline is one ``Dense(h)`` on
  the flattened window: ``(window·f + 1)h``.

Segment-wise (``--segment S``, ``forecast.models.segment``): the cell reads ``u``-wide segment
embeddings instead of ``f`` columns, so its weights are the formulas above with ``f = u``, plus the
embedding ``(S·f + 1)u``, one position vector per output segment ``⌈h/S⌉u`` and the shared
``Dense(S)`` decoder ``(u + 1)S`` in place of the ``Dense(h)`` head.

So a GRU costs 3/4 of an LSTM of the same width (plus ``3u`` biases), and both cost 3-4× a plain
RNN: the price of the gates.
"""

from __future__ import annotations

import pandas as pd

FORMULAS: dict[str, str] = {
    "rnn": "u(u+f+1) + (u+1)h",
    "lstm": "4u(u+f+1) + (u+1)h",
    "gru": "3u(u+f+2) + (u+1)h",
    "hybrid": "4u(u+f+1) + 3u(2u+2) + (u+1)h",
    "linear": "(window·f+1)h",
}


SEGMENT_FORMULAS: dict[str, str] = {
    "rnn": "u(2u+1) + E",
    "lstm": "4u(2u+1) + E",
    "gru": "3u(2u+2) + E",
    "hybrid": "4u(2u+1) + 3u(2u+2) + E",
    "linear": "(window·f+1)h",
}
SEGMENT_EXTRA = "E = (S·f+1)u + ⌈h/S⌉u + (u+1)S"


def formula(name: str, segment: int = 1) -> str:
    """The parameter formula of ``name``, point-wise or segment-wise."""
    return SEGMENT_FORMULAS[name] if segment > 1 else FORMULAS[name]


def recurrent_params(name: str, units: int, n_features: int) -> int:
    """Weights of the recurrent layers of ``name`` (no head)."""
    u, f = units, n_features
    counts = {
        "rnn": u * (u + f + 1),
        "lstm": 4 * u * (u + f + 1),
        "gru": 3 * u * (u + f + 2),
        "hybrid": 4 * u * (u + f + 1) + 3 * u * (u + u + 2),
        "linear": 0,
    }
    if name not in counts:
        raise KeyError(f"no parameter formula for {name!r}; known: {', '.join(counts)}")
    return counts[name]


def total_params(
    name: str, window: int, n_features: int, horizon: int, units: int, segment: int = 1
) -> int:
    """Every trainable weight of the model ``forecast.models.registry.build_model`` builds for
    these shapes (no calendar inputs): the recurrent layers plus the ``Dense(horizon)`` head, or
    segment-wise the recurrent layers on ``u``-wide embeddings, the embedding and the decoder."""
    from forecast.models.segment import segment_params

    if name == "linear":
        return (window * n_features + 1) * horizon
    if segment > 1:
        return recurrent_params(name, units, units) + segment_params(
            units, n_features, horizon, segment
        )
    return recurrent_params(name, units, n_features) + (units + 1) * horizon


def parameter_table(
    window: int, horizon: int, units: int, n_features: int, segment: int = 1
) -> pd.DataFrame:
    """One row per registry architecture: ``formula``, ``formula_params`` (this module's
    count), ``keras_params`` (the built model's count) and ``description``."""
    from forecast.models.registry import REGISTRY, Architecture, count_params

    rows = {
        name: {
            "formula": formula(name, segment),
            "formula_params": total_params(name, window, n_features, horizon, units, segment),
            "keras_params": count_params(
                Architecture(name, window, n_features, horizon, units, segment=segment)
            ),
            "description": spec.description,
        }
        for name, spec in REGISTRY.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table

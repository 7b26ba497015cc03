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


def total_params(name: str, window: int, n_features: int, horizon: int, units: int) -> int:
    """Every trainable weight of ``forecast.models.registry.build_model(name, window,
    n_features, horizon, units)``: the recurrent layers plus the ``Dense(horizon)`` head."""
    if name == "linear":
        return (window * n_features + 1) * horizon
    return recurrent_params(name, units, n_features) + (units + 1) * horizon


def parameter_table(window: int, horizon: int, units: int, n_features: int) -> pd.DataFrame:
    """One row per registry architecture: ``formula``, ``formula_params`` (this module's
    count), ``keras_params`` (the built model's count) and ``description``."""
    from forecast.models.registry import REGISTRY, count_params

    rows = {
        name: {
            "formula": FORMULAS[name],
            "formula_params": total_params(name, window, n_features, horizon, units),
            "keras_params": count_params(name, window, n_features, horizon, units),
            "description": spec.description,
        }
        for name, spec in REGISTRY.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table

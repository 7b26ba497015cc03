"""The model registry: name → pure builder. The CLI's choices, ``forecast models`` and the tests all
read ``REGISTRY``; adding an architecture is one function and one line.

Every builder maps a ``(batch, window, n_features)`` input to a direct multi-step forecast
``(batch, horizon)`` with a ``Dense(horizon)`` head. Recurrent layers keep the settings that let
TensorFlow use the fused cuDNN kernels on a GPU: tanh / sigmoid activations, no recurrent dropout,
``unroll=False`` and, for GRU, ``reset_after=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def rnn_core(x, units: int):
    import keras

    return keras.layers.SimpleRNN(units, name="simple_rnn")(x)


def lstm_core(x, units: int):
    import keras

    return keras.layers.LSTM(units, name="lstm")(x)


def gru_core(x, units: int):
    import keras

    return keras.layers.GRU(units, reset_after=True, name="gru")(x)


def hybrid_core(x, units: int):
    import keras

    x = keras.layers.LSTM(units, return_sequences=True, name="lstm")(x)
    return keras.layers.GRU(units, reset_after=True, name="gru")(x)


def linear_core(x, units: int):
    import keras

    del units  # a linear map of the whole window has no hidden width
    return keras.layers.Flatten(name="flatten")(x)


@dataclass(frozen=True)
class ModelSpec:
    core: Callable
    description: str
    recurrent: bool = True


REGISTRY: dict[str, ModelSpec] = {
    "rnn": ModelSpec(rnn_core, "SimpleRNN: one tanh state; fewest parameters, forgets fastest"),
    "lstm": ModelSpec(lstm_core, "LSTM: input/forget/output gates and a cell state; most memory"),
    "gru": ModelSpec(gru_core, "GRU: update/reset gates, no cell state; ~3/4 of LSTM's weights"),
    "hybrid": ModelSpec(hybrid_core, "LSTM layer feeding a GRU layer (LSTM→GRU hybrid)"),
    "linear": ModelSpec(
        linear_core, "Linear map of the whole window to the horizon (baseline)", False
    ),
}


def build_model(
    name: str,
    window: int,
    n_features: int,
    horizon: int,
    units: int = 64,
    target_index: int = -1,
    norm: str = "window",
):
    """Build an uncompiled Keras model.

    Args:
        name: a key of ``REGISTRY``.
        window: input length.
        n_features: input columns.
        horizon: forecast steps.
        units: recurrent units per layer.
        target_index: column of the target among the inputs (used by ``norm="window"``).
        norm: ``"window"`` feeds each window relative to its last row and predicts the change from
            the last observed target; ``"global"`` feeds the scaled window as is.

    Returns:
        A ``keras.Model`` mapping ``(batch, window, n_features)`` to ``(batch, horizon)``.
    """
    import keras

    from forecast.layers import AddLastTarget, SubtractLast

    inputs = keras.Input((window, n_features), name="window")
    x = SubtractLast(name="relative_to_last")(inputs) if norm == "window" else inputs
    x = REGISTRY[name].core(x, units)
    out = keras.layers.Dense(horizon, dtype="float32", name="forecast")(x)
    if norm == "window":
        out = AddLastTarget(target_index % n_features, name="add_last_target")([out, inputs])
    return keras.Model(inputs, out, name=name)


def count_params(name: str, window: int, n_features: int, horizon: int, units: int) -> int:
    """Trainable parameters of ``name`` for these shapes."""
    return int(build_model(name, window, n_features, horizon, units).count_params())

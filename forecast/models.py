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


def stack(layer, x, units: int, layers: int, name: str):
    """``layers`` recurrent layers of type ``layer``, all but the last returning sequences; the
    first is named ``name``, the others ``name_2``, ``name_3`` …"""
    for k in range(layers):
        layer_name = name if k == 0 else f"{name}_{k + 1}"
        x = layer(units, return_sequences=k < layers - 1, name=layer_name)(x)
    return x


def rnn_core(x, units: int, layers: int = 1):
    import keras

    return stack(keras.layers.SimpleRNN, x, units, layers, "simple_rnn")


def lstm_core(x, units: int, layers: int = 1):
    import keras

    return stack(keras.layers.LSTM, x, units, layers, "lstm")


def gru_core(x, units: int, layers: int = 1):
    import keras

    return stack(keras.layers.GRU, x, units, layers, "gru")  # reset_after=True: Keras' default


def hybrid_core(x, units: int, layers: int = 1):
    """``layers`` LSTM layers feeding one GRU layer."""
    import keras

    for k in range(layers):
        name = "lstm" if k == 0 else f"lstm_{k + 1}"
        x = keras.layers.LSTM(units, return_sequences=True, name=name)(x)
    return keras.layers.GRU(units, name="gru")(x)


def linear_core(x, units: int, layers: int = 1):
    import keras

    del units, layers  # a linear map of the whole window has no hidden width
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
    layers: int = 1,
    calendar_periods: tuple[float, ...] | list[float] = (),
    highway: bool = False,
):
    """Build an uncompiled Keras model.

    Args:
        name: a key of ``REGISTRY``.
        window: input length.
        n_features: input data columns (the calendar columns come after them).
        horizon: forecast steps.
        units: recurrent units per layer.
        target_index: column of the target among the data columns (used by ``norm="window"``).
        norm: ``"window"`` feeds each window relative to its last row and predicts the change from
            the last observed target; ``"global"`` feeds the scaled window as is.
        layers: stacked recurrent layers (the hybrid: LSTM layers before its GRU layer).
        calendar_periods: rows per cycle of each calendar feature (``forecast.calendar``): the
            input has ``2 * len(calendar_periods)`` more columns, and the head also sees the
            calendar features of the forecast times.
        highway: add a linear head on the whole window beside the recurrent one (LSTNet's
            autoregressive component); ``forecast.pipeline`` sets it to the ridge solution.

    Returns:
        A ``keras.Model`` mapping ``(batch, window, n_features + 2 * len(calendar_periods))`` to
        ``(batch, horizon)``.
    """
    import keras

    from forecast.layers import AddLastTarget, FutureCalendar, SubtractLast

    n_calendar = 2 * len(calendar_periods)
    inputs = keras.Input((window, n_features + n_calendar), name="window")
    x = inputs
    if norm == "window":
        x = SubtractLast(n_features if n_calendar else None, name="relative_to_last")(inputs)
    head_inputs = [REGISTRY[name].core(x, units, layers)]
    future = []
    if n_calendar:
        calendar = FutureCalendar(
            n_features, list(calendar_periods), horizon, name="future_calendar"
        )
        future = [calendar(inputs)]
    out = keras.layers.Dense(horizon, dtype="float32", name="forecast")(join(head_inputs + future))
    if highway and REGISTRY[name].recurrent:
        # the linear model's head on the same inputs, beside the recurrent one (LSTNet's
        # autoregressive component); forecast.pipeline starts it at the ridge solution
        flat = keras.layers.Flatten(name="highway_window")(x)
        linear = keras.layers.Dense(horizon, dtype="float32", name="highway")(join([flat] + future))
        out = keras.layers.Add(dtype="float32", name="recurrent_plus_highway")([out, linear])
    if norm == "window":
        out = AddLastTarget(target_index % n_features, name="add_last_target")([out, inputs])
    return keras.Model(inputs, out, name=name)


def join(tensors: list):
    """One tensor, concatenating on the last axis when there are several."""
    import keras

    if len(tensors) == 1:
        return tensors[0]
    return keras.layers.Concatenate()(tensors)


def average_models(members: list, name: str):
    """One model whose forecast is the mean of ``members``' (same input shape): an ensemble
    saved and loaded as a single ``model.keras``."""
    import keras

    inputs = keras.Input(members[0].inputs[0].shape[1:], name="window")
    for k, member in enumerate(members):
        member.name = f"{name}_member_{k + 1}"  # nested models need distinct names
    out = keras.layers.Average(name="ensemble_mean")([m(inputs) for m in members])
    return keras.Model(inputs, out, name=f"{name}_ensemble")


def count_params(
    name: str, window: int, n_features: int, horizon: int, units: int, layers: int = 1
) -> int:
    """Trainable parameters of ``name`` for these shapes."""
    return int(build_model(name, window, n_features, horizon, units, layers=layers).count_params())

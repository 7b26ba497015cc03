"""The model registry: name → pure builder. The CLI's choices, ``forecast models`` and the tests all
read ``REGISTRY``; adding an architecture is one function and one line.

Every builder maps a ``(batch, window, n_features)`` input to a direct multi-step forecast
``(batch, horizon)`` with a ``Dense(horizon)`` head. Recurrent layers keep the settings that let
TensorFlow use the fused cuDNN kernels on a GPU: tanh / sigmoid activations, no recurrent dropout,
``unroll=False`` and, for GRU, ``reset_after=True``. Only where no GPU is visible and the window is
short (``unroll_for``) are the recurrent loops unrolled: faster on a CPU (bench/steady.py), and
there is no cuDNN kernel to lose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forecast.errors import ForecastError

# longest window whose recurrent loop is unrolled on a CPU-only machine (bench/steady.py: faster
# steps; longer windows grow the traced graph, and with it the first epoch's tracing time)
UNROLL_MAX_WINDOW = 48


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (where the cuDNN kernels need ``unroll=False``)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def unroll_for(window: int) -> bool:
    """Unroll the recurrent loop: only for windows up to ``UNROLL_MAX_WINDOW`` steps and only when
    no GPU is visible (an unrolled layer cannot use cuDNN)."""
    return window <= UNROLL_MAX_WINDOW and not gpu_visible()


def stack(layer, x, units: int, layers: int, name: str, unroll: bool = False):
    """``layers`` recurrent layers of type ``layer``, all but the last returning sequences; the
    first is named ``name``, the others ``name_2``, ``name_3`` …"""
    for k in range(layers):
        layer_name = name if k == 0 else f"{name}_{k + 1}"
        x = layer(units, return_sequences=k < layers - 1, unroll=unroll, name=layer_name)(x)
    return x


def rnn_core(x, units: int, layers: int = 1, unroll: bool = False):
    import keras

    return stack(keras.layers.SimpleRNN, x, units, layers, "simple_rnn", unroll)


def lstm_core(x, units: int, layers: int = 1, unroll: bool = False):
    import keras

    return stack(keras.layers.LSTM, x, units, layers, "lstm", unroll)


def gru_core(x, units: int, layers: int = 1, unroll: bool = False):
    import keras

    # reset_after=True: Keras' default
    return stack(keras.layers.GRU, x, units, layers, "gru", unroll)


def hybrid_core(x, units: int, layers: int = 1, unroll: bool = False):
    """``layers`` LSTM layers feeding one GRU layer."""
    import keras

    for k in range(layers):
        name = "lstm" if k == 0 else f"lstm_{k + 1}"
        x = keras.layers.LSTM(units, return_sequences=True, unroll=unroll, name=name)(x)
    return keras.layers.GRU(units, unroll=unroll, name="gru")(x)


def linear_core(x, units: int, layers: int = 1, unroll: bool = False):
    import keras

    del units, layers, unroll  # a linear map of the whole window has no hidden width or loop
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


def check_model(name: str) -> None:
    """Refuse a model name the registry does not know, naming the known ones."""
    if name not in REGISTRY:
        raise ForecastError(f"--model {name!r} is not one of {', '.join(REGISTRY)}")


@dataclass(frozen=True)
class Architecture:
    """What ``build_model`` builds: a registry model shaped for the data.

    Attributes:
        name: a key of ``REGISTRY``.
        window: input length.
        n_features: input data columns (the calendar columns come after them).
        horizon: forecast steps.
        units: recurrent units per layer.
        target_index: column of the target among the data columns (used by ``norm="window"``).
        norm: ``"window"`` feeds each window relative to its last row and predicts the change from
            the last observed target; ``"global"`` feeds the scaled window as is.
        layers: stacked recurrent layers (the hybrid: LSTM layers before its GRU layer).
        calendar_periods: rows per cycle of each calendar feature (``forecast.data.calendar``): the
            input has ``2 * len(calendar_periods)`` more columns, and the head also sees the
            calendar features of the forecast times.
        highway: add a linear head on the whole window beside the recurrent one (LSTNet's
            autoregressive component); ``forecast.training.fitting`` sets it to the ridge solution.
        segment: rows per recurrent step: 1 is point-wise; ``S > 1`` is segment-wise recurrence
            (``forecast.models.segment``: ``ceil(window / S)`` steps, horizon decoded at once).
        level_rows: ``norm="level"``: the window's level is the mean of its last ``level_rows``
            rows (a season) instead of its last row.
    """

    name: str
    window: int
    n_features: int
    horizon: int
    units: int = 64
    target_index: int = -1
    norm: str = "window"
    layers: int = 1
    calendar_periods: tuple[float, ...] = ()
    highway: bool = False
    segment: int = 1
    level_rows: int = 1

    @property
    def segmented(self) -> bool:
        return self.segment > 1 and REGISTRY[self.name].recurrent

    @property
    def steps(self) -> int:
        """Recurrent steps per window."""
        from forecast.models.segment import segment_count

        return segment_count(self.window, self.segment) if self.segmented else self.window


def build_model(arch: Architecture, unroll: bool | None = None):
    """Build an uncompiled Keras model.

    Args:
        arch: the architecture and its shapes.
        unroll: unroll the recurrent loops; ``None`` decides by device and the number of
            recurrent steps (``unroll_for``).

    Returns:
        A ``keras.Model`` mapping ``(batch, window, n_features + 2 * len(calendar_periods))`` to
        ``(batch, horizon)``.
    """
    import keras

    from forecast.models.layers import AddLastTarget, FutureCalendar, SubtractLast
    from forecast.models.segment import SegmentDecoder, Segments

    check_model(arch.name)
    n_features, horizon, n_calendar = arch.n_features, arch.horizon, 2 * len(arch.calendar_periods)
    inputs = keras.Input((arch.window, n_features + n_calendar), name="window")
    x = inputs
    relative = arch.norm in ("window", "level")
    rows = arch.level_rows if arch.norm == "level" else 1
    if relative:
        x = SubtractLast(n_features if n_calendar else None, rows, name="relative_to_last")(inputs)
    unroll = unroll_for(arch.steps) if unroll is None else unroll
    core = REGISTRY[arch.name].core
    future = []
    if n_calendar:
        calendar = FutureCalendar(
            n_features, list(arch.calendar_periods), horizon, name="future_calendar"
        )
        future = [calendar(inputs)]
    if arch.segmented:
        segments = Segments(arch.segment, name="segments")(x)
        embedded = keras.layers.Dense(arch.units, activation="relu", name="segment_embedding")(
            segments
        )
        state = core(embedded, arch.units, arch.layers, unroll)
        out = SegmentDecoder(horizon, arch.segment, name="segment_decoder")(state)
        if future:  # the forecast times' calendar features add a learned term per step
            known = keras.layers.Dense(horizon, dtype="float32", name="calendar_head")(future[0])
            out = keras.layers.Add(dtype="float32", name="forecast")([out, known])
    else:
        head_inputs = [core(x, arch.units, arch.layers, unroll)]
        out = keras.layers.Dense(horizon, dtype="float32", name="forecast")(
            join(head_inputs + future)
        )
    if arch.highway and REGISTRY[arch.name].recurrent:
        # the linear model's head on the same inputs, beside the recurrent one (LSTNet's
        # autoregressive component); forecast.training.fitting starts it at the ridge solution
        flat = keras.layers.Flatten(name="highway_window")(x)
        linear = keras.layers.Dense(horizon, dtype="float32", name="highway")(join([flat] + future))
        out = keras.layers.Add(dtype="float32", name="recurrent_plus_highway")([out, linear])
    if relative:
        target = arch.target_index % n_features
        out = AddLastTarget(target, rows, name="add_last_target")([out, inputs])
    return keras.Model(inputs, out, name=arch.name)


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


def count_params(arch: Architecture) -> int:
    """Trainable parameters of the built model."""
    return int(build_model(arch).count_params())

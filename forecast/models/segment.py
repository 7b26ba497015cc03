"""Segment-wise recurrence (SegRNN, Lin et al. 2023, arXiv 2308.11200): the recurrent cell steps
over segments of ``S`` rows instead of single rows, and every horizon segment is decoded at once.

- **Encode.** The window (padded at its old end to a multiple of ``S`` by repeating its oldest
  row) is cut into ``W/S`` segments; each segment — all its rows and columns, the calendar columns
  included — is embedded by one ``Dense(units, relu)``; the cell runs over the ``W/S`` embeddings.
  A 96-row window with ``S = 24`` is 4 recurrent steps instead of 96.
- **Decode.** The final state plus one learned position embedding per output segment
  (``ceil(horizon/S)`` of them) goes through ``tanh`` and one shared ``Dense(S)``; the segments are
  laid end to end and cut to the horizon. No recursion over the horizon.

Inputs are relative to the window's last row and the forecast is the change from the last target,
as for the point-wise models (``--norm window``). Registered layers only, so ``model.keras`` loads
with ``safe_mode=True``.
"""

from __future__ import annotations

import math

import keras

from forecast.models.layers import float32


def segment_count(window: int, segment: int) -> int:
    """Segments of a ``window``-row input: ``ceil(window / segment)``."""
    return math.ceil(window / segment)


@keras.saving.register_keras_serializable(package="forecast")
class Segments(keras.layers.Layer):
    """``(batch, window, features)`` → ``(batch, ceil(window/S), S * features)``: the window padded
    at its old end (the oldest row repeated) to a whole number of segments, then cut into them."""

    def __init__(self, segment: int, **kwargs):
        super().__init__(**float32(kwargs))
        self.segment = segment

    def call(self, x):
        window, features = x.shape[1], x.shape[2]
        n = segment_count(window, self.segment)
        pad = n * self.segment - window
        if pad:
            oldest = keras.ops.repeat(x[:, :1, :], pad, axis=1)
            x = keras.ops.concatenate([oldest, x], axis=1)
        return keras.ops.reshape(x, (-1, n, self.segment * features))

    def compute_output_shape(self, input_shape):
        _, window, features = input_shape
        return (input_shape[0], segment_count(window, self.segment), self.segment * features)

    def get_config(self):
        return {**super().get_config(), "segment": self.segment}


@keras.saving.register_keras_serializable(package="forecast")
class SegmentDecoder(keras.layers.Layer):
    """``(batch, units)`` final state → ``(batch, horizon)``: ``tanh(state + position_m)`` for each
    output segment ``m``, mapped to its ``S`` values by one shared ``Dense(S)``, laid end to end
    and cut to ``horizon``."""

    def __init__(self, horizon: int, segment: int, **kwargs):
        super().__init__(**float32(kwargs))
        self.horizon = horizon
        self.segment = segment
        self.n_out = segment_count(horizon, segment)

    def build(self, input_shape):
        units = input_shape[-1]
        self.positions = self.add_weight(
            shape=(self.n_out, units), initializer="random_normal", name="positions"
        )
        self.kernel = self.add_weight(
            shape=(units, self.segment), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.segment,), initializer="zeros", name="bias")

    def call(self, state):
        ops = keras.ops
        hidden = ops.tanh(ops.cast(state, self.compute_dtype)[:, None, :] + self.positions[None])
        values = ops.matmul(hidden, self.kernel) + self.bias  # (batch, n_out, segment)
        return ops.reshape(values, (-1, self.n_out * self.segment))[:, : self.horizon]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon)

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "segment": self.segment}


def segment_params(units: int, n_inputs: int, horizon: int, segment: int) -> int:
    """Weights of the segment embedding and the decoder (the recurrent core not included):
    ``Dense(units)`` on ``S·n_inputs`` values, ``ceil(h/S)`` position vectors, ``Dense(S)``."""
    embed = (segment * n_inputs + 1) * units
    decode = segment_count(horizon, segment) * units + (units + 1) * segment
    return embed + decode

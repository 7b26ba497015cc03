"""The small layers behind ``--norm window`` and ``--calendar``: inputs relative to the last
observed row, the forecast change added back to the last observed target, and the calendar
features of the forecast times. Registered, so ``model.keras`` loads with ``safe_mode=True`` and no
Python code from the run directory."""

from __future__ import annotations

import math

import keras


def float32(kwargs: dict) -> dict:
    """Layer kwargs computing in float32 unless told otherwise: these layers do the arithmetic
    of the forecast in original precision (differences of scaled values, the last target added
    back, calendar angles) also when ``--mixed-precision`` makes the recurrent layers float16."""
    return {"dtype": "float32", **kwargs}


@keras.saving.register_keras_serializable(package="forecast")
def level(x, rows: int):
    """``(batch, 1, features)``: the mean of each window's last ``rows`` rows (its level)."""
    if rows == 1:
        return x[:, -1:, :]
    return keras.ops.mean(x[:, -rows:, :], axis=1, keepdims=True)


@keras.saving.register_keras_serializable(package="forecast")
class SubtractLast(keras.layers.Layer):
    """``(batch, window, features)`` → the same, minus each window's level: its last row
    (``rows=1``, ``--norm window``) or the mean of its last ``rows`` rows (``--norm level``).

    Args:
        n_relative: only the first ``n_relative`` columns are made relative (the calendar columns
            after them keep their absolute phase); ``None`` means every column.
        rows: rows averaged into the level.
    """

    def __init__(self, n_relative: int | None = None, rows: int = 1, **kwargs):
        super().__init__(**float32(kwargs))
        self.n_relative = n_relative
        self.rows = rows

    def call(self, x):
        if self.n_relative is None or self.n_relative >= x.shape[-1]:
            return x - level(x, self.rows)
        n = self.n_relative
        data = x[:, :, :n]
        return keras.ops.concatenate([data - level(data, self.rows), x[:, :, n:]], axis=-1)

    def get_config(self):
        return {**super().get_config(), "n_relative": self.n_relative, "rows": self.rows}


@keras.saving.register_keras_serializable(package="forecast")
class AddLastTarget(keras.layers.Layer):
    """``[change (batch, horizon), window (batch, window, features)]`` → change + the target's
    level (its last value, or the mean of its last ``rows`` values)."""

    def __init__(self, target_index: int, rows: int = 1, **kwargs):
        super().__init__(**float32(kwargs))
        self.target_index = target_index
        self.rows = rows

    def call(self, inputs):
        change, window = inputs
        target = window[:, :, self.target_index : self.target_index + 1]
        last = keras.ops.cast(level(target, self.rows)[:, :, 0], change.dtype)
        return change + last

    def get_config(self):
        return {**super().get_config(), "target_index": self.target_index, "rows": self.rows}


@keras.saving.register_keras_serializable(package="forecast")
class FutureCalendar(keras.layers.Layer):
    """Calendar features of the ``horizon`` forecast times from the window's last row.

    The window's columns from ``first_column`` on are ``(sin, cos)`` pairs of cycles with
    ``periods[k]`` rows each (``forecast.data.calendar``). Step ``h`` ahead the phase has
    advanced by ``h / periods[k]``, so its features are the last row's pair rotated by
    ``2π h / periods[k]``.

    ``(batch, window, features)`` → ``(batch, horizon * 2 * len(periods))``.
    """

    def __init__(self, first_column: int, periods: list[float], horizon: int, **kwargs):
        super().__init__(**float32(kwargs))
        self.first_column = first_column
        self.periods = [float(p) for p in periods]
        self.horizon = horizon

    def call(self, x):
        ops = keras.ops
        c = len(self.periods)
        last = x[:, -1, self.first_column : self.first_column + 2 * c]
        sin_now = last[:, 0::2][:, None, :]  # (batch, 1, c)
        cos_now = last[:, 1::2][:, None, :]
        angles = [[2 * math.pi * h / p for p in self.periods] for h in range(1, self.horizon + 1)]
        angle = ops.convert_to_tensor(angles, dtype=x.dtype)[None]  # (1, horizon, c)
        sin_b, cos_b = ops.sin(angle), ops.cos(angle)
        sin_f = sin_now * cos_b + cos_now * sin_b
        cos_f = cos_now * cos_b - sin_now * sin_b
        out = ops.stack([sin_f, cos_f], axis=-1)  # (batch, horizon, c, 2)
        return ops.reshape(out, (-1, self.horizon * 2 * c))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon * 2 * len(self.periods))

    def get_config(self):
        return {
            **super().get_config(),
            "first_column": self.first_column,
            "periods": self.periods,
            "horizon": self.horizon,
        }

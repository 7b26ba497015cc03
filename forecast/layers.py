"""The two small layers behind ``--norm window``: inputs relative to the last observed row, and the
forecast change added back to the last observed target. Registered, so ``model.keras`` loads with
``safe_mode=True`` and no Python code from the run directory."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="forecast")
class SubtractLast(keras.layers.Layer):
    """``(batch, window, features)`` → the same, minus each window's last row."""

    def call(self, x):
        return x - x[:, -1:, :]


@keras.saving.register_keras_serializable(package="forecast")
class AddLastTarget(keras.layers.Layer):
    """``[change (batch, horizon), window (batch, window, features)]`` → change + last target."""

    def __init__(self, target_index: int, **kwargs):
        super().__init__(**kwargs)
        self.target_index = target_index

    def call(self, inputs):
        change, window = inputs
        last = keras.ops.cast(window[:, -1:, self.target_index], change.dtype)
        return change + last

    def get_config(self):
        return {**super().get_config(), "target_index": self.target_index}

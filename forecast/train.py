"""Training: seeding, Adam + MSE, early stopping on validation with the best weights restored, and
an honest clock (training time of each epoch, validation excluded)."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class TrainResult:
    """What training produced besides the weights.

    Attributes:
        history: per-epoch ``loss`` and ``val_loss`` lists.
        epochs_run: epochs actually run.
        best_epoch: 1-based epoch whose weights were kept.
        train_seconds: wall time of the whole ``fit`` call.
        epoch_seconds: training time of each epoch, validation excluded.
        samples_per_second: training windows per second in the fastest epoch.
    """

    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    train_seconds: float
    epoch_seconds: list[float]
    samples_per_second: float


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow; on CPU also make TensorFlow ops deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if not tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


def epoch_clock():
    """A Keras callback recording each epoch's training time (up to its last training batch)."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()
            self._last = self._start

        def on_train_batch_end(self, batch, logs=None):
            self._last = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(self._last - self._start)

    return EpochClock()


def train(
    model,
    train_ds,
    val_ds,
    n_train_windows: int,
    epochs: int,
    patience: int,
    learning_rate: float,
    verbose: int = 2,
) -> TrainResult:
    """Compile and fit ``model``; return the history and timings.

    Args:
        model: an uncompiled Keras model.
        train_ds: shuffled ``(x, y)`` batches.
        val_ds: ``(x, y)`` batches for early stopping.
        n_train_windows: windows per training epoch (for samples per second).
        epochs: maximum epochs.
        patience: epochs without validation improvement before stopping.
        learning_rate: Adam learning rate.
        verbose: Keras verbosity (0 silent, 1 progress bar, 2 one line per epoch).
    """
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    clock = epoch_clock()
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    start = time.perf_counter()
    fitted = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs,
        callbacks=[clock, stop],
        verbose=verbose,
        shuffle=False,  # the dataset shuffles itself, reproducibly
    )
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in vals] for k, vals in fitted.history.items()}
    val_loss = history["val_loss"]
    fastest = min(clock.seconds) if clock.seconds else seconds
    return TrainResult(
        history=history,
        epochs_run=len(val_loss),
        best_epoch=int(min(range(len(val_loss)), key=val_loss.__getitem__)) + 1,
        train_seconds=seconds,
        epoch_seconds=clock.seconds,
        samples_per_second=n_train_windows / fastest if fastest > 0 else 0.0,
    )

"""Training: seeding, Adam + MSE, early stopping on validation with the best weights restored, and
an honest clock (training time of each epoch, validation excluded)."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import ForecastError


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
        ridge_penalty: the ridge penalty chosen on validation (the closed-form linear model only).
        member_best_epochs: an ensemble's best epoch of each member (``best_epoch`` is the
            first's); empty for a single model.
    """

    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    train_seconds: float
    epoch_seconds: list[float]
    samples_per_second: float
    ridge_penalty: float | None = None
    member_best_epochs: tuple[int, ...] = ()


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


class Checkpoint:
    """Where a resumable checkpoint lives and what it continues from.

    Attributes:
        path: checkpoint directory (``<out>.partial``), rewritten atomically after every epoch:
            ``model.keras`` (weights and optimizer state), ``best.weights.h5`` and ``state.json``.
        meta: JSON facts saved with it (options, data SHA-256) and checked on resume.
        state: the saved ``state.json`` to continue from, or ``None`` for a fresh run.
        write: save it after every epoch; ``False`` on the non-chief workers of a multi-worker
            run, which read the chief's checkpoint on ``--resume`` and save only to a scratch
            directory that is removed at once (saving runs collective ops every worker joins).
    """

    def __init__(self, path: Path, meta: dict, state: dict | None = None, write: bool = True):
        self.path, self.meta, self.state, self.write = Path(path), meta, state, write


def progress_log(
    n_windows: int, batch_size: int, every: float = 30.0, log=None, clock=time.monotonic
):
    """A Keras callback that logs a line at most every ``every`` seconds inside an epoch:
    windows done, windows per second and the time left in the epoch.

    For logs (CI, ``nohup``, a cluster job), where Keras' progress bar is replaced by one line per
    epoch and a long epoch would otherwise print nothing for minutes.

    Args:
        n_windows: training windows per epoch.
        batch_size: windows per batch (the global batch under a strategy).
        every: seconds between lines.
        log: ``log(line)``; default: stderr, flushed.
        clock: monotonic seconds (a fake one in tests).
    """
    import keras

    if log is None:
        log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731

    class ProgressLog(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.start = clock()
            self.next = self.start + every

        def on_train_batch_end(self, batch, logs=None):
            now = clock()
            if now < self.next:
                return
            self.next = now + every
            done = min((batch + 1) * batch_size, n_windows)
            rate = done / max(now - self.start, 1e-9)
            left = (n_windows - done) / rate if rate > 0 else float("inf")
            epochs = (self.params or {}).get("epochs", "?")
            log(
                f"epoch {self.epoch + 1}/{epochs}: {done:,}/{n_windows:,} windows "
                f"({done / n_windows:.0%}), {rate:,.0f} windows/s, {duration(left)} left in "
                "this epoch"
            )

    return ProgressLog()


def duration(seconds: float) -> str:
    """``75`` → ``"1m15s"``; ``4000`` → ``"1h06m"``."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def stopper(patience: int, checkpoint: Checkpoint | None, clock):
    """Early stopping on ``val_loss`` with the best weights restored at the end, whose state can be
    saved to and restored from a checkpoint (Keras' ``EarlyStopping`` resets it on every fit)."""
    import keras

    from forecast import runs

    class Stopper(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            saved = checkpoint.state if checkpoint and checkpoint.state else {}
            self.history = saved.get("history", {"loss": [], "val_loss": []})
            self.epoch_seconds = list(saved.get("epoch_seconds", []))
            self.train_seconds = float(saved.get("train_seconds", 0.0))
            self.best = float(saved.get("best", float("inf")))
            self.wait = int(saved.get("wait", 0))
            self.best_epoch = int(saved.get("best_epoch", 0))
            self.best_weights = None
            self._start = time.perf_counter()

        @property
        def done(self) -> bool:
            return self.wait >= patience

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            for key in ("loss", "val_loss"):
                self.history.setdefault(key, []).append(float(logs.get(key, float("nan"))))
            self.epoch_seconds.append(clock.seconds[-1])
            val = self.history["val_loss"][-1]
            if val < self.best:
                self.best, self.wait, self.best_epoch = val, 0, epoch + 1
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
            if self.done:
                self.model.stop_training = True
            if checkpoint is not None:
                try:
                    self.save(epoch + 1)
                except OSError as e:
                    raise ForecastError(
                        f"cannot write checkpoint {checkpoint.path} ({e.strerror}); check free "
                        "space and permissions"
                    ) from None

        def save(self, epochs_done: int) -> None:
            if not checkpoint.write:  # saving runs collectives that every worker must join
                scratch = Path(tempfile.mkdtemp(prefix="forecast-worker-"))
                try:
                    self.save_models(scratch)
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
                return
            tmp = checkpoint.path.with_name(f".{checkpoint.path.name}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                self.save_models(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            state = {
                **checkpoint.meta,
                "epoch": epochs_done,
                "history": self.history,
                "epoch_seconds": self.epoch_seconds,
                "train_seconds": self.train_seconds + time.perf_counter() - self._start,
                "best": self.best,
                "wait": self.wait,
                "best_epoch": self.best_epoch,
            }
            try:
                runs.write_json(tmp / "state.json", state)
                runs.replace_dir(tmp, checkpoint.path)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        def save_models(self, directory: Path) -> None:
            """``model.keras`` (optimizer state included) and ``best.weights.h5``."""
            self.model.save(directory / "model.keras")
            current = self.model.get_weights()
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)
            self.model.save_weights(directory / "best.weights.h5")
            self.model.set_weights(current)

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return Stopper()


def load_checkpoint_model(checkpoint: Checkpoint):
    """The checkpoint's compiled model (optimizer state included) and its best weights so far."""
    from forecast.models import saving

    model = saving.load_keras_model(checkpoint.path / "model.keras", compile=True)
    current = model.get_weights()
    try:
        model.load_weights(checkpoint.path / "best.weights.h5")
    except Exception as e:  # h5py and keras raise many types for a damaged file
        raise ForecastError(
            f"{checkpoint.path / 'best.weights.h5'} cannot be loaded ({type(e).__name__}); delete "
            f"{checkpoint.path} and fit again without --resume"
        ) from None
    best = model.get_weights()
    model.set_weights(current)
    return model, best


def tensorboard_callbacks(log_dir: Path | None) -> list:
    """``[keras.callbacks.TensorBoard]`` writing epoch losses into ``log_dir``, or ``[]``."""
    if log_dir is None:
        return []
    import keras

    return [keras.callbacks.TensorBoard(log_dir=str(log_dir), update_freq="epoch")]


def compile_for_training(
    model, learning_rate: float, steps_per_execution: int = 1, loss: str = "mse"
) -> None:
    """Adam at ``learning_rate`` on ``loss`` (``"mse"`` or ``"mae"``): the one compile of every
    trained model (the scored fit and its refit on every row, ``forecast.training.refit``)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
        steps_per_execution=steps_per_execution,
    )


def train(
    model,
    train_ds,
    val_ds,
    n_train_windows: int,
    epochs: int,
    patience: int,
    learning_rate: float,
    verbose: int = 2,
    loss: str = "mse",
    checkpoint: Checkpoint | None = None,
    best_weights: list | None = None,
    steps_per_execution: int = 1,
    log_dir: Path | None = None,
    batch_size: int = 64,
) -> TrainResult:
    """Compile and fit ``model``; return the history and timings.

    Args:
        model: an uncompiled Keras model, or the compiled model of ``checkpoint`` when resuming.
        train_ds: shuffled ``(x, y)`` batches.
        val_ds: ``(x, y)`` batches for early stopping.
        n_train_windows: windows per training epoch (for samples per second).
        epochs: maximum epochs.
        patience: epochs without validation improvement before stopping.
        learning_rate: Adam learning rate.
        verbose: Keras verbosity (0 silent, 1 progress bar, 2 one line per epoch).
        loss: ``"mse"`` or ``"mae"``, in the model's scaled units.
        checkpoint: save a resumable checkpoint after every epoch; with ``checkpoint.state``,
            continue from it.
        best_weights: the best weights so far, when resuming.
        steps_per_execution: batches per call into TensorFlow (fewer Python round trips).
        log_dir: write TensorBoard logs here (``--tensorboard``); ``None`` writes none.
        batch_size: windows per training batch (for the progress lines written with
            ``verbose=2``).
    """
    resuming = checkpoint is not None and checkpoint.state is not None
    if not resuming:
        compile_for_training(model, learning_rate, steps_per_execution, loss)
    clock = epoch_clock()
    stop = stopper(patience, checkpoint, clock)
    stop.best_weights = best_weights
    initial_epoch = int(checkpoint.state["epoch"]) if resuming else 0
    start = time.perf_counter()
    if initial_epoch < epochs and not stop.done:
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=[clock, stop, *tensorboard_callbacks(log_dir)]
            + ([progress_log(n_train_windows, batch_size)] if verbose == 2 else []),
            verbose=verbose,
            shuffle=False,  # the dataset shuffles itself, reproducibly
        )
    elif stop.best_weights is not None:
        model.set_weights(stop.best_weights)
    seconds = stop.train_seconds + time.perf_counter() - start
    # Training is over: predict one batch per call. With steps_per_execution 16, Keras' predict
    # held ~2.6 KB more per window (+387 MB against +110 MB for 150,000 windows; bench/README.md)
    model.steps_per_execution = 1
    val_loss = stop.history["val_loss"]
    fastest = min(stop.epoch_seconds) if stop.epoch_seconds else seconds
    return TrainResult(
        history=stop.history,
        epochs_run=len(val_loss),
        best_epoch=int(min(range(len(val_loss)), key=val_loss.__getitem__)) + 1,
        train_seconds=seconds,
        epoch_seconds=stop.epoch_seconds,
        samples_per_second=n_train_windows / fastest if fastest > 0 else 0.0,
    )


def combine_results(results: list[TrainResult]) -> TrainResult:
    """One ``TrainResult`` for an ensemble: the first member's history and best epoch (for the loss
    plot), epochs and seconds summed over members, the members' mean throughput."""
    first = results[0]
    return TrainResult(
        history=first.history,
        epochs_run=sum(r.epochs_run for r in results),
        best_epoch=first.best_epoch,
        train_seconds=sum(r.train_seconds for r in results),
        epoch_seconds=[s for r in results for s in r.epoch_seconds],
        samples_per_second=sum(r.samples_per_second for r in results) / len(results),
        member_best_epochs=tuple(r.best_epoch for r in results),
    )

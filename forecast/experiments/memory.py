"""Long memory, measured on the adding problem (see ``forecast.experiments.adding``).

Every (model, length, seed) cell trains a fresh model on fresh random batches at every step (a
seeded NumPy stream: no small fixed training set to overfit), with Adam and gradient-norm
clipping, and checks a fixed validation set of fresh sequences every ``eval_every`` steps. Training
stops when the validation MSE falls below ``threshold`` (solved), when it has not improved for
``patience`` checks (a plateau), or when ``max_steps`` run out. The weights of the best check are
then scored on a separate test set of fresh sequences; that test MSE is the reported ``mse``.

``solved`` means test MSE < 0.01 (``SOLVED_MSE``): 6 % of the no-memory baseline 1/6, i.e. the
model explains 94 % of the target's variance (RMSE 0.1 on a target in [0, 2]). That is the error
level of Hochreiter & Schmidhuber (1997, experiment 4), who stopped training once the average
training error fell below 0.01, and it sits well below the 0.167 plateau on which the unsolved
curves of Le, Jaitly & Hinton (2015) and Arjovsky, Shah & Bengio (2016) stay; the solved curves in
those papers fall below it. A model stuck near the baseline has learned nothing about the markers;
one that gets below 0.01 has found and added both marked values.

``steps`` is the number of training steps run: steps-to-solve for solved cells (checked every
``eval_every`` steps, so rounded up to a multiple of it), the budget used otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecast.errors import ForecastError
from forecast.experiments.adding import adding_batch, baseline_mse

SOLVED_MSE = 0.01


DEFAULT_LENGTHS = (10, 50, 100, 200)


QUICK_LENGTHS = (5, 10)


ROW_KEYS = ("model", "length", "seed", "mse", "baseline_mse", "solved", "steps", "seconds")


@dataclass(frozen=True)
class MemorySettings:
    """How each cell is trained. ``quick()`` is the CI setting (tiny budget, seconds per cell)."""

    units: int = 32
    batch: int = 128
    learning_rate: float = 1e-2
    clipnorm: float = 1.0
    max_steps: int = 4000
    eval_every: int = 100
    patience: int = 20
    n_val: int = 1024
    n_test: int = 4096
    threshold: float = SOLVED_MSE

    @classmethod
    def quick(cls) -> MemorySettings:
        return cls(
            units=8, batch=32, max_steps=60, eval_every=20, patience=3, n_val=128, n_test=256
        )


def parse_lengths(text: str) -> list[int]:
    """``"200,10,10"`` → ``[10, 200]``; each length must be an integer >= 2."""
    try:
        lengths = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        lengths = []
    if not lengths or min(lengths) < 2:
        raise ForecastError(
            f"--lengths {text!r} must be integers >= 2 separated by commas; "
            "e.g. --lengths 10,50,100,200"
        )
    return sorted(set(lengths))


def data_rng(seed: int, length: int, stream: int) -> np.random.Generator:
    """Stream 0 trains, 1 validates, 2 tests; the same for every model at one (seed, length)."""
    return np.random.default_rng([seed, length, stream])


def make_train_step(model, optimizer):
    """A compiled function doing one Adam step on a batch; returns the batch MSE."""
    import tensorflow as tf

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return step


def mse(model, x: np.ndarray, y: np.ndarray) -> float:
    """MSE of ``model`` on ``x`` ``(n, length, 2)`` against ``y`` ``(n, 1)``."""
    predicted = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean((predicted.astype("float64") - y) ** 2))


def init_model(name: str, length: int, seed: int, units: int):
    """The untrained model every ``train_adding(name, length, seed, ...)`` starts from."""
    from forecast.models.registry import Architecture, build_model
    from forecast.training.train import set_seed

    set_seed(seed)
    return build_model(Architecture(name, length, 2, 1, units, norm="global"))


class AddingTrainer:
    """One architecture at one length: model, Adam and a compiled train step, built once and
    re-initialised for each seed (tracing a recurrent train step costs seconds per cell)."""

    def __init__(self, name: str, length: int, settings: MemorySettings):
        import keras

        self.name, self.length, self.settings = name, length, settings
        self.model = init_model(name, length, 0, settings.units)
        self.optimizer = keras.optimizers.Adam(settings.learning_rate, clipnorm=settings.clipnorm)
        self.step = make_train_step(self.model, self.optimizer)

    def reset(self, seed: int) -> None:
        """Weights exactly as ``init_model(name, length, seed)``; Adam's moments and step to 0."""
        fresh = init_model(self.name, self.length, seed, self.settings.units)
        self.model.set_weights(fresh.get_weights())
        for v in self.optimizer.variables:
            if not v.path.endswith("learning_rate"):
                v.assign(np.zeros(v.shape, dtype=v.dtype))


def train_adding(
    name: str,
    length: int,
    seed: int,
    settings: MemorySettings,
    trainer: AddingTrainer | None = None,
):
    """Train one architecture on the adding problem of ``length`` steps.

    Args:
        trainer: an ``AddingTrainer`` for ``(name, length, settings)`` to re-use; a new one if
            ``None``. It is reset to ``seed``'s initial weights first.

    Returns:
        ``(model, row, history)``: the model with its best validation weights (the trainer's
        model: the next seed overwrites it), the memory.json row (``ROW_KEYS`` plus ``val_mse``
        and ``params``) and the validation checks ``[{"step", "val_mse"}]``.
    """
    s = settings
    trainer = trainer or AddingTrainer(name, length, settings)
    trainer.reset(seed)
    model, step = trainer.model, trainer.step
    train = data_rng(seed, length, 0)
    x_val, y_val = adding_batch(data_rng(seed, length, 1), s.n_val, length)
    history, best, best_weights, since_best, steps = [], np.inf, model.get_weights(), 0, 0
    start = time.perf_counter()
    while steps < s.max_steps:
        for _ in range(min(s.eval_every, s.max_steps - steps)):
            step(*adding_batch(train, s.batch, length))
            steps += 1
        val = mse(model, x_val, y_val)
        history.append({"step": steps, "val_mse": val})
        # A plateau needs no real progress: 2 % of the best so far, not noise-level wiggles.
        if val < 0.98 * best:
            best, best_weights, since_best = val, model.get_weights(), 0
        else:
            since_best += 1
        if val < s.threshold or since_best >= s.patience:
            break
    seconds = time.perf_counter() - start
    model.set_weights(best_weights)
    x_test, y_test = adding_batch(data_rng(seed, length, 2), s.n_test, length)
    test = mse(model, x_test, y_test)
    row = {
        "model": name,
        "length": length,
        "seed": seed,
        "mse": test,
        "baseline_mse": baseline_mse(y_test),
        "solved": bool(test < s.threshold),
        "steps": steps,
        "seconds": seconds,
        "val_mse": float(best),
        "params": int(model.count_params()),
    }
    return model, row, history


@dataclass
class MemoryResult:
    """Every cell of one memory run: ``rows`` as in memory.json, validation ``histories`` by cell,
    the trained models of the last seed at the longest length (for the gradient plot), and the
    gradient norms and timing once ``run_memory`` has filled them in."""

    rows: list[dict]
    models: list[str]
    lengths: list[int]
    seeds: list[int]
    settings: MemorySettings
    histories: dict[str, list[dict]]
    trained: dict
    gradients: dict | None = None  # gradients.json, from run_memory
    timing: dict | None = None  # wall and CPU seconds of run_memory


def run_cells(
    models: list[str],
    lengths: list[int],
    seeds: list[int],
    settings: MemorySettings,
    log: Callable[[str], None] = print,
) -> MemoryResult:
    """Train every model at every length with every seed (no files written)."""
    rows, histories, trained = [], {}, {}
    for name in models:
        for length in lengths:
            trainer = AddingTrainer(name, length, settings)
            for seed in seeds:
                model, row, history = train_adding(name, length, seed, settings, trainer)
                rows.append(row)
                histories[f"{name}/{length}/{seed}"] = history
                if length == max(lengths):
                    trained[name] = model  # ends as the last seed's model
                log(
                    f"memory: {name:6} L={length:<4} seed {seed}: mse {row['mse']:.4f} "
                    f"({'solved' if row['solved'] else 'not solved'}) after {row['steps']} steps, "
                    f"{row['seconds']:.0f}s"
                )
    return MemoryResult(
        rows, list(models), list(lengths), list(seeds), settings, histories, trained
    )

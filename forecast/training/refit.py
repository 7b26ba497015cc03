"""The refit on every row: the scored configuration trained again on every window, for forecasting.

The scored model never trains on the validation and test rows (they pick the epoch and score it).
Once scored, the same configuration (architecture, window, segment, calendar, seed, ensemble) is
trained again on every window of every series, with no early stopping (nothing is left to validate
on) for the epoch count the scored fit's early stopping found (``refit_epochs``). The scaler stays
the one fitted on the training rows, so preprocessing.json serves both models. As AutoGluon's
``refit_full``, darts' ``retrain`` and neuralforecast's fit-on-all after ``cross_validation``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.data.split import Split
from forecast.data.windows import origins
from forecast.training.fitting import build_for, start_highway_at, train_linear

# the refit's epochs: the scored fit's best epoch, as many passes over the larger set ("epochs",
# AutoGluon's refit_full), or as many gradient steps ("steps": fewer epochs); bench/refit_gain.py
EPOCH_RULES = ("epochs", "steps")
EPOCH_RULE = "epochs"


def refit_epochs(best_epoch: int, n_train: int, n_all: int, rule: str = EPOCH_RULE) -> int:
    """Epochs of the refit on ``n_all`` windows after early stopping chose ``best_epoch`` on
    ``n_train``: the same number (each window seen as often as in the scored fit) with
    ``"epochs"``, or ``round(best_epoch · n_train / n_all)`` (at least 1; the same number of
    gradient steps at one batch size) with ``"steps"``."""
    if rule not in EPOCH_RULES:
        raise ValueError(f"epoch rule {rule!r} is not one of {EPOCH_RULES}")
    if rule == "epochs":
        return int(best_epoch)
    return max(1, int(round(best_epoch * n_train / max(n_all, 1))))


def origins_through(prepared: Prepared, last: str = "test") -> np.ndarray:
    """Every origin (stride 1) whose targets lie before the end of part ``last`` (``"test"``:
    every row; ``"val"``: the training and validation rows), in every series; windows whose
    targets straddle a split boundary are included.

    Returns:
        ``(n_windows,)`` int64 origins, series after series, increasing within each.
    """

    def through(split: Split) -> np.ndarray:
        end = {"test": split.n_rows, "val": split.val_end, "train": split.train_end}[last]
        return origins(Split(end, end, end), prepared.prep.window, prepared.prep.horizon, "train")

    if prepared.layout is None:
        return through(prepared.split)
    bounds = prepared.layout.bounds
    return np.concatenate(
        [through(split) + bounds[k] for k, split in enumerate(prepared.parts)]
    ).astype("int64")


def on_rows_through(prepared: Prepared, last: str = "test") -> Prepared:
    """``prepared`` whose training origins are ``origins_through(prepared, last)`` (the other
    parts' origins are kept, for scoring; the refit never reads them)."""
    return replace(prepared, starts={**prepared.starts, "train": origins_through(prepared, last)})


@dataclass
class Refit:
    """A model refit on every window.

    Attributes:
        model: the refit Keras model (a plain float32 copy, ready to save).
        epochs: epochs per member (one entry for a single model; empty for the ridge model).
        n_windows: training windows of the refit.
        seconds: wall time of the refit.
    """

    model: object
    epochs: list[int]
    n_windows: int
    seconds: float


def refit(
    prepared_all: Prepared,
    options: FitOptions,
    epochs: list[int],
    penalty: float | None,
    verbose: int = 0,
) -> Refit:
    """Train ``options.model`` on ``prepared_all``'s training origins (``on_rows_through``) for
    ``epochs[k]`` epochs per member ``k`` (seed ``options.seed + k``), no validation.

    Args:
        prepared_all: the windows to train on (every row: ``on_rows_through(prepared)``).
        options: the scored run's options (window, segment resolved).
        epochs: one epoch count per ensemble member (``refit_epochs`` of its best epoch).
        penalty: the ridge penalty chosen on validation, for the ``linear`` model and the frozen
            linear path of ``--highway``.
        verbose: Keras verbosity.
    """
    start = time.perf_counter()
    n = len(prepared_all.starts["train"])
    if options.model == "linear":
        model, _ = train_linear(prepared_all, options, penalty)
        return Refit(model, [], n, time.perf_counter() - start)
    members = [
        refit_member(prepared_all, options.replace(seed=options.seed + k), e, penalty, verbose)
        for k, e in enumerate(epochs)
    ]
    if len(members) == 1:
        model = members[0]
    else:
        from forecast.models.registry import average_models

        model = average_models(members, options.model)
    return Refit(model, list(epochs), n, time.perf_counter() - start)


def refit_member(
    prepared: Prepared, options: FitOptions, epochs: int, penalty: float | None, verbose: int
):
    """One member as ``forecast.training.fitting.train_member`` trains it (seed, strategy scope,
    highway start), for exactly ``epochs`` epochs on the training origins of ``prepared``."""
    from forecast.training.distribute import plain_copy, steps_per_execution, training_scope
    from forecast.training.train import compile_for_training, set_seed

    name = options.model
    set_seed(options.seed)
    with training_scope(options.distribute, options.mixed_precision):
        model = build_for(name, prepared.prep, options)
        if options.highway:
            linear, _ = train_linear(prepared, options, penalty)
            start_highway_at(model, linear)
            set_seed(options.seed)
        steps = steps_per_execution(options.steps_per_execution, options.distribute)
        compile_for_training(model, options.learning_rate, steps, options.loss)
        model.fit(
            prepared.dataset("train", options.batch_size, shuffle_seed=options.seed),
            epochs=epochs,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles itself, reproducibly
        )
        model.steps_per_execution = 1  # predict one batch per call (forecast.training.train)
    if options.distribute != "none" or options.mixed_precision:
        model = plain_copy(model, lambda: build_for(name, prepared.prep, options))
    return model

"""One unit of a backtest's work: a model trained on one fold's past (``refit="every"``) or once on
the first fold's past (``refit="once"``), then scored with the baselines on its test block(s).

``run_fold_task`` is a top-level function of one picklable ``FoldTask`` and reads the data itself,
so ``forecast.jobs`` can run the units of a backtest (or of ``compare --folds``) in worker
processes and get the same numbers as in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from forecast.config import FitOptions
from forecast.data.prepared import Prepared, load_series_for, reprepare
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import lazy_baselines
from forecast.evaluation.folds import Fold
from forecast.evaluation.intervals import coverage, origin_widths
from forecast.evaluation.significance import origin_losses
from forecast.training.fitting import train_one
from forecast.training.inference import predict_lazy
from forecast.training.preparation import prepare


@dataclass(frozen=True)
class FoldTask:
    """Train ``options.model`` on the past of ``folds[0]`` and score it on every fold of
    ``folds`` (one fold for ``refit="every"``; all of them, in order, for ``"once"``)."""

    csv: Path
    options: FitOptions
    folds: tuple[Fold, ...]
    verbose: int = 0


@dataclass
class FoldScores:
    """One fold's record for backtest.json, the origins of its test windows (the time of each
    first forecast step) and the per-origin losses of the model and every baseline."""

    record: dict
    origins: list[str]
    losses: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class FoldOutcome:
    """What one ``FoldTask`` measured, fold by fold, and what reading the data noted."""

    scores: list[FoldScores]
    notes: list[str]


def run_fold_task(task: FoldTask) -> FoldOutcome:
    """Read the series, then train and score as ``task`` says; no fold reads a row after its
    test block."""
    options = task.options
    series = load_series_for(task.csv, options)
    scores, notes, trained = [], list(series.notes), None
    for fold in task.folds:
        past = replace(series, frame=series.frame.iloc[: fold.test_end], notes=[])
        if trained is None:
            prepared = prepare(past, options, fold.split)
            trained = (prepared.prep, *train_pair(prepared, options, task.verbose))
            notes.extend(f"fold {fold.k + 1}: {note}" for note in past.notes)
        else:
            prepared = reprepare(past, trained[0], fold.split)
        fold_scores = score_fold(fold, prepared, trained[1], trained[2])
        fold_scores.record["trained"] = fold is task.folds[0]
        scores.append(fold_scores)
    return FoldOutcome(scores, list(dict.fromkeys(notes)))


def train_pair(prepared: Prepared, options: FitOptions, verbose: int):
    """The model and the linear baseline trained on ``prepared``'s training windows."""
    model, _ = train_one(options.model, prepared, options, verbose)
    if options.model == "linear":
        return model, model
    linear, _ = train_one("linear", prepared, options.replace(model="linear"), 0)
    return model, linear


def score_fold(fold: Fold, prepared: Prepared, model, linear) -> FoldScores:
    """The fold's record (RMSE, MAE, the baselines', 80 % coverage of intervals calibrated on its
    validation block) and the per-origin losses on its test block."""
    actual = np.asarray(prepared.lazy_actual("test"))
    predicted = np.asarray(predict_lazy(model, prepared))
    baselines = {name: np.asarray(b) for name, b in lazy_baselines(prepared).items()}
    baselines["linear"] = np.asarray(predict_lazy(linear, prepared))
    val = (prepared.lazy_actual("val"), predict_lazy(model, prepared, "val"))
    widths = origin_widths(*val, actual, predicted)["80"][:-1]
    index = prepared.series.frame.index
    record = {
        "fold": fold.k + 1,
        "train_end": str(index[fold.train_end - 1]),
        "test_start": str(index[fold.test_start]),
        "test_end": str(index[fold.test_end - 1]),
        "n_windows": int(len(actual)),
        "rmse": ev.rmse(actual, predicted),
        "mae": ev.mae(actual, predicted),
        "baselines": {
            name: {"rmse": ev.rmse(actual, b), "mae": ev.mae(actual, b)}
            for name, b in baselines.items()
        },
        "coverage_80": coverage(actual, predicted, widths),
    }
    first_steps = prepared.starts["test"] + prepared.prep.window
    losses = {"model": origin_losses(actual, predicted)}
    losses.update({name: origin_losses(actual, b) for name, b in baselines.items()})
    return FoldScores(record, [str(index[i]) for i in first_steps], losses)

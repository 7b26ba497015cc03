"""``forecast backtest``: rolling-origin evaluation over K expanding-window folds.

Each fold sees the series truncated to the end of its test block, with an explicit split (train,
then N validation rows, then its N test rows): the scaler, the calendar choice, early stopping and
the interval calibration use its own past only. ``refit="once"`` trains the model (and the linear
baseline) on the first fold's training rows and scores that on every block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.config import FitOptions
from forecast.data.prepared import Prepared, load_series_for, reprepare
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import lazy_baselines
from forecast.evaluation.folds import Fold, default_fold_size, fold_bounds
from forecast.evaluation.intervals import coverage, origin_widths
from forecast.evaluation.significance import dm_test, origin_losses
from forecast.training.fitting import train_one
from forecast.training.inference import predict_lazy
from forecast.training.preparation import prepare
from forecast.training.selection import is_auto

REFITS = ("every", "once")
COMPARED = ("persistence", "linear")  # the summary's wins and pooled Diebold–Mariano tests


@dataclass
class BacktestReport:
    """What ``backtest`` wrote: the directory, backtest.json's content, folds.csv's rows."""

    out: Path
    result: dict
    table: pd.DataFrame
    notes: list[str]


def check_request(options: FitOptions, folds: int, fold_size: int | None, refit: str) -> None:
    """Refuse what a backtest does not do, with the fix."""
    if refit not in REFITS:
        raise ForecastError(f"--refit {refit!r}: choose {' or '.join(REFITS)}")
    if folds < 1:
        raise ForecastError(f"--folds {folds}: give at least 1 fold")
    if fold_size is not None and fold_size < 1:
        raise ForecastError(f"--fold-size {fold_size}: give a positive number of rows")
    if options.series is not None:
        raise ForecastError("backtest scores one series; drop --series (or pick one with --target)")
    if is_auto(options):
        raise ForecastError(
            "backtest trains at one window and segment; give numbers for --window and --segment"
        )


def backtest(
    csv: Path,
    options: FitOptions,
    out: Path,
    folds: int = 5,
    fold_size: int | None = None,
    refit: str = "every",
    overwrite: bool = False,
    verbose: int = 0,
    log=print,
) -> BacktestReport:
    """Score ``options.model`` on ``folds`` rolling-origin folds of ``csv``; write ``out``
    (backtest.json, folds.csv, backtest.png) atomically."""
    check_request(options, folds, fold_size, refit)
    runs.check_out_dir(out, overwrite)
    with runs.out_lock(out):
        series = load_series_for(csv, options)
        n_rows = len(series.frame)
        size = fold_size or default_fold_size(n_rows, folds, options.split[2], options.horizon)
        bounds = fold_bounds(n_rows, folds, size, options.window, options.horizon)
        records, losses, notes = run_folds(series, options, bounds, refit, verbose, log)
        result = {
            "model": options.model,
            "refit": refit,
            "fold_size": size,
            "window": options.window,
            "horizon": options.horizon,
            "folds": records,
            "summary": summarise(records, losses, options.horizon),
        }
        table = folds_table(records, options.model)
        from forecast.reporting.backtest_plots import plot_backtest

        with runs.staged_dir(out) as tmp:
            runs.write_json(tmp / "backtest.json", result)
            table.to_csv(tmp / "folds.csv", index=False)
            target = series.frame[records_target(series, options)].to_numpy(dtype="float64")
            plot_backtest(tmp / "backtest.png", series.frame.index, target, result)
    return BacktestReport(out, result, table, notes)


def records_target(series, options: FitOptions) -> str:
    """The target column's name, as ``prepare`` chooses it."""
    from forecast.data.preprocess import select_columns

    return select_columns(list(series.frame.columns), options.target, options.features)[1]


def run_folds(series, options: FitOptions, bounds: list[Fold], refit: str, verbose: int, log):
    """Train (per fold, or once) and score every fold. Returns the fold records, the per-origin
    losses of the model and the compared baselines over all folds, and the notes."""
    losses: dict[str, list[np.ndarray]] = {"model": [], **{name: [] for name in COMPARED}}
    records, notes, trained = [], list(series.notes), None
    for fold in bounds:
        # the fold never sees a row after its test block
        past = replace(series, frame=series.frame.iloc[: fold.test_end], notes=[])
        if refit == "every" or trained is None:
            prepared = prepare(past, options, fold.split)
            log(
                f"fold {fold.k + 1}/{len(bounds)}: training {options.model} on "
                f"{fold.train_end} rows, validating on {fold.test_start - fold.train_end} ..."
            )
            model, _ = train_one(options.model, prepared, options, verbose)
            linear = model
            if options.model != "linear":
                linear, _ = train_one("linear", prepared, options.replace(model="linear"), 0)
            trained = (prepared.prep, model, linear)
            notes.extend(f"fold {fold.k + 1}: {note}" for note in past.notes)
        else:
            prepared = reprepare(past, trained[0], fold.split)
            log(f"fold {fold.k + 1}/{len(bounds)}: scoring the model trained on fold 1 ...")
        record, fold_losses = score_fold(fold, prepared, trained[1], trained[2])
        record["trained"] = refit == "every" or fold.k == 0
        records.append(record)
        for name, loss in fold_losses.items():
            losses[name].append(loss)
    pooled = {name: np.concatenate(parts) for name, parts in losses.items()}
    return records, pooled, list(dict.fromkeys(notes))


def score_fold(fold: Fold, prepared: Prepared, model, linear) -> tuple[dict, dict]:
    """One fold's record for backtest.json and the per-origin losses of the model and the
    compared baselines on its test block."""
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
    losses = {"model": origin_losses(actual, predicted)}
    losses.update({name: origin_losses(actual, baselines[name]) for name in COMPARED})
    return record, losses


def summarise(records: list[dict], losses: dict[str, np.ndarray], horizon: int) -> dict:
    """backtest.json ``summary``: mean and sd of the model's RMSE over the folds, the folds it
    wins against persistence and linear, and Diebold–Mariano tests pooling every fold's origins
    (``dm_stat < 0``: the model is more accurate)."""
    rmse = np.array([r["rmse"] for r in records])
    k = len(records)
    summary = {
        "rmse_mean": float(rmse.mean()),
        "rmse_sd": float(rmse.std(ddof=1)) if k > 1 else 0.0,
        "baselines_rmse_mean": {
            name: float(np.mean([r["baselines"][name]["rmse"] for r in records]))
            for name in records[0]["baselines"]
        },
    }
    for name in COMPARED:
        wins = sum(r["rmse"] < r["baselines"][name]["rmse"] for r in records)
        summary[f"wins_vs_{name}"] = f"{wins} of {k}"
    summary["significance"] = {
        f"vs_{name}": dm_test(losses["model"], losses[name], horizon).to_dict() for name in COMPARED
    }
    return summary


def folds_table(records: list[dict], model: str) -> pd.DataFrame:
    """folds.csv: one row per fold and forecaster (the model first, then the baselines)."""
    rows = []
    for r in records:
        scores = {model: {"rmse": r["rmse"], "mae": r["mae"]}, **r["baselines"]}
        for name, s in scores.items():
            rows.append(
                {
                    "fold": r["fold"],
                    "forecaster": name,
                    "rmse": s["rmse"],
                    "mae": s["mae"],
                    "n_windows": r["n_windows"],
                    "train_end": r["train_end"],
                    "test_start": r["test_start"],
                    "test_end": r["test_end"],
                    "coverage_80": r["coverage_80"] if name == model else None,
                }
            )
    return pd.DataFrame(rows)

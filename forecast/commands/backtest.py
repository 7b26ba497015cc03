"""``forecast backtest``: rolling-origin evaluation over K expanding-window folds.

Each fold sees the series truncated to the end of its test block, with an explicit split (train,
then N validation rows, then its N test rows): the scaler, the calendar choice, early stopping and
the interval calibration use its own past only. ``refit="once"`` trains the model (and the linear
baseline) on the first fold's training rows and scores that on every block.

The work is cut into ``FoldTask``s (one per fold, or one for ``refit="once"``) that
``forecast.jobs`` runs one after another or in ``jobs`` worker processes. ``only_folds`` runs some
of the K folds (one job per fold on a cluster); ``forecast.commands.backtest_merge`` joins the
parts. Besides backtest.json, folds.csv and backtest.png the directory holds origins.csv: the
per-origin loss of every forecaster, which the pooled Diebold–Mariano tests (and a merge) need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.commands.backtest_folds import FoldScores, FoldTask, run_fold_task
from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.data.split import held_out_share
from forecast.errors import ForecastError
from forecast.evaluation.folds import Fold, default_fold_size, fold_bounds
from forecast.evaluation.significance import dm_test
from forecast.jobs import placement
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
    interrupted: bool = False  # Ctrl-C: only the folds that had finished


def check_request(
    options: FitOptions, folds: int, fold_size: int | None, refit: str, jobs: int = 1
) -> None:
    """Refuse what a backtest does not do, with the fix."""
    from forecast.commands.compare import check_jobs_for

    check_jobs_for(jobs, options)
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


def plan_folds(n_rows: int, options: FitOptions, folds: int, fold_size: int | None) -> list[Fold]:
    """The K folds of a series of ``n_rows`` rows (a ``ForecastError`` if it is too short)."""
    share = held_out_share(options.split, n_rows)
    size = fold_size or default_fold_size(n_rows, folds, share, options.horizon)
    return fold_bounds(n_rows, folds, size, options.window, options.horizon)


def chosen_folds(bounds: list[Fold], only: tuple[int, ...] | None, refit: str) -> list[Fold]:
    """The folds to run: all, or the 1-based ``only`` ones (``refit="every"`` only)."""
    if not only:
        return bounds
    if refit != "every":
        raise ForecastError("--only-folds needs --refit every (once trains on fold 1 for all)")
    bad = sorted(k for k in only if not 1 <= k <= len(bounds))
    if bad:
        raise ForecastError(f"--only-folds {bad[0]}: folds are numbered 1 to {len(bounds)}")
    return [f for f in bounds if f.k + 1 in set(only)]


def fold_tasks(
    csv: Path, options: FitOptions, folds: list[Fold], refit: str, verbose: int = 0
) -> list[FoldTask]:
    """One task per fold (``refit="every"``), or one task that trains on the first fold."""
    if refit == "once":
        return [FoldTask(Path(csv), options, tuple(folds), verbose)]
    return [FoldTask(Path(csv), options, (fold,), verbose) for fold in folds]


def task_cost(task: FoldTask) -> float:
    """A task's relative cost, to start the costliest first: the model's (gate costs × steps)
    times the rows it trains on."""
    from forecast.commands.compare_runs import run_cost

    return (run_cost(task.options, 1) + 1.0) * task.folds[0].train_end


def run_fold_tasks(tasks: list[FoldTask], jobs: int, log, label, cluster=None) -> tuple[dict, bool]:
    """Run ``tasks`` through ``run_fold_task`` in ``jobs`` worker processes (in this one for
    ``jobs=1``; on a Dask ``cluster``, ``forecast.cluster``), logging each as it finishes with
    ``label(task)``. Returns ``{task index: outcome}`` of the tasks that finished and whether
    Ctrl-C stopped the rest."""
    from forecast.jobs import Interrupted, run_tasks

    finished = []

    def done(i: int, outcome) -> None:
        finished.append(i)
        rmse = ", ".join(f"{s.record['rmse']:.4g}" for s in outcome.scores)
        log(f"{label(tasks[i])}: RMSE {rmse} ({len(finished)} of {len(tasks)} done)")

    costs = [task_cost(t) for t in tasks]
    try:
        return dict(enumerate(run_tasks(run_fold_task, tasks, jobs, done, costs, cluster))), False
    except Interrupted as stop:
        return dict(stop.finished), True


def missing_folds(result: dict) -> str:
    """``"2,4"``: the folds of the K that ``result`` lacks."""
    have = {f["fold"] for f in result["folds"]}
    return ",".join(str(k) for k in range(1, result["folds_total"] + 1) if k not in have)


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
    jobs: int = 1,
    only_folds: tuple[int, ...] | None = None,
    cluster=None,
) -> BacktestReport:
    """Score ``options.model`` on ``folds`` rolling-origin folds of ``csv`` (or the
    ``only_folds`` of them) in ``jobs`` processes (or on a Dask ``cluster``); write ``out``
    (backtest.json, folds.csv, origins.csv, backtest.png, report.html) atomically. Options left
    to the data take their fixed defaults (``FitOptions.plain``): every fold trains at one
    window."""
    options = options.plain()
    check_request(options, folds, fold_size, refit, jobs)
    runs.check_out_dir(out, overwrite)
    with runs.out_lock(out):
        series = load_series_for(csv, options)  # the tasks read it again, in their process
        bounds = plan_folds(len(series.frame), options, folds, fold_size)
        chosen = chosen_folds(bounds, only_folds, refit)
        tasks = fold_tasks(csv, options, chosen, refit, verbose)
        log(
            f"backtest of {options.model}: {len(chosen)} of {folds} folds of "
            f"{bounds[0].test_end - bounds[0].test_start} rows, refit {refit}, "
            f"{len(tasks)} training(s) {placement(jobs, len(tasks), cluster)} ..."
        )
        done, interrupted = run_fold_tasks(
            tasks, jobs, log, lambda t: f"{options.model} {fold_names(t)}", cluster
        )
        if not done:
            raise KeyboardInterrupt("no fold had finished")
        outcomes = [done[i] for i in sorted(done)]
        scores = [s for o in outcomes for s in o.scores]
        notes = list(dict.fromkeys(n for o in outcomes for n in o.notes))
        result = backtest_result(csv, options, refit, bounds, scores)
        if interrupted:
            result["interrupted"] = True
            notes.append(
                f"interrupted: kept folds {', '.join(str(s.record['fold']) for s in scores)}; "
                f"run --only-folds {missing_folds(result)} and join them with --merge"
            )
        write_backtest(out, result, scores, *series_target(series, options))
    table = folds_table(result["folds"], options.model)
    return BacktestReport(out, result, table, notes, interrupted)


def fold_names(task: FoldTask) -> str:
    """``fold 2`` or ``folds 1-5``: what a task scores."""
    ks = [f.k + 1 for f in task.folds]
    return f"fold {ks[0]}" if len(ks) == 1 else f"folds {ks[0]}-{ks[-1]}"


def backtest_result(
    csv: Path, options: FitOptions, refit: str, bounds: list[Fold], scores: list[FoldScores]
) -> dict:
    """backtest.json's content."""
    first = bounds[0]
    records = [s.record for s in scores]
    return {
        "csv": str(csv),
        "model": options.model,
        "segment": options.segment,
        "seed": options.seed,
        "refit": refit,
        "fold_size": first.test_end - first.test_start,
        "folds_total": len(bounds),
        "window": options.window,
        "horizon": options.horizon,
        "options": options.to_dict(),
        "folds": records,
        "summary": summarise(records, pooled_losses(scores), options.horizon),
    }


def write_backtest(out: Path, result: dict, scores: list[FoldScores], index, target) -> None:
    """backtest.json, folds.csv, origins.csv, backtest.png (and report.html) into ``out``,
    atomically."""
    with runs.staged_dir(out) as tmp:
        write_backtest_files(tmp, result, scores, index, target)


def write_backtest_files(
    directory: Path, result: dict, scores: list[FoldScores], index, target
) -> None:
    """The files of one backtest into ``directory`` (already staged)."""
    from forecast.reporting.backtest_html import write_backtest_report
    from forecast.reporting.backtest_plots import plot_backtest

    runs.write_json(directory / "backtest.json", result)
    folds_table(result["folds"], result["model"]).to_csv(directory / "folds.csv", index=False)
    origins_table(scores).to_csv(directory / "origins.csv", index=False)  # exact floats
    plot_backtest(directory / "backtest.png", index, target, result)
    write_backtest_report(directory, result)


def series_target(series, options: FitOptions):
    """The time index and the target values of ``series`` as ``options`` read it (for plots)."""
    from forecast.data.preprocess import select_columns

    frame = series.frame
    name = select_columns(list(frame.columns), options.target, options.features)[1]
    return frame.index, frame[name].to_numpy(dtype="float64")


def pooled_losses(scores: list[FoldScores]) -> dict[str, np.ndarray]:
    """Every forecaster's per-origin losses, all folds' origins in time order."""
    names = scores[0].losses
    return {name: np.concatenate([s.losses[name] for s in scores]) for name in names}


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


def origins_table(scores: list[FoldScores]) -> pd.DataFrame:
    """origins.csv: one row per test origin (fold, the time of its first forecast step) with
    each forecaster's loss (squared error averaged over the horizon)."""
    parts = [
        pd.DataFrame({"fold": s.record["fold"], "origin": s.origins, **s.losses}) for s in scores
    ]
    return pd.concat(parts, ignore_index=True)


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

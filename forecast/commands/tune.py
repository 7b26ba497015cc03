"""``forecast tune``: search hyper-parameters on the validation split with keras-tuner.

Why Bayesian optimisation and not Hyperband: the budget here is a handful of trials in a few
minutes on a CPU. Hyperband earns its keep by starting many configurations and stopping most of
them after a few epochs, which needs tens of trials and a model whose early epochs rank
configurations reliably. Bayesian optimisation (keras-tuner's ``BayesianOptimizationOracle``, a
Gaussian process with an upper-confidence-bound acquisition) spends its few trials where the
validation RMSE looks promising: trial 1 runs the starting options unchanged (so the tuner never
reports anything worse than what the user would have got), a few random points follow, and the
Gaussian process proposes the rest.

Each trial calls ``forecast.training.preparation.prepare`` (window, norm and calendar change the
prepared data;
prepared data are cached per ``(window, norm, calendar)``) and
``forecast.training.fitting.train_one``
(early stopping on validation), then scores the validation windows in the target's units. The test
split is never read. keras-tuner's own project directory lives in a temporary directory and is
removed; the outputs are ``trials.csv``, ``best.toml`` (``forecast fit --config`` format) and
``tuning.png``, written atomically.

``--jobs N`` and searches across machines use keras-tuner's chief/worker mode
(``forecast.commands.tune_cluster``): the chief's oracle hands out the trials, workers run them,
and the chief writes the same outputs from its oracle's finished trials.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.commands import tune_cluster as cluster
from forecast.commands import tune_jobs
from forecast.commands.tune_oracle import make_oracle, make_row, make_tuner, progress_line
from forecast.commands.tune_space import COLUMNS, DATA_KEYS, options_for, resolved, space
from forecast.config import TUNE_BUDGET_MINUTES, TUNE_TRIALS, FitOptions, toml_text
from forecast.data.io import Series
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.reporting.tune_plots import plot_tuning


@dataclass
class TuneReport:
    """What ``tune`` measured and wrote.

    Attributes:
        out: the output directory (written once at least one trial finished).
        rows: one dict per finished trial, ``COLUMNS`` plus ``trial, val_rmse, epochs, seconds``.
        best: the options of the best trial (as written to ``best.toml``).
        start_rmse: validation RMSE of trial 1, the starting options.
        best_rmse: validation RMSE of the best trial.
        linear_rmse: validation RMSE of the linear baseline on the starting options' windows.
        dm_p_vs_start: Diebold–Mariano p-value of the best trial against trial 1 on the
            validation windows (``None`` when trial 1 is the best, their windows differ, or the
            trials ran on workers, which report scores, not per-origin losses). It
            does not allow for having picked the best of several trials, so a small p is weak
            evidence and a large one says the search found nothing beyond noise.
        interrupted: Ctrl-C ended the search early.
        worker: the tuner id when this process ran trials for a chief (then it wrote nothing and
            ``rows`` are the trials it ran), else ``None``.
        seconds: wall time of the search.
        searched: the names of the options searched.
    """

    out: Path
    rows: list[dict] = field(default_factory=list)
    best: FitOptions | None = None
    start_rmse: float = float("nan")
    best_rmse: float = float("nan")
    linear_rmse: float = float("nan")
    dm_p_vs_start: float | None = None
    interrupted: bool = False
    seconds: float = 0.0
    searched: list[str] = field(default_factory=list)
    worker: str | None = None


def trials_frame(rows: list[dict]) -> pd.DataFrame:
    """trials.csv: one row per finished trial."""
    columns = ["trial", *COLUMNS, "val_rmse", "epochs", "seconds"]
    return pd.DataFrame(rows, columns=columns)


class TrialRunner:
    """Prepares (with a cache), trains and scores one set of options on the validation split.

    Args:
        series: the validated CSV.
        verbose: Keras verbosity while training.
    """

    def __init__(self, series: Series, verbose: int = 0):
        self.series = series
        self.verbose = verbose
        self.cache: dict[tuple, object] = {}
        self.last: tuple[np.ndarray, np.ndarray] | None = None  # (actual, per-origin losses)

    def prepared(self, options: FitOptions):
        from forecast.training.preparation import prepare

        key = tuple(getattr(options, k) for k in DATA_KEYS)
        if key not in self.cache:
            self.cache[key] = prepare(self.series, options)
        return self.cache[key]

    def val_rmse(self, name: str, options: FitOptions) -> tuple[float, int]:
        """Train ``name`` with ``options``; return ``(validation RMSE, epochs run)``."""
        from forecast.evaluation.significance import origin_losses
        from forecast.training.fitting import train_one
        from forecast.training.inference import predict_part

        prepared = self.prepared(options)
        model, result = train_one(name, prepared, options, self.verbose)
        predicted = predict_part(model, prepared, "val")
        actual = prepared.actual("val")
        self.last = (actual, origin_losses(actual, predicted))
        return ev.rmse(actual, predicted), result.epochs_run


def tune(
    csv: Path,
    start: FitOptions,
    out: Path,
    trials: int = TUNE_TRIALS,
    budget_minutes: float = TUNE_BUDGET_MINUTES,
    overwrite: bool = False,
    verbose: int = 0,
    log: Callable[[str], None] = print,
    jobs: int = 1,
) -> TuneReport:
    """Search hyper-parameters of ``start.model`` on the validation split of ``csv``.

    No new trial starts once the budget would be exceeded by a trial of average length. Ctrl-C
    ends the search; the finished trials are written and the report says ``interrupted``.

    Where keras-tuner's ``KERASTUNER_*`` environment variables are set, this process is the
    chief (it serves the trials and writes ``out``) or a worker (it runs trials for the chief
    and writes nothing; the report has ``worker`` set); see ``forecast.commands.tune_cluster``.

    Args:
        csv: the input CSV.
        start: the starting options (trial 1); the options not searched stay as given.
        out: output directory for ``trials.csv``, ``best.toml`` and ``tuning.png``.
        trials: maximum number of trials.
        budget_minutes: wall-clock budget of the search.
        overwrite: replace an existing ``out``.
        verbose: Keras verbosity while training.
        log: where progress lines go.
        jobs: worker processes on this machine (``> 1``: a chief here and ``jobs`` workers on
            loopback; 1: the search runs in this process).
    """
    import tensorflow as tf

    from forecast.data.prepared import load_series_for

    tf.get_logger().setLevel("ERROR")  # retracing notes: each trial builds a new model by design
    start = start.plain()  # trial 1 at the fixed defaults; the search moves from there
    if trials < 1:
        raise ForecastError(f"--trials {trials} must be at least 1; use e.g. --trials 10")
    if not budget_minutes > 0:
        raise ForecastError(
            f"--budget-minutes {budget_minutes} must be > 0; use e.g. --budget-minutes 5"
        )
    if jobs < 1:
        raise ForecastError(f"--jobs {jobs} must be at least 1; use e.g. --jobs 2")
    who = cluster.role(os.environ)
    if jobs > 1 and who != "local":
        raise ForecastError(
            f"--jobs {jobs} starts its own chief and workers; unset {cluster.TUNER_ID}, "
            f"{cluster.ORACLE_IP} and {cluster.ORACLE_PORT} or leave out --jobs"
        )
    worker = who not in ("local", "chief")
    if not worker:
        runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, start)
    runner = TrialRunner(series, verbose)
    first = runner.prepared(start)  # bad options end here, before any training
    choices = space(start, series)
    log(
        f"tuning {start.model} on {len(first.starts['val'])} validation windows; search space: "
        + ", ".join(f"{k} {v}" for k, v in choices.items())
    )
    report = TuneReport(out=out, searched=list(choices))
    budget = budget_minutes * 60.0
    clock = time.perf_counter()
    losses: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # trial 1 and the best so far
    if worker:
        report.worker = who
        report.rows = cluster.worker_search(runner, start, choices, trials, budget, who, log)
        report.seconds = time.perf_counter() - clock
        return report
    if who == "chief" or jobs > 1:
        where = cluster.address(os.environ) if who == "chief" else "127.0.0.1:0"
        spawn = None
        if jobs > 1:
            config = Path(tempfile.mkdtemp(prefix="forecast-tune-jobs-"))
            (config / "start.toml").write_text(toml_text(start, "the chief's options"))
            command = tune_jobs.worker_command(
                csv, config / "start.toml", trials, budget_minutes, out
            )
            spawn = lambda port: tune_jobs.Workers(jobs, port, command, config)  # noqa: E731
        try:
            linear = lambda: linear_baseline(runner, start, log)  # noqa: E731
            cluster.chief_search(start, choices, trials, budget, report, linear, log, where, spawn)
        finally:
            if jobs > 1:
                shutil.rmtree(config, ignore_errors=True)
    else:
        report.linear_rmse = linear_baseline(runner, start, log)
        search_here(runner, start, choices, trials, budget, report, losses, log)
    report.seconds = time.perf_counter() - clock
    if not report.rows:
        if report.interrupted:
            raise KeyboardInterrupt("no trial had finished")
        raise ForecastError(
            f"--budget-minutes {budget_minutes:g} ended the search before its first trial; "
            "give more minutes"
        )
    report.dm_p_vs_start = dm_p_vs_start(report, losses, start.horizon)
    finish(report, start, series, csv)
    return report


def linear_baseline(runner: TrialRunner, start: FitOptions, log) -> float:
    """Validation RMSE of the linear model on the starting options' windows (logged)."""
    linear_rmse, _ = runner.val_rmse("linear", start)
    log(f"linear baseline val RMSE {linear_rmse:.4g}")
    return linear_rmse


def search_here(
    runner: TrialRunner,
    start: FitOptions,
    choices: dict[str, list],
    trials: int,
    budget: float,
    report: TuneReport,
    losses: dict,
    log: Callable[[str], None],
) -> None:
    """The search in this process: fills ``report.rows`` (and ``interrupted``) and keeps the
    per-origin validation losses of trial 1 and of the best trial in ``losses``."""
    clock = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - clock

    def mean_trial() -> float:
        return float(np.mean([r["seconds"] for r in report.rows])) if report.rows else 0.0

    def keep_going() -> bool:
        return elapsed() + mean_trial() <= budget

    def on_trial(options: FitOptions, trial_id: str) -> dict:
        began = time.perf_counter()
        rmse, epochs = runner.val_rmse(options.model, options)
        trial = len(report.rows) + 1
        if trial == 1 or rmse < min((r["val_rmse"] for r in report.rows), default=math.inf):
            for earlier in [k for k in losses if k != 1]:  # the best so far is beaten
                del losses[earlier]
            losses[trial] = runner.last
        row = make_row(trial, options, rmse, epochs, time.perf_counter() - began)
        report.rows.append(row)
        finite = [r["val_rmse"] for r in report.rows if math.isfinite(r["val_rmse"])]
        best = min(finite) if finite else float("nan")
        left = min(budget - elapsed(), mean_trial() * (trials - len(report.rows)))
        log(progress_line(len(report.rows), trials, rmse, best, left))
        return row

    project = Path(tempfile.mkdtemp(prefix="forecast-tune-"))
    try:
        oracle = make_oracle(start, choices, trials, keep_going)
        tuner = make_tuner(oracle, start, on_trial, project)
        try:
            tuner.search()
        except KeyboardInterrupt:
            report.interrupted = True
        except Exception:
            if tuner.error is not None:
                raise tuner.error from None
            raise
    finally:
        shutil.rmtree(project, ignore_errors=True)


def dm_p_vs_start(report: TuneReport, losses: dict, horizon: int) -> float | None:
    """``TuneReport.dm_p_vs_start`` from the saved ``(actual, per-origin losses)`` of trial 1 and
    of the best trial."""
    from forecast.evaluation.significance import dm_test

    finite = [r for r in report.rows if math.isfinite(r["val_rmse"])]
    best = min(finite, key=lambda r: r["val_rmse"])["trial"] if finite else 1
    if best == 1 or losses.get(best) is None or losses.get(1) is None:
        return None
    (actual_best, loss_best), (actual_start, loss_start) = losses[best], losses[1]
    if actual_best.shape != actual_start.shape or not np.array_equal(actual_best, actual_start):
        return None
    return dm_test(loss_best, loss_start, horizon).p_value


def finish(report: TuneReport, start: FitOptions, series: Series, csv: Path) -> None:
    """Choose the best finished trial and write ``trials.csv``, ``best.toml`` and
    ``tuning.png`` into ``report.out`` atomically."""
    import matplotlib.pyplot as plt

    from forecast.reporting.plots import save
    from forecast.reporting.terminal import p_text

    finite = [r for r in report.rows if math.isfinite(r["val_rmse"])]
    if not finite:
        raise ForecastError(
            "no trial reached a finite validation RMSE; try a smaller --learning-rate"
        )
    best_row = min(finite, key=lambda r: r["val_rmse"])
    report.start_rmse = next((r["val_rmse"] for r in report.rows if r["trial"] == 1), math.nan)
    report.best_rmse = best_row["val_rmse"]
    report.best = resolved(options_for(start, best_row), series)
    evidence = ""
    if report.dm_p_vs_start is not None:
        evidence = (
            f" (trial 1, the given options: {report.start_rmse:.6g}; validation DM "
            f"{p_text(report.dm_p_vs_start)} against the given options)"
        )
    header = (
        f"forecast tune: best of {len(report.rows)} trial(s) (trial {best_row['trial']}), "
        f"val RMSE {best_row['val_rmse']:.6g}{evidence}\n"
        f"reproduce: forecast fit {csv} --config {report.out / 'best.toml'}"
    )
    with runs.staged_dir(report.out) as tmp:
        trials_frame(report.rows).to_csv(tmp / "trials.csv", index=False, float_format="%.6g")
        (tmp / "best.toml").write_text(toml_text(report.best, header))
        fig, ax = plt.subplots(figsize=(7, 4))
        plot_tuning(ax, [r["val_rmse"] for r in report.rows], report.linear_rmse, start.model)
        ax.set_title(f"forecast tune {start.model}: validation RMSE per trial")
        fig.tight_layout()
        save(fig, tmp / "tuning.png")

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
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.commands.tune_space import (
    COLUMNS,
    DATA_KEYS,
    hyperparameters,
    options_for,
    resolved,
    space,
)
from forecast.config import TUNE_BUDGET_MINUTES, TUNE_TRIALS, FitOptions, toml_text
from forecast.data.io import Series
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.reporting.tune_plots import plot_tuning

CANDIDATES = 2000  # random points on which the acquisition is evaluated (see ``propose``)


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
            validation windows (``None`` when trial 1 is the best, or their windows differ). It
            does not allow for having picked the best of several trials, so a small p is weak
            evidence and a large one says the search found nothing beyond noise.
        interrupted: Ctrl-C ended the search early.
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


def progress_line(i: int, n: int, rmse: float, best: float, left_seconds: float) -> str:
    """``trial i/N  val RMSE x  best so far y  (time left ~m:ss)``."""
    left = max(0, int(round(left_seconds)))
    return (
        f"trial {i}/{n}  val RMSE {rmse:.4g}  best so far {best:.4g}  "
        f"(time left ~{left // 60}:{left % 60:02d})"
    )


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


def propose(oracle) -> dict | None:
    """The untried point that minimises the Gaussian process's lower confidence bound
    ``mu - beta * sigma`` over ``CANDIDATES`` random points of the space, or ``None``.

    keras-tuner's own ``populate_space`` minimises the same bound with 50 L-BFGS-B restarts on
    numerical gradients: 50-60 s per proposal on 2 busy CPU cores, a large share of a budget of
    a few minutes. One vectorised prediction over random candidates takes milliseconds, and the
    space is mostly discrete anyway. Proposals already tried are skipped.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    x, y = oracle._vectorize_trials()
    x = np.nan_to_num(x, posinf=0, neginf=0)
    y = np.nan_to_num(y, posinf=0, neginf=0)
    bounds = oracle._get_hp_bounds()
    candidates = oracle._random_state.uniform(
        bounds[:, 0], bounds[:, 1], size=(CANDIDATES, bounds.shape[0])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few points, a flat likelihood
        oracle.gpr.fit(x, y)
        mu, sigma = oracle.gpr.predict(candidates, return_std=True)
    for i in np.argsort(mu - oracle.beta * sigma):
        values = oracle._vector_to_values(candidates[i])
        if not oracle._duplicate(values):
            return values
    return None


def make_tuner(
    start: FitOptions,
    choices: dict[str, list],
    trials: int,
    keep_going: Callable[[], bool],
    on_trial: Callable[[FitOptions], dict],
    directory: Path,
):
    """A keras-tuner ``Tuner`` whose trials call ``on_trial(options)`` (which returns the
    trial's row, ``val_rmse`` included), driven by Bayesian optimisation that runs the starting
    options first and stops proposing trials once ``keep_going()`` is false."""
    import keras_tuner
    from keras_tuner.engine.trial import TrialStatus

    class StartFirstOracle(keras_tuner.oracles.BayesianOptimizationOracle):
        def populate_space(self, trial_id):
            if not keep_going():
                return {"status": TrialStatus.STOPPED, "values": None}
            if not self.trials:
                values = {k: getattr(start, k) for k in choices}
                return {"status": TrialStatus.RUNNING, "values": values}
            done = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED]
            if len(done) < self.num_initial_points:
                return self._random_populate_space()
            values = propose(self)
            if values is None:
                return self._random_populate_space()
            return {"status": TrialStatus.RUNNING, "values": values}

    class ForecastTuner(keras_tuner.Tuner):
        def run_trial(self, trial, *args, **kwargs):
            try:
                row = on_trial(options_for(start, trial.hyperparameters.values))
            except Exception as e:  # keras-tuner would log and swallow it
                self.error = e
                raise keras_tuner.errors.FatalError(str(e)) from e
            if not math.isfinite(row["val_rmse"]):
                raise keras_tuner.errors.FailedTrialError("validation RMSE is not finite")
            return row["val_rmse"]

    oracle = StartFirstOracle(
        objective=keras_tuner.Objective("val_rmse", direction="min"),
        max_trials=trials,
        num_initial_points=max(2, math.ceil(trials / 3)),
        hyperparameters=hyperparameters(choices, start),
        seed=start.seed,
        max_consecutive_failed_trials=trials + 1,
    )
    tuner = ForecastTuner(
        oracle=oracle, directory=str(directory), project_name="keras_tuner", overwrite=True
    )
    tuner.error = None
    oracle.verbose = 0  # our own progress line replaces keras-tuner's tables
    return tuner


def tune(
    csv: Path,
    start: FitOptions,
    out: Path,
    trials: int = TUNE_TRIALS,
    budget_minutes: float = TUNE_BUDGET_MINUTES,
    overwrite: bool = False,
    verbose: int = 0,
    log: Callable[[str], None] = print,
) -> TuneReport:
    """Search hyper-parameters of ``start.model`` on the validation split of ``csv``.

    No new trial starts once the budget would be exceeded by a trial of average length. Ctrl-C
    ends the search; the finished trials are written and the report says ``interrupted``.

    Args:
        csv: the input CSV.
        start: the starting options (trial 1); the options not searched stay as given.
        out: output directory for ``trials.csv``, ``best.toml`` and ``tuning.png``.
        trials: maximum number of trials.
        budget_minutes: wall-clock budget of the search.
        overwrite: replace an existing ``out``.
        verbose: Keras verbosity while training.
        log: where progress lines go.
    """
    import tensorflow as tf

    from forecast.data.prepared import load_series_for

    tf.get_logger().setLevel("ERROR")  # retracing notes: each trial builds a new model by design
    if trials < 1:
        raise ForecastError(f"--trials {trials} must be at least 1; use e.g. --trials 10")
    if not budget_minutes > 0:
        raise ForecastError(
            f"--budget-minutes {budget_minutes} must be > 0; use e.g. --budget-minutes 5"
        )
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, start)
    runner = TrialRunner(series, verbose)
    first = runner.prepared(start)  # bad options end here, before any training
    choices = space(start, series)
    log(
        f"tuning {start.model} on {len(first.starts['val'])} validation windows; search space: "
        + ", ".join(f"{k} {v}" for k, v in choices.items())
    )
    linear_rmse, _ = runner.val_rmse("linear", start)
    log(f"linear baseline val RMSE {linear_rmse:.4g}")

    report = TuneReport(out=out, linear_rmse=linear_rmse, searched=list(choices))
    budget = budget_minutes * 60.0
    clock = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - clock

    def mean_trial() -> float:
        return float(np.mean([r["seconds"] for r in report.rows])) if report.rows else 0.0

    def keep_going() -> bool:
        return elapsed() + mean_trial() <= budget

    losses: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # trial 1 and the best so far

    def on_trial(options: FitOptions) -> dict:
        began = time.perf_counter()
        rmse, epochs = runner.val_rmse(options.model, options)
        trial = len(report.rows) + 1
        if trial == 1 or rmse < min((r["val_rmse"] for r in report.rows), default=math.inf):
            for earlier in [k for k in losses if k != 1]:  # the best so far is beaten
                del losses[earlier]
            losses[trial] = runner.last
        row = {
            "trial": trial,
            **{k: getattr(options, k) for k in COLUMNS},
            "val_rmse": rmse,
            "epochs": epochs,
            "seconds": round(time.perf_counter() - began, 2),
        }
        report.rows.append(row)
        finite = [r["val_rmse"] for r in report.rows if math.isfinite(r["val_rmse"])]
        best = min(finite) if finite else float("nan")
        left = min(budget - elapsed(), mean_trial() * (trials - len(report.rows)))
        log(progress_line(len(report.rows), trials, rmse, best, left))
        return row

    project = Path(tempfile.mkdtemp(prefix="forecast-tune-"))
    try:
        tuner = make_tuner(start, choices, trials, keep_going, on_trial, project)
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
    report.seconds = elapsed()
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
    report.start_rmse = report.rows[0]["val_rmse"]
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

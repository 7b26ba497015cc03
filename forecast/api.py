"""The Python API: ``forecast.fit``, ``compare``, ``tune``, ``inspect``, ``load`` and the classic
comparison's experiments.

The CLI calls these same functions and only parses flags and prints, so a fit from Python with
the same options and seed gives the same metrics.json as ``forecast fit``. TensorFlow is imported
only when something trains or predicts. Errors raise ``ForecastError`` with the one-line message
the CLI prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast import runs
from forecast.config import AUTO, TUNE_BUDGET_MINUTES, TUNE_TRIALS, FitOptions, load_toml
from forecast.data.sources import data_file
from forecast.errors import ForecastError
from forecast.jobs import engine
from forecast.results import Backtest, BacktestComparison, Comparison, Run, _silent
from forecast.tracking import tracked

if TYPE_CHECKING:
    from forecast.commands.tune import TuneReport
    from forecast.experiments.memory import MemoryResult


def options_from(config: str | Path | None = None, **options) -> FitOptions:
    """Fit options: the defaults, overridden by a TOML ``config`` file, overridden by
    ``options`` (fit's flags with underscores; ``None`` values are ignored). An unknown name is an
    error that lists the known ones."""
    names = {f.name for f in dataclasses.fields(FitOptions)}
    unknown = sorted(k for k in options if k not in names)
    if unknown:
        raise ForecastError(
            f"unknown option(s) {', '.join(unknown)}; fit's options are {', '.join(sorted(names))}"
        )
    from forecast.models.registry import check_model

    base = FitOptions.from_dict(load_toml(Path(config))) if config else FitOptions()
    options = base.replace(**options)
    check_model(options.model)
    return options


def chief_lock(out: Path, options: FitOptions):
    """``<out>.lock`` for the chief; the other workers of a multi-worker run write nothing."""
    from forecast.training.distribute import is_chief

    return runs.out_lock(out) if is_chief(options.distribute) else contextlib.nullcontext()


@tracked("fit")
def fit(
    data,
    model: str | None = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    config: str | Path | None = None,
    verbose: int = 0,
    log=_silent,
    **options,
) -> Run:
    """Train one model, score it against the baselines on the test split, write its run directory.

    Args:
        data: a CSV or parquet path, or a pandas DataFrame (a ``DatetimeIndex`` or a time
            column; a copy is kept in the run directory so that ``Run.predict()`` works).
        model: ``rnn``, ``lstm``, ``gru``, ``hybrid`` or ``linear`` (default ``gru``).
        out: the run directory (default ``runs/<timestamp>-<model>``).
        overwrite: replace an existing ``out``.
        resume: continue the interrupted fit of ``out`` from its checkpoint.
        config: a TOML file of options; ``options`` override it.
        verbose: Keras verbosity (0 silent, 1 progress bar, 2 a line per epoch).
        log: where progress and notes go (default: nowhere; the notes are on ``Run.notes``).
        **options: fit's flags with underscores: ``window=``, ``horizon=``, ``target=``,
            ``epochs=``, ``units=``, ``seed=``, ``features=``, ``norm=``, ``calendar=`` ...

    Returns:
        The ``Run``.

    Raises:
        ForecastError: bad input, with the one-line message ``forecast fit`` prints.
    """
    from forecast.commands.fit import fit_run
    from forecast.commands.resume import resume_options

    if resume:
        if out is None:
            raise ForecastError("resume=True needs out=, the run directory to continue")
        overrides = load_toml(Path(config)) if config else {}
        opts = resume_options(Path(out), overrides, {"model": model, **options})
    else:
        opts = options_from(config, model=model, **options)
    out = Path(out) if out is not None else runs.default_run_dir(opts.model)
    # <out>.lock: a second fit or --resume of the same out is refused while this one lives
    with data_file(data) as path, chief_lock(out, opts):
        report = fit_run(
            path,
            opts,
            out,
            overwrite,
            verbose,
            log=log,
            resume=resume,
            bundle_data=isinstance(data, pd.DataFrame),
        )
    run = Run(report.run_dir, list(report.notes))
    run.__dict__["metrics"] = report.metrics
    return run


@tracked("compare", ("models", "seeds", "segments", "folds", "fold_size", "refit", "jobs"))
def compare(
    data,
    models: list[str] | str | None = None,
    seeds: int = 3,
    *,
    segments: str | list[int] = "auto",
    folds: int | None = None,
    fold_size: int | None = None,
    refit: str = "every",
    jobs: int = 1,
    cluster: str | None = None,
    cluster_shared_path: bool = False,
    out: str | Path | None = None,
    overwrite: bool = False,
    config: str | Path | None = None,
    verbose: int = 0,
    log=_silent,
    **options,
) -> Comparison | BacktestComparison:
    """Train every architecture in ``models`` with ``seeds`` seeds on identical windows and compare
    them with the baselines (``forecast compare``).

    Args:
        data: a CSV or parquet path, or a pandas DataFrame.
        models: architectures (default ``rnn, lstm, gru, hybrid``), a list or ``"a,b"``.
        seeds: seeds per architecture (``seed``, ``seed + 1``, ...).
        segments: segment lengths of the recurrent models (``[1, 7]``; ``"auto"``: as the CLI).
        folds, fold_size, refit: backtest every architecture on ``folds`` folds (as ``backtest``).
        jobs: runs trained at once in worker processes; ``cluster``: a Dask scheduler's address
            (docs/cluster.md; ``cluster_shared_path``: the data's path is valid on its workers).
        out: the directory (default ``runs/<timestamp>-compare``); the rest as for ``fit``.

    Returns:
        The ``Comparison``, or with ``folds`` a ``BacktestComparison``. After Ctrl-C
        (``KeyboardInterrupt``) a ``Comparison`` compares the runs that had finished and
        ``interrupted`` is true; with none finished, ``KeyboardInterrupt`` is raised.
    """
    from forecast.commands.compare import compare as compare_command
    from forecast.commands.compare_plan import ComparePlan, parse_models

    names = parse_models(models if models is None or isinstance(models, str) else ",".join(models))
    plan = ComparePlan(names, seeds, segments if isinstance(segments, str) else tuple(segments))
    opts = options_from(config, **options)
    out = Path(out) if out is not None else runs.default_run_dir("compare")
    where = engine(cluster, cluster_shared_path, jobs, opts.distribute)
    if folds is not None:
        from forecast.commands.fold_compare import compare_folds

        with data_file(data) as path, where as on:
            report = compare_folds(
                path, opts, plan, out, folds, fold_size, refit, overwrite, verbose, log, jobs, on
            )
        return BacktestComparison(
            report.out, report.rows, report.result, report.notes, report.interrupted
        )
    with data_file(data) as path, chief_lock(out, opts), where as on:
        bundle = isinstance(data, pd.DataFrame)
        result = compare_command(
            path, opts, plan, out, overwrite, verbose, log, bundle, jobs, cluster=on
        )
    return Comparison(
        result.out, result.rows, result.models, list(result.notes), result.interrupted
    )


@tracked("backtest", ("folds", "fold_size", "refit", "jobs", "only_folds"))
def backtest(
    data,
    model: str | None = None,
    *,
    folds: int = 5,
    fold_size: int | None = None,
    refit: str = "every",
    jobs: int = 1,
    cluster: str | None = None,
    cluster_shared_path: bool = False,
    only_folds: list[int] | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    config: str | Path | None = None,
    verbose: int = 0,
    log=_silent,
    **options,
) -> Backtest:
    """Rolling-origin backtest (``forecast backtest``): ``folds`` expanding-window folds whose
    test blocks of ``fold_size`` rows cover the end of the series; each fold trains on every row
    before its validation block (``refit="every"``, or once on the first fold's rows with
    ``refit="once"``) and never reads a row after its test block.

    Args:
        data: a CSV or parquet path, or a pandas DataFrame.
        model: the architecture (default ``gru``).
        folds: number of folds ``K``.
        fold_size: rows per test (and validation) block; default: the fit's test share of the
            rows divided by ``K``, at least ``horizon`` plus a few origins.
        refit: ``"every"`` (retrain per fold) or ``"once"``.
        jobs, cluster, cluster_shared_path: worker processes or a Dask cluster, as ``compare``.
        only_folds: run only these (1-based) of the ``K`` folds; join them: ``merge_backtests``.
        out: the directory (default ``runs/<timestamp>-backtest-<model>``); the rest as for fit.

    Returns:
        A ``Backtest``: ``path``, ``summary``, ``folds`` (one row per fold and forecaster).
    """
    from forecast.commands.backtest import backtest as backtest_command

    opts = options_from(config, model=model, **options)
    out = Path(out) if out is not None else runs.default_run_dir(f"backtest-{opts.model}")
    only = tuple(only_folds) if only_folds else None
    with data_file(data) as path, engine(cluster, cluster_shared_path, jobs, opts.distribute) as on:
        report = backtest_command(
            path, opts, out, folds, fold_size, refit, overwrite, verbose, log, jobs, only, on
        )
    return Backtest(
        report.out,
        report.result["summary"],
        report.table,
        report.result,
        report.notes,
        report.interrupted,
    )


def merge_backtests(
    parts: list[str | Path], out: str | Path, overwrite: bool = False
) -> Backtest | BacktestComparison:
    """Join backtests run as separate jobs (``only_folds``, one model each, or whole
    ``compare(folds=K)`` directories) into ``out``: a ``Backtest`` when they hold one model and
    seed, else a ``BacktestComparison``. The pooled tests are recomputed from every origin."""
    from forecast.commands.backtest_merge import merge

    report = merge([Path(p) for p in parts], Path(out), overwrite)
    if hasattr(report, "table"):
        return Backtest(report.out, report.result["summary"], report.table, report.result)
    return BacktestComparison(report.out, report.rows, report.result)


def load(path: str | Path) -> Run | Comparison | Backtest | BacktestComparison:
    """A saved run directory as a ``Run``, a comparison directory as a ``Comparison`` (with
    ``--folds``: a ``BacktestComparison``), a backtest directory as a ``Backtest``."""
    from forecast.results import load_backtest

    path = Path(path)
    if (path / "comparison.json").is_file():
        summary = runs.read_json(path, "comparison.json")
        interrupted = bool(summary.get("interrupted"))
        if "fold_blocks" in summary:  # compare --folds
            return BacktestComparison(path, summary["rows"], summary, [], interrupted)
        return Comparison(path, summary["rows"], interrupted=interrupted)
    if (path / "backtest.json").is_file():
        return load_backtest(path)
    if not (path / "metrics.json").is_file():
        raise ForecastError(
            f"{path} is not a run directory (no metrics.json); pass a directory written by "
            "forecast fit, compare or backtest"
        )
    run = Run(path)
    notes = run.metrics.get("notes")
    run.notes = list(notes) if isinstance(notes, list) else []
    return run


@tracked("tune", ("model", "trials", "budget_minutes", "jobs"), fit_options=True)
def tune(
    data,
    model: str | None = None,
    *,
    trials: int = TUNE_TRIALS,
    budget_minutes: float = TUNE_BUDGET_MINUTES,
    jobs: int = 1,
    out: str | Path | None = None,
    overwrite: bool = False,
    config: str | Path | None = None,
    verbose: int = 0,
    log=_silent,
    **options,
) -> TuneReport:
    """Search window, units, layers, learning rate, batch size, norm and calendar of ``model``
    on the validation split (``forecast tune``; the test split is never read). ``jobs > 1``
    runs that many trials at once in worker processes (keras-tuner's chief/worker mode on
    loopback); with keras-tuner's ``KERASTUNER_*`` variables set this process is the chief or a
    worker of a search across machines (docs/cluster.md; a worker's report has ``worker`` set
    and nothing is written).

    Returns:
        A ``TuneReport``: ``best`` (the options), ``best_rmse``, ``start_rmse``, ``linear_rmse``,
        ``rows`` (one per trial), ``out`` (trials.csv, best.toml, tuning.png).
    """
    from forecast.commands.tune import tune as tune_command

    opts = options_from(config, model=model, **options)
    if AUTO in (opts.window, opts.segment):
        raise ForecastError(
            "tune searches the window itself and trains at one segment length; give numbers for "
            "--window and --segment (e.g. --window 30 --segment 1)"
        )
    out = Path(out) if out is not None else runs.default_run_dir(f"tune-{opts.model}")
    with data_file(data) as path:
        return tune_command(
            path, opts, out, trials, budget_minutes, overwrite, verbose, log, jobs=jobs
        )


def inspect(
    data,
    *,
    target: str | None = None,
    time_col: str | None = None,
    dayfirst: bool | None = None,
    season: int | None = None,
    horizon: int = FitOptions().horizon,
    series: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
) -> dict:
    """Look at a series before fitting (``forecast inspect``): span, frequency, gaps, outliers,
    suggested season and window, trend and seasonal strength, the baselines' errors. Writes
    inspect.json and inspect.png to ``out`` and returns the facts (``notes``: what was assumed)."""
    from forecast.commands.inspect import inspect_file

    FitOptions(horizon=horizon, season=season)  # validates the numbers
    out = Path(out) if out is not None else runs.default_run_dir("inspect")
    with data_file(data) as path:
        facts, notes = inspect_file(
            path, out, target, time_col, dayfirst, season, horizon, overwrite, series
        )
    return {**facts, "notes": notes}


def architectures(
    window: int = FitOptions().plain().window,
    horizon: int = FitOptions().horizon,
    units: int = FitOptions().units,
    features: int = 1,
    segment: int = 1,
) -> pd.DataFrame:
    """Every architecture of the registry with its parameter formula, the count the formula gives,
    the count Keras reports for these shapes, and a one-line description (``forecast models``).
    ``segment`` > 1: the segment-wise models (formulas with ``E``, see ``SEGMENT_EXTRA``)."""
    from forecast.models.gate_costs import parameter_table

    FitOptions(window=window, horizon=horizon, units=units, segment=segment)  # validates
    return parameter_table(window, horizon, units, features, segment)


def memory_test(
    models: list[str] | str | None = None,
    lengths: list[int] | None = None,
    *,
    seeds: int = 3,
    seed: int = 42,
    units: int | None = None,
    batch_size: int | None = None,
    max_steps: int | None = None,
    quick: bool = False,
    out: str | Path | None = None,
    overwrite: bool = False,
    log=_silent,
) -> MemoryResult:
    """The adding problem (``forecast compare --task memory``): can each architecture add two
    marked values that lie up to ``L`` steps apart? Plus the gradient reaching each input step.

    Args:
        models: architectures (default ``rnn, lstm, gru, hybrid``).
        lengths: sequence lengths ``L`` (default 10, 50, 100, 200; 5, 10 with ``quick``).
        seeds: seeds per cell (``seed``, ``seed + 1``, ...).
        units, batch_size, max_steps: the training budget of each cell.
        quick: the tiny CI budget.
        out: write memory.json, memory.png, gradients.json and gradients.png there (``None``:
            nothing is written).

    Returns:
        A ``MemoryResult``: ``rows`` (one per model, length and seed: ``mse``, ``solved``,
        ``steps``, ``seconds``), ``histories``, ``gradients`` and ``settings``.
    """
    from forecast.commands.compare_plan import parse_models
    from forecast.experiments.memory_run import memory_settings, run_memory

    names = parse_models(models if models is None or isinstance(models, str) else ",".join(models))
    settings = memory_settings(quick, units, batch_size, max_steps)
    out = Path(out) if out is not None else None
    return run_memory(names, lengths, out, seeds, seed, quick, settings, overwrite, log)

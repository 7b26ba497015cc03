"""``forecast compare``: every architecture, several seeds each, on identical windows, in one table
with the baselines as rows, written as comparison.csv / .json / .md beside one run directory per
(model, seed).

The data are prepared once; the linear baseline is trained once; every model is scored on the same
test windows against the same baselines. ``--jobs N`` trains N runs at a time in worker processes
(``forecast.commands.compare_runs``), with the same numbers as one at a time. The whole output
directory is staged and renamed into place only when complete (or, after Ctrl-C, with the runs that
had finished).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands.compare_plan import ComparePlan, cell_name
from forecast.commands.compare_runs import (
    RunOutcome,
    RunTask,
    Shared,
    run_cost,
    run_in_worker,
    save_shared,
    train_run,
)
from forecast.commands.final_model import refit_best
from forecast.commands.run_writer import BUNDLED_DATA
from forecast.config import AUTO, FitOptions, with_gbm
from forecast.data.prepared import load_series_for
from forecast.data.split import require_test
from forecast.errors import ForecastError
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.comparison import (
    ALPHA,
    ModelRuns,
    add_significance,
    comparison_rows,
    row_losses,
    series_rmse,
)
from forecast.evaluation.gbm import gbm_forecast
from forecast.evaluation.verdict import decide_compare
from forecast.jobs import Interrupted, check_jobs, run_tasks, worker_threads
from forecast.reporting.tables import LOSES, NEAR_BEST, markdown_table
from forecast.training.defaults import by_the_data
from forecast.training.distribute import describe, get_strategy, is_chief
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare
from forecast.training.search import choose_on_validation
from forecast.training.selection import season_of


@dataclass
class CompareResult:
    out: Path
    rows: list[dict]
    models: dict[str, ModelRuns]
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C: only the runs that had finished
    finished: int = 0  # runs in the comparison
    total: int = 0  # runs asked for


def compare(
    csv: Path,
    options: FitOptions,
    plan: ComparePlan,
    out: Path,
    overwrite: bool = False,
    verbose: int = 0,
    log=print,
    bundle_data: bool = False,
    jobs: int = 1,
    cluster=None,
) -> CompareResult:
    """Train every cell of ``plan`` on ``csv`` and write the comparison directory ``out``
    (``bundle_data``: with one copy of ``csv`` that every run's config.json points to), ``jobs``
    runs at a time (``forecast.jobs``), or on a Dask ``cluster`` (``forecast.cluster``).

    Ctrl-C keeps the runs that had finished: ``out`` is written with them and a comparison of
    the cells that have at least one (``interrupted``); with none finished, nothing is written.
    """
    if plan.seeds < 1:
        raise ForecastError(f"--seeds {plan.seeds} must be a positive integer; use e.g. --seeds 3")
    check_jobs_for(jobs, options)
    require_test(options.split, "compare scores every model")
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, options)
    # the data may set the window (auto for sub-daily rows); norm and loss keep fit's fixed
    # defaults here: every run of the comparison shares one preparation
    fixed = options.replace(norm=options.norm or "window", loss=options.loss or "mse")
    options = by_the_data(series, fixed).options
    get_strategy(options.distribute)  # before any TensorFlow op (prepare may train a ridge model)
    if options.window == AUTO:  # one window for every model: the linear baseline's choice
        linear = options.replace(model="linear", segment=1)
        chosen = choose_on_validation(series, linear, 0, log).options.window
        options = options.replace(window=chosen)
        log(f"window {chosen}: the linear baseline's best on validation, used by every model")
    plan = plan.resolved(options, season_of(series, options))
    seeds, cells = plan.seeds, plan.cells()
    prepared = prepare(series, options)
    for note in series.notes:  # after prepare: it notes series too short for the window
        log(f"note: {note}")
    counts = {part: len(s) for part, s in prepared.starts.items()}
    log(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(window {options.window}, horizon {options.horizon}), {len(cells)} model(s) x "
        f"{seeds} seed(s)"
    )
    for line in describe(options.distribute, options.mixed_precision):
        log(line)
    baselines = naive_baselines(prepared)
    log("training the linear baseline once ...")
    linear_model, linear_result = train_one(  # segments do not apply (no recurrence)
        "linear", prepared, options.replace(model="linear", segment=1), verbose=0
    )
    baselines["linear"] = predict_part(linear_model, prepared)
    linear_val = predict_part(linear_model, prepared, "val")  # for every run's combination
    if with_gbm(options, default=True):  # compare shows it unless --baselines -gbm
        log("fitting the gradient-boosting baseline once ...")
        baselines["gbm"] = gbm_forecast(prepared, options.seed, options.calendar != "none")

    shared = Shared(prepared, linear_model, baselines, linear_val)
    # the non-chief workers of a multi-worker run train alongside the chief but write nothing
    chief = is_chief(options.distribute)
    with runs.staged_dir(out) if chief else runs.scratch_dir() as tmp:
        recorded = None
        if bundle_data:
            shutil.copyfile(csv, tmp / BUNDLED_DATA)
            recorded = f"../{BUNDLED_DATA}"
        quiet = jobs > 1 or cluster is not None
        tasks = run_tasks_of(csv, options, plan, tmp, 0 if quiet else verbose, recorded)
        outcomes, interrupted = train_runs(tasks, shared, jobs, seeds, log, cluster)
        if interrupted:  # runs cut short while being written
            for partial in tmp.glob(".*.partial"):
                shutil.rmtree(partial, ignore_errors=True)
        results = collect(outcomes, cells)
        rows = comparison_rows(results, linear_model, options)
        add_significance(rows, row_losses(results, prepared.actual("test"), baselines), options)
        write_comparison(
            tmp, rows, results, prepared, baselines, csv, options, seeds, interrupted=interrupted
        )
        refit_best(tmp, results, prepared, linear_result, verbose, log)  # predict's model
    return CompareResult(out, rows, results, series.notes, interrupted, len(outcomes), len(tasks))


def check_jobs_for(jobs: int, options: FitOptions) -> None:
    """``--jobs`` is a positive integer, and more than 1 only without ``--distribute``."""
    check_jobs(jobs)
    if jobs > 1 and options.distribute != "none":
        raise ForecastError(
            f"--jobs {jobs} and --distribute {options.distribute} do not mix (--distribute "
            "spreads one training over devices or machines, --jobs runs several trainings side by "
            "side); use --jobs 1 with --distribute, or drop --distribute"
        )


def run_tasks_of(
    csv: Path, options: FitOptions, plan: ComparePlan, tmp: Path, verbose: int, recorded
) -> list[RunTask]:
    """One ``RunTask`` per cell of ``plan`` and seed, in table order, writing into ``tmp``."""
    tasks = []
    for name, segment in plan.cells():
        for k in range(plan.seeds):
            # an ensemble of K uses seeds seed … seed + K - 1: runs must not share members
            opts = options.replace(model=name, seed=options.seed + k * options.ensemble)
            opts = opts.replace(segment=segment)
            cell = cell_name(name, segment)
            run_dir = tmp / f"{cell}-seed{opts.seed}"
            tasks.append(RunTask(len(tasks), csv, options, opts, cell, run_dir, verbose, recorded))
    return tasks


def train_runs(tasks: list[RunTask], shared: Shared, jobs: int, seeds: int, log, cluster=None):
    """Train every task, ``jobs`` at a time (or on ``cluster``). Returns ``(outcomes,
    interrupted)``: on Ctrl-C the runs that had finished, if any (with none, ``KeyboardInterrupt``
    is raised again)."""
    total, started = len(tasks), time.monotonic()

    def here(task: RunTask) -> RunOutcome:
        k = task.index % seeds
        log(
            f"run {task.index + 1} of {total}: training {task.cell} seed {task.options.seed} "
            f"({k + 1}/{seeds}){time_left(started, task.index, total)} ..."
        )
        return train_run(task, shared)

    with contextlib.ExitStack() as stack:
        fn, on_done = here, None
        if cluster is not None or (jobs > 1 and total > 1):
            scratch = stack.enter_context(runs.scratch_dir())
            save_shared(scratch, shared)
            tasks = [replace(t, shared=scratch) for t in tasks]
            fn, on_done = run_in_worker, progress(tasks, started, log)
            workers = min(jobs, total)
            log(
                f"training {total} runs on {cluster.describe()} ..."
                if cluster is not None
                else f"training {total} runs, {workers} at a time in worker processes "
                f"({worker_threads(workers)[0]} intra-op thread(s) each) ..."
            )
        costs = [run_cost(t.options, len(shared.prepared.prep.columns)) for t in tasks]
        try:
            return run_tasks(fn, tasks, jobs, on_done, costs, cluster), False
        except Interrupted as e:
            if not e.finished:
                raise KeyboardInterrupt("no run had finished") from None
            log(f"interrupted: {len(e.finished)} of {total} run(s) had finished; comparing those")
            return [e.finished[i] for i in sorted(e.finished)], True


def progress(tasks: list[RunTask], started: float, log):
    """``on_done`` of ``run_tasks``: a line per finished run, with the time left."""
    done = []

    def on_done(i: int, outcome: RunOutcome) -> None:
        done.append(i)
        task = tasks[i]
        log(
            f"run {len(done)} of {len(tasks)} finished: {task.cell} seed {task.options.seed}, "
            f"test RMSE {outcome.metrics['rmse']:.4g}{time_left(started, len(done), len(tasks))}"
        )

    return on_done


def collect(outcomes: list[RunOutcome], cells) -> dict[str, ModelRuns]:
    """The finished runs as ``ModelRuns`` per cell, seeds in order; cells without a finished run
    are left out."""
    results = {cell_name(*c): ModelRuns(cell_name(*c)) for c in cells}
    for outcome in sorted(outcomes, key=lambda o: o.index):
        r = results[outcome.cell]
        r.metrics.append(outcome.metrics)
        r.histories.append(outcome.history)
        r.losses.append(outcome.losses)
        if outcome.combined_losses is not None:
            r.combined_losses.append(outcome.combined_losses)
        if r.predicted is None:
            r.predicted = outcome.predicted
    return {name: r for name, r in results.items() if r.metrics}


def time_left(started: float, done: int, total: int) -> str:
    """``", about 3m20s left"`` from the mean time of the ``done`` runs so far (``""`` before
    the first run has finished)."""
    from forecast.training.train import duration

    if done == 0:
        return ""
    per_run = (time.monotonic() - started) / done
    return f", about {duration(per_run * (total - done))} left"


INTERRUPTED_NOTE = (
    "**Interrupted** (Ctrl-C): only the runs that had finished are compared (comparison.json "
    "`runs`); a model without a finished run has no row."
)


def write_comparison(
    tmp: Path,
    rows,
    results,
    prepared,
    baselines,
    csv: Path,
    options: FitOptions,
    seeds: int,
    interrupted: bool = False,
) -> None:
    """comparison.csv / .json / .md and the comparison plots into ``tmp`` (``interrupted``: of
    the runs that had finished when Ctrl-C came)."""
    from forecast.reporting.compare_plots import save_compare_plots
    from forecast.reporting.html import write_compare_report

    flat = [{k: v for k, v in r.items() if not isinstance(v, list)} for r in rows]
    pd.DataFrame(flat).to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
    best = next(r["model"] for r in rows if r["best"])
    decision = decide_compare(rows)
    best_model = decision.model  # the best architecture, by the score that decides
    persistence = next(r for r in rows if r["model"] == "persistence")["rmse"]
    runs.write_json(
        tmp / "comparison.json",
        {
            "csv": str(csv),
            "target": prepared.prep.target,
            "window": prepared.prep.window,
            "horizon": prepared.prep.horizon,
            "seeds": [options.seed + k * options.ensemble for k in range(seeds)],
            "n_test_windows": int(len(prepared.starts["test"])),
            "best": best,
            "best_model": best_model,
            "persistence_rmse": persistence,
            "options": options.to_dict(),
            "rows": rows,
            "runs": {n: [f"{n}-seed{m['seed']}" for m in r.metrics] for n, r in results.items()},
            "interrupted": interrupted,
            "verdict": decision.to_dict(),
            **series_rmse(results),
        },
    )
    md = [
        f"# Comparison on {Path(csv).name}: target {prepared.prep.target}, window "
        f"{prepared.prep.window}, horizon {prepared.prep.horizon}, {seeds} seed(s)",
        "",
        markdown_table(rows),
        "",
        f"RMSE and MAE: mean ± sd over seeds, original units, {len(prepared.starts['test'])} test "
        "windows. skill = 1 - RMSE / persistence RMSE. cov80/cov95: empirical test coverage of "
        f"conformal intervals. Best (models and baselines): **{best}**; best model: {best_model}. "
        f"{NEAR_BEST}: not significantly different from the best (Diebold-Mariano, HLN-corrected, "
        f"p >= {ALPHA:g}; dm_p_vs_best in comparison.csv; a model's per-origin losses are "
        f"averaged over its seeds). Rows marked {LOSES} do no better than repeating the last "
        "value.",
    ]
    if decision.metric != "rmse":
        md[-1] += (
            " With --series, BEST and LOSES are judged on the mean MASE over the series (each "
            "series' MAE over its in-sample seasonal naive error, averaged; mean sMAPE alike); "
            "RMSE and MAE pool every series' test windows in the target's units."
        )
    if interrupted:
        md += ["", INTERRUPTED_NOTE]
    (tmp / "comparison.md").write_text("\n".join(md) + "\n")
    save_compare_plots(tmp, rows, results, prepared, baselines)
    write_compare_report(tmp, rows, runs.read_json(tmp, "comparison.json"))

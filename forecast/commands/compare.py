"""``forecast compare``: every architecture, several seeds each, on identical windows, in one table
with the baselines as rows, written as comparison.csv / .json / .md beside one run directory per
(model, seed).

The data are prepared once; the linear baseline is trained once; every model is scored on the same
test windows against the same baselines. The whole output directory is staged and renamed into place
only when complete.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.commands.compare_plan import ComparePlan, cell_name
from forecast.commands.fit import combination_for, score_with_bands
from forecast.commands.run_writer import BUNDLED_DATA, RunOutputs, write_run
from forecast.config import AUTO, FitOptions, with_gbm
from forecast.data.prepared import load_series_for
from forecast.errors import ForecastError
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.combination import combined
from forecast.evaluation.comparison import (
    ALPHA,
    ModelRuns,
    add_significance,
    comparison_rows,
    row_losses,
    series_rmse,
)
from forecast.evaluation.gbm import gbm_forecast
from forecast.evaluation.significance import origin_losses
from forecast.reporting.tables import LOSES, NEAR_BEST, markdown_table
from forecast.training.distribute import describe, get_strategy, is_chief
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare
from forecast.training.selection import choose_on_validation, season_of


@dataclass
class CompareResult:
    out: Path
    rows: list[dict]
    models: dict[str, ModelRuns]
    notes: list[str] = field(default_factory=list)


def latency_per_window(model, prepared) -> float:
    """Seconds per test window of ``predict`` (batched), after a warm-up call."""
    predict_part(model, prepared)
    start = time.perf_counter()
    predict_part(model, prepared)
    return (time.perf_counter() - start) / len(prepared.starts["test"])


def compare(
    csv: Path,
    options: FitOptions,
    plan: ComparePlan,
    out: Path,
    overwrite: bool = False,
    verbose: int = 0,
    log=print,
    bundle_data: bool = False,
) -> CompareResult:
    """Train every cell of ``plan`` on ``csv`` and write the comparison directory ``out``
    (``bundle_data``: with one copy of ``csv`` that every run's config.json points to)."""
    if plan.seeds < 1:
        raise ForecastError(f"--seeds {plan.seeds} must be a positive integer; use e.g. --seeds 3")
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, options)
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
    linear_model, _ = train_one("linear", prepared, options.replace(model="linear"), verbose=0)
    baselines["linear"] = predict_part(linear_model, prepared)
    linear_val = predict_part(linear_model, prepared, "val")  # for every run's combination
    if with_gbm(options, default=True):  # compare shows it unless --baselines -gbm
        log("fitting the gradient-boosting baseline once ...")
        baselines["gbm"] = gbm_forecast(prepared, options.seed, options.calendar != "none")

    results = {cell_name(*c): ModelRuns(cell_name(*c)) for c in cells}
    started, total = time.monotonic(), len(cells) * seeds
    # the non-chief workers of a multi-worker run train alongside the chief but write nothing
    chief = is_chief(options.distribute)
    with runs.staged_dir(out) if chief else runs.scratch_dir() as tmp:
        recorded = None
        if bundle_data:
            shutil.copyfile(csv, tmp / BUNDLED_DATA)
            recorded = f"../{BUNDLED_DATA}"
        for j, (name, segment) in enumerate(cells):
            cell = cell_name(name, segment)
            for k in range(seeds):
                # an ensemble of K uses seeds seed … seed + K - 1: runs must not share members
                seed = options.seed + k * options.ensemble
                opts = options.replace(model=name, seed=seed, segment=segment)
                done = j * seeds + k
                log(
                    f"run {done + 1} of {total}: training {cell} seed {opts.seed} "
                    f"({k + 1}/{seeds}){time_left(started, done, total)} ..."
                )
                run_name = f"{cell}-seed{opts.seed}"
                board = tmp / "tensorboard" / run_name if opts.tensorboard else None
                model, result = train_one(name, prepared, opts, verbose, log_dir=board)
                predicted, metrics, widths = score_with_bands(
                    opts, prepared, model, result, baselines
                )
                metrics["seed"] = opts.seed
                metrics["seconds_per_epoch"] = float(np.mean(result.epoch_seconds))
                metrics["latency_seconds_per_window"] = latency_per_window(model, prepared)
                if opts.combine == "linear" and name != "linear":
                    metrics["combination"] = combination_for(
                        prepared, model, linear_val, predicted, baselines
                    )
                run_dir = tmp / run_name
                run_dir.mkdir()
                outputs = RunOutputs(
                    csv, opts, prepared, model, linear_model, result, predicted, baselines, metrics
                )
                write_run(run_dir, replace(outputs, widths=widths, recorded_data=recorded))
                r = results[cell]
                r.metrics.append(metrics)
                r.histories.append(result.history)
                r.losses.append(origin_losses(prepared.actual("test"), predicted))
                if "combination" in metrics:
                    w = metrics["combination"]["weight"]
                    mixed = combined(predicted, baselines["linear"], w)
                    r.combined_losses.append(origin_losses(prepared.actual("test"), mixed))
                if r.predicted is None:
                    r.predicted = predicted
        rows = comparison_rows(results, linear_model, options)
        add_significance(rows, row_losses(results, prepared.actual("test"), baselines), options)
        write_comparison(tmp, rows, results, prepared, baselines, csv, options, seeds)
    return CompareResult(out, rows, results, series.notes)


def time_left(started: float, done: int, total: int) -> str:
    """``", about 3m20s left"`` from the mean time of the ``done`` runs so far (``""`` before
    the first run has finished)."""
    from forecast.training.train import duration

    if done == 0:
        return ""
    per_run = (time.monotonic() - started) / done
    return f", about {duration(per_run * (total - done))} left"


def write_comparison(
    tmp: Path, rows, results, prepared, baselines, csv: Path, options: FitOptions, seeds: int
) -> None:
    """comparison.csv / .json / .md and the comparison plots into ``tmp``."""
    from forecast.reporting.compare_plots import save_compare_plots
    from forecast.reporting.html import write_compare_report

    flat = [{k: v for k, v in r.items() if not isinstance(v, list)} for r in rows]
    pd.DataFrame(flat).to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
    best = next(r["model"] for r in rows if r["best"])
    best_model = min((r for r in rows if r["kind"] == "model"), key=lambda r: r["rmse"])["model"]
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
    (tmp / "comparison.md").write_text("\n".join(md) + "\n")
    save_compare_plots(tmp, rows, results, prepared, baselines)
    write_compare_report(tmp, rows, runs.read_json(tmp, "comparison.json"))

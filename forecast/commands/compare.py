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
from forecast.commands.fit import score_with_bands
from forecast.commands.run_writer import BUNDLED_DATA, RunOutputs, write_run
from forecast.config import FitOptions, with_gbm
from forecast.data.prepared import load_series_for
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.gbm import gbm_forecast
from forecast.evaluation.significance import dm_test, origin_losses
from forecast.models.registry import REGISTRY
from forecast.reporting.tables import LOSES, NEAR_BEST, markdown_table
from forecast.training.distribute import describe, get_strategy, is_chief
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare

DEFAULT_MODELS = ("rnn", "lstm", "gru", "hybrid")


ALPHA = 0.05  # significance level of "not significantly different from the best"


def parse_models(text: str | None) -> list[str]:
    """``"rnn,lstm"`` → ``["rnn", "lstm"]``, each checked against the registry."""
    names = [m.strip() for m in (text or ",".join(DEFAULT_MODELS)).split(",") if m.strip()]
    unknown = [m for m in names if m not in REGISTRY]
    if unknown or not names:
        raise ForecastError(
            f"--models {text!r}: unknown model(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(REGISTRY)}"
        )
    return list(dict.fromkeys(names))


@dataclass
class ModelRuns:
    """Every seed of one architecture: metrics, histories, the first seed's forecast and every
    seed's per-origin test losses ``(n_windows,)``."""

    name: str
    metrics: list[dict] = field(default_factory=list)
    histories: list[dict] = field(default_factory=list)
    predicted: np.ndarray | None = None
    losses: list[np.ndarray] = field(default_factory=list)


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
    models: list[str],
    seeds: int,
    out: Path,
    overwrite: bool = False,
    verbose: int = 0,
    log=print,
    bundle_data: bool = False,
) -> CompareResult:
    """Train ``models`` × ``seeds`` on ``csv`` and write the comparison directory ``out``
    (``bundle_data``: with one copy of ``csv`` that every run's config.json points to)."""
    if seeds < 1:
        raise ForecastError(f"--seeds {seeds} must be a positive integer; use e.g. --seeds 3")
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, options)
    get_strategy(options.distribute)  # before any TensorFlow op (prepare may train a ridge model)
    prepared = prepare(series, options)
    for note in series.notes:  # after prepare: it notes series too short for the window
        log(f"note: {note}")
    counts = {part: len(s) for part, s in prepared.starts.items()}
    log(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(window {options.window}, horizon {options.horizon}), {len(models)} model(s) x "
        f"{seeds} seed(s)"
    )
    for line in describe(options.distribute, options.mixed_precision):
        log(line)
    baselines = naive_baselines(prepared)
    log("training the linear baseline once ...")
    linear_model, _ = train_one("linear", prepared, options.replace(model="linear"), verbose=0)
    baselines["linear"] = predict_part(linear_model, prepared)
    if with_gbm(options, default=True):  # compare shows it unless --baselines -gbm
        log("fitting the gradient-boosting baseline once ...")
        baselines["gbm"] = gbm_forecast(prepared, options.seed, options.calendar != "none")

    results: dict[str, ModelRuns] = {m: ModelRuns(m) for m in models}
    started, total = time.monotonic(), len(models) * seeds
    # the non-chief workers of a multi-worker run train alongside the chief but write nothing
    chief = is_chief(options.distribute)
    with runs.staged_dir(out) if chief else runs.scratch_dir() as tmp:
        recorded = None
        if bundle_data:
            shutil.copyfile(csv, tmp / BUNDLED_DATA)
            recorded = f"../{BUNDLED_DATA}"
        for j, name in enumerate(models):
            for k in range(seeds):
                # an ensemble of K uses seeds seed … seed + K - 1: runs must not share members
                opts = options.replace(model=name, seed=options.seed + k * options.ensemble)
                done = j * seeds + k
                log(
                    f"run {done + 1} of {total}: training {name} seed {opts.seed} "
                    f"({k + 1}/{seeds}){time_left(started, done, total)} ..."
                )
                run_name = f"{name}-seed{opts.seed}"
                board = tmp / "tensorboard" / run_name if opts.tensorboard else None
                model, result = train_one(name, prepared, opts, verbose, log_dir=board)
                predicted, metrics, widths = score_with_bands(
                    opts, prepared, model, result, baselines
                )
                metrics["seed"] = opts.seed
                metrics["seconds_per_epoch"] = float(np.mean(result.epoch_seconds))
                metrics["latency_seconds_per_window"] = latency_per_window(model, prepared)
                run_dir = tmp / f"{name}-seed{opts.seed}"
                run_dir.mkdir()
                outputs = RunOutputs(
                    csv, opts, prepared, model, linear_model, result, predicted, baselines, metrics
                )
                write_run(run_dir, replace(outputs, widths=widths, recorded_data=recorded))
                r = results[name]
                r.metrics.append(metrics)
                r.histories.append(result.history)
                r.losses.append(origin_losses(prepared.actual("test"), predicted))
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


def mean_sd(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype="float64")
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def baseline_label(name: str, scores: dict) -> str:
    """``seasonal_naive`` → ``seasonal_naive(7)``: the row name of a baseline."""
    return f"{name}({scores['season']})" if "season" in scores else name


def row_losses(
    results: dict[str, ModelRuns], actual: np.ndarray, baselines: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-origin test losses ``(n_windows,)`` by model or baseline name: a model's are averaged
    over its seeds (the expected loss of one training run, matching the row's mean-over-seeds
    RMSE); a baseline's are its own."""
    out = {name: np.mean(r.losses, axis=0) for name, r in results.items()}
    out.update({name: origin_losses(actual, b) for name, b in baselines.items()})
    return out


def add_significance(rows: list[dict], losses: dict[str, np.ndarray], options) -> None:
    """Set ``dm_p_vs_best``, ``dm_p_vs_persistence`` and ``near_best`` (not significantly
    different from the best row at ``ALPHA``) on every row, in place.

    Args:
        rows: comparison rows, one marked ``best``.
        losses: per-origin losses by model or bare baseline name (``seasonal_naive`` for the
            row ``seasonal_naive(7)``).
        options: for the horizon (the overlap of the forecasts in the DM variance).
    """

    def of(row: dict) -> np.ndarray:
        return losses[row["model"].split("(")[0] if row["kind"] == "baseline" else row["model"]]

    best = next(r for r in rows if r["best"])
    persistence = next(r for r in rows if r["model"] == "persistence")
    for r in rows:
        vs_best = dm_test(of(r), of(best), options.horizon).to_dict()["p_value"]
        vs_pers = dm_test(of(r), of(persistence), options.horizon).to_dict()["p_value"]
        r["dm_p_vs_best"] = vs_best
        r["dm_p_vs_persistence"] = vs_pers
        r["near_best"] = bool(not r["best"] and vs_best is not None and vs_best >= ALPHA)


def comparison_rows(results: dict[str, ModelRuns], linear_model, options: FitOptions) -> list[dict]:
    """One row per architecture (mean ± sd over seeds), then one per baseline; the best row
    (models AND baselines: the true winner) and models' losses to persistence marked."""
    first = next(iter(results.values())).metrics[0]
    base = first["baselines"]
    persistence = base["persistence"]["rmse"]
    rows = []
    for name, r in results.items():
        ms = r.metrics
        rmse, rmse_sd = mean_sd([m["rmse"] for m in ms])
        mae, mae_sd = mean_sd([m["mae"] for m in ms])
        rows.append(
            {
                "model": name,
                "kind": "model",
                "seeds": len(ms),
                "rmse": rmse,
                "rmse_sd": rmse_sd,
                "mae": mae,
                "mae_sd": mae_sd,
                "skill_vs_persistence": ev.skill(rmse, persistence),
                "params": ms[0]["params"],
                "seconds_per_epoch": mean_sd([m["seconds_per_epoch"] for m in ms])[0],
                "train_samples_per_second": mean_sd([m["train_samples_per_second"] for m in ms])[0],
                "latency_ms_per_window": 1000
                * mean_sd([m["latency_seconds_per_window"] for m in ms])[0],
                "epochs_to_converge": mean_sd([m["best_epoch"] for m in ms])[0],
                "coverage_80": mean_sd([m["coverage_80"] for m in ms])[0],
                "coverage_95": mean_sd([m["coverage_95"] for m in ms])[0],
                "per_horizon_rmse": np.mean([m["per_horizon_rmse"] for m in ms], axis=0).tolist(),
                "rmse_by_seed": [m["rmse"] for m in ms],
                "loses_to_persistence": bool(rmse >= persistence),
                "best": False,
            }
        )
    for name, scores in base.items():
        label = baseline_label(name, scores)
        rows.append(
            {
                "model": label,
                "kind": "baseline",
                "seeds": 1 if name in ("linear", "gbm") else 0,
                "rmse": scores["rmse"],
                "rmse_sd": 0.0,
                "mae": scores["mae"],
                "mae_sd": 0.0,
                "skill_vs_persistence": ev.skill(scores["rmse"], persistence),
                "params": int(linear_model.count_params()) if name == "linear" else 0,
                "per_horizon_rmse": scores["per_horizon_rmse"],
                "loses_to_persistence": bool(
                    name != "persistence" and scores["rmse"] >= persistence
                ),
                "best": False,
            }
        )
    best = min(rows, key=lambda row: row["rmse"])
    best["best"] = True
    return rows


def series_rmse(results: dict[str, ModelRuns]) -> dict:
    """--series: ``series`` (column, names) and ``per_series: {series: {model: RMSE mean over
    seeds, persistence: …, linear: …}}``; ``{}`` for a single series."""
    first = next(iter(results.values())).metrics[0]
    if "per_series" not in first:
        return {}
    table = {}
    for series, scores in first["per_series"].items():
        row = {
            n: float(np.mean([m["per_series"][series]["rmse"] for m in r.metrics]))
            for n, r in results.items()
        }
        row.update({b: s["rmse"] for b, s in scores["baselines"].items()})
        table[series] = row
    return {"series": first["series"], "per_series": table}


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

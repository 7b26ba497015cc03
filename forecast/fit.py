"""One ``forecast fit``: train the chosen model and the linear baseline on the same windows, score
both against the naive baselines, and write the run directory atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast import evaluate as ev
from forecast import runs
from forecast.config import FitOptions
from forecast.pipeline import (
    Prepared,
    file_sha256,
    library_versions,
    load_series_for,
    naive_baselines,
    predict_part,
    predictions_frame,
    prepare,
    score_all,
    train_one,
)


@dataclass
class FitReport:
    """What ``fit`` wrote and measured: the run directory, metrics.json and the CSV's notes."""

    run_dir: Path
    metrics: dict
    notes: list[str]


def fit(
    csv: Path, options: FitOptions, out: Path, overwrite: bool = False, verbose: int = 2, log=print
) -> FitReport:
    """Train ``options.model`` on ``csv`` and write the run directory ``out``.

    Args:
        csv: the input CSV.
        options: every fit option.
        out: run directory to create (it appears only once complete).
        overwrite: replace an existing ``out``.
        verbose: Keras verbosity.
        log: where progress messages go.
    """
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, options)
    prepared = prepare(series, options)
    for note in series.notes:  # after every check, so that bad input ends with one line only
        log(f"note: {note}")
    counts = {part: len(s) for part, s in prepared.starts.items()}
    log(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(window {options.window}, horizon {options.horizon}, {len(prepared.prep.columns)} "
        f"input column(s), target {prepared.prep.target!r})"
    )

    log(f"training {options.model} ...")
    model, result = train_one(options.model, prepared, options, verbose)
    predicted = predict_part(model, prepared)
    baselines = naive_baselines(prepared)
    if options.model == "linear":
        linear_model = None
        baselines["linear"] = predicted
    else:
        log("training the linear baseline on the same windows ...")
        linear_model, _ = train_one("linear", prepared, options, verbose=0)
        baselines["linear"] = predict_part(linear_model, prepared)

    metrics = build_metrics(options, prepared, predicted, baselines, model, result)
    with runs.staged_dir(out) as tmp:
        write_run(
            tmp, csv, options, prepared, model, linear_model, result, predicted, baselines, metrics
        )
    return FitReport(out, metrics, series.notes)


def build_metrics(
    options: FitOptions, prepared: Prepared, predicted, baselines, model, result
) -> dict:
    """metrics.json, keys in the contract's order, then the extensions."""
    scored = score_all(prepared, predicted, baselines)
    p = prepared.prep
    linear_rmse = scored["baselines"]["linear"]["rmse"]
    return {
        "model": options.model,
        "target": p.target,
        "window": p.window,
        "horizon": p.horizon,
        "rmse": scored["rmse"],
        "mae": scored["mae"],
        "smape": scored["smape"],
        "mase": scored["mase"],
        "per_horizon_rmse": scored["per_horizon_rmse"],
        "n_test_windows": scored["n_test_windows"],
        "params": int(model.count_params()),
        "epochs_run": result.epochs_run,
        "train_seconds": result.train_seconds,
        "train_samples_per_second": result.samples_per_second,
        "baselines": scored["baselines"],
        "skill_vs_persistence": scored["skill_vs_persistence"],
        "beats_persistence": scored["beats_persistence"],
        "skill_vs_linear": ev.skill(scored["rmse"], linear_rmse),
        "best_epoch": result.best_epoch,
        "n_train_windows": len(prepared.starts["train"]),
        "n_val_windows": len(prepared.starts["val"]),
        "norm": p.norm,
        "test_start": str(prepared.series.frame.index[prepared.split.val_end]),
        "test_end": str(prepared.series.frame.index[-1]),
    }


def write_run(
    tmp: Path,
    csv: Path,
    options: FitOptions,
    prepared: Prepared,
    model,
    linear_model,
    result,
    predicted,
    baselines,
    metrics,
) -> None:
    """Every file of the run directory, into the staging directory ``tmp``."""
    from forecast.plots import save_run_plots

    model.save(tmp / runs.MODEL_FILE)
    if linear_model is not None:
        linear_model.save(tmp / runs.LINEAR_FILE)
    runs.write_json(tmp / "preprocessing.json", prepared.prep.to_dict())
    config = {
        **options.to_dict(),
        "data": {"path": str(csv), "sha256": file_sha256(Path(csv)), "rows": prepared.prep.n_rows},
        "versions": library_versions(),
    }
    runs.write_json(tmp / "config.json", config)
    runs.write_json(tmp / "metrics.json", metrics)
    history = pd.DataFrame(result.history)
    history.insert(0, "epoch", range(1, len(history) + 1))
    history["train_epoch_seconds"] = result.epoch_seconds[: len(history)]
    history.to_csv(tmp / "history.csv", index=False)
    predictions_frame(prepared, predicted, baselines).to_csv(
        tmp / "predictions.csv", index=False, float_format="%.6g"
    )
    save_run_plots(
        tmp,
        options.model,
        prepared.prep.target,
        prepared.series.frame.index,
        prepared.target,
        prepared.starts["test"],
        prepared.prep.window,
        prepared.actual("test"),
        predicted,
        baselines,
        metrics,
        result.history,
        result.best_epoch,
    )

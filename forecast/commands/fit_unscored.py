"""``fit`` with ``--split auto,VAL,0``: no test rows, so nothing is scored.

For when only the forecast is wanted: every row but the last ``VAL`` of each series trains, those
validate (early stopping, the linear baseline's penalty, the combination weight, the interval
widths), and the run directory holds what ``predict`` needs — model.keras, baseline_linear.keras,
preprocessing.json, config.json, history.csv, loss.png and a metrics.json with ``"scored":
false`` (no test scores, no predictions.csv, forecast.png or report.html: there is no test period
to show). The validation errors are recorded, labelled: those rows chose the epoch, so they are
optimistic, not a score.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast import runs
from forecast.commands.final_model import FinalModels, save_final
from forecast.commands.resume import checkpoint_dir
from forecast.commands.run_writer import BUNDLED_DATA, RunOutputs, history_frame, run_config
from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.data.split import describe
from forecast.evaluation import metrics as ev
from forecast.evaluation.combination import combination_weight
from forecast.evaluation.intervals import calibrate
from forecast.training.inference import predict_lazy

VALIDATION_NOTE = (
    "validation windows: they chose the epoch (early stopping) and the linear baseline's "
    "penalty, so these errors are optimistic; they are not a test score"
)


@dataclass
class Unscored:
    """A trained model with no test rows to score it on (``fit`` builds it)."""

    csv: Path
    options: FitOptions
    prepared: Prepared
    model: object
    linear_model: object | None
    result: object
    bundle_data: bool = False


def unscored_metrics(run: Unscored) -> dict:
    """metrics.json of a run with no test rows: what was trained, the validation errors
    (labelled), and the split-conformal widths and combination weight ``predict`` uses."""
    p, options, prepared = run.prepared.prep, run.options, run.prepared
    actual = prepared.actual("val")
    predicted = np.asarray(predict_lazy(run.model, prepared, "val"))
    validation = {"n_windows": len(actual), "rmse": ev.rmse(actual, predicted)}
    validation["mae"] = ev.mae(actual, predicted)
    metrics = {
        "model": options.model,
        "target": p.target,
        "window": p.window,
        "horizon": p.horizon,
        "scored": False,
        "unscored_reason": f"{describe(options.split)} holds no test rows: nothing was scored",
        "n_test_windows": 0,
        "params": int(run.model.count_params()),
        "epochs_run": run.result.epochs_run,
        "best_epoch": run.result.best_epoch,
        "train_seconds": run.result.train_seconds,
        "train_samples_per_second": run.result.samples_per_second,
        "n_train_windows": len(prepared.starts["train"]),
        "n_val_windows": len(actual),
        "norm": p.norm,
        "segment": options.segment,
        "ensemble": options.ensemble,
        "layers": options.layers,
        "calendar": p.calendar,
        "highway": options.highway,
        "validation": validation,
        "intervals": calibrate(actual, predicted),
        "interval_method": "split conformal, |val residual| per step (no test rows to check "
        "its coverage)",
    }
    if run.linear_model is not None:
        linear = np.asarray(predict_lazy(run.linear_model, prepared, "val"))
        validation["linear"] = {"rmse": ev.rmse(actual, linear), "mae": ev.mae(actual, linear)}
        if options.combine == "linear":
            metrics["combination"] = {
                "weight": combination_weight(actual, predicted, linear),
                "fit_on": "validation",
            }
    validation["note"] = VALIDATION_NOTE
    if prepared.layout is not None:
        ids = prepared.series_ids("val")
        metrics["series"] = {"column": prepared.layout.column, "names": prepared.series_names}
        metrics["per_series"] = {
            name: {"intervals": calibrate(actual[ids == k], predicted[ids == k])}
            for k, name in enumerate(prepared.series_names)
        }
    return metrics


def write_unscored(
    run: Unscored, metrics: dict, out: Path, chief: bool, log, final: FinalModels | None = None
) -> None:
    """The run directory ``out`` (staged, renamed into place when complete; ``final``: the
    configuration refit on every row, final_model.keras)."""
    if not chief:
        log(f"this worker is not the chief: the chief writes {out}")
        return
    from forecast.reporting.plots import plot_loss, save

    outputs = RunOutputs(
        run.csv, run.options, run.prepared, run.model, run.linear_model, run.result, None, {},
        metrics, bundle_data=run.bundle_data,
    )  # fmt: skip
    with runs.staged_dir(out) as tmp:
        run.model.save(tmp / runs.MODEL_FILE)
        if run.linear_model is not None:
            run.linear_model.save(tmp / runs.LINEAR_FILE)
        save_final(tmp, final)
        if run.bundle_data:
            shutil.copyfile(run.csv, tmp / BUNDLED_DATA)
        runs.write_json(tmp / "preprocessing.json", run.prepared.prep.to_dict())
        runs.write_json(tmp / "config.json", run_config(outputs))
        runs.write_json(tmp / "metrics.json", metrics)
        history_frame(run.result).to_csv(tmp / "history.csv", index=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        history, best = run.result.history, run.result.best_epoch
        plot_loss(ax, history, best).set_title(f"{run.options.model} training")
        save(fig, tmp / "loss.png")
    shutil.rmtree(checkpoint_dir(out), ignore_errors=True)

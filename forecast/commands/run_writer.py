"""The run directory of one trained model: every file, written into a staging directory.

``fit`` and every run of ``compare`` write the same files from one ``RunOutputs``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands.final_model import save_final
from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.reporting.html import write_run_report
from forecast.reporting.plots import RunPlot
from forecast.reporting.predictions import write_predictions
from forecast.runs import file_sha256, library_versions

BUNDLED_DATA = "data.parquet"  # the training data of a run fitted on a DataFrame


@dataclass
class RunOutputs:
    """What a finished training produced, ready to be written.

    Attributes:
        data: the file the series was read from.
        options: every fit option of the run.
        prepared: the prepared series (windows, scaler, origins).
        model: the trained Keras model.
        linear_model: the linear baseline's model (``None`` when the run is the linear model).
        result: the ``TrainResult`` (history, epochs, timings).
        predicted: ``(n_windows, horizon)`` test forecasts in original units.
        baselines: ``{name: (n_windows, horizon)}`` baseline forecasts of the same windows.
        metrics: metrics.json.
        widths: interval half-widths of every test origin ``{"80": (n_windows, horizon)}``
            (``None``: the saved per-step ``intervals``).
        bundle_data: copy ``data`` into the run directory (a DataFrame given to the Python API
            has no file of its own) and record that copy in config.json.
        recorded_data: the data path config.json records instead, relative to the run directory
            (the runs of a comparison share one copy: ``../data.parquet``).
        final: the configuration refit on every row
            (``forecast.commands.final_model.FinalModels``; ``None``: none).
    """

    data: Path
    options: FitOptions
    prepared: Prepared
    model: object
    linear_model: object | None
    result: object
    predicted: object
    baselines: dict
    metrics: dict
    widths: dict | None = None
    bundle_data: bool = field(default=False)
    recorded_data: str | None = None
    final: object | None = None

    def plot(self) -> RunPlot:
        """The inputs of forecast.png, loss.png, per_horizon.png and lag.png."""
        p = self.prepared
        return RunPlot(
            model=self.options.model,
            target=p.prep.target,
            index=p.series.frame.index,
            target_values=p.target,
            starts=p.starts["test"],
            window=p.prep.window,
            actual=p.lazy_actual("test"),
            predicted=self.predicted,
            baselines=self.baselines,
            metrics=self.metrics,
            history=self.result.history,
            best_epoch=self.result.best_epoch,
            widths=self.widths if self.widths is not None else self.metrics.get("intervals"),
            series=(p.series_names, p.series_ids("test")) if p.layout else None,
        )


def run_config(outputs: RunOutputs) -> dict:
    """config.json: every option, the data file (path, SHA-256, rows) and library versions."""
    path = BUNDLED_DATA if outputs.bundle_data else str(Path(outputs.data).resolve())
    path = outputs.recorded_data or path
    return {
        **outputs.options.to_dict(),
        "data": {
            "path": path,
            "sha256": file_sha256(Path(outputs.data)),
            "rows": outputs.prepared.prep.n_rows,
        },
        "versions": library_versions(),
    }


def history_frame(result) -> pd.DataFrame:
    """history.csv: ``epoch``, the losses of each epoch and its training seconds."""
    history = pd.DataFrame(result.history)
    history.insert(0, "epoch", range(1, len(history) + 1))
    history["train_epoch_seconds"] = result.epoch_seconds[: len(history)]
    return history


def write_run(tmp: Path, outputs: RunOutputs) -> None:
    """Every file of the run directory into the staging directory ``tmp``."""
    from forecast.reporting.plots import save_run_plots

    outputs.model.save(tmp / runs.MODEL_FILE)
    if outputs.linear_model is not None:
        outputs.linear_model.save(tmp / runs.LINEAR_FILE)
    save_final(tmp, outputs.final)
    if outputs.bundle_data:
        shutil.copyfile(outputs.data, tmp / BUNDLED_DATA)
    runs.write_json(tmp / "preprocessing.json", outputs.prepared.prep.to_dict())
    config = run_config(outputs)
    runs.write_json(tmp / "config.json", config)
    runs.write_json(tmp / "metrics.json", outputs.metrics)
    history_frame(outputs.result).to_csv(tmp / "history.csv", index=False)
    plot = outputs.plot()
    write_predictions(tmp, outputs.prepared, outputs.predicted, outputs.baselines, plot.widths)
    save_run_plots(tmp, plot)
    write_run_report(tmp, outputs.metrics, config)

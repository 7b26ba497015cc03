"""Log a finished run, comparison, backtest or tune directory as an MLflow run.

What is logged is read from the directory, so the MLflow run says what the directory says:
params from config.json (a comparison's or backtest's ``options``, a tune's best.toml as
``best.*``) plus the command's own options; metrics from metrics.json, comparison.json,
backtest.json and monitor.json (``monitor.*``), with history.csv per epoch and trials.csv per
trial (and the best trial's ``best_val_rmse``); every file as an artifact; a run directory's
model as a pyfunc (``model``). A comparison is a parent run with one nested run per cell
directory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.config import load_toml
from forecast.tracking import flatten
from forecast.version import __version__

# (file, prefix of its metrics)
JSON_METRICS = (
    ("metrics.json", ""),
    ("comparison.json", ""),
    ("backtest.json", ""),
    ("monitor.json", "monitor"),
)

# (file, the column that numbers its steps)
STEP_TABLES = (("history.csv", "epoch"), ("trials.csv", "trial"))

# a server that is down: two quick retries, not MLflow's seven with exponential back-off
RETRIES_ENV = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"


def log_directory(kind: str, out_dir: Path, options: dict) -> tuple[str, str]:
    """Log ``out_dir`` (``kind``: ``fit``, ``compare``, ...) with ``options`` as params.

    Returns:
        ``(run id, tracking URI)``; a comparison's parent run id.
    """
    os.environ.setdefault(RETRIES_ENV, "2")
    import mlflow

    children = cell_dirs(out_dir) if kind == "compare" else []
    nested = mlflow.active_run() is not None  # inside a notebook's own run: a child of it
    with mlflow.start_run(run_name=out_dir.name, nested=nested, tags=tags(kind, out_dir)) as run:
        log_contents(out_dir, options, skip=children)
        for child in children:  # a run directory, or with --folds a backtest directory
            cell = "backtest" if (child / "backtest.json").is_file() else "fit"
            with mlflow.start_run(run_name=child.name, nested=True, tags=tags(cell, child)):
                log_contents(child, {})
    return run.info.run_id, mlflow.get_tracking_uri()


def tags(kind: str, out_dir: Path) -> dict[str, str]:
    """The run's tags: what made it and where its directory is."""
    return {
        "forecast.kind": kind,
        "forecast.dir": str(out_dir.resolve()),
        "forecast.version": __version__,
    }


def cell_dirs(out_dir: Path) -> list[Path]:
    """A comparison's cells: its subdirectories that are run or backtest directories."""
    return sorted(
        p
        for p in out_dir.iterdir()
        if p.is_dir() and ((p / "metrics.json").is_file() or (p / "backtest.json").is_file())
    )


def log_contents(directory: Path, options: dict, skip: list[Path] = ()) -> None:
    """Params, metrics, artifacts (all but ``skip``) and, for a run directory, the pyfunc of
    ``directory`` into the active MLflow run."""
    import mlflow

    mlflow.log_params(directory_params(directory, options))
    log_metric_list(metric_list(directory))
    for entry in sorted(directory.iterdir()):
        if entry.is_file():
            mlflow.log_artifact(str(entry))
        elif entry.is_dir() and entry not in skip:
            mlflow.log_artifacts(str(entry), artifact_path=entry.name)
    if (directory / runs.MODEL_FILE).is_file() and (directory / "preprocessing.json").is_file():
        from forecast.tracking.pyfunc import log_forecast_model

        log_forecast_model(directory)


def directory_params(directory: Path, options: dict) -> dict[str, str]:
    """config.json's options (a comparison's or backtest's ``options``, a tune's best.toml as
    ``best.*``), overridden by the command's ``options``."""
    found: dict[str, str] = {}
    if (directory / "config.json").is_file():
        found.update(flatten.params(runs.read_json(directory, "config.json")))
    for name in ("comparison.json", "backtest.json"):
        if (directory / name).is_file():
            saved = runs.read_json(directory, name).get("options")
            found.update(flatten.params(saved if isinstance(saved, dict) else {}))
    if (directory / "best.toml").is_file():
        found.update(flatten.params(load_toml(directory / "best.toml"), "best"))
    found.update(flatten.params(options))
    return found


def metric_list(directory: Path) -> list[tuple[str, float, int]]:
    """Every ``(key, value, step)`` of the directory's JSON documents and step tables."""
    found = []
    for name, prefix in JSON_METRICS:
        if (directory / name).is_file():
            document = runs.read_json(directory, name)
            document.pop("options", None)  # the options are params
            found += flatten.metrics(document, prefix)
    for name, step_column in STEP_TABLES:
        if (directory / name).is_file():
            found += flatten.table_metrics(pd.read_csv(directory / name), step_column)
    scores = [value for key, value, _ in found if key == "val_rmse"]
    if scores:  # a tune: the best trial's score, beside each trial's
        found.append(("best_val_rmse", min(scores), 0))
    return found


def log_metric_list(found: list[tuple[str, float, int]]) -> None:
    """Log ``found`` into the active run in batches (MLflow splits them by its limits)."""
    import mlflow
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric(key, value, now, step) for key, value, step in found]
    if metrics:
        client = mlflow.MlflowClient()
        client.log_batch(mlflow.active_run().info.run_id, metrics=metrics, synchronous=True)

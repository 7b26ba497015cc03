"""One run of ``compare`` (one architecture, segment length and seed): train it, score it against
the baselines and write its run directory.

``compare --jobs 1`` calls ``train_run`` in its own process with the prepared series, the linear
baseline and the baselines' forecasts it holds. With ``--jobs N`` the runs go to worker processes
(``forecast.jobs``) as ``run_in_worker``: the parent saves the linear baseline (model.keras) and
every baseline's forecasts (``.npz``, no pickle) once into a scratch directory; each worker reads
and prepares the CSV again (the same deterministic steps, checked against the parent's
preprocessing) and reads those files, once per worker. So both paths score every model against
the very same baselines, and the same seeds give the same numbers.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from forecast import runs
from forecast.commands.fit import combination_for, score_with_bands
from forecast.commands.run_writer import RunOutputs, write_run
from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.evaluation.combination import combined
from forecast.evaluation.significance import origin_losses
from forecast.evaluation.verdict import decide

LINEAR_FILE = "linear.keras"
BASELINES_FILE = "baselines.npz"
PREP_FILE = "preprocessing.json"


@dataclass(frozen=True)
class RunTask:
    """One run to train.

    Attributes:
        index: its place in the comparison (cells in table order, seeds within a cell).
        csv: the data file.
        prepare_options: the options the series is prepared with (the comparison's, window
            resolved).
        options: the run's own options (model, segment, seed).
        cell: its row's name (``gru``, ``gru-seg7``).
        run_dir: the run directory to write (written under a temporary name, renamed when done).
        verbose: Keras verbosity.
        recorded_data: the data path config.json records (``None``: ``csv``).
        shared: the parent's scratch directory of ``save_shared`` (worker processes only).
    """

    index: int
    csv: Path
    prepare_options: FitOptions
    options: FitOptions
    cell: str
    run_dir: Path
    verbose: int = 0
    recorded_data: str | None = None
    shared: Path | None = None


@dataclass
class Shared:
    """What every run of a comparison uses: the prepared series, the linear baseline's model, the
    baselines' test forecasts ``{name: (n_windows, horizon)}`` and the linear baseline's
    validation forecasts (for ``--combine linear``)."""

    prepared: Prepared
    linear_model: object
    baselines: dict
    linear_val: np.ndarray


@dataclass
class RunOutcome:
    """What the comparison table needs from one finished run (picklable: it may come back from a
    worker process)."""

    index: int
    cell: str
    metrics: dict
    history: dict
    losses: np.ndarray
    combined_losses: np.ndarray | None
    predicted: np.ndarray


def train_run(task: RunTask, shared: Shared) -> RunOutcome:
    """Train, score and write the run of ``task``; return its ``RunOutcome``."""
    from forecast.training.fitting import train_one

    opts, prepared, baselines = task.options, shared.prepared, shared.baselines
    board = task.run_dir.parent / "tensorboard" / task.run_dir.name if opts.tensorboard else None
    model, result = train_one(opts.model, prepared, opts, task.verbose, log_dir=board)
    predicted, metrics, widths = score_with_bands(opts, prepared, model, result, baselines)
    metrics["seed"] = opts.seed
    metrics["seconds_per_epoch"] = float(np.mean(result.epoch_seconds))
    metrics["latency_seconds_per_window"] = latency_per_window(model, prepared)
    if opts.combine == "linear" and opts.model != "linear":
        metrics["combination"] = combination_for(
            prepared, model, shared.linear_val, predicted, baselines
        )
    metrics["verdict"] = decide(metrics).to_dict()  # this run's own: the model and the baselines
    outputs = RunOutputs(
        task.csv, opts, prepared, model, shared.linear_model, result, predicted, baselines, metrics
    )
    staging = partial_dir(task.run_dir)
    staging.mkdir()
    write_run(staging, replace(outputs, widths=widths, recorded_data=task.recorded_data))
    os.replace(staging, task.run_dir)  # a run directory is there complete, or not at all
    actual = prepared.actual("test")
    mixed = None
    if "combination" in metrics:
        weight = metrics["combination"]["weight"]
        mixed = origin_losses(actual, combined(predicted, baselines["linear"], weight))
    return RunOutcome(
        task.index,
        task.cell,
        metrics,
        result.history,
        origin_losses(actual, predicted),
        mixed,
        np.asarray(predicted),
    )


def run_cost(options: FitOptions, n_features: int) -> float:
    """A run's relative training cost, to start the costliest first: recurrent weights (gate
    costs) times recurrent steps, layers and ensemble members (the linear model: nearly free)."""
    from forecast.models.gate_costs import recurrent_params

    if options.model == "linear":
        return 0.0
    options = options.plain()  # unset options: the fixed defaults
    segment = options.segment if isinstance(options.segment, int) else 1
    inputs = options.units if segment > 1 else n_features
    steps = -(-options.window // segment)
    weights = recurrent_params(options.model, options.units, inputs) * options.layers
    return float(weights * steps * options.ensemble)


def partial_dir(run_dir: Path) -> Path:
    """Where a run directory is written before it is renamed into place."""
    return run_dir.with_name(f".{run_dir.name}.partial")


def latency_per_window(model, prepared: Prepared) -> float:
    """Seconds per test window of ``predict`` (batched), after a warm-up call."""
    from forecast.training.inference import predict_part

    predict_part(model, prepared)
    start = time.perf_counter()
    predict_part(model, prepared)
    return (time.perf_counter() - start) / len(prepared.starts["test"])


def save_shared(directory: Path, shared: Shared) -> None:
    """The linear baseline's model, the baselines' forecasts and the preprocessing of ``shared``
    into ``directory``, for ``load_shared`` in worker processes."""
    shared.linear_model.save(directory / LINEAR_FILE)
    arrays = {f"baseline_{name}": np.asarray(b) for name, b in shared.baselines.items()}
    np.savez(directory / BASELINES_FILE, linear_val=np.asarray(shared.linear_val), **arrays)
    runs.write_json(directory / PREP_FILE, shared.prepared.prep.to_dict())


def load_shared(task: RunTask) -> Shared:
    """``Shared`` in a worker: the series read and prepared again, the rest from ``task.shared``.

    Raises:
        RuntimeError: the series prepared here differs from the parent's (a bug: the runs would
            not be comparable).
    """
    from forecast.data.prepared import load_series_for
    from forecast.models.saving import load_keras_model
    from forecast.training.preparation import prepare

    series = load_series_for(task.csv, task.prepare_options)
    prepared = prepare(series, task.prepare_options)
    mine = json.loads(json.dumps(prepared.prep.to_dict(), default=float))
    if mine != runs.read_json(task.shared, PREP_FILE):
        raise RuntimeError(
            f"a worker prepared {task.csv} differently from the parent process; run with --jobs 1"
        )
    with np.load(task.shared / BASELINES_FILE, allow_pickle=False) as saved:
        baselines = {
            key.removeprefix("baseline_"): saved[key]
            for key in saved.files
            if key.startswith("baseline_")
        }
        linear_val = saved["linear_val"]
    linear = load_keras_model(task.shared / LINEAR_FILE)
    return Shared(prepared, linear, baselines, linear_val)


CACHE: dict[Path, Shared] = {}  # per worker process: the comparison it is working for


def run_in_worker(task: RunTask) -> RunOutcome:
    """``train_run`` in a worker process of ``forecast.jobs`` (its ``Shared`` is loaded on the
    worker's first task and kept for the next ones)."""
    if task.shared not in CACHE:
        CACHE.clear()
        CACHE[task.shared] = load_shared(task)
    return train_run(task, CACHE[task.shared])

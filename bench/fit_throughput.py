"""Forecast's training throughput on one CSV, measured exactly as metrics.json measures it.

Runs the library's own path (read_series -> prepare -> train_one: tf.data index-arithmetic windows,
the registry model, train.train with its EpochClock) and prints one JSON line with
``train_samples_per_second`` (training windows per second of the fastest epoch, validation
excluded). ``bench/run.py`` calls this as a subprocess, side by side with the plain-Keras reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def configure(a) -> None:
    """The variants bench/steady.py measures, applied in this process only."""
    import keras
    import tensorflow as tf

    import forecast.models.registry
    import forecast.training.train

    if a.threads:
        intra, inter = (int(v) for v in a.threads.split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    if a.no_determinism:
        forecast.training.train.set_seed = keras.utils.set_random_seed
    # force it either way (default: forecast.models.registry.unroll_for decides)
    if a.unroll != "auto":
        forecast.models.registry.unroll_for = lambda window: a.unroll == "on"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("csv")
    ap.add_argument("--model", default="gru")
    ap.add_argument("--window", type=int, default=96)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--norm", default="window")
    ap.add_argument("--segment", type=int, default=1, help="rows per recurrent step (SegRNN)")
    ap.add_argument("--steps-per-execution", type=int, default=None)
    ap.add_argument(
        "--no-determinism", action="store_true", help="skip enable_op_determinism (its cost)"
    )
    ap.add_argument(
        "--unroll",
        choices=["auto", "on", "off"],
        default="auto",
        help="unroll the recurrent loops: as forecast decides (auto), always or never",
    )
    ap.add_argument("--threads", help="INTRA,INTER op threads (TensorFlow's defaults otherwise)")
    a = ap.parse_args()
    configure(a)

    from forecast.config import FitOptions
    from forecast.data.prepared import load_series_for
    from forecast.training.fitting import train_one
    from forecast.training.preparation import prepare

    changes = (
        {} if a.steps_per_execution is None else {"steps_per_execution": a.steps_per_execution}
    )
    options = FitOptions(
        model=a.model,
        window=a.window,
        horizon=a.horizon,
        units=a.units,
        batch_size=a.batch_size,
        epochs=a.epochs,
        norm=a.norm,
        segment=a.segment,
        patience=a.epochs,
        **changes,
    )
    start = time.perf_counter()
    prepared = prepare(load_series_for(Path(a.csv), options), options)
    _, result = train_one(a.model, prepared, options, verbose=0)
    print(
        json.dumps(
            {
                "model": a.model,
                "window": a.window,
                "segment": a.segment,
                "batch_size": a.batch_size,
                "train_samples_per_second": round(result.samples_per_second, 1),
                "epoch_seconds": [round(s, 3) for s in result.epoch_seconds],
                "steady_samples_per_second": round(
                    steady(result.epoch_seconds, len(prepared.starts["train"])), 1
                ),
                "n_train_windows": len(prepared.starts["train"]),
                "loss": result.history["loss"][-1],
                "wall_seconds": round(time.perf_counter() - start, 2),
            }
        )
    )


def steady(epoch_seconds: list[float], n_windows: int) -> float:
    """Windows per second of the median epoch after the first (tracing excluded)."""
    import statistics

    return n_windows / statistics.median(epoch_seconds[1:] or epoch_seconds)


if __name__ == "__main__":
    main()

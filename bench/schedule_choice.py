"""The measurement behind keeping plain early stopping (patience 5, no learning-rate schedule).

Trains the default GRU (2 seeds) three ways and prints the VALIDATION RMSE (the test split is never
read): as shipped; with Keras' ReduceLROnPlateau (halve the rate after 2 flat epochs) and patience
8; with patience 8 alone. The schedule is patched in here only; it is not a product option.

    python bench/schedule_choice.py weather            # also: stock, greensboro_hourly
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import defaults_choice as dc  # noqa: E402
import numpy as np  # noqa: E402

from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.training import train as tr
from forecast.training.fitting import train_one
from forecast.training.preparation import prepare

SHIPPED = tr.tensorboard_callbacks
CONFIGS = [("as shipped", False, 5), ("plateau, patience 8", True, 8), ("patience 8", False, 8)]


def with_plateau(log_dir):
    import keras

    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5
    )
    return [*SHIPPED(log_dir), plateau]


def main(name: str, seeds: int = 2) -> None:
    csv, base = dc.dataset(name)
    series = read_series(csv)
    for label, plateau, patience in CONFIGS:
        tr.tensorboard_callbacks = with_plateau if plateau else SHIPPED
        options = FitOptions(**base, patience=patience)
        prepared = prepare(series, options)
        scores = []
        for k in range(seeds):
            opts = options.replace(seed=options.seed + 10 * k)
            start = time.perf_counter()
            model, result = train_one("gru", prepared, opts, verbose=0)
            scores.append(dc.val_rmse(prepared, model))
            print(
                f"{name} {label:20} seed {opts.seed}  val RMSE {scores[-1]:.4f}  "
                f"epochs {result.epochs_run}  {time.perf_counter() - start:.0f}s",
                flush=True,
            )
        print(f"{name} {label:20} mean val RMSE {np.mean(scores):.4f}", flush=True)
    tr.tensorboard_callbacks = SHIPPED


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "weather")

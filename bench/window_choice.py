"""The measurement behind the defaults of --window and --segment (issue 16): the validation RMSE
of every candidate of the ``--window auto --segment auto`` grid, beside today's default
(window 30, point-wise), on the VALIDATION windows only (the test split is never read here).

    python bench/window_choice.py weather             # data/weather.csv, horizon 7
    python bench/window_choice.py greensboro_hourly   # pvlib's TMY3 file, horizon 24 (needs pvlib)

Prints one line per candidate and writes bench/window_choice-<data>.json.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.training.fitting import train_one
from forecast.training.preparation import prepare
from forecast.training.search import choose_on_validation, validation_scores

DATA = {
    "weather": lambda: (HERE.parent / "data" / "weather.csv", {"horizon": 7}),
    "greensboro_hourly": lambda: (greensboro(), {"horizon": 24, "batch_size": 256}),
}


def greensboro() -> Path:
    from defaults_choice import greensboro_csv

    return greensboro_csv()


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "weather"
    path, settings = DATA[name]()
    series = read_series(path)
    base = FitOptions(**settings)
    start = time.perf_counter()
    prepared = prepare(series, base)
    model, _ = train_one("gru", prepared, base, verbose=0)
    default = validation_scores(model, prepared)["val_rmse"]
    seconds = time.perf_counter() - start
    print(
        f"{name}: default window {base.window}, segment 1: val RMSE {default:.4g} ({seconds:.0f}s)"
    )
    auto = base.replace(window="auto", segment="auto")
    chosen = choose_on_validation(series, auto, verbose=0, log=print)
    record = {
        "data": name,
        "default": {"window": base.window, "segment": 1, "val_rmse": default},
        **chosen.record(),
    }
    (HERE / f"window_choice-{name}.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""--series at scale: read, prepare and score a long table of many short series (no training).

    python bench/series_scale.py [N_SERIES] [ROWS_PER_SERIES]

Prints seconds per step; the table is synthetic (random walks), written to a temp dir.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.scoring import score_all
from forecast.training.preparation import prepare


def main(n_series: int = 500, rows: int = 400) -> None:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=rows, freq="D")
    frame = pd.DataFrame(
        {
            "date": np.tile(dates, n_series),
            "id": np.repeat([f"s{k}" for k in range(n_series)], rows),
            "y": rng.normal(size=(n_series, rows)).cumsum(axis=1).ravel(),
        }
    ).sort_values(["date", "id"], kind="stable")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.csv"
        frame.to_csv(path, index=False)
        options = FitOptions(series="id", window=20, horizon=5)
        t0 = time.perf_counter()
        series = load_series_for(path, options)
        t1 = time.perf_counter()
        prepared = prepare(series, options)
        t2 = time.perf_counter()
        baselines = naive_baselines(prepared)
        baselines["linear"] = baselines["persistence"]
        score_all(prepared, baselines["persistence"], baselines)
        t3 = time.perf_counter()
    print(
        f"{n_series} series x {rows} rows ({len(series.frame):,} rows): read {t1 - t0:.2f}s, "
        f"prepare {t2 - t1:.2f}s, baselines + per-series scores {t3 - t2:.2f}s "
        f"({len(prepared.starts['test']):,} test windows)"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

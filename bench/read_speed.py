"""Seconds to read a large CSV: pandas' C engine vs the pyarrow reader, then the whole read_series.

    python bench/read_speed.py             # 1,000,000 rows x 8 columns (+ date), ~1-2 min
    python bench/read_speed.py --rows 200000 --repeats 1

Writes the synthetic CSV (bench/synth.py's series) and a parquet copy to a temporary directory,
then times, median of --repeats each:
  c        forecast.data.formats.read_raw(engine="c")       pandas C engine, numbers and text
  pyarrow  forecast.data.formats.read_raw(engine="pyarrow") what read_series uses ("auto")
  series   forecast.data.io.read_series(csv)                 reading + time parsing + validation
  parquet  forecast.data.io.read_series(parquet copy)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from forecast.data.formats import read_raw
    from forecast.data.io import read_series

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "synth.csv"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "synth.py"),
                str(args.rows),
                str(args.columns),
                str(csv),
            ],
            check=True,
        )
        parquet = csv.with_suffix(".parquet")
        pd.read_csv(csv, parse_dates=["date"]).to_parquet(parquet, index=False)
        size = os.path.getsize(csv) / 2**20
        print(
            f"{args.rows:,} rows x {args.columns} columns + date, {size:.0f} MiB CSV, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, median of {args.repeats}"
        )
        results = {
            "c": timed(lambda: read_raw(csv, "c"), args.repeats),
            "pyarrow": timed(lambda: read_raw(csv, "pyarrow"), args.repeats),
            "series": timed(lambda: read_series(csv), args.repeats),
            "parquet": timed(lambda: read_series(parquet), args.repeats),
        }
    for name, seconds in results.items():
        print(f"{name:8} {seconds:7.2f} s")
    print(f"pyarrow vs C engine: {results['c'] / results['pyarrow']:.1f}x faster")


if __name__ == "__main__":
    main()

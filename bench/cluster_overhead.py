"""Wall time of ``--cluster`` (a local Dask cluster of 2 worker processes over TCP) against
``--jobs 2`` on the same machine, in one run, with the numbers checked equal.

    python bench/cluster_overhead.py [--epochs 3] [--m4-series 20] [--repeats 1]
                                     [--out bench/cluster_overhead.json]

Two workloads, each run as a fresh ``forecast`` process with ``--jobs 2`` and then with
``--cluster`` (alternating when ``--repeats`` > 1):

1. ``forecast compare data/weather.csv --folds 5 --models rnn,lstm,gru,hybrid --seeds 1
   --segments 1``: 20 fold trainings (``FoldTask``s); comparison.csv must be byte-equal.
2. many series: the first ``--m4-series`` series of the M4 hourly training file
   (../shared/data/m4-hourly) as one long table, ``forecast compare --series series --time-col
   step --season 24 --horizon 48 --models rnn,gru --seeds 2``: 4 runs, each a global model over
   every series, whose run directories travel back to the client as bytes. ``backtest`` scores
   one series (it refuses ``--series``), so the many-series workload is a ``compare --series``
   (with ``--segment 1``: with the default ``auto`` compare fails on this step-indexed table
   while training its linear baseline).
   comparison.csv (timing columns aside) and every run's predictions.csv must be equal.

The cluster (``distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
protocol="tcp")`` on 127.0.0.1) is started before the timed runs; its start-up is reported
apart. Its worker processes are restarted before each ``--cluster`` run (untimed), so they import
TensorFlow on their first task inside the timed run, as ``--jobs`` workers do; what a running
cluster saves over ``--jobs`` is only the start of the worker processes themselves. Other work
on the machine slows every number: the load average is written before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
M4 = ROOT.parent / "shared" / "data" / "m4-hourly" / "Hourly-train.csv"
TIMING = ["seconds_per_epoch", "train_samples_per_second", "latency_ms_per_window"]


def m4_long(train: Path, n_series: int, out: Path) -> Path:
    """The first ``n_series`` series of the wide M4 file as a long table (series, step, value)."""
    wide = pd.read_csv(train)
    parts = []
    for _, row in wide.head(n_series).iterrows():
        values = row.iloc[1:].dropna().to_numpy(dtype="float64")
        parts.append(pd.DataFrame({"series": row.iloc[0], "step": np.arange(len(values)),
                                   "value": values}))  # fmt: skip
    pd.concat(parts).to_csv(out, index=False)
    return out


def timed(args: list[str]) -> float:
    """Seconds of wall time of one ``forecast`` process (start-up included); exits on failure."""
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env["PYTHONPATH"] = str(ROOT)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "forecast", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"forecast {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def restart_workers(address: str) -> None:
    """New worker processes (TensorFlow not imported yet), as ``--jobs`` starts its own."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        client.restart(wait_for_workers=True)


def table(out: Path) -> pd.DataFrame:
    frame = pd.read_csv(out / "comparison.csv")
    return frame.drop(columns=[c for c in TIMING if c in frame])


def same_outputs(a: Path, b: Path) -> bool:
    """comparison.csv equal (timings aside) and every predictions.csv byte-equal."""
    if not table(a).equals(table(b)):
        return False
    runs = sorted(p.relative_to(a) for p in a.glob("*/predictions.csv"))
    if runs != sorted(p.relative_to(b) for p in b.glob("*/predictions.csv")):
        return False
    return all((a / r).read_bytes() == (b / r).read_bytes() for r in runs)


def workload(name: str, args: list[str], address: str, repeats: int, tmp: Path) -> dict:
    """Time ``args`` with ``--jobs 2`` and with ``--cluster``, ``repeats`` times each."""
    seconds: dict[str, list[float]] = {"jobs2": [], "cluster": []}
    loads = []
    for k in range(repeats):
        for label, extra in (("jobs2", ["--jobs", "2"]), ("cluster", ["--cluster", address])):
            out = tmp / f"{name}-{label}-{k}"
            if label == "cluster":
                restart_workers(address)
            loads.append(os.getloadavg()[0])
            seconds[label].append(timed([*args, *extra, "--quiet", "--out", str(out)]))
            print(f"{name} {label}: {seconds[label][-1]:.1f} s (load {loads[-1]:.2f})", flush=True)
    equal = all(
        same_outputs(tmp / f"{name}-jobs2-{k}", tmp / f"{name}-cluster-{k}") for k in range(repeats)
    )
    jobs, cluster = np.median(seconds["jobs2"]), np.median(seconds["cluster"])
    return {
        "command": "forecast " + " ".join(args),
        "seconds": {k: [round(x, 1) for x in v] for k, v in seconds.items()},
        "median_seconds": {"jobs2": round(float(jobs), 1), "cluster": round(float(cluster), 1)},
        "overhead_percent": round(100 * (cluster - jobs) / jobs, 1),
        "same_numbers": bool(equal),
        "load_average_before_each_run": [round(x, 2) for x in loads],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--m4-series", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "cluster_overhead.json")
    a = parser.parse_args()
    from distributed import LocalCluster

    load_start, started = os.getloadavg(), time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp",
                           host="127.0.0.1", dashboard_address=":0")  # fmt: skip
    start_seconds = time.perf_counter() - started
    epochs = ["--epochs", str(a.epochs)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            weather = ["compare", str(ROOT / "data" / "weather.csv"), "--folds", "5"]
            weather += ["--models", "rnn,lstm,gru,hybrid", "--seeds", "1", "--segments", "1"]
            address = cluster.scheduler_address
            results = {
                "weather_folds5": workload("weather", weather + epochs, address, a.repeats, tmp)
            }
            long = m4_long(M4, a.m4_series, tmp / f"m4-hourly-{a.m4_series}.csv")
            many = ["compare", str(long), "--series", "series", "--time-col", "step"]
            many += ["--season", "24", "--horizon", "48", "--models", "rnn,gru", "--seeds", "2"]
            many += ["--segments", "1", "--segment", "1"]  # see the docstring
            name = f"m4_hourly_{a.m4_series}_series"
            results[name] = workload("m4", many + epochs, address, a.repeats, tmp)
    finally:
        cluster.close()
    report = {
        "cpus": os.cpu_count(),
        "cluster": "LocalCluster(n_workers=2, threads_per_worker=1, processes=True), tcp 127.0.0.1",
        "cluster_start_seconds": round(start_seconds, 1),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        **results,
    }
    print(json.dumps(report, indent=2))
    a.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Wall time of ``forecast compare --jobs N`` against ``--jobs 1``, in one run on one machine.

    python bench/jobs_speedup.py [--csv data/weather.csv] [--epochs N] [--folds K] [--out FILE.json]

Runs ``forecast compare CSV --models rnn,lstm,gru,hybrid --seeds 1 --segments 1 --quiet`` as a
fresh process at ``--jobs 1``, ``2``, and ``4`` when the machine has at least 4 CPUs (never more
jobs than runs), one after the other; prints the seconds and the speed-up over ``--jobs 1``,
checks that every comparison.csv has the same numbers (timing columns aside), and writes the JSON
with the CPU count and the load average before and after (other work on the machine slows every
number). ``--folds K`` times ``compare --folds K`` instead (every architecture backtested on K
rolling-origin folds: 4 x K trainings), written to ``jobs_speedup-folds<K>.json`` by default.
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

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODELS = ["rnn", "lstm", "gru", "hybrid"]
TIMING = ["seconds_per_epoch", "train_samples_per_second", "latency_ms_per_window"]


def job_counts(cpus: int, runs: int) -> list[int]:
    """1, 2, 4, … while there are CPUs and runs for them (1 and 2 always)."""
    counts, n = [1, 2], 4
    while n <= min(cpus, runs):
        counts.append(n)
        n *= 2
    return counts


def timed_compare(
    csv: Path, out: Path, jobs: int, epochs: int | None, folds: int | None = None
) -> float:
    """Seconds of wall time of one ``forecast compare`` process (start-up included)."""
    args = ["compare", str(csv), "--models", ",".join(MODELS), "--seeds", "1"]
    args += ["--segments", "1", "--jobs", str(jobs), "--quiet", "--out", str(out)]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    if folds is not None:
        args += ["--folds", str(folds)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from forecast.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"forecast {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def numbers(out: Path) -> pd.DataFrame:
    """comparison.csv without its timing columns."""
    table = pd.read_csv(out / "comparison.csv")
    return table.drop(columns=[c for c in TIMING if c in table])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ROOT / "data" / "weather.csv")
    parser.add_argument("--epochs", type=int, help="[default: compare's, 50 with early stopping]")
    parser.add_argument("--folds", type=int, help="time compare --folds K instead")
    parser.add_argument("--out", type=Path)
    a = parser.parse_args()
    name = f"jobs_speedup-folds{a.folds}.json" if a.folds else "jobs_speedup.json"
    a.out = a.out or HERE / name
    cpus = os.cpu_count() or 1
    load_before = os.getloadavg()
    seconds, tables = {}, {}
    with tempfile.TemporaryDirectory(prefix="jobs-speedup-") as tmp:
        for jobs in job_counts(cpus, len(MODELS) * (a.folds or 1)):
            out = Path(tmp) / f"jobs{jobs}"
            seconds[jobs] = timed_compare(a.csv, out, jobs, a.epochs, a.folds)
            tables[jobs] = numbers(out)
            print(f"--jobs {jobs}: {seconds[jobs]:.1f} s", flush=True)
    same = all(t.equals(tables[1]) for t in tables.values())
    result = {
        "csv": str(a.csv.relative_to(ROOT) if a.csv.is_relative_to(ROOT) else a.csv),
        "models": MODELS,
        "seeds": 1,
        "segments": 1,
        "epochs": a.epochs or "default",
        "folds": a.folds,
        "cpus": cpus,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": {str(j): round(s, 1) for j, s in seconds.items()},
        "speedup": {str(j): round(seconds[1] / s, 2) for j, s in seconds.items()},
        "same_numbers": same,
    }
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'jobs':>4}  {'seconds':>8}  {'speed-up':>8}")
    for j, s in seconds.items():
        print(f"{j:>4}  {s:>8.1f}  {seconds[1] / s:>7.2f}x")
    print(
        f"same numbers at every --jobs: {same}; {cpus} CPUs, load average "
        f"{load_before[0]:.2f} before, {result['load_average_after'][0]:.2f} after; wrote {a.out}"
    )


if __name__ == "__main__":
    main()

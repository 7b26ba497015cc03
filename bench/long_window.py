"""Wall time of one `forecast fit` with a long lookback (issue 16): window 720 (30 days of hourly
rows), horizon 24, segment-wise GRU (``--segment 24``: 30 recurrent steps), on 20,000 synthetic
hourly rows (bench/synth.py: daily and weekly seasonality, trend, noise; 3 columns), default
epochs and early stopping. The goal: under 3 minutes on 2 CPU cores, the whole command included
(reading, windowing, training, scoring, plots).

    python bench/long_window.py [--rows 20000] [--segment 24] [--out FILE.json]
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

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--window", type=int, default=720)
    parser.add_argument("--segment", type=int, default=24)
    parser.add_argument("--out", type=Path, default=HERE / "long_window.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "hourly.csv"
        subprocess.run([sys.executable, HERE / "synth.py", str(args.rows), "3", csv], check=True)
        run = Path(tmp) / "run"
        command = [sys.executable, "-m", "forecast", "fit", str(csv), "--model", "gru"]
        command += ["--window", str(args.window), "--horizon", "24"]
        command += ["--segment", str(args.segment), "--out", str(run), "--quiet"]
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=HERE.parent, capture_output=True)
        seconds = time.perf_counter() - start
        metrics = json.loads((run / "metrics.json").read_text())
    result = {
        "rows": args.rows,
        "window": args.window,
        "segment": args.segment,
        "seconds": round(seconds, 1),
        "epochs": metrics["epochs_run"],
        "train_seconds": metrics["train_seconds"],
        "rmse": metrics["rmse"],
        "baselines_rmse": {k: v["rmse"] for k, v in metrics["baselines"].items()},
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

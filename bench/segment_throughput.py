"""Training throughput of segment-wise recurrence against the plain-Keras point-wise reference,
in one run on one machine (issue 16): GRU and LSTM at windows 96 and 336, horizon 24.

    python bench/segment_throughput.py [--rows 8000] [--epochs 2] [--out FILE.json]

For each cell it runs, as separate processes on the same synthetic hourly CSV (``../shared/bench/
synth.py``: daily and weekly seasonality, trend, noise): the plain-Keras reference
(``../shared/bench/plain_keras_ref.py``: materialised NumPy windows, ``model.fit``, point-wise),
forecast point-wise (``--segment 1``) and forecast segment-wise (``--segment 24``: 4 recurrent
steps at window 96, 14 at 336). Prints training windows per second and the ratio to the reference.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"


def run(args: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def reference(csv: Path, cell: str, window: int, epochs: int) -> float:
    ref = SHARED / "plain_keras_ref.py"
    return float(
        run(
            [
                str(ref),
                str(csv),
                "--cell",
                cell,
                "--window",
                str(window),
                "--horizon",
                "24",
                "--epochs",
                str(epochs),
            ]
        )
    )


def ours(csv: Path, cell: str, window: int, segment: int, epochs: int) -> float:
    line = run(
        [
            str(HERE / "fit_throughput.py"),
            str(csv),
            "--model",
            cell,
            "--window",
            str(window),
            "--horizon",
            "24",
            "--segment",
            str(segment),
            "--epochs",
            str(epochs),
        ]
    )
    return float(json.loads(line)["steady_samples_per_second"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=8000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "segment_throughput.json"))
    a = ap.parse_args()
    csv = Path(tempfile.mkdtemp()) / "synth.csv"
    run([str(SHARED / "synth.py"), str(a.rows), "8", str(csv)])
    rows = []
    print(
        f"{'cell':6}{'window':>7}{'plain keras':>13}{'ours S=1':>10}{'ours S=24':>11}"
        f"{'x S=1':>7}{'x S=24':>8}   (training windows/s, {a.rows} rows)"
    )
    for cell in ("gru", "lstm"):
        for window in (96, 336):
            ref = reference(csv, cell, window, a.epochs)
            point = ours(csv, cell, window, 1, a.epochs)
            seg = ours(csv, cell, window, 24, a.epochs)
            rows.append(
                {
                    "cell": cell,
                    "window": window,
                    "plain_keras": ref,
                    "segment_1": point,
                    "segment_24": seg,
                    "ratio_1": point / ref,
                    "ratio_24": seg / ref,
                }
            )
            print(
                f"{cell:6}{window:>7}{ref:>13.0f}{point:>10.0f}{seg:>11.0f}"
                f"{point / ref:>7.2f}{seg / ref:>8.2f}",
                flush=True,
            )
    Path(a.out).write_text(
        json.dumps({"rows": a.rows, "epochs": a.epochs, "cells": rows}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()

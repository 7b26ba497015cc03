"""Steady-state training throughput, forecast vs plain Keras, side by side in one run.

    python bench/steady.py [--rows 20000] [--epochs 4] [--models gru,lstm] [--batches 64,256]
                           [--window 96] [--variants default,no-unroll,no-determinism,threads-2-1]

Each cell is windows/s of the median epoch after the first (the first includes tracing; its
seconds are printed too), window ``--window`` (96), horizon 24, 64 units, 8 columns. *forecast*
variants: ``default`` (what `forecast fit` does: on a CPU-only machine it unrolls windows up to
``forecast.models.registry.UNROLL_MAX_WINDOW``), ``unroll`` / ``no-unroll`` (recurrent loops
always / never
unrolled), ``no-determinism`` (without ``enable_op_determinism``), ``threads-I-J`` (intra/inter-op
threads). *keras*: bench/keras_ref.py --steady (the replica of
../shared/bench/plain_keras_ref.py). Every measurement is its own subprocess, run one after the
other; ratios are within this run only. *torch*: bench/torch_ref.py (the same network in a minimal
PyTorch loop, rate of its last epoch) when a Python with torch is found (as bench/run.py looks for
one). Target (issue 11): forecast >= 2x keras.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from run import torch_python  # noqa: E402

VARIANT_FLAGS = {
    "default": [],
    "no-determinism": ["--no-determinism"],
    "unroll": ["--unroll=on"],
    "no-unroll": ["--unroll=off"],
}


def flags(variant: str) -> list[str]:
    if variant.startswith("threads-"):
        intra, inter = variant.split("-")[1:]
        return [f"--threads={intra},{inter}"]
    return VARIANT_FLAGS[variant]


def run(cmd: list[str]) -> str:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {done.stderr[-1500:]}")
    return done.stdout.strip().splitlines()[-1]


def torch_rate(python: str, common: list[str], model: str) -> tuple[float, int | str]:
    """bench/torch_ref.py's rate of its last epoch (of ``--epochs``) with ``python``; one
    intra-op thread on an oversubscribed machine, as in bench/run.py."""
    threads = 1 if os.getloadavg()[0] >= (os.cpu_count() or 1) else 0
    cmd = [python, str(HERE / "torch_ref.py"), *common, "--cell", model, f"--threads={threads}"]
    return float(run(cmd)), threads or "default"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--models", default="gru,lstm")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--window", type=int, default=96)
    ap.add_argument("--variants", default="default,no-unroll,unroll")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    a = ap.parse_args()
    torch_py = None if a.no_torch else torch_python()
    csv = Path(tempfile.mkdtemp()) / "synth.csv"
    subprocess.run([sys.executable, str(HERE / "synth.py"), str(a.rows), "8", str(csv)], check=True)
    variants = a.variants.split(",")
    print(
        f"{a.rows} rows x 8, window {a.window}, horizon 24, 64 units; windows/s, median of "
        f"epochs 2-{a.epochs}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'model':6}{'batch':>6}{'keras':>9}{'torch':>9}" + "".join(f"{v:>16}" for v in variants)
    )
    rows = []
    for model in a.models.split(","):
        for batch in (int(b) for b in a.batches.split(",")):
            common = [str(csv), f"--batch-size={batch}", f"--epochs={a.epochs}"]
            common.append(f"--window={a.window}")
            keras = float(
                run(
                    [
                        sys.executable,
                        str(HERE / "keras_ref.py"),
                        *common,
                        f"--cell={model}",
                        "--steady",
                    ]
                )
            )
            row = {"model": model, "batch": batch, "keras": keras, "torch": None}
            if torch_py:
                row["torch"], row["torch_threads"] = torch_rate(torch_py, common, model)
            for v in variants:
                out = run(
                    [
                        sys.executable,
                        str(HERE / "fit_throughput.py"),
                        *common,
                        f"--model={model}",
                        *flags(v),
                    ]
                )
                result = json.loads(out)
                row[v] = result["steady_samples_per_second"]
                row[f"{v}_first_epoch_s"] = result["epoch_seconds"][0]
            rows.append(row)
            torch_text = f"{row['torch']:>9.0f}" if row["torch"] else f"{'-':>9}"
            print(
                f"{model:6}{batch:>6}{keras:>9.0f}{torch_text}"
                + "".join(f"{row[v]:>8.0f} ({row[v] / keras:4.2f}x)" for v in variants),
                flush=True,
            )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

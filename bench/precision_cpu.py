"""Why ``--mixed-precision`` trains in float32 on a CPU: training steps of the same GRU/LSTM
(window 96, 8 inputs, 64 units, horizon 24) under the ``float32``, ``mixed_bfloat16`` and
``mixed_float16`` Keras policies, timed alternately in one process so that machine load hits
each alike. Prints the median seconds per step and the ratio to float32.

    python bench/precision_cpu.py [--cell gru|lstm] [--batch 256] [--steps 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


def build(cell: str, policy: str):
    import keras

    keras.config.set_dtype_policy(policy)
    layer = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cell]
    model = keras.Sequential(
        [keras.Input((96, 8)), layer(64), keras.layers.Dense(24, dtype="float32")]
    )
    model.compile("adam", "mse")
    keras.config.set_dtype_policy("float32")
    return model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", default="gru")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(a.batch, 96, 8)).astype("float32")
    y = rng.normal(size=(a.batch, 24)).astype("float32")
    models = {p: build(a.cell, p) for p in POLICIES}
    for m in models.values():
        m.train_on_batch(x, y)  # trace
    times = {p: [] for p in POLICIES}
    for _ in range(a.rounds):
        for p, m in models.items():
            start = time.perf_counter()
            for _ in range(a.steps):
                m.train_on_batch(x, y)
            times[p].append((time.perf_counter() - start) / a.steps)
    base = statistics.median(times["float32"])
    print(f"{a.cell}, batch {a.batch}: median seconds per training step ({a.rounds} rounds)")
    for p in POLICIES:
        t = statistics.median(times[p])
        print(f"  {p:15} {t:8.4f} s   {base / t:5.2f}x float32 speed")


if __name__ == "__main__":
    main()

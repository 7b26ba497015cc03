"""Seconds of the closed-form linear baseline's two parts at 1 M-row scale (issue 11), on synthetic
features of the 1 M x 8 bench's shape (window 96 x 14 inputs + bias = 1,345 columns, horizon 24):

    python bench/linear_solve.py [--rows 20000] [--d 1345] [--horizon 24]

- ``moments``: accumulating XᵀX and Xᵀr over ``--rows`` windows in batches of 1,024 (the pass over
  the training and validation windows; ``forecast.training.linear.normal_equations`` without the
  Keras
  feature model), with the seconds extrapolated to the 1 M bench's 849,858 windows;
- one 1,024-window batch's ``XᵀX``: ``f.T @ f`` (what ``normal_equations`` does) against the
  symmetric rank-k update ``dsyrk`` (half the flops; measured, not adopted: no faster on an idle
  machine with OpenBLAS), best of 5;
- ``choose_ridge``: the penalty search over ``RIDGE_GRID`` from those moments, solved by
  ``numpy.linalg.lstsq`` per penalty (the old solver) and by a Cholesky factorisation per penalty
  (``forecast.training.linear.solve_ridge``), with the largest difference of the chosen weights.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.linalg.blas import dsyrk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecast.training import linear

BENCH_WINDOWS = 699_881 + 149_977  # train + val windows of bench/scale.py's 1 M-row fit


def lstsq_solve(xtx: np.ndarray, xty: np.ndarray, ridge: float) -> np.ndarray:
    """The solver before issue 11's change: a least-squares solve per penalty."""
    penalty = np.full(len(xtx), ridge * np.trace(xtx) / len(xtx))
    penalty[-1] = 0.0
    return np.linalg.lstsq(xtx + np.diag(penalty), xty, rcond=None)[0]


def moments(rows: int, d: int, horizon: int, rng) -> tuple:
    """Moments of smooth random-walk features (correlated columns, like lagged inputs)."""
    xtx = np.zeros((d, d))
    xty = np.zeros((d, horizon))
    w = rng.normal(size=(d - 1, horizon)) / d
    rtr = 0.0
    for start in range(0, rows, 1024):
        n = min(1024, rows - start)
        f = np.cumsum(rng.normal(size=(n, d - 1)), axis=1) / 10
        r = f @ w + rng.normal(size=(n, horizon))
        f = np.hstack([f, np.ones((n, 1))])
        xtx += f.T @ f
        xty += f.T @ r
        rtr += float(np.sum(r**2))
    return xtx, xty, rtr, rows


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--d", type=int, default=1345)
    ap.add_argument("--horizon", type=int, default=24)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    seconds, train = timed(moments, a.rows, a.d, a.horizon, rng)
    val = moments(a.rows // 4, a.d, a.horizon, rng)
    per_window = seconds / a.rows
    print(
        f"moments: {seconds:.2f} s for {a.rows} windows x {a.d} columns "
        f"(~{per_window * BENCH_WINDOWS:.0f} s for the 1 M bench's {BENCH_WINDOWS} windows, "
        "random numbers included)"
    )
    f = rng.normal(size=(1024, a.d))
    for name, product in (("f.T @ f", lambda: f.T @ f), ("dsyrk", lambda: dsyrk(1.0, f, trans=1))):
        best = min(timed(product)[0] for _ in range(5))
        print(f"XᵀX of one 1,024-window batch, {name:8}: {best * 1e3:6.1f} ms")
    results = {}
    for name, solver in (("lstsq", lstsq_solve), ("cholesky", linear.solve_ridge)):
        original = linear.solve_ridge
        linear.solve_ridge = solver
        try:
            results[name] = timed(linear.choose_ridge, train, val)
        finally:
            linear.solve_ridge = original
        seconds, (ridge, _, mse) = results[name]
        print(f"choose_ridge, {name:8}: {seconds:6.2f} s (penalty {ridge:.3g}, val MSE {mse:.6g})")
    w_old, w_new = results["lstsq"][1][1], results["cholesky"][1][1]
    print(f"largest |weight difference|: {np.abs(w_old - w_new).max():.2e}")


if __name__ == "__main__":
    main()

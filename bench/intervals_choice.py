"""Which conformal method keeps its promise when the error level drifts? Coverage and width.

    python bench/intervals_choice.py [--models gru,linear] [--epochs 20] [--data weather,stock]

For each data set and model (default options otherwise) it trains once, takes the absolute
residuals of the validation and test windows, and prints, per method, the empirical coverage of
the 80 % and 95 % intervals and their mean half-width relative to split conformal:

- on ``val2``: calibrated on the first half of validation, scored on its second half (a check that
  never reads the test split);
- on ``test``: calibrated on validation, scored on the test split (what metrics.json reports).

Methods (forecast/intervals.py ``online_widths``): ``split`` (validation residuals only, fixed),
``rolling`` (the most recent n_val residuals, updated as test origins' targets are observed,
respecting the h-step delay), ``aci`` (split + adaptive conformal inference, Gibbs & Candès 2021,
step size gamma), ``rolling+aci``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.evaluation.intervals import coverage, online_widths
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (0.8, 0.95)


def methods(n_cal: int) -> dict[str, dict]:
    """Method name → ``online_widths`` keyword arguments."""
    return {
        "split": {"window": None, "gamma": 0.0, "recent": False},
        "rolling": {"window": n_cal, "gamma": 0.0},
        "aci.005": {"window": None, "gamma": 0.005, "recent": False},
        "aci.02": {"window": None, "gamma": 0.02, "recent": False},
        "aci.05": {"window": None, "gamma": 0.05, "recent": False},
        "rolling+aci.005": {"window": n_cal, "gamma": 0.005},
        "rolling+aci.02": {"window": n_cal, "gamma": 0.02},
        "rolling+aci.05": {"window": n_cal, "gamma": 0.05},
    }


def score(cal_res, eval_res, eval_actual, eval_pred, level, **kw):
    """(coverage, mean half-width) of one method on the evaluation windows."""
    widths = online_widths(cal_res, eval_res, level, **kw)[:-1]
    return coverage(eval_actual, eval_pred, widths), float(widths.mean())


def rows_for(data: str, name: str, epochs: int):
    options = FitOptions(model=name, epochs=epochs)
    prepared = prepare(load_series_for(ROOT / "data" / f"{data}.csv", options), options)
    model, _ = train_one(name, prepared, options, verbose=0)
    val_a, test_a = prepared.actual("val"), prepared.actual("test")
    val_p, test_p = predict_part(model, prepared, "val"), predict_part(model, prepared, "test")
    half = len(val_a) // 2
    cases = {
        "val2": (val_a[:half], val_p[:half], val_a[half:], val_p[half:]),
        "test": (val_a, val_p, test_a, test_p),
    }
    for where, (ca, cp, ea, ep) in cases.items():
        cal_res, eval_res = np.abs(ca - cp), np.abs(ea - ep)
        base = {}
        for method, kw in methods(len(cal_res)).items():
            cells = []
            for level in LEVELS:
                cov, width = score(cal_res, eval_res, ea, ep, level, **kw)
                base.setdefault(level, width)
                cells += [cov, width / base[level]]
            yield data, name, where, len(ea), method, cells


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="gru,linear")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--data", default="weather,stock")
    args = ap.parse_args()
    start = time.perf_counter()
    print(
        f"{'data':8}{'model':7}{'split':6}{'n':>5}  {'method':16}{'cov80':>7}{'width80':>8}"
        f"{'cov95':>7}{'width95':>8}   (width: mean half-width / split conformal's)"
    )
    for data in args.data.split(","):
        for name in args.models.split(","):
            for d, m, where, n, method, (c80, w80, c95, w95) in rows_for(data, name, args.epochs):
                print(
                    f"{d:8}{m:7}{where:6}{n:>5}  {method:16}{c80:>7.1%}{w80:>8.3f}"
                    f"{c95:>7.1%}{w95:>8.3f}"
                )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

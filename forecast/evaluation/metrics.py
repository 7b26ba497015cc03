"""Metrics and the naive baselines, in the target's original units, over every test origin.

All functions here are pure NumPy: ``actual`` and ``predicted`` are ``(n_windows, horizon)`` arrays
for the same origins, so every model and baseline is scored on exactly the same windows. ``scores``
also takes ``forecast.data.windows.WindowArray`` inputs and works a block of origins at a time, so a
million-row series is scored without holding several ``(n_windows, horizon)`` float64 copies.
"""

from __future__ import annotations

import numpy as np

from forecast.data.prepared import naive_scale  # noqa: F401  (the MASE denominator, re-exported)
from forecast.data.windows import blocks_of


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE in percent (0–200); a pair that is 0 on both sides counts as exact."""
    return float(100 * np.mean(smape_ratio(actual, predicted)))


def smape_ratio(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """``2|a - p| / (|a| + |p|)`` elementwise, 0 where both are 0."""
    denom = np.abs(actual) + np.abs(predicted)
    return np.divide(
        2 * np.abs(actual - predicted),
        denom,
        out=np.zeros_like(denom, dtype="float64"),
        where=denom > 0,
    )


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """MAE relative to the in-sample one-step naive forecast (< 1 beats it)."""
    return mae(actual, predicted) / scale if scale > 0 else float("nan")


def per_horizon_rmse(actual: np.ndarray, predicted: np.ndarray) -> list[float]:
    """RMSE of each horizon step, ``(horizon,)``."""
    return np.sqrt(np.mean((actual - predicted) ** 2, axis=0)).tolist()


def error_sums(actual, predicted) -> np.ndarray:
    """``(3, horizon)``: per step, the sums over origins of the squared error, the absolute error
    and the sMAPE ratio, accumulated a block of origins at a time."""
    total = np.zeros((3, actual.shape[1]))
    for _, (a, p) in blocks_of(actual, predicted):
        err = a - p
        total += [np.sum(err**2, axis=0), np.sum(np.abs(err), axis=0), smape_ratio(a, p).sum(0)]
    return total


def scores(actual, predicted, scale: float) -> dict:
    """The headline metrics of one forecaster (the same as ``rmse``, ``mae``, ``smape``, ``mase``
    and ``per_horizon_rmse``, up to the order of summation), from ``error_sums``.

    Args:
        actual, predicted: ``(n_windows, horizon)`` arrays or ``WindowArray``s.
        scale: the MASE denominator (``naive_scale``).
    """
    sq, ab, ratio = error_sums(actual, predicted)
    n = len(actual)
    mean_abs = float(ab.sum() / (n * len(ab)))
    return {
        "rmse": float(np.sqrt(sq.sum() / (n * len(sq)))),
        "mae": mean_abs,
        "smape": float(100 * ratio.sum() / (n * len(ratio))),
        "mase": mean_abs / scale if scale > 0 else float("nan"),
        "per_horizon_rmse": np.sqrt(sq / n).tolist(),
    }


def skill(model_rmse: float, reference_rmse: float) -> float:
    """``1 - rmse / reference``: > 0 beats the reference, < 0 loses to it."""
    return 1.0 - model_rmse / reference_rmse if reference_rmse > 0 else float("nan")

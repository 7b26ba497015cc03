"""Metrics and the naive baselines, in the target's original units, over every test origin.

All functions here are pure NumPy: ``actual`` and ``predicted`` are ``(n_windows, horizon)`` arrays
for the same origins, so every model and baseline is scored on exactly the same windows.
"""

from __future__ import annotations

import numpy as np


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE in percent (0–200); a pair that is 0 on both sides counts as exact."""
    denom = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(
        2 * np.abs(actual - predicted),
        denom,
        out=np.zeros_like(denom, dtype="float64"),
        where=denom > 0,
    )
    return float(100 * np.mean(ratio))


def naive_scale(train_target: np.ndarray) -> float:
    """MASE denominator: mean absolute one-step change of the target over the training rows."""
    return float(np.mean(np.abs(np.diff(train_target))))


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """MAE relative to the in-sample one-step naive forecast (< 1 beats it)."""
    return mae(actual, predicted) / scale if scale > 0 else float("nan")


def per_horizon_rmse(actual: np.ndarray, predicted: np.ndarray) -> list[float]:
    """RMSE of each horizon step, ``(horizon,)``."""
    return np.sqrt(np.mean((actual - predicted) ** 2, axis=0)).tolist()


def persistence(target: np.ndarray, starts: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """Tomorrow = today: the last observed value repeated, ``(n_windows, horizon)``."""
    last = target[starts + window - 1]
    return np.repeat(last[:, None], horizon, axis=1)


def seasonal_naive(
    target: np.ndarray, starts: np.ndarray, window: int, horizon: int, season: int
) -> np.ndarray:
    """Each step copies the value one season earlier, from observed rows only.

    Step ``h`` (1-based) from an origin whose last observed row is ``t`` uses row
    ``t + h - season * ceil(h / season)``, which is never after ``t``.
    """
    steps = np.arange(1, horizon + 1)
    back = season * np.ceil(steps / season).astype("int64")
    rows = (starts + window - 1)[:, None] + steps - back
    if rows.min() < 0:
        raise ValueError("seasonal naive needs a full season of history before the first origin")
    return target[rows]


def scores(actual: np.ndarray, predicted: np.ndarray, scale: float) -> dict:
    """The headline metrics of one forecaster."""
    return {
        "rmse": rmse(actual, predicted),
        "mae": mae(actual, predicted),
        "smape": smape(actual, predicted),
        "mase": mase(actual, predicted, scale),
        "per_horizon_rmse": per_horizon_rmse(actual, predicted),
    }


def skill(model_rmse: float, reference_rmse: float) -> float:
    """``1 - rmse / reference``: > 0 beats the reference, < 0 loses to it."""
    return 1.0 - model_rmse / reference_rmse if reference_rmse > 0 else float("nan")

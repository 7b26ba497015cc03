"""Metrics and the naive baselines, in the target's original units, over every test origin.

All functions here are pure NumPy: ``actual`` and ``predicted`` are ``(n_windows, horizon)`` arrays
for the same origins, so every model and baseline is scored on exactly the same windows. ``scores``
also takes ``forecast.windows.WindowArray`` inputs and works a block of origins at a time, so a
million-row series is scored without holding several ``(n_windows, horizon)`` float64 copies.
"""

from __future__ import annotations

import numpy as np

from forecast.windows import blocks_of


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

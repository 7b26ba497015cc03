"""Prediction intervals by split conformal prediction, per horizon step.

Calibration uses the VALIDATION windows only: for each horizon step the half-width is the
``ceil((n + 1) * level) / n`` empirical quantile of the absolute validation residuals (the
finite-sample correction that makes ``P(|y - ŷ| <= w) >= level`` for exchangeable data). The test
split is used only to report the empirical coverage. Pure NumPy.
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (0.80, 0.95)


def level_key(level: float) -> str:
    """``0.8`` → ``"80"``: the key used in metrics.json and column names."""
    return str(round(level * 100))


def conformal_width(abs_residuals: np.ndarray, level: float) -> np.ndarray:
    """Half-width per horizon step from absolute calibration residuals.

    Args:
        abs_residuals: ``(n_windows, horizon)`` ``|actual - predicted|`` on validation windows.
        level: nominal coverage in (0, 1).

    Returns:
        ``(horizon,)`` half-widths. With too few windows for the requested level
        (``ceil((n + 1) * level) > n``) the largest residual is used, which under-covers; the caller
        sees it in the reported coverage.
    """
    if not 0 < level < 1:
        raise ValueError(f"level {level} must be in (0, 1)")
    r = np.sort(np.abs(np.asarray(abs_residuals, dtype="float64")), axis=0)
    n = r.shape[0]
    if n == 0:
        raise ValueError("conformal calibration needs at least one validation window")
    k = min(math.ceil((n + 1) * level), n)  # 1-based rank of the order statistic
    return r[k - 1]


def calibrate(
    actual: np.ndarray, predicted: np.ndarray, levels: tuple[float, ...] = LEVELS
) -> dict[str, list[float]]:
    """``{"80": [w_1..w_h], "95": [...]}`` from validation ``actual`` and ``predicted``,
    both ``(n_windows, horizon)`` in original units."""
    residuals = np.abs(np.asarray(actual) - np.asarray(predicted))
    return {level_key(lv): conformal_width(residuals, lv).tolist() for lv in levels}


def bands(predicted: np.ndarray, width) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` of the same shape as ``predicted`` ``(..., horizon)``."""
    w = np.asarray(width, dtype="float64")
    return predicted - w, predicted + w


def coverage(actual: np.ndarray, predicted: np.ndarray, width) -> float:
    """Fraction of (window, step) pairs whose actual lies inside ``predicted ± width``."""
    lower, upper = bands(np.asarray(predicted, dtype="float64"), width)
    inside = (actual >= lower) & (actual <= upper)
    return float(np.mean(inside))


def interval_metrics(
    val_actual: np.ndarray,
    val_predicted: np.ndarray,
    test_actual: np.ndarray,
    test_predicted: np.ndarray,
) -> dict:
    """metrics.json entries: ``intervals`` (half-widths per step, calibrated on validation) and
    ``coverage_80`` / ``coverage_95`` (empirical, on the test windows)."""
    widths = calibrate(val_actual, val_predicted)
    out: dict = {"intervals": widths, "interval_method": "split conformal, |val residual| per step"}
    for key, w in widths.items():
        out[f"coverage_{key}"] = coverage(test_actual, test_predicted, w)
    return out


def interval_columns(
    predicted: np.ndarray, widths: dict[str, list[float]]
) -> dict[str, np.ndarray]:
    """``lower_80, upper_80, lower_95, upper_95`` arrays shaped like ``predicted``."""
    cols = {}
    for key, w in widths.items():
        lower, upper = bands(predicted, w)
        cols[f"lower_{key}"] = lower
        cols[f"upper_{key}"] = upper
    return cols

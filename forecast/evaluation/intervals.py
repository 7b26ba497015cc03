"""Prediction intervals by conformal prediction, per horizon step.

Split conformal: for each horizon step the half-width is the ``ceil((n + 1) * level)``-th smallest
absolute VALIDATION residual (the finite-sample correction that makes ``P(|y - ŷ| <= w) >= level``
for exchangeable data).

A series whose error level drifts (validation in summer, test in winter) is not exchangeable, and
split conformal under-covers. The default therefore follows adaptive conformal inference (ACI,
Gibbs & Candès 2021) on top of it: as test origins pass and their targets are observed (the step-j
outcome of an origin only j origins later), each step's miscoverage level ``alpha`` moves by
``gamma * (1 - level - miss)``, widening the band after misses and narrowing it after hits.
``gamma = 0.02`` and the method were chosen with bench/intervals_choice.py (docs/choices.md,
"Prediction intervals"). The widths of each test origin use only outcomes observed before it;
the test split's coverage is reported, never used to calibrate anything else. Pure NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from forecast.data.windows import blocks_of

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


def rank(n: int, level: float) -> int:
    """1-based rank ``ceil((n + 1) * level)`` of the conformal order statistic, capped at ``n``."""
    return min(math.ceil((n + 1) * level), n)


def online_widths(
    val_residuals: np.ndarray,
    test_residuals: np.ndarray,
    level: float,
    window: int | None = None,
    gamma: float = 0.0,
    recent: bool = True,
) -> np.ndarray:
    """Half-widths that follow the error level as test origins pass, per horizon step.

    Origins are consecutive (stride 1): the step-``j`` residual of test origin ``i`` is observed
    ``j`` origins later, so the width of origin ``i`` at step ``j`` may use only the validation
    residuals and the test residuals of origins ``<= i - j``. From those, the most recent
    ``window`` (all when ``None``) form the calibration set (``recent=False``: the validation
    residuals only, as in split conformal); its ``ceil((n + 1)(1 - alpha))``-th
    smallest value is the width. ``alpha`` starts at ``1 - level`` and, with ``gamma > 0``,
    follows adaptive conformal inference (Gibbs & Candès 2021): when an origin's step-``j``
    outcome arrives, ``alpha_j += gamma * (1 - level - miss)``. ``alpha <= 0`` gives the largest
    calibration residual, ``alpha >= 1`` a zero width.

    Args:
        val_residuals: ``(n_val, horizon)`` absolute validation residuals.
        test_residuals: ``(n_test, horizon)`` absolute test residuals, in origin order.
        level: nominal coverage in (0, 1).
        window: number of most recent residuals to calibrate on, or ``None`` for all.
        gamma: ACI step size; 0 keeps ``alpha`` fixed.
        recent: let observed test residuals join the calibration set.

    Returns:
        ``(n_test + 1, horizon)`` widths: one row per test origin, then the width for the next
        origin after the last (for forecasts past the data).
    """
    val, test = absolute(val_residuals), absolute(test_residuals)
    n_val, horizon = val.shape
    n_test = len(test)
    if n_val == 0:
        raise ValueError("conformal calibration needs at least one validation window")
    if not recent:
        return aci_widths(val, test, level, gamma)
    scores = np.concatenate([val, test])
    out = np.empty((n_test + 1, horizon))
    alpha = np.full(horizon, 1.0 - level)
    for i in range(n_test + 1):
        for s in range(horizon):  # s = j - 1
            seen = i - s - 1  # the test origin whose step-j outcome has just arrived
            if gamma and 0 <= seen < n_test:
                miss = float(test[seen, s] > out[seen, s])
                alpha[s] += gamma * ((1.0 - level) - miss)
            end = n_val + max(0, i - s) if recent else n_val
            calib = scores[(0 if window is None else max(0, end - window)) : end, s]
            out[i, s] = order_statistic(calib, 1.0 - alpha[s])
    return out


def absolute(residuals) -> np.ndarray:
    """``residuals`` as non-negative float64, without a copy when they already are (a 29 MB
    array at 150,000 origins x 24 steps)."""
    r = np.asarray(residuals, dtype="float64")
    return np.abs(r) if (r < 0).any() else r


def abs_residuals(actual, predicted) -> np.ndarray:
    """``|actual - predicted|`` ``(n_windows, horizon)`` float64, computed a block of origins at a
    time (``actual`` / ``predicted`` may be ``forecast.data.windows.WindowArray``s)."""
    out = np.empty(np.shape(actual))
    for s, (a, p) in blocks_of(actual, predicted):
        out[s] = np.abs(np.asarray(a, dtype="float64") - p)
    return out


def aci_widths(val: np.ndarray, test: np.ndarray, level: float, gamma: float) -> np.ndarray:
    """``online_widths`` with the validation residuals as the fixed calibration set: sorted once,
    so each origin costs O(horizon) (vectorised over the steps)."""
    return aci_run(val, test, level, gamma)[0]


def aci_run(
    val: np.ndarray, test: np.ndarray, level: float, gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """``aci_widths`` and the miscoverage levels ``alpha`` ``(horizon,)`` it ends with (after
    every test outcome has arrived): the state ``forecast update`` continues from."""
    n_test, horizon = len(test), val.shape[1]
    # already sorted by origin_widths (both levels share it): no second (n_val, horizon) copy
    ordered = val if bool(np.all(val[1:] >= val[:-1])) else np.sort(val, axis=0)
    steps = np.arange(horizon)
    out = np.empty((n_test + 1, horizon))
    alpha = np.full(horizon, 1.0 - level)
    for i in range(n_test + horizon):
        seen = i - steps - 1  # per step, the test origin whose outcome has just arrived
        ok = (seen >= 0) & (seen < n_test)
        if gamma and ok.any():
            miss = test[seen[ok], steps[ok]] > out[seen[ok], steps[ok]]
            alpha[ok] += gamma * ((1.0 - level) - miss)
        if i <= n_test:
            out[i] = width_at(ordered, alpha)
    return out, alpha


def width_at(ordered: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Per step, the ``ceil((n + 1)(1 - alpha))``-th smallest calibration residual (``ordered``:
    ``(n, horizon)`` sorted per step): the largest when that exceeds ``n``, 0 for
    ``alpha >= 1``."""
    n_val, horizon = ordered.shape
    q = 1.0 - np.asarray(alpha, dtype="float64")
    k = np.minimum(np.ceil((n_val + 1) * np.clip(q, 0.0, 1.0)), n_val).astype("int64")
    return np.where(q <= 0, 0.0, ordered[np.maximum(k, 1) - 1, np.arange(horizon)])


def aci_step(alpha: np.ndarray, missed: np.ndarray, step: np.ndarray, level: float) -> np.ndarray:
    """``alpha`` after outcomes arrive, in the order given: outcome ``i`` at horizon step
    ``step[i]`` (1-based) moves its step's level by ``ACI_GAMMA * (1 - level - missed[i])``."""
    alpha = np.array(alpha, dtype="float64")
    np.add.at(
        alpha,
        np.asarray(step, dtype="int64") - 1,
        ACI_GAMMA * ((1.0 - level) - np.asarray(missed, dtype="float64")),
    )
    return alpha


def order_statistic(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) * level)``-th smallest of ``scores`` (the largest when that exceeds
    ``n``; 0 for ``level <= 0``)."""
    if level <= 0:
        return 0.0
    k = rank(len(scores), min(level, 1.0))
    return float(np.partition(scores, k - 1)[k - 1])


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


def coverage(actual, predicted, width) -> float:
    """Fraction of (window, step) pairs whose actual lies inside ``predicted ± width``; ``width``
    is ``(horizon,)`` or ``(n_windows, horizon)`` (counted a block of origins at a time)."""
    width = np.asarray(width, dtype="float64")
    per_origin = width.ndim == 2
    inside = 0
    for s, (a, p) in blocks_of(actual, predicted):
        lower, upper = bands(np.asarray(p, dtype="float64"), width[s] if per_origin else width)
        inside += int(np.count_nonzero((a >= lower) & (a <= upper)))
    return inside / np.size(actual) if np.size(actual) else float("nan")


ACI_GAMMA = 0.02


METHODS = {
    "aci": f"adaptive conformal (Gibbs & Candes 2021, gamma {ACI_GAMMA}) on |val residual| per "
    "step, updated as test targets are observed",
    "split": "split conformal, |val residual| per step",
}


DEFAULT_METHOD = "aci"


def origin_widths(
    val_actual: np.ndarray,
    val_predicted: np.ndarray,
    test_actual: np.ndarray,
    test_predicted: np.ndarray,
    method: str = DEFAULT_METHOD,
    levels: tuple[float, ...] = LEVELS,
) -> dict[str, np.ndarray]:
    """Half-widths of every test origin and of the next origin past the data.

    Args:
        val_actual, val_predicted: ``(n_val, horizon)`` validation windows (calibration).
        test_actual, test_predicted: ``(n_test, horizon)`` test windows, consecutive origins.
            Any of them may be a ``forecast.data.windows.WindowArray``.
        method: ``"aci"`` or ``"split"`` (``METHODS``).

    Returns:
        ``{"80": (n_test + 1, horizon), "95": ...}``: row ``i`` for test origin ``i``, the last
        row for a forecast past the data.
    """
    if method not in METHODS:
        raise ValueError(f"interval method {method!r}: choose from {', '.join(METHODS)}")
    val_res = abs_residuals(val_actual, val_predicted)
    val_res.sort(axis=0)  # the fixed calibration set is used sorted, per step (aci_widths)
    test_res = abs_residuals(test_actual, test_predicted)
    gamma = ACI_GAMMA if method == "aci" else 0.0
    return {
        level_key(lv): online_widths(val_res, test_res, lv, gamma=gamma, recent=False)
        for lv in levels
    }


def interval_metrics(
    val_actual: np.ndarray,
    val_predicted: np.ndarray,
    test_actual: np.ndarray,
    test_predicted: np.ndarray,
    method: str = DEFAULT_METHOD,
    widths: dict[str, np.ndarray] | None = None,
) -> dict:
    """metrics.json entries: ``intervals`` (half-widths per step for the next forecast past the
    data, what ``forecast predict`` uses), ``coverage_80`` / ``coverage_95`` and
    ``interval_mean_width`` (empirical, on the test windows, each origin with its own widths) and
    ``interval_method``. ``widths`` from ``origin_widths`` may be passed to avoid recomputing."""
    if widths is None:
        widths = origin_widths(val_actual, val_predicted, test_actual, test_predicted, method)
    out: dict = {
        "intervals": {k: w[-1].tolist() for k, w in widths.items()},
        "interval_method": METHODS[method],
    }
    for key, w in widths.items():
        out[f"coverage_{key}"] = coverage(test_actual, test_predicted, w[:-1])
    out["interval_mean_width"] = {k: float(w[:-1].mean()) for k, w in widths.items()}
    return out


def interval_columns(predicted: np.ndarray, widths: dict) -> dict[str, np.ndarray]:
    """``lower_80, upper_80, lower_95, upper_95`` arrays shaped like ``predicted``; each width is
    ``(horizon,)`` (the same for every origin) or shaped like ``predicted`` (per origin)."""
    cols = {}
    for key, w in widths.items():
        lower, upper = bands(predicted, w)
        cols[f"lower_{key}"] = lower
        cols[f"upper_{key}"] = upper
    return cols

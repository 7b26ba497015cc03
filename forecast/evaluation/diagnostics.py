"""Is the forecast just the last value, delayed? Three numbers and a rule.

The classic failure of recurrent price forecasts is a curve that looks right on a plot because it is
the actual series shifted one step to the right: the model learned persistence. These diagnostics
detect it on the test windows (stride-1 origins, so the one-step targets form a contiguous series):

- ``best_lag``: the shift ``k`` in ``0 … horizon`` of the actual one-step series that the one-step
  forecast matches best (lowest mean squared difference). 0 = the forecast tracks the present;
  1 = it tracks the previous value, i.e. a delayed copy.
- ``directional_accuracy``: share of (origin, step) pairs where the predicted change from the last
  observed value has the sign of the actual change (per step, then averaged over steps). Pairs whose
  actual change is exactly 0 have no direction and are left out; a predicted change of exactly 0
  counts as wrong. 0.5 is a coin toss.
- ``corr_with_persistence``: correlation between the model's errors and persistence's errors over
  every (origin, step) pair. Persistence's error is the actual change; a model that only repeats the
  last value makes the same errors (correlation 1), while a model that predicts the changes removes
  the predictable part of them and its errors decorrelate from the actual change.

``repeats_last_value`` turns them into one warning (thresholds below, chosen on synthetic delayed
copies and good forecasts; see tests/test_diagnostics.py).
"""

from __future__ import annotations

import numpy as np

from forecast.data.windows import blocks_of

# Warn when the errors are almost those of persistence AND either the forecast lines up best with
# the previous value or it gets the direction of change barely better than a coin.
CORR_THRESHOLD = 0.95


DIRECTION_THRESHOLD = 0.55


def lag_mse(actual_1: np.ndarray, predicted_1: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean squared difference between the one-step forecast and the actual series shifted by
    ``k = 0 … max_lag`` steps, all over the same origins (those with ``max_lag`` earlier ones).

    Args:
        actual_1, predicted_1: ``(n_windows,)`` one-step targets and forecasts of consecutive
            origins.
        max_lag: largest shift, at most ``n_windows - 1``.

    Returns:
        ``(max_lag + 1,)`` mean squared differences.
    """
    n = len(actual_1)
    max_lag = min(max_lag, n - 1)
    p = predicted_1[max_lag:]
    return np.array([np.mean((p - actual_1[max_lag - k : n - k]) ** 2) for k in range(max_lag + 1)])


def best_lag(actual: np.ndarray, predicted: np.ndarray) -> int:
    """``argmin_k`` of ``lag_mse`` over ``k = 0 … horizon`` for ``(n_windows, horizon)`` arrays."""
    return int(np.argmin(lag_mse(actual[:, 0], predicted[:, 0], actual.shape[1])))


def directional_accuracy(actual, predicted, last: np.ndarray) -> float:
    """Share of right signs of the predicted change from ``last`` ``(n_windows,)``, per step, then
    averaged over the steps that have any direction at all (counted a block of origins at a
    time)."""
    counts = right = 0
    for s, (a, p) in blocks_of(actual, predicted):
        true_change = np.sign(a - last[s, None])
        pred_change = np.sign(p - last[s, None])
        has_direction = true_change != 0
        right = right + ((true_change == pred_change) & has_direction).sum(axis=0)
        counts = counts + has_direction.sum(axis=0)
    if np.ndim(counts) == 0:  # no origins
        return float("nan")
    per_step = right[counts > 0] / counts[counts > 0]
    return float(per_step.mean()) if per_step.size else float("nan")


def corr_with_persistence(actual, predicted, last: np.ndarray) -> float:
    """Correlation of the model's errors with persistence's errors (the actual changes), from
    sums accumulated a block of origins at a time (shifted by the first pair of errors, so a
    constant error has exactly zero spread)."""
    last = np.asarray(last, dtype="float64")
    sums = np.zeros(5)  # Σx, Σy, Σx², Σy², Σxy of the shifted errors
    shift = None
    for s, (a, p) in blocks_of(actual, predicted):
        e_model = (a - p).ravel()
        e_persistence = (a - last[s, None]).ravel()
        if shift is None and e_model.size:
            shift = e_model[0], e_persistence[0]
        if shift is not None:
            x, y = e_model - shift[0], e_persistence - shift[1]
            sums += [x.sum(), y.sum(), x @ x, y @ y, x @ y]
    n = np.size(actual)
    if n == 0:
        return float("nan")
    mx, my = sums[0] / n, sums[1] / n
    var_x, var_y = sums[2] / n - mx**2, sums[3] / n - my**2
    if not (var_x > 0 and var_y > 0):
        pairs = blocks_of(actual, predicted)
        same = all(np.allclose(a - p, a - last[s, None]) for s, (a, p) in pairs)
        return 1.0 if same else 0.0
    return float(np.clip((sums[4] / n - mx * my) / np.sqrt(var_x * var_y), -1.0, 1.0))


def diagnose(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray) -> dict:
    """metrics.json ``diagnostics``.

    Args:
        actual, predicted: ``(n_windows, horizon)`` test targets and forecasts, consecutive
            origins (arrays, or ``forecast.data.windows.WindowArray``s read a block at a time).
        last: ``(n_windows,)`` last observed target value of each origin.

    Returns:
        ``best_lag``, ``directional_accuracy``, ``corr_with_persistence`` (``None`` when undefined)
        and ``lag_rmse`` (the RMSE of the one-step forecast against the actual series shifted by
        0 … horizon steps).
    """
    last = np.asarray(last, dtype="float64")
    first = [np.asarray(a[:, 0], dtype="float64") for a in (actual, predicted)]
    lags = lag_mse(*first, np.shape(actual)[1])
    finite = lambda x: x if np.isfinite(x) else None  # noqa: E731  (JSON has no NaN)
    return {
        "best_lag": int(np.argmin(lags)),
        "directional_accuracy": finite(directional_accuracy(actual, predicted, last)),
        "corr_with_persistence": finite(corr_with_persistence(actual, predicted, last)),
        "lag_rmse": np.sqrt(lags).tolist(),
    }


def repeats_last_value(diag: dict) -> bool:
    """True when the forecast mostly repeats the last value.

    The rule: ``corr_with_persistence >= CORR_THRESHOLD`` (0.95: the errors are nearly those of
    persistence) and either ``best_lag >= 1`` (the one-step forecast lines up with the past, not
    the present) or ``directional_accuracy < DIRECTION_THRESHOLD`` (0.55: the direction of change
    is barely better than a coin toss).
    """
    corr = diag.get("corr_with_persistence")
    if corr is None or not corr >= CORR_THRESHOLD:
        return False
    da = diag.get("directional_accuracy")
    return diag.get("best_lag", 0) >= 1 or (da is not None and da < DIRECTION_THRESHOLD)

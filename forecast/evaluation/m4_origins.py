"""M4's benchmarks at every forecast origin of a run: Naive2 and Theta, vectorised.

``forecast.evaluation.m4`` forecasts once from the end of a series, as the competition did. A run
is scored at every test origin (stride 1), so here each series' seasonal indices (the 90 %
seasonality test and the classical multiplicative decomposition) and Theta's smoothing parameter
come from its **training rows** only, and are then applied at every origin with what was observed
up to it:

- **Naive2**: the last observed value, deseasonalised, times the seasonal index of each forecast
  step.
- **Theta** (M4's ``Theta.classic`` on the deseasonalised values ``x_1 … x_n`` up to the origin):
  the mean of the linear trend fit to them, extrapolated, and simple exponential smoothing of the
  theta-2 line ``2 x_j − (a + b j)``. The trend ``(a, b)`` is refit at every origin from running
  sums; the smoothed level is linear in the line, ``L_n = 2 F_x − a F_1 − b F_j + (1−α)^n l₀``
  with ``F_z`` the zero-start exponential filter of ``z``, so every origin costs O(1) after one
  pass. ``α`` is fit on the training rows' theta-2 line; ``l₀`` is the line's first value (its
  weight ``(1−α)^n`` is negligible for the hundreds of rows a run has).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from forecast.evaluation import m4


def indices_of(insample: np.ndarray, season: int) -> np.ndarray:
    """``(season,)`` multiplicative seasonal indices of a series' training rows (all ones when
    M4's test finds no seasonality or the season is 1)."""
    if season < 2 or not m4.seasonality_test(insample, season):
        return np.ones(max(season, 1))
    return m4.seasonal_indices(insample, season)


def naive2_at(y: np.ndarray, last: np.ndarray, horizon: int, indices: np.ndarray) -> np.ndarray:
    """``(n_origins, horizon)`` Naive2 forecasts of one series ``y`` from the rows ``last`` (the
    last observed row of each origin), seasonal phase = row number mod season."""
    m = len(indices)
    steps = last[:, None] + 1 + np.arange(horizon)
    return (y[last] / indices[last % m])[:, None] * indices[steps % m]


def theta_at(
    y: np.ndarray, last: np.ndarray, horizon: int, indices: np.ndarray, alpha: float
) -> np.ndarray:
    """``(n_origins, horizon)`` M4 Theta forecasts of one series ``y`` from the rows ``last``
    with smoothing parameter ``alpha`` (``theta2_alpha`` of the deseasonalised training rows);
    negative forecasts become 0, as in M4's code."""
    m = len(indices)
    rows = np.arange(len(y))
    x = y / indices[rows % m]
    j = rows + 1.0  # time index 1 … n of each row
    n = last + 1.0  # points observed at each origin
    sx, sj = np.cumsum(x)[last], np.cumsum(j)[last]
    sxj, sjj = np.cumsum(x * j)[last], np.cumsum(j * j)[last]
    b = (n * sxj - sj * sx) / (n * sjj - sj**2)
    a = (sx - b * sj) / n
    f_x, f_1, f_j = (lfilter([alpha], [1.0, alpha - 1.0], z)[last] for z in (x, np.ones_like(x), j))
    level = 2 * f_x - a * f_1 - b * f_j + (1 - alpha) ** n * (2 * x[0] - a - b)
    h = np.arange(1, horizon + 1)
    trend = a[:, None] + b[:, None] * (n[:, None] + h)
    forecast = np.maximum(0.5 * level[:, None] + 0.5 * trend, 0.0)
    return forecast * indices[(last[:, None] + h) % m]


def theta2_alpha(x: np.ndarray) -> float:
    """SES smoothing parameter of the theta-2 line of ``x`` (M4's fit, on these rows)."""
    t = np.arange(1, len(x) + 1, dtype="float64")
    slope, intercept = np.polyfit(t, x, 1)
    return m4.ses_parameters(2.0 * x - (intercept + slope * t))[0]


def fit_params(target: np.ndarray, bounds: list[tuple[int, int, int]], season: int) -> list:
    """Per series ``(seasonal indices, Theta's alpha)`` from its training rows.

    Args:
        target: ``(n_rows,)`` the target in original units, series after series.
        bounds: per series ``(first row, end row, training end row relative to first)``.
        season: the run's season.
    """
    params = []
    for first, _, train_end in bounds:
        train = target[first : first + train_end]
        indices = indices_of(train, season)
        rows = np.arange(train_end)
        params.append((indices, theta2_alpha(train / indices[rows % len(indices)])))
    return params


def benchmarks(
    target: np.ndarray,
    bounds: list[tuple[int, int, int]],
    params: list,
    last: np.ndarray,
    horizon: int,
    names: tuple[str, ...] = ("naive2", "theta"),
) -> dict[str, np.ndarray]:
    """``{"naive2": (n_origins, horizon), "theta": (n_origins, horizon)}`` of every origin (the
    ``names`` asked for only).

    Args:
        target, bounds: as ``fit_params``.
        params: ``fit_params(target, bounds, season)``.
        last: ``(n_origins,)`` the last observed row of each origin (``origin + window - 1``),
            in ``target``'s row numbers.
        horizon: forecast steps.
        names: which of the two to compute.
    """
    out = {k: np.empty((len(last), horizon)) for k in names}
    for (first, end, _), (indices, alpha) in zip(bounds, params, strict=True):
        mine = (last >= first) & (last < end)
        if not mine.any():
            continue
        y, rows = target[first:end], last[mine] - first
        if "naive2" in out:
            out["naive2"][mine] = naive2_at(y, rows, horizon, indices)
        if "theta" in out:
            out["theta"][mine] = theta_at(y, rows, horizon, indices, alpha)
    return out

"""The M4 competition's point-forecast metrics and its two statistical benchmarks, Naive2 and Theta.

Everything follows the competition's published benchmark code (``Benchmarks and Evaluation.R`` in
github.com/Mcompetitions/M4-methods), rewritten in NumPy:

- sMAPE in percent, 200 |y - f| / (|y| + |f|) averaged over the horizon (0/0 counts as exact);
- MASE, the mean absolute error over the mean absolute in-sample seasonal-naive change;
- OWA, the mean of sMAPE and MASE each relative to Naive2's (M4 applies it to the means over
  series);
- the 90 % autocorrelation test for seasonality and the classical multiplicative decomposition
  (centred moving average) that Naive2 and Theta deseasonalise with when the test says seasonal;
- Naive2: the last deseasonalised value, reseasonalised;
- Theta: the classic Theta method (Assimakopoulos & Nikolopoulos 2000) on the deseasonalised
  series, i.e. SES of the theta-2 line averaged with the extrapolated linear trend.

Series are 1-D arrays in time order; ``season`` is the number of rows per seasonal cycle (24 for
hourly data, 1 when there is none). No TensorFlow, no pandas: the functions are cheap enough to
run on every series of a panel (Theta on the 414 M4 hourly series: about 4 s on a busy core).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

# the one-sided 90 % normal quantile of M4's seasonality test
_TCRIT = 1.645
# SES smoothing parameter bounds of R's forecast::ets
_ALPHA_BOUNDS = (1e-4, 0.9999)


def _array(values) -> np.ndarray:
    return np.asarray(values, dtype="float64").reshape(-1)


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent: the mean of ``200 |y - f| / (|y| + |f|)``, in [0, 200].

    Args:
        actual: ``(horizon,)`` what happened.
        forecast: ``(horizon,)`` the forecast.

    Returns:
        The mean over the steps; a step where both are 0 counts as 0 (exact).
    """
    y, f = _array(actual), _array(forecast)
    denom = np.abs(y) + np.abs(f)
    ratio = np.divide(200 * np.abs(y - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(ratio))


def _scale_lag(n: int, season: int) -> int:
    """M4's lag for the MASE scale: the season, or 1 when there is none or the history is not
    longer than one season."""
    return season if 1 < season < n else 1


def seasonal_scale(insample, season: int) -> float:
    """MASE denominator: mean ``|x_t - x_{t-m}|`` over the in-sample values, ``m = season`` (1 when
    ``season`` is 1 or the series is not longer than one season).

    Args:
        insample: ``(n,)`` the history the forecast was made from, ``n >= 2``.
        season: rows per seasonal cycle.

    Returns:
        The scale (0 for a series that repeats exactly; NaN when ``n < 2``).
    """
    x = _array(insample)
    if x.size < 2:
        return float("nan")
    m = _scale_lag(x.size, int(season))
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(actual, forecast, insample, season: int) -> float:
    """Mean absolute scaled error: the forecast's MAE over :func:`seasonal_scale` of ``insample``.

    Returns:
        The ratio (< 1 beats the in-sample seasonal naive); NaN when the scale is 0 or undefined.
    """
    scale = seasonal_scale(insample, season)
    if not scale > 0:
        return float("nan")
    return float(np.mean(np.abs(_array(actual) - _array(forecast)))) / scale


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average: ``(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2``.

    M4 applies it to the means over series (1 = Naive2's accuracy, lower is better).
    """
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2)


def acf(x, nlags: int) -> np.ndarray:
    """Sample autocorrelations at lags 1 … ``nlags``, ``(nlags,)``, as R's ``acf`` (demeaned, over
    the lag-0 sum of squares); NaN for a constant series."""
    x = _array(x)
    d = x - x.mean()
    c0 = float(d @ d)
    if c0 == 0:
        return np.full(nlags, np.nan)
    return np.array([float(d[k:] @ d[:-k]) / c0 for k in range(1, nlags + 1)])


def seasonality_test(insample, season: int) -> bool:
    """M4's test: is the lag-``season`` autocorrelation significant at 90 %?

    ``|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)``; a series shorter than three seasons, a
    constant one and ``season <= 1`` are not seasonal.
    """
    x = _array(insample)
    m = int(season)
    if m <= 1 or x.size < 3 * m:
        return False
    r = acf(x, m)
    if np.isnan(r).any():
        return False
    limit = _TCRIT * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / x.size)
    return bool(abs(r[-1]) > limit)


def centred_moving_average(x, season: int) -> np.ndarray:
    """``(n,)`` trend of the classical decomposition: the centred moving average over one season
    (a 2×m average for an even ``season``), NaN where the window does not fit."""
    x = _array(x)
    m = int(season)
    weights = np.full(m + 1, 1.0 / m) if m % 2 == 0 else np.full(m, 1.0 / m)
    if m % 2 == 0:
        weights[[0, -1]] = 0.5 / m
    half = weights.size // 2
    trend = np.full(x.size, np.nan)
    trend[half : x.size - half] = np.convolve(x, weights, mode="valid")
    return trend


def seasonal_indices(insample, season: int) -> np.ndarray:
    """Multiplicative seasonal indices of the classical decomposition (R's ``decompose``).

    The ratio of each value to the centred moving average, averaged per position in the cycle and
    normalised to mean 1.

    Args:
        insample: ``(n,)`` positive values, ``n >= 2 * season``.
        season: rows per cycle, ``>= 2``.

    Returns:
        ``(season,)``: index ``i`` belongs to the rows ``i, i + season, …`` of ``insample``.
    """
    x = _array(insample)
    m = int(season)
    ratio = x / centred_moving_average(x, m)
    padded = np.full(-(-x.size // m) * m, np.nan)
    padded[: x.size] = ratio
    figure = np.nanmean(padded.reshape(-1, m), axis=0)
    return figure / figure.mean()


def deseasonalise(insample, horizon: int, season: int) -> tuple[np.ndarray, np.ndarray]:
    """The series M4's benchmarks extrapolate, and the indices that reseasonalise their forecast.

    Returns:
        ``(adjusted (n,), indices (horizon,))``: ``insample`` divided by its seasonal indices and
        the indices of the ``horizon`` rows after it when :func:`seasonality_test` says seasonal;
        otherwise ``insample`` unchanged and ones.
    """
    x = _array(insample)
    if not seasonality_test(x, season):
        return x, np.ones(horizon)
    m = int(season)
    figure = seasonal_indices(x, m)
    adjusted = x / figure[np.arange(x.size) % m]
    return adjusted, figure[np.arange(x.size, x.size + horizon) % m]


def seasonal_naive(insample, horizon: int, season: int) -> np.ndarray:
    """``(horizon,)``: the last ``season`` values repeated (the last value when ``season`` is 1)."""
    x = _array(insample)
    m = max(1, min(int(season), x.size))
    return np.resize(x[-m:], horizon)


def naive2(insample, horizon: int, season: int) -> np.ndarray:
    """M4's Naive2, ``(horizon,)``: the last deseasonalised value, times the seasonal indices of
    the forecast rows (the plain naive forecast when the series is not seasonal)."""
    adjusted, indices = deseasonalise(insample, horizon, season)
    return np.full(horizon, adjusted[-1]) * indices


def ses_parameters(x) -> tuple[float, float]:
    """``(alpha, l0)`` of simple exponential smoothing that minimise the in-sample one-step
    mean squared error (R's ``forecast::ses``)."""
    x = _array(x)
    steps = np.arange(x.size)

    def fit(alpha: float) -> tuple[float, float]:
        # levels from a zero start; a start l0 adds (1 - alpha)^t l0 to level t, so the one-step
        # errors are linear in l0 and its least-squares value is closed form
        zero_start = lfilter([alpha], [1.0, alpha - 1.0], x)
        errors = x - np.concatenate(([0.0], zero_start[:-1]))
        decay = (1.0 - alpha) ** steps
        l0 = float(errors @ decay) / float(decay @ decay)
        return float(np.sum((errors - l0 * decay) ** 2)), l0

    # a coarse grid first: the error need not be unimodal in alpha
    grid = np.linspace(*_ALPHA_BOUNDS, 41)
    best = int(np.argmin([fit(a)[0] for a in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    found = minimize_scalar(lambda a: fit(a)[0], bounds=(low, high), method="bounded")
    alpha = float(found.x) if found.fun <= fit(grid[best])[0] else float(grid[best])
    return alpha, fit(alpha)[1]


def ses(x, horizon: int) -> np.ndarray:
    """Simple exponential smoothing with the smoothing parameter and the initial level that
    minimise the in-sample one-step mean squared error (R's ``forecast::ses``), ``(horizon,)``."""
    x = _array(x)
    alpha, l0 = ses_parameters(x)
    level = lfilter([alpha], [1.0, alpha - 1.0], x)[-1] + (1.0 - alpha) ** x.size * l0
    return np.full(horizon, level)


def theta_classic(x, horizon: int) -> np.ndarray:
    """The classic Theta method, ``(horizon,)``: the mean of the linear trend extrapolated (theta
    line 0) and SES of the theta line 2 (``2 x - trend``); negative forecasts become 0."""
    x = _array(x)
    t = np.arange(1, x.size + 1, dtype="float64")
    slope, intercept = np.polyfit(t, x, 1)
    trend_in = intercept + slope * t
    trend_out = intercept + slope * np.arange(x.size + 1, x.size + horizon + 1)
    line2 = ses(2.0 * x - trend_in, horizon)
    return np.maximum(0.5 * line2 + 0.5 * trend_out, 0.0)


def theta(insample, horizon: int, season: int) -> np.ndarray:
    """M4's Theta benchmark, ``(horizon,)``: :func:`theta_classic` on the series deseasonalised as
    for :func:`naive2`, reseasonalised."""
    adjusted, indices = deseasonalise(insample, horizon, season)
    return theta_classic(adjusted, horizon) * indices

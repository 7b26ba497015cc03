"""Statistics of a series for ``forecast inspect``: gaps, outliers, autocorrelation, season,
strength."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.data.io import season_for, span
from forecast.data.steps import is_step_freq

MIN_SERIES_ROWS = 10  # shorter series are listed as skipped
OUTLIER_Z = 3.5


MIN_SEASON_ACF = 0.2


MAX_LAG = 400


SEASON_ROWS = 50_000  # the season is looked for in the last rows only (speed on huge files)


WINDOW_SEASONS = 2


MIN_WINDOW = 8


# Periods worth trying per frequency code: day, week, month, year … in rows.
CANDIDATES = {
    "min": [60, 1440],
    "h": [24, 168],
    "D": [7, 30, 365],
    "B": [5, 21, 252],
    "W": [4, 13, 52],
    "M": [3, 12],
    "Q": [4],
}


def filled(values: pd.Series) -> np.ndarray:
    """``(n,)`` float64 values with gaps interpolated (edges carried), for the statistics."""
    return values.astype("float64").interpolate(limit_direction="both").to_numpy()


def gaps(index: pd.DatetimeIndex, freq: str) -> dict:
    """Steps longer than the usual one: how many, and the largest (as text)."""
    if len(index) < 3:
        return {"count": 0, "largest": None}
    steps = pd.Series(index[1:] - index[:-1])
    usual = pd.Timedelta(days=3) if freq == "B" else steps.mode().iloc[0]
    long = steps[steps > usual]
    return {"count": int(len(long)), "largest": span(long.max()) if len(long) else None}


def outliers(values: pd.Series, threshold: float = OUTLIER_Z) -> dict:
    """Robust z-score outliers of one column: count and the first few positions."""
    x = values.to_numpy(dtype="float64")
    median = np.nanmedian(x) if np.isfinite(x).any() else np.nan
    mad = np.nanmedian(np.abs(x - median)) if np.isfinite(x).any() else np.nan
    if not mad > 0:
        return {"count": 0, "first": []}
    z = 0.6745 * (x - median) / mad
    where = np.flatnonzero(np.abs(np.nan_to_num(z)) > threshold)
    return {"count": int(len(where)), "first": [str(values.index[i]) for i in where[:5]]}


def acf(y: np.ndarray, max_lag: int) -> np.ndarray:
    """``(max_lag + 1,)`` sample autocorrelation of ``y`` at lags ``0 … max_lag``."""
    x = np.asarray(y, dtype="float64") - np.mean(y)
    denom = float(np.dot(x, x))
    if denom == 0 or max_lag < 1:
        return np.ones(1)
    return np.array([np.dot(x[: len(x) - k], x[k:]) / denom for k in range(max_lag + 1)])


def candidate_periods(freq: str, n_rows: int) -> list[int]:
    """Periods to try: those of the frequency (in rows), or every lag without a time column."""
    limit = min(MAX_LAG, n_rows // 3)
    if is_step_freq(freq):
        return list(range(2, limit + 1))
    offset = pd.tseries.frequencies.to_offset(freq)
    code = offset.rule_code.split("-")[0]
    code = "M" if code in ("ME", "MS", "BME", "BMS") else "Q" if code.startswith("Q") else code
    periods = CANDIDATES.get(code, [])
    if code in ("h", "min") and offset.n > 1:  # e.g. 3-hourly data: 8 rows a day
        periods = [p // offset.n for p in periods if p % offset.n == 0]
    return [p for p in periods if 2 <= p <= limit]


def suggest_season(y: np.ndarray, freq: str) -> tuple[int, str]:
    """The candidate period ``p`` whose seasonal autocorrelation is highest (at least
    ``MIN_SEASON_ACF``), else the frequency's default period.

    Returns:
        ``(season, how it was chosen)``.
    """
    y = np.asarray(y, dtype="float64")[-SEASON_ROWS:]
    periods = candidate_periods(freq, len(y))
    if periods:
        r = {p: seasonal_acf(y, p) for p in periods}
        best = max(periods, key=r.get)
        if r[best] >= MIN_SEASON_ACF:
            return int(best), f"autocorrelation {r[best]:.2f} at lag {best}"
    return season_for(freq), f"default for frequency {freq}"


def seasonal_acf(y: np.ndarray, period: int) -> float:
    """Autocorrelation at lag ``period`` of ``y`` minus its centred moving average over
    ``period`` rows: the average removes the trend and every slower cycle but keeps a cycle of
    exactly ``period`` rows (classical decomposition), so only that cycle scores high."""
    smooth = pd.Series(y).rolling(period, center=True).mean().to_numpy()
    rest = (y - smooth)[~np.isnan(smooth)]
    if len(rest) <= period + 1:
        return 0.0
    return float(acf(rest, period)[period])


def suggest_window(season: int, n_rows: int) -> int:
    """``WINDOW_SEASONS`` seasons, at least ``MIN_WINDOW`` rows, at most a quarter of the rows."""
    return int(max(min(WINDOW_SEASONS * season, n_rows // 4), min(MIN_WINDOW, n_rows // 4), 1))


def strength(y: np.ndarray, season: int) -> dict:
    """Hyndman's trend and seasonal strength (0 … 1) from a robust STL decomposition; without a
    season (or two full ones) only the trend, from a centred moving average."""
    if season >= 2 and len(y) >= 2 * season + 1:
        from statsmodels.tsa.seasonal import STL

        fit = STL(y, period=season, robust=True).fit()
        trend, seasonal, resid = fit.trend, fit.seasonal, fit.resid
        return {
            "trend": share_explained(resid, trend + resid),
            "seasonal": share_explained(resid, seasonal + resid),
            "method": f"STL, period {season}",
        }
    width = max(3, (len(y) // 10) | 1)
    trend = pd.Series(y).rolling(width, center=True, min_periods=1).mean().to_numpy()
    return {
        "trend": share_explained(y - trend, y),
        "seasonal": None,
        "method": f"moving average of {width} rows (no season)",
    }


def share_explained(resid: np.ndarray, component_plus_resid: np.ndarray) -> float:
    total = float(np.var(component_plus_resid))
    return round(max(0.0, 1 - float(np.var(resid)) / total), 4) if total > 0 else 0.0

"""``forecast inspect``: a look at the data before fitting, as pure functions of a frame.

``load`` reads a file leniently (duplicate timestamps, gaps and missing values are reported, not
refused); ``inspect_frame`` computes every fact as a JSON-ready dict; ``text_block`` prints it.
No TensorFlow anywhere on this path, so ``forecast inspect`` takes seconds.

Definitions used in the report:
- outliers: robust z-score ``0.6745 * (x - median) / MAD`` above ``OUTLIER_Z`` = 3.5 in absolute
  value (Iglewicz and Hoaglin's rule); a column with MAD 0 has no outliers by this rule;
- season: among candidate periods ``p`` for the frequency (e.g. 24 and 168 for hourly data; every
  lag from 2 to ``MAX_LAG`` without a time column), the one where the target minus its centred
  moving average over ``p`` rows has the highest autocorrelation at lag ``p``, if that is at
  least ``MIN_SEASON_ACF``; else the frequency's default period (``forecast.io.season_for``);
- window: ``WINDOW_SEASONS`` seasons (at least ``MIN_WINDOW`` rows, at most a quarter of the rows);
- trend and seasonal strength: Hyndman's ``F_T = max(0, 1 - Var(R) / Var(T + R))`` and
  ``F_S = max(0, 1 - Var(R) / Var(S + R))`` of a robust STL decomposition with the season above;
- baselines: persistence and seasonal naive on the test windows ``forecast fit`` would score
  with its default split, window and ``--horizon``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast import evaluate as ev
from forecast.config import FitOptions
from forecast.errors import ForecastError
from forecast.formats import read_raw
from forecast.io import STEP_FREQ, infer_frequency, numeric_columns, season_for, span
from forecast.preprocess import split_rows
from forecast.times import (
    NO_TIME,
    find_time_column,
    is_no_time,
    parse_times,
    time_columns,
    time_values,
)
from forecast.windows import origins

SERIES_KEY = "__series__"  # the --series label column inside a loaded frame
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


def load(
    path: Path,
    time_col: str | None = None,
    dayfirst: bool | None = None,
    series: str | None = None,
) -> tuple[pd.DataFrame, str, list[str]]:
    """Read ``path`` for inspection: numeric columns on a sorted (possibly duplicated) time index.

    Args:
        series: a column naming the series of a long table; kept (as text) as column ``series``.

    Returns:
        ``(frame, time_col, notes)``; without a time column the index is the row number.
    """
    raw, notes = read_raw(Path(path))
    labels = None if series is None else series_labels(raw, series)
    if labels is not None:
        raw = raw.drop(columns=[series])
    if is_no_time(time_col, raw.columns):
        frame = numeric_columns(raw, notes)
        frame.index = pd.RangeIndex(len(frame), name="step")
        return with_labels(frame, labels), NO_TIME, notes
    time_col = find_time_column(raw, time_col)
    index, time_notes = parse_times(time_values(raw, time_col), time_col, dayfirst)
    if labels is None:
        notes += series_hint(raw, index, time_columns(time_col))
    frame = numeric_columns(raw.drop(columns=time_columns(time_col)), notes)
    frame.index = pd.DatetimeIndex(index, name=time_col)
    return with_labels(frame, labels).sort_index(kind="stable"), time_col, notes + time_notes


def with_labels(frame: pd.DataFrame, labels: np.ndarray | None) -> pd.DataFrame:
    return frame if labels is None else frame.assign(**{SERIES_KEY: labels})


def series_hint(raw: pd.DataFrame, index: pd.DatetimeIndex, skip: list[str]) -> list[str]:
    """A note naming the text column that explains duplicate timestamps (one row per value of it
    and time: a long table of several series), if there is one."""
    if not index.duplicated().any():
        return []
    for col in raw.columns:
        if col in skip or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        pairs = pd.MultiIndex.from_arrays([index, raw[col].astype("string").fillna("")])
        if not pairs.duplicated().any():
            return [
                f"the duplicate timestamps are one row per {col!r}: a long table of several "
                f"series; pass --series {col} to inspect each"
            ]
    return []


def series_labels(raw: pd.DataFrame, series: str) -> np.ndarray:
    """``(n_rows,)`` the ``--series`` column as text labels."""
    if series not in raw.columns:
        raise ForecastError(
            f"--series {series!r} is not a column; columns are: {', '.join(map(str, raw.columns))}"
        )
    return raw[series].astype("string").fillna("").to_numpy(dtype=object)


def split_series(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{name: its rows}`` of a frame loaded with ``--series`` (in order of first timestamp);
    ``{"": frame}`` without one."""
    if SERIES_KEY not in frame:
        return {"": frame}
    labels = frame[SERIES_KEY].to_numpy()
    numbers = frame.drop(columns=[SERIES_KEY])
    parts = {str(k): part for k, part in numbers.groupby(labels, sort=False)}
    if not isinstance(frame.index, pd.DatetimeIndex):  # rows are steps: number each series anew
        parts = {k: p.set_axis(pd.RangeIndex(len(p), name="step")) for k, p in parts.items()}
    return parts


def pick_target(frame: pd.DataFrame, target: str | None) -> str:
    if target is None:
        return str(frame.columns[-1])
    if target not in frame.columns:
        raise ForecastError(
            f"--target {target!r} is not a numeric column; choose one of: "
            f"{', '.join(map(str, frame.columns))}"
        )
    return target


def inspect_frame(
    frame: pd.DataFrame,
    target: str | None = None,
    season: int | None = None,
    horizon: int = FitOptions().horizon,
) -> dict:
    """Every fact about one series, JSON-ready.

    Args:
        frame: ``(n_rows, n_columns)`` numbers on a sorted index (timestamps, maybe duplicated,
            or row numbers).
        target: the column to study; ``None`` means the last one.
        season: a known seasonal period; ``None`` suggests one from the autocorrelation.
        horizon: forecast steps for the baseline errors.
    """
    target = pick_target(frame, target)
    dated = isinstance(frame.index, pd.DatetimeIndex)
    duplicates = int(frame.index.duplicated().sum()) if dated else 0
    unique = frame.groupby(level=0).mean() if duplicates else frame
    freq, gap_notes = infer_frequency(unique.index) if dated else (STEP_FREQ, [])
    y = filled(unique[target])
    acf_values = acf(y, min(MAX_LAG, len(y) // 2))
    chosen, source = (season, "--season") if season else suggest_season(y, freq)
    return {
        "rows": int(len(frame)),
        "columns": [str(c) for c in frame.columns],
        "start": str(frame.index[0]),
        "end": str(frame.index[-1]),
        "span": span(frame.index[-1] - frame.index[0]) if dated else f"{len(frame)} steps",
        "frequency": freq,
        "gaps": gaps(unique.index, freq) if dated else {"count": 0, "largest": None},
        "gap_notes": gap_notes,
        "duplicate_timestamps": duplicates,
        "missing": {str(c): int(n) for c, n in frame.isna().sum().items()},
        "constant_columns": [str(c) for c in frame.columns if frame[c].nunique(dropna=True) <= 1],
        "outliers": {str(c): outliers(frame[c]) for c in frame.columns},
        "target": target,
        "autocorrelation": [round(float(a), 4) for a in acf_values],
        "season": int(chosen),
        "season_source": source,
        "window": suggest_window(chosen, len(y)),
        "strength": strength(y, chosen),
        "baselines": baseline_errors(y, chosen, horizon),
        "horizon": int(horizon),
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
    if freq == STEP_FREQ:
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


def baseline_errors(y: np.ndarray, season: int, horizon: int) -> dict:
    """Persistence and seasonal-naive RMSE / MAE on the test windows of the default split."""
    options = FitOptions()
    window = max(options.window, season)
    split = split_rows(len(y), options.split)
    starts = origins(split, window, horizon, "test")
    if len(starts) == 0:
        return {"n_test_windows": 0}
    actual = y[starts[:, None] + window + np.arange(horizon)]
    forecasts = {
        "persistence": ev.persistence(y, starts, window, horizon),
        "seasonal_naive": ev.seasonal_naive(y, starts, window, horizon, season),
    }
    result = {
        name: {"rmse": ev.rmse(actual, f), "mae": ev.mae(actual, f)}
        for name, f in forecasts.items()
    }
    return {"n_test_windows": int(len(starts)), **result}


def text_block(facts: dict, notes: list[str] | None = None) -> str:
    """The report as lines for a terminal."""
    f = facts
    missing = {c: n for c, n in f["missing"].items() if n}
    outlying = {c: o["count"] for c, o in f["outliers"].items() if o["count"]}
    s = f["strength"]
    lines = [
        f"rows        {f['rows']:,} from {f['start']} to {f['end']} ({f['span']})",
        f"frequency   {f['frequency']}; gaps {f['gaps']['count']}"
        + (f" (largest {f['gaps']['largest']})" if f["gaps"]["largest"] else ""),
        f"duplicates  {f['duplicate_timestamps']} duplicate timestamp(s)",
        "missing     " + (", ".join(f"{c} {n}" for c, n in missing.items()) or "none"),
        "constant    " + (", ".join(f["constant_columns"]) or "none"),
        f"outliers    (|robust z| > {OUTLIER_Z}) "
        + (", ".join(f"{c} {n}" for c, n in outlying.items()) or "none"),
        f"target      {f['target']}",
        f"season      {f['season']} rows ({f['season_source']}); suggested --window {f['window']}",
        f"strength    trend {s['trend']:.2f}"
        + (f", seasonal {s['seasonal']:.2f}" if s["seasonal"] is not None else "")
        + f" ({s['method']})",
    ]
    b = f["baselines"]
    if b.get("n_test_windows"):
        lines.append(
            f"baselines   horizon {f['horizon']}, {b['n_test_windows']} test windows: persistence "
            f"RMSE {b['persistence']['rmse']:.4g} MAE {b['persistence']['mae']:.4g}; seasonal "
            f"naive RMSE {b['seasonal_naive']['rmse']:.4g} MAE {b['seasonal_naive']['mae']:.4g}"
        )
    lines += [f"note        {n}" for n in (notes or []) + f["gap_notes"]]
    return "\n".join(lines)


def inspect_file(
    path: Path,
    out: Path,
    target: str | None = None,
    time_col: str | None = None,
    dayfirst: bool | None = None,
    season: int | None = None,
    horizon: int = FitOptions().horizon,
    overwrite: bool = False,
    series: str | None = None,
) -> tuple[dict, list[str]]:
    """Inspect ``path``; write ``out/inspect.json`` and ``out/inspect.png`` (all or nothing).

    With ``series``, every series of the long table is inspected on its own:
    ``facts["per_series"] = {name: facts}`` (series under ``MIN_SERIES_ROWS`` rows are listed in
    ``facts["skipped"]``), and inspect.png shows the first series.

    Returns:
        ``(facts, notes)``.
    """
    from forecast import runs
    from forecast.inspect_plots import save_inspect_png

    runs.check_out_dir(out, overwrite)
    frame, time_col, notes = load(path, time_col, dayfirst, series)
    parts = split_series(frame)
    if series is None:
        facts = inspect_frame(parts[""], target, season, horizon)
    else:
        long = {k: p for k, p in parts.items() if len(p) >= MIN_SERIES_ROWS}
        if not long:
            raise ForecastError(
                f"every series of --series {series!r} has fewer than {MIN_SERIES_ROWS} rows; "
                "check the column"
            )
        per = {k: inspect_frame(p, target, season, horizon) for k, p in long.items()}
        facts = {
            "series_col": series,
            "n_series": len(parts),
            "skipped": sorted(set(parts) - set(long)),
            "per_series": per,
        }
    facts.update(file=str(path), time_col=time_col, notes=notes)
    first = next(k for k in parts if series is None or k in facts["per_series"])
    with runs.staged_dir(out) as tmp:
        runs.write_json(tmp / "inspect.json", facts)
        shown = facts if series is None else facts["per_series"][first]
        save_inspect_png(tmp / "inspect.png", parts[first], shown)
    return facts, notes


def report(facts: dict, notes: list[str], limit: int = 10) -> str:
    """The printed report: one block, or one per series (the first ``limit``)."""
    if "per_series" not in facts:
        return text_block(facts, notes)
    names = list(facts["per_series"])
    blocks = [
        f"{facts['n_series']} series in column {facts['series_col']!r}"
        + (
            f"; skipped (under {MIN_SERIES_ROWS} rows): {', '.join(facts['skipped'])}"
            if facts["skipped"]
            else ""
        )
    ]
    for name in names[:limit]:
        blocks.append(
            f"--- {facts['series_col']} = {name}\n" + text_block(facts["per_series"][name])
        )
    if len(names) > limit:
        blocks.append(f"... and {len(names) - limit} more series in inspect.json")
    blocks += [f"note        {n}" for n in notes]
    return "\n".join(blocks)

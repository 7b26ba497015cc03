"""Forecasts meet what happened: join the forecast log with the observed target and score it.

The forecast log (``forecasts.csv`` in a run directory, appended to by ``predict`` and ``update``)
has one row per origin and step: ``made_at, origin, [series], step, timestamp, predicted,
[combined], persistence, [linear], lower_80, upper_80, lower_95, upper_95, model_version``.
``join_actuals`` keeps the rows whose target has been observed and adds it as ``actual``;
``score_realised`` scores them per step and overall, the model and every baseline the log holds
on exactly the same rows; ``rolling_scores`` gives the same over the last N origins of one step,
at each origin, for a monitor's plot. Pure NumPy / pandas.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.errors import ForecastError

#: forecasters scored when their column is in the log: report name -> log column
FORECASTERS = {
    "model": "predicted",
    "combined": "combined",
    "persistence": "persistence",
    "linear": "linear",
}
REQUIRED = ("origin", "step", "timestamp", "predicted")
LEVELS = ("80", "95")


def as_index_dtype(values: pd.Series, index: pd.Index, what: str) -> pd.Series:
    """``values`` (log labels, often text read from CSV) as the dtype of the observed ``index``:
    pandas Timestamps for a time index (ISO 8601 text, in its time zone), ``int64`` for a step
    index; a one-line ``ForecastError`` naming the first value that is neither."""
    if isinstance(index, pd.DatetimeIndex):
        kind = "times"
        out = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=index.tz is not None)
        if index.tz is not None:
            out = out.dt.tz_convert(index.tz)
    else:
        kind = "whole-number steps"
        out = pd.to_numeric(values, errors="coerce")
        out = out.where(out == out.round())
    bad = values[out.isna() & values.notna()]
    if len(bad) or values.isna().any():
        first = bad.iloc[0] if len(bad) else None
        raise ForecastError(
            f"the forecast log's {what!r} column holds {first!r}, not {kind} like the data's "
            "index: the log belongs to another run or was edited; restore it from the run"
        )
    return out if kind == "times" else out.astype("int64")


def actual_by_series(actual: pd.Series | dict) -> dict[str, pd.Series]:
    """``{series name: observed target indexed by time}`` from a dict of Series or a Series on a
    two-level ``(series, time)`` MultiIndex; names as text."""
    if isinstance(actual, dict):
        return {str(k): v for k, v in actual.items()}
    if not isinstance(actual.index, pd.MultiIndex) or actual.index.nlevels != 2:
        raise ForecastError(
            "a --series run's actuals need a (series, time) MultiIndex or a dict of series"
        )
    return {str(name): part.droplevel(0) for name, part in actual.groupby(level=0, sort=False)}


def check_log(log: pd.DataFrame, series_col: str | None) -> None:
    """A one-line ``ForecastError`` when the log lacks a column the scoring needs."""
    need = REQUIRED + ((series_col,) if series_col else ())
    missing = [c for c in need if c not in log.columns]
    if missing:
        raise ForecastError(
            f"the forecast log lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, log.columns))}: restore forecasts.csv from the run"
        )


def join_one(log: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """One series' log rows whose ``timestamp`` is observed in ``actual``, with ``actual``."""
    actual = actual.dropna()
    if not actual.index.is_unique:
        raise ForecastError("the observed series repeats a time; remove the duplicate rows")
    out = log.copy()
    out["timestamp"] = as_index_dtype(out["timestamp"], actual.index, "timestamp")
    out["origin"] = as_index_dtype(out["origin"], actual.index, "origin")
    out["actual"] = out["timestamp"].map(actual).astype("float64")
    return out[out["actual"].notna()]


def join_actuals(
    log: pd.DataFrame, actual: pd.Series | dict[str, pd.Series], series_col: str | None = None
) -> pd.DataFrame:
    """The log rows whose target has arrived, with an ``actual`` column.

    Rows whose target time is not (yet) observed, or observed as NaN, are dropped. When the log
    holds the same (series, origin, step) more than once (``predict`` run twice from the same
    rows, or after a refit), the row logged last is kept: it is the newest model's forecast.

    Args:
        log: the forecast log as read from forecasts.csv (times may still be text).
        actual: a single series: the observed target, a Series indexed by time (DatetimeIndex, or
            integers for step-indexed data). A ``--series`` run: a dict ``{name: Series}``, or a
            Series on a ``(series name, time)`` MultiIndex; names are compared as text.
        series_col: the log's series column for ``--series`` runs, else ``None``.

    Returns:
        The realised rows sorted by ``[series_col,] origin, step``; ``origin`` and ``timestamp``
        converted to the dtype of the observed index; a float ``actual`` column added.
    """
    check_log(log, series_col)
    keys = ([series_col] if series_col else []) + ["origin", "step"]
    if series_col is None:
        if isinstance(actual, dict) or isinstance(actual.index, pd.MultiIndex):
            raise ForecastError("a single-series run's actuals need a Series indexed by time")
        joined = join_one(log, actual)
    else:
        observed = actual_by_series(actual)
        names = log[series_col].astype(str)
        parts = [
            join_one(log[names == name].assign(**{series_col: name}), observed[name])
            for name in names.unique()
            if name in observed
        ]
        joined = pd.concat(parts) if parts else log.iloc[:0].assign(actual=np.float64())
    joined = joined.assign(step=joined["step"].astype("int64"))
    joined = joined.drop_duplicates(subset=keys, keep="last")
    return joined.sort_values(keys, kind="stable").reset_index(drop=True)


def finite_or_none(x: float) -> float | None:
    """A JSON-ready float: ``None`` for NaN / inf."""
    return float(x) if math.isfinite(x) else None


def present(joined: pd.DataFrame) -> dict[str, str]:
    """The forecasters the log holds: ``{report name: column}`` (a column that is all NaN, e.g.
    ``linear`` of a run without one, counts as absent)."""
    return {
        name: col
        for name, col in FORECASTERS.items()
        if col in joined.columns and joined[col].notna().any()
    }


def common_rows(joined: pd.DataFrame) -> pd.DataFrame:
    """The rows on which every present forecaster has a finite forecast: all are scored on the
    same rows."""
    cols = list(present(joined).values())
    ok = np.isfinite(joined[cols].to_numpy(dtype="float64")).all(axis=1)
    return joined[ok & np.isfinite(joined["actual"].to_numpy(dtype="float64"))]


def errors(rows: pd.DataFrame, column: str) -> dict:
    """``{"rmse", "mae"}`` of one forecaster on ``rows``; ``None`` when there are no rows."""
    err = rows["actual"].to_numpy(dtype="float64") - rows[column].to_numpy(dtype="float64")
    if not len(err):
        return {"rmse": None, "mae": None}
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err)))}


def coverage(rows: pd.DataFrame, level: str) -> float | None:
    """Fraction of ``rows`` whose actual lies in ``[lower_L, upper_L]`` (bounds included, as in
    ``intervals.coverage``); ``None`` without rows or without that band in the log."""
    lo, hi = f"lower_{level}", f"upper_{level}"
    if lo not in rows.columns or hi not in rows.columns:
        return None
    lower, upper = rows[lo].to_numpy(dtype="float64"), rows[hi].to_numpy(dtype="float64")
    a = rows["actual"].to_numpy(dtype="float64")
    known = np.isfinite(lower) & np.isfinite(upper)
    if not known.any():
        return None
    return float(np.mean((a[known] >= lower[known]) & (a[known] <= upper[known])))


def block(rows: pd.DataFrame, forecasters: dict[str, str]) -> dict:
    """The scores of one group of rows: ``n``, ``n_origins``, ``{name: {rmse, mae}}`` per
    forecaster, ``skill_vs_persistence`` (1 - model RMSE / persistence RMSE) and coverage."""
    out: dict = {"n": int(len(rows)), "n_origins": int(rows["origin"].nunique())}
    for name, col in forecasters.items():
        out[name] = errors(rows, col)
    model, pers = out["model"]["rmse"], out.get("persistence", {}).get("rmse")
    skill = None if model is None or not pers else finite_or_none(1 - model / pers)
    out["skill_vs_persistence"] = skill
    for level in LEVELS:
        out[f"coverage_{level}"] = coverage(rows, level)
    return out


def score_group(rows: pd.DataFrame, horizon: int, forecasters: dict[str, str]) -> dict:
    """Overall block plus ``per_step``: a list of ``horizon`` blocks, step 1 first."""
    out = block(rows, forecasters)
    out["per_step"] = [
        {"step": s, **block(rows[rows["step"] == s], forecasters)} for s in range(1, horizon + 1)
    ]
    return out


def score_realised(joined: pd.DataFrame, horizon: int, series_col: str | None = None) -> dict:
    """Realised accuracy of the logged forecasts, JSON-ready (floats; ``None`` when undefined).

    Every forecaster the log holds (``model`` = ``predicted``, ``combined``, ``persistence``,
    ``linear``) is scored on exactly the same rows: those where all of them and the actual are
    finite. Coverage counts the rows whose band is known.

    Args:
        joined: ``join_actuals``' output.
        horizon: the run's horizon (``per_step`` has this many entries, empty steps included).
        series_col: the series column of a ``--series`` run: adds ``per_series``.

    Returns:
        ``{"horizon", "n", "n_origins", "model": {"rmse", "mae"}, "persistence": {...},
        ["combined": {...}, "linear": {...},] "skill_vs_persistence", "coverage_80",
        "coverage_95", "per_step": [{"step": 1, same keys}, ...], ["per_series": {name: same
        keys as the top level, without horizon}]}``. Pooled over series at the top level.
    """
    forecasters = present(joined)
    forecasters.setdefault("model", "predicted")
    rows = common_rows(joined)
    out = {"horizon": int(horizon), **score_group(rows, horizon, forecasters)}
    if series_col is not None:
        out["per_series"] = {
            str(name): score_group(part, horizon, forecasters)
            for name, part in rows.groupby(series_col, sort=False)
        }
    return out


def rolling_scores(
    joined: pd.DataFrame, window: int = 30, step: int = 1, series_col: str | None = None
) -> pd.DataFrame:
    """RMSE of every forecaster and band coverage over the last ``window`` origins of one step,
    at each origin: the "rolling error and coverage" of a monitor plot.

    Args:
        joined: ``join_actuals``' output.
        window: origins per window (fewer at the start: ``n`` says how many).
        step: the horizon step scored (1: the freshest, one row per origin).
        series_col: the series column of a ``--series`` run: windows per series.

    Returns:
        One row per origin with that step realised: ``[series_col,] origin, timestamp, n,
        rmse_<forecaster>`` for each forecaster the log holds, ``coverage_80``, ``coverage_95``
        (NaN where a band is not known).
    """
    rows = common_rows(joined)
    rows = rows[rows["step"] == step].sort_values(
        ([series_col] if series_col else []) + ["origin"], kind="stable"
    )
    keys = [series_col] if series_col else []
    actual = rows["actual"].to_numpy("float64")
    parts = {"n": pd.Series(1.0, index=rows.index)}
    for name, col in present(rows).items():
        parts[f"rmse_{name}"] = pd.Series((actual - rows[col].to_numpy("float64")) ** 2, rows.index)
    for level in LEVELS:
        lo, hi = f"lower_{level}", f"upper_{level}"
        if lo in rows.columns and hi in rows.columns:
            inside = (rows["actual"] >= rows[lo]) & (rows["actual"] <= rows[hi])
            parts[f"coverage_{level}"] = inside.astype("float64").where(
                rows[lo].notna() & rows[hi].notna()
            )
    frame = pd.DataFrame(parts)
    if series_col:
        windows = frame.groupby(rows[series_col].to_numpy(), sort=False).rolling(window, 1)
        sums, means = (w.reset_index(level=0, drop=True) for w in (windows.sum(), windows.mean()))
    else:
        sums, means = frame.rolling(window, 1).sum(), frame.rolling(window, 1).mean()
    out = rows[keys + ["origin", "timestamp"]].copy()
    out["n"] = sums["n"].astype("int64")
    for name in frame.columns[1:]:
        values = means[name]
        out[name] = np.sqrt(values) if name.startswith("rmse_") else values
    return out.reset_index(drop=True)

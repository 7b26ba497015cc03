"""``forecast score``'s inputs: find the columns of a forecast file and of the actuals, and match
every forecast to the row of its series and time in the actuals.

The actuals hold each series' whole history (or ``--insample`` holds the part before the forecast
period): the rows before a series' first forecast are its in-sample part, which MASE's scale and
Naive2 need. Time is matched exactly, as integer steps when both columns hold whole numbers and as
timestamps otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError

# the forecast's value column, in order of preference (``forecast predict`` writes ``predicted``,
# and ``combined`` beside it for a run with a combination)
VALUE_NAMES = ("predicted", "combined", "forecast", "yhat", "prediction", "y_pred", "mean")
# columns that are not forecasts: the horizon step (and interval bounds, ``is_bound``)
NOT_VALUES = ("step", "h", "horizon")
# the time column of the actuals, when not named
TIME_NAMES = ("timestamp", "date", "datetime", "time", "ds", "step", "t", "index", "period")
# ``forecast predict`` names its time column ``timestamp`` (its ``step`` counts the horizon)
FORECAST_TIME = "timestamp"
ONE_SERIES = "series"  # the name of a file's only series in the table


@dataclass(frozen=True)
class Columns:
    """The columns ``forecast score`` reads.

    Attributes:
        value: the forecast column of FORECASTS.
        forecast_time: FORECASTS' time column.
        time: ACTUALS' time column.
        target: ACTUALS' value column.
        series: the series column of both files (``None``: one series).
    """

    value: str
    forecast_time: str
    time: str
    target: str
    series: str | None


@dataclass(frozen=True)
class Matched:
    """One series' forecasts beside its history.

    Attributes:
        name: the series.
        history: ``(n,)`` its actual values in time order (in-sample part and forecast period).
        positions: ``(k,)`` the rows of ``history`` that were forecast, increasing.
        predicted: ``(k,)`` the forecasts of those rows.
    """

    name: str
    history: np.ndarray
    positions: np.ndarray
    predicted: np.ndarray

    @property
    def insample(self) -> np.ndarray:
        """``(positions[0],)`` the values before the first forecast."""
        return self.history[: self.positions[0]]


def read_table(data, role: str) -> pd.DataFrame:
    """A CSV or parquet path, or a DataFrame (its index kept as a column when it is named)."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index() if data.index.name else data
    from forecast.data.formats import read_raw

    try:
        return read_raw(Path(data))[0]
    except ForecastError as e:
        raise ForecastError(f"{role}: {e}") from None


def pick_columns(
    forecasts: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    column: str | None,
    target: str | None,
    time_col: str | None,
    series: str | None,
) -> Columns:
    """The columns to read, named or found; a missing one is an error naming the fix."""
    for frame, role in ((forecasts, "FORECASTS"), (actuals, "ACTUALS")):
        if series is not None and series not in frame.columns:
            raise ForecastError(
                f"--series {series!r} is not a column of {role} (columns: {listed(frame)}); "
                "pass the column that names the series in both files"
            )
    time = actuals_time(actuals, forecasts, time_col, series)
    forecast_time = FORECAST_TIME if FORECAST_TIME in forecasts.columns else time
    if forecast_time not in forecasts.columns:
        raise ForecastError(
            f"FORECASTS has no {FORECAST_TIME!r} or {time!r} column to match ACTUALS' time "
            f"column {time!r} (columns: {listed(forecasts)}); rename its time column to {time!r}"
        )
    skip = {series, forecast_time}
    value = value_column(forecasts, column, skip)
    return Columns(
        value, forecast_time, time, target_column(actuals, target, {series, time}), series
    )


def listed(frame: pd.DataFrame) -> str:
    return ", ".join(map(str, frame.columns))


def actuals_time(
    actuals: pd.DataFrame, forecasts: pd.DataFrame, time_col: str | None, series: str | None
) -> str:
    """ACTUALS' time column: ``--time-col``, else the forecasts' ``timestamp``, else a column named
    like a time (``date``, ``ds``, ``step`` …), else the first column that parses as dates."""
    if time_col is not None:
        if time_col not in actuals.columns:
            raise ForecastError(
                f"--time-col {time_col!r} is not a column of ACTUALS (columns: {listed(actuals)})"
            )
        return time_col
    names = [c for c in actuals.columns if c != series]
    if FORECAST_TIME in names and FORECAST_TIME in forecasts.columns:
        return FORECAST_TIME
    for name in TIME_NAMES:
        found = [c for c in names if str(c).lower() == name]
        if found:
            return found[0]
    from forecast.data.times import detect_time_column

    found = detect_time_column(actuals.drop(columns=[series] if series else []))
    if found is None:
        raise ForecastError(
            f"ACTUALS has no time column to match the forecasts by (columns: {listed(actuals)}); "
            "name it with --time-col"
        )
    return found


def value_column(forecasts: pd.DataFrame, column: str | None, skip: set) -> str:
    """The forecast column: ``--column``, a usual name, or the only numeric column left."""
    if column is not None:
        if column not in forecasts.columns:
            raise ForecastError(
                f"--column {column!r} is not a column of FORECASTS (columns: {listed(forecasts)})"
            )
        return column
    for name in VALUE_NAMES:
        if name in forecasts.columns:
            return name
    numeric = [
        c
        for c in forecasts.select_dtypes("number").columns
        if c not in skip and str(c).lower() not in NOT_VALUES and not is_bound(str(c))
    ]
    if len(numeric) != 1:
        raise ForecastError(
            f"cannot tell which column of FORECASTS holds the forecasts (columns: "
            f"{listed(forecasts)}); name it with --column"
        )
    return numeric[0]


def is_bound(name: str) -> bool:
    """An interval bound such as ``lower_80``, ``lo80`` or ``hi-95``."""
    name = name.lower()
    for prefix in ("lower", "upper", "lo", "hi"):
        if name.startswith(prefix) and name[len(prefix) :].lstrip("-_").isdigit():
            return True
    return False


def target_column(actuals: pd.DataFrame, target: str | None, skip: set) -> str:
    """ACTUALS' value column: ``--target``, else its only numeric column besides time/series."""
    if target is not None:
        if target not in actuals.columns:
            raise ForecastError(
                f"--target {target!r} is not a column of ACTUALS (columns: {listed(actuals)})"
            )
        return target
    numeric = [c for c in actuals.select_dtypes("number").columns if c not in skip]
    if len(numeric) != 1:
        raise ForecastError(
            f"ACTUALS has {len(numeric)} numeric columns besides time and series "
            f"({', '.join(map(str, numeric)) or 'none'}); name the one forecast with --target"
        )
    return numeric[0]


def is_whole(values: pd.Series) -> bool:
    """Numbers that are all whole (integer steps, years, epoch seconds)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    v = values.to_numpy(dtype="float64")
    return bool(np.isfinite(v).all() and (v == np.round(v)).all())


def time_keys(forecast_times: pd.Series, actual_times: pd.Series, cols: Columns):
    """Both time columns as comparable arrays: ``int64`` steps when both hold whole numbers,
    ``datetime64`` otherwise."""
    if is_whole(forecast_times) and is_whole(actual_times):
        return forecast_times.to_numpy("int64"), actual_times.to_numpy("int64")
    from forecast.data.times import parse_times

    keys = []
    for values, name, role in (
        (forecast_times, cols.forecast_time, "FORECASTS"),
        (actual_times, cols.time, "ACTUALS"),
    ):
        if is_whole(values):
            raise ForecastError(
                f"{role}' {name!r} holds integer steps but the other file's time column holds "
                "dates; give both files the same kind of time column"
            )
        try:
            index = parse_times(values, name)[0]
        except ForecastError as e:
            raise ForecastError(f"{role}: {e}") from None
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        keys.append(index.to_numpy("datetime64[ns]"))
    return keys[0], keys[1]


def match(forecasts: pd.DataFrame, actuals: pd.DataFrame, cols: Columns) -> list[Matched]:
    """Every series of FORECASTS beside its history in ACTUALS (in the forecasts' order).

    Raises:
        ForecastError: a series or a time of the forecasts that ACTUALS lacks, a time forecast
            twice, or a forecast that is not a number.
    """
    f_keys, a_keys = time_keys(forecasts[cols.forecast_time], actuals[cols.time], cols)
    f_names = names_of(forecasts, cols.series)
    a_names = names_of(actuals, cols.series)
    predicted = pd.to_numeric(forecasts[cols.value], errors="coerce").to_numpy("float64")
    if not np.isfinite(predicted).all():
        line = int(np.flatnonzero(~np.isfinite(predicted))[0]) + 2
        raise ForecastError(
            f"FORECASTS column {cols.value!r} line {line} is not a number; fix it or drop the row"
        )
    target = pd.to_numeric(actuals[cols.target], errors="coerce").to_numpy("float64")
    known = set(a_names)
    matched = []
    for name in dict.fromkeys(f_names):
        if name not in known:
            raise ForecastError(
                f"series {name!r} of FORECASTS is not in ACTUALS' column {cols.series!r}; pass "
                "actuals for every forecast series (or drop its forecasts)"
            )
        rows = np.flatnonzero(a_names == name)
        rows = rows[np.isfinite(target[rows])]
        order = np.argsort(a_keys[rows], kind="stable")
        times, history = a_keys[rows][order], target[rows][order]
        mine = np.flatnonzero(f_names == name)
        matched.append(series_match(name, times, history, f_keys[mine], predicted[mine]))
    return matched


def names_of(frame: pd.DataFrame, series: str | None) -> np.ndarray:
    if series is None:
        return np.full(len(frame), ONE_SERIES, dtype=object)
    return frame[series].astype(str).to_numpy(dtype=object)


def series_match(name: str, times, history, f_times, predicted) -> Matched:
    """The rows of ``history`` that ``f_times`` name, checked: each found, none twice."""
    where = "" if name == ONE_SERIES else f"series {name!r}: "
    fix = "pass --series when the files hold several series"
    for role, keys in (("ACTUALS", times), ("FORECASTS", np.sort(f_times))):
        repeated = keys[1:][keys[1:] == keys[:-1]]
        if len(repeated):
            raise ForecastError(f"{where}{role} has time {shown(repeated[0])} twice; {fix}")
    order = np.argsort(f_times, kind="stable")
    f_times, predicted = f_times[order], predicted[order]
    positions = np.searchsorted(times, f_times)
    found = (positions < len(times)) & (times[np.minimum(positions, len(times) - 1)] == f_times)
    if not found.all():
        raise ForecastError(
            f"{where}{int((~found).sum())} forecast time(s) are not in ACTUALS (first "
            f"{shown(f_times[~found][0])}); score only forecasts of times that ACTUALS covers"
        )
    if positions[0] < 2:
        raise ForecastError(
            f"{where}ACTUALS has {positions[0]} value(s) before the first forecast "
            f"({shown(f_times[0])}); MASE needs the history: pass it in ACTUALS or --insample"
        )
    return Matched(name, history, positions, predicted)


def shown(key) -> str:
    return str(pd.Timestamp(key)) if isinstance(key, np.datetime64) else str(key)


def with_history(actuals: pd.DataFrame, insample: pd.DataFrame, cols: Columns) -> pd.DataFrame:
    """ACTUALS with the rows of ``--insample`` before them (same columns; ACTUALS wins a time
    both hold)."""
    missing = [c for c in (cols.time, cols.target, cols.series) if c and c not in insample]
    if missing:
        raise ForecastError(
            f"--insample lacks ACTUALS' column(s) {', '.join(missing)} (columns: "
            f"{listed(insample)}); give it the same columns"
        )
    keep = [c for c in (cols.series, cols.time, cols.target) if c]
    both = pd.concat([insample[keep], actuals[keep]], ignore_index=True)
    key = [c for c in (cols.series, cols.time) if c]
    return both.drop_duplicates(subset=key, keep="last")

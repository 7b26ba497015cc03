"""The time column: find it, combine a date and a time-of-day column, and parse it.

Handles text dates (day first where the file shows it), timestamps already parsed (parquet), epoch
seconds or milliseconds in a column named like a time, numeric years (``1700.0`` → annual) and
integer time steps (``0, 1, 2 …``: a step index, ``forecast.data.steps``). ``--time-col none``
(``NO_TIME``) means there is no time column: rows are consecutive steps.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd

from forecast.data.formats import column_is_datetime
from forecast.errors import ForecastError

TIME_NAMES = ("date", "datetime", "time", "timestamp", "ds", "day", "period", "year")


EPOCH_HINTS = ("time", "timestamp", "epoch", "unix", "ts")


YEAR_NAMES = ("year", "yr", "years")


# Names of a step index: a column of increasing whole numbers counting the rows' time steps.
STEP_NAMES = ("step", "steps", "t", "index", "idx", "time_idx", "timestep", "time_step", "tick")


NO_TIME = "none"  # --time-col none: rows are consecutive steps


# Plausible epochs: seconds 1973-03-03 .. 2286-11-20; milliseconds over the same dates.
EPOCH_RANGES = {"s": (1e8, 1e10), "ms": (1e11, 1e13)}


YEAR_RANGE = (1, 9999)


DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\b")


CLOCK = r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"


DATE_ONLY = r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}\s*$"


def line_of(position: int) -> int:
    """File line number of the data row at ``position`` (header is line 1)."""
    return int(position) + 2


def is_no_time(requested: str | None, columns) -> bool:
    """True for ``--time-col none`` (unless a column is really called ``none``)."""
    return requested is not None and requested.lower() == NO_TIME and requested not in set(columns)


def time_columns(time_col: str) -> list[str]:
    """The CSV columns behind ``time_col`` (``"Date+Time"`` is two)."""
    return time_col.split("+") if "+" in time_col else [time_col]


def find_time_column(raw: pd.DataFrame, requested: str | None) -> str:
    """Name of the time column: ``requested`` if given, else a date-like name or content; a
    date column with a separate time-of-day column becomes ``"DATE+TIME"``."""
    if requested is not None:
        parts = [requested] if requested in raw.columns else requested.split("+")
        unknown = [p for p in parts if p not in raw.columns]
        if unknown or not 1 <= len(parts) <= 2:
            raise ForecastError(
                f"--time-col {requested!r} is not a column; columns are: {', '.join(raw.columns)}"
                " (or --time-col none when rows are consecutive steps)"
            )
        return requested if len(parts) == 2 else with_clock_partner(raw, requested)
    col = detect_time_column(raw)
    if col is None:
        raise ForecastError(
            f"no time column found among {', '.join(raw.columns)}; name it with --time-col COL, "
            "or pass --time-col none if rows are consecutive steps"
        )
    return with_clock_partner(raw, col)


def detect_time_column(raw: pd.DataFrame) -> str | None:
    """A text column with a time-like name, then a numeric one (years, epochs), then a column
    whose values parse as dates."""
    numeric = {c: pd.api.types.is_numeric_dtype(raw[c]) for c in raw.columns}
    named = sorted((c for c in raw.columns if c.lower() in TIME_NAMES), key=numeric.get)
    if named:  # the sort is stable: text columns first, then numeric ones (years, epochs)
        return named[0]
    for col in raw.columns:
        if numeric[col] and is_epoch_name(col) and epoch_unit(raw[col]) is not None:
            return col
    for col in raw.columns:
        if numeric[col] and is_step_name(col) and whole_numbers(raw[col]):
            return col
    for col in raw.columns:
        if not numeric[col] and looks_like_dates(raw[col]):
            return col
    return None


def is_step_name(name) -> bool:
    """True for the names of a step index (``step``, ``t``, ``index``, ``time_idx`` …)."""
    return str(name).lower() in STEP_NAMES


def whole_numbers(values: pd.Series) -> bool:
    """True for a numeric (not boolean) column of finite whole numbers, none missing."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    numbers = values.to_numpy(dtype="float64")
    return bool(len(numbers)) and bool(
        np.all(np.isfinite(numbers) & (numbers == np.round(numbers)))
    )


def is_step_index(values: pd.Series, name: str) -> bool:
    """Whether the time column ``name`` counts time steps: whole numbers that are neither years
    (in a column named like a year) nor, unless the name says steps, epoch seconds."""
    if not whole_numbers(values):
        return False
    numbers = values.to_numpy(dtype="float64")
    if (
        name.lower() in YEAR_NAMES
        and YEAR_RANGE[0] <= numbers.min() <= numbers.max() <= YEAR_RANGE[1]
    ):
        return False
    return is_step_name(name) or epoch_unit(values) is None


def looks_like_dates(values: pd.Series) -> bool:
    """True when the first non-empty values all parse as dates."""
    if column_is_datetime(values):
        return True
    sample = values.dropna().astype(str).head(20)
    if sample.empty:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def matches(values: pd.Series, pattern: str) -> bool:
    """True when the first non-empty values are all text matching ``pattern``."""
    if pd.api.types.is_numeric_dtype(values) or column_is_datetime(values):
        return False
    sample = values.dropna().astype(str).head(20)
    return not sample.empty and bool(sample.str.match(pattern).all())


def with_clock_partner(raw: pd.DataFrame, col: str) -> str:
    """``"DATE+TIME"`` when ``col`` holds dates only and another column holds times of day only
    (or the other way round); else ``col``."""
    others = [c for c in raw.columns if c != col]
    if matches(raw[col], CLOCK):
        dates = [c for c in others if matches(raw[c], DATE_ONLY)]
        return f"{dates[0]}+{col}" if dates else col
    if matches(raw[col], DATE_ONLY):
        clocks = [c for c in others if matches(raw[c], CLOCK)]
        return f"{col}+{clocks[0]}" if clocks else col
    return col


def time_values(raw: pd.DataFrame, time_col: str) -> pd.Series:
    """The time column's values; a ``DATE+TIME`` pair is joined into one text column."""
    parts = time_columns(time_col)
    if len(parts) == 1:
        return raw[time_col]
    date, clock = (raw[p].astype("string").str.strip() for p in parts)
    return date + " " + clock


def parse_times(
    values: pd.Series, name: str, dayfirst: bool | None = None
) -> tuple[pd.DatetimeIndex, list[str]]:
    """Parse the time column, refusing empty cells, unparseable dates and mixed time zones.

    Args:
        values: ``(n_rows,)`` the column as read (text, timestamps, or numbers).
        name: its name, for messages.
        dayfirst: ``True`` reads ``03/04/2020`` as 3 April; ``None`` detects it from the data.

    Returns:
        ``(index, notes)``.
    """
    if column_is_datetime(values):
        check_not_empty(values.isna().to_numpy(), name)
        return pd.DatetimeIndex(values), []
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return parse_numeric_times(values, name), []
    text = values.astype("string").str.strip()
    check_not_empty(text.isna().to_numpy() | (text == "").fillna(True).to_numpy(), name)
    dayfirst, notes = resolve_dayfirst(text, name, dayfirst)
    parsed = to_datetimes(text, name, dayfirst)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise ForecastError(
            f"time column {name!r} line {line_of(bad[0])}: cannot parse {text.iloc[bad[0]]!r} as "
            f"a date ({len(bad)} such value(s)); fix them or name another column with --time-col"
        )
    return pd.DatetimeIndex(parsed), notes


def check_not_empty(missing: np.ndarray, name: str) -> None:
    where = np.flatnonzero(missing)
    if len(where):
        raise ForecastError(
            f"time column {name!r} is empty on line {line_of(where[0])} "
            f"({len(where)} empty cell(s)); fill in or delete those rows"
        )


def to_datetimes(text: pd.Series, name: str, dayfirst: bool) -> pd.Series:
    """Text to timestamps: one inferred format first (fast), element by element if that fails;
    unparseable values become NaT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" is expected here
        try:
            parsed = pd.to_datetime(text, dayfirst=dayfirst)
        except (ValueError, TypeError, OverflowError):
            parsed = None
        if parsed is None or not is_one_zone(parsed):
            try:
                parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=dayfirst)
            except (ValueError, TypeError) as e:
                if "zone" in str(e).lower() or "offset" in str(e).lower():
                    raise ForecastError(mixed_zones(name)) from None
                raise ForecastError(
                    f"time column {name!r} cannot be parsed as dates ({e})"
                ) from None
    if not is_one_zone(parsed):
        raise ForecastError(mixed_zones(name))
    return parsed


def is_one_zone(parsed: pd.Series) -> bool:
    return isinstance(parsed.dtype, pd.DatetimeTZDtype | np.dtypes.DateTime64DType)


def mixed_zones(name: str) -> str:
    return (
        f"time column {name!r} mixes time zones; convert every timestamp to one zone "
        "(e.g. UTC) first"
    )


def resolve_dayfirst(text: pd.Series, name: str, dayfirst: bool | None) -> tuple[bool, list[str]]:
    """Whether ``dd/mm/yyyy``-style dates are day first: ``--dayfirst``, else the data's word
    (a first field above 12), else month first with a note."""
    if not DAY_MONTH.match(str(text.iloc[0])):
        return bool(dayfirst), []
    fields = text.str.extract(DAY_MONTH).astype("float64")
    first_big, second_big = (fields[0] > 12).to_numpy(), (fields[1] > 12).to_numpy()
    if dayfirst and second_big.any():
        row = int(np.flatnonzero(second_big)[0])
        raise ForecastError(
            f"--dayfirst, but time column {name!r} line {line_of(row)} is {text.iloc[row]!r}: its "
            "second field is above 12, so the dates are month first; drop --dayfirst"
        )
    if dayfirst is not None:
        return bool(dayfirst), []
    if first_big.any():
        return True, [f"read time column {name!r} day first (e.g. {text.iloc[first_big.argmax()]})"]
    if second_big.any():
        return False, []
    return False, [
        f"dates in {name!r} such as {text.iloc[0]!r} could be day or month first; read them "
        "month first (pass --dayfirst if the day comes first)"
    ]


def parse_numeric_times(values: pd.Series, name: str) -> pd.DatetimeIndex:
    """Numbers as times: years (``1700.0`` → 1700-01-01, annual) in a column named like a year,
    else epoch seconds or milliseconds in a plausible range."""
    numbers = values.to_numpy(dtype="float64")
    check_not_empty(np.isnan(numbers), name)
    whole = bool(np.all(numbers == np.round(numbers)))
    low, high = float(numbers.min()), float(numbers.max())
    if whole and name.lower() in YEAR_NAMES and YEAR_RANGE[0] <= low and high <= YEAR_RANGE[1]:
        years = pd.Series(numbers.astype("int64")).astype(str).str.zfill(4)
        return pd.DatetimeIndex(pd.to_datetime(years, format="%Y"))
    unit = epoch_unit(values)
    if unit is not None:
        return pd.DatetimeIndex(pd.to_datetime(numbers, unit=unit))
    raise ForecastError(
        f"time column {name!r} holds numbers that are not whole ({low:g} … {high:g}): neither "
        "years, epoch seconds nor integer time steps; name the real time column with "
        "--time-col, or pass --time-col none if rows are consecutive steps"
    )


def is_epoch_name(name: str) -> bool:
    """True for names such as ``unix_time``, ``epoch`` or ``ts`` (whole words only)."""
    return bool(set(re.split(r"[^a-z]+", name.lower())) & set(EPOCH_HINTS))


def epoch_unit(values: pd.Series) -> str | None:
    """``"s"`` or ``"ms"`` when every value is a whole number in that unit's plausible range."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    if len(numbers) == 0 or np.isnan(numbers).any() or not np.all(numbers == np.round(numbers)):
        return None
    for unit, (low, high) in EPOCH_RANGES.items():
        if low <= numbers.min() and numbers.max() < high:
            return unit
    return None


def time_label(value) -> str:
    """A time or step label as the forecast log and update write it: ``2015-12-31`` for midnight
    timestamps, ``2015-12-31 06:00:00`` otherwise, the integer for steps."""
    if isinstance(value, pd.Timestamp | np.datetime64 | dt.datetime):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else str(ts)
    return str(int(value)) if float(value).is_integer() else str(value)

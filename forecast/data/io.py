"""Read a time series into a validated frame: sorted DatetimeIndex, float32 numeric columns.

File formats are ``forecast.data.formats``; finding and parsing the time column is
``forecast.data.times``.

Every problem is a ``ForecastError`` naming the column, the row (as the line number in the file) and
the fix. Repairs that are safe (sorting rows, dropping text columns, a sniffed delimiter) are made
and reported as notes; repairs that change values (filling gaps) need ``--fill``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.data.formats import read_raw
from forecast.data.steps import (
    STEP_FREQ,
    counter_columns,
    is_step_freq,
    regular_steps,
    step_index,
)
from forecast.data.times import (
    NO_TIME,
    find_time_column,
    is_no_time,
    is_step_index,
    line_of,
    parse_times,
    time_columns,
    time_values,
)
from forecast.errors import ForecastError

if TYPE_CHECKING:
    from forecast.data.layout import Layout


# Rows are treated as consecutive steps, so the step between rows must be (nearly) regular.
MAX_IRREGULAR = 0.2  # refuse when more than this share of steps differ from the usual step


MAX_GAP_STEPS = 10  # refuse a single gap longer than this many usual steps (unless --fill)


# Squares of scaled values must fit in float32 (the loss squares them): |x| < sqrt(3.4e38).
MAX_ABS = float(np.sqrt(np.finfo("float32").max))


@dataclass
class Series:
    """A validated series.

    Attributes:
        frame: ``(n_rows, n_columns)`` float32 values on a sorted, unique DatetimeIndex.
        time_col: name of the CSV column the index came from.
        freq: pandas frequency alias of the rows (e.g. ``"D"``, ``"h"``, ``"B"``).
        notes: repairs made and oddities found, for the user to read.
    """

    frame: pd.DataFrame
    time_col: str
    freq: str
    notes: list[str] = field(default_factory=list)
    layout: Layout | None = None  # --series: where each series' rows lie in ``frame``


def read_series(
    path: Path,
    time_col: str | None = None,
    fill: str = "none",
    dayfirst: bool | None = None,
) -> Series:
    """Read, validate and index a time series from a CSV (plain or compressed) or parquet file.

    Args:
        path: the file; see ``forecast.data.formats.read_raw`` for the formats.
        time_col: the time column's name (``"DATE+TIME"`` joins two columns); ``None``
            auto-detects it; ``"none"`` means rows are consecutive steps (``STEP_FREQ``).
        fill: ``"none"`` refuses missing values, ``"ffill"`` / ``"interpolate"`` repair them.
        dayfirst: read ``03/04/2020`` as 3 April; ``None`` detects it where the data shows it.

    Returns:
        The validated ``Series``.
    """
    raw, notes = read_raw(Path(path))
    return series_from_raw(raw, time_col, fill, dayfirst, notes)


def series_from_raw(
    raw: pd.DataFrame,
    time_col: str | None,
    fill: str,
    dayfirst: bool | None,
    notes: list[str],
    time_col_found: str | None = None,
) -> Series:
    """Validate and index the rows of one series already read by ``read_raw`` (see
    ``read_series``; ``forecast.data.panel`` calls it once per series of a long table)."""
    if is_no_time(time_col, raw.columns):
        return step_series(raw, fill, notes)
    time_col = time_col_found or find_time_column(raw, time_col)
    if "+" in time_col and time_col_found is None:
        notes.append(f"joined date and time-of-day columns into one time column {time_col!r}")
    if "+" not in time_col and is_step_index(raw[time_col], time_col):
        return indexed_step_series(raw, time_col, fill, notes)
    index, time_notes = parse_times(time_values(raw, time_col), time_col, dayfirst)
    notes += time_notes
    hint = series_column_hint(raw, index, time_columns(time_col))
    frame = numeric_columns(raw.drop(columns=time_columns(time_col)), notes)
    frame.index = pd.DatetimeIndex(index, name=time_col)
    frame, sort_notes = sort_and_check_times(frame, time_col, hint)
    notes += sort_notes
    check_finite(frame)
    freq, freq_notes = infer_frequency(frame.index)
    frame = check_regular(frame, freq, time_col, fill, freq_notes)
    notes += freq_notes
    frame = repair_missing(frame, fill, notes)
    return Series(frame.astype("float32"), time_col, freq, notes)


def indexed_step_series(raw: pd.DataFrame, time_col: str, fill: str, notes: list[str]) -> Series:
    """A time column of increasing whole numbers: the rows' time steps (``forecast.data.steps``)."""
    hint = series_column_hint(raw, pd.Index(raw[time_col]), [time_col])
    index = step_index(raw[time_col], time_col, hint)
    frame = numeric_columns(raw.drop(columns=[time_col]), notes)
    frame.index = index
    check_finite(frame)
    frame, freq = regular_steps(frame, fill, MAX_IRREGULAR, MAX_GAP_STEPS, notes)
    frame = repair_missing(frame, fill, notes)
    return Series(frame.astype("float32"), time_col, freq, notes)


def step_series(raw: pd.DataFrame, fill: str, notes: list[str]) -> Series:
    """``--time-col none``: every numeric column, rows as consecutive steps ``0, 1, …``; a
    column that counts the rows (``step``, ``t`` …) is time, not an input, and is dropped."""
    counters = counter_columns(raw)
    if counters:
        notes.append(
            f"column(s) {', '.join(counters)} count the rows: not used as inputs (a time column "
            f"is never an input); pass --time-col {counters[0]} to use it as the time axis"
        )
    frame = numeric_columns(raw.drop(columns=counters), notes)
    frame.index = pd.RangeIndex(len(frame), name="step")
    check_finite(frame)
    frame = repair_missing(frame, fill, notes)
    notes.append(
        "no time column (--time-col none): rows are consecutive steps of unknown frequency; "
        "the seasonal-naive period is --season (default 1, the same as persistence)"
    )
    return Series(frame.astype("float32"), NO_TIME, STEP_FREQ, notes)


def numeric_columns(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Keep numeric columns; drop all-text columns (noted); refuse text cells in numeric ones."""
    kept = {}
    dropped = []
    for col in raw.columns:
        values = raw[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            kept[col] = values.astype("float64")
            continue
        coerced = pd.to_numeric(values, errors="coerce")
        present = values.notna() & (values.astype("string").str.strip() != "")
        bad = present & coerced.isna()
        if bad.all() or not present.any():
            dropped.append(col)
            continue
        if bad.any():
            first = np.flatnonzero(bad.to_numpy())[0]
            raise ForecastError(
                f"column {col!r} line {line_of(first)}: {values.iloc[first]!r} is not a number "
                f"({int(bad.sum())} such cell(s)); fix them, or leave them empty and use --fill"
            )
        kept[col] = coerced.astype("float64")
    if dropped:
        notes.append(f"ignored non-numeric column(s): {', '.join(dropped)}")
    if not kept:
        raise ForecastError("no numeric columns to forecast; the CSV needs at least one")
    return pd.DataFrame(kept, index=raw.index)


def series_column_hint(raw: pd.DataFrame, index: pd.DatetimeIndex, skip: list[str]) -> str | None:
    """The text column that explains duplicate timestamps (one row per value of it and time: a
    long table of several series), or ``None``."""
    if not index.duplicated().any():
        return None
    for col in raw.columns:
        if col in skip or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        pairs = pd.MultiIndex.from_arrays([index, raw[col].astype("string").fillna("")])
        if not pairs.duplicated().any():
            return str(col)
    return None


def sort_and_check_times(
    frame: pd.DataFrame, name: str, series_col: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Sort rows by time (noted) and refuse duplicate timestamps; when a text column
    ``series_col`` explains them, the error suggests ``--series`` with it."""
    notes = []
    if not frame.index.is_monotonic_increasing:
        notes.append(f"rows were not in time order; sorted them by {name!r}")
        frame = frame.sort_index(kind="stable")
    dup = frame.index.duplicated()
    if dup.any():
        first = frame.index[np.flatnonzero(dup)[0]]
        if series_col is not None:
            raise ForecastError(
                f"time column {name!r} has {int(dup.sum())} duplicate timestamp(s), first "
                f"{first}, one row per {series_col!r}: a long table of several series; pass "
                f"--series {series_col} to train one model on every series"
            )
        raise ForecastError(
            f"time column {name!r} has {int(dup.sum())} duplicate timestamp(s), first {first}; "
            "keep one row per timestamp (aggregate or drop duplicates)"
        )
    return frame, notes


def repair_missing(frame: pd.DataFrame, fill: str, notes: list[str]) -> pd.DataFrame:
    """Apply ``--fill`` to missing values, or refuse them naming the first one."""
    for col in frame.columns:
        if frame[col].isna().all():
            raise ForecastError(f"column {col!r} has no values at all; drop it from the CSV")
    n_missing = frame.isna().sum()
    if not n_missing.any():
        return frame
    col = n_missing[n_missing > 0].index[0]
    if fill == "none":
        first = np.flatnonzero(frame[col].isna().to_numpy())[0]
        raise ForecastError(
            f"column {col!r} has {int(n_missing[col])} missing value(s), first on line "
            f"{line_of(first)}; pass --fill ffill or --fill interpolate to repair them"
        )
    if fill == "ffill":
        frame = frame.ffill().bfill()
    else:
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        frame = frame.interpolate(method=method, limit_direction="both")
    notes.append(f"filled {int(n_missing.sum())} missing value(s) with --fill {fill}")
    return frame


def check_finite(frame: pd.DataFrame) -> None:
    """Refuse infinite and huge values, which no scaler or loss can handle (NaN is left to
    ``repair_missing``)."""
    inf = np.isinf(frame.to_numpy(dtype="float64"))
    if inf.any():
        row, col = np.argwhere(inf)[0]
        raise ForecastError(
            f"column {frame.columns[col]!r} line {line_of(row)} is infinite; replace it with a "
            "number or leave it empty and use --fill"
        )
    values = frame.to_numpy(dtype="float64")
    too_big = np.abs(np.nan_to_num(values)) > MAX_ABS
    if too_big.any():
        row, col = np.argwhere(too_big)[0]
        raise ForecastError(
            f"column {frame.columns[col]!r} line {line_of(row)} is {values[row, col]:g}, too "
            f"large to train on in float32 (|x| must stay below {MAX_ABS:.1e}); rescale the "
            "column (e.g. divide it by 1e6)"
        )


def infer_frequency(index: pd.DatetimeIndex) -> tuple[str, list[str]]:
    """Frequency alias of the index, and notes about gaps.

    Rows are treated as consecutive steps; gaps (e.g. holidays in trading data) are reported, not
    filled. Business-day data (weekdays only, daily step) is recognised as ``"B"``.
    """
    if len(index) < 3:
        return "D", []
    freq = regular_frequency(index)
    if freq is not None:
        return freq, []
    steps = pd.Series(index[1:] - index[:-1])
    usual = steps.mode().iloc[0]
    notes = []
    weekdays_only = bool((index.day_of_week < 5).all())
    if usual == pd.Timedelta(days=1) and weekdays_only:
        freq, allowed = "B", pd.Timedelta(days=3)
    elif usual % pd.Timedelta(days=1) == pd.Timedelta(0):
        freq, allowed = ("D" if usual.days == 1 else f"{usual.days}D"), usual
    else:
        freq, allowed = pd.tseries.frequencies.to_offset(usual).freqstr, usual
    gaps = steps[steps > allowed]
    if len(gaps):
        where = index[gaps.index[gaps.argmax()]]
        notes.append(
            f"{len(gaps)} gap(s) in time (largest {span(gaps.max())} after {where}); "
            "rows are treated as consecutive steps"
        )
    return freq, notes


def check_regular(
    frame: pd.DataFrame, freq: str, name: str, fill: str, notes: list[str]
) -> pd.DataFrame:
    """Refuse a mostly irregular series and long gaps; with ``--fill``, put gappy rows on a
    regular grid (the new rows are missing values, repaired by ``repair_missing``).

    A few gaps (holidays in business-day data) stay notes: rows are treated as consecutive steps.
    """
    index = frame.index
    if len(index) < 3 or regular_frequency(index) is not None:
        return frame
    steps = pd.Series(index[1:] - index[:-1])
    usual = steps.mode().iloc[0]
    expected = [usual, pd.Timedelta(days=3)] if freq == "B" else [usual]
    off = ~steps.isin(expected)
    grid = pd.date_range(index[0], index[-1], freq=freq)
    on_grid = bool(index.isin(grid).all())
    fix = (
        "pass --fill ffill or --fill interpolate to fill the missing timestamps"
        if on_grid
        else "resample it to a regular frequency first (e.g. pandas .resample('D').mean())"
    )
    if off.mean() > MAX_IRREGULAR and not (on_grid and fill != "none"):
        raise ForecastError(
            f"time column {name!r} is irregular: {int(off.sum())} of {len(steps)} steps differ "
            f"from the usual step of {span(usual)}; {fix}"
        )
    largest = steps.max()
    if largest > MAX_GAP_STEPS * usual and not (on_grid and fill != "none"):
        where = index[int(steps.argmax())]
        raise ForecastError(
            f"time column {name!r} has a gap of {span(largest)} after {where} (more than "
            f"{MAX_GAP_STEPS} steps of {span(usual)}); {fix}, or cut the CSV to one side of it"
        )
    if (
        fill != "none"
        and on_grid
        and (off.mean() > MAX_IRREGULAR or largest > MAX_GAP_STEPS * usual)
    ):
        notes.clear()
        notes.append(f"put {len(index)} rows on a regular {freq} grid of {len(grid)} timestamps")
        return frame.reindex(pd.DatetimeIndex(grid, name=index.name))
    return frame


def span(delta: pd.Timedelta) -> str:
    """A step or gap for humans: ``"1 day"``, ``"61 days"``, ``"09:00:00"``."""
    days, rest = delta.days, delta - pd.Timedelta(days=delta.days)
    text = f"{days} day{'s' if days != 1 else ''}" if days else ""
    if rest or not days:
        text += (" " if text else "") + str(rest).removeprefix("0 days ")
    return text


def regular_frequency(index: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` as a string alias, across pandas 2 and 3."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):  # pandas < 3 has no such option
        freq = pd.infer_freq(index)
    return None if freq is None else pd.tseries.frequencies.to_offset(freq).freqstr


def season_for(freq: str) -> int:
    """Seasonal period of a frequency: a day of hours, a week of days, a year of months."""
    if is_step_freq(freq):
        return 1  # no time column, or integer steps: unknown; --season gives it
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.rule_code
    if name in ("B", "C"):
        return 5
    if name == "D":
        return 7 if offset.n == 1 else 1
    if name in ("h", "min", "s"):
        per_day = pd.Timedelta(days=1) / pd.Timedelta(offset)
        return int(per_day) if per_day >= 2 and float(per_day).is_integer() else 1
    if name.startswith("W"):
        return 52
    if name.startswith(("M", "BM")):
        return 12
    if name.startswith(("Q", "BQ")):
        return 4
    return 1

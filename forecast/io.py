"""Read a CSV into a validated frame: sorted DatetimeIndex, float32 numeric columns.

Every problem is a ``ForecastError`` naming the column, the row (as the line number in the file) and
the fix. Repairs that are safe (sorting rows, dropping text columns, a sniffed delimiter) are made
and reported as notes; repairs that change values (filling gaps) need ``--fill``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError

# Rows are treated as consecutive steps, so the step between rows must be (nearly) regular.
MAX_IRREGULAR = 0.2  # refuse when more than this share of steps differ from the usual step
MAX_GAP_STEPS = 10  # refuse a single gap longer than this many usual steps (unless --fill)
# Squares of scaled values must fit in float32 (the loss squares them): |x| < sqrt(3.4e38).
MAX_ABS = float(np.sqrt(np.finfo("float32").max))

TIME_NAMES = ("date", "datetime", "time", "timestamp", "ds", "day", "period")
DELIMITERS = ",;\t|"


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


def line_of(position: int) -> int:
    """File line number of the data row at ``position`` (header is line 1)."""
    return int(position) + 2


def read_series(path: Path, time_col: str | None = None, fill: str = "none") -> Series:
    """Read, validate and index a CSV time series.

    Args:
        path: CSV file with a header row.
        time_col: the time column's name; ``None`` auto-detects it.
        fill: ``"none"`` refuses missing values, ``"ffill"`` / ``"interpolate"`` repair them.

    Returns:
        The validated ``Series``.
    """
    raw, notes = read_raw(Path(path))
    time_col = find_time_column(raw, time_col)
    index = parse_times(raw[time_col], time_col)
    frame = numeric_columns(raw.drop(columns=[time_col]), notes)
    frame.index = pd.DatetimeIndex(index, name=time_col)
    frame, sort_notes = sort_and_check_times(frame, time_col)
    notes += sort_notes
    check_finite(frame)
    freq, freq_notes = infer_frequency(frame.index)
    frame = check_regular(frame, freq, time_col, fill, freq_notes)
    notes += freq_notes
    frame = repair_missing(frame, fill, notes)
    return Series(frame.astype("float32"), time_col, freq, notes)


def sniff_delimiter(path: Path) -> str:
    """The delimiter among ``, ; TAB |`` that appears most often in the header line."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_raw(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Parse the CSV text into a frame of strings and numbers, with a readable error on failure."""
    if not path.is_file():
        raise ForecastError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise ForecastError(f"{path} is empty (0 bytes); pass a CSV with a header and data rows")
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ForecastError(f"{path} is UTF-16 or binary, not UTF-8 text; re-save it as UTF-8 CSV")
    notes = []
    sep = sniff_delimiter(path)
    if sep != ",":
        notes.append(f"read {path.name} with delimiter {sep!r}")
    try:
        raw = pd.read_csv(path, sep=sep, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ForecastError(f"{path} has no columns; pass a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        detail = str(e).strip().splitlines()[-1]
        raise ForecastError(
            f"{path} is not a readable CSV ({detail}); fix or re-export it"
        ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw) == 0:
        raise ForecastError(f"{path} has a header but no data rows; add rows")
    if len(raw.columns) < 2:
        raise ForecastError(
            f"{path} has only one column ({raw.columns[0][:40]!r}); it needs a time column and "
            "at least one numeric column, separated by one of , ; TAB |; re-export it with commas"
        )
    return raw, notes


def find_time_column(raw: pd.DataFrame, requested: str | None) -> str:
    """Name of the time column: ``requested`` if given, else a date-like name or content."""
    if requested is not None:
        if requested not in raw.columns:
            raise ForecastError(
                f"--time-col {requested!r} is not a column; columns are: {', '.join(raw.columns)}"
            )
        return requested
    for col in raw.columns:
        if col.lower() in TIME_NAMES:
            return col
    for col in raw.columns:
        if not pd.api.types.is_numeric_dtype(raw[col]) and looks_like_dates(raw[col]):
            return col
    raise ForecastError(
        f"no time column found among {', '.join(raw.columns)}; name it with --time-col COL"
    )


def looks_like_dates(values: pd.Series) -> bool:
    """True when the first non-empty values all parse as dates."""
    sample = values.dropna().astype(str).head(20)
    if sample.empty:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def parse_times(values: pd.Series, name: str) -> pd.DatetimeIndex:
    """Parse the time column, refusing empty cells, unparseable dates and mixed time zones."""
    text = values.astype("string").str.strip()
    missing = np.flatnonzero(text.isna().to_numpy() | (text == "").fillna(True).to_numpy())
    if len(missing):
        raise ForecastError(
            f"time column {name!r} is empty on line {line_of(missing[0])} "
            f"({len(missing)} empty cell(s)); fill in or delete those rows"
        )
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    except (ValueError, TypeError) as e:
        if "zone" in str(e).lower() or "offset" in str(e).lower():
            raise ForecastError(
                f"time column {name!r} mixes time zones; convert every timestamp to one zone "
                "(e.g. UTC) first"
            ) from None
        raise ForecastError(f"time column {name!r} cannot be parsed as dates ({e})") from None
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype | np.dtypes.DateTime64DType):
        raise ForecastError(
            f"time column {name!r} mixes time zones; convert every timestamp to one zone "
            "(e.g. UTC) first"
        )
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise ForecastError(
            f"time column {name!r} line {line_of(bad[0])}: cannot parse {text.iloc[bad[0]]!r} as "
            f"a date ({len(bad)} such value(s)); fix them or name another column with --time-col"
        )
    return pd.DatetimeIndex(parsed)


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


def sort_and_check_times(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Sort rows by time (noted) and refuse duplicate timestamps."""
    notes = []
    if not frame.index.is_monotonic_increasing:
        notes.append(f"rows were not in time order; sorted them by {name!r}")
        frame = frame.sort_index(kind="stable")
    dup = frame.index.duplicated()
    if dup.any():
        first = frame.index[np.flatnonzero(dup)[0]]
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
        frame = frame.interpolate(method="time", limit_direction="both")
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

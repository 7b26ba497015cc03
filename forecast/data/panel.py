"""Many series in one long table (``--series COL``): one frame, series after series, and index
arithmetic that keeps every window inside one series.

The rows of series ``k`` are ``frame.iloc[bounds[k]:bounds[k + 1]]``, each series sorted by its own
time. Splits are chronological per series; origins are each series' origins shifted by its first
row, so a window (inputs and targets) never crosses from one series into the next. Per-series
scaler state lives in preprocessing.json's ``series`` section (``forecast.data.preprocess``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.data.layout import Layout
from forecast.data.split import Split, check_counts, enough_windows, split_rows
from forecast.errors import ForecastError

SHOWN_NAMES = 12  # names listed in an error message


def parse_only(only: str | None) -> list[str] | None:
    """``"A,B"`` → ``["A", "B"]`` (``None`` keeps every series)."""
    if only is None:
        return None
    names = [n.strip() for n in str(only).split(",") if n.strip()]
    if not names:
        raise ForecastError(f"--only {only!r} names no series; use e.g. --only AAPL,MSFT")
    return names


def shown(names) -> str:
    names = list(names)
    more = f" … ({len(names)} in all)" if len(names) > SHOWN_NAMES else ""
    return ", ".join(names[:SHOWN_NAMES]) + more


def read_panel(
    path: Path,
    column: str,
    time_col: str | None = None,
    fill: str = "none",
    dayfirst: bool | None = None,
    only: str | None = None,
):
    """Read a long table with one series per value of ``column``; validate each series as
    ``forecast.data.io.read_series`` validates a single one.

    Args:
        path: the file (any format ``forecast.data.formats.read_raw`` reads).
        column: the column naming the series.
        only: ``"A,B"`` keeps these series only.

    Returns:
        A ``forecast.data.io.Series`` whose frame holds the series one after another, with
        ``layout``.
    """
    from forecast.data.formats import read_raw
    from forecast.data.io import Series, series_from_raw
    from forecast.data.times import find_time_column, is_no_time

    raw, notes = read_raw(Path(path))
    if column not in raw.columns:
        raise ForecastError(
            f"--series {column!r} is not a column; columns are: {', '.join(map(str, raw.columns))}"
        )
    labels = raw[column].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    raw = raw.drop(columns=[column])
    found = None if is_no_time(time_col, raw.columns) else find_time_column(raw, time_col)
    groups = pd.Series(labels).groupby(labels, sort=False).indices  # name -> file rows
    names = list(groups)
    wanted = parse_only(only)
    if wanted is not None:
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise ForecastError(
                f"--only names series {', '.join(unknown)} that column {column!r} does not "
                f"hold; it holds: {shown(names)}"
            )
        names = [n for n in names if n in wanted]
    frames, freqs, seen = [], {}, defaultdict(list)
    time_name = None
    for name in names:
        own: list[str] = []
        positions = groups[name]
        part = raw.iloc[positions].reset_index(drop=True)
        try:
            one = series_from_raw(part, time_col, fill, dayfirst, own, found)
        except ForecastError as e:
            message = file_lines(str(e), positions)
            raise ForecastError(f"series {name!r} of --series {column}: {message}") from None
        frames.append(one.frame)
        freqs[name] = one.freq
        time_name = one.time_col
        for note in own:
            seen[note].append(name)
    check_same(frames, freqs, names, column)
    for note, who in seen.items():
        notes.append(note if len(who) == len(names) else f"series {shown(who)}: {note}")
    frame = pd.concat(frames)
    bounds = tuple(int(b) for b in np.cumsum([0] + [len(f) for f in frames]))
    layout = Layout(column, tuple(names), bounds)
    notes.append(f"{len(names)} series in column {column!r}: {shown(names)}")
    return Series(frame, time_name, freqs[names[0]], notes, layout)


def file_lines(message: str, positions: np.ndarray) -> str:
    """``message`` about one series' rows with its ``line N`` (a row of the series) turned into
    the line of the whole file (``positions``: the file rows of the series)."""
    from forecast.data.times import line_of

    def fix(match: re.Match) -> str:
        row = int(match.group(1)) - line_of(0)
        return f"line {line_of(positions[row])}" if 0 <= row < len(positions) else match.group(0)

    return re.sub(r"\bline (\d+)", fix, message)


def check_same(frames: list[pd.DataFrame], freqs: dict[str, str], names, column: str) -> None:
    """Every series must have the same numeric columns and the same frequency."""
    if len(set(freqs.values())) > 1:
        by = ", ".join(f"{n} {f}" for n, f in list(freqs.items())[:SHOWN_NAMES])
        raise ForecastError(
            f"the series of --series {column} have different frequencies ({by}); resample them to "
            "one frequency, or pick series of one frequency with --only"
        )
    first = list(frames[0].columns)
    for name, frame in zip(names, frames, strict=True):
        if list(frame.columns) != first:
            raise ForecastError(
                f"series {name!r} has numeric columns {', '.join(frame.columns)} but "
                f"{names[0]!r} has {', '.join(first)}; every series needs the same columns"
            )


def min_rows(window: int, horizon: int, spec, season: int) -> int:
    """Fewest rows a series needs: a window in each split (``spec``: fractions or row counts;
    no test window when it holds no test rows), and a season of history before its first test
    forecast (the seasonal-naive baseline)."""
    check_counts(spec, horizon)
    n = window + horizon
    while True:
        split = split_rows(n, spec)
        if enough_windows(split, window, horizon, spec) and split.val_end >= season:
            return n
        n += 1


def keep_long_enough(series, window: int, horizon: int, fractions, season: int):
    """``series`` without the series too short for ``window`` and ``horizon`` (noted).

    Returns:
        ``(series, notes)``: a new ``Series`` (the same one when nothing was dropped).
    """
    layout = series.layout
    need = min_rows(window, horizon, fractions, season)
    lengths = layout.lengths()
    keep = [k for k in range(layout.n_series) if lengths[k] >= need]
    short = [f"{layout.names[k]} ({lengths[k]})" for k in range(layout.n_series) if k not in keep]
    if not keep:
        raise ForecastError(
            f"every series of --series {layout.column} is too short: --window {window} and "
            f"--horizon {horizon} need at least {need} rows per series; the longest has "
            f"{lengths.max()}. Use a smaller --window or --horizon."
        )
    if not short:
        return series, []
    rows = np.concatenate([np.arange(layout.bounds[k], layout.bounds[k + 1]) for k in keep])
    bounds = tuple(int(b) for b in np.cumsum([0] + [int(lengths[k]) for k in keep]))
    kept = Layout(layout.column, tuple(layout.names[k] for k in keep), bounds)
    note = (
        f"skipped {len(short)} series shorter than the {need} rows that --window {window} and "
        f"--horizon {horizon} need: {shown(short)}"
    )
    return replace(series, frame=series.frame.iloc[rows], layout=kept), [note]


def splits(layout: Layout, spec) -> list[Split]:
    """Chronological split of each series, in its own row numbers (``spec``: fractions, or row
    counts: every series' last rows)."""
    return [split_rows(int(n), spec) for n in layout.lengths()]


def panel_origins(
    layout: Layout, parts: list[Split], window: int, horizon: int, part: str
) -> np.ndarray:
    """Origins of ``part`` in every series, in the concatenated frame's row numbers.

    Returns:
        ``(n_windows,)`` int64: series after series, increasing within each.
    """
    from forecast.data.windows import origins

    return np.concatenate(
        [origins(split, window, horizon, part) + layout.bounds[k] for k, split in enumerate(parts)]
    ).astype("int64")


def train_rows(layout: Layout, parts: list[Split]) -> np.ndarray:
    """Row numbers of every series' training rows."""
    return np.concatenate(
        [np.arange(layout.bounds[k], layout.bounds[k] + s.train_end) for k, s in enumerate(parts)]
    )


def naive_scale(target: np.ndarray, layout: Layout, parts: list[Split], k: int | None = None):
    """MASE denominator: mean absolute one-step change over the training rows of series ``k``
    (of every series when ``None``), never across two series."""
    chosen = range(layout.n_series) if k is None else [k]
    diffs = [
        np.abs(np.diff(target[layout.bounds[j] : layout.bounds[j] + parts[j].train_end]))
        for j in chosen
    ]
    joined = np.concatenate(diffs)
    return float(np.mean(joined)) if len(joined) else float("nan")


def select_series(series, names: list[str]):
    """A copy of a ``--series`` ``Series`` holding only the series ``names`` (in its order)."""
    layout = series.layout
    keep = [k for k, n in enumerate(layout.names) if n in names]
    rows = np.concatenate([np.arange(layout.bounds[k], layout.bounds[k + 1]) for k in keep])
    lengths = layout.lengths()
    bounds = tuple(int(b) for b in np.cumsum([0] + [int(lengths[k]) for k in keep]))
    kept = Layout(layout.column, tuple(layout.names[k] for k in keep), bounds)
    return replace(series, frame=series.frame.iloc[rows], layout=kept)


def shortest_kept(series, window: int, horizon: int, fractions, season: int) -> int:
    """Rows of the shortest series that ``window`` keeps (all rows for a single series): a
    search over windows capped by it scores every trial on the same series."""
    if series.layout is None:
        return len(series.frame)
    kept, _ = keep_long_enough(series, window, horizon, fractions, season)
    return int(kept.layout.lengths().min())

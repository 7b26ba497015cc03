"""New rows for a run: check that a CSV continues the data a run has seen, and grow it.

``forecast update`` accepts either the whole series grown by new rows or the new rows alone. The
rows after the last one seen are appended; rows the run has seen must agree with it. A revised
past value (a correction published later) is reported, which rows and old → new, and the value
the run saw is kept: the forecasts already logged were made from it, and a silent change would
rewrite the history they are scored against. A gap between the seen rows and the new ones is
refused unless the run was fit with ``--fill``, which then repairs it as it repaired the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecast.data.io import Series, repair_missing
from forecast.data.layout import Layout
from forecast.data.steps import future_steps, is_step_freq
from forecast.data.times import time_label as label
from forecast.errors import ForecastError

# float32 values read from text: equal to the run's when within float32 rounding
RTOL = 1e-6
ATOL = 1e-6


@dataclass(frozen=True)
class Revision:
    """A past value that differs from the one the run saw."""

    series: str | None
    time: str
    column: str
    old: float
    new: float

    def line(self) -> str:
        where = f"series {self.series!r} " if self.series is not None else ""
        return f"{where}{self.time} {self.column}: {self.old:g} → {self.new:g}"


@dataclass
class Continuation:
    """The seen rows grown by the new ones.

    Attributes:
        series: every row seen so far (the seen values kept where the CSV revises them).
        n_new: new rows per series name (``None`` for one series).
        revisions: past values the CSV revised (not used).
        notes: what else the user should know.
    """

    series: Series
    n_new: dict
    revisions: list[Revision]
    notes: list[str] = field(default_factory=list)


def next_time(last, freq: str):
    """The row after ``last`` at frequency ``freq``."""
    if is_step_freq(freq):
        return future_steps(last, freq, 1)[0]
    return pd.date_range(last, periods=2, freq=freq)[1]


def expected_index(first, last, freq: str) -> pd.Index:
    """Every row from ``first`` to ``last`` at ``freq``."""
    if is_step_freq(freq):
        stride = int(future_steps(first, freq, 1)[0]) - int(first)
        return pd.Index(np.arange(int(first), int(last) + 1, stride), name=None)
    return pd.date_range(first, last, freq=freq)


def revisions_of(seen: pd.DataFrame, given: pd.DataFrame, name: str | None) -> list[Revision]:
    """The values of ``given`` at times ``seen`` holds that differ from ``seen``'s."""
    common = given.index.intersection(seen.index)
    if not len(common):
        return []
    old = seen.loc[common, list(seen.columns)].to_numpy(dtype="float64")
    new = given.loc[common, list(seen.columns)].to_numpy(dtype="float64")
    differ = ~np.isclose(new, old, rtol=RTOL, atol=ATOL)
    return [
        Revision(name, label(common[r]), str(seen.columns[c]), float(old[r, c]), float(new[r, c]))
        for r, c in np.argwhere(differ)
    ]


def grow(
    seen: pd.DataFrame, given: pd.DataFrame, freq: str, fill: str, name: str | None
) -> tuple[pd.DataFrame, int, list[Revision], list[str]]:
    """``seen`` followed by the rows of ``given`` after its last one.

    Returns:
        ``(grown frame, new rows, revisions, notes)``.

    Raises:
        ForecastError: a gap between the seen rows and the new ones without ``--fill``.
    """
    given = given[list(seen.columns)]
    last = seen.index[-1]
    new = given[given.index > last]
    revisions = revisions_of(seen, given[given.index <= last], name)
    if new.empty:
        return seen, 0, revisions, []
    first = next_time(last, freq)
    where = f"series {name!r}: " if name is not None else ""
    full = expected_index(first, new.index[-1], freq)
    missing = full.difference(new.index)
    notes = []
    if len(missing):
        if fill == "none":
            raise ForecastError(
                f"{where}the new rows leave {len(missing)} row(s) missing after the run's last row "
                f"{label(last)}, first {label(missing[0])}; add them to the CSV, or fit the run "
                "with --fill ffill to have gaps repaired"
            )
        new = repair_missing(new.reindex(full), fill, notes)
        notes = [f"{where}{note} in the new rows" for note in notes]
    return pd.concat([seen, new.astype(seen.dtypes.iloc[0])]), len(new), revisions, notes


def continue_series(seen: Series, given: Series, fill: str = "none") -> Continuation:
    """``seen`` (every row the run has seen) continued by the CSV read as ``given``.

    Args:
        seen: the rows seen so far, one series or a ``--series`` long table.
        given: the CSV read as the run reads it (the whole grown table, or the new rows only).
        fill: the run's ``--fill``, for gaps between the seen rows and the new ones.

    Raises:
        ForecastError: another frequency, or a gap without ``--fill``.
    """
    if given.freq != seen.freq:
        raise ForecastError(
            f"the CSV's rows are {given.freq!r} apart but the run's are {seen.freq!r}; pass the "
            "same series at the run's frequency"
        )
    if seen.layout is None:
        frame, n, revisions, notes = grow(seen.frame, given.frame, seen.freq, fill, None)
        return Continuation(replace(seen, frame=frame, notes=[]), {None: n}, revisions, notes)
    given_parts = parts_of(given)
    frames, n_new, revisions, notes = [], {}, [], []
    for name, part in parts_of(seen).items():
        if name in given_parts:
            part, n, rev, note = grow(part, given_parts[name], seen.freq, fill, name)
            revisions += rev
            notes += note
        else:
            n = 0
        frames.append(part)
        n_new[name] = n
    unknown = [n for n in given_parts if n not in n_new]
    if unknown:
        notes.append(f"skipped series the run was not trained on: {', '.join(unknown[:5])}")
    bounds = tuple(int(b) for b in np.cumsum([0] + [len(f) for f in frames]))
    layout = Layout(seen.layout.column, seen.layout.names, bounds)
    grown = replace(seen, frame=pd.concat(frames), layout=layout, notes=[])
    return Continuation(grown, n_new, revisions, notes)


def parts_of(series: Series) -> dict[str, pd.DataFrame]:
    """``{series name: its rows}`` of a ``--series`` Series."""
    layout = series.layout
    return {n: series.frame.iloc[layout.rows(k)] for k, n in enumerate(layout.names)}


def through(series: Series, last) -> Series:
    """The rows of ``series`` up to and including time ``last`` (a long table: ``{series name:
    its last time}``, a series not named keeps every row)."""
    if series.layout is None:
        return replace(series, frame=series.frame[series.frame.index <= last])
    frames = [
        part[part.index <= last[name]] if name in last else part
        for name, part in parts_of(series).items()
    ]
    bounds = tuple(int(b) for b in np.cumsum([0] + [len(f) for f in frames]))
    layout = Layout(series.layout.column, series.layout.names, bounds)
    return replace(series, frame=pd.concat(frames), layout=layout)

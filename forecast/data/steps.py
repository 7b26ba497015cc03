"""Integer time steps: a column of increasing whole numbers (``0, 1, 2 …``, or any regular
stride such as ``0, 10, 20 …``) as the time axis — simulation outputs, M4-style long tables.

The column is the time axis and never an input. Its frequency is ``"step"`` (stride 1) or
``"<k>step"`` (stride ``k``); the forecast's time labels are the next steps. A missing step is a
gap, as a missing timestamp is: a few short ones are noted (the rows are treated as consecutive
steps), more or longer ones are refused; ``--fill`` puts the rows on the full grid of steps and
repairs the new rows' values. Steps must increase down the file (within each series).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecast.data.times import is_step_name, line_of, whole_numbers
from forecast.errors import ForecastError

STEP_FREQ = "step"  # stride 1; also the frequency of rows without a time column


def step_freq(stride: int) -> str:
    """The frequency of steps ``stride`` apart: ``"step"``, ``"10step"``."""
    return STEP_FREQ if stride == 1 else f"{int(stride)}{STEP_FREQ}"


def stride_of(freq) -> int | None:
    """The stride of a step frequency (``"step"`` → 1, ``"10step"`` → 10); ``None`` for a
    calendar frequency such as ``"D"``."""
    match = re.fullmatch(rf"([1-9]\d*)?{STEP_FREQ}", freq) if isinstance(freq, str) else None
    return None if match is None else int(match.group(1) or 1)


def is_step_freq(freq) -> bool:
    """True for ``"step"`` and ``"<k>step"``: rows indexed by steps, not by calendar time."""
    return stride_of(freq) is not None


def future_steps(last, freq: str, horizon: int) -> pd.Index:
    """The ``horizon`` steps after step ``last``: ``last + k, last + 2k, …``."""
    stride = stride_of(freq)
    start = int(last) + stride
    return pd.RangeIndex(start, start + stride * horizon, stride, name="step")


def step_index(values: pd.Series, name: str, hint: str | None = None) -> pd.Index:
    """The time column ``name`` as an ``int64`` index, refusing steps that do not increase.

    Args:
        values: ``(n_rows,)`` whole numbers (``times.is_step_index``), in file order.
        name: the column, for messages.
        hint: a text column that explains repeated steps (several series in one table).
    """
    steps = values.to_numpy(dtype="float64").astype("int64")
    back = np.flatnonzero(np.diff(steps) <= 0)
    if len(back):
        row = int(back[0]) + 1
        what = "repeats" if steps[row] == steps[row - 1] else "goes back to"
        fix = (
            f"one row per {hint!r}: a long table of several series; pass --series {hint}"
            if hint is not None
            else f"sort the rows by {name!r} and keep one row per step"
        )
        raise ForecastError(
            f"time column {name!r} must increase, but line {line_of(row)} {what} step "
            f"{steps[row]} after {steps[row - 1]}; {fix}"
        )
    return pd.Index(steps, dtype="int64", name=name)


def regular_steps(
    frame: pd.DataFrame, fill: str, max_irregular: float, max_gap: int, notes: list[str]
) -> tuple[pd.DataFrame, str]:
    """Check the gaps of a step-indexed frame, as ``io.check_regular`` checks timestamps.

    Args:
        frame: rows on an increasing ``int64`` index.
        fill: ``"none"`` keeps a few short gaps (noted) and refuses more; otherwise every
            missing step becomes a row of missing values (for ``io.repair_missing``).
        max_irregular: refuse when more than this share of the steps are gaps.
        max_gap: refuse a gap longer than this many strides.
        notes: where the gaps are noted.

    Returns:
        ``(frame, freq)``.
    """
    steps = frame.index.to_numpy()
    name = frame.index.name
    if len(steps) < 2:
        return frame, STEP_FREQ
    diffs = np.diff(steps)
    stride = int(pd.Series(diffs).mode().iloc[0])
    on_grid = bool(np.all((steps - steps[0]) % stride == 0))
    gaps = np.flatnonzero(diffs != stride)
    if not len(gaps):
        return frame, step_freq(stride)
    largest = int(gaps[np.argmax(diffs[gaps])])
    if fill != "none" and on_grid:
        grid = pd.RangeIndex(int(steps[0]), int(steps[-1]) + stride, stride, name=name)
        notes.append(f"put {len(steps)} rows on the full grid of {len(grid)} steps of {name!r}")
        return frame.reindex(pd.Index(grid, dtype="int64", name=name)), step_freq(stride)
    fix = (
        "pass --fill ffill or --fill interpolate to fill the missing steps"
        if on_grid
        else f"make the steps of {name!r} a regular sequence first"
    )
    if len(gaps) / len(diffs) > max_irregular or not on_grid:
        raise ForecastError(
            f"time column {name!r} is irregular: {len(gaps)} of {len(diffs)} steps differ from "
            f"the usual step of {stride}; {fix}"
        )
    if diffs[largest] > max_gap * stride:
        raise ForecastError(
            f"time column {name!r} jumps from {steps[largest]} to {steps[largest + 1]} (more "
            f"than {max_gap} steps of {stride}); {fix}, or cut the CSV to one side of it"
        )
    notes.append(
        f"{len(gaps)} gap(s) in the steps of {name!r} (largest {steps[largest]} → "
        f"{steps[largest + 1]}); rows are treated as consecutive steps"
    )
    return frame, step_freq(stride)


def counter_columns(frame: pd.DataFrame) -> list[str]:
    """Columns named like a step index that count the rows at a regular stride: time, not
    inputs, when ``--time-col none`` says there is no time column."""
    found = []
    for col in frame.columns:
        if is_step_name(col) and whole_numbers(frame[col]) and len(frame) > 1:
            diffs = np.diff(frame[col].to_numpy(dtype="float64"))
            if diffs[0] > 0 and np.all(diffs == diffs[0]):
                found.append(str(col))
    return found

"""Calendar inputs: sin/cos of hour of day, day of week and day of year.

Each feature is a phase ``φ(t)`` in [0, 1) of a known cycle, fed as ``(sin 2πφ, cos 2πφ)`` so that
the end of a cycle meets its start. Only the cycles the data's frequency can resolve are used: a
cycle must span at least ``MIN_ROWS_PER_CYCLE`` rows (daily rows resolve the week and the year, not
the hour of day). ``--calendar auto`` keeps those that are longer than the window and repeat in
the training rows (``useful``).

Because the rows are regular, the phase advances by a fixed ``1 / period_rows`` per row, so the
calendar features of the forecast times are a rotation of the last observed row's features
(``forecast.models.layers.FutureCalendar``): the model receives them as known-future inputs
without a second input tensor, and ``predict`` past the data's end needs nothing but the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.data.steps import is_step_freq

MIN_ROWS_PER_CYCLE = 4


MIN_TRAIN_CYCLES = 2


DAY = pd.Timedelta(days=1)


CYCLE_DAYS = {"hour_of_day": 1.0, "day_of_week": 7.0, "day_of_year": 365.25}


def step_days(freq: str) -> float:
    """Mean length of one row of frequency ``freq`` in days (a business day counts 7/5)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    start = pd.Timestamp("2001-01-01")
    n = 1000
    return float((start + n * offset - start) / DAY) / n


def resolvable(freq: str | None) -> list[str]:
    """The calendar features whose cycle spans at least ``MIN_ROWS_PER_CYCLE`` rows of ``freq``,
    in the order hour of day, day of week, day of year. ``None`` (no time column, or an unknown
    frequency) resolves none."""
    if not freq or is_step_freq(freq):  # no time column, or integer time steps
        return []
    return [name for name in CYCLE_DAYS if period_rows(name, freq) >= MIN_ROWS_PER_CYCLE]


def period_rows(name: str, freq: str) -> float:
    """Rows per cycle of feature ``name`` at frequency ``freq`` (business days: a week is 5)."""
    if name == "day_of_week" and is_business(freq):
        return 5.0
    return CYCLE_DAYS[name] / step_days(freq)


def is_business(freq: str) -> bool:
    return pd.tseries.frequencies.to_offset(freq).rule_code in ("B", "C")


def phase(name: str, index: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """``(n_rows,)`` position in [0, 1) of each timestamp within the cycle ``name``."""
    day_fraction = (index.hour + index.minute / 60 + index.second / 3600) / 24
    if name == "hour_of_day":
        return np.asarray(day_fraction, dtype="float64")
    if name == "day_of_week":
        if is_business(freq):
            return np.asarray(index.day_of_week, dtype="float64") / 5
        return np.asarray(index.day_of_week + day_fraction, dtype="float64") / 7
    return np.asarray(index.day_of_year - 1 + day_fraction, dtype="float64") / 365.25


def features(index: pd.DatetimeIndex, names: list[str], freq: str) -> np.ndarray:
    """``(n_rows, 2 * len(names))`` float32: ``sin, cos`` of each feature's phase, in order."""
    columns = []
    for name in names:
        angle = 2 * np.pi * phase(name, index, freq)
        columns += [np.sin(angle), np.cos(angle)]
    if not columns:
        return np.zeros((len(index), 0), dtype="float32")
    return np.stack(columns, axis=1).astype("float32")


def column_names(names: list[str]) -> list[str]:
    return [f"{part}_{name}" for name in names for part in ("sin", "cos")]


def choose(calendar: str, freq: str | None, n_train_rows: int, window: int) -> list[str]:
    """The features ``--calendar`` asks for: ``none`` → none; ``auto`` → the resolvable cycles
    that are useful here (``useful``)."""
    if calendar != "auto":
        return []
    return [name for name in resolvable(freq) if useful(name, freq, n_train_rows, window)]


def useful(name: str, freq: str, n_train_rows: int, window: int) -> bool:
    """Whether cycle ``name`` can tell the model something the window cannot, and can be learnt.

    A cycle no longer than the window is already in view: the window holds its whole last period,
    so its phase adds inputs but no information (on an hourly series with a 96-hour window the hour
    of day cost 3 % of validation RMSE, docs/choices.md). A cycle must also repeat
    at least ``MIN_TRAIN_CYCLES`` times in the training rows, or its phase is only a proxy for the
    date (the day of year on one year of hourly training data)."""
    rows = period_rows(name, freq)
    return window < rows <= n_train_rows / MIN_TRAIN_CYCLES

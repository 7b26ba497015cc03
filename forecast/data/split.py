"""Chronological train / validation / test split of a series' rows.

A split spec (``FitOptions.split``, parsed by ``forecast.config.parse_split``) is either three
fractions summing to 1 (``(0.7, 0.15, 0.15)``: each series' first 70 % trains, the next 15 %
validates, the last 15 % tests) or row counts ``("auto", VAL, TEST)``: each series' last ``TEST``
rows test, the ``VAL`` rows before them validate, the rest trains. ``TEST`` may be 0: nothing is
held out for scoring (fit trains and stops early on validation, and scores nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from forecast.errors import ForecastError

REST = "auto"  # the train part of a row-count spec: every row the others leave


@dataclass(frozen=True)
class Split:
    """Row boundaries of a chronological split: train ``[0, train_end)``, val ``[train_end,
    val_end)``, test ``[val_end, n_rows)``."""

    n_rows: int
    train_end: int
    val_end: int


def is_counts(spec) -> bool:
    """True for a row-count spec ``("auto", VAL, TEST)``."""
    return str(spec[0]).lower() == REST


def has_test(spec) -> bool:
    """False for ``("auto", VAL, 0)``: no rows are held out for scoring."""
    return not (is_counts(spec) and int(spec[2]) == 0)


def split_rows(n_rows: int, spec) -> Split:
    """Boundaries of a chronological train / val / test split of ``n_rows`` rows (``spec``:
    fractions, or row counts; a series shorter than the counts gets an empty train part)."""
    if is_counts(spec):
        val_end = max(n_rows - int(spec[2]), 0)
        return Split(n_rows, max(val_end - int(spec[1]), 0), val_end)
    train_end = int(round(n_rows * spec[0]))
    val_end = int(round(n_rows * (spec[0] + spec[1])))
    return Split(n_rows, train_end, val_end)


def window_counts(split: Split, window: int, horizon: int) -> tuple[int, int, int]:
    """Number of (train, val, test) windows whose targets all lie inside that split."""
    n_train = split.train_end - window - horizon + 1
    n_val = split.val_end - max(split.train_end, window) - horizon + 1
    n_test = split.n_rows - max(split.val_end, window) - horizon + 1
    return max(n_train, 0), max(n_val, 0), max(n_test, 0)


def enough_windows(split: Split, window: int, horizon: int, spec) -> bool:
    """At least one train and one validation window, and one test window unless ``spec``
    holds no test rows."""
    n_train, n_val, n_test = window_counts(split, window, horizon)
    return n_train >= 1 and n_val >= 1 and (n_test >= 1 or not has_test(spec))


def check_counts(spec, horizon: int) -> None:
    """Refuse row counts that hold no whole forecast: validation (and a test part other than 0)
    needs at least ``horizon`` rows, whatever the length of the series."""
    if not is_counts(spec):
        return
    val, test = int(spec[1]), int(spec[2])
    for rows, part in ((val, "validation"), (test, "test")):
        if rows < horizon and not (part == "test" and rows == 0):
            raise ForecastError(
                f"{describe(spec)}: {rows} {part} row(s) per series hold no forecast of "
                f"--horizon {horizon}; give at least {horizon}"
                + (" (or 0: no test rows)" if part == "test" else "")
            )


def require_test(spec, what: str, fix: str = "give test rows, e.g.") -> None:
    """Refuse a spec without test rows for a command that scores on them (``what`` does)."""
    if not has_test(spec):
        raise ForecastError(
            f"{what} on the test rows, and {describe(spec)} holds none; {fix} "
            f"--split {REST},{int(spec[1])},{int(spec[1])}"
        )


def describe(spec) -> str:
    """The spec for messages: ``"the 0.7/0.15/0.15 split"``, ``"--split auto,48,0"``."""
    if is_counts(spec):
        return f"--split {REST},{int(spec[1])},{int(spec[2])}"
    return f"the {'/'.join(f'{f:g}' for f in spec)} split"


def held_out_share(spec, n_rows: int) -> float:
    """The share of ``n_rows`` rows that ``spec`` tests."""
    return min(int(spec[2]) / max(n_rows, 1), 1.0) if is_counts(spec) else float(spec[2])

"""Chronological train / validation / test split of a series' rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    """Row boundaries of a chronological split: train ``[0, train_end)``, val ``[train_end,
    val_end)``, test ``[val_end, n_rows)``."""

    n_rows: int
    train_end: int
    val_end: int


def split_rows(n_rows: int, fractions: tuple[float, float, float]) -> Split:
    """Boundaries of a chronological train / val / test split of ``n_rows`` rows."""
    train_end = int(round(n_rows * fractions[0]))
    val_end = int(round(n_rows * (fractions[0] + fractions[1])))
    return Split(n_rows, train_end, val_end)


def window_counts(split: Split, window: int, horizon: int) -> tuple[int, int, int]:
    """Number of (train, val, test) windows whose targets all lie inside that split."""
    n_train = split.train_end - window - horizon + 1
    n_val = split.val_end - max(split.train_end, window) - horizon + 1
    n_test = split.n_rows - max(split.val_end, window) - horizon + 1
    return max(n_train, 0), max(n_val, 0), max(n_test, 0)

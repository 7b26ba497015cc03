"""Rolling-origin backtest folds: where each fold's training, validation and test rows lie.

Pure arithmetic on row counts. Fold ``k`` of ``K`` (0-based) tests on ``N`` rows
``[n_rows - (K - k) * N, n_rows - (K - k - 1) * N)``, validates on the ``N`` rows just before,
and trains on every row before that (an expanding window). The test blocks do not overlap and
cover the last ``K * N`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from forecast.data.split import Split, window_counts
from forecast.errors import ForecastError

MIN_ORIGINS = 5  # a fold's test block holds at least this many origins by default


@dataclass(frozen=True)
class Fold:
    """One fold: train ``[0, train_end)``, validation ``[train_end, test_start)``, test
    ``[test_start, test_end)``; rows after ``test_end`` are never read."""

    k: int
    train_end: int
    test_start: int
    test_end: int

    @property
    def split(self) -> Split:
        """The fold's split of the series truncated to ``test_end`` rows."""
        return Split(n_rows=self.test_end, train_end=self.train_end, val_end=self.test_start)


def default_fold_size(n_rows: int, folds: int, test_share: float, horizon: int) -> int:
    """The fit's test share of the rows divided by ``folds``, and at least ``horizon`` plus a few
    origins (``MIN_ORIGINS`` windows per block)."""
    return max(int(n_rows * test_share) // folds, horizon + MIN_ORIGINS - 1)


def fold_bounds(n_rows: int, folds: int, fold_size: int, window: int, horizon: int) -> list[Fold]:
    """The ``folds`` folds of ``fold_size`` test rows each over a series of ``n_rows`` rows, or a
    ``ForecastError`` naming the fix when the series is too short for them."""
    if folds < 1:
        raise ForecastError(f"--folds {folds}: give at least 1 fold")
    if fold_size < horizon:
        raise ForecastError(
            f"--fold-size {fold_size} is shorter than --horizon {horizon}: no test origin fits in "
            f"a block; use --fold-size {horizon + MIN_ORIGINS - 1} or more"
        )
    out = []
    for k in range(folds):
        test_start = n_rows - (folds - k) * fold_size
        out.append(Fold(k, test_start - fold_size, test_start, test_start + fold_size))
    first = out[0]
    need = (folds + 1) * fold_size + window + horizon  # one training window at least
    if first.train_end < 0 or min(window_counts(first.split, window, horizon)) < 1:
        raise ForecastError(
            f"--folds {folds} of --fold-size {fold_size} rows (plus a validation block and one "
            f"training window of --window {window} and --horizon {horizon}) need at least {need} "
            f"rows; the series has {n_rows}. Use fewer --folds, a smaller --fold-size or --window"
        )
    return out

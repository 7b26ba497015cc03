"""Where each series of a long table (``--series``) lies in the concatenated frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """Where each series lies in the concatenated frame.

    Attributes:
        column: the ``--series`` column of the file.
        names: series names, in the order of their rows.
        bounds: ``(n_series + 1,)`` row offsets; series ``k`` is rows ``[bounds[k], bounds[k+1])``.
    """

    column: str
    names: tuple[str, ...]
    bounds: tuple[int, ...]

    @property
    def n_series(self) -> int:
        return len(self.names)

    def lengths(self) -> np.ndarray:
        """``(n_series,)`` rows of each series."""
        return np.diff(np.asarray(self.bounds, dtype="int64"))

    def rows(self, k: int) -> slice:
        return slice(self.bounds[k], self.bounds[k + 1])

    def ids(self, rows: np.ndarray) -> np.ndarray:
        """``(n,)`` series number of each row index in ``rows``."""
        return np.searchsorted(np.asarray(self.bounds), rows, side="right") - 1


def per_row(stats: list[list[float]], layout: Layout) -> np.ndarray:
    """``(n_rows, n_columns)``: each series' row of ``stats`` repeated over its rows."""
    return np.repeat(np.asarray(stats, dtype="float64"), layout.lengths(), axis=0)

"""A series ready for training and scoring: columns chosen, split, scaled, origins found.

No TensorFlow here except the shared input tensor, built lazily.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.config import FitOptions
from forecast.data import layout, panel
from forecast.data.io import MAX_ABS, Series, line_of, read_series
from forecast.data.preprocess import (
    Preprocessing,
    check_enough_rows,
    from_model_units,
)
from forecast.data.split import Split
from forecast.data.windows import PARTS, WindowArray, make_dataset, origins, target_windows
from forecast.errors import ForecastError


def naive_scale(train_target: np.ndarray) -> float:
    """MASE denominator: mean absolute one-step change of the target over the training rows."""
    return float(np.mean(np.abs(np.diff(train_target))))


@dataclass
class Prepared:
    """A series ready for training and scoring.

    Attributes:
        series: the validated CSV.
        prep: saved preprocessing state.
        split: row boundaries.
        values: ``(n_rows, n_inputs)`` float32 scaled inputs.
        target: ``(n_rows,)`` float64 target in original units.
        starts: origins of each part (``train``, ``val``, ``test``).
    """

    series: Series
    prep: Preprocessing
    split: Split
    values: np.ndarray
    target: np.ndarray
    starts: dict[str, np.ndarray]
    layout: layout.Layout | None = (
        None  # --series: where each series lies (``split`` is then unused)
    )
    parts: list[Split] | None = None  # --series: each series' own split

    def series_ids(self, part: str) -> np.ndarray:
        """``(n_windows,)`` series number of each origin of ``part`` (all 0 for one series)."""
        if self.layout is None:
            return np.zeros(len(self.starts[part]), dtype="int64")
        return self.layout.ids(self.starts[part])

    @property
    def series_names(self) -> list[str]:
        return list(self.layout.names) if self.layout is not None else []

    def naive_scale(self, k: int | None = None) -> float:
        """MASE denominator from the training rows (of series ``k``; pooled when ``None``)."""
        if self.layout is None:
            return naive_scale(self.target[: self.split.train_end])
        return panel.naive_scale(self.target, self.layout, self.parts, k)

    def test_span(self) -> tuple[str, str]:
        """First and last timestamps of the test rows (over every series)."""
        index = self.series.frame.index
        if self.layout is None:
            return str(index[self.split.val_end]), str(index[-1])
        firsts = [self.layout.bounds[k] + s.val_end for k, s in enumerate(self.parts)]
        return str(min(index[firsts])), str(max(index))

    def unscale(self, scaled: np.ndarray, part: str, origins=slice(None)) -> np.ndarray:
        """``(n_windows, horizon)`` scaled target forecasts of ``part`` (of its ``origins``: a
        slice or integer array) in original units (each series with its own scaler)."""
        if self.layout is None:
            return self.prep.unscale_target(scaled)
        mean, scale = self.prep.row_stats(self.layout)
        rows = self.starts[part][origins]
        i = self.prep.target_index
        return from_model_units(
            scaled * scale[rows, i][:, None] + mean[rows, i][:, None], self.prep
        )

    def dataset(
        self, part: str, batch_size: int, shuffle_seed: int | None = None, with_targets: bool = True
    ):
        return make_dataset(
            self.tensor,
            self.prep.target_index,
            self.starts[part],
            self.prep.window,
            self.prep.horizon,
            batch_size,
            shuffle_seed,
            with_targets,
        )

    @functools.cached_property
    def tensor(self):
        """``values`` as one TensorFlow constant that every dataset shares (one copy, not one
        per dataset: 56 MB each at 1 M rows x 14 inputs)."""
        import tensorflow as tf

        return tf.constant(self.values, dtype=tf.float32)

    def actual(self, part: str) -> np.ndarray:
        """``(n_windows, horizon)`` true targets of ``part`` in original units."""
        return target_windows(self.target, self.starts[part], self.prep.window, self.prep.horizon)

    def lazy_actual(self, part: str) -> WindowArray:
        """``actual(part)`` as a ``WindowArray``: gathered for the origins asked for only."""
        p, starts = self.prep, self.starts[part]
        return WindowArray(
            (len(starts), p.horizon),
            lambda i: target_windows(self.target, starts[i], p.window, p.horizon),
        )


def reprepare(series: Series, prep: Preprocessing, split: Split | None = None) -> Prepared:
    """Apply saved preprocessing to a (possibly new) series, with the saved split fractions, or
    with the explicit row boundaries ``split`` (a backtest fold; one series only)."""
    if prep.series is not None:
        return reprepare_panel(series, prep)
    if split is None:
        split = check_enough_rows(len(series.frame), prep.window, prep.horizon, tuple(prep.split))
    elif split.n_rows != len(series.frame):
        raise ValueError(f"split of {split.n_rows} rows for a series of {len(series.frame)}")
    starts = {part: origins(split, prep.window, prep.horizon, part) for part in PARTS}
    target = series.frame[prep.target].to_numpy(dtype="float64")
    values = prep.scale_values(series.frame)
    check_scaled(values, prep.columns)
    return Prepared(series, prep, split, values, target, starts)


def reprepare_panel(series: Series, prep: Preprocessing) -> Prepared:
    """``reprepare`` for a run trained with ``--series``: the series the run knows, each split on
    its own and scaled with its own saved scaler (others are dropped, noted)."""
    layout = series.layout
    if layout is None:
        raise ForecastError(
            f"the run was trained on the series of column {prep.series['column']!r}; read the "
            "CSV with that --series column"
        )
    known = [n for n in layout.names if n in prep.series["names"]]
    unknown = [n for n in layout.names if n not in prep.series["names"]]
    if not known:
        raise ForecastError(
            f"none of the series in the CSV ({panel.shown(layout.names)}) is one the run was "
            f"trained on ({panel.shown(prep.series['names'])}); a global model needs each "
            "series' scaler"
        )
    if unknown:
        series = panel.select_series(series, known)
        series.notes.append(f"skipped series the run was not trained on: {panel.shown(unknown)}")
    series, notes = panel.keep_long_enough(
        series, prep.window, prep.horizon, tuple(prep.split), prep.season
    )
    series.notes.extend(notes)
    layout = series.layout
    parts = panel.splits(layout, tuple(prep.split))
    starts = {
        part: panel.panel_origins(layout, parts, prep.window, prep.horizon, part) for part in PARTS
    }
    target = series.frame[prep.target].to_numpy(dtype="float64")
    values = prep.scale_values(series.frame, layout)
    check_scaled(values, prep.columns)
    whole = Split(len(series.frame), 0, 0)  # not used: each series has its own in ``parts``
    return Prepared(series, prep, whole, values, target, starts, layout, parts)


def check_scaled(values: np.ndarray, columns: list[str]) -> None:
    """Refuse scaled values whose square overflows float32 (an outlier far outside the training
    rows' spread), naming the column and row."""
    too_big = ~(np.abs(values) < MAX_ABS)
    if too_big.any():
        row, col = np.argwhere(too_big)[0]
        raise ForecastError(
            f"column {columns[col]!r} line {line_of(row)} lies more than {MAX_ABS:.1e} training "
            "standard deviations from the training mean; remove that outlier or rescale the column"
        )


def load_series_for(csv: Path, options: FitOptions) -> Series:
    """The CSV as ``options`` read it: one series, or (``--series``) every series of a long
    table (``--only``: some of them)."""
    if options.series is not None:
        series = panel.read_panel(
            Path(csv),
            options.series,
            options.time_col,
            options.fill,
            options.dayfirst,
            options.only,
        )
    else:
        series = read_series(Path(csv), options.time_col, options.fill, options.dayfirst)
    release_arrow_memory()
    return series


def release_arrow_memory() -> None:
    """Hand memory that pyarrow's pool keeps after reading back to the system: 166 MB of RSS
    after reading a 1 M x 8 CSV (bench/scale.py), which would otherwise stay for the whole fit."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()

"""``--window auto`` and ``--segment auto``: the input window and the segment length chosen on the
validation windows, never on the test split.

The grid is small and follows the data's season ``s`` (7 for daily rows, 24 for hourly, ...):
windows ``s, 2s, 3s, 4s`` (hourly data: ``s, 2s, 4s`` and a week), each point-wise (``S = 1``)
while the window is at most ``POINTWISE_MAX_WINDOW`` rows, and segment-wise with ``S = s``
once it is at least two seasons. Every candidate is trained as ``fit`` trains; the one with the
lowest validation RMSE (original units) is kept, model and all, so nothing is trained twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from forecast.config import AUTO, FitOptions
from forecast.data.io import Series, season_for
from forecast.data.prepared import Prepared
from forecast.errors import ForecastError

POINTWISE_MAX_WINDOW = 48  # longer windows are only tried segment-wise (point-wise: W steps)
NO_SEASON_WINDOWS = (16, 32, 64)  # rows without a season (no time column, --season not given)
HOURLY_WEEK = 168


@dataclass
class Selection:
    """The grid of ``(window, segment)`` candidates scored on validation, and the winner's fit.

    Attributes:
        options: the options with ``window`` and ``segment`` resolved to the winner's.
        grid: one dict per candidate: ``window``, ``segment``, ``val_rmse``, ``seconds``.
        prepared, model, result: the winner's prepared data, trained model and ``TrainResult``.
    """

    options: FitOptions
    grid: list[dict] = field(default_factory=list)
    prepared: Prepared | None = None
    model: object = None
    result: object = None

    def record(self) -> dict:
        """metrics.json ``selection``."""
        return {
            "on": "validation",
            "chosen": {"window": self.options.window, "segment": self.options.segment},
            "grid": self.grid,
        }


def is_auto(options: FitOptions) -> bool:
    return options.window == AUTO or options.segment == AUTO


def season_of(series: Series, options: FitOptions) -> int:
    return options.season or season_for(series.freq)


def window_grid(season: int, freq: str, max_window: int) -> list[int]:
    """Candidate windows: multiples of the season up to four seasons (hourly rows: 1, 2 and 4 days
    and a week), those that the data leaves room for."""
    if season < 2:
        windows = list(NO_SEASON_WINDOWS)
    elif season == 24 and freq.lower().endswith("h"):
        windows = [24, 48, 96, HOURLY_WEEK]
    else:
        windows = [k * season for k in (1, 2, 3, 4)]
    fits = [w for w in windows if w <= max_window]
    return fits or [max(1, min(max_window, windows[0]))]


def segment_grid(window: int, season: int, model: str) -> list[int]:
    """Candidate segment lengths for ``window``: point-wise for windows of at most
    ``POINTWISE_MAX_WINDOW`` rows, the season once the window spans two seasons; the linear model
    has no recurrence, so only ``1``."""
    from forecast.models.registry import REGISTRY

    if not REGISTRY[model].recurrent or season < 2:
        return [1]
    segments = []
    if window <= POINTWISE_MAX_WINDOW:
        segments.append(1)
    if window >= 2 * season:
        segments.append(season)
    return segments or [1]


def candidates(options: FitOptions, season: int, freq: str, max_window: int) -> list[tuple]:
    """``(window, segment)`` pairs to score: the grid of the options set to ``auto``, the given
    value of the others."""
    windows = window_grid(season, freq, max_window) if options.window == AUTO else [options.window]
    pairs = []
    for w in windows:
        if options.segment == AUTO:
            pairs += [(w, s) for s in segment_grid(w, season, options.model)]
        elif options.segment <= w:
            pairs.append((w, options.segment))
    if not pairs:
        raise ForecastError(
            f"--segment {options.segment} is longer than every window tried "
            f"({', '.join(map(str, windows))}); use --segment auto or a shorter segment"
        )
    return pairs


def largest_window(series: Series, options: FitOptions) -> int:
    """The longest window that still leaves training, validation and test windows."""
    from forecast.data.preprocess import rows_needed

    n_rows = len(series.frame) if series.layout is None else int(min(series.layout.lengths()))
    window = 1
    for w in (2**k for k in range(1, 20)):
        if rows_needed(w, options.horizon, options.split) > n_rows:
            break
        window = w
    # refine between the last power of two that fits and the next
    while rows_needed(window + 1, options.horizon, options.split) <= n_rows and window < 10_000:
        window += max(1, window // 16)
    while rows_needed(window, options.horizon, options.split) > n_rows and window > 1:
        window -= 1
    return window


def validation_rmse(model, prepared: Prepared) -> float:
    """RMSE of ``model`` on the validation windows, in the target's original units."""
    from forecast.training.inference import predict_part

    error = prepared.actual("val") - predict_part(model, prepared, "val")
    return float(np.sqrt(np.mean(error**2)))


def choose_on_validation(series: Series, options: FitOptions, verbose: int, log) -> Selection:
    """Train every ``(window, segment)`` candidate and keep the one with the lowest validation
    RMSE; the test split is not read. Log one line per candidate."""
    from forecast.training.fitting import train_one
    from forecast.training.preparation import prepare

    season = season_of(series, options)
    pairs = candidates(options, season, series.freq, largest_window(series, options))
    # every window prepared first: bad input fails before anything is printed
    before = list(series.notes)
    prepared_by_window, notes_by_window = {}, {}
    for w in dict.fromkeys(w for w, _ in pairs):
        prepared_by_window[w] = prepare(series, options.replace(window=w, segment=1))
        notes_by_window[w] = series.notes[len(before) :]  # e.g. the calendar check of w
        series.notes[:] = before
    log(
        f"choosing {'window and segment' if options.window == AUTO else 'segment'} on "
        f"validation: {len(pairs)} candidate(s) (season {season})"
    )
    best = Selection(options)
    best_rmse = np.inf
    for window, segment in pairs:
        trial = options.replace(window=window, segment=segment)
        prepared = prepared_by_window[window]
        start = time.perf_counter()
        model, result = train_one(trial.model, prepared, trial, verbose)
        seconds = time.perf_counter() - start
        score = validation_rmse(model, prepared)
        best.grid.append(
            {"window": window, "segment": segment, "val_rmse": score, "seconds": round(seconds, 2)}
        )
        log(f"  window {window}, segment {segment}: val RMSE {score:.4g} ({seconds:.1f}s)")
        if score < best_rmse:
            best_rmse = score
            best.options, best.prepared, best.model, best.result = trial, prepared, model, result
    chosen = best.options
    series.notes.extend(notes_by_window[chosen.window])
    log(f"chose window {chosen.window}, segment {chosen.segment} (lowest validation RMSE)")
    return best

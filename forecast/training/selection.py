"""``--window auto``, ``--segment auto``, ``--norm auto`` and ``--loss auto``: chosen on the
validation windows, never on the test split.

The grid is small and follows the data's season ``s`` (7 for daily rows, 24 for hourly, ...):
windows ``s, 2s, 3s, 4s`` (sub-daily and step-indexed rows: ``s, 2s, 4s, 7s, 14s``, an hourly
day to two weeks), each point-wise (``S = 1``) while the window is at most
``POINTWISE_MAX_WINDOW`` rows, and segment-wise with ``S = s`` once it is at least two seasons.

The search is staged (coordinate-wise, so the trainings add up instead of multiplying): first
the norm and then the loss at a provisional window (the longest of the grid up to a week of
seasons), then every ``(window, segment)`` with the chosen norm and loss. A single series is
judged by validation RMSE (original units); several series (``--series``) by the mean over
series of validation MASE (each series' MAE over its in-sample seasonal-naive error, M4's
scale), so that no series counts more for being in larger units.

On small data every candidate is trained as ``fit`` trains and the winner is kept, model and all.
On large data (more than ``SEARCH_WINDOWS`` training windows) candidates are compared on evenly
spaced ``SEARCH_WINDOWS`` training and validation windows with at most ``SEARCH_EPOCHS`` epochs,
and the winner is then trained in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forecast.config import AUTO, FitOptions
from forecast.data.io import Series, season_for
from forecast.data.prepared import Prepared
from forecast.errors import ForecastError

POINTWISE_MAX_WINDOW = 48  # longer windows are only tried segment-wise (point-wise: W steps)
FINE_SEASONS = (1, 2, 4, 7, 14)  # sub-daily / step rows: a day to two weeks of hourly rows
SEARCH_WINDOWS = 40_000  # training (and validation) windows a candidate sees on large data
SEARCH_EPOCHS = 10
SEARCH_PATIENCE = 3
NORMS_TRIED = ("window", "level")
LOSSES_TRIED = ("mse", "mae")
NO_SEASON_WINDOWS = (16, 32, 64)  # rows without a season (no time column, --season not given)


@dataclass
class Selection:
    """The candidates scored on validation, and the winner's fit.

    Attributes:
        options: the options with ``window``, ``segment``, ``norm`` and ``loss`` resolved to the
            winner's.
        grid: one dict per candidate: ``window``, ``segment``, ``norm``, ``loss``, ``val_rmse``
            (and ``val_mase`` for several series), ``seconds``.
        metric: what decided: ``val_rmse`` or ``val_mase``.
        searched_on: ``None`` when candidates trained in full, else ``{"train_windows",
            "val_windows", "epochs"}`` of the thinned search.
        prepared, model, result: the winner's prepared data, trained model and ``TrainResult``.
    """

    options: FitOptions
    grid: list[dict] = field(default_factory=list)
    metric: str = "val_rmse"
    searched_on: dict | None = None
    prepared: Prepared | None = None
    model: object = None
    result: object = None

    def record(self) -> dict:
        """metrics.json ``selection``."""
        o = self.options
        return {
            "on": "validation",
            "metric": self.metric,
            "chosen": {"window": o.window, "segment": o.segment, "norm": o.norm, "loss": o.loss},
            "searched_on": self.searched_on,
            "grid": self.grid,
        }


def is_auto(options: FitOptions) -> bool:
    return AUTO in (options.window, options.segment, options.norm, options.loss)


def season_of(series: Series, options: FitOptions) -> int:
    return options.season or season_for(series.freq)


def window_grid(season: int, freq: str, max_window: int) -> list[int]:
    """Candidate windows: multiples of the season up to four seasons (sub-daily and step rows:
    1, 2, 4, 7 and 14 seasons: an hourly day to two weeks), those that the data leaves room
    for."""
    from forecast.data.steps import is_step_freq
    from forecast.training.defaults import sub_daily

    if season < 2:
        windows = list(NO_SEASON_WINDOWS)
    elif sub_daily(freq) or is_step_freq(freq):
        windows = [k * season for k in FINE_SEASONS]
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

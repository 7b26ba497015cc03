"""The search space of ``forecast tune``: what is searched and how a trial's values become fit
options."""

from __future__ import annotations

from forecast.config import CALENDARS, NORMS, TUNED, FitOptions
from forecast.data import calendar
from forecast.data.io import Series, season_for
from forecast.data.panel import shortest_kept
from forecast.data.preprocess import check_enough_rows
from forecast.errors import ForecastError

COLUMNS = TUNED  # the fit options a trial sets
WINDOW_MULTIPLES = (1, 2, 3, 4, 6, 8)


UNITS = (16, 32, 64, 128)


BATCH_SIZES = (32, 64, 128, 256)


LAYERS = (1, 2)


LEARNING_RATE = (1e-4, 1e-2)


DATA_KEYS = ("window", "norm", "calendar")  # the hyper-parameters that change the prepared data


def window_choices(start: FitOptions, season: int, n_rows: int) -> list[int]:
    """Input windows to search: multiples of the season (of the horizon when the frequency has no
    season) that still leave windows in every split and hold at least one ``--segment``, plus the
    starting window.

    Returns:
        Sorted distinct window lengths, never empty (the starting window was already checked).
    """
    start = start.plain()  # options left to the data start from the fixed defaults
    base = season if season > 1 else start.horizon
    fits = []
    for k in WINDOW_MULTIPLES:
        try:
            check_enough_rows(n_rows, base * k, start.horizon, start.split)
        except ForecastError:
            break
        if base * k >= start.segment:
            fits.append(base * k)
    return sorted({*fits, start.window})


def space(start: FitOptions, series: Series) -> dict[str, list]:
    """The search space as ``{name: values}``: a list of choices, or ``[low, high]`` for the
    learning rate (sampled on a log scale). The starting options are always inside it.

    A linear model searches only the window, norm and calendar; a frequency without a calendar
    cycle it can resolve does not search the calendar.
    """
    start = start.plain()  # options left to the data start from the fixed defaults
    season = start.season or season_for(series.freq)
    # --series: capped by the shortest series, so that every trial scores the same series
    rows = shortest_kept(series, start.window, start.horizon, start.split, season)
    choices: dict[str, list] = {"window": window_choices(start, season, rows)}
    if start.model != "linear":
        choices["units"] = sorted({*UNITS, start.units})
        choices["layers"] = sorted({*LAYERS, start.layers})
        low, high = LEARNING_RATE
        choices["learning_rate"] = [min(low, start.learning_rate), max(high, start.learning_rate)]
        choices["batch_size"] = sorted({*BATCH_SIZES, start.batch_size})
    choices["norm"] = [n for n in NORMS if n != "level"]  # level: positive targets only
    if calendar.resolvable(series.freq):
        choices["calendar"] = list(CALENDARS)
    return choices


def hyperparameters(choices: dict[str, list], start: FitOptions):
    """keras-tuner ``HyperParameters`` for ``choices``, defaults at the starting options."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    for name, values in choices.items():
        default = getattr(start, name)
        if name == "learning_rate":
            hp.Float(name, values[0], values[1], sampling="log", default=default)
        else:
            hp.Choice(name, values, ordered=not isinstance(values[0], str), default=default)
    return hp


def options_for(start: FitOptions, values: dict) -> FitOptions:
    """The starting options with a trial's hyper-parameter ``values``; the learning rate is
    rounded to three significant digits so that ``best.toml`` reproduces it exactly."""
    changes = {k: v for k, v in values.items() if k in COLUMNS}
    if "learning_rate" in changes:
        changes["learning_rate"] = float(f"{changes['learning_rate']:.3g}")
    for key in ("window", "units", "layers", "batch_size"):
        if key in changes:
            changes[key] = int(changes[key])
    return start.replace(**changes)


def resolved(options: FitOptions, series: Series) -> FitOptions:
    """``options`` with the data-derived defaults written out (target, time column, season), so
    that every ``FitOptions`` key has a TOML value and the file does not depend on inference."""
    from forecast.data.preprocess import select_columns

    _, target = select_columns(list(series.frame.columns), options.target, options.features)
    return options.replace(
        target=target,
        time_col=series.time_col,
        season=options.season or season_for(series.freq),
    )

"""Defaults chosen by the data: the options a user left unset (``None``) become a value, or
``auto`` (chosen on validation by ``forecast.training.selection``), from what the data is.

- **window and segment**: sub-daily rows (hourly, 15-minute, ...) and step-indexed rows with a
  ``--season`` get ``auto``: on two real hourly series a day-long default window lost to the
  linear baseline and the chosen one (a week, segment-wise) beat it; daily and slower rows keep
  window 30, point-wise, which won on validation there (docs/choices.md).
- **norm and loss**: several series (``--series``) get ``auto``: windows relative to their last
  value or, for a positive target, to their level in logs (``--norm level``), and an MSE or MAE
  loss, chosen on validation by the mean per-series MASE. A single series keeps ``window`` and
  ``mse``.

Each choice is a value with its reason (``Defaults``), recorded in metrics.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.config import AUTO, FIXED_DEFAULTS, FitOptions
from forecast.data.io import Series, season_for
from forecast.data.preprocess import select_columns
from forecast.data.steps import is_step_freq


@dataclass(frozen=True)
class Defaults:
    """The options after the data chose the unset ones, and why (one reason per option set)."""

    options: FitOptions
    reasons: dict[str, str] = field(default_factory=dict)


def sub_daily(freq: str) -> bool:
    """Whether rows are less than a day apart (``freq`` a pandas offset alias)."""
    if is_step_freq(freq):
        return False
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(freq)) < pd.Timedelta(days=1)
    except (ValueError, TypeError):  # months, years: no fixed length
        return False


def positive_target(series: Series, options: FitOptions) -> bool:
    """Whether every value of the target column is above zero (``--norm level`` takes logs)."""
    _, target = select_columns(list(series.frame.columns), options.target, options.features)
    values = series.frame[target].to_numpy(dtype="float64")
    return bool(np.all(values > 0))


def by_the_data(series: Series, options: FitOptions) -> Defaults:
    """Set ``window``, ``segment``, ``norm`` and ``loss`` where ``options`` leaves them ``None``.

    Returns:
        ``Defaults``: concrete values or ``"auto"``, and the reason for each one set here.
    """
    season = options.season or season_for(series.freq)
    fine = sub_daily(series.freq) or (is_step_freq(series.freq) and season >= 2)
    what = f"steps with --season {season}" if is_step_freq(series.freq) else "sub-daily rows"
    changes, reasons = {}, {}
    if options.window is None:
        changes["window"] = AUTO if fine else FIXED_DEFAULTS["window"]
        reasons["window"] = (
            f"{what}: chosen on validation up to {14 * season} rows (14 seasons)"
            if fine
            else "the fixed default for daily and slower rows"
        )
    if options.segment is None:
        auto = fine and changes.get("window", options.window) == AUTO
        changes["segment"] = AUTO if auto else FIXED_DEFAULTS["segment"]
        reasons["segment"] = (
            "chosen on validation with the window" if auto else "point-wise (the fixed default)"
        )
    many = series.layout is not None
    if options.norm is None:
        level = many and positive_target(series, options)
        changes["norm"] = AUTO if level else FIXED_DEFAULTS["norm"]
        reasons["norm"] = (
            "several series of different levels: window or level, chosen on validation"
            if level
            else "relative to the last value (the fixed default"
            + (": the target is not positive, so no logs)" if many else ")")
        )
    if options.loss is None:
        changes["loss"] = AUTO if many else FIXED_DEFAULTS["loss"]
        reasons["loss"] = (
            "several series: MSE or MAE, chosen on validation by mean MASE"
            if many
            else "MSE (the fixed default)"
        )
    return Defaults(options.replace(**changes), reasons)

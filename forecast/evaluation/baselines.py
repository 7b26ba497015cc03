"""Naive baselines: persistence (tomorrow = today) and seasonal naive, for any origins."""

from __future__ import annotations

import numpy as np

from forecast.data.prepared import Prepared
from forecast.data.windows import WindowArray
from forecast.evaluation import baselines as bl


def persistence(target: np.ndarray, starts: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """Tomorrow = today: the last observed value repeated, ``(n_windows, horizon)``."""
    last = target[starts + window - 1]
    return np.repeat(last[:, None], horizon, axis=1)


def seasonal_naive(
    target: np.ndarray, starts: np.ndarray, window: int, horizon: int, season: int
) -> np.ndarray:
    """Each step copies the value one season earlier, from observed rows only.

    Step ``h`` (1-based) from an origin whose last observed row is ``t`` uses row
    ``t + h - season * ceil(h / season)``, which is never after ``t``.
    """
    steps = np.arange(1, horizon + 1)
    back = season * np.ceil(steps / season).astype("int64")
    rows = (starts + window - 1)[:, None] + steps - back
    if rows.min() < 0:
        raise ValueError("seasonal naive needs a full season of history before the first origin")
    return target[rows]


def naive_baselines(prepared: Prepared, part: str = "test") -> dict[str, np.ndarray]:
    """Persistence and seasonal-naive forecasts of ``part``, ``(n_windows, horizon)`` each."""
    return {name: np.asarray(b) for name, b in lazy_baselines(prepared, part).items()}


def lazy_baselines(prepared: Prepared, part: str = "test") -> dict[str, WindowArray]:
    """``naive_baselines`` as ``WindowArray``s, made from the target for the origins read."""
    p = prepared.prep
    starts, target = prepared.starts[part], prepared.target
    shape = (len(starts), p.horizon)
    if len(starts):  # refuse a season longer than the history now, not when first read
        first = int(np.argmin(starts))
        bl.seasonal_naive(target, starts[first : first + 1], p.window, p.horizon, p.season)
    out = {
        "persistence": WindowArray(
            shape, lambda i: bl.persistence(target, starts[i], p.window, p.horizon)
        ),
        "seasonal_naive": WindowArray(
            shape, lambda i: bl.seasonal_naive(target, starts[i], p.window, p.horizon, p.season)
        ),
    }
    return out | m4_benchmarks(prepared, part)


def series_bounds(prepared: Prepared) -> list[tuple[int, int, int]]:
    """Per series ``(first row, end row, training rows)`` (one entry for a single series)."""
    if prepared.layout is None:
        return [(0, len(prepared.target), prepared.split.train_end)]
    b = prepared.layout.bounds
    return [(b[k], b[k + 1], s.train_end) for k, s in enumerate(prepared.parts)]


def m4_applies(prepared: Prepared) -> bool:
    """M4's Naive2 and Theta are multiplicative: they apply to a seasonal (season ≥ 2), positive
    target with at least two seasons of training rows in every series. They are added where the
    M4 comparison is the natural one: several series, or sub-daily or step-indexed rows (daily
    prices and weather keep their baselines: on data/stock.csv Naive2 is persistence to 0.03 %)."""
    from forecast.data.steps import is_step_freq
    from forecast.training.defaults import sub_daily

    p, bounds = prepared.prep, series_bounds(prepared)
    kind = prepared.layout is not None or sub_daily(p.freq) or is_step_freq(p.freq)
    return (
        kind
        and prepared.prep.season >= 2
        and bool(np.all(prepared.target > 0))
        and min(train for _, _, train in bounds) >= 2 * prepared.prep.season
    )


def m4_benchmarks(prepared: Prepared, part: str = "test") -> dict[str, WindowArray]:
    """``{"naive2", "theta"}`` forecasts of ``part`` where they apply (``m4_applies``), else
    ``{}``: each series' seasonal indices and Theta's smoothing from its training rows
    (``forecast.evaluation.m4_origins``), computed once; the forecasts a block of origins at a
    time."""
    from forecast.evaluation import m4_origins

    if not m4_applies(prepared):
        return {}
    p, target, starts = prepared.prep, prepared.target, prepared.starts[part]
    bounds = series_bounds(prepared)
    params = m4_origins.fit_params(target, bounds, p.season)

    def forecast(name: str):
        def compute(i):
            last = starts[i] + p.window - 1
            return m4_origins.benchmarks(target, bounds, params, last, p.horizon, (name,))[name]

        return WindowArray((len(starts), p.horizon), compute)

    return {"naive2": forecast("naive2"), "theta": forecast("theta")}

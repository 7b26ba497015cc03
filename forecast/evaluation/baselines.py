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
    return {
        "persistence": WindowArray(
            shape, lambda i: bl.persistence(target, starts[i], p.window, p.horizon)
        ),
        "seasonal_naive": WindowArray(
            shape, lambda i: bl.seasonal_naive(target, starts[i], p.window, p.horizon, p.season)
        ),
    }

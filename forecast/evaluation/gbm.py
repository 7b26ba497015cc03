"""The gradient-boosting baseline: scikit-learn's ``HistGradientBoostingRegressor`` on features of
each origin's input window, forecasting the change from the last observed value at every step.

It sees what the other forecasters see, the input window of each origin and nothing after it:
lags of the target relative to its last value (``y[t-k] - y[t]``: every lag up to two seasons and
each multiple of the season), rolling means over the last 3 / ``season`` / ``window`` rows minus
the last value, the last value and last change of every other input column, and, when the run
uses calendar inputs, sin/cos of the phase of each calendar cycle the data resolve. Targets are
``y[t+h] - y[t]``, in the target's original units.

One model per horizon step (``per_step``; the step-as-a-feature alternative is measured in
bench/gbm_choice.py). Trees are added in stages of ``STAGE`` on the training origins while the
RMSE on the validation origins improves (``PATIENCE`` stages without improvement end it), and the
best stage is kept: the validation origins lie after the training ones, which a random
``validation_fraction`` of the training origins (sklearn's own early stopping) would not. The test
split is never read for a choice. Costs are bounded: at most ``MAX_ORIGINS`` evenly spaced origins
per part to fit on, at most ``MAX_ITER`` trees per model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from forecast.data import calendar as cal
from forecast.data.prepared import Prepared

MAX_ORIGINS = 20_000


MAX_ITER = 300


STAGE = 10  # trees added between two validation checks


PATIENCE = 3  # validation checks without improvement before stopping


LEARNING_RATE = 0.05


BLOCK = 16_384  # origins featurised and predicted at a time


ONE_THREAD_ROWS = 100_000  # below this many training rows one OpenMP thread is faster: on 2
# shared cores, 2 threads took 1.7-6x longer on data/weather.csv (bench/gbm_choice.py)


@dataclass(frozen=True)
class Settings:
    """How the baseline is fit (the defaults are what ``forecast fit`` uses)."""

    seed: int = 0
    calendar: bool = True  # add the calendar cycles (the run's ``--calendar`` is not "none")
    per_step: bool = True  # one model per horizon step; else one model with the step as input
    max_iter: int = MAX_ITER
    learning_rate: float = LEARNING_RATE
    max_origins: int = MAX_ORIGINS


@dataclass
class Fitted:
    """Trained models (one per step, or one) and what built their features."""

    settings: Settings
    lags: np.ndarray
    means: list[int]
    cycles: list[str]
    models: list = field(default_factory=list)
    trees: list[int] = field(default_factory=list)  # trees kept per model


def lags(window: int, season: int) -> np.ndarray:
    """Lags ``k`` (``y[t-k]``, inside the window): 1 … min(window - 1, 2 seasons), and every
    multiple of the season below the window."""
    short = range(1, min(window - 1, 2 * season) + 1)
    return np.array(sorted({*short, *range(season, window, season)}), dtype="int64")


def mean_spans(window: int, season: int) -> list[int]:
    """Rolling-mean lengths: 3, the season and the window, those that fit and exceed 1 row."""
    return sorted({m for m in (3, season, window) if 1 < m <= window})


def cycles_for(prepared: Prepared, use_calendar: bool) -> list[str]:
    """Calendar cycles the data resolve and that repeat twice in the training rows (for trees the
    phase helps even when the window spans the cycle, unlike for the recurrent models)."""
    p = prepared.prep
    if not use_calendar:
        return []
    n_train = (
        prepared.split.train_end
        if prepared.layout is None
        else min(s.train_end for s in prepared.parts)
    )
    return [
        c
        for c in cal.resolvable(p.freq)
        if cal.period_rows(c, p.freq) <= n_train / cal.MIN_TRAIN_CYCLES
    ]


def origin_features(prepared: Prepared, fitted: Fitted, starts: np.ndarray) -> np.ndarray:
    """``(n, n_features)`` features of the origins ``starts`` from their input windows only."""
    p, y = prepared.prep, prepared.target
    t = starts + p.window - 1  # last observed row of each origin
    last = y[t][:, None]
    columns = [y[t[:, None] - fitted.lags[None, :]] - last]
    for m in fitted.means:
        rows = t[:, None] - np.arange(m)[None, :]
        columns.append(y[rows].mean(axis=1, keepdims=True) - last)
    others = [j for j in range(len(p.columns)) if j != p.target_index]
    if others:
        columns.append(prepared.values[t][:, others])
        if p.window > 1:
            columns.append(prepared.values[t][:, others] - prepared.values[t - 1][:, others])
    index = prepared.series.frame.index
    for c in fitted.cycles:
        phase = cal.phase(c, index[t], p.freq)
        columns += [np.sin(2 * np.pi * phase)[:, None], np.cos(2 * np.pi * phase)[:, None]]
    return np.concatenate(columns, axis=1).astype("float64")


def step_features(prepared: Prepared, fitted: Fitted, x: np.ndarray, t_rows, step: int):
    """``x`` with the step and the calendar phase of the forecast time ``t + step`` appended (the
    one-model variant)."""
    p = prepared.prep
    extra = [np.full((len(x), 1), float(step))]
    index = prepared.series.frame.index
    for c in fitted.cycles:
        phase = cal.phase(c, index[t_rows], p.freq) + step / cal.period_rows(c, p.freq)
        extra += [np.sin(2 * np.pi * phase)[:, None], np.cos(2 * np.pi * phase)[:, None]]
    return np.concatenate([x, *extra], axis=1)


def changes(prepared: Prepared, starts: np.ndarray) -> np.ndarray:
    """``(n, horizon)`` targets ``y[t+h] - y[t]``."""
    p, y = prepared.prep, prepared.target
    t = starts + p.window - 1
    return y[t[:, None] + np.arange(1, p.horizon + 1)[None, :]] - y[t][:, None]


def evenly(starts: np.ndarray, cap: int) -> np.ndarray:
    """At most ``cap`` of ``starts``, evenly spaced, first and last included."""
    if len(starts) <= cap:
        return starts
    return starts[np.unique(np.linspace(0, len(starts) - 1, cap).round().astype("int64"))]


def staged_fit(x, y, x_val, y_val, settings: Settings):
    """A ``HistGradientBoostingRegressor`` grown ``STAGE`` trees at a time while the validation
    RMSE improves; the best stage's model and its number of trees."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingRegressor(
        learning_rate=settings.learning_rate,
        max_iter=STAGE,
        early_stopping=False,
        warm_start=True,
        random_state=settings.seed,
    )
    best, best_err, bad = None, np.inf, 0
    threads = 1 if len(x) < ONE_THREAD_ROWS else None
    for n in range(STAGE, settings.max_iter + STAGE, STAGE):
        model.set_params(max_iter=min(n, settings.max_iter))
        with threadpool_limits(threads, "openmp"):
            model.fit(x, y)
            err = float(np.mean((model.predict(x_val) - y_val) ** 2)) if len(y_val) else 0.0
        if not len(y_val):  # no validation origins: keep every tree
            best = model
            continue
        if err < best_err:
            best, best_err, bad = copy.deepcopy(model), err, 0
        else:
            bad += 1
            if bad >= PATIENCE:
                break
    return best, int(best.n_iter_)


def fit_gbm(prepared: Prepared, settings: Settings = Settings()) -> Fitted:
    """Fit on (at most ``max_origins`` of) the training origins, stop on the validation ones."""
    p = prepared.prep
    fitted = Fitted(
        settings,
        lags(p.window, p.season),
        mean_spans(p.window, p.season),
        cycles_for(prepared, settings.calendar),
    )
    train = evenly(prepared.starts["train"], settings.max_origins)
    val = evenly(prepared.starts["val"], settings.max_origins)
    x, x_val = origin_features(prepared, fitted, train), origin_features(prepared, fitted, val)
    y, y_val = changes(prepared, train), changes(prepared, val)
    if settings.per_step:
        for h in range(p.horizon):
            model, trees = staged_fit(x, y[:, h], x_val, y_val[:, h], settings)
            fitted.models.append(model)
            fitted.trees.append(trees)
        return fitted
    t, t_val = train + p.window - 1, val + p.window - 1
    stack = lambda a, rows: np.concatenate(  # noqa: E731
        [step_features(prepared, fitted, a, rows, h + 1) for h in range(p.horizon)]
    )
    model, trees = staged_fit(
        stack(x, t), y.T.ravel(), stack(x_val, t_val), y_val.T.ravel(), settings
    )
    fitted.models.append(model)
    fitted.trees.append(trees)
    return fitted


def predict_gbm(fitted: Fitted, prepared: Prepared, part: str = "test") -> np.ndarray:
    """``(n_windows, horizon)`` forecasts of ``part`` in original units, a block at a time."""
    from threadpoolctl import threadpool_limits

    p, starts = prepared.prep, prepared.starts[part]
    out = np.empty((len(starts), p.horizon))
    with threadpool_limits(1 if len(starts) < ONE_THREAD_ROWS else None, "openmp"):
        for lo in range(0, len(starts), BLOCK):
            out[lo : lo + BLOCK] = predict_block(fitted, prepared, starts[lo : lo + BLOCK])
    return out


def predict_block(fitted: Fitted, prepared: Prepared, s: np.ndarray) -> np.ndarray:
    """``(len(s), horizon)`` forecasts of the origins ``s``."""
    x, t = origin_features(prepared, fitted, s), s + prepared.prep.window - 1
    if fitted.settings.per_step:
        steps = [m.predict(x) for m in fitted.models]
    else:
        model = fitted.models[0]
        steps = [
            model.predict(step_features(prepared, fitted, x, t, h + 1))
            for h in range(prepared.prep.horizon)
        ]
    return np.stack(steps, axis=1) + prepared.target[t][:, None]


def gbm_forecast(prepared: Prepared, seed: int, calendar: bool = True, part="test") -> np.ndarray:
    """The gradient-boosting baseline's ``(n_windows, horizon)`` forecasts of ``part``."""
    return predict_gbm(fit_gbm(prepared, Settings(seed=seed, calendar=calendar)), prepared, part)

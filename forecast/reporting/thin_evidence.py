"""The hint a ``fit`` verdict carries when one test period is thin evidence for it.

A fit is judged on one test period. Its Diebold–Mariano p-values measure the noise within that
period, not whether another period (another season, another regime) would rank the forecasters
the same way. The rule: the evidence is **thin** when the model's DM p-value against the best
baseline (the baseline with the lowest test RMSE: the runner-up when the model wins, the winner
when a baseline wins) is 0.001 or more, or when that comparison has no DM test (seasonal naive).
The threshold is far stricter than the 5 % the verdict uses for "not significant" because one
period's p-value understates how much a ranking moves between periods. Measured: the default GRU
on data/weather.csv beats linear on its one test period with p = 0.006, and over the five folds
of ``forecast compare --folds 5`` it does not (pooled p = 0.57; README). Only an overwhelming
result (p < 0.001) gets no hint. A ``--series`` run gets none
(its verdict already counts the series won, and ``backtest`` scores one series).

The hint names the backtest that settles it, runnable as printed: the CSV as the user gave it,
the model, and the options that define the data and the windows where they differ from the
defaults (``--target``, ``--time-col``, ``--dayfirst``, ``--features``, ``--window``,
``--horizon``, ``--segment``), and ``--folds K`` where fewer than 5 default folds fit the series.
"""

from __future__ import annotations

import shlex

from forecast.config import FitOptions
from forecast.errors import ForecastError
from forecast.evaluation.folds import default_fold_size, fold_bounds

THIN_P = 0.001  # a DM p-value vs the best baseline at or above this is thin evidence
FOLDS = 5  # forecast backtest's default --folds
FLAGS = (
    "target",
    "time_col",
    "dayfirst",
    "features",
    "window",
    "horizon",
    "segment",
    "norm",
    "loss",
)


def best_baseline(metrics: dict) -> str:
    """The baseline (never the model itself) with the lowest test RMSE."""
    scores = {n: s["rmse"] for n, s in metrics["baselines"].items() if n != metrics["model"]}
    return min(scores, key=scores.get)


def deciding_p(metrics: dict) -> tuple[str, float | None]:
    """``(best baseline, the model's DM p-value against it)``; ``None`` when not tested."""
    name = best_baseline(metrics)
    test = metrics.get("significance", {}).get(f"vs_{name}") or {}
    return name, test.get("p_value")


def is_thin(metrics: dict, threshold: float = THIN_P) -> bool:
    """Is one test period thin evidence for this fit's verdict (the module's rule)?"""
    if metrics.get("per_series"):
        return False
    p = deciding_p(metrics)[1]
    return p is None or p != p or p >= threshold  # p != p: NaN


def backtest_folds(n_rows: int, options: FitOptions, most: int = FOLDS) -> int:
    """The most folds (up to ``most``, at least 2) that ``forecast backtest`` fits into
    ``n_rows`` rows at its default fold size (``--split`` is not passed on: the default test
    share); 0 when not even 2 fit."""
    share = FitOptions().split[2]
    for k in range(most, 1, -1):
        size = default_fold_size(n_rows, k, share, options.horizon)
        try:
            fold_bounds(n_rows, k, size, int(options.plain().window), options.horizon)
        except ForecastError:
            continue
        return k
    return 0


def changed_flags(options: FitOptions) -> list[tuple[str, object]]:
    """``(option name, value)`` of the data and window options that differ from the defaults."""
    defaults, options = FitOptions().plain(), options.plain()
    return [
        (name, getattr(options, name))
        for name in FLAGS
        if getattr(options, name) != getattr(defaults, name)
    ]


def backtest_command(data: str | None, options: FitOptions, folds: int) -> str:
    """The backtest to run: ``forecast backtest CSV --model M [...]`` for a file, or the Python
    call ``forecast.backtest(data, model=...)`` when ``data`` is ``None`` (a DataFrame)."""
    changed = changed_flags(options)
    if folds != FOLDS:
        changed.append(("folds", folds))
    if data is None:
        args = [f"model={options.model!r}", *(f"{k}={v!r}" for k, v in changed)]
        return f"forecast.backtest(data, {', '.join(args)})"
    words = ["forecast", "backtest", shlex.quote(data), "--model", options.model]
    for name, value in changed:
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):  # --dayfirst: a flag
            words += [flag] if value else []
        else:
            words += [flag, shlex.quote(str(value))]
    return " ".join(words)


def verdict_hint(metrics: dict, data: str | None, options: FitOptions, n_rows: int) -> str | None:
    """metrics.json ``verdict_hint`` when the evidence is thin, else ``None``: ``judged on 1 test
    period of 213 windows; run `forecast backtest data/weather.csv --model gru` to check it on 5
    test periods``.

    Args:
        metrics: the fit's metrics.json (scores, baselines, significance).
        data: the CSV path as the user gave it; ``None`` for a DataFrame (the Python API).
        options: the fit's options after any ``auto`` choice (numbers for window and segment).
        n_rows: rows of the series the fit read.
    """
    if not is_thin(metrics):
        return None
    judged = f"judged on 1 test period of {metrics['n_test_windows']} windows"
    folds = backtest_folds(n_rows, options)
    if folds == 0:
        return f"{judged}; the series is too short for a backtest on other periods"
    command = backtest_command(data, options, folds)
    return f"{judged}; run `{command}` to check it on {folds} test periods"

"""``forecast inspect``: a look at the data before fitting, as pure functions of a frame.

``load`` reads a file leniently (duplicate timestamps, gaps and missing values are reported, not
refused); ``inspect_frame`` computes every fact as a JSON-ready dict; ``text_block`` prints it.
No TensorFlow anywhere on this path, so ``forecast inspect`` takes seconds.

Definitions used in the report:
- outliers: robust z-score ``0.6745 * (x - median) / MAD`` above ``OUTLIER_Z`` = 3.5 in absolute
  value (Iglewicz and Hoaglin's rule); a column with MAD 0 has no outliers by this rule;
- season: among candidate periods ``p`` for the frequency (e.g. 24 and 168 for hourly data; every
  lag from 2 to ``MAX_LAG`` without a time column), the one where the target minus its centred
  moving average over ``p`` rows has the highest autocorrelation at lag ``p``, if that is at
  least ``MIN_SEASON_ACF``; else the frequency's default period (``forecast.data.io.season_for``);
- window: ``WINDOW_SEASONS`` seasons (at least ``MIN_WINDOW`` rows, at most a quarter of the rows);
- trend and seasonal strength: Hyndman's ``F_T = max(0, 1 - Var(R) / Var(T + R))`` and
  ``F_S = max(0, 1 - Var(R) / Var(S + R))`` of a robust STL decomposition with the season above;
- baselines: persistence and seasonal naive on the test windows ``forecast fit`` would score
  with its default split, window and ``--horizon``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import FitOptions
from forecast.data.formats import read_raw
from forecast.data.io import STEP_FREQ, infer_frequency, numeric_columns, span
from forecast.data.profile import (
    MAX_LAG,
    MIN_SERIES_ROWS,
    acf,
    filled,
    gaps,
    outliers,
    strength,
    suggest_season,
    suggest_window,
)
from forecast.data.split import split_rows
from forecast.data.times import (
    NO_TIME,
    find_time_column,
    is_no_time,
    is_step_index,
    parse_times,
    time_columns,
    time_values,
)
from forecast.data.windows import origins
from forecast.errors import ForecastError
from forecast.evaluation import baselines as bl
from forecast.evaluation import metrics as ev

SERIES_KEY = "__series__"  # the --series label column inside a loaded frame


def load(
    path: Path,
    time_col: str | None = None,
    dayfirst: bool | None = None,
    series: str | None = None,
) -> tuple[pd.DataFrame, str, list[str]]:
    """Read ``path`` for inspection: numeric columns on a sorted (possibly duplicated) time index.

    Args:
        series: a column naming the series of a long table; kept (as text) as column ``series``.

    Returns:
        ``(frame, time_col, notes)``; without a time column the index is the row number.
    """
    raw, notes = read_raw(Path(path))
    labels = None if series is None else series_labels(raw, series)
    if labels is not None:
        raw = raw.drop(columns=[series])
    if is_no_time(time_col, raw.columns):
        frame = numeric_columns(raw, notes)
        frame.index = pd.RangeIndex(len(frame), name="step")
        return with_labels(frame, labels), NO_TIME, notes
    time_col = find_time_column(raw, time_col)
    if "+" not in time_col and is_step_index(raw[time_col], time_col):  # integer time steps
        frame = numeric_columns(raw.drop(columns=[time_col]), notes)
        frame.index = pd.Index(raw[time_col].to_numpy(dtype="int64"), name=time_col)
        return with_labels(frame, labels).sort_index(kind="stable"), time_col, notes
    index, time_notes = parse_times(time_values(raw, time_col), time_col, dayfirst)
    if labels is None:
        notes += series_hint(raw, index, time_columns(time_col))
    frame = numeric_columns(raw.drop(columns=time_columns(time_col)), notes)
    frame.index = pd.DatetimeIndex(index, name=time_col)
    return with_labels(frame, labels).sort_index(kind="stable"), time_col, notes + time_notes


def with_labels(frame: pd.DataFrame, labels: np.ndarray | None) -> pd.DataFrame:
    return frame if labels is None else frame.assign(**{SERIES_KEY: labels})


def series_hint(raw: pd.DataFrame, index: pd.DatetimeIndex, skip: list[str]) -> list[str]:
    """A note naming the text column that explains duplicate timestamps (one row per value of it
    and time: a long table of several series), if there is one."""
    if not index.duplicated().any():
        return []
    for col in raw.columns:
        if col in skip or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        pairs = pd.MultiIndex.from_arrays([index, raw[col].astype("string").fillna("")])
        if not pairs.duplicated().any():
            return [
                f"the duplicate timestamps are one row per {col!r}: a long table of several "
                f"series; pass --series {col} to inspect each"
            ]
    return []


def series_labels(raw: pd.DataFrame, series: str) -> np.ndarray:
    """``(n_rows,)`` the ``--series`` column as text labels."""
    if series not in raw.columns:
        raise ForecastError(
            f"--series {series!r} is not a column; columns are: {', '.join(map(str, raw.columns))}"
        )
    return raw[series].astype("string").fillna("").to_numpy(dtype=object)


def split_series(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{name: its rows}`` of a frame loaded with ``--series`` (in order of first timestamp);
    ``{"": frame}`` without one."""
    if SERIES_KEY not in frame:
        return {"": frame}
    labels = frame[SERIES_KEY].to_numpy()
    numbers = frame.drop(columns=[SERIES_KEY])
    parts = {str(k): part for k, part in numbers.groupby(labels, sort=False)}
    if not isinstance(frame.index, pd.DatetimeIndex):  # rows are steps: number each series anew
        parts = {k: p.set_axis(pd.RangeIndex(len(p), name="step")) for k, p in parts.items()}
    return parts


def pick_target(frame: pd.DataFrame, target: str | None) -> str:
    if target is None:
        return str(frame.columns[-1])
    if target not in frame.columns:
        raise ForecastError(
            f"--target {target!r} is not a numeric column; choose one of: "
            f"{', '.join(map(str, frame.columns))}"
        )
    return target


def inspect_frame(
    frame: pd.DataFrame,
    target: str | None = None,
    season: int | None = None,
    horizon: int = FitOptions().horizon,
) -> dict:
    """Every fact about one series, JSON-ready.

    Args:
        frame: ``(n_rows, n_columns)`` numbers on a sorted index (timestamps, maybe duplicated,
            or row numbers).
        target: the column to study; ``None`` means the last one.
        season: a known seasonal period; ``None`` suggests one from the autocorrelation.
        horizon: forecast steps for the baseline errors.
    """
    target = pick_target(frame, target)
    dated = isinstance(frame.index, pd.DatetimeIndex)
    duplicates = int(frame.index.duplicated().sum()) if dated else 0
    unique = frame.groupby(level=0).mean() if duplicates else frame
    freq, gap_notes = infer_frequency(unique.index) if dated else (STEP_FREQ, [])
    y = filled(unique[target])
    acf_values = acf(y, min(MAX_LAG, len(y) // 2))
    chosen, source = (season, "--season") if season else suggest_season(y, freq)
    return {
        "rows": int(len(frame)),
        "columns": [str(c) for c in frame.columns],
        "start": str(frame.index[0]),
        "end": str(frame.index[-1]),
        "span": span(frame.index[-1] - frame.index[0]) if dated else f"{len(frame)} steps",
        "frequency": freq,
        "gaps": gaps(unique.index, freq) if dated else {"count": 0, "largest": None},
        "gap_notes": gap_notes,
        "duplicate_timestamps": duplicates,
        "missing": {str(c): int(n) for c, n in frame.isna().sum().items()},
        "constant_columns": [str(c) for c in frame.columns if frame[c].nunique(dropna=True) <= 1],
        "outliers": {str(c): outliers(frame[c]) for c in frame.columns},
        "target": target,
        "autocorrelation": [round(float(a), 4) for a in acf_values],
        "season": int(chosen),
        "season_source": source,
        "window": suggest_window(chosen, len(y)),
        "strength": strength(y, chosen),
        "baselines": baseline_errors(y, chosen, horizon),
        "horizon": int(horizon),
    }


def baseline_errors(y: np.ndarray, season: int, horizon: int) -> dict:
    """Persistence and seasonal-naive RMSE / MAE on the test windows of the default split."""
    options = FitOptions().plain()
    window = max(options.window, season)
    split = split_rows(len(y), options.split)
    starts = origins(split, window, horizon, "test")
    if len(starts) == 0:
        return {"n_test_windows": 0}
    actual = y[starts[:, None] + window + np.arange(horizon)]
    forecasts = {
        "persistence": bl.persistence(y, starts, window, horizon),
        "seasonal_naive": bl.seasonal_naive(y, starts, window, horizon, season),
    }
    result = {
        name: {"rmse": ev.rmse(actual, f), "mae": ev.mae(actual, f)}
        for name, f in forecasts.items()
    }
    return {"n_test_windows": int(len(starts)), **result}


def inspect_file(
    path: Path,
    out: Path,
    target: str | None = None,
    time_col: str | None = None,
    dayfirst: bool | None = None,
    season: int | None = None,
    horizon: int = FitOptions().horizon,
    overwrite: bool = False,
    series: str | None = None,
) -> tuple[dict, list[str]]:
    """Inspect ``path``; write ``out/inspect.json`` and ``out/inspect.png`` (all or nothing).

    With ``series``, every series of the long table is inspected on its own:
    ``facts["per_series"] = {name: facts}`` (series under ``MIN_SERIES_ROWS`` rows are listed in
    ``facts["skipped"]``), and inspect.png shows the first series.

    Returns:
        ``(facts, notes)``.
    """
    from forecast import runs
    from forecast.reporting.inspect_plots import save_inspect_png

    runs.check_out_dir(out, overwrite)
    frame, time_col, notes = load(path, time_col, dayfirst, series)
    parts = split_series(frame)
    if series is None:
        facts = inspect_frame(parts[""], target, season, horizon)
    else:
        long = {k: p for k, p in parts.items() if len(p) >= MIN_SERIES_ROWS}
        if not long:
            raise ForecastError(
                f"every series of --series {series!r} has fewer than {MIN_SERIES_ROWS} rows; "
                "check the column"
            )
        per = {k: inspect_frame(p, target, season, horizon) for k, p in long.items()}
        facts = {
            "series_col": series,
            "n_series": len(parts),
            "skipped": sorted(set(parts) - set(long)),
            "per_series": per,
        }
    facts.update(file=str(path), time_col=time_col, notes=notes)
    first = next(k for k in parts if series is None or k in facts["per_series"])
    with runs.staged_dir(out) as tmp:
        runs.write_json(tmp / "inspect.json", facts)
        shown = facts if series is None else facts["per_series"][first]
        save_inspect_png(tmp / "inspect.png", parts[first], shown)
    return facts, notes

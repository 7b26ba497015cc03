"""Chronological split, column selection and the train-only scaler, with JSON state.

The scaler is fit on training rows only, so nothing about validation or test values leaks into the
inputs; every later step (windows, metrics, predict) reuses the saved state.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from forecast.config import parse_split
from forecast.data import calendar
from forecast.data.split import Split, check_counts, describe, enough_windows, split_rows
from forecast.data.steps import is_step_freq
from forecast.errors import ForecastError

FORMAT_VERSION = 1


def rows_needed(window: int, horizon: int, spec) -> int:
    """Smallest row count that gives at least one window in each split (``spec``: fractions or
    row counts, ``forecast.data.split``; no test window when it holds no test rows)."""
    check_counts(spec, horizon)
    n = window + horizon
    while not enough_windows(split_rows(n, spec), window, horizon, spec):
        n += 1
    return n


def check_enough_rows(n_rows: int, window: int, horizon: int, spec) -> Split:
    """The split of ``n_rows``, or a ``ForecastError`` saying how many rows are needed."""
    split = split_rows(n_rows, spec)
    if not enough_windows(split, window, horizon, spec):
        need = rows_needed(window, horizon, spec)
        raise ForecastError(
            f"--window {window} and --horizon {horizon} need at least {need} rows for "
            f"{describe(spec)}; the CSV has {n_rows}. Use a smaller --window or --horizon."
        )
    return split


def select_columns(columns: list[str], target: str | None, features: str) -> tuple[list[str], str]:
    """Input columns (target last) and the target name.

    Args:
        columns: numeric columns of the CSV, in file order.
        target: the target column, or ``None`` for the last numeric column.
        features: ``"target"``, ``"all"`` or ``"COL,COL"``.

    Returns:
        ``(inputs, target)``; ``inputs`` always contains the target, as its last entry.
    """
    if target is None:
        target = columns[-1]
    elif target not in columns:
        raise ForecastError(
            f"--target {target!r} is not a numeric column; choose one of: {', '.join(columns)}"
        )
    if features == "target":
        chosen = []
    elif features == "all":
        chosen = list(columns)
    else:
        chosen = [c.strip() for c in features.split(",") if c.strip()]
        unknown = [c for c in chosen if c not in columns]
        if unknown or not chosen:
            raise ForecastError(
                f"--features names unknown column(s) {', '.join(unknown) or '(none)'}; use "
                f"'target', 'all' or a comma list of: {', '.join(columns)}"
            )
    inputs = [c for c in dict.fromkeys(chosen) if c != target] + [target]
    return inputs, target


def check_target_varies(values: np.ndarray, target: str) -> None:
    """Refuse a constant target: there is nothing to forecast and MASE would divide by zero."""
    if np.nanmax(values) == np.nanmin(values):
        raise ForecastError(
            f"target {target!r} is constant ({values[0]:g}) in the training rows; "
            "choose another --target"
        )


@dataclass(frozen=True)
class Preprocessing:
    """Everything needed to turn a CSV into model inputs again; saved as preprocessing.json."""

    columns: list[str]
    target: str
    time_col: str
    freq: str
    window: int
    horizon: int
    norm: str
    season: int
    split: list[float]
    mean: list[float]
    scale: list[float]
    n_rows: int
    last_timestamp: str
    calendar: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    # --series: {"column", "names", "mean", "scale", "n_rows", "last_timestamp"}, per series in
    # ``names`` order (``mean`` / ``scale`` above are then the pooled training rows', for reference)
    series: dict | None = None

    @property
    def target_index(self) -> int:
        return self.columns.index(self.target)

    @property
    def log_target(self) -> bool:
        """``--norm level``: the target enters the model (and is scaled) in logs."""
        return self.norm == "level"

    @property
    def level_rows(self) -> int:
        """Rows whose mean is a window's level: the last row (``--norm window``), the last
        season (``--norm level``, at most the window), none (``--norm global``)."""
        return {"window": 1, "level": min(self.season, self.window)}.get(self.norm, 0)

    @property
    def n_inputs(self) -> int:
        """Model input columns: the data columns, then a sin/cos pair per calendar feature."""
        return len(self.columns) + 2 * len(self.calendar)

    @property
    def calendar_periods(self) -> list[float]:
        """Rows per cycle of each calendar feature, in input-column order."""
        return [calendar.period_rows(name, self.freq) for name in self.calendar]

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["series"] is None:  # a single series: the file stays as it always was
            del d["series"]
        return d

    def series_index(self, name: str) -> int:
        """Position of series ``name`` in the ``series`` section."""
        names = self.series["names"] if self.series else []
        if name not in names:
            raise ForecastError(f"series {name!r} is not one the run was trained on")
        return names.index(name)

    def row_stats(self, layout=None) -> tuple[np.ndarray, np.ndarray]:
        """Scaler ``(mean, scale)``: ``(n_columns,)`` each for a single series, ``(n_rows,
        n_columns)`` (each series' own, over its rows) for a ``forecast.data.layout.Layout``."""
        if layout is None or self.series is None:
            return np.asarray(self.mean), np.asarray(self.scale)
        from forecast.data.layout import per_row

        ks = [self.series_index(name) for name in layout.names]
        mean = per_row([self.series["mean"][k] for k in ks], layout)
        return mean, per_row([self.series["scale"][k] for k in ks], layout)

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessing:
        """Rebuild from JSON, checking every key and type: the file is data, never trusted."""
        version = d.get("format_version")
        if version != FORMAT_VERSION:
            raise ForecastError(
                f"preprocessing.json has format_version {version!r}, this forecast reads "
                f"{FORMAT_VERSION}; re-run `forecast fit` with this version"
            )
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        # runs saved before --calendar have no calendar; single-series runs have no series
        optional = ("format_version", "calendar", "series")
        missing = [n for n in names if n not in d and n not in optional]
        if unknown or missing:
            what = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
            what += [f"missing key(s) {', '.join(missing)}"] if missing else []
            raise ForecastError(
                f"preprocessing.json has {' and '.join(what)}; re-run `forecast fit`"
            )
        bad = [n for n in names if n in d and not _valid(n, d[n], d)]
        if bad:
            raise ForecastError(
                f"preprocessing.json has an invalid value for {bad[0]} ({d[bad[0]]!r:.60}); "
                "re-run `forecast fit`"
            )
        return cls(**d)

    def scale_values(self, frame: pd.DataFrame, layout=None) -> np.ndarray:
        """``(n_rows, n_columns + 2 * len(calendar))`` float32 model inputs: the columns in
        training order in scaled units (each series with its own scaler when ``layout`` is a
        ``forecast.data.layout.Layout``), then the calendar features of ``frame``'s timestamps."""
        values = frame[self.columns].to_numpy(dtype="float64")
        values = model_units(values, self.columns, self.target, self.norm)
        mean, scale = self.row_stats(layout)
        scaled = ((values - mean) / scale).astype("float32")
        if not self.calendar:
            return scaled
        cal = calendar.features(pd.DatetimeIndex(frame.index), self.calendar, self.freq)
        return np.hstack([scaled, cal])

    def unscale_target(self, values: np.ndarray) -> np.ndarray:
        """Scaled target values back to the target's original units."""
        i = self.target_index
        return from_model_units(values * self.scale[i] + self.mean[i], self)


def model_units(values: np.ndarray, columns: list[str], target_name: str, norm: str) -> np.ndarray:
    """``(n_rows, n_columns)`` values as the scaler sees them: the target column in logs with
    ``--norm level`` (a non-positive target is refused, naming its line)."""
    if norm != "level":
        return values
    i = columns.index(target_name)
    target = values[:, i]
    bad = ~(target > 0)
    if bad.any():
        from forecast.data.times import line_of

        row = int(np.flatnonzero(bad)[0])
        raise ForecastError(
            f"--norm level forecasts the target in logs, but {target_name!r} is "
            f"{target[row]:g} at line {line_of(row)}; it needs a positive target: use --norm "
            "window"
        )
    out = values.copy()
    out[:, i] = np.log(target)
    return out


def from_model_units(target: np.ndarray, prep) -> np.ndarray:
    """Target values in the scaler's units (unscaled) back to original units (``exp`` when in
    logs)."""
    return np.exp(target) if prep.norm == "level" else target


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _numbers(v, n: int) -> bool:
    return (
        isinstance(v, list)
        and len(v) == n
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
        and all(math.isfinite(x) for x in v)
    )


def _valid_split(v) -> bool:
    """Three fractions summing to 1, or row counts ``["auto", VAL, TEST]`` (``--split``)."""
    try:
        return isinstance(v, list) and parse_split(v) == tuple(v)
    except ForecastError:
        return False


def _valid_freq(v) -> bool:
    if is_step_freq(v):  # no time column, or integer time steps (forecast.data.steps)
        return True
    try:
        pd.tseries.frequencies.to_offset(v)
    except (ValueError, TypeError):
        return False
    return isinstance(v, str)


def _valid(name: str, v, d: dict) -> bool:
    """Whether ``v`` is an acceptable value of preprocessing.json key ``name``."""
    columns = d.get("columns")
    n = len(columns) if isinstance(columns, list) else -1
    checks = {
        "columns": lambda: n > 0 and all(isinstance(c, str) for c in columns),
        "target": lambda: isinstance(v, str) and n > 0 and v in columns,
        "time_col": lambda: isinstance(v, str),
        "freq": lambda: _valid_freq(v),
        "window": lambda: _is_int(v) and v >= 1,
        "horizon": lambda: _is_int(v) and v >= 1,
        "norm": lambda: v in ("window", "global", "level"),
        "season": lambda: _is_int(v) and v >= 1,
        "split": lambda: _valid_split(v),
        "mean": lambda: _numbers(v, n),
        "scale": lambda: _numbers(v, n) and all(x > 0 for x in v),
        "n_rows": lambda: _is_int(v) and v >= 1,
        "last_timestamp": lambda: isinstance(v, str),
        "calendar": lambda: isinstance(v, list) and all(c in calendar.CYCLE_DAYS for c in v),
        "format_version": lambda: True,
        "series": lambda: v is None or _valid_series(v, n),
    }
    return bool(checks[name]())


def _valid_series(v, n: int) -> bool:
    """The ``series`` section: names and, for each, a scaler of ``n`` columns, rows and end."""
    keys = {"column", "names", "mean", "scale", "n_rows", "last_timestamp"}
    if not isinstance(v, dict) or set(v) != keys or not isinstance(v["column"], str):
        return False
    names = v["names"]
    if not (isinstance(names, list) and names and all(isinstance(x, str) for x in names)):
        return False
    k = len(names)
    return (
        len(set(names)) == k
        and all(isinstance(v[key], list) and len(v[key]) == k for key in keys - {"column"})
        and all(_numbers(m, n) for m in v["mean"])
        and all(_numbers(s, n) and all(x > 0 for x in s) for s in v["scale"])
        and all(_is_int(r) and r >= 1 for r in v["n_rows"])
        and all(isinstance(t, str) for t in v["last_timestamp"])
    )


def fit_scaler(train_values: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and scale per column of the training rows only (constant columns get scale 1)."""
    scaler = StandardScaler().fit(train_values.astype("float64"))
    return scaler.mean_.tolist(), scaler.scale_.tolist()

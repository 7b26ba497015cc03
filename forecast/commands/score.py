"""``forecast score``: score any forecast file against what happened, with M4's metrics.

Per series: sMAPE, MASE (scaled by the in-sample seasonal-naive error), RMSE, and M4's Naive2
benchmark on the same rows, from which OWA follows; then the mean over series (OWA of the means,
as M4 computes it). The forecast file can be ``forecast predict``'s output or anyone's; the
actuals file holds each series' history and the forecast period (``score_inputs``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.commands.score_inputs import (
    Columns,
    Matched,
    match,
    pick_columns,
    read_table,
    with_history,
)
from forecast.errors import ForecastError
from forecast.evaluation import m4

METRICS = ("smape", "mase", "owa", "rmse", "smape_naive2", "mase_naive2")
HEADERS = ("sMAPE", "MASE", "OWA", "RMSE", "sMAPE Naive2", "MASE Naive2")
OWA_PARTS = ("smape", "mase", "smape_naive2", "mase_naive2")
MEAN = "mean"


@dataclass
class ScoreReport:
    """What ``forecast score`` found.

    Attributes:
        table: one row per series (``series``, ``n``, then ``METRICS``; NaN where undefined),
            and a last row ``mean`` over the series.
        column: the forecast column scored.
        season: the seasonal period of MASE and Naive2.
        notes: what was assumed, for the user to read.
    """

    table: pd.DataFrame
    column: str
    season: int
    notes: list[str] = field(default_factory=list)

    @property
    def mean(self) -> dict:
        """The mean row as ``{metric: value}`` (``None`` where undefined)."""
        return scores_of(self.table.iloc[-1])

    def to_dict(self) -> dict:
        """JSON-ready: the column, season, mean, per-series rows and notes."""
        per_series = [
            {"series": r["series"], **scores_of(r)} for _, r in self.table.iloc[:-1].iterrows()
        ]
        return {
            "column": self.column,
            "season": self.season,
            "mean": self.mean,
            "series": per_series,
            "notes": self.notes,
        }

    def text(self) -> str:
        """The table as fixed-width text: per series, then the mean row."""
        from forecast.reporting.tables import fixed_width

        rows = [["series", "n", *HEADERS]]
        for _, r in self.table.iterrows():
            rows.append([str(r["series"]), str(int(r["n"])), *(fmt(r[k]) for k in METRICS)])
        return fixed_width(rows, left={0})


def scores_of(row: pd.Series) -> dict:
    """``n`` and the metrics of a table row, ``None`` where undefined (JSON has no NaN)."""
    return {"n": int(row["n"]), **{k: finite(row[k]) for k in METRICS}}


def finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def fmt(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def series_scores(one: Matched, season: int) -> dict:
    """sMAPE, MASE, RMSE of one series' forecasts; Naive2's sMAPE and MASE from its in-sample
    part over the same rows; OWA."""
    insample = one.insample
    actual = one.history[one.positions]
    steps = one.positions - len(insample)  # 0 for the row right after the in-sample part
    with np.errstate(divide="ignore", invalid="ignore"):
        naive2 = m4.naive2(insample, int(steps[-1]) + 1, season)[steps]
        scores = {
            "smape": m4.smape(actual, one.predicted),
            "mase": m4.mase(actual, one.predicted, insample, season),
            "rmse": float(np.sqrt(np.mean((actual - one.predicted) ** 2))),
            "smape_naive2": m4.smape(actual, naive2) if np.isfinite(naive2).all() else np.nan,
            "mase_naive2": m4.mase(actual, naive2, insample, season),
        }
        scores["owa"] = owa_of(scores)
    return {"series": one.name, "n": len(actual), **scores}


def owa_of(scores: dict) -> float:
    """OWA, NaN unless all four parts are finite and Naive2's errors are not 0."""
    parts = [scores[k] for k in OWA_PARTS]
    if not all(np.isfinite(parts)) or parts[2] == 0 or parts[3] == 0:
        return float("nan")
    return m4.owa(*parts)


def mean_row(table: pd.DataFrame) -> dict:
    """The mean of each metric over the series where it is defined; OWA of the mean sMAPE and
    MASE over the series where all four parts are (M4's definition)."""
    row = {"series": MEAN, "n": int(table["n"].sum())}
    for key in METRICS:
        values = table[key].to_numpy("float64")
        values = values[np.isfinite(values)]
        row[key] = float(np.mean(values)) if len(values) else np.nan
    parts = table[list(OWA_PARTS)].to_numpy("float64")
    full = parts[np.isfinite(parts).all(axis=1)]
    row["owa"] = owa_of(dict(zip(OWA_PARTS, full.mean(0), strict=True))) if len(full) else np.nan
    return row


def default_season(matched_times: pd.Series, notes: list[str]) -> int:
    """The season of the actuals' time step (24 for hourly, 7 for daily …); 1 for integer steps."""
    from forecast.commands.score_inputs import is_whole
    from forecast.data.io import regular_frequency, season_for

    if is_whole(matched_times):
        notes.append("time is counted in integer steps: season 1 (pass --season, e.g. 24)")
        return 1
    from forecast.data.times import parse_times

    index = pd.DatetimeIndex(parse_times(matched_times, str(matched_times.name))[0])
    unique = index.unique().sort_values()
    freq = regular_frequency(unique[: min(len(unique), 200)]) if len(unique) >= 3 else None
    season = season_for(freq) if freq else 1
    notes.append(f"season {season} from the time step ({freq or 'irregular'}); --season overrides")
    return season


def score(
    forecasts,
    actuals,
    *,
    series: str | None = None,
    season: int | None = None,
    column: str | None = None,
    target: str | None = None,
    time_col: str | None = None,
    insample=None,
    out: str | Path | None = None,
) -> ScoreReport:
    """Score a forecast file against what happened: per-series and mean sMAPE, MASE, OWA, RMSE.

    Args:
        forecasts: a CSV/parquet path or DataFrame: a time column (``timestamp``, as ``forecast
            predict`` writes, or ACTUALS' time column's name), the forecasts, and with
            ``series`` the series column.
        actuals: the same for what happened: each series' history and forecast period.
        series: the column naming the series in both files (``None``: one series).
        season: the seasonal period of MASE and Naive2 (default: from the time step; 1 for
            integer steps).
        column: FORECASTS' value column (default ``predicted``, ``combined``, ``forecast``,
            ``yhat`` …, or the only numeric column).
        target: ACTUALS' value column (default: its only numeric column besides time and series).
        time_col: ACTUALS' time column (default: ``timestamp``, a column named like a time, or
            one holding dates).
        insample: a file or DataFrame with the history before ACTUALS' rows (same columns).
        out: write the scores to this ``.json`` or ``.csv`` file.

    Returns:
        The ``ScoreReport``.

    Raises:
        ForecastError: a missing column, an unknown series, a forecast time ACTUALS lacks.
    """
    if season is not None and season < 1:
        raise ForecastError(f"--season {season} must be 1 or more (1: no seasonality)")
    if out is not None and Path(out).suffix.lower() not in (".json", ".csv"):
        raise ForecastError(f"--out {out}: write .json or .csv")
    f_frame, a_frame = read_table(forecasts, "FORECASTS"), read_table(actuals, "ACTUALS")
    cols = pick_columns(
        f_frame, a_frame, column=column, target=target, time_col=time_col, series=series
    )
    if insample is not None:
        a_frame = with_history(a_frame, read_table(insample, "--insample"), cols)
    notes = [f"scored FORECASTS' column {cols.value!r} against ACTUALS' {cols.target!r}"]
    if season is None:
        season = default_season(a_frame[cols.time], notes)
    matched = match(f_frame, a_frame, cols)
    rows = [series_scores(one, season) for one in matched]
    table = pd.DataFrame(rows, columns=["series", "n", *METRICS])
    table = pd.concat([table, pd.DataFrame([mean_row(table)])], ignore_index=True)
    report = ScoreReport(table, cols.value, season, notes)
    if out is not None:
        write_scores(Path(out), report)
    return report


def write_scores(path: Path, report: ScoreReport) -> None:
    """``.json``: ``ScoreReport.to_dict``; ``.csv``: the table (mean row last)."""
    from forecast.runs import write_text_atomic

    if path.suffix.lower() == ".json":
        text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    else:
        text = report.table.to_csv(index=False, float_format="%.10g")
    write_text_atomic(path, text)


__all__ = ["Columns", "ScoreReport", "score"]

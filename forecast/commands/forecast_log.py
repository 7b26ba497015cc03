"""The forecast log: every forecast past the data that ``predict`` and ``update`` made, kept in the
run directory (``forecasts.csv``) so that ``update`` can score it once the targets arrive.

One row per origin, series and step: ``made_at`` (UTC, when it was made), ``origin`` (the last
observed row), ``series`` (``--series`` runs), ``step``, ``timestamp`` (the row it forecasts),
``predicted``, ``combined`` (with ``--combine linear``), ``persistence`` (the target at the
origin), ``linear`` (the linear baseline, when the run has one), the 80 % / 95 % interval bounds
and ``model_version``.

Append-only: a forecast already logged for an origin, series and step is never replaced (the
first one made is the one that was acted on), and no row is ever removed. Each append writes the
whole new file beside the old one and renames it into place, so a reader or a kill sees the old
log or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.data.times import time_label as label
from forecast.errors import ForecastError

LOG_FILE = "forecasts.csv"
KEY = ("origin", "series", "step")
ORDER = (
    "made_at",
    "origin",
    "series",
    "step",
    "timestamp",
    "predicted",
    "combined",
    "persistence",
    "linear",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "model_version",
)


def now_utc() -> str:
    """The current UTC time, to the second, ISO 8601 (``made_at``)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def shortest(value) -> float:
    """A float32 data value as the number its CSV said (``5.6``, not ``5.5999999``)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def log_rows(
    table: pd.DataFrame,
    origins: dict[str | None, object],
    last_values: dict[str | None, float],
    linear: dict[str | None, np.ndarray] | None,
    series_col: str | None,
    made_at: str | None = None,
) -> pd.DataFrame:
    """The log rows of a forecast table as ``predict`` writes it.

    Args:
        table: ``timestamp``, ``step``, ``predicted``, ``combined``?, interval bounds,
            ``model_version``, and ``series_col`` for a ``--series`` run.
        origins: the origin (last observed time) per series name (``None`` for one series).
        last_values: the target at the origin per series (persistence's forecast).
        linear: the linear baseline's forecast per series, ``(horizon,)``; ``None`` without one.
        series_col: the series column of ``table``, or ``None``.
        made_at: when the forecast was made (default: now).
    """
    out = table.rename(columns={series_col: "series"}) if series_col else table.copy()
    names = out["series"].astype(str) if series_col else pd.Series([None] * len(out))
    out["made_at"] = made_at or now_utc()
    out["origin"] = [label(origins[n]) for n in names]
    out["timestamp"] = [label(t) for t in out["timestamp"]]
    out["persistence"] = [shortest(last_values[n]) for n in names]
    if linear is not None:
        steps = out["step"].to_numpy() - 1
        out["linear"] = [float(linear[n][s]) for n, s in zip(names, steps, strict=True)]
    return out[[c for c in ORDER if c in out.columns]]


def read_log(run_dir: Path) -> pd.DataFrame:
    """The run's forecast log (an empty frame when it has none); labels stay text."""
    path = Path(run_dir) / LOG_FILE
    if not path.is_file():
        return pd.DataFrame(columns=[c for c in ORDER if c not in ("series",)])
    try:
        log = pd.read_csv(path, dtype={"origin": str, "timestamp": str, "series": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise ForecastError(
            f"{path} is not a readable forecast log ({str(e).splitlines()[0]:.120}); restore it "
            "from a backup (it is append-only: nothing in it can be recomputed)"
        ) from None
    missing = [c for c in ("origin", "step", "timestamp", "predicted") if c not in log.columns]
    if missing:
        raise ForecastError(
            f"{path} lacks column(s) {', '.join(missing)}; it is not a forecast log written by "
            "forecast predict or update"
        )
    return log


def merged(log: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``log`` with the ``rows`` whose origin, series and step it does not hold yet appended;
    and how many were appended."""
    key = [k for k in KEY if k in rows.columns]
    if log.empty:
        return rows.reset_index(drop=True), len(rows)
    seen = set(map(tuple, log.reindex(columns=key).astype(str).to_numpy()))
    fresh = ~pd.Series(
        [tuple(r) in seen for r in rows[key].astype(str).to_numpy()], index=rows.index
    )
    new = rows[fresh.to_numpy()]
    columns = list(dict.fromkeys([*log.columns, *new.columns]))
    ordered = [c for c in ORDER if c in columns] + [c for c in columns if c not in ORDER]
    both = pd.concat([log, new], ignore_index=True).reindex(columns=ordered)
    return both, len(new)


def log_text(log: pd.DataFrame) -> str:
    """The log as CSV text (numbers to 8 significant digits)."""
    buffer = io.StringIO()
    log.to_csv(buffer, index=False, float_format="%.8g")
    return buffer.getvalue()


def append(run_dir: Path, rows: pd.DataFrame) -> int:
    """Append ``rows`` to ``run_dir``'s log (skipping forecasts already logged) atomically.

    Returns:
        The number of rows appended.
    """
    both, n = merged(read_log(run_dir), rows)
    if n:
        runs.write_text_atomic(Path(run_dir) / LOG_FILE, log_text(both))
    return n

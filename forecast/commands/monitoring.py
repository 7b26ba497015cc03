"""The state ``update`` keeps between runs, and the pure steps that move it: which logged
forecasts have come true, the adaptive conformal levels moved by their outcomes, the interval
widths for the next forecast, and monitor.json.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.commands.forecast_log import label
from forecast.data.io import Series
from forecast.data.steps import is_step_freq
from forecast.evaluation.intervals import ACI_GAMMA, LEVELS, aci_step, level_key, width_at

MONITOR_FILE = "monitor.json"
OBSERVED_FILE = "observed.csv"


def as_times(labels: pd.Series, freq: str) -> pd.Series:
    """Log labels (text) as the data's index values: integers for steps, else Timestamps."""
    if is_step_freq(freq):
        return pd.to_numeric(labels).astype("int64")
    return pd.to_datetime(labels)


def parse_time(text: str, freq: str):
    """One label (preprocessing.json ``last_timestamp``) as an index value."""
    return int(float(text)) if is_step_freq(freq) else pd.Timestamp(text)


def actuals(series: Series, target: str) -> pd.DataFrame:
    """``series``, ``time``, ``actual`` rows of every observed target value (``series`` is
    ``None`` for a single series)."""
    frame = series.frame
    if series.layout is None:
        names = [None] * len(frame)
    else:
        names = np.repeat(np.asarray(series.layout.names, dtype=object), series.layout.lengths())
    return pd.DataFrame(
        {"series": names, "time": frame.index, "actual": frame[target].to_numpy("float64")}
    )


def realised_rows(log: pd.DataFrame, observed: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The log rows whose target has been observed, with ``actual``, in origin order (then
    series, step); ``origin`` and ``timestamp`` as index values."""
    if log.empty:
        return log.assign(series=pd.Series(dtype=object), actual=pd.Series(dtype="float64"))
    rows = log.copy()
    rows["origin"] = as_times(rows["origin"], freq)
    rows["timestamp"] = as_times(rows["timestamp"], freq)
    if "series" not in rows.columns:
        rows["series"] = None
    key = observed.rename(columns={"time": "timestamp"})
    key["series"] = key["series"].astype(object)
    rows["series"] = rows["series"].astype(object)
    joined = rows.merge(key, on=["series", "timestamp"], how="inner")
    return joined.sort_values(["origin", "series", "step"], kind="stable").reset_index(drop=True)


def newly_realised(joined: pd.DataFrame, before: dict, freq: str) -> pd.DataFrame:
    """The realised rows whose target was not yet observed at the previous update
    (``before``: the last observed time per series then, monitor.json ``observed_through``)."""
    if joined.empty or not before:
        return joined
    last = joined["series"].map(
        lambda n: parse_time(before.get(str(n), ""), freq) if str(n) in before else None
    )
    fresh = [lt is None or t > lt for t, lt in zip(joined["timestamp"], last, strict=True)]
    return joined[np.asarray(fresh, dtype=bool)]


def moved_alpha(alpha: dict, fresh: pd.DataFrame) -> dict:
    """``alpha`` (``{"80": {series: (horizon,)}}``) after the outcomes of ``fresh`` arrived, in
    origin order: a miss widens that step's band, a hit narrows it (``aci_step``)."""
    out = {
        k: {n: np.asarray(a, dtype="float64") for n, a in per.items()} for k, per in alpha.items()
    }
    for lv in LEVELS:
        key = level_key(lv)
        lower, upper = f"lower_{key}", f"upper_{key}"
        if lower not in fresh.columns or key not in out:
            continue
        ok = fresh[lower].notna() & fresh[upper].notna()
        for name, rows in fresh[ok].groupby("series", sort=False, dropna=False):
            name = None if pd.isna(name) else name
            if name not in out[key]:
                continue
            missed = (rows["actual"] < rows[lower]) | (rows["actual"] > rows[upper])
            out[key][name] = aci_step(out[key][name], missed.to_numpy(), rows["step"], lv)
    return out


def widths_for(ordered: dict, alpha: dict) -> dict:
    """``{series: {"80": [w per step], ...}}`` for the next forecast."""
    return {
        name: {key: width_at(ordered[name], per[name]).tolist() for key, per in alpha.items()}
        for name in ordered
    }


def alpha_json(alpha: dict) -> dict:
    return {k: {str(n): list(map(float, a)) for n, a in per.items()} for k, per in alpha.items()}


def alpha_from_json(data: dict, names: list) -> dict | None:
    """monitor.json ``aci.alpha`` back as arrays keyed like the calibration (``None`` names a
    single series, stored as ``"None"``)."""
    if not isinstance(data, dict):
        return None
    out = {}
    for key, per in data.items():
        out[key] = {n: np.asarray(per[str(n)], dtype="float64") for n in names if str(n) in per}
    return out


def observed_through(series: Series) -> dict:
    """``{series name: its last observed time}`` (``"None"`` for a single series)."""
    if series.layout is None:
        return {"None": label(series.frame.index[-1])}
    ends = np.asarray(series.layout.bounds[1:]) - 1
    return {n: label(series.frame.index[e]) for n, e in zip(series.layout.names, ends, strict=True)}


def aci_record(alpha: dict) -> dict:
    return {
        "method": f"adaptive conformal (gamma {ACI_GAMMA}) continued online with the realised "
        "errors of the logged forecasts",
        "gamma": ACI_GAMMA,
        "alpha": alpha_json(alpha),
    }


def observed_csv(series: Series, time_col: str | None) -> str:
    """The rows seen so far as CSV text that ``read_like_run`` reads back exactly."""
    frame = series.frame.copy()
    if series.layout is not None:
        names = np.repeat(np.asarray(series.layout.names, dtype=object), series.layout.lengths())
        frame.insert(0, series.layout.column, names)
    if time_col:
        frame.index.name = time_col
        return frame.to_csv(date_format=None)
    return frame.to_csv(index=False)

"""Using a saved run: forecast past the end of a CSV, or backtest it on a CSV's test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.commands import forecast_log
from forecast.commands.forecast_log import log_rows
from forecast.commands.saved_run import forecasting_model, load_run, read_like_run, run_csv
from forecast.data.io import Series
from forecast.data.preprocess import Preprocessing, from_model_units
from forecast.data.steps import future_steps, is_step_freq
from forecast.errors import ForecastError
from forecast.evaluation.intervals import interval_columns
from forecast.models import saving
from forecast.reporting.future_plots import save_future_plot, save_series_future_plot


def future_times(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` at frequency ``freq`` (step numbers when the
    CSV has no time column)."""
    if is_step_freq(freq):
        return future_steps(last, freq, horizon)
    return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]


def predict_future(
    run_dir: Path,
    csv: Path | None,
    out: Path,
    log=print,
    only: str | None = None,
    use: str = "final",
    widths: dict | None = None,
    log_dir: Path | None = None,
    plot: bool = True,
    record: bool = True,
) -> tuple[pd.DataFrame, Path]:
    """Forecast the ``horizon`` steps after the last row of ``csv``; write ``out`` and a PNG
    (``plot``), and with ``record`` (not when serving a copy of the run)
    and append the forecast to the run's log (``forecast_log``; ``log_dir``: the copy of the
    run directory ``update`` writes). A ``--series`` run forecasts past the last row of every
    series (``only``: some of them).

    ``widths``: the interval half-widths to use (``update``'s adaptive ones; per series for a
    ``--series`` run) instead of those saved at fit.

    ``use``: ``"final"`` (final_model.keras, refit on every row; the scored model.keras when the
    run has none, with a note) or ``"scored"`` (model.keras); the table's ``model_version`` says
    which.

    Returns:
        The forecast table (``timestamp``, ``step``, ``predicted``, ``model_version``, intervals)
        and the path written.
    """
    name, version, said = forecasting_model(run_dir, use)
    model, prep, config = load_run(run_dir, name, cached=True)
    csv = run_csv(run_dir, csv, config, log)
    series = read_like_run(csv, prep, config, only)
    if prep.series is not None:
        table, path = predict_series_future(
            model, prep, config, series, run_dir, out, log, version, widths, log_dir, plot, record
        )
        log(said)  # once every check passed: bad input ends with one line
        return table, path
    frame = series.frame
    if len(frame) < prep.window:
        raise ForecastError(
            f"{csv} has {len(frame)} rows; the run needs the last {prep.window} (its --window)"
        )
    window = prep.scale_values(frame.iloc[-prep.window :])[None]
    scaled = np.asarray(model.predict_on_batch(window), dtype="float64")[0]
    predicted = prep.unscale_target(scaled)
    times = future_times(frame.index[-1], prep.freq, prep.horizon)
    table = pd.DataFrame(
        {"timestamp": times, "step": np.arange(1, prep.horizon + 1), "predicted": predicted}
    )
    linear = linear_future(run_dir, window, prep, version)
    combined = combined_of(run_dir, predicted, linear)
    if combined is not None:
        table["combined"] = combined
    table["model_version"] = version
    log(said)  # once every check passed: bad input ends with one line
    widths = saved_widths(run_dir) if widths is None else widths
    for key, values in interval_columns(predicted, widths).items():
        table[key] = values
    runs.write_text_atomic(out, table.to_csv(index=False, float_format="%.6g"))
    last = float(frame[prep.target].iloc[-1])
    lin = None if linear is None else {None: linear}
    rows = log_rows(table, {None: frame.index[-1]}, {None: last}, lin, None)
    appended = append_to_log(run_dir, log_dir, rows) if record else 1
    if not appended:
        log(
            f"note: {forecast_log.LOG_FILE} already holds a forecast from "
            f"{forecast_log.label(frame.index[-1])}; the first one made stays logged"
        )
    if not plot:
        return table, out
    save_future_plot(
        out.with_suffix(".png"),
        frame[prep.target].iloc[-4 * prep.window :],
        table,
        prep.target,
        config.get("model", "model"),
        widths,
    )
    return table, out


def append_to_log(run_dir: Path, log_dir: Path | None, rows: pd.DataFrame) -> int:
    """Append to the forecast log of ``log_dir`` (update's staged copy, under its lock) or of
    ``run_dir``, holding the run's lock so that an update running meanwhile loses nothing."""
    if log_dir is not None:
        return forecast_log.append(log_dir, rows)
    with runs.out_lock(run_dir, "run predict again when it has finished"):
        return forecast_log.append(run_dir, rows)


def linear_path(run_dir: Path, version: str) -> Path | None:
    """The linear baseline of model ``version``: final_linear.keras beside the final model,
    baseline_linear.keras beside the scored one; ``None`` when the run has none."""
    final = run_dir / runs.FINAL_LINEAR_FILE
    path = final if version != "scored" and final.exists() else run_dir / runs.LINEAR_FILE
    return path if path.is_file() else None


def linear_future(run_dir: Path, window, prep: Preprocessing, version: str):
    """The linear baseline's forecast ``(horizon,)`` of the scaled ``window`` ``(1, window,
    n_inputs)``, in the target's units; ``None`` when the run has no linear baseline."""
    path = linear_path(run_dir, version)
    if path is None:
        return None
    linear = saving.load_for_prediction(path)
    return prep.unscale_target(np.asarray(linear.predict_on_batch(window), dtype="float64")[0])


def combination_weight(run_dir: Path) -> float | None:
    """The combination weight fit on validation (metrics.json ``combination``), or ``None``."""
    if not (run_dir / "metrics.json").is_file():
        return None
    weight = runs.read_json(run_dir, "metrics.json").get("combination", {}).get("weight")
    return float(weight) if isinstance(weight, float | int) else None


def combined_of(run_dir: Path, predicted, linear):
    """``w·model + (1 − w)·linear`` when the run has a combination and a linear forecast."""
    weight = combination_weight(run_dir)
    if weight is None or linear is None:
        return None
    return weight * predicted + (1 - weight) * linear


def saved_widths(run_dir: Path) -> dict[str, list[float]]:
    """The conformal half-widths per step saved in metrics.json (empty for older runs)."""
    path = run_dir / "metrics.json"
    if not path.is_file():
        return {}
    return runs.read_json(run_dir, "metrics.json").get("intervals", {})


def predict_series_future(
    model,
    prep: Preprocessing,
    config: dict,
    series: Series,
    run_dir: Path,
    out: Path,
    log=print,
    version: str = "scored",
    widths: dict | None = None,
    log_dir: Path | None = None,
    plot: bool = True,
    record: bool = True,
) -> tuple[pd.DataFrame, Path]:
    """``predict_future`` of a ``--series`` run: the ``horizon`` steps after the last row of
    every series the run knows that has a full window; the table's first column names the
    series. Intervals are each series' own (metrics.json ``per_series``)."""
    from forecast.data.panel import select_series, shown

    layout = series.layout
    known = [n for n in layout.names if n in prep.series["names"]]
    long_enough = [
        n for n, r in zip(layout.names, layout.lengths(), strict=True) if r >= prep.window
    ]
    use = [n for n in known if n in long_enough]
    skipped = [n for n in layout.names if n not in use]
    if not use:
        raise ForecastError(
            f"no series of the CSV has both a scaler in the run ({shown(prep.series['names'])}) "
            f"and the {prep.window} rows of its --window; pass the run's long table"
        )
    if skipped:
        log(
            f"note: skipped series unknown to the run or shorter than {prep.window} rows: "
            f"{shown(skipped)}"
        )
    series = select_series(series, use)
    layout = series.layout
    ends = np.asarray(layout.bounds[1:])
    rows = ends[:, None] - prep.window + np.arange(prep.window)  # (n_series, window)
    values = prep.scale_values(series.frame, layout)
    scaled = np.asarray(model.predict_on_batch(values[rows]), dtype="float64")
    mean, scale = prep.row_stats(layout)
    i = prep.target_index
    predicted = from_model_units(
        scaled * scale[ends - 1, i][:, None] + mean[ends - 1, i][:, None], prep
    )
    per = saved_series_widths(run_dir) if widths is None else widths
    path = linear_path(run_dir, version)
    linear = None
    if path is not None:
        scaled_lin = np.asarray(
            saving.load_for_prediction(path).predict_on_batch(values[rows]), dtype="float64"
        )
        linear = from_model_units(
            scaled_lin * scale[ends - 1, i][:, None] + mean[ends - 1, i][:, None], prep
        )
    weight = combination_weight(run_dir)
    tables = []
    for k, name in enumerate(layout.names):
        last = series.frame.index[ends[k] - 1]
        table = pd.DataFrame(
            {
                layout.column: name,
                "timestamp": future_times(last, prep.freq, prep.horizon),
                "step": np.arange(1, prep.horizon + 1),
                "predicted": predicted[k],
            }
        )
        if weight is not None and linear is not None:
            table["combined"] = weight * predicted[k] + (1 - weight) * linear[k]
        table["model_version"] = version
        for key, values_k in interval_columns(predicted[k], per.get(name, {})).items():
            table[key] = values_k
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    runs.write_text_atomic(out, table.to_csv(index=False, float_format="%.6g"))
    target = series.frame[prep.target].to_numpy()
    origins = {n: series.frame.index[ends[k] - 1] for k, n in enumerate(layout.names)}
    lasts = {n: float(target[ends[k] - 1]) for k, n in enumerate(layout.names)}
    lin = None if linear is None else dict(zip(layout.names, linear, strict=True))
    rows_log = log_rows(table, origins, lasts, lin, layout.column)
    if record:
        append_to_log(run_dir, log_dir, rows_log)
    if plot:
        save_series_future_plot(out.with_suffix(".png"), series, table, prep, config, per)
    return table, out


def saved_series_widths(run_dir: Path) -> dict[str, dict[str, list[float]]]:
    """``{series: {"80": [w per step], ...}}`` from metrics.json ``per_series``."""
    path = run_dir / "metrics.json"
    per = runs.read_json(run_dir, "metrics.json").get("per_series", {}) if path.is_file() else {}
    return {n: s.get("intervals", {}) for n, s in per.items() if isinstance(s, dict)}

"""Using a saved run: forecast past the end of a CSV, or backtest it on a CSV's test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
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
) -> tuple[pd.DataFrame, Path]:
    """Forecast the ``horizon`` steps after the last row of ``csv``; write ``out`` and a PNG.
    A ``--series`` run forecasts past the last row of every series (``only``: some of them).

    ``use``: ``"final"`` (final_model.keras, refit on every row; the scored model.keras when the
    run has none, with a note) or ``"scored"`` (model.keras); the table's ``model_version`` says
    which.

    Returns:
        The forecast table (``timestamp``, ``step``, ``predicted``, ``model_version``, intervals)
        and the path written.
    """
    name, version, said = forecasting_model(run_dir, use)
    model, prep, config = load_run(run_dir, name)
    csv = run_csv(run_dir, csv, config, log)
    series = read_like_run(csv, prep, config, only)
    if prep.series is not None:
        table, path = predict_series_future(model, prep, config, series, run_dir, out, log, version)
        log(said)  # once every check passed: bad input ends with one line
        return table, path
    frame = series.frame
    if len(frame) < prep.window:
        raise ForecastError(
            f"{csv} has {len(frame)} rows; the run needs the last {prep.window} (its --window)"
        )
    window = prep.scale_values(frame.iloc[-prep.window :])[None]
    scaled = np.asarray(model.predict(window, verbose=0), dtype="float64")[0]
    predicted = prep.unscale_target(scaled)
    times = future_times(frame.index[-1], prep.freq, prep.horizon)
    table = pd.DataFrame(
        {"timestamp": times, "step": np.arange(1, prep.horizon + 1), "predicted": predicted}
    )
    combined = combined_future(run_dir, window, predicted, prep, version)
    if combined is not None:
        table["combined"] = combined
    table["model_version"] = version
    log(said)  # once every check passed: bad input ends with one line
    widths = saved_widths(run_dir)
    for key, values in interval_columns(predicted, widths).items():
        table[key] = values
    runs.write_text_atomic(out, table.to_csv(index=False, float_format="%.6g"))
    save_future_plot(
        out.with_suffix(".png"),
        frame[prep.target].iloc[-4 * prep.window :],
        table,
        prep.target,
        config.get("model", "model"),
        widths,
    )
    return table, out


def combined_future(run_dir: Path, window, predicted, prep: Preprocessing, version: str):
    """``w·model + (1 − w)·linear`` of the future window when the run has a combination
    (metrics.json ``combination``, the weight fit on validation), with the linear baseline of
    the same ``version``: final_linear.keras beside the final model, baseline_linear.keras beside
    the scored one."""
    final = run_dir / runs.FINAL_LINEAR_FILE
    linear_path = final if version == "final" and final.exists() else run_dir / runs.LINEAR_FILE
    if not (run_dir / "metrics.json").is_file() or not linear_path.is_file():
        return None
    weight = runs.read_json(run_dir, "metrics.json").get("combination", {}).get("weight")
    if not isinstance(weight, float | int):
        return None
    linear = saving.load_keras_model(linear_path)
    scaled = np.asarray(linear.predict(window, verbose=0), dtype="float64")[0]
    return weight * predicted + (1 - weight) * prep.unscale_target(scaled)


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
    scaled = np.asarray(model.predict(values[rows], verbose=0), dtype="float64")
    mean, scale = prep.row_stats(layout)
    i = prep.target_index
    predicted = from_model_units(
        scaled * scale[ends - 1, i][:, None] + mean[ends - 1, i][:, None], prep
    )
    per = saved_series_widths(run_dir)
    tables = []
    for k, name in enumerate(layout.names):
        last = series.frame.index[ends[k] - 1]
        table = pd.DataFrame(
            {
                layout.column: name,
                "timestamp": future_times(last, prep.freq, prep.horizon),
                "step": np.arange(1, prep.horizon + 1),
                "predicted": predicted[k],
                "model_version": version,
            }
        )
        for key, values_k in interval_columns(predicted[k], per.get(name, {})).items():
            table[key] = values_k
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    runs.write_text_atomic(out, table.to_csv(index=False, float_format="%.6g"))
    save_series_future_plot(out.with_suffix(".png"), series, table, prep, config, per)
    return table, out


def saved_series_widths(run_dir: Path) -> dict[str, dict[str, list[float]]]:
    """``{series: {"80": [w per step], ...}}`` from metrics.json ``per_series``."""
    path = run_dir / "metrics.json"
    per = runs.read_json(run_dir, "metrics.json").get("per_series", {}) if path.is_file() else {}
    return {n: s.get("intervals", {}) for n, s in per.items() if isinstance(s, dict)}

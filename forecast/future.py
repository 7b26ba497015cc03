"""Using a saved run: forecast past the end of a CSV, or backtest it on a CSV's test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.config import FILLS
from forecast.errors import ForecastError
from forecast.intervals import interval_columns
from forecast.io import STEP_FREQ, Series, read_series
from forecast.preprocess import Preprocessing


def load_run(run_dir: Path) -> tuple[object, Preprocessing, dict]:
    """``(model, preprocessing, config)`` of a run directory, each checked."""
    prep = Preprocessing.from_dict(runs.read_json(run_dir, "preprocessing.json"))
    config = runs.read_json(run_dir, "config.json")
    model = runs.load_keras_model(run_dir / runs.MODEL_FILE)
    expected = (None, prep.window, prep.n_inputs)
    if tuple(model.input_shape) != expected:
        raise ForecastError(
            f"{run_dir}: model.keras expects input {tuple(model.input_shape)} but "
            f"preprocessing.json says {expected}; the run directory is inconsistent, re-run fit"
        )
    return model, prep, config


def read_like_run(csv: Path, prep: Preprocessing, config: dict) -> Series:
    """Read ``csv`` as the run read its training CSV, and check it has the run's columns."""
    fill = config.get("fill", "none")
    if fill not in FILLS:
        raise ForecastError(
            f"config.json has fill {fill!r:.40}, not one of {', '.join(FILLS)}; "
            "re-run `forecast fit`"
        )
    dayfirst = config.get("dayfirst") if config.get("dayfirst") in (True, False) else None
    series = read_series(csv, prep.time_col if prep.time_col else None, fill, dayfirst)
    missing = [c for c in prep.columns if c not in series.frame.columns]
    if missing:
        raise ForecastError(
            f"{csv} lacks column(s) {', '.join(missing)} that the run was trained on; pass a CSV "
            f"with columns {', '.join(prep.columns)}"
        )
    return series


def run_csv(run_dir: Path, csv: Path | None, config: dict, log=print) -> Path:
    """The CSV to use: the one given, else the run's own training CSV if it still exists.

    The recorded path is data from the run directory, not trusted: it is only read as a CSV, the
    user is told which file was used, and a changed file (SHA-256) is reported.
    """
    if csv is not None:
        return Path(csv)
    data = config.get("data")
    data = data if isinstance(data, dict) else {}
    recorded = Path(str(data.get("path", "")))
    if not str(data.get("path", "")) or not recorded.is_file():
        raise ForecastError(
            f"{run_dir} was trained on {str(recorded)!r:.200}, which is not here; pass the CSV: "
            f"forecast predict {run_dir} DATA.csv"
        )
    log(f"note: using the run's training CSV {recorded} (from config.json)")
    from forecast.pipeline import file_sha256

    if data.get("sha256") != file_sha256(recorded):
        log(f"note: {recorded} has changed since the run was trained (SHA-256 differs)")
    return recorded


def future_times(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` at frequency ``freq`` (step numbers when the
    CSV has no time column)."""
    if freq == STEP_FREQ:
        return pd.RangeIndex(int(last) + 1, int(last) + 1 + horizon, name="step")
    return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]


def predict_future(
    run_dir: Path, csv: Path | None, out: Path, log=print
) -> tuple[pd.DataFrame, Path]:
    """Forecast the ``horizon`` steps after the last row of ``csv``; write ``out`` and a PNG.

    Returns:
        The forecast table (``timestamp``, ``step``, ``predicted``) and the path written.
    """
    model, prep, config = load_run(run_dir)
    csv = run_csv(run_dir, csv, config, log)
    series = read_like_run(csv, prep, config)
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


def saved_widths(run_dir: Path) -> dict[str, list[float]]:
    """The conformal half-widths per step saved in metrics.json (empty for older runs)."""
    path = run_dir / "metrics.json"
    if not path.is_file():
        return {}
    return runs.read_json(run_dir, "metrics.json").get("intervals", {})


def save_future_plot(
    path: Path, history: pd.Series, table: pd.DataFrame, target: str, model: str, widths=None
) -> None:
    import matplotlib.pyplot as plt

    from forecast.plots import date_axis, save, shade_bands

    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    ax.plot(history.index, history.to_numpy(), color="black", lw=1, label="observed")
    shade_bands(ax, table["timestamp"], table["predicted"].to_numpy(), widths)
    ax.plot(
        table["timestamp"],
        table["predicted"],
        color="tab:blue",
        marker="o",
        ms=3,
        label=f"{model} forecast",
    )
    ax.set_ylabel(target)
    ax.set_title(f"{target}: next {len(table)} steps")
    ax.legend()
    date_axis(ax)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    save(fig, tmp)
    tmp.replace(path)


def evaluate_run(run_dir: Path, csv: Path) -> dict:
    """Score a saved run (and its saved linear baseline) on the test split of ``csv``."""
    from forecast.pipeline import naive_baselines, predict_part, reprepare, score_all

    model, prep, config = load_run(run_dir)
    prepared = reprepare(read_like_run(Path(csv), prep, config), prep)
    predicted = predict_part(model, prepared)
    baselines = naive_baselines(prepared)
    linear_path = run_dir / runs.LINEAR_FILE
    baselines["linear"] = (
        predict_part(runs.load_keras_model(linear_path), prepared)
        if linear_path.exists()
        else predicted
    )
    metrics = score_all(prepared, predicted, baselines)
    return {
        "model": config.get("model", "model"),
        "target": prep.target,
        "window": prep.window,
        "horizon": prep.horizon,
        **metrics,
    }

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


def read_like_run(csv: Path, prep: Preprocessing, config: dict, only: str | None = None) -> Series:
    """Read ``csv`` as the run read its training CSV, and check it has the run's columns
    (``only``: with a ``--series`` run, these series only)."""
    fill = config.get("fill", "none")
    if fill not in FILLS:
        raise ForecastError(
            f"config.json has fill {fill!r:.40}, not one of {', '.join(FILLS)}; "
            "re-run `forecast fit`"
        )
    dayfirst = config.get("dayfirst") if config.get("dayfirst") in (True, False) else None
    time_col = prep.time_col if prep.time_col else None
    if prep.series is not None:  # a --series run: the same long table, every series
        from forecast.panel import read_panel

        series = read_panel(csv, prep.series["column"], time_col, fill, dayfirst, only)
    elif only is not None:
        raise ForecastError(
            f"--only {only} selects series, but the run was trained on one series (no --series); "
            "drop --only"
        )
    else:
        series = read_series(csv, time_col, fill, dayfirst)
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
    run_dir: Path, csv: Path | None, out: Path, log=print, only: str | None = None
) -> tuple[pd.DataFrame, Path]:
    """Forecast the ``horizon`` steps after the last row of ``csv``; write ``out`` and a PNG.
    A ``--series`` run forecasts past the last row of every series (``only``: some of them).

    Returns:
        The forecast table (``timestamp``, ``step``, ``predicted``) and the path written.
    """
    model, prep, config = load_run(run_dir)
    csv = run_csv(run_dir, csv, config, log)
    series = read_like_run(csv, prep, config, only)
    if prep.series is not None:
        return predict_series_future(model, prep, config, series, run_dir, out, log)
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


def evaluate_run(run_dir: Path, csv: Path, log=print, only: str | None = None) -> dict:
    """Score a saved run (and its saved linear baseline) on the test split of ``csv`` (a
    ``--series`` run: every series it knows, per series and pooled)."""
    from forecast.pipeline import evidence, naive_baselines, predict_part, reprepare, score_all

    model, prep, config = load_run(run_dir)
    prepared = reprepare(read_like_run(Path(csv), prep, config, only), prep)
    for note in prepared.series.notes if prep.series is not None else []:
        log(f"note: {note}")
    predicted = predict_part(model, prepared)
    baselines = naive_baselines(prepared)
    linear_path = run_dir / runs.LINEAR_FILE
    baselines["linear"] = (
        predict_part(runs.load_keras_model(linear_path), prepared)
        if linear_path.exists()
        else predicted
    )
    metrics = score_all(prepared, predicted, baselines)
    names = {}
    if prep.series is not None:
        names = {"series": {"column": prep.series["column"], "names": prepared.series_names}}
    tested = {k: v for k, v in baselines.items() if k != "linear" or linear_path.exists()}
    return {
        "model": config.get("model", "model"),
        "target": prep.target,
        "window": prep.window,
        "horizon": prep.horizon,
        **metrics,
        **evidence(prepared.actual("test"), predicted, tested),
        **names,
    }


def predict_series_future(
    model, prep: Preprocessing, config: dict, series: Series, run_dir: Path, out: Path, log=print
) -> tuple[pd.DataFrame, Path]:
    """``predict_future`` of a ``--series`` run: the ``horizon`` steps after the last row of
    every series the run knows that has a full window; the table's first column names the
    series. Intervals are each series' own (metrics.json ``per_series``)."""
    from forecast.panel import select_series, shown

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
    predicted = scaled * scale[ends - 1, i][:, None] + mean[ends - 1, i][:, None]
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


def save_series_future_plot(path: Path, series: Series, table, prep, config, widths) -> None:
    """A grid of the first ``plots.GRID_SERIES`` series: recent history and the forecast."""
    import matplotlib.pyplot as plt

    from forecast.plots import GRID_SERIES, date_axis, save, shade_bands

    layout = series.layout
    names = list(layout.names)[:GRID_SERIES]
    cols = 1 if len(names) == 1 else 2 if len(names) <= 4 else 3
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols + 1, 3 * rows + 0.5), layout="constrained", squeeze=False
    )
    for k, ax in enumerate(axes.ravel()):
        if k >= len(names):
            ax.axis("off")
            continue
        own = series.frame.iloc[layout.rows(k)][prep.target].iloc[-4 * prep.window :]
        mine = table[table[layout.column] == names[k]]
        ax.plot(own.index, own.to_numpy(), color="black", lw=1, label="observed")
        shade_bands(ax, mine["timestamp"], mine["predicted"].to_numpy(), widths.get(names[k]))
        ax.plot(
            mine["timestamp"],
            mine["predicted"],
            color="tab:blue",
            marker="o",
            ms=3,
            label=f"{config.get('model', 'model')} forecast",
        )
        ax.set_title(f"{names[k]}: next {prep.horizon} steps", fontsize=9)
        ax.legend(fontsize=6)
        date_axis(ax)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    save(fig, tmp)
    tmp.replace(path)

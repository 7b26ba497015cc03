"""Plots of a run. Each ``plot_*`` takes an ``ax`` and returns it; ``save_run_plots`` writes the
three PNGs of a run directory. Agg backend only: nothing is ever shown on screen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecast.data.windows import WindowArray

matplotlib.use("Agg")


BASELINE_STYLE = {
    "persistence": ":",
    "seasonal_naive": "-.",
    "linear": "--",
    "gbm": (0, (3, 1, 1, 1, 1, 1)),
}


def date_axis(ax):
    """Concise date ticks on the x axis (left alone when x is a step number, not a date).

    Day ticks step by 1, 7 or 14 days: the locator's other steps (2, 3, 4 days) count from the
    1st of each month, so its 29th or 31st sat a day or two from the next month's name and the
    labels ran together ("29May") in forecast.png's narrow example panels; steps of 7 and 14 tick
    the 1st, 8th, 15th and 22nd (or the 1st and 15th)."""
    if ax.xaxis.get_converter() is None:
        return ax
    locator = mdates.AutoDateLocator()
    locator.intervald[mdates.DAILY] = [1, 7, 14]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def time_label(t) -> str:
    """A row's time for a title: its date, or its step number when there is no time column."""
    return str(pd.Timestamp(t).date()) if isinstance(t, pd.Timestamp | np.datetime64) else str(t)


def verdict(model: str, model_rmse: float, persistence_rmse: float) -> tuple[str, str]:
    """Title text and colour saying plainly whether the model beats persistence."""
    skill = 1 - model_rmse / persistence_rmse
    if skill > 0:
        return (
            f"{model} RMSE {model_rmse:.3g} beats persistence {persistence_rmse:.3g} "
            f"(skill {skill:+.1%})",
            "tab:green",
        )
    return (
        f"{model} RMSE {model_rmse:.3g} does NOT beat persistence {persistence_rmse:.3g} "
        f"(skill {skill:+.1%})",
        "tab:red",
    )


def shade_bands(ax, times, predicted, widths: dict[str, list[float]] | None, step=None):
    """Shade the conformal bands (widest first) around ``predicted``.

    Args:
        times, predicted: ``(n,)`` x positions and centre line.
        widths: ``{"80": [w per step], "95": [...]}``, or per origin ``(n, horizon)`` arrays (with
            ``step``: point ``i`` is origin ``i``); nothing is drawn when ``None``.
        step: 1-based horizon step whose width applies to every point; ``None`` means point ``i``
            is horizon step ``i + 1``.
    """
    if not widths:
        return ax
    for key in sorted(widths, key=float, reverse=True):
        w = np.asarray(widths[key], dtype="float64")
        if w.ndim == 2:  # per origin: (n_windows, horizon), one row per point of a test period
            w = w[:, step - 1]
        else:
            w = w[step - 1] if step is not None else w[: len(predicted)]
        alpha = 0.12 if float(key) > 90 else 0.25
        ax.fill_between(
            times,
            predicted - w,
            predicted + w,
            color="tab:blue",
            alpha=alpha,
            lw=0,
            label=f"{key}% interval",
        )
    return ax


def plot_test_period(ax, times, actual, predicted, steps, model: str, widths=None):
    """Actual vs the model's forecast at the given horizon steps over the test period.

    Args:
        times: ``(n_windows, horizon)`` target timestamps.
        actual, predicted: ``(n_windows, horizon)`` values in original units.
        steps: 1-based horizon steps to draw.
        widths: conformal half-widths per step; the bands of step 1 are shaded.
    """
    shade_bands(ax, times[:, 0], predicted[:, 0], widths, step=1)
    ax.plot(times[:, 0], actual[:, 0], color="black", lw=1.2, label="actual")
    for step in steps:
        ax.plot(times[:, step - 1], predicted[:, step - 1], lw=1, label=f"{model} t+{step}")
    ax.set_ylabel("target")
    ax.legend(loc="upper left", fontsize=8, ncol=len(steps) + 3)
    return date_axis(ax)


def plot_example(
    ax, history_times, history, times, actual, predicted, baselines, model: str, widths=None
):
    """One origin: the input window, then actual vs model (with its bands) vs baselines over the
    whole horizon."""
    shade_bands(ax, times, predicted, widths)
    ax.plot(history_times, history, color="grey", lw=1, label="input window")
    ax.plot(times, actual, color="black", marker=".", lw=1.2, label="actual")
    ax.plot(times, predicted, color="tab:blue", marker=".", lw=1.2, label=model)
    for name, values in baselines.items():
        ax.plot(times, values, ls=BASELINE_STYLE.get(name, "--"), lw=1, label=name)
    ax.axvline(history_times[-1], color="grey", lw=0.5)
    return date_axis(ax)


def plot_loss(ax, history: dict[str, list[float]], best_epoch: int):
    """Training and validation loss per epoch, with the kept epoch marked."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="train loss")
    ax.plot(epochs, history["val_loss"], label="validation loss")
    ax.axvline(best_epoch, color="grey", ls=":", label=f"best epoch {best_epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (scaled units)")
    ax.set_yscale("log")
    ax.legend()
    return ax


def plot_per_horizon(ax, per_horizon: dict[str, list[float]], model: str):
    """RMSE per horizon step for the model and each baseline."""
    for name, values in per_horizon.items():
        steps = np.arange(1, len(values) + 1)
        style = "-" if name == model else BASELINE_STYLE.get(name, "--")
        ax.plot(steps, values, ls=style, marker="o", ms=3, lw=2 if name == model else 1, label=name)
    ax.set_xlabel("horizon step")
    ax.set_ylabel("RMSE (target units)")
    ax.set_xticks(steps)
    ax.legend()
    return ax


def plot_lag(ax, lag_rmse: list[float], diagnostics: dict, model: str):
    """RMSE of the one-step forecast against the actual series shifted by k steps: a minimum at
    k = 0 means the forecast tracks the present, at k = 1 that it is a delayed copy."""
    lags = np.arange(len(lag_rmse))
    best = int(np.argmin(lag_rmse))
    colours = ["tab:orange" if k == best else "tab:blue" for k in lags]
    ax.bar(lags, lag_rmse, color=colours)
    ax.set_ylim(0, 1.35 * max(lag_rmse))
    ax.set_xticks(lags)
    ax.set_xlabel("shift k of the actual series (k = 1: the last observed value)")
    ax.set_ylabel(f"RMSE of {model} t+1 vs actual(t+1-k)")
    da = diagnostics.get("directional_accuracy")
    corr = diagnostics.get("corr_with_persistence")
    ax.text(
        0.98,
        0.95,
        f"best lag {best}\ndirection right "
        + ("n/a" if da is None else f"{da:.0%}")
        + "\nerror corr. with persistence "
        + ("n/a" if corr is None else f"{corr:.2f}"),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"facecolor": "white", "edgecolor": "grey", "alpha": 0.9},
    )
    return ax


@dataclass
class RunPlot:
    """What the plots of one run show.

    Attributes:
        model: the architecture's name.
        target: the target column.
        index: the series' timestamps, ``(n_rows,)``.
        target_values: ``(n_rows,)`` target in original units.
        starts: ``(n_windows,)`` first row of each test origin's input window.
        window: input window length.
        actual, predicted: ``(n_windows, horizon)`` test targets and forecasts.
        baselines: ``{name: (n_windows, horizon)}`` baseline forecasts.
        metrics: metrics.json.
        history: per-epoch ``loss`` / ``val_loss``; best_epoch: the epoch kept.
        widths: interval half-widths ``{"80": (horizon,) or (n_windows, horizon)}``.
        series: ``--series``: ``(names, ids)``, ``ids`` the series number of each test origin.
    """

    model: str
    target: str
    index: pd.DatetimeIndex
    target_values: np.ndarray
    starts: np.ndarray
    window: int
    actual: np.ndarray
    predicted: np.ndarray
    baselines: dict[str, np.ndarray]
    metrics: dict
    history: dict[str, list[float]]
    best_epoch: int
    widths: dict | None = None
    series: tuple[list[str], np.ndarray] | None = None

    def times(self) -> WindowArray:
        """``(n_windows, horizon)`` timestamps of every test target, gathered when read."""
        horizon, stamps, starts = self.actual.shape[1], np.asarray(self.index), self.starts
        return WindowArray(
            (len(starts), horizon),
            lambda i: stamps[starts[i][:, None] + self.window + np.arange(horizon)],
        )

    def title(self) -> tuple[str, str]:
        """The verdict in the title and its colour: the model against persistence, and the linear
        baseline named when it is the true winner."""
        m = self.metrics
        title, colour = verdict(self.model, m["rmse"], m["baselines"]["persistence"]["rmse"])
        linear = m["baselines"].get("linear", {}).get("rmse")
        if self.model != "linear" and linear is not None and linear < m["rmse"]:
            title, colour = (
                f"{title}; the linear baseline is better (RMSE {linear:.3g})",
                "tab:orange",
            )
        return title, colour


def save_run_plots(out: Path, plot: RunPlot) -> None:
    """Write forecast.png, loss.png, per_horizon.png and (with diagnostics) lag.png into ``out``.

    With ``plot.series`` (``--series``), forecast.png is a grid of the first ``GRID_SERIES``
    series."""
    save(forecast_figure(plot), out / "forecast.png")
    save_other_plots(out, plot)


def forecast_figure(plot: RunPlot):
    """forecast.png as a Figure: the test period and three example origins, or with ``--series``
    a panel per series."""
    title, colour = plot.title()
    if plot.series is None:
        return single_series_figure(plot, title, colour)
    fig = series_grid(plot, *plot.series)
    fig.suptitle(f"pooled over {len(plot.series[0])} series: {title}", color=colour, fontsize=11)
    return fig


GRID_SERIES = 6  # panels of forecast.png with --series


def series_grid(plot: RunPlot, names: list[str], ids: np.ndarray):
    """One panel per series (the first ``GRID_SERIES``): its test period, actual vs the model's
    step-1 forecast with its bands and persistence, titled with its skill.

    Args:
        plot: the run's test origins of every series.
        names: series names; ids: ``(n_windows,)`` series number of each origin.
    """
    times, actual, predicted = plot.times(), plot.actual, plot.predicted
    baselines, model, widths, metrics = plot.baselines, plot.model, plot.widths, plot.metrics
    shown_names = names[:GRID_SERIES]
    cols = 1 if len(shown_names) == 1 else 2 if len(shown_names) <= 4 else 3
    rows = -(-len(shown_names) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols + 1, 3.2 * rows + 0.6), layout="constrained", squeeze=False
    )
    per = metrics.get("per_series", {})
    for k, ax in enumerate(axes.ravel()):
        if k >= len(shown_names):
            ax.axis("off")
            continue
        mine = ids == k
        w = {key: np.asarray(v)[mine] for key, v in (widths or {}).items() if np.ndim(v) == 2}
        plot_test_period(ax, times[mine], actual[mine], predicted[mine], [1], model, w or None)
        ax.plot(
            times[mine][:, 0],
            baselines["persistence"][mine][:, 0],
            ls=":",
            color="grey",
            lw=1,
            label="persistence",
        )
        ax.legend(loc="upper left", fontsize=6, ncol=2)
        skill = per.get(names[k], {}).get("skill_vs_persistence", float("nan"))
        ax.set_title(f"{names[k]}: skill {skill:+.1%} vs persistence", fontsize=9)
    return fig


def single_series_figure(plot: RunPlot, title: str, colour: str):
    """forecast.png of one series: the test period, and three example origins."""
    times, actual, predicted, starts = plot.times(), plot.actual, plot.predicted, plot.starts
    index, window, widths, model = plot.index, plot.window, plot.widths, plot.model
    horizon = actual.shape[1]
    fig = plt.figure(figsize=(12, 7), layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=[3, 2])
    shown = thin(len(starts))
    ax = plot_test_period(
        fig.add_subplot(grid[0, :]),
        times[shown],
        actual[shown],
        predicted[shown],
        sorted({1, horizon}),
        model,
        {k: np.asarray(w)[shown] if np.ndim(w) == 2 else w for k, w in (widths or {}).items()},
    )
    ax.set_title(f"{plot.target}: test period", fontsize=10)
    ax.set_ylabel(plot.target)
    picks = np.linspace(0, len(starts) - 1, 3).astype(int)
    for k, i in enumerate(picks):
        rows = np.arange(starts[i], starts[i] + window)
        ax = plot_example(
            fig.add_subplot(grid[1, k]),
            np.asarray(index)[rows],
            plot.target_values[rows],
            times[i],
            actual[i],
            predicted[i],
            {n: b[i] for n, b in plot.baselines.items()},
            model,
            {k: np.asarray(w)[i] if np.ndim(w) == 2 else w for k, w in (widths or {}).items()},
        )
        ax.set_title(f"origin {time_label(index[rows[-1]])}", fontsize=9)
        if k == 0:
            ax.legend(fontsize=7)
    fig.suptitle(title, color=colour, fontsize=11)
    return fig


def save_other_plots(out: Path, plot: RunPlot) -> None:
    """loss.png, per_horizon.png and (with diagnostics) lag.png."""
    model, metrics = plot.model, plot.metrics
    title, colour = plot.title()
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    plot_loss(ax, plot.history, plot.best_epoch).set_title(f"{model} training")
    save(fig, out / "loss.png")

    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    per_h = {model: metrics["per_horizon_rmse"]}
    per_h.update({n: b["per_horizon_rmse"] for n, b in metrics["baselines"].items()})
    plot_per_horizon(ax, per_h, model).set_title(title, color=colour, fontsize=9)
    save(fig, out / "per_horizon.png")

    diag = metrics.get("diagnostics")
    if diag:
        from forecast.evaluation.diagnostics import repeats_last_value

        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        repeats = repeats_last_value(diag)
        plot_lag(ax, diag["lag_rmse"], diag, model).set_title(
            "the forecast mostly repeats the last value"
            if repeats
            else f"{model}: which shift of the actual series does the forecast follow?",
            color="tab:red" if repeats else "black",
            fontsize=9,
        )
        save(fig, out / "lag.png")


MAX_POINTS = 4000  # per line of the test-period plot: more than its pixels across


def thin(n: int, limit: int | None = None) -> np.ndarray:
    """Evenly spaced indices of at most ``limit`` of ``n`` points (all of them when ``n`` is
    smaller), first and last included: a 150,000-origin test period draws as fast as a small
    one and looks the same at 110 dpi."""
    limit = MAX_POINTS if limit is None else limit
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype("int64"))


def save(fig, path: Path) -> None:
    """Save and close a figure."""
    fig.savefig(path, dpi=110)
    plt.close(fig)

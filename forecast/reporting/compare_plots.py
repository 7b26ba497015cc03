"""Plots of ``forecast compare``. Each ``plot_*`` takes an ``ax`` and returns it;
``save_compare_plots`` writes rmse_by_model.png, forecasts_overlay.png, loss_curves.png and
per_horizon_by_model.png. Agg backend only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.reporting.plots import BASELINE_STYLE, date_axis, plt, save

OVERLAY_WINDOWS = 120


def plot_rmse_by_model(ax, rows: list[dict]):
    """Bars of mean RMSE per model with each seed as a dot and the sd as an error bar, each
    model's combination with the linear baseline as a hatched bar beside it; the baselines as
    horizontal lines."""
    models = [r for r in rows if r["kind"] == "model"]
    combos = {r["model"].removesuffix("+linear"): r for r in rows if r["kind"] == "combination"}
    x = np.arange(len(models))
    width = 0.4 if combos else 0.8
    colours = ["tab:red" if r["loses_to_persistence"] else "tab:blue" for r in models]
    ax.bar(
        x,
        [r["rmse"] for r in models],
        width,
        yerr=[r["rmse_sd"] for r in models],
        capsize=4,
        color=colours,
        alpha=0.7,
    )
    for i, r in enumerate(models):
        ax.plot(np.full(len(r["rmse_by_seed"]), i), r["rmse_by_seed"], "k.", ms=5)
    paired = [(i, combos[r["model"]]) for i, r in enumerate(models) if r["model"] in combos]
    if paired:
        ax.bar(
            [i + width for i, _ in paired],
            [c["rmse"] for _, c in paired],
            width,
            yerr=[c["rmse_sd"] for _, c in paired],
            capsize=3,
            color="tab:green",
            alpha=0.5,
            hatch="//",
            label="+ linear (w fit on validation)",
        )
        x = x + width / 2
    for r in rows:
        if r["kind"] == "baseline":
            name = r["model"].split("(")[0]
            ax.axhline(
                r["rmse"],
                ls=BASELINE_STYLE.get(name, "--"),
                color="grey",
                lw=1.2,
                label=f"{r['model']} {r['rmse']:.3g}",
            )
    best = next((r["model"] for r in rows if r["best"]), "")
    ax.set_xticks(
        x,
        [
            r["model"] + (" *" if r["best"] or best == f"{r['model']}+linear" else "")
            for r in models
        ],
    )
    ax.set_ylabel("test RMSE (target units)")
    lows = [r["rmse"] for r in rows]
    ax.set_ylim(0.8 * min(lows), 1.1 * max(r["rmse"] + r["rmse_sd"] for r in rows))
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_forecasts_overlay(ax, times, actual, forecasts: dict[str, np.ndarray], step: int = 1):
    """Actual vs each model's step-``step`` forecast over a stretch of the test period."""
    ax.plot(times, actual, color="black", lw=1.5, label="actual")
    for name, values in forecasts.items():
        style = BASELINE_STYLE.get(name, "-")
        ax.plot(times, values, ls=style, lw=1, label=name)
    ax.legend(fontsize=8, ncol=4)
    return date_axis(ax)


def plot_loss_curves(ax, histories: dict[str, list[dict]]):
    """Validation loss per epoch of every model (one line per seed, one colour per model)."""
    for i, (name, hs) in enumerate(histories.items()):
        for k, h in enumerate(hs):
            epochs = np.arange(1, len(h["val_loss"]) + 1)
            ax.plot(
                epochs,
                h["val_loss"],
                color=f"C{i}",
                lw=1,
                alpha=0.8,
                label=name if k == 0 else None,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation MSE (scaled units)")
    ax.set_yscale("log")
    ax.legend()
    return ax


def plot_per_horizon_by_model(ax, rows: list[dict]):
    """Mean RMSE per horizon step for each model and baseline."""
    for r in rows:
        values = r["per_horizon_rmse"]
        steps = np.arange(1, len(values) + 1)
        is_model = r["kind"] == "model"
        style = "-" if is_model else BASELINE_STYLE.get(r["model"].split("(")[0], "--")
        ax.plot(
            steps,
            values,
            ls=style,
            marker="o" if is_model else None,
            ms=3,
            lw=1.5 if is_model else 1,
            color=None if is_model else "grey",
            label=r["model"],
        )
    ax.set_xlabel("horizon step")
    ax.set_ylabel("RMSE (target units)")
    ax.set_xticks(steps)
    ax.legend(fontsize=8)
    return ax


def save_compare_plots(out: Path, rows, results, prepared, baselines) -> None:
    """The four comparison PNGs into ``out``."""
    best = next(r["model"] for r in rows if r["best"])
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plot_rmse_by_model(ax, rows).set_title(f"test RMSE, mean ± sd over seeds (* best: {best})")
    save(fig, out / "rmse_by_model.png")

    p = prepared.prep
    ids = prepared.series_ids("test")  # --series: the last series only, never two joined
    keep = np.flatnonzero(ids == ids[-1])[-OVERLAY_WINDOWS:]
    starts = prepared.starts["test"][keep]
    times = np.asarray(prepared.series.frame.index)[starts + p.window]
    forecasts = {n: r.predicted[keep, 0] for n, r in results.items()}
    forecasts["persistence"] = baselines["persistence"][keep, 0]
    fig, ax = plt.subplots(figsize=(11, 4.5), layout="constrained")
    plot_forecasts_overlay(ax, times, prepared.actual("test")[keep, 0], forecasts)
    which = f" of {prepared.series_names[-1]}" if prepared.layout is not None else ""
    ax.set_title(
        f"{p.target}{which}: one-step-ahead forecasts, end of the test period (first seed)"
    )
    ax.set_ylabel(p.target)
    save(fig, out / "forecasts_overlay.png")

    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plot_loss_curves(ax, {n: r.histories for n, r in results.items()}).set_title("loss curves")
    save(fig, out / "loss_curves.png")

    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plot_per_horizon_by_model(ax, rows).set_title("RMSE per horizon step (mean over seeds)")
    save(fig, out / "per_horizon_by_model.png")

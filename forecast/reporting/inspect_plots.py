"""inspect.png: the target over time, its autocorrelation, its distribution and where values are
missing. Each plot function takes an ``ax`` and returns it."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecast.reporting.plots import date_axis, save

matplotlib.use("Agg")


MAX_POINTS = 20_000  # plot every k-th row of longer series


def plot_series(ax, values: pd.Series, name: str):
    """The target against time (subsampled to ``MAX_POINTS``)."""
    step = max(1, len(values) // MAX_POINTS)
    ax.plot(values.index[::step], values.to_numpy()[::step], color="black", lw=0.6)
    ax.set_title(f"{name}" + (f" (every {step}th row)" if step > 1 else ""), fontsize=10)
    return date_axis(ax)


def plot_acf(ax, acf: list[float], season: int, n_rows: int):
    """Autocorrelation by lag, the ±1.96/√n band, and the suggested season."""
    lags = np.arange(len(acf))
    ax.vlines(lags, 0, acf, color="tab:blue", lw=1)
    band = 1.96 / np.sqrt(max(n_rows, 1))
    ax.axhspan(-band, band, color="grey", alpha=0.2, lw=0)
    if 0 < season < len(acf):
        ax.axvline(season, color="tab:red", ls="--", lw=1, label=f"season {season}")
        ax.legend(fontsize=8)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("lag (rows)")
    ax.set_title("autocorrelation", fontsize=10)
    return ax


def plot_distribution(ax, values: pd.Series, name: str):
    """Histogram of the target's values."""
    ax.hist(values.dropna().to_numpy(), bins=50, color="tab:blue", alpha=0.8)
    ax.set_title(f"distribution of {name}", fontsize=10)
    return ax


def plot_missing(ax, frame: pd.DataFrame):
    """Missing cells: one row per column, dark where a value is missing."""
    mask = frame.isna().to_numpy().T.astype("float32")
    step = max(1, mask.shape[1] // 2000)
    if step > 1:  # any missing value in each block of rows
        cut = mask[:, : mask.shape[1] // step * step]
        mask = cut.reshape(mask.shape[0], -1, step).max(axis=2)
    ax.imshow(mask, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(frame.columns)), [str(c) for c in frame.columns], fontsize=7)
    ax.set_xlabel("row" + (f" (blocks of {step})" if step > 1 else ""))
    ax.set_title(f"missing values ({int(frame.isna().sum().sum())} cells)", fontsize=10)
    return ax


def save_inspect_png(path: Path, frame: pd.DataFrame, facts: dict) -> None:
    """The four panels of ``forecast inspect`` into ``path``."""
    target = facts["target"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), layout="constrained")
    plot_series(axes[0, 0], frame[target], target)
    plot_acf(axes[0, 1], facts["autocorrelation"], facts["season"], facts["rows"])
    plot_distribution(axes[1, 0], frame[target], target)
    plot_missing(axes[1, 1], frame)
    save(fig, path)

"""future.png: the forecast past the data's end with its intervals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data.io import Series


def save_future_plot(
    path: Path, history: pd.Series, table: pd.DataFrame, target: str, model: str, widths=None
) -> None:
    import matplotlib.pyplot as plt

    from forecast.reporting.plots import date_axis, save, shade_bands

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


def save_series_future_plot(path: Path, series: Series, table, prep, config, widths) -> None:
    """A grid of the first ``plots.GRID_SERIES`` series: recent history and the forecast."""
    import matplotlib.pyplot as plt

    from forecast.reporting.plots import GRID_SERIES, date_axis, save, shade_bands

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

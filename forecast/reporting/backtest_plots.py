"""``forecast backtest`` for people: backtest.png (the series with its test blocks shaded, RMSE per
fold per forecaster), the terminal table and the one-line verdict. Agg backend only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.reporting.plots import date_axis, plt, save
from forecast.reporting.tables import fixed_width


def forecasters(result: dict) -> dict[str, list[float]]:
    """RMSE per fold of the model, then of each baseline."""
    records = result["folds"]
    out = {result["model"]: [r["rmse"] for r in records]}
    for name in records[0]["baselines"]:
        out.setdefault(name, [r["baselines"][name]["rmse"] for r in records])
    return out


def shade_folds(ax, index, target: np.ndarray, folds: list[dict]) -> None:
    """The target on ``ax`` with each fold's test block shaded and numbered (fold records with
    ``fold``, ``test_start``, ``test_end``: timestamps, or row numbers without a time index)."""
    ax.plot(index, target, lw=0.7, color="0.3")
    for r in folds:
        start, end = (pd.Timestamp(r[k]) for k in ("test_start", "test_end"))
        if not isinstance(index, pd.DatetimeIndex):
            start, end = (int(r[k]) for k in ("test_start", "test_end"))
        ax.axvspan(start, end, color=f"C{(r['fold'] - 1) % 10}", alpha=0.25)
        ax.text(start, 1.0, f" {r['fold']}", transform=ax.get_xaxis_transform(), va="top")
    date_axis(ax)


def plot_backtest(path: Path, index, target: np.ndarray, result: dict) -> None:
    """backtest.png: the target with each fold's test block shaded, and grouped bars of RMSE per
    fold per forecaster."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7))
    shade_folds(top, index, target, result["folds"])
    top.set_title(f"{len(result['folds'])} test blocks of {result['fold_size']} rows (shaded)")
    series = forecasters(result)
    folds = np.arange(1, len(result["folds"]) + 1)
    width = 0.8 / len(series)
    for i, (name, rmse) in enumerate(series.items()):
        bottom.bar(folds + (i - (len(series) - 1) / 2) * width, rmse, width, label=name)
    bottom.set_xticks(folds)
    bottom.set_xlabel("fold")
    bottom.set_ylabel("RMSE")
    bottom.legend(fontsize=8, ncols=min(len(series), 4))
    bottom.set_title(f"RMSE per fold ({result['model']}, refit {result['refit']})")
    fig.tight_layout()
    save(fig, path)


def backtest_table(result: dict) -> str:
    """Fold × forecaster RMSE for the terminal, with the mean ± sd over the folds."""
    series = forecasters(result)
    header = ["forecaster", *(f"fold {k}" for k in range(1, len(result["folds"]) + 1))]
    header.append("mean ± sd")
    rows = [header]
    for name, rmse in series.items():
        sd = float(np.std(rmse, ddof=1)) if len(rmse) > 1 else 0.0
        rows.append([name, *(f"{x:.4g}" for x in rmse), f"{np.mean(rmse):.4g} ± {sd:.2g}"])
    lines = [fixed_width(rows, {0})]
    coverage = [r["coverage_80"] for r in result["folds"]]
    lines.append(f"80 % interval coverage per fold: {', '.join(f'{c:.0%}' for c in coverage)}")
    return "\n".join(lines)


def p_text(p) -> str:
    """``0.0123``, or ``n/a`` when there was no test."""
    return "n/a" if p is None else f"{p:.3g}"


def backtest_verdict(result: dict) -> str:
    """``verdict: gru beats persistence on 5 of 5 folds and linear on 3 of 5 (pooled DM p …)``."""
    s = result["summary"]
    sig = s["significance"]
    return (
        f"verdict: {result['model']} beats persistence on {s['wins_vs_persistence']} folds and "
        f"linear on {s['wins_vs_linear']} (pooled DM p {p_text(sig['vs_persistence']['p_value'])} "
        f"vs persistence, {p_text(sig['vs_linear']['p_value'])} vs linear)"
    )

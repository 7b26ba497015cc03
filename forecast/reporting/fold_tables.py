"""``compare --folds`` for people: the fold × forecaster table (terminal and markdown), the
verdict, and folds_rmse.png. Agg backend only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.evaluation.comparison import ALPHA
from forecast.reporting.backtest_plots import p_text, shade_folds
from forecast.reporting.plots import plt, save
from forecast.reporting.tables import fixed_width, markdown, marks


def fold_cells(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Header and body: RMSE per fold, mean ± sd, wins and pooled DM p-values, marks."""
    k = len(rows[0]["fold_rmse"])
    header = ["model", *(f"fold {i}" for i in range(1, k + 1)), "mean ± sd"]
    header += ["wins vs pers.", "wins vs linear", "p vs pers.", "p vs linear", "note"]
    body = []
    for r in rows:
        body.append(
            [
                r["model"],
                *(f"{x:.4g}" for x in r["fold_rmse"]),
                f"{r['rmse_mean']:.4g} ± {r['rmse_sd']:.2g}",
                "-" if r["model"] == "persistence" else r["wins_vs_persistence"],
                "-" if r["model"] == "linear" else r["wins_vs_linear"],
                "-" if r["model"] == "persistence" else p_text(r["dm_p_vs_persistence"]),
                "-" if r["model"] == "linear" else p_text(r["dm_p_vs_linear"]),
                marks(r),
            ]
        )
    return header, body


def fold_text_table(rows: list[dict]) -> str:
    """The fold comparison for the terminal, fixed width."""
    header, body = fold_cells(rows)
    return fixed_width([header, *body], {0, len(header) - 1})


def fold_markdown_table(rows: list[dict]) -> str:
    return markdown(*fold_cells(rows))


def against(row: dict, name: str) -> str:
    """``wins 4 of 5 folds vs persistence (pooled DM p 0.003: better)``."""
    p, stat = row[f"dm_p_vs_{name}"], row[f"dm_stat_vs_{name}"]
    if p is None or stat is None:
        sense = "no test"
    elif p >= ALPHA:
        sense = "not significant"
    else:
        sense = "better" if stat < 0 else "worse"
    return f"wins {row[f'wins_vs_{name}']} folds vs {name} (pooled DM p {p_text(p)}: {sense})"


def fold_verdict(rows: list[dict]) -> str:
    """The best row, then for every architecture the folds it wins against persistence and
    linear and the pooled Diebold–Mariano answer (better / worse / not significant)."""
    best = next(r for r in rows if r["best"])
    k = len(best["fold_rmse"])
    near = [r["model"] for r in rows if r["near_best"]]
    tie = f"; not significantly better than {', '.join(near)}" if near else ""
    lines = [
        f"verdict over {k} folds: best is {best['model']} (mean RMSE {best['rmse_mean']:.4g}{tie})"
    ]
    for r in rows:
        if r["kind"] == "model":
            lines.append(f"  {r['model']}: {against(r, 'persistence')}; {against(r, 'linear')}")
    return "\n".join(lines)


def plot_fold_comparison(path: Path, index, target: np.ndarray, folds: list[dict], rows) -> None:
    """folds_rmse.png: the target with each fold's test block shaded, and RMSE per fold per
    forecaster (models solid, baselines dashed)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7))
    shade_folds(top, index, target, folds)
    top.set_title(f"{len(folds)} test blocks (shaded); each fold trains on the rows before it")
    ks = np.arange(1, len(folds) + 1)
    for r in rows:
        style = "-o" if r["kind"] == "model" else "--s"
        label = f"{r['model']} ({r['rmse_mean']:.3g})" + (" BEST" if r["best"] else "")
        bottom.plot(ks, r["fold_rmse"], style, lw=2.2 if r["best"] else 1.2, ms=4, label=label)
    bottom.set_xticks(ks)
    bottom.set_xlabel("fold")
    bottom.set_ylabel("test RMSE")
    bottom.set_title("RMSE per fold (legend: mean over folds); lower is better")
    bottom.legend(fontsize=8, ncols=min(len(rows), 4))
    fig.tight_layout()
    save(fig, path)

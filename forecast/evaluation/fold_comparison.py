"""The rows of ``compare --folds``: every forecaster's RMSE per fold, mean ± sd over folds and
seeds, the folds it wins against persistence and the linear baseline, and Diebold–Mariano tests
on all folds' origins pooled — against persistence, linear and the best row (BEST / ≈ BEST).

Pure functions of backtest results: ``parts`` maps a row name (``gru``, ``gru-seg7``) to one
``(record list, pooled losses)`` pair per seed, every seed scored on the same folds and origins.
"""

from __future__ import annotations

import numpy as np

from forecast.evaluation.comparison import ALPHA
from forecast.evaluation.significance import dm_test

BASELINE_ORDER = ("persistence", "seasonal_naive", "linear")


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample sd (0 for one value)."""
    a = np.asarray(values, dtype="float64").ravel()
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def model_row(name: str, seeds: list[tuple[list[dict], dict]]) -> tuple[dict, np.ndarray]:
    """One architecture's row (its per-fold RMSE averaged over seeds) and its per-origin losses
    averaged over seeds."""
    per_seed = np.array([[r["rmse"] for r in records] for records, _ in seeds])
    rmse, sd = mean_sd(per_seed)
    row = {
        "model": name,
        "kind": "model",
        "seeds": len(seeds),
        "fold_rmse": [float(x) for x in per_seed.mean(axis=0)],
        "rmse_mean": rmse,
        "rmse_sd": sd,
    }
    return row, np.mean([losses["model"] for _, losses in seeds], axis=0)


def baseline_rows(records: list[dict], losses: dict) -> list[tuple[dict, np.ndarray]]:
    """The baselines' rows from one part's folds (every part scores them on the same blocks)."""
    names = [n for n in BASELINE_ORDER if n in records[0]["baselines"]]
    names += [n for n in records[0]["baselines"] if n not in names]
    out = []
    for name in names:
        fold_rmse = [float(r["baselines"][name]["rmse"]) for r in records]
        rmse, sd = mean_sd(fold_rmse)
        row = {"model": name, "kind": "baseline", "seeds": 0, "fold_rmse": fold_rmse}
        out.append(({**row, "rmse_mean": rmse, "rmse_sd": sd}, losses[name]))
    return out


def wins(row: dict, against: dict) -> str:
    """``"3 of 5"``: the folds where ``row``'s RMSE is below ``against``'s."""
    k = sum(a < b for a, b in zip(row["fold_rmse"], against["fold_rmse"], strict=True))
    return f"{k} of {len(row['fold_rmse'])}"


def fold_comparison_rows(parts: dict[str, list[tuple[list[dict], dict]]], horizon: int) -> list:
    """Model rows (in ``parts`` order), then the baselines, each with wins, pooled DM p-values and
    the BEST / ≈ BEST / loses-to-persistence marks.

    Args:
        parts: row name → one ``(fold records, pooled per-origin losses by forecaster)`` per
            seed; the losses hold ``model`` and every baseline.
        horizon: the forecast horizon (the overlap of forecasts in the DM variance).
    """
    rows = [model_row(name, seeds) for name, seeds in parts.items()]
    first_records, first_losses = next(iter(parts.values()))[0]
    rows += baseline_rows(first_records, first_losses)
    by_name = {row["model"]: (row, loss) for row, loss in rows}
    best = min((row for row, _ in rows), key=lambda r: r["rmse_mean"])["model"]
    for row, loss in rows:
        for name in ("persistence", "linear"):
            other, other_loss = by_name[name]
            row[f"wins_vs_{name}"] = wins(row, other)
            test = dm_test(loss, other_loss, horizon).to_dict()
            row[f"dm_stat_vs_{name}"] = test["dm_stat"]
            row[f"dm_p_vs_{name}"] = test["p_value"]
        p = dm_test(loss, by_name[best][1], horizon).to_dict()["p_value"]
        row["dm_p_vs_best"] = p
        row["best"] = row["model"] == best
        row["near_best"] = bool(not row["best"] and p is not None and p >= ALPHA)
        persistence = by_name["persistence"][0]["rmse_mean"]
        row["loses_to_persistence"] = row["model"] != "persistence" and (
            row["rmse_mean"] >= persistence
        )
        row["rmse_pooled"] = float(np.sqrt(np.mean(loss)))
    return [row for row, _ in rows]

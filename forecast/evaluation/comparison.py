"""The rows of a comparison: per architecture (and its combination with the linear baseline)
mean ± sd over seeds, the baselines, the best row and Diebold–Mariano tests against it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.config import FitOptions
from forecast.evaluation import metrics as ev
from forecast.evaluation.significance import dm_test, origin_losses
from forecast.evaluation.verdict import best_row, rows_metric

ALPHA = 0.05  # significance level of "not significantly different from the best"


@dataclass
class ModelRuns:
    """Every seed of one architecture: metrics, histories, the first seed's forecast and every
    seed's per-origin test losses ``(n_windows,)``."""

    name: str
    metrics: list[dict] = field(default_factory=list)
    histories: list[dict] = field(default_factory=list)
    predicted: np.ndarray | None = None
    losses: list[np.ndarray] = field(default_factory=list)
    combined_losses: list[np.ndarray] = field(default_factory=list)  # w·model + (1-w)·linear


def mean_sd(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype="float64")
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def baseline_label(name: str, scores: dict) -> str:
    """``seasonal_naive`` → ``seasonal_naive(7)``: the row name of a baseline."""
    return f"{name}({scores['season']})" if "season" in scores else name


def row_losses(
    results: dict[str, ModelRuns], actual: np.ndarray, baselines: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-origin test losses ``(n_windows,)`` by model or baseline name: a model's are averaged
    over its seeds (the expected loss of one training run, matching the row's mean-over-seeds
    RMSE); a baseline's are its own."""
    out = {name: np.mean(r.losses, axis=0) for name, r in results.items()}
    out.update(
        {
            f"{name}+linear": np.mean(r.combined_losses, axis=0)
            for name, r in results.items()
            if r.combined_losses
        }
    )
    out.update({name: origin_losses(actual, b) for name, b in baselines.items()})
    return out


def add_significance(rows: list[dict], losses: dict[str, np.ndarray], options) -> None:
    """Set ``dm_p_vs_best``, ``dm_p_vs_persistence`` and ``near_best`` (not significantly
    different from the best row at ``ALPHA``) on every row, in place.

    Args:
        rows: comparison rows, one marked ``best``.
        losses: per-origin losses by model or bare baseline name (``seasonal_naive`` for the
            row ``seasonal_naive(7)``).
        options: for the horizon (the overlap of the forecasts in the DM variance).
    """

    def of(row: dict) -> np.ndarray:
        return losses[row["model"].split("(")[0]]

    best = next(r for r in rows if r["best"])
    persistence = next(r for r in rows if r["model"] == "persistence")
    for r in rows:
        vs_best = dm_test(of(r), of(best), options.horizon).to_dict()["p_value"]
        vs_pers = dm_test(of(r), of(persistence), options.horizon).to_dict()["p_value"]
        r["dm_p_vs_best"] = vs_best
        r["dm_p_vs_persistence"] = vs_pers
        r["near_best"] = bool(not r["best"] and vs_best is not None and vs_best >= ALPHA)


def comparison_rows(results: dict[str, ModelRuns], linear_model, options: FitOptions) -> list[dict]:
    """One row per architecture (mean ± sd over seeds), then one per baseline; the best row
    (models AND baselines: the true winner) and models' losses to persistence marked."""
    first = next(iter(results.values())).metrics[0]
    base = first["baselines"]
    persistence = base["persistence"]["rmse"]
    rows = []
    for name, r in results.items():
        ms = r.metrics
        rmse, rmse_sd = mean_sd([m["rmse"] for m in ms])
        mae, mae_sd = mean_sd([m["mae"] for m in ms])
        rows.append(
            {
                "model": name,
                "kind": "model",
                "seeds": len(ms),
                "rmse": rmse,
                "rmse_sd": rmse_sd,
                "mae": mae,
                "mae_sd": mae_sd,
                "skill_vs_persistence": ev.skill(rmse, persistence),
                "params": ms[0]["params"],
                "seconds_per_epoch": mean_sd([m["seconds_per_epoch"] for m in ms])[0],
                "train_samples_per_second": mean_sd([m["train_samples_per_second"] for m in ms])[0],
                "latency_ms_per_window": 1000
                * mean_sd([m["latency_seconds_per_window"] for m in ms])[0],
                "epochs_to_converge": mean_sd([m["best_epoch"] for m in ms])[0],
                "coverage_80": mean_sd([m["coverage_80"] for m in ms])[0],
                "coverage_95": mean_sd([m["coverage_95"] for m in ms])[0],
                "per_horizon_rmse": np.mean([m["per_horizon_rmse"] for m in ms], axis=0).tolist(),
                "rmse_by_seed": [m["rmse"] for m in ms],
                "loses_to_persistence": bool(rmse >= persistence),
                "best": False,
                **headline_means(ms),
            }
        )
    rows += combination_rows(results, persistence)
    for name, scores in base.items():
        label = baseline_label(name, scores)
        rows.append(
            {
                "model": label,
                "kind": "baseline",
                "seeds": 1 if name in ("linear", "gbm") else 0,
                "rmse": scores["rmse"],
                "rmse_sd": 0.0,
                "mae": scores["mae"],
                "mae_sd": 0.0,
                "skill_vs_persistence": ev.skill(scores["rmse"], persistence),
                "params": int(linear_model.count_params()) if name == "linear" else 0,
                "per_horizon_rmse": scores["per_horizon_rmse"],
                "loses_to_persistence": bool(
                    name != "persistence" and scores["rmse"] >= persistence
                ),
                "best": False,
                **headline_means([scores]),
            }
        )
    return mark_best(rows)


def headline_means(scored: list[dict]) -> dict:
    """--series: ``mean_mase`` and ``mean_smape`` (each series' own, averaged over the series;
    mean over seeds) of a row from its runs' (or a baseline's) scores; ``{}`` without them."""
    if not all("mean_mase" in s for s in scored):
        return {}
    return {k: mean_sd([s[k] for s in scored])[0] for k in ("mean_mase", "mean_smape")}


def mark_best(rows: list[dict]) -> list[dict]:
    """Mark the verdict's choice ``best`` (the lowest RMSE; a ``--series`` comparison: the
    lowest mean MASE; ties to the simpler forecaster). On the mean MASE, ``loses_to_persistence``
    is judged on it too."""
    metric = rows_metric(rows)
    if metric != "rmse":
        persistence = next(r for r in rows if r["model"] == "persistence")[metric]
        for r in rows:
            r["loses_to_persistence"] = r["model"] != "persistence" and r[metric] >= persistence
    best_row(rows, metric)["best"] = True
    return rows


def combination_rows(results: dict[str, ModelRuns], persistence: float) -> list[dict]:
    """One row per architecture with ``--combine linear``: ``w·model + (1 − w)·linear`` (``w``
    fit on validation per run), RMSE and MAE mean ± sd over seeds."""
    rows = []
    for name, r in results.items():
        combos = [m["combination"] for m in r.metrics if "combination" in m]
        if not combos:
            continue
        rmse, rmse_sd = mean_sd([c["rmse"] for c in combos])
        mae, mae_sd = mean_sd([c["mae"] for c in combos])
        rows.append(
            {
                "model": f"{name}+linear",
                "kind": "combination",
                "seeds": len(combos),
                "rmse": rmse,
                "rmse_sd": rmse_sd,
                "mae": mae,
                "mae_sd": mae_sd,
                "skill_vs_persistence": ev.skill(rmse, persistence),
                "weight": mean_sd([c["weight"] for c in combos])[0],
                "per_horizon_rmse": np.mean([c["per_horizon_rmse"] for c in combos], 0).tolist(),
                "loses_to_persistence": bool(rmse >= persistence),
                "best": False,
                **headline_means(combos),
            }
        )
    return rows


def series_rmse(results: dict[str, ModelRuns]) -> dict:
    """--series: ``series`` (column, names), ``per_series: {series: {model: RMSE mean over
    seeds, persistence: …, linear: …}}`` and the runs' ``headline`` (what ``mean_mase`` is);
    ``{}`` for a single series."""
    first = next(iter(results.values())).metrics[0]
    if "per_series" not in first:
        return {}
    table = {}
    for series, scores in first["per_series"].items():
        row = {
            n: float(np.mean([m["per_series"][series]["rmse"] for m in r.metrics]))
            for n, r in results.items()
        }
        row.update({b: s["rmse"] for b, s in scores["baselines"].items()})
        table[series] = row
    return {"series": first["series"], "per_series": table, "headline": first.get("headline")}

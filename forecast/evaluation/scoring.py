"""metrics.json scores: the model and every baseline on the same test windows."""

from __future__ import annotations

import numpy as np

from forecast.data.prepared import Prepared
from forecast.data.preprocess import (
    Preprocessing,
)
from forecast.evaluation import metrics as ev


def score_all(prepared: Prepared, predicted: np.ndarray, baselines: dict[str, np.ndarray]) -> dict:
    """metrics.json body (without training facts): the model and every baseline on the test
    windows, and the skill against persistence."""
    actual = prepared.lazy_actual("test")
    scored = score_windows(actual, predicted, baselines, prepared.naive_scale(), prepared.prep)
    if prepared.layout is not None:
        scored["per_series"] = score_per_series(prepared, actual, predicted, baselines)
        add_headline(prepared, scored)
    reference = scored["baselines"].get("naive2")
    if reference is not None:
        for scores in (scored, *scored["baselines"].values()):
            scores["owa"] = owa(scores, reference)
    return scored


def owa(scores: dict, naive2: dict) -> float:
    """M4's overall weighted average relative to Naive2: ``(sMAPE / sMAPE_Naive2 + MASE /
    MASE_Naive2) / 2``, from the means over series (``mean_smape``, ``mean_mase``) for several
    series, from ``smape`` and ``mae`` for one (its MASE ratio is its MAE ratio: one scale)."""
    from forecast.evaluation.m4 import owa as m4_owa

    if "mean_mase" in naive2:
        keys = ("mean_smape", "mean_mase")
    else:
        keys = ("smape", "mae")
    if not all(k in scores for k in keys):
        return float("nan")
    return m4_owa(scores[keys[0]], scores[keys[1]], naive2[keys[0]], naive2[keys[1]])


def score_windows(actual, predicted, baselines: dict, scale: float, prep: Preprocessing) -> dict:
    """Scores of the model and every baseline on the same ``(n_windows, horizon)`` windows."""
    model_scores = ev.scores(actual, predicted, scale)
    baseline_scores = {name: ev.scores(actual, b, scale) for name, b in baselines.items()}
    baseline_scores["seasonal_naive"]["season"] = prep.season
    persistence_rmse = baseline_scores["persistence"]["rmse"]
    skill = ev.skill(model_scores["rmse"], persistence_rmse)
    return {
        **model_scores,
        "n_test_windows": int(len(actual)),
        "baselines": baseline_scores,
        "skill_vs_persistence": skill,
        "beats_persistence": bool(skill > 0),
    }


def evidence(actual, predicted, baselines: dict) -> dict:
    """metrics.json ``significance`` (Diebold–Mariano against persistence and, when present, the
    linear and gradient-boosting baselines) and ``diagnostics`` (does the forecast repeat the last
    value?) of a test forecast."""
    from forecast.evaluation.diagnostics import diagnose
    from forecast.evaluation.significance import versus_baselines

    return {
        "significance": versus_baselines(actual, predicted, baselines),
        "diagnostics": diagnose(actual, predicted, baselines["persistence"][:, 0]),
    }


def score_per_series(prepared: Prepared, actual, predicted, baselines: dict) -> dict:
    """metrics.json ``per_series``: ``{name: {rmse, mae, smape, mase, skill_vs_persistence,
    baselines, significance, ...}}`` on each series' own test windows, MASE against its own
    training rows; ``significance`` holds the Diebold–Mariano test against persistence."""
    from forecast.evaluation.significance import versus_baselines

    ids = prepared.series_ids("test")
    out = {}
    for k, name in enumerate(prepared.series_names):
        mine = ids == k
        theirs = {n: b[mine] for n, b in baselines.items()}
        out[name] = score_windows(
            actual[mine], predicted[mine], theirs, prepared.naive_scale(k), prepared.prep
        )
        # consecutive origins of one series: the h-step overlap the DM variance allows for
        out[name]["significance"] = versus_baselines(
            actual[mine], predicted[mine], theirs, names=("persistence",)
        )
    return out


HEADLINE = "mean_mase"  # what decides a --series run's verdict and compare's BEST


def seasonal_scales(prepared: Prepared) -> list[float]:
    """--series: each series' MASE denominator as M4 defines it, the mean ``|x_t − x_{t−m}|`` over
    its own training rows, ``m`` = the run's season (``forecast.evaluation.m4.seasonal_scale``)."""
    from forecast.evaluation.m4 import seasonal_scale

    bounds, season = prepared.layout.bounds, prepared.prep.season
    return [
        seasonal_scale(prepared.target[bounds[k] : bounds[k] + part.train_end], season)
        for k, part in enumerate(prepared.parts)
    ]


def scaled(mae: float, scale: float) -> float:
    """One series' MASE: its MAE over its scale (NaN when the scale is 0 or undefined)."""
    return mae / scale if scale > 0 else float("nan")


def means(mases: list[float], smapes: list[float]) -> dict:
    """``{mean_mase, mean_smape}`` over the series (a series whose scale is 0 or undefined is left
    out of the MASE mean; NaN when none is left)."""
    finite = [m for m in mases if np.isfinite(m)]
    return {
        "mean_mase": float(np.mean(finite)) if finite else float("nan"),
        "mean_smape": float(np.mean(smapes)),
    }


def add_headline(prepared: Prepared, scored: dict) -> None:
    """--series: the scale-free headline, in place. Every ``per_series`` entry (and its baselines)
    gets ``mase_seasonal`` (its MAE over ``seasonal_scale``, also recorded), the model and every
    baseline get ``mean_mase`` and ``mean_smape`` (the per-series values averaged, every series
    alike), and ``scored["headline"]`` says what they are. The pooled scores stay as they are."""
    per = list(scored["per_series"].values())
    for entry, scale in zip(per, seasonal_scales(prepared), strict=True):
        entry["seasonal_scale"] = scale
        for scores in (entry, *entry["baselines"].values()):
            scores["mase_seasonal"] = scaled(scores["mae"], scale)
    scored.update(means([e["mase_seasonal"] for e in per], [e["smape"] for e in per]))
    for name, scores in scored["baselines"].items():
        mine = [e["baselines"][name] for e in per]
        scores.update(means([s["mase_seasonal"] for s in mine], [s["smape"] for s in mine]))
    scored["headline"] = {
        "metric": HEADLINE,
        "scale": f"seasonal naive, m={prepared.prep.season}, training rows",
        "season": prepared.prep.season,
        "n_series": len(per),
        "pooled": "rmse, mae, smape and mase at the top level and in baselines pool every "
        "series' test windows in the target's units (mase there: one-step naive scale); "
        "mean_mase and mean_smape average the per-series scores",
    }


def series_means(prepared: Prepared, actual, forecast) -> dict:
    """--series: ``{mean_mase, mean_smape}`` of one ``(n_windows, horizon)`` test forecast (the
    combination's: the model's and the baselines' come from ``add_headline``)."""
    ids = prepared.series_ids("test")
    actual, forecast = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    mases, smapes = [], []
    for k, scale in enumerate(seasonal_scales(prepared)):
        a, f = actual[ids == k], forecast[ids == k]
        mases.append(scaled(ev.mae(a, f), scale))
        smapes.append(ev.smape(a, f))
    return means(mases, smapes)

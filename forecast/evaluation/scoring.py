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
    return scored


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

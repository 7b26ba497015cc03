"""The model combined with the linear baseline: ``w·model + (1 − w)·linear``, with ``w`` fit on
the validation windows (least squares, clipped to [0, 1]) and the test split only scored.

A recurrent model and a ridge regression on the same windows make different errors; their
average is often better than either (forecast combination, Bates & Granger 1969). The weight is
one number chosen on validation, so the combination is a forecaster of its own: it gets its own
row, its own Diebold–Mariano tests against persistence, the linear baseline and the model, and the
verdict names it when it wins.
"""

from __future__ import annotations

import numpy as np

from forecast.data.windows import WindowArray, blocks_of
from forecast.evaluation import metrics as ev

COMBINE_WITH = ("none", "linear")


def combination_weight(actual, model, linear) -> float:
    """``w`` in [0, 1] minimising the squared error of ``w·model + (1 − w)·linear`` on these
    ``(n_windows, horizon)`` windows (the validation windows): ``<m − l, y − l> / |m − l|²``,
    summed a block of origins at a time (arrays or ``WindowArray``s)."""
    numerator = denominator = 0.0
    for _, (a, m, lin) in blocks_of(actual, model, linear):
        a, m, lin = (np.asarray(x, dtype="float64") for x in (a, m, lin))
        diff = m - lin
        denominator += float(np.sum(diff * diff))
        numerator += float(np.sum(diff * (a - lin)))
    if not np.isfinite(denominator) or denominator == 0.0:
        return 1.0  # identical forecasts: any weight gives the same combination
    return float(np.clip(numerator / denominator, 0.0, 1.0))


def combined(model, linear, weight: float) -> np.ndarray:
    """``(n_windows, horizon)`` ``weight·model + (1 − weight)·linear``."""
    return weight * np.asarray(model, dtype="float64") + (1 - weight) * np.asarray(
        linear, dtype="float64"
    )


def label(model: str, weight: float) -> str:
    """The combination's row name, e.g. ``gru+linear(w=0.62)``."""
    return f"{model}+linear(w={weight:.2f})"


def combination_section(actual, model, baselines: dict, weight: float, scale: float) -> dict:
    """metrics.json ``combination``: the weight, the scores of the combined test forecast and its
    Diebold–Mariano tests against persistence, the linear baseline and the model alone.

    ``actual``, ``model`` and the baselines are ``(n_windows, horizon)`` arrays or
    ``WindowArray``s; the combined forecast is made a block of origins at a time (at 1 M rows it
    and its temporaries were the fit's peak memory)."""
    from forecast.evaluation.significance import dm_forecasts, versus_baselines

    linear = baselines["linear"]
    forecast = WindowArray(np.shape(actual), lambda i: combined(model[i], linear[i], weight))
    scores = ev.scores(actual, forecast, scale)
    persistence = ev.scores(actual, baselines["persistence"], scale)["rmse"]
    significance = versus_baselines(actual, forecast, baselines)
    significance["vs_model"] = dm_forecasts(actual, forecast, model).to_dict()
    return {
        "with": "linear",
        "weight": weight,
        "chosen_on": "validation",
        **scores,
        "skill_vs_persistence": ev.skill(scores["rmse"], persistence),
        "significance": significance,
    }

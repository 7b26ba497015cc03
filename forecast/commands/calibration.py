"""What ``update`` needs from the fit: the scored model's validation residuals (the conformal
calibration set and the error scale the drift test standardises by) and where fit's adaptive
conformal intervals ended after the test outcomes.

Recomputed from the saved model and the rows the run was fit on (the same split, so the same
windows as in fit) rather than stored: a forecast over the validation and test windows takes a
second, where storing every residual of a many-series run would take tens of megabytes of JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.data.io import Series
from forecast.data.prepared import reprepare
from forecast.data.preprocess import Preprocessing
from forecast.evaluation.intervals import (
    ACI_GAMMA,
    LEVELS,
    abs_residuals,
    aci_run,
    level_key,
)
from forecast.training.inference import predict_part


@dataclass
class Calibration:
    """Per series name (``None`` for one series).

    Attributes:
        ordered: ``(n_val, horizon)`` absolute validation residuals, sorted per step.
        scale: ``(horizon,)`` standard deviation of the validation residuals per step.
        alpha: ``{"80": (horizon,), "95": ...}`` adaptive conformal levels after the test
            outcomes (where fit's intervals ended).
    """

    ordered: dict
    scale: dict
    alpha: dict


CACHE: dict = {}  # (model file identity, rows digest) -> Calibration, within one process


def calibrate(model, prep: Preprocessing, fitted: Series, identity: tuple = ()) -> Calibration:
    """The calibration of the scored ``model`` from the rows it was fit on (the same model file
    and rows give the same calibration: reused within a process when ``identity`` names it).

    Args:
        model: the run's scored model.keras.
        prep: the run's preprocessing.
        fitted: the rows the run was fit on (``forecast.data.continuation.through`` its last).
        identity: ``saving.file_identity`` of the model file.
    """
    key = (identity, digest(fitted)) if identity else None
    if key is not None and key in CACHE:
        return CACHE[key]
    result = compute(model, prep, fitted)
    if key is not None:
        CACHE.clear()  # one run at a time is updated
        CACHE[key] = result
    return result


def digest(series: Series) -> str:
    """A digest of the rows' times and values."""
    import hashlib

    h = hashlib.sha256(np.ascontiguousarray(series.frame.to_numpy()).tobytes())
    h.update(str(list(series.frame.index[[0, -1]])).encode())
    if series.layout is not None:
        h.update(str(series.layout).encode())
    return h.hexdigest()


def compute(model, prep: Preprocessing, fitted: Series) -> Calibration:
    """``calibrate`` without the cache."""
    prepared = reprepare(fitted, prep)
    val_a, val_p = prepared.actual("val"), predict_part(model, prepared, "val")
    test_a, test_p = prepared.actual("test"), predict_part(model, prepared, "test")
    names = prepared.series_names or [None]
    val_ids, test_ids = prepared.series_ids("val"), prepared.series_ids("test")
    ordered, scale, alpha = {}, {}, {level_key(lv): {} for lv in LEVELS}
    for k, name in enumerate(names):
        signed = np.asarray(val_a[val_ids == k], "float64") - val_p[val_ids == k]
        ordered[name] = np.sort(np.abs(signed), axis=0)
        scale[name] = signed.std(axis=0, ddof=1) if len(signed) > 1 else np.abs(signed[0])
        test_res = abs_residuals(test_a[test_ids == k], test_p[test_ids == k])
        for lv in LEVELS:
            _, end = aci_run(ordered[name], test_res, lv, ACI_GAMMA)
            alpha[level_key(lv)][name] = end
    return Calibration(ordered, scale, alpha)

"""Forecasts of a trained model for every origin of a part, in the target's original units."""

from __future__ import annotations

import numpy as np

from forecast.data.prepared import Prepared
from forecast.data.windows import WindowArray

PREDICT_BATCH = 1024


def predict_part(model, prepared: Prepared, part: str = "test") -> np.ndarray:
    """``(n_windows, horizon)`` forecasts of ``part`` in the target's original units."""
    return np.asarray(predict_lazy(model, prepared, part))


def predict_lazy(model, prepared: Prepared, part: str = "test") -> WindowArray:
    """``predict_part`` holding only the model's float32 output (half of the float64 forecasts);
    each selection of origins is converted to float64 and unscaled when read, with the same
    values as ``predict_part``. A part without origins (no test rows: ``--split auto,VAL,0``)
    gives ``(0, horizon)`` without calling the model (Keras cannot predict an empty dataset)."""
    if len(prepared.starts[part]) == 0:
        empty = np.empty((0, prepared.prep.horizon))
        return WindowArray(empty.shape, lambda i: empty[i])
    ds = prepared.dataset(part, PREDICT_BATCH, with_targets=False)
    scaled = np.asarray(model.predict(ds, verbose=0))
    return WindowArray(
        scaled.shape, lambda i: prepared.unscale(scaled[i].astype("float64"), part, i)
    )

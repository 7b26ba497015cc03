"""The ``linear`` model fit in closed form: ridge regression on the same windows, streamed.

A linear baseline trained by SGD under the neural models' epoch budget can stop far from its optimum
and make every other model look better than it is. Solving the normal equations gives the exact
least-squares answer, in one pass over the training windows, whatever ``--epochs`` says. Memory is
``O(d²)`` with ``d = window × n_features + 1``; the windows are never stacked.
"""

from __future__ import annotations

import time

import numpy as np

from forecast.train import TrainResult

# ridge penalties, relative to the mean diagonal of XᵀX; the one with the lowest validation MSE wins
RIDGE_GRID = (1e-6, 1e-4, 1e-2, 1e-1, 1.0)


def feature_model(model):
    """The sub-model whose output feeds the ``forecast`` Dense head: ``(batch, d - 1)``."""
    import keras

    return keras.Model(model.inputs, model.get_layer("forecast").input)


def normal_equations(features, dataset, offset) -> tuple[np.ndarray, np.ndarray, int]:
    """``XᵀX (d, d)``, ``Xᵀr (d, horizon)`` and the row count, with a bias column in ``X`` and
    ``r = y - offset(x)`` the part of the target the head has to produce."""
    xtx = xty = None
    n = 0
    for x, y in dataset:
        f = np.asarray(features(x, training=False), dtype="float64")
        f = np.hstack([f, np.ones((len(f), 1))])
        r = np.asarray(y, dtype="float64") - offset(np.asarray(x))[:, None]
        xtx = f.T @ f if xtx is None else xtx + f.T @ f
        xty = f.T @ r if xty is None else xty + f.T @ r
        n += len(f)
    return xtx, xty, n


def solve_ridge(xtx: np.ndarray, xty: np.ndarray, ridge: float) -> np.ndarray:
    """``(XᵀX + λ·mean(diag)·I)⁻¹ Xᵀr``, the bias left unpenalised: ``(d, horizon)``."""
    penalty = np.full(len(xtx), ridge * np.trace(xtx) / len(xtx))
    penalty[-1] = 0.0
    return np.linalg.lstsq(xtx + np.diag(penalty), xty, rcond=None)[0]


def fit_linear(model, train_ds, val_ds, target_index: int, norm: str) -> TrainResult:
    """Set the ``forecast`` head of a ``linear`` model to the ridge solution that predicts the
    validation windows best; return a one-step ``TrainResult`` (losses in scaled MSE)."""
    import keras

    def offset(x):  # what the model adds after the head (AddLastTarget), per window
        return x[:, -1, target_index] if norm == "window" else np.zeros(len(x))

    start = time.perf_counter()
    features = feature_model(model)
    xtx, xty, n = normal_equations(features, train_ds, offset)
    head = model.get_layer("forecast")
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    best = None
    for ridge in RIDGE_GRID:
        w = solve_ridge(xtx, xty, ridge)
        head.set_weights([w[:-1].astype("float32"), w[-1].astype("float32")])
        val_loss = float(model.evaluate(val_ds, verbose=0))
        if best is None or val_loss < best[0]:
            best = (val_loss, w)
    val_loss, w = best
    head.set_weights([w[:-1].astype("float32"), w[-1].astype("float32")])
    train_loss = float(model.evaluate(train_ds, verbose=0))
    seconds = time.perf_counter() - start
    return TrainResult(
        history={"loss": [train_loss], "val_loss": [val_loss]},
        epochs_run=1,
        best_epoch=1,
        train_seconds=seconds,
        epoch_seconds=[seconds],
        samples_per_second=n / seconds if seconds > 0 else 0.0,
    )

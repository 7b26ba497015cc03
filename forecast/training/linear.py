"""The ``linear`` model fit in closed form: ridge regression on the same windows, streamed.

A linear baseline trained by SGD under the neural models' epoch budget can stop far from its optimum
and make every other model look better than it is. Solving the normal equations gives the exact
least-squares answer, in one pass over the training windows, whatever ``--epochs`` says. Memory is
``O(d²)`` with ``d = window × n_features + 1``; the windows are never stacked.

The moments and the solves run on one BLAS thread (``threadpoolctl``): OpenBLAS's sums are ordered
differently with 1 and 2 threads, which moved one backtest fold's weather baseline by 1e-5, so a
training in a ``--jobs`` worker (one thread) and one in the main process (every core) would not
give the same numbers. One thread costs seconds only on millions of windows.
"""

from __future__ import annotations

import time

import numpy as np

from forecast.training.train import TrainResult

# ridge penalties, relative to the mean diagonal of XᵀX, every half decade; the one with the lowest
# validation MSE wins, and the grid is extended upwards while its largest value still wins
RIDGE_GRID = tuple(10.0**k for k in np.arange(-6, 2.5, 0.5))


MAX_RIDGE = 1e6


def feature_model(model):
    """The sub-model whose output feeds the ``forecast`` Dense head: ``(batch, d - 1)``."""
    import keras

    return keras.Model(model.inputs, model.get_layer("forecast").input)


def normal_equations(features, dataset, offset) -> tuple[np.ndarray, np.ndarray, float, int]:
    """``XᵀX (d, d)``, ``Xᵀr (d, horizon)``, ``Σ r²`` and the row count, with a bias column in
    ``X`` and ``r = y - offset(x)`` the part of the target the head has to produce."""
    xtx = xty = None
    rtr = 0.0
    n = 0
    for x, y in dataset:
        f = np.asarray(features(x, training=False), dtype="float64")
        f = np.hstack([f, np.ones((len(f), 1))])
        r = np.asarray(y, dtype="float64") - offset(np.asarray(x))[:, None]
        if xtx is None:
            xtx, xty = f.T @ f, f.T @ r
        else:  # in place: one (d, d) temporary per batch, not two
            xtx += f.T @ f
            xty += f.T @ r
        rtr += float(np.sum(r**2))
        n += len(f)
    return xtx, xty, rtr, n


def mse_from_moments(w: np.ndarray, xtx: np.ndarray, xty: np.ndarray, rtr: float, n: int) -> float:
    """Mean squared error of ``X w`` against ``r`` over ``n`` rows and every horizon column, from
    the moments alone: ``(Σ_j w_jᵀ XᵀX w_j - 2 w_jᵀ Xᵀr_j + rᵀr) / (n · horizon)``."""
    sse = float(np.sum(w * (xtx @ w)) - 2 * np.sum(w * xty) + rtr)
    return max(sse, 0.0) / (n * w.shape[1])


def choose_ridge(train_moments, val_moments) -> tuple[float, np.ndarray, float]:
    """The penalty of ``RIDGE_GRID`` (extended upwards while its top value wins) with the lowest
    validation MSE: ``(penalty, weights (d, horizon), validation MSE)``."""
    xtx, xty = train_moments[:2]
    grid = list(RIDGE_GRID)
    best = None
    while grid:
        ridge = grid.pop(0)
        w = solve_ridge(xtx, xty, ridge)
        val_mse = mse_from_moments(w, *val_moments)
        if best is None or val_mse < best[2]:
            best = (ridge, w, val_mse)
        if not grid and best[0] == ridge and ridge * 10 <= MAX_RIDGE:
            grid.append(ridge * 10**0.5)
    return best


def solve_ridge(xtx: np.ndarray, xty: np.ndarray, ridge: float) -> np.ndarray:
    """``(XᵀX + λ·mean(diag)·I)⁻¹ Xᵀr``, the bias left unpenalised: ``(d, horizon)``.

    A penalised ``XᵀX`` is symmetric positive definite, so one Cholesky factorisation solves it
    (``d³/3`` flops; with a least-squares solve per penalty the search took 4-8x as long at
    ``d = 1,345``, bench/linear_solve.py); a matrix that is not (no penalty on collinear
    windows) falls back to least squares."""
    from scipy.linalg import cho_factor, cho_solve

    try:
        factor = cho_factor(penalised(xtx, ridge), overwrite_a=True, check_finite=False)
        return cho_solve(factor, xty)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(penalised(xtx, ridge), xty, rcond=None)[0]


def penalised(xtx: np.ndarray, ridge: float) -> np.ndarray:
    """A new ``XᵀX + λ·mean(diag)·I`` whose last (bias) diagonal entry is left unpenalised."""
    a = xtx.copy()
    steps = np.arange(len(a) - 1)
    a[steps, steps] += ridge * np.trace(xtx) / len(xtx)
    return a


def fit_linear(
    model, train_ds, val_ds, target_index: int, level_rows: int, penalty: float | None = None
) -> TrainResult:
    """Set the ``forecast`` head of a ``linear`` model to the ridge solution that predicts the
    validation windows best; return a one-step ``TrainResult`` (losses in scaled MSE).

    ``level_rows``: the model adds back the mean of the target's last ``level_rows`` values
    (``AddLastTarget``; 1 for ``--norm window``), or nothing (0, ``--norm global``).
    ``penalty``: solve with this penalty instead (one already chosen on validation; the refit on
    every row, ``forecast.training.refit``); ``val_ds`` is not read and ``val_loss`` is NaN."""
    import keras

    def offset(x):  # what the model adds after the head (AddLastTarget), per window
        if level_rows == 0:
            return np.zeros(len(x))
        return x[:, -level_rows:, target_index].mean(axis=1)

    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    features = feature_model(model)
    with threadpool_limits(limits=1, user_api="blas"):  # the same sums in every process
        train_moments = normal_equations(features, train_ds, offset)
        if penalty is None:
            val_moments = normal_equations(features, val_ds, offset)
            ridge, w, val_loss = choose_ridge(train_moments, val_moments)
        else:
            ridge, val_loss = penalty, float("nan")
            w = solve_ridge(*train_moments[:2], penalty)
    head = model.get_layer("forecast")
    head.set_weights([w[:-1].astype("float32"), w[-1].astype("float32")])
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    train_loss = mse_from_moments(w, *train_moments)
    n = train_moments[3]
    seconds = time.perf_counter() - start
    return TrainResult(
        history={"loss": [train_loss], "val_loss": [val_loss]},
        epochs_run=1,
        best_epoch=1,
        train_seconds=seconds,
        epoch_seconds=[seconds],
        samples_per_second=n / seconds if seconds > 0 else 0.0,
        ridge_penalty=ridge,
    )

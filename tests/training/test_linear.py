"""The closed-form linear model is exact where a linear answer exists."""

import numpy as np
import pandas as pd
import pytest

from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.evaluation import metrics as ev
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.linear import solve_ridge
from forecast.training.preparation import prepare


def test_solve_ridge_matches_least_squares_and_leaves_bias_free():
    rng = np.random.default_rng(0)
    x = np.hstack([rng.normal(size=(200, 3)), np.ones((200, 1))])
    w_true = np.array([[1.0], [-2.0], [0.5], [3.0]])
    y = x @ w_true
    np.testing.assert_allclose(solve_ridge(x.T @ x, x.T @ y, 0.0), w_true, atol=1e-9)
    heavy = solve_ridge(x.T @ x, x.T @ y, 1e6)
    assert np.abs(heavy[:-1]).max() < 1e-3 and heavy[-1, 0] == pytest.approx(y.mean(), abs=1e-3)


@pytest.mark.parametrize("norm", ["window", "global"])
def test_linear_model_recovers_an_exact_linear_recurrence(tmp_path, norm):
    # a pure sine obeys y[t] = 2 cos(w) y[t-1] - y[t-2]: a linear model can forecast it exactly
    t = np.arange(300)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=300, freq="h"),
            "y": 5 + 2 * np.sin(2 * np.pi * t / 17),
        }
    )
    frame.to_csv(tmp_path / "s.csv", index=False)
    options = FitOptions(model="linear", window=8, horizon=4, norm=norm, epochs=1)
    prepared = prepare(read_series(tmp_path / "s.csv"), options)
    model, result = train_one("linear", prepared, options, verbose=0)
    rmse = ev.rmse(prepared.actual("test"), predict_part(model, prepared))
    assert rmse < 1e-2, rmse  # the SGD-trained head after 1 epoch is off by ~1
    assert result.epochs_run == 1 and result.history["val_loss"][0] < 1e-4


def test_moments_give_the_exact_mse():
    from forecast.training.linear import mse_from_moments

    rng = np.random.default_rng(1)
    x, r, w = rng.normal(size=(50, 4)), rng.normal(size=(50, 3)), rng.normal(size=(4, 3))
    direct = np.mean((x @ w - r) ** 2)
    assert mse_from_moments(w, x.T @ x, x.T @ r, float(np.sum(r**2)), 50) == pytest.approx(direct)


def test_ridge_grid_extends_while_its_largest_penalty_wins():
    from forecast.training.linear import RIDGE_GRID, choose_ridge

    rng = np.random.default_rng(2)

    def moments(n):  # the target is noise: the heaviest penalty predicts validation best
        x = np.hstack([rng.normal(size=(n, 20)), np.ones((n, 1))])
        r = rng.normal(size=(n, 2))
        return x.T @ x, x.T @ r, float(np.sum(r**2)), n

    ridge, w, _ = choose_ridge(moments(40), moments(400))
    assert ridge > max(RIDGE_GRID)
    assert np.abs(w[:-1]).max() < 0.05


def test_ridge_chooses_a_small_penalty_for_an_exact_linear_target():
    from forecast.training.linear import choose_ridge

    rng = np.random.default_rng(3)
    w_true = rng.normal(size=(6, 1))

    def moments(n):
        x = np.hstack([rng.normal(size=(n, 5)), np.ones((n, 1))])
        r = x @ w_true
        return x.T @ x, x.T @ r, float(np.sum(r**2)), n

    ridge, w, val_mse = choose_ridge(moments(100), moments(100))
    assert ridge <= 1e-5 and val_mse < 1e-8
    np.testing.assert_allclose(w, w_true, atol=1e-4)


def test_normal_equations_sum_the_moments_of_every_batch():
    from forecast.training.linear import normal_equations

    rng = np.random.default_rng(4)
    batches = [(rng.normal(size=(n, 3, 2)), rng.normal(size=(n, 2))) for n in (5, 7)]
    x = np.concatenate([b[0] for b in batches])
    f = np.hstack([x.reshape(len(x), -1), np.ones((len(x), 1))])  # the bias column
    r = np.concatenate([b[1] for b in batches]) - x[:, -1, :1]  # minus the offset

    def features(x, training):
        return x.reshape(len(x), -1)

    xtx, xty, rtr, n = normal_equations(features, batches, lambda x: x[:, -1, 0])
    np.testing.assert_allclose(xtx, f.T @ f, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xty, f.T @ r, rtol=1e-12, atol=1e-12)
    assert rtr == pytest.approx(float(np.sum(r**2))) and n == 12

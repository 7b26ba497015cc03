"""The closed-form linear model is exact where a linear answer exists."""

import numpy as np
import pandas as pd
import pytest

from forecast import evaluate as ev
from forecast.config import FitOptions
from forecast.io import read_series
from forecast.linear import solve_ridge
from forecast.pipeline import predict_part, prepare, train_one


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

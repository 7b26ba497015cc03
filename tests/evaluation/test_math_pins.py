"""Evaluation formulas pinned by hand-worked values and by properties (issue 22): sMAPE on signed
data, the ridge penalty grid and its choice, and the gradient-boosting baseline's design (lags
relative to the last value, one model per step trained on that step's change).

Each test here failed when the behaviour it names was broken by hand (issue 22's closing note)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast.config import FitOptions
from forecast.data.io import Series
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.gbm import Settings, fit_gbm, predict_gbm
from forecast.training.linear import RIDGE_GRID, choose_ridge
from forecast.training.preparation import prepare

# --- sMAPE: 2|a - p| / (|a| + |p|), on values of either sign -------------------------------------


def test_smape_of_opposite_signs_is_200_percent():
    # a = -1, p = 1: 2·2 / (1 + 1) = 2 → 200 % (a + p = 0 would make it "exact", 0 %)
    a, p = np.array([[-1.0]]), np.array([[1.0]])
    assert ev.smape(a, p) == pytest.approx(200.0, rel=1e-12)
    assert ev.scores(a, p, 1.0)["smape"] == pytest.approx(200.0, rel=1e-12)


def test_smape_hand_worked_on_signed_values():
    # (a, p) = (2, -1): 2·3/3 = 2;  (-1, 3): 2·4/4 = 2;  (-1, -3): 2·2/4 = 1;  (4, 4): 0
    # mean (2 + 2 + 1 + 0)/4 = 1.25 → 125 %.  With a + p below: 6, 4, -1, 0; with |a + p|: 6, 4, 1.
    a = np.array([[2.0, -1.0], [-1.0, 4.0]])
    p = np.array([[-1.0, 3.0], [-3.0, 4.0]])
    np.testing.assert_allclose(ev.smape_ratio(a, p), [[2.0, 2.0], [1.0, 0.0]], rtol=1e-12)
    assert ev.smape(a, p) == pytest.approx(125.0, rel=1e-12)
    assert ev.scores(a, p, 1.0)["smape"] == pytest.approx(125.0, rel=1e-12)


SIGNED = hnp.arrays(
    np.float64,
    (6, 3),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(a=SIGNED, p=SIGNED)
def test_smape_stays_between_0_and_200_on_signed_data(a, p):
    ratio = ev.smape_ratio(a, p)
    assert (ratio >= 0).all() and (ratio <= 2 + 1e-12).all()
    assert 0 <= ev.smape(a, p) <= 200 + 1e-9
    assert 0 <= ev.scores(a, p, 1.0)["smape"] <= 200 + 1e-9


# --- the ridge penalty grid -----------------------------------------------------------------------


def test_ridge_grid_is_every_half_decade_from_1e_minus_6_to_1e2():
    expected = [10.0 ** (k / 2) for k in range(-12, 5)]  # 1e-6, 10^-5.5, ..., 10^1.5, 1e2
    assert len(RIDGE_GRID) == 17
    assert list(RIDGE_GRID) == pytest.approx(expected, rel=1e-12)


def diagonal_problem(target_weight: float) -> tuple[tuple, tuple]:
    """Train and validation moments of a one-feature ridge problem, worked by hand.

    Train: XᵀX = I (feature and bias), Xᵀr = (c, 0) with c = target_weight·(1 + λ*) chosen below,
    so mean(diag) = 1 and the penalised weight is c / (1 + λ), the bias 0. Validation moments
    (XᵀX = I, Xᵀr = (1, 0), rᵀr = 1, n = 1) make the validation MSE (w - 1)², which is 0 exactly
    where c / (1 + λ) = 1, i.e. at λ = λ*.
    """
    train = (np.eye(2), np.array([[target_weight], [0.0]]), 0.0, 1)
    val = (np.eye(2), np.array([[1.0], [0.0]]), 1.0, 1)
    return train, val


@pytest.mark.parametrize("best", [1e-6, 1e-2])
def test_ridge_chooses_the_grid_point_that_predicts_validation_best(best):
    """The smallest grid value and an interior one (1e-2) each win the problem built for them:
    w(λ) = (1 + λ*)/(1 + λ) is 1 only at λ*; its grid neighbours give (λ* - λ)²/(1 + λ)² > 0
    (for λ* = 1e-2: 10^-2.5 → 4.6e-5, 10^-1.5 → 4.4e-4; for 1e-6: 10^-5.5 → 4.7e-12)."""
    train, val = diagonal_problem(1 + best)
    ridge, w, val_mse = choose_ridge(train, val)
    assert ridge == pytest.approx(best, rel=1e-12)
    assert w[:, 0].tolist() == pytest.approx([1.0, 0.0], abs=1e-12)
    assert val_mse == pytest.approx(0.0, abs=1e-20)


# --- the gradient-boosting baseline ---------------------------------------------------------------

FAST = Settings(seed=0, max_iter=30)


def noisy_seasonal(n: int = 400, seed: int = 0) -> Series:
    """A daily cycle of hourly rows with an AR(1) wobble and a second input column (float64)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    wobble = np.zeros(n)
    for i in range(1, n):
        wobble[i] = 0.7 * wobble[i - 1] + rng.normal(0, 0.5)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + wobble
    index = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=n, freq="h"), name="date")
    return Series(pd.DataFrame({"x": rng.normal(size=n), "y": y}, index=index), "date", "h")


@pytest.fixture(scope="module")
def seasonal():
    prepared = prepare(noisy_seasonal(), FitOptions(window=48, horizon=6, calendar="none"))
    return prepared, predict_gbm(fit_gbm(prepared, FAST), prepared)


def test_gbm_errors_do_not_change_when_a_linear_drift_is_added(seasonal):
    """Lags and means are taken relative to the last value and the targets are changes
    ``y[t+h] - y[t]``: a drift ``c·t`` shifts every feature and target of a step by a constant,
    which the trees do not see, so the forecast shifts with the drift and every error stays the
    same (absolute lags would make the drifting test rows unlike any training row)."""
    prepared, forecast = seasonal
    drift = 0.05 * np.arange(len(prepared.target))
    drifted = dataclasses.replace(prepared, target=prepared.target + drift)
    moved = predict_gbm(fit_gbm(drifted, FAST), drifted)
    errors = prepared.actual("test") - forecast
    np.testing.assert_allclose(drifted.actual("test") - moved, errors, rtol=0, atol=1e-9)


def test_gbm_beats_persistence_at_every_step(seasonal):
    """Per step, not only overall: a step's model trained on another step's change (step 1 on
    step 6's) loses to persistence at that step even when the overall RMSE still wins."""
    prepared, forecast = seasonal
    actual = prepared.actual("test")
    persistence = naive_baselines(prepared)["persistence"]
    gbm_steps = ev.per_horizon_rmse(actual, forecast)
    naive_steps = ev.per_horizon_rmse(actual, persistence)
    assert all(g < n for g, n in zip(gbm_steps, naive_steps, strict=True)), (
        gbm_steps,
        naive_steps,
    )


def test_gbm_on_a_ramp_forecasts_each_step_exactly():
    """y = 10 + 0.5 t: every training origin's step-h change is 0.5·h, so step h's model (its
    target constant) predicts 0.5·h and the forecast is y[t] + 0.5·h exactly; a model trained on
    another step's change would be off by a multiple of 0.5."""
    n, horizon = 200, 4
    index = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=n, freq="h"), name="date")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": 10 + 0.5 * np.arange(n)}, index=index)
    prepared = prepare(
        Series(frame, "date", "h"), FitOptions(window=12, horizon=horizon, calendar="none")
    )
    out = predict_gbm(fit_gbm(prepared, Settings(seed=0, max_iter=20)), prepared)
    last = prepared.target[prepared.starts["test"] + 12 - 1]
    expected = last[:, None] + 0.5 * np.arange(1, horizon + 1)[None, :]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-9)

"""'Is it just persistence?' diagnostics on synthetic delayed copies and good forecasts."""

import numpy as np
import pytest

from forecast.evaluation.diagnostics import (
    best_lag,
    corr_with_persistence,
    diagnose,
    directional_accuracy,
    lag_mse,
    repeats_last_value,
)

WINDOW, HORIZON = 12, 4


def windows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stride-1 test windows of ``y``: ``actual (n, HORIZON)`` and ``last (n,)``."""
    n = len(y) - WINDOW - HORIZON + 1
    rows = np.arange(n)[:, None] + WINDOW + np.arange(HORIZON)
    return y[rows], y[np.arange(n) + WINDOW - 1]


def noisy_sine(seed=0, n=400):
    rng = np.random.default_rng(seed)
    return 10 * np.sin(2 * np.pi * np.arange(n) / 25) + rng.normal(scale=0.5, size=n)


def random_walk(seed=1, n=400):
    return 100 + np.cumsum(np.random.default_rng(seed).normal(size=n))


@pytest.mark.parametrize("series", [noisy_sine, random_walk])
def test_delayed_copy_has_best_lag_1_and_triggers_the_warning(series):
    actual, last = windows(series())
    jitter = np.random.default_rng(5).normal(scale=0.05, size=actual.shape)
    copy = np.repeat(last[:, None], HORIZON, axis=1) + jitter
    d = diagnose(actual, copy, last)
    assert d["best_lag"] == 1
    assert d["corr_with_persistence"] > 0.99
    assert repeats_last_value(d)


def test_good_forecast_of_a_predictable_sine_is_not_flagged():
    y = noisy_sine()
    clean = 10 * np.sin(2 * np.pi * np.arange(len(y)) / 25)
    actual, last = windows(y)
    good, _ = windows(clean)  # the noise-free signal: the best possible forecast
    d = diagnose(actual, good, last)
    assert d["best_lag"] == 0
    assert d["directional_accuracy"] > 0.8
    assert d["corr_with_persistence"] < 0.5
    assert not repeats_last_value(d)


def test_lag_mse_hand_worked():
    actual = np.array([1.0, 2.0, 4.0, 8.0])
    pred = np.array([0.0, 1.0, 2.0, 4.0])  # exactly the previous actual
    # common origins 1..3: k=0 → ((1-2)² + (2-4)² + (4-8)²)/3 = 7; k=1 → 0
    np.testing.assert_allclose(lag_mse(actual, pred, 1), [7.0, 0.0])
    assert best_lag(np.c_[actual, actual], np.c_[pred, pred]) == 1


def test_directional_accuracy_hand_worked():
    last = np.array([0.0, 0.0, 0.0])
    actual = np.array([[1.0, -1.0], [1.0, 0.0], [-1.0, 2.0]])
    pred = np.array([[2.0, 1.0], [-3.0, 5.0], [-0.5, 0.0]])
    # step 1: right, wrong, right → 2/3; step 2: wrong, (no direction), wrong (0 predicted) → 0
    assert directional_accuracy(actual, pred, last) == pytest.approx((2 / 3 + 0) / 2)


def test_corr_with_persistence_of_persistence_is_one():
    actual, last = windows(random_walk())
    pers = np.repeat(last[:, None], HORIZON, axis=1)
    assert corr_with_persistence(actual, pers, last) == pytest.approx(1.0)


def test_rule_thresholds():
    assert repeats_last_value(
        {"best_lag": 1, "directional_accuracy": 0.7, "corr_with_persistence": 0.96}
    )
    assert repeats_last_value(
        {"best_lag": 0, "directional_accuracy": 0.5, "corr_with_persistence": 0.96}
    )
    assert not repeats_last_value(
        {"best_lag": 0, "directional_accuracy": 0.6, "corr_with_persistence": 0.99}
    )
    assert not repeats_last_value(
        {"best_lag": 1, "directional_accuracy": 0.5, "corr_with_persistence": 0.9}
    )
    assert not repeats_last_value(
        {"best_lag": 1, "directional_accuracy": None, "corr_with_persistence": None}
    )

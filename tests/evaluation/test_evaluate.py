import numpy as np
import pytest

from forecast.evaluation import baselines as bl
from forecast.evaluation import metrics as ev


def test_point_metrics_on_known_values():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    p = np.array([[2.0, 2.0], [3.0, 2.0]])
    assert ev.rmse(a, p) == pytest.approx(np.sqrt(5 / 4))
    assert ev.mae(a, p) == pytest.approx(0.75)
    assert ev.smape(a, p) == pytest.approx(100 * np.mean([2 / 3, 0, 0, 2 / 3]))
    assert ev.per_horizon_rmse(a, p) == pytest.approx([np.sqrt(0.5), np.sqrt(2)])
    assert ev.mase(a, p, scale=0.5) == pytest.approx(1.5)


def test_smape_zero_over_zero_is_exact():
    assert ev.smape(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0


def test_persistence_repeats_last_observed_value():
    target = np.arange(20.0)
    out = bl.persistence(target, np.array([0, 5]), window=4, horizon=3)
    np.testing.assert_array_equal(out, [[3, 3, 3], [8, 8, 8]])


def test_seasonal_naive_uses_only_observed_rows():
    target = np.arange(100.0)
    starts = np.array([10, 20])
    out = bl.seasonal_naive(target, starts, window=8, horizon=5, season=3)
    last = starts + 8 - 1
    assert (out <= last[:, None]).all()  # value == row index here: never after the origin
    np.testing.assert_array_equal(out[0], [15, 16, 17, 15, 16])


def test_skill_sign():
    assert ev.skill(1.0, 2.0) == 0.5
    assert ev.skill(3.0, 2.0) < 0

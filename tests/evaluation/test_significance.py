"""Diebold–Mariano test: reference values from an independent implementation, degenerate cases and
the symmetry of the test."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.evaluation.significance import dm_forecasts, dm_test, origin_losses

LOSS_A = np.array([1.2, 0.4, 2.5, 0.9, 1.7, 0.3, 2.2, 1.1, 0.8, 1.9, 0.6, 1.4])
LOSS_B = np.array([0.7, 0.9, 1.1, 1.3, 0.2, 0.8, 1.0, 0.5, 1.6, 0.4, 1.2, 0.9])

# Computed once (2026-11-24) with statsmodels 0.15: OLS of d = LOSS_A - LOSS_B on a constant with
# cov_type="HAC", kernel="uniform", maxlags=h-1, use_correction=False (the DM long-run variance),
# times the HLN factor sqrt((n+1-2h+h(h-1)/n)/n), p from scipy.stats.t(n-1), two-sided.
REFERENCE = {  # h: (statistic, p-value)
    1: (1.4195562846960794, 0.18344954544738884),
    3: (2.1143422972058468, 0.058137622944835),
}
# h=2: the rectangular-kernel long-run variance is negative (statsmodels returns nan); the
# fallback is the lag-0 variance (statsmodels with maxlags=0) with the h=2 HLN factor.
FALLBACK_H2 = (1.2958716646271136, 0.22155071270188134)


@pytest.mark.parametrize("h", sorted(REFERENCE))
def test_dm_matches_independent_reference(h):
    r = dm_test(LOSS_A, LOSS_B, h)
    assert r.variance == "long-run"
    assert r.dm_stat == pytest.approx(REFERENCE[h][0], rel=1e-10)
    assert r.p_value == pytest.approx(REFERENCE[h][1], rel=1e-8)


def test_negative_long_run_variance_falls_back_to_lag0():
    r = dm_test(LOSS_A, LOSS_B, 2)
    assert r.variance == "lag-0 fallback"
    assert r.dm_stat == pytest.approx(FALLBACK_H2[0], rel=1e-10)
    assert r.p_value == pytest.approx(FALLBACK_H2[1], rel=1e-8)


def test_identical_forecasts_give_stat_0_and_p_1():
    actual = np.sin(np.arange(60)).reshape(20, 3)
    pred = actual + 0.3
    r = dm_forecasts(actual, pred, pred.copy())
    assert (r.dm_stat, r.p_value) == (0.0, 1.0)
    assert r.to_dict() == {"dm_stat": 0.0, "p_value": 1.0}


def test_constant_nonzero_difference_is_total_evidence():
    r = dm_test(np.full(10, 2.0), np.full(10, 1.0), 2)
    assert r.p_value == 0.0 and r.dm_stat == math.inf
    assert r.to_dict() == {"dm_stat": None, "p_value": 0.0}


def test_too_few_origins_gives_no_test():
    r = dm_test(LOSS_A[:3], LOSS_B[:3], 3)
    assert r.to_dict() == {"dm_stat": None, "p_value": None}


def test_origin_losses_average_squared_error_over_the_horizon():
    actual = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    pred = np.array([[1.0, 4.0, 0.0], [1.0, -1.0, 2.0]])
    # (0 + 4 + 9) / 3, (1 + 1 + 4) / 3
    np.testing.assert_allclose(origin_losses(actual, pred), [13 / 3, 2.0])


def test_clearly_better_forecast_is_significant():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(300, 4))
    good = actual + rng.normal(scale=0.5, size=actual.shape)
    bad = actual + rng.normal(scale=1.0, size=actual.shape)
    r = dm_forecasts(actual, good, bad)
    assert r.dm_stat < 0 and r.p_value < 1e-6


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=8, max_size=40),
    st.integers(0, 2**31 - 1),
    st.integers(1, 5),
)
def test_swapping_forecasts_negates_stat_and_keeps_p(losses, seed, h):
    a = np.asarray(losses)
    b = np.random.default_rng(seed).permutation(a) + 0.5
    ab, ba = dm_test(a, b, h), dm_test(b, a, h)
    if math.isnan(ab.p_value):
        assert math.isnan(ba.p_value)
        return
    assert ab.dm_stat == pytest.approx(-ba.dm_stat, rel=1e-9, abs=1e-12)
    assert ab.p_value == pytest.approx(ba.p_value, rel=1e-9, abs=1e-12)
    assert 0.0 <= ab.p_value <= 1.0

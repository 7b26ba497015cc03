"""M4's metrics and benchmarks on toy series worked out by hand, and on three real M4 series."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.evaluation import m4

M4_HOURLY = Path(__file__).resolve().parents[2].parent / "shared/data/m4-hourly/Hourly-train.csv"

# [1, 2, 3, 2] repeated: mean 2, deviations [-1, 0, 1, 0], a centred 2x4 average of 2 everywhere
WAVE = [1.0, 2.0, 3.0, 2.0]


def test_smape_by_hand():
    # step 1 exact; step 2: 200 * 2 / (2 + 4)
    assert m4.smape([1, 2], [1, 4]) == pytest.approx((0 + 400 / 6) / 2)
    assert m4.smape([-1], [1]) == 200
    assert m4.smape([0, 0], [0, 0]) == 0
    assert m4.smape([0, 5], [0, 5]) == 0


def test_smape_stays_in_0_200():
    rng = np.random.default_rng(0)
    for _ in range(50):
        y, f = rng.normal(size=(2, 20)) * rng.uniform(0.1, 100)
        assert 0 <= m4.smape(y, f) <= 200


def test_seasonal_scale_and_mase_by_hand():
    x = [1, 2, 3, 4, 2, 3, 4, 5]  # every value is 1 above the one a season earlier
    assert m4.seasonal_scale(x, 4) == 1
    assert m4.mase([3, 3], [1, 2], x, 4) == pytest.approx(1.5)
    assert m4.seasonal_scale(x, 1) == pytest.approx(8 / 7)  # one-step changes 1, 1, 1, -2, 1, 1, 1
    assert m4.seasonal_scale([1, 3, 2], 1) == pytest.approx(1.5)
    # not longer than one season: M4's lag-1 scale
    assert m4.seasonal_scale([1, 3, 2], 4) == pytest.approx(1.5)
    assert np.isnan(m4.mase([1], [2], [5, 5, 5, 5, 5], 4))  # a zero scale


def test_acf_and_seasonality_test_by_hand():
    # three seasons of WAVE: lag sums 0, -5, 0, 4 over the lag-0 sum 6
    np.testing.assert_allclose(m4.acf(WAVE * 3, 4), [0, -5 / 6, 0, 4 / 6], atol=1e-12)
    # limit 1.645 sqrt((1 + 2 * 25/36) / 12) = 0.734 > 2/3: not significant
    assert not m4.seasonality_test(WAVE * 3, 4)
    # five seasons: r2 = -9/10, r4 = 8/10 > 1.645 sqrt((1 + 2 * 0.81) / 20) = 0.595
    np.testing.assert_allclose(m4.acf(WAVE * 5, 4), [0, -0.9, 0, 0.8], atol=1e-12)
    assert m4.seasonality_test(WAVE * 5, 4)
    assert not m4.seasonality_test(WAVE * 2, 4)  # shorter than three seasons
    assert not m4.seasonality_test(WAVE * 5, 1)
    assert not m4.seasonality_test([7.0] * 30, 4)  # constant: no autocorrelation


def test_centred_moving_average_by_hand():
    x = [2, 4, 6, 4, 3, 6, 9, 6]
    # (x[t-2]/2 + x[t-1] + x[t] + x[t+1] + x[t+2]/2) / 4 for t = 2 .. 5
    expected = [np.nan, np.nan, 33 / 8, 9 / 2, 41 / 8, 23 / 4, np.nan, np.nan]
    np.testing.assert_allclose(m4.centred_moving_average(x, 4), expected)
    np.testing.assert_allclose(m4.centred_moving_average([1, 2, 6], 3), [np.nan, 3, np.nan])


def test_seasonal_indices_two_season_toy():
    x = [2, 4, 6, 4, 3, 6, 9, 6]
    # one ratio per position: x[4] / (41/8), x[5] / (23/4), x[2] / (33/8), x[3] / (9/2)
    ratios = np.array([24 / 41, 24 / 23, 16 / 11, 8 / 9])
    np.testing.assert_allclose(m4.seasonal_indices(x, 4), ratios / ratios.mean())
    np.testing.assert_allclose(m4.seasonal_indices(WAVE * 2, 4), [0.5, 1, 1.5, 1])


def test_naive2_by_hand():
    # WAVE four times, then [1, 2, 3, 4]: only the trend at row 17 changes, to 9/4, so position 1's
    # ratios are 1, 1, 1, 8/9; the indices [1/2, 35/36, 3/2, 1] / (143/144); the last value 4
    # deseasonalised is 143/36, and the forecast 143/36 times the indices.
    x = WAVE * 4 + [1.0, 2.0, 3.0, 4.0]
    assert m4.seasonality_test(x, 4)
    np.testing.assert_allclose(m4.naive2(x, 6, 4), [2, 35 / 9, 6, 4, 2, 35 / 9])


def test_naive2_is_naive_when_not_seasonal():
    walk = 100 + np.cumsum(np.random.default_rng(1).normal(size=200))
    assert not m4.seasonality_test(walk, 24)
    np.testing.assert_array_equal(m4.naive2(walk, 5, 24), [walk[-1]] * 5)
    np.testing.assert_array_equal(m4.naive2(WAVE * 5, 3, 1), [2, 2, 2])


def test_seasonal_naive():
    np.testing.assert_array_equal(m4.seasonal_naive([9, 1, 2, 3], 5, 3), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(m4.seasonal_naive([9, 1, 2, 3], 2, 1), [3, 3])


def test_ses_minimises_the_squared_one_step_error():
    x = np.array([3.0, 5.0, 4.0, 6.0, 5.0, 7.0, 6.0])
    level = m4.ses(x, 2)
    assert level[0] == level[1]

    def sse(alpha, l0):
        total = 0.0
        for v in x:
            total += (v - l0) ** 2
            l0 = alpha * v + (1 - alpha) * l0
        return total, l0

    # brute force over alpha and the initial level
    alphas, starts = np.linspace(1e-4, 0.9999, 200), np.linspace(2, 8, 121)
    grid = [sse(a, start) for a in alphas for start in starts]
    assert level[0] == pytest.approx(min(grid)[1], abs=0.02)
    assert m4.ses([4.0] * 10, 1)[0] == pytest.approx(4.0)


def test_theta_on_a_straight_line_drifts_at_half_its_slope():
    # theta line 2 of a line is the line itself, SES of it (alpha -> 1) its last value, so the
    # forecast averages the last value and the extrapolated line: half the slope (SES with drift)
    line = 3.0 + 2.0 * np.arange(60)
    h = np.arange(1, 11)
    np.testing.assert_allclose(m4.theta(line, 10, 1), line[-1] + 1.0 * h, atol=2e-3)
    np.testing.assert_allclose(m4.theta_classic(line, 10), line[-1] + 1.0 * h, atol=2e-3)
    # a falling line is clipped at 0
    assert m4.theta(100.0 - 10.0 * np.arange(10), 20, 1).min() == 0


def test_theta_reseasonalises_like_naive2():
    # WAVE five times deseasonalises to a constant 2: Theta and Naive2 both give 2 x indices
    np.testing.assert_allclose(m4.theta(WAVE * 5, 6, 4), [1, 2, 3, 2, 1, 2], atol=1e-9)
    np.testing.assert_allclose(m4.naive2(WAVE * 5, 6, 4), [1, 2, 3, 2, 1, 2])


def test_owa_by_hand():
    assert m4.owa(10, 1, 20, 2) == pytest.approx(0.5)
    assert m4.owa(18.383, 2.395, 18.383, 2.395) == pytest.approx(1.0)


@pytest.mark.skipif(not M4_HOURLY.exists(), reason="the shared M4 hourly file is not here")
def test_three_real_m4_hourly_series():
    rows = pd.read_csv(M4_HOURLY, nrows=3, index_col=0)
    for _, row in rows.iterrows():
        series = row.dropna().to_numpy(dtype="float64")
        insample, actual = series[:-48], series[-48:]
        forecast = np.tile(insample[-24:], 2)
        np.testing.assert_array_equal(m4.seasonal_naive(insample, 48, 24), forecast)
        expect_smape = np.mean(200 * abs(actual - forecast) / (abs(actual) + abs(forecast)))
        expect_mase = np.mean(np.abs(actual - forecast)) / np.mean(
            np.abs(insample[24:] - insample[:-24])
        )
        assert m4.smape(actual, forecast) == pytest.approx(expect_smape, rel=1e-12)
        assert m4.mase(actual, forecast, insample, 24) == pytest.approx(expect_mase, rel=1e-12)
        for method in (m4.naive2, m4.theta):
            predicted = method(insample, 48, 24)
            assert predicted.shape == (48,) and np.isfinite(predicted).all()
            assert 0 < m4.smape(actual, predicted) < 200

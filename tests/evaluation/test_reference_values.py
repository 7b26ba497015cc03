"""Every metric, baseline and interval formula pinned by small arrays whose results were worked out
by hand (the arithmetic is in the comments): a formula that drifts (a 5 % scale, an off-by-one
rank, a missing overlap term) fails here even when the rest of the suite still passes."""

import math

import numpy as np
import pytest

from forecast.evaluation import baselines as bl
from forecast.evaluation import intervals as iv
from forecast.evaluation import metrics as ev
from forecast.evaluation.significance import dm_test

ACTUAL = np.array([[1.0, 2.0], [3.0, 5.0]])
PREDICTED = np.array([[2.0, 2.0], [1.0, 6.0]])  # errors -1, 0 / 2, -1
EXACT = {"rel": 1e-12, "abs": 0.0}


def test_rmse_mae_per_horizon():
    # squared errors 1, 0, 4, 1 → mean 6/4
    assert ev.rmse(ACTUAL, PREDICTED) == pytest.approx(math.sqrt(1.5), **EXACT)
    # |errors| 1, 0, 2, 1 → 4/4
    assert ev.mae(ACTUAL, PREDICTED) == pytest.approx(1.0, **EXACT)
    # step 1: (1 + 4)/2, step 2: (0 + 1)/2
    assert ev.per_horizon_rmse(ACTUAL, PREDICTED) == pytest.approx(
        [math.sqrt(2.5), math.sqrt(0.5)], **EXACT
    )


def test_smape():
    # 2|a-p|/(|a|+|p|): 2/3, 0, 4/4, 2/11 → mean 61/132 → 6100/132 %
    assert ev.smape(ACTUAL, PREDICTED) == pytest.approx(1525 / 33, **EXACT)
    # a 0/0 pair counts as exact: (0 + 4/4)/2
    assert ev.smape(np.array([[0.0, 1.0]]), np.array([[0.0, 3.0]])) == pytest.approx(50.0)


def test_mase_scale_is_the_mean_absolute_one_step_change_of_training_rows():
    train = np.array([1.0, 3.0, 2.0, 6.0])  # |changes| 2, 1, 4 → 7/3
    scale = ev.naive_scale(train)
    assert scale == pytest.approx(7 / 3, **EXACT)
    # MAE 1 / (7/3): a scale 5 % off gives 0.408 or 0.451
    assert ev.mase(ACTUAL, PREDICTED, scale) == pytest.approx(3 / 7, **EXACT)
    assert ev.mase(ACTUAL, PREDICTED, 1.05 * scale) != pytest.approx(3 / 7, rel=0.01)
    assert math.isnan(ev.mase(ACTUAL, PREDICTED, 0.0))


def test_scores_bundle_and_skill():
    s = ev.scores(ACTUAL, PREDICTED, 7 / 3)
    assert s["rmse"] == pytest.approx(math.sqrt(1.5)) and s["mase"] == pytest.approx(3 / 7)
    assert ev.skill(3.0, 4.0) == pytest.approx(0.25, **EXACT)  # 1 - 3/4
    assert ev.skill(5.0, 4.0) == pytest.approx(-0.25, **EXACT)
    assert math.isnan(ev.skill(1.0, 0.0))


def test_persistence_repeats_the_last_observed_value():
    target = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    # window 3: origins 0 and 1 last see rows 2 and 3
    out = bl.persistence(target, np.array([0, 1]), window=3, horizon=2)
    assert out.tolist() == [[12.0, 12.0], [13.0, 13.0]]


def test_seasonal_naive_copies_one_season_back_from_observed_rows():
    target = np.arange(10.0) ** 2  # row r holds r²
    # last observed rows t = 4, 5; step h uses row t + h - 3·ceil(h/3): t-2, t-1, t, t-2
    out = bl.seasonal_naive(target, np.array([2, 3]), window=3, horizon=4, season=3)
    assert out.tolist() == [[4.0, 9.0, 16.0, 4.0], [9.0, 16.0, 25.0, 9.0]]
    with pytest.raises(ValueError, match="full season"):
        bl.seasonal_naive(target, np.array([0]), window=1, horizon=1, season=3)


def test_conformal_rank_is_ceil_of_n_plus_one_times_level():
    res = np.arange(1.0, 11.0)[:, None]  # n = 10
    # ceil(11 · 0.8) = 9 → 9 (ceil(10 · 0.8) = 8 would give 8)
    assert iv.conformal_width(res, 0.8).tolist() == [9.0]
    res = np.arange(1.0, 41.0)[:, None]  # n = 40
    # ceil(41 · 0.95) = 39 (ceil(40 · 0.95) = 38)
    assert iv.conformal_width(res, 0.95).tolist() == [39.0]
    assert iv.rank(10, 0.8) == 9 and iv.rank(40, 0.95) == 39 and iv.rank(5, 0.99) == 5


def test_coverage_counts_band_edges_as_inside():
    actual = np.array([[1.0, 2.0], [3.0, 7.0]])
    predicted = np.array([[0.0, 0.0], [3.0, 3.0]])
    # |errors| 1, 2 / 0, 4 with widths (1, 3): inside, inside, inside, outside
    assert iv.coverage(actual, predicted, [1.0, 3.0]) == pytest.approx(0.75, **EXACT)


def test_online_widths_respect_the_h_step_delay():
    val = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    test = np.array([[5.0, 50.0], [6.0, 60.0], [7.0, 70.0]])
    # level 0.5: rank ceil((n+1)/2). Origin i, step j sees test origins <= i - j:
    # i=0: val only → 2, 20; i=1: step 1 {1,2,3,5} rank 3 → 3, step 2 val → 20;
    # i=2: {1,2,3,5,6} → 3, {10,20,30,50} rank 3 → 30; next: {..,7} n=6 rank 4 → 5, {..,60} → 30
    out = iv.online_widths(val, test, 0.5)
    assert out.tolist() == [[2, 20], [3, 20], [3, 30], [5, 30]]
    # the 3 most recent only: i=1 {2,3,5} → 3; i=2 {3,5,6} → 5, {20,30,50} → 30; next {5,6,7} → 6,
    # {30,50,60} → 50
    out = iv.online_widths(val, test, 0.5, window=3)
    assert out.tolist() == [[2, 20], [3, 20], [5, 30], [6, 50]]


def test_online_widths_adaptive_conformal_update():
    val = np.array([[1.0], [2.0], [3.0], [4.0]])
    test = np.array([[5.0], [0.0], [5.0]])
    # alpha 0.5 → rank ceil(5 · 0.5) = 3 → 3. gamma 0.5: origin 0 misses (5 > 3) → alpha 0.25 →
    # rank ceil(5 · 0.75) = 4 → 4; origin 1 covered (0 <= 4) → alpha 0.5 → 3; origin 2 misses → 4
    out = iv.online_widths(val, test, 0.5, gamma=0.5, recent=False)
    assert out[:, 0].tolist() == [3.0, 4.0, 3.0, 4.0]
    # gamma 1 on residuals 5, 5, 0: miss → alpha 0 → the largest residual 4; miss (5 > 4) →
    # alpha -0.5, still the largest 4; covered (0 <= 4) → alpha 0 → still 4
    out = iv.online_widths(val, np.array([[5.0], [5.0], [0.0]]), 0.5, gamma=1.0, recent=False)
    assert out[:, 0].tolist() == [3.0, 4.0, 4.0, 4.0]
    # gamma 2 on residuals 0, 0: alpha 0.5 + 2·0.5 = 1.5 >= 1 → width 0
    out = iv.online_widths(val, np.zeros((2, 1)), 0.5, gamma=2.0, recent=False)
    assert out[:, 0].tolist() == [3.0, 0.0, 0.0]
    # without updates and without recent residuals it is split conformal on every origin
    plain = iv.online_widths(val, test, 0.8, recent=False)
    assert (plain == iv.conformal_width(val, 0.8)).all()


T3_SF_1 = 1 / 3 - math.sqrt(3) / (4 * math.pi)  # P(T > 1), t with 3 df, closed form
T3_SF_SQRT3 = 1 / 4 - 1 / (2 * math.pi)  # P(T > √3), t with 3 df


def test_diebold_mariano_hand_worked():
    d = np.array([1.0, -1.0, 1.0, 1.0])  # loss differential, mean 0.5
    zero = np.zeros(4)
    # h=1: gamma0 = (0.25 + 2.25 + 0.25 + 0.25)/4 = 0.75; DM = 0.5/sqrt(0.75/4) = 2/√3;
    # HLN sqrt((4 + 1 - 2)/4) = √3/2 → statistic 1, p = 2·P(T3 > 1)
    r = dm_test(d, zero, 1)
    assert r.dm_stat == pytest.approx(1.0, rel=1e-12)
    assert r.p_value == pytest.approx(2 * T3_SF_1, rel=1e-9)
    # h=2: gamma1 = ((-1.5)(0.5) + (0.5)(-1.5) + (0.5)(0.5))/4 = -0.3125; long-run variance
    # 0.75 - 0.625 = 0.125; DM = 0.5/sqrt(0.125/4) = 2√2; HLN sqrt((4+1-4+2/4)/4) = sqrt(0.375)
    # → statistic √3, p = 2·P(T3 > √3) = 1/2 - 1/π
    r = dm_test(d, zero, 2)
    assert r.dm_stat == pytest.approx(math.sqrt(3), rel=1e-12)
    assert r.p_value == pytest.approx(2 * T3_SF_SQRT3, rel=1e-9)

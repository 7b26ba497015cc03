"""Naive2 and Theta at every origin equal M4's one-origin forecasts recomputed from scratch."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from forecast.evaluation import m4
from forecast.evaluation.m4_origins import (
    benchmarks,
    fit_params,
    indices_of,
    naive2_at,
    theta2_alpha,
    theta_at,
)

M4 = Path(__file__).resolve().parents[3] / "shared" / "data" / "m4-hourly" / "Hourly-train.csv"


def m4_series(k: int) -> np.ndarray:
    wide = pd.read_csv(M4, nrows=k + 1)
    return wide.iloc[k, 1:].dropna().to_numpy(dtype="float64")


@pytest.mark.skipif(not M4.is_file(), reason="needs ../shared/data/m4-hourly")
@pytest.mark.parametrize("k", [0, 7, 40])
def test_at_the_last_row_they_are_m4s_own_forecasts(k):
    y = m4_series(k)
    n, last = len(y), np.array([len(y) - 1])
    indices = indices_of(y, 24)
    np.testing.assert_allclose(naive2_at(y, last, 48, indices)[0], m4.naive2(y, 48, 24))
    alpha = theta2_alpha(y / indices[np.arange(n) % 24])
    np.testing.assert_allclose(
        theta_at(y, last, 48, indices, alpha)[0], m4.theta(y, 48, 24), rtol=1e-6
    )


def test_theta_at_an_earlier_origin_is_a_refit_on_the_rows_up_to_it():
    """The trend refit on rows 0..t, SES with the training rows' alpha, written out by hand."""
    rng = np.random.default_rng(3)
    t = np.arange(120)
    y = 50 + 0.2 * t + 5 * np.sin(2 * np.pi * t / 6) + rng.standard_normal(120)
    indices = indices_of(y[:80], 6)
    x = y / indices[t % 6]
    got = theta_at(y, np.array([89, 100]), 5, indices, theta2_alpha(x[:80]))
    j = np.arange(1, 81.0)
    slope, intercept = np.polyfit(j, x[:80], 1)
    alpha = m4.ses_parameters(2 * x[:80] - (intercept + slope * j))[0]
    for row, origin in enumerate([89, 100]):
        jj = np.arange(1, origin + 2.0)
        b, a = np.polyfit(jj, x[: origin + 1], 1)
        line = 2 * x[: origin + 1] - (a + b * jj)
        level = lfilter([alpha], [1, alpha - 1], line)[-1] + (1 - alpha) ** len(line) * line[0]
        h = np.arange(1, 6)
        expected = (0.5 * level + 0.5 * (a + b * (origin + 1 + h))) * indices[(origin + h) % 6]
        np.testing.assert_allclose(got[row], expected, rtol=1e-9)


def test_naive2_by_hand_and_benchmarks_keep_series_apart():
    indices = np.array([0.5, 1.5])
    y = np.array([1.0, 3.0, 2.0, 6.0, 4.0])
    # last row 2 (phase 0, index 0.5): level 4; steps at phases 1, 0, 1
    np.testing.assert_allclose(naive2_at(y, np.array([2]), 3, indices), [[6.0, 2.0, 6.0]])
    two = np.concatenate([np.arange(1.0, 41.0), 100 + np.arange(40.0)])
    bounds = [(0, 40, 30), (40, 80, 30)]
    out = benchmarks(two, bounds, fit_params(two, bounds, 1), np.array([35, 75]), 2)
    np.testing.assert_allclose(out["naive2"], [[36.0, 36.0], [135.0, 135.0]])
    assert (out["theta"][1] > 100).all() and (out["theta"][0] < 50).all()

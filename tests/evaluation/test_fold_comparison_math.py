"""``compare --folds`` rows from hand-made fold records and losses (issue 22): the mean ± sd over
folds and seeds, the wins, the pooled RMSE and every pooled Diebold–Mariano p-value (against
persistence, linear and the best row) recomputed independently at the given horizon.

The test failed when the p-value against the best row was taken at horizon 1 and when a model's
losses were those of its first seed only (issue 22's closing note)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecast.evaluation.fold_comparison import fold_comparison_rows
from tests.dm_reference import dm_reference

H = 3
N = 40  # origins over both folds


def part(rmse: list[float], baselines: dict[str, list[float]], losses: dict[str, np.ndarray]):
    records = [
        {"rmse": r, "baselines": {n: {"rmse": v[k]} for n, v in baselines.items()}}
        for k, r in enumerate(rmse)
    ]
    return records, losses


@pytest.fixture
def rows_and_losses():
    rng = np.random.default_rng(5)
    e = rng.normal(size=(5, N + 2))
    ma = e[:, 2:] + e[:, 1:-1] + e[:, :-2]  # overlapping 3-step losses: autocorrelated
    base = {
        "persistence": 6 + 0.5 * ma[0] ** 2,
        "seasonal_naive": 7 + 0.5 * ma[1] ** 2,
        "linear": 4 + 0.5 * ma[2] ** 2,
    }
    seed_a, seed_b = 3.6 + 0.5 * ma[3] ** 2, 4.2 + 0.5 * ma[4] ** 2
    folds = {"persistence": [2.5, 2.4], "seasonal_naive": [2.7, 2.6], "linear": [2.1, 2.0]}
    parts = {
        "gru": [
            part([1.9, 2.2], folds, {"model": seed_a, **base}),
            part([2.1, 1.8], folds, {"model": seed_b, **base}),
        ],
    }
    rows = {r["model"]: r for r in fold_comparison_rows(parts, H)}
    losses = {"gru": (seed_a + seed_b) / 2, **base}  # a model's losses: the mean over seeds
    return rows, losses


def test_means_wins_and_pooled_rmse_by_hand(rows_and_losses):
    rows, losses = rows_and_losses
    gru = rows["gru"]
    # per fold over seeds (1.9 + 2.1)/2 = 2.0 and (2.2 + 1.8)/2 = 2.0; mean of all four 2.0,
    # sample sd sqrt((0.01 + 0.04 + 0.01 + 0.04)/3)
    assert gru["fold_rmse"] == pytest.approx([2.0, 2.0])
    assert gru["rmse_mean"] == pytest.approx(2.0) and gru["rmse_sd"] == pytest.approx(
        math.sqrt(0.1 / 3)
    )
    assert gru["wins_vs_persistence"] == "2 of 2" and gru["wins_vs_linear"] == "1 of 2"
    assert rows["linear"]["rmse_mean"] == pytest.approx(2.05)
    assert rows["linear"]["rmse_sd"] == pytest.approx(math.sqrt(0.005))
    assert gru["best"] and not rows["linear"]["best"]
    for name, row in rows.items():
        assert row["rmse_pooled"] == pytest.approx(math.sqrt(np.mean(losses[name])), rel=1e-12)


def test_every_p_value_is_the_dm_test_of_the_pooled_losses(rows_and_losses):
    rows, losses = rows_and_losses
    for name, row in rows.items():
        for other, key in [("persistence", "dm_p_vs_persistence"), ("linear", "dm_p_vs_linear"),
                           ("gru", "dm_p_vs_best")]:  # fmt: skip
            _, p = dm_reference(losses[name], losses[other], H)
            assert row[key] == pytest.approx(p, rel=1e-9, abs=1e-12), (name, key)
        assert row["near_best"] == (not row["best"] and row["dm_p_vs_best"] >= 0.05)

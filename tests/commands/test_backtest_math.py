"""``forecast backtest``'s numbers recomputed by hand or from its own files (issue 22): ``--refit
once`` scores every fold with fold 1's scaler (fit on the rows before fold 1's validation
block), the summary's pooled Diebold–Mariano tests come from every fold's origins in origins.csv
at the run's horizon, and each fold's RMSE is the root of its origins' mean loss.

Each test failed when the behaviour it names was broken by hand (issue 22's closing note)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.commands import backtest_folds
from tests.conftest import synthetic_frame
from tests.dm_reference import dm_reference

FAST = {"window": 12, "horizon": 3, "epochs": 1, "units": 4, "calendar": "none", "seed": 3}


@pytest.fixture(scope="module")
def once(tmp_path_factory):
    """A 3-fold ``--refit once`` backtest of 300 rows, blocks of 20 rows, recording the scaler
    each fold was scored with: ``(result, frame, [(mean, scale) per fold])``."""
    frame = synthetic_frame(300, period=12)
    scalers = []
    real = backtest_folds.score_fold

    def spy(fold, prepared, model, linear):
        scalers.append((list(prepared.prep.mean), list(prepared.prep.scale)))
        return real(fold, prepared, model, linear)

    out = tmp_path_factory.mktemp("btmath") / "once"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backtest_folds, "score_fold", spy)
        result = forecast.backtest(
            frame, "rnn", folds=3, fold_size=20, refit="once", out=out, **FAST
        )
    return result, frame, scalers


def test_refit_once_scores_every_fold_with_fold_1s_scaler(once):
    """Fold 1 tests rows 240-259 and validates on 220-239 (300 - 3·20 - 20 = 220): its scaler is
    the mean and population sd of rows 0-219, and folds 2 and 3 (trained on nothing new) reuse
    it, not one refit on their longer past."""
    result, frame, scalers = once
    assert [f["trained"] for f in result.result["folds"]] == [True, False, False]
    train = frame.iloc[:220][["x", "y"]].to_numpy(dtype="float32").astype("float64")
    expected = (train.mean(axis=0).tolist(), train.std(axis=0).tolist())
    assert len(scalers) == 3
    for k, (mean, scale) in enumerate(scalers, start=1):
        assert mean == pytest.approx(expected[0], rel=1e-9), f"fold {k}"
        assert scale == pytest.approx(expected[1], rel=1e-9), f"fold {k}"


def test_summary_dm_pools_every_folds_origins_at_the_run_horizon(once):
    result, _, _ = once
    data = json.loads((result.path / "backtest.json").read_text())
    origins = pd.read_csv(result.path / "origins.csv")
    assert origins["fold"].tolist() == sorted(origins["fold"]) and set(origins["fold"]) == {1, 2, 3}
    assert len(origins) == 3 * (20 - 3 + 1)
    for name in ("persistence", "linear"):
        stat, p = dm_reference(origins["model"], origins[name], data["horizon"])
        saved = data["summary"]["significance"][f"vs_{name}"]
        assert saved["dm_stat"] == pytest.approx(stat, rel=1e-9), name
        assert saved["p_value"] == pytest.approx(p, rel=1e-7), name


def test_fold_rmse_is_the_root_mean_of_its_origin_losses(once):
    result, _, _ = once
    data = json.loads((result.path / "backtest.json").read_text())
    origins = pd.read_csv(result.path / "origins.csv")
    for f in data["folds"]:
        mine = origins[origins["fold"] == f["fold"]]
        assert f["rmse"] == pytest.approx(np.sqrt(mine["model"].mean()), rel=1e-9)
        for name, scores in f["baselines"].items():
            assert scores["rmse"] == pytest.approx(np.sqrt(mine[name].mean()), rel=1e-9), name

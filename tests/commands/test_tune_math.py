"""``forecast tune``'s Diebold–Mariano test of the best trial against trial 1 (issue 22): at the
run's horizon, on validation losses whose overlap matters (p 0.158 at h = 3, 0.0075 at h = 1).

Training is replaced by a stand-in that returns fixed per-origin losses; the test failed when
the test was run at horizon 1 (issue 22's closing note)."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.commands import tune as tune_mod
from forecast.config import FitOptions
from tests.conftest import synthetic_frame
from tests.dm_reference import dm_reference

N = 60


def validation_losses() -> tuple[np.ndarray, np.ndarray]:
    """Trial 1's and the better trials' per-origin losses: their difference is 0.25 plus an MA(2)
    noise, autocorrelated up to lag 2 like the losses of 3-step forecasts from consecutive
    origins."""
    rng = np.random.default_rng(12)
    e = rng.normal(size=N + 2)
    start = 8 + rng.uniform(0, 1, N)
    return start, start - (0.25 + e[2:] + e[1:-1] + e[:-2])


class FixedLosses:
    """Stands in for ``TrialRunner``: trial 1 scores 2.0 and every later trial 1.0 + k/100 (trial
    2 is the best), with the losses of ``validation_losses``."""

    def __init__(self, series, verbose=0):
        self.real = REAL_RUNNER(series, verbose)
        self.last = None
        self.trials = 0

    def prepared(self, options):
        return self.real.prepared(options)

    def val_rmse(self, name, options):
        if name == "linear":
            return 1.5, 1
        self.trials += 1
        start, better = validation_losses()
        self.last = (np.zeros((N, 3)), start if self.trials == 1 else better)
        return (2.0 if self.trials == 1 else 1.0 + self.trials / 100), 1


REAL_RUNNER = tune_mod.TrialRunner


def test_tune_tests_the_best_trial_at_the_run_horizon(tmp_path, monkeypatch):
    monkeypatch.setattr(tune_mod, "TrialRunner", FixedLosses)
    csv = tmp_path / "sine.csv"
    synthetic_frame().to_csv(csv, index=False)
    start = FitOptions(model="gru", window=14, horizon=3, epochs=1, units=4, calendar="none")
    report = tune_mod.tune(csv, start, tmp_path / "t", trials=3, log=lambda line: None)
    assert [r["trial"] for r in report.rows if r["val_rmse"] == report.best_rmse] == [2]
    loss_start, loss_best = validation_losses()
    _, p3 = dm_reference(loss_best, loss_start, 3)
    _, p1 = dm_reference(loss_best, loss_start, 1)
    assert 0.15 < p3 < 0.17 and 0.007 < p1 < 0.008  # the overlap decides the verdict here
    assert report.dm_p_vs_start == pytest.approx(p3, rel=1e-9)
    assert f"validation DM p={p3:.3g} against" in (tmp_path / "t" / "best.toml").read_text()

"""The gradient-boosting baseline: shapes, no test row read, better than persistence on a noisy
seasonal series, deterministic, and ``--baselines +gbm`` end to end."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.config import FitOptions
from forecast.data.io import Series
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.gbm import Settings, fit_gbm, lags, mean_spans, predict_gbm
from forecast.training.preparation import prepare
from tests.conftest import synthetic_frame

FAST = dict(max_iter=30)  # tiny: the tests check behaviour, not accuracy


def seasonal_series(n: int = 600, seed: int = 0, freq: str = "h") -> Series:
    """A noisy daily cycle with an AR(1) wobble (persistence is poor, the season is learnable)
    and a second input column."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    wobble = np.zeros(n)
    for i in range(1, n):
        wobble[i] = 0.7 * wobble[i - 1] + rng.normal(0, 0.5)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + wobble
    index = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=n, freq=freq), name="date")
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": y}, index=index).astype("float32")
    return Series(frame, "date", freq)


@pytest.fixture(scope="module")
def prepared():
    options = FitOptions(window=48, horizon=6, calendar="none")
    return prepare(seasonal_series(), options)


def test_lags_and_means_stay_inside_the_window():
    assert lags(30, 7).tolist() == [*range(1, 15), 21, 28]
    assert lags(5, 24).tolist() == [1, 2, 3, 4]
    assert lags(1, 7).tolist() == []
    assert mean_spans(30, 7) == [3, 7, 30] and mean_spans(2, 7) == [2]


def test_forecasts_every_step_of_every_origin(prepared):
    fitted = fit_gbm(prepared, Settings(seed=1, **FAST))
    for part in ("val", "test"):
        out = predict_gbm(fitted, prepared, part)
        assert out.shape == (len(prepared.starts[part]), 6)
        assert np.isfinite(out).all()
    assert len(fitted.models) == 6 and all(1 <= n <= 30 for n in fitted.trees)
    one = fit_gbm(prepared, Settings(seed=1, per_step=False, **FAST))
    assert len(one.models) == 1
    assert predict_gbm(one, prepared, "test").shape == (len(prepared.starts["test"]), 6)


@pytest.mark.parametrize("poison", [np.nan, 1e30])
@pytest.mark.parametrize("per_step", [True, False])
def test_the_test_rows_are_never_read_to_fit(prepared, poison, per_step):
    """Poisoning every test row (target and inputs) changes no tree: the validation forecasts
    and the first test origin (its window ends before the test rows) stay the same."""
    end = prepared.split.val_end
    target, values = prepared.target.copy(), prepared.values.copy()
    target[end:], values[end:] = poison, np.float32(poison)
    poisoned = dataclasses.replace(prepared, target=target, values=values)
    settings = Settings(seed=3, per_step=per_step, **FAST)
    clean, dirty = fit_gbm(prepared, settings), fit_gbm(poisoned, settings)
    assert clean.trees == dirty.trees
    np.testing.assert_array_equal(
        predict_gbm(clean, prepared, "val"), predict_gbm(dirty, poisoned, "val")
    )
    first = prepared.starts["test"][0]
    assert first + prepared.prep.window == end  # its inputs are all before the test rows
    np.testing.assert_array_equal(
        predict_gbm(clean, prepared, "test")[0], predict_gbm(dirty, poisoned, "test")[0]
    )


def test_beats_persistence_on_a_noisy_seasonal_series(prepared):
    actual = prepared.actual("test")
    gbm = predict_gbm(fit_gbm(prepared, Settings(seed=0, max_iter=100)), prepared)
    persistence = naive_baselines(prepared)["persistence"]
    assert ev.rmse(actual, gbm) < 0.9 * ev.rmse(actual, persistence)


def test_the_same_seed_gives_the_same_forecast(prepared):
    runs = [predict_gbm(fit_gbm(prepared, Settings(seed=7, **FAST)), prepared) for _ in range(2)]
    np.testing.assert_array_equal(*runs)


def test_calendar_phases_are_features_when_the_run_has_them():
    options = FitOptions(window=12, horizon=3)
    daily = prepare(seasonal_series(800, freq="D"), options)
    with_cal = fit_gbm(daily, Settings(**FAST))
    assert with_cal.cycles == ["day_of_week"]  # a year needs 2 repeats in the training rows
    assert fit_gbm(daily, Settings(calendar=False, **FAST)).cycles == []
    assert predict_gbm(with_cal, daily).shape == (len(daily.starts["test"]), 3)


TINY = ["--epochs", "1", "--window", "14", "--horizon", "3", "--units", "4", "--quiet"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_fit_with_gbm_scores_it_beside_the_other_baselines(tmp_path):
    csv = tmp_path / "sine.csv"
    synthetic_frame(160).to_csv(csv, index=False)
    out = tmp_path / "run"
    result = invoke("fit", csv, "--model", "linear", *TINY, "--baselines", "+gbm", "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["baselines"]) == {"persistence", "seasonal_naive", "linear", "gbm"}
    assert {"rmse", "mae", "smape", "mase"} <= set(metrics["baselines"]["gbm"])
    assert set(metrics["significance"]["vs_gbm"]) == {"dm_stat", "p_value"}
    predictions = pd.read_csv(out / "predictions.csv")
    assert predictions["gbm"].notna().all()
    table = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("gbm ")]
    assert table == ["gbm"]
    assert json.loads((out / "config.json").read_text())["baselines"] == "+gbm"
    evaluated = invoke("evaluate", out, csv)  # the trees are not saved: fit again there
    assert evaluated.exit_code == 0, evaluated.output
    assert "note: the gbm baseline is fit again" in evaluated.stderr
    assert any(line.startswith("gbm ") for line in evaluated.stdout.splitlines())
    assert "vs gbm" in evaluated.stdout


def test_a_bad_baselines_value_is_one_line_and_exit_2(tmp_path):
    csv = tmp_path / "sine.csv"
    synthetic_frame(160).to_csv(csv, index=False)
    result = CliRunner().invoke(cli, ["fit", str(csv), "--baselines", "+xgb"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --baselines '+xgb' is not one of default, +gbm, -gbm; use e.g. --baselines +gbm\n"
    )
    assert not list(tmp_path.glob("runs*"))


def test_the_python_api_takes_baselines_too(tmp_path):
    import forecast

    frame = synthetic_frame(160).set_index("date")
    run = forecast.fit(frame, "linear", window=14, horizon=3, baselines="+gbm", out=tmp_path / "r")
    assert list(run.table.index) == ["linear", "persistence", "seasonal_naive", "gbm"]
    assert "vs_gbm" in run.metrics["significance"]
    with pytest.raises(forecast.ForecastError, match="--baselines 'gbm' is not one of"):
        forecast.fit(frame, "linear", baselines="gbm", out=tmp_path / "bad")

"""The model a run forecasts with (issue 21): after scoring, fit refits the same configuration on
every row (final_model.keras, final_linear.keras, metrics.json ``final``); predict uses it by
default and says so, ``--use scored`` keeps model.keras; ``--final none`` writes none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from forecast.data.layout import Layout
from forecast.data.split import Split
from forecast.training.refit import origins_through, refit_epochs

ROOT = Path(__file__).resolve().parents[2]
# features target, no calendar: the model's input is (y - mean) / scale, recomputed by hand below
TINY = ["--epochs", "2", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]
TINY += ["--features", "target", "--calendar", "none", "--patience", "5"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def forecast_in_subprocess(*args) -> subprocess.CompletedProcess:
    """``forecast ARGS`` in a fresh Python, importing this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "forecast", *map(str, args)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def sine(n: int = 120) -> pd.DataFrame:
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.1, n)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"), "y": y})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("final")
    csv = root / "data.csv"
    sine().to_csv(csv, index=False)
    result = invoke("fit", csv, "--model", "gru", *TINY, "--final", "all", "--out", root / "run")
    assert result.exit_code == 0, result.output
    assert "refitting gru on every row for predict: 111 windows" in result.output
    return root / "run", csv


def test_fit_writes_the_final_models_and_says_what_they_trained_on(run):
    out, _ = run
    assert (out / "final_model.keras").is_file() and (out / "final_linear.keras").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    final = metrics["final"]
    # 120 rows, window 8, horizon 2: origins 0 … 110 (the scored fit trained on 84 - 10 + 1)
    assert final["n_windows"] == 120 - 8 - 2 + 1 == 111
    assert final["n_scored_train_windows"] == metrics["n_train_windows"] == 84 - 8 - 2 + 1
    assert final["epochs"] == metrics["best_epoch"]
    assert final["file"] == "final_model.keras" and final["from"] == "all rows"
    assert "validation residuals" in final["intervals"]


def scored_forecast_by_hand(out: Path, csv: Path) -> np.ndarray:
    """model.keras on the last window, scaled and unscaled with preprocessing.json by hand."""
    import keras

    import forecast.models.layers  # noqa: F401  (the custom layers model.keras names)

    prep = json.loads((out / "preprocessing.json").read_text())
    y = pd.read_csv(csv)["y"].to_numpy(dtype="float64")
    mean, scale = prep["mean"][0], prep["scale"][0]
    window = ((y[-prep["window"] :] - mean) / scale).astype("float32")[None, :, None]
    model = keras.saving.load_model(out / "model.keras", safe_mode=True, compile=False)
    return np.asarray(model.predict(window, verbose=0), dtype="float64")[0] * scale + mean


def test_predict_in_a_new_process_uses_the_final_model_and_says_so(run, tmp_path):
    out, csv = run
    final = forecast_in_subprocess("predict", out, csv, "--out", tmp_path / "final.csv")
    assert final.returncode == 0, final.stderr
    assert "forecast by final_model.keras: the scored configuration refit" in final.stderr
    scored = forecast_in_subprocess(
        "predict", out, csv, "--use", "scored", "--out", tmp_path / "scored.csv"
    )
    assert scored.returncode == 0, scored.stderr
    assert "forecast by the scored model.keras (--use scored)" in scored.stderr
    a, b = pd.read_csv(tmp_path / "final.csv"), pd.read_csv(tmp_path / "scored.csv")
    assert set(a["model_version"]) == {"final"} and set(b["model_version"]) == {"scored"}
    np.testing.assert_allclose(b["predicted"], scored_forecast_by_hand(out, csv), rtol=1e-5)
    assert not np.allclose(a["predicted"], b["predicted"])  # another model: more rows, weights


def test_the_combined_column_uses_the_final_linear_model_with_the_validation_weight(run):
    import keras

    out, csv = run
    weight = json.loads((out / "metrics.json").read_text())["combination"]["weight"]
    table = forecast.load(out).predict(csv)
    prep = json.loads((out / "preprocessing.json").read_text())
    y = pd.read_csv(csv)["y"].to_numpy(dtype="float64")
    mean, scale = prep["mean"][0], prep["scale"][0]
    window = ((y[-8:] - mean) / scale).astype("float32")[None, :, None]
    linear = keras.saving.load_model(out / "final_linear.keras", safe_mode=True, compile=False)
    by_hand = np.asarray(linear.predict(window, verbose=0), dtype="float64")[0] * scale + mean
    expected = weight * table["predicted"] + (1 - weight) * by_hand
    np.testing.assert_allclose(table["combined"], expected, rtol=1e-5)


def test_evaluate_keeps_the_scored_model(run):
    out, csv = run
    metrics = json.loads((out / "metrics.json").read_text())
    assert forecast.load(out).evaluate(csv)["rmse"] == pytest.approx(metrics["rmse"], rel=1e-6)


def test_final_none_writes_no_final_model_and_predict_falls_back_with_a_note(tmp_path):
    csv = tmp_path / "data.csv"
    sine().to_csv(csv, index=False)
    out = tmp_path / "run"
    result = invoke("fit", csv, *TINY, "--final", "none", "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / "final_model.keras").exists() and not (out / "final_linear.keras").exists()
    assert "final" not in json.loads((out / "metrics.json").read_text())
    notes = []
    table = forecast.load(out).predict(csv, log=notes.append)
    assert "has no final_model.keras" in notes[-1] and "by the scored model.keras" in notes[-1]
    assert set(table["model_version"]) == {"scored"}


def test_the_final_model_has_learnt_what_only_the_last_rows_show(tmp_path):
    """A series flat for 70 % of its rows, then climbing by 1 a step: the linear model (a ridge
    solution, no seed) scored on the flat rows forecasts no climb (persistence); refit on every
    row, with the same penalty, it forecasts the climb to go on (about 0.3 a step: one penalty
    for both regimes; 0.30, 0.61, 0.93 with seeds 0 to 3)."""
    n = 200
    rng = np.random.default_rng(1)
    y = rng.normal(0, 0.3, n)
    y[140:] += np.arange(1, 61)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"), "y": y})
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    args = ["--window", "8", "--horizon", "3", "--features", "target", "--calendar", "none"]
    args += ["--final", "all"]
    result = invoke("fit", csv, "--model", "linear", *args, "--quiet", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    run = forecast.load(tmp_path / "run")
    climb = run.predict(csv)["predicted"].to_numpy() - y[-1]
    flat = run.predict(csv, use="scored")["predicted"].to_numpy() - y[-1]
    assert 0.15 < climb[0] < climb[1] < climb[2] and climb[2] > 0.6  # the last rows' climb
    assert np.all(np.abs(flat) < 0.1)  # the flat rows' model: no climb


def test_refit_on_the_scored_windows_reproduces_the_scored_ensemble(tmp_path):
    """Same configuration, seeds and epoch counts as the scored fit: on the scored fit's own
    training windows, the refit is the scored model (each member stops at its own best epoch)."""
    from forecast.config import FitOptions
    from forecast.data.prepared import load_series_for
    from forecast.training.fitting import train_one
    from forecast.training.inference import predict_part
    from forecast.training.preparation import prepare
    from forecast.training.refit import on_rows_through, refit

    csv = tmp_path / "data.csv"
    sine().to_csv(csv, index=False)
    options = FitOptions(
        window=8, horizon=2, units=4, epochs=3, ensemble=2, calendar="none"
    ).plain()
    prepared = prepare(load_series_for(csv, options), options)
    model, result = train_one("gru", prepared, options, verbose=0)
    assert len(result.member_best_epochs) == 2
    same = on_rows_through(prepared, "train")
    np.testing.assert_array_equal(same.starts["train"], prepared.starts["train"])
    again = refit(same, options, list(result.member_best_epochs), None).model
    np.testing.assert_array_equal(predict_part(again, prepared), predict_part(model, prepared))


def test_refit_epochs_by_hand():
    assert refit_epochs(10, 700, 1000) == 10  # default: as many passes as the scored fit
    assert refit_epochs(10, 700, 1000, "steps") == 7  # as many gradient steps
    assert refit_epochs(1, 100, 1000, "steps") == 1  # at least one epoch


def test_the_refit_windows_reach_the_last_origin_of_every_series():
    prep = SimpleNamespace(window=10, horizon=3)
    one = SimpleNamespace(prep=prep, layout=None, split=Split(100, 70, 85), parts=None)
    np.testing.assert_array_equal(origins_through(one), np.arange(88))  # 100 - 10 - 3 = 87
    np.testing.assert_array_equal(origins_through(one, "val"), np.arange(73))  # 85 - 13 = 72
    layout = Layout("s", ("a", "b"), (0, 50, 110))
    two = SimpleNamespace(
        prep=prep, layout=layout, split=None, parts=[Split(50, 35, 42), Split(60, 42, 51)]
    )
    expected = np.concatenate([np.arange(38), 50 + np.arange(48)])  # 0 … 37, then 50 … 97
    np.testing.assert_array_equal(origins_through(two), expected)


def test_compare_refits_the_best_architecture_only(tmp_path):
    csv = tmp_path / "data.csv"
    sine().to_csv(csv, index=False)
    cmp = forecast.compare(
        csv,
        models="rnn,gru",
        seeds=1,
        segments=[1],
        out=tmp_path / "cmp",
        baselines="-gbm",
        epochs=2,
        window=8,
        horizon=2,
        units=4,
        calendar="none",
        features="target",
        final="all",
    )
    have = sorted(p.parent.name for p in (tmp_path / "cmp").glob("*/final_model.keras"))
    assert have == [f"{cmp.best_model}-seed42"]
    best = json.loads((tmp_path / "cmp" / have[0] / "metrics.json").read_text())
    assert best["final"]["n_windows"] == 111
    table = forecast.load(tmp_path / "cmp" / have[0]).predict(csv)
    assert set(table["model_version"]) == {"final"}

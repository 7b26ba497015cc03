"""Reproducibility (same seed, same metrics; evaluate reproduces them; config.json records the
versions and the data's SHA-256) and safety (nothing in a run directory is executed or trusted)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.errors import ForecastError
from tests.conftest import ROOT, synthetic_frame

FAST = ["--model", "gru", "--epochs", "2", "--window", "6", "--horizon", "2", "--units", "4"]
FAST += ["--quiet", "--seed", "7"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def timing_free(metrics: dict) -> dict:
    """metrics.json without wall-clock measurements (nested ones too: ``final.seconds``)."""
    timing = re.compile(r"(seconds|_per_second|latency)")
    return {
        k: timing_free(v) if isinstance(v, dict) else v
        for k, v in metrics.items()
        if not timing.search(k)
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("repro")
    csv = root / "data.csv"
    synthetic_frame(90).to_csv(csv, index=False)
    outs = []
    for name in ("a", "b"):
        out = root / name
        result = invoke("fit", csv, *FAST, "--out", out)
        assert result.exit_code == 0, result.output
        outs.append(out)
    return csv, outs


def test_same_seed_gives_identical_metrics_on_cpu(two_runs):
    _, (a, b) = two_runs
    metrics_a = json.loads((a / "metrics.json").read_text())
    metrics_b = json.loads((b / "metrics.json").read_text())
    assert "train_seconds" in metrics_a and "train_seconds" not in timing_free(metrics_a)
    assert timing_free(metrics_a) == timing_free(metrics_b)
    assert (a / "predictions.csv").read_text() == (b / "predictions.csv").read_text()


def test_config_records_versions_and_data_sha256(two_runs):
    csv, (a, _) = two_runs
    config = json.loads((a / "config.json").read_text())
    assert config["data"]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert config["data"]["path"] == str(csv.resolve())
    assert {"forecast", "python", "tensorflow", "keras", "numpy", "pandas"} <= set(
        config["versions"]
    )
    assert config["seed"] == 7


def test_evaluate_on_a_saved_run_reproduces_its_metrics(two_runs):
    from forecast.commands.evaluate import evaluate_run

    csv, (a, _) = two_runs
    saved = json.loads((a / "metrics.json").read_text())
    again = evaluate_run(a, csv)
    for key in ("rmse", "mae", "smape", "mase", "skill_vs_persistence"):
        assert again[key] == pytest.approx(saved[key], rel=1e-9), key
    assert again["per_horizon_rmse"] == pytest.approx(saved["per_horizon_rmse"], rel=1e-9)
    for name, scores in saved["baselines"].items():
        assert again["baselines"][name]["rmse"] == pytest.approx(scores["rmse"], rel=1e-9)


def test_a_lambda_layer_in_model_keras_is_refused_and_never_run(two_runs, tmp_path):
    import keras

    from forecast.commands.saved_run import load_run

    _, (a, _) = two_runs
    run = tmp_path / "run"
    shutil.copytree(a, run)
    marker = tmp_path / "executed"

    def payload(x):
        marker.write_text("ran")
        return x

    inputs = keras.Input((6, 2))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Lambda(payload)(inputs)))
    keras.Model(inputs, outputs).save(run / "model.keras")
    marker.unlink(missing_ok=True)  # building the model ran it once, here, on purpose
    with pytest.raises(ForecastError) as info:
        load_run(run)
    assert str(info.value) == (
        f"{run / 'model.keras'} contains code (e.g. a Lambda layer) that would run on loading; "
        "refused (Keras safe_mode). Only load run directories made by `forecast fit`"
    )
    assert not marker.exists()
    result = invoke("predict", run, "--use", "scored")
    assert result.exit_code == 2 and "refused (Keras safe_mode)" in result.stderr
    shutil.copyfile(run / "model.keras", run / "final_model.keras")  # predict's default model
    result = invoke("predict", run)
    assert result.exit_code == 2 and "final_model.keras contains code" in result.stderr
    assert not marker.exists()


def test_recorded_data_path_is_used_only_if_present_and_named(two_runs, tmp_path):
    _, (a, _) = two_runs
    run = tmp_path / "run"
    shutil.copytree(a, run)
    elsewhere = tmp_path / "elsewhere.csv"
    synthetic_frame(90, seed=3).to_csv(elsewhere, index=False)
    config = json.loads((run / "config.json").read_text())
    config["data"]["path"] = str(elsewhere)
    (run / "config.json").write_text(json.dumps(config))
    result = invoke("predict", run, "--out", tmp_path / "future.csv")
    assert result.exit_code == 0, result.output
    assert f"note: using the run's training CSV {elsewhere} (from config.json)" in result.stderr
    assert f"note: {elsewhere} has changed since the run was trained (SHA-256 differs)" in (
        result.stderr
    )


def test_no_pickle_or_eval_in_the_package():
    source = "\n".join(p.read_text() for p in (ROOT / "forecast").rglob("*.py"))
    for banned in ("import pickle", "allow_pickle=True", "eval(", "exec(", "safe_mode=False"):
        assert banned not in source, banned
    assert "safe_mode=True" in source


def test_run_files_are_json_and_keras_only(two_runs):
    _, (a, _) = two_runs
    suffixes = {Path(p).suffix for p in (x.name for x in a.iterdir())}
    assert suffixes <= {".keras", ".json", ".csv", ".png", ".html"}  # report.html: no scripts

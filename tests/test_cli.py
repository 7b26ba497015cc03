"""The CLI end to end on the shipped data (tiny epochs), and its bad-input behaviour."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.reporting.terminal import fit_verdict
from tests.conftest import STOCK, WEATHER, synthetic_frame

RUN_FILES = [
    "model.keras",
    "preprocessing.json",
    "config.json",
    "metrics.json",
    "history.csv",
    "predictions.csv",
    "lag.png",
    "forecast.png",
    "loss.png",
    "per_horizon.png",
    "report.html",
]
METRIC_KEYS = [
    "model",
    "target",
    "window",
    "horizon",
    "rmse",
    "mae",
    "smape",
    "mase",
    "per_horizon_rmse",
    "n_test_windows",
    "params",
    "epochs_run",
    "train_seconds",
    "train_samples_per_second",
    "baselines",
    "skill_vs_persistence",
]
TINY = ["--epochs", "1", "--window", "14", "--horizon", "3", "--units", "8", "--quiet"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def weather_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "gru"
    result = invoke("fit", WEATHER, "--model", "gru", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_fit_writes_the_run_directory_contract(weather_run):
    out, result = weather_run
    extra = ["baseline_linear.keras"]  # no final_model.keras: --final none is the default
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES + extra)
    metrics = json.loads((out / "metrics.json").read_text())
    assert [k for k in METRIC_KEYS if k not in metrics] == []
    assert set(metrics["baselines"]) == {"persistence", "seasonal_naive", "linear"}
    assert metrics["baselines"]["seasonal_naive"]["season"] == 7
    assert metrics["target"] == "temp_max" and metrics["horizon"] == 3
    assert len(metrics["per_horizon_rmse"]) == 3
    persistence = metrics["baselines"]["persistence"]["rmse"]
    assert metrics["skill_vs_persistence"] == pytest.approx(1 - metrics["rmse"] / persistence)
    assert metrics["beats_persistence"] == (metrics["rmse"] < persistence)
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == metrics["n_test_windows"] * 3
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 42 and len(config["data"]["sha256"]) == 64
    assert "tensorflow" in config["versions"]
    assert "run:" in result.stdout and "persistence" in result.stdout
    assert "seasonal_naive(7)" in result.stdout
    assert set(metrics["significance"]) == {"vs_persistence", "vs_linear"}
    for test in metrics["significance"].values():
        assert 0 <= test["p_value"] <= 1 and np.isfinite(test["dm_stat"])
    diag = metrics["diagnostics"]
    assert 0 <= diag["best_lag"] <= 3 and len(diag["lag_rmse"]) == 4
    assert 0 <= diag["directional_accuracy"] <= 1 and -1 <= diag["corr_with_persistence"] <= 1
    assert "Diebold-Mariano" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("verdict: ")


def test_predict_forecasts_past_the_last_row(weather_run, tmp_path):
    out, _ = weather_run
    target = tmp_path / "future.csv"
    result = invoke("predict", out, WEATHER, "--out", target)
    assert result.exit_code == 0, result.output
    future = pd.read_csv(target, parse_dates=["timestamp"])
    assert future["step"].tolist() == [1, 2, 3]
    assert future["timestamp"].iloc[0] == pd.Timestamp("2016-01-01")
    assert future["predicted"].between(-20, 45).all()
    assert target.with_suffix(".png").stat().st_size > 0


def test_evaluate_reproduces_the_saved_metrics(weather_run):
    out, _ = weather_run
    metrics = json.loads((out / "metrics.json").read_text())
    result = invoke("evaluate", out, WEATHER)
    assert result.exit_code == 0, result.output
    assert f"{metrics['rmse']:.4g}" in result.stdout
    assert f"{metrics['baselines']['linear']['rmse']:.4g}" in result.stdout
    # the same tests and verdict as fit printed, recomputed from the saved model
    sig = metrics["significance"]["vs_persistence"]
    assert f"vs persistence: DM {sig['dm_stat']:+.2f}" in result.stdout
    assert "diagnostics: best lag" in result.stdout
    # (without fit's thin-evidence hint: evaluate scores a saved model and suggests no backtest)
    assert result.stdout.rstrip().splitlines()[-1] == fit_verdict({**metrics, "verdict_hint": None})


def test_predict_refuses_a_csv_with_other_columns(weather_run, write_csv):
    out, _ = weather_run
    result = invoke("predict", out, write_csv(synthetic_frame(60)))
    assert result.exit_code == 2
    assert "lacks column(s) precipitation, wind, temp_min, temp_max" in result.stderr


def test_fit_on_stock_with_linear_model(tmp_path):
    out = tmp_path / "lin"
    result = invoke("fit", STOCK, "--model", "linear", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["target"] == "close"
    assert metrics["baselines"]["seasonal_naive"]["season"] == 5
    assert metrics["baselines"]["linear"]["rmse"] == metrics["rmse"]
    assert not (out / "baseline_linear.keras").exists()
    assert sum(line.split()[:1] == ["linear"] for line in result.stdout.splitlines()) == 1


def test_models_lists_every_architecture_with_params():
    result = invoke("models", "--window", "10", "--units", "4")
    assert result.exit_code == 0
    for name in ("rnn", "lstm", "gru", "hybrid", "linear"):
        assert f"\n{name}" in result.stdout


def test_config_file_sets_options_and_flags_override(tmp_path, sine_csv):
    config = tmp_path / "c.toml"
    config.write_text('model = "linear"\nwindow = 6\nhorizon = 2\nepochs = 1\n')
    out = tmp_path / "run"
    result = invoke("fit", sine_csv, "--config", config, "--horizon", "4", "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())
    assert (saved["model"], saved["window"], saved["horizon"]) == ("linear", 6, 4)


BAD_FIT = [
    ("window_too_big", ["--window", "5000"], "need at least"),
    ("zero_horizon", ["--horizon", "0"], "--horizon 0 must be a positive integer"),
    ("unknown_target", ["--target", "rain"], "--target 'rain' is not a numeric column"),
    ("unknown_feature", ["--features", "temp_max,snow"], "unknown column(s) snow"),
    ("bad_split", ["--split", "0.9,0.1"], "three positive fractions"),
    ("bad_model", ["--model", "transformer"], "'transformer' is not one of"),
    ("bad_int", ["--window", "ten"], "'ten' is neither an integer nor 'auto'"),
]


@pytest.mark.parametrize("case, args, message", BAD_FIT, ids=[c[0] for c in BAD_FIT])
def test_bad_options_fail_cleanly(tmp_path, case, args, message):
    out = tmp_path / "run"
    result = invoke("fit", WEATHER, "--epochs", "1", "--out", out, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging directory left either


def test_bad_csv_fails_cleanly(tmp_path, write_csv):
    path = write_csv("date,y\n2020-01-01,1\n2020-01-02,oops\n")
    out = tmp_path / "run"
    result = invoke("fit", path, "--out", out)
    assert result.exit_code == 2
    assert (
        result.stderr == "error: column 'y' line 3: 'oops' is not a number (1 such cell(s)); "
        "fix them, or leave them empty and use --fill\n"
    )
    assert not out.exists()


def test_existing_out_is_kept_unless_overwrite(weather_run):
    out, _ = weather_run
    before = (out / "metrics.json").read_text()
    result = invoke("fit", WEATHER, "--out", out, *TINY)
    assert result.exit_code == 2 and "already exists; pass --overwrite" in result.stderr
    assert (out / "metrics.json").read_text() == before


def test_console_script_has_no_traceback_and_help_skips_tensorflow(write_csv):
    path = write_csv("a,b\n1,2\n")
    bad = subprocess.run(
        [sys.executable, "-m", "forecast", "fit", str(path)], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and bad.stderr.startswith("error: no time column found")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from forecast.cli import cli; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False False"

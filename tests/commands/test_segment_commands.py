"""--segment through the commands: tune trains segment-wise trials, compare --segment S trains
that segment length only, predict and evaluate read a segment-wise run back."""

import json

from click.testing import CliRunner

from forecast.cli import cli

TINY = ["--horizon", "3", "--epochs", "1", "--units", "4", "--quiet"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_tune_trains_segment_wise_trials(tmp_path, sine_csv):
    out = tmp_path / "tune"
    args = ["tune", sine_csv, "--model", "gru", "--window", "12", "--segment", "4", *TINY]
    result = invoke(*args, "--trials", "2", "--out", out)
    assert result.exit_code == 0, result.output
    assert "segment = 4" in (out / "best.toml").read_text()


def test_tune_refuses_auto(tmp_path, sine_csv):
    result = invoke("tune", sine_csv, "--window", "auto", *TINY, "--out", tmp_path / "t")
    assert result.exit_code == 2
    assert "tune searches the window itself" in result.output


def test_compare_segment_trains_that_length_only(tmp_path, sine_csv):
    out = tmp_path / "cmp"
    args = ["compare", sine_csv, "--models", "gru", "--seeds", "1", "--window", "12"]
    result = invoke(*args, "--segment", "4", *TINY, "--baselines", "-gbm", "--out", out)
    assert result.exit_code == 0, result.output
    models = [r["model"] for r in json.loads((out / "comparison.json").read_text())["rows"]]
    assert "gru-seg4" in models and "gru" not in models


def test_predict_and_evaluate_a_segment_wise_run(tmp_path, sine_csv):
    run = tmp_path / "run"
    result = invoke("fit", sine_csv, "--window", "12", "--segment", "5", *TINY, "--out", run)
    assert result.exit_code == 0, result.output
    assert json.loads((run / "metrics.json").read_text())["segment"] == 5
    assert invoke("predict", run).exit_code == 0
    evaluated = invoke("evaluate", run, sine_csv)
    assert evaluated.exit_code == 0, evaluated.output
    assert "verdict:" in evaluated.output

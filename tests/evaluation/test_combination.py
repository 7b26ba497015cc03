"""w·model + (1 − w)·linear: the weight fit on validation, scored and tested as its own row."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.evaluation.combination import combination_section, combination_weight, combined
from forecast.reporting.terminal import fit_verdict, metrics_table
from tests.conftest import synthetic_frame

TINY = ["--window", "12", "--horizon", "3", "--epochs", "2", "--units", "4", "--quiet"]


def test_weight_is_the_least_squares_optimum_clipped_to_0_1():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(50, 3))
    model = actual + rng.normal(0, 0.5, size=(50, 3))
    linear = actual + rng.normal(0, 0.5, size=(50, 3))
    w = combination_weight(actual, model, linear)
    grid = np.linspace(0, 1, 2001)
    sse = [np.sum((combined(model, linear, g) - actual) ** 2) for g in grid]
    assert w == pytest.approx(grid[int(np.argmin(sse))], abs=1e-3)
    assert 0 < w < 1
    assert combination_weight(actual, actual, linear) == pytest.approx(1.0)  # model is perfect
    assert combination_weight(actual, linear, actual) == pytest.approx(0.0)
    assert combination_weight(actual, (actual + linear) / 2, linear) == 1.0  # w = 2, clipped
    assert combination_weight(actual, linear, linear) == 1.0  # identical forecasts


def test_section_scores_and_tests_the_combination():
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(80, 2))
    model = actual + rng.normal(0, 0.3, size=(80, 2))
    baselines = {"persistence": actual + 1.0, "linear": actual + rng.normal(0, 0.3, (80, 2))}
    section = combination_section(actual, model, baselines, 0.5, 1.0)
    forecast = 0.5 * model + 0.5 * baselines["linear"]
    assert section["rmse"] == pytest.approx(np.sqrt(np.mean((forecast - actual) ** 2)))
    assert section["weight"] == 0.5 and section["chosen_on"] == "validation"
    assert set(section["significance"]) == {"vs_persistence", "vs_linear", "vs_model"}
    assert section["significance"]["vs_persistence"]["p_value"] < 0.001


def metrics_with(combination_rmse: float) -> dict:
    base = {"rmse": 2.0, "mae": 1.0, "smape": 1.0, "mase": 1.0}
    sig = {"dm_stat": -3.0, "p_value": 0.01}
    return {
        "model": "gru",
        **base,
        "skill_vs_persistence": 0.2,
        "baselines": {"persistence": {**base, "rmse": 2.5}, "linear": {**base, "rmse": 2.1}},
        "significance": {"vs_persistence": sig, "vs_linear": sig},
        "combination": {
            **base,
            "rmse": combination_rmse,
            "weight": 0.7,
            "skill_vs_persistence": 0.25,
            "significance": {"vs_linear": sig, "vs_model": {"dm_stat": -1.0, "p_value": 0.3}},
        },
    }


def test_table_and_verdict_name_the_combination():
    assert "gru+linear(w=0.70)" in metrics_table(metrics_with(1.9))
    verdict = fit_verdict(metrics_with(1.9))
    assert verdict.startswith("verdict: the combination 0.70·gru + 0.30·linear")
    assert "vs gru DM p=0.3" in verdict
    assert fit_verdict(metrics_with(2.05)).startswith("verdict: gru is the best forecaster")


def test_fit_reports_the_combination_chosen_on_validation(tmp_path):
    weights = []
    for k, poison in enumerate([None, 1e4]):
        frame = synthetic_frame(200)
        if poison is not None:  # the test rows (last 15 %) must not move the weight
            frame.loc[int(len(frame) * 0.85) :, ["x", "y"]] = poison
        path = tmp_path / f"d{k}.csv"
        frame.to_csv(path, index=False)
        out = tmp_path / f"run{k}"
        result = CliRunner().invoke(cli, ["fit", str(path), *TINY, "--out", str(out)])
        assert result.exit_code == 0, result.output
        metrics = json.loads((out / "metrics.json").read_text())
        weights.append(metrics["combination"]["weight"])
    assert 0.0 <= weights[0] <= 1.0
    assert weights[0] == pytest.approx(weights[1], abs=1e-6)
    result = CliRunner().invoke(cli, ["predict", str(tmp_path / "run0")])
    assert result.exit_code == 0, result.output
    future = pd.read_csv(tmp_path / "run0" / "future.csv")
    assert "combined" in future.columns and len(future) == 3


def test_combine_none_leaves_it_out(tmp_path, sine_csv):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["fit", str(sine_csv), *TINY, "--combine", "none", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "combination" not in json.loads((out / "metrics.json").read_text())


def test_a_weight_of_0_or_1_is_not_a_forecaster_of_its_own():
    for weight in (0.0, 1.0):
        metrics = metrics_with(1.5)
        metrics["combination"]["weight"] = weight  # = the linear baseline / the model itself
        assert not fit_verdict(metrics).startswith("verdict: the combination")

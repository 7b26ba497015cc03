"""The verdict is a decision: which forecaster to use, on which score, and why, as data; for a
``--series`` run the mean MASE over the series decides, not the pooled RMSE."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.evaluation.comparison import ModelRuns, comparison_rows
from forecast.evaluation.scoring import means, scaled
from forecast.evaluation.verdict import Verdict, decide, decide_compare
from forecast.reporting.tables import text_table
from forecast.reporting.terminal import metrics_table
from forecast.reporting.verdict_text import fit_verdict, render_compare, render_fit


def fit_metrics(model_rmse=3.8, linear_rmse=3.557, p_linear=0.02):
    return {
        "model": "gru",
        "rmse": model_rmse,
        "mae": model_rmse / 2,
        "skill_vs_persistence": 1 - model_rmse / 4.0,
        "baselines": {
            "persistence": {"rmse": 4.0, "mae": 2.0},
            "seasonal_naive": {"rmse": 5.0, "mae": 2.5, "season": 7},
            "linear": {"rmse": linear_rmse, "mae": linear_rmse / 2},
        },
        "significance": {
            "vs_persistence": {"dm_stat": -3.0, "p_value": 0.0004},
            "vs_linear": {"dm_stat": 2.3, "p_value": p_linear},
        },
    }


def test_a_baseline_that_wins_is_the_choice_with_its_evidence():
    v = decide(fit_metrics())
    assert (v.choice, v.kind, v.metric, v.value) == ("linear", "baseline", "rmse", 3.557)
    assert (v.model, v.model_value, v.runner_up, v.runner_up_value) == ("gru", 3.8, "gru", 3.8)
    assert v.evidence == {"gru vs persistence": 0.0004, "gru vs linear": 0.02}
    assert v.reasons[0] == "lowest test RMSE of 4 forecasters: linear 3.557, next gru 3.8"
    assert "gru vs linear: DM p 0.02 (significant at 5 %; favours linear)" in v.reasons
    assert render_fit(v) == (
        "verdict: the linear baseline beats gru (RMSE 3.557 vs 3.8, DM p=0.02); use it"
    )
    stored = json.loads(json.dumps(v.to_dict()))  # what metrics.json keeps
    assert stored["choice"] == "linear" and stored["metric"] == "rmse"
    assert stored["reasons"] == list(v.reasons) and stored["series"] is None


def test_the_combination_wins_when_its_rmse_is_lowest_and_its_weight_inside_0_1():
    m = fit_metrics(model_rmse=3.5, linear_rmse=3.6)
    m["combination"] = {
        "weight": 0.62, "rmse": 3.3, "skill_vs_persistence": 1 - 3.3 / 4.0,
        "significance": {"vs_linear": {"p_value": 0.3}, "vs_model": {"p_value": 0.01}},
    }  # fmt: skip
    v = decide(m)
    assert (v.choice, v.kind, v.weight, v.value) == ("gru+linear(w=0.62)", "combination", 0.62, 3.3)
    assert (v.runner_up, v.runner_up_value) == ("gru", 3.5)
    assert v.p("gru+linear(w=0.62)", "linear") == 0.3 and v.p("gru+linear(w=0.62)", "gru") == 0.01
    assert fit_verdict(m).startswith("verdict: the combination 0.62·gru + 0.38·linear")
    assert fit_verdict(m).endswith(
        "vs linear DM p=0.3, vs gru DM p=0.01: not significantly better than the linear "
        "baseline; `forecast predict` writes it as the `combined` column"
    )
    m["combination"]["weight"] = 1.0  # the model itself: not a forecaster of its own
    assert decide(m).choice == "gru"


def two_series_metrics() -> dict:
    """Two series, hand-computed. Series ``small`` (in-sample seasonal naive error 1): test actual
    [10, 12]; gru [10.5, 12.5] (MAE 0.5, MASE 0.5), linear [11, 13] (MAE 1, MASE 1), persistence
    [12, 14] (MAE 2, MASE 2). Series ``huge`` (seasonal naive error 100): actual [10000, 10100];
    gru [10100, 10200] (MAE 100, MASE 1), linear [10080, 10180] (MAE 80, MASE 0.8), persistence
    [10200, 10300] (MAE 200, MASE 2). Mean MASE: gru 0.75, linear 0.9, persistence 2. Pooled
    RMSE over the four errors: gru sqrt((2·0.25 + 2·100²)/4) = 70.71, linear sqrt((2·1 + 2·80²)/4)
    = 56.57: the huge series decides the pooled RMSE, and linear "wins" it."""
    rmse = {"gru": np.sqrt((0.5 + 20000) / 4), "linear": np.sqrt((2 + 12800) / 4)}
    rmse["persistence"] = np.sqrt((8 + 80000) / 4)

    def entry(name, mase, smape):
        return {"rmse": rmse[name], "mae": 0.0, "mean_mase": mase, "mean_smape": smape}

    return {
        **fit_metrics(),
        **entry("gru", 0.75, 3.0),
        "skill_vs_persistence": 1 - rmse["gru"] / rmse["persistence"],
        "baselines": {
            "persistence": entry("persistence", 2.0, 9.0),
            "linear": entry("linear", 0.9, 5.0),
        },
        "headline": {"metric": "mean_mase", "scale": "seasonal naive, m=2, training rows",
                     "season": 2, "n_series": 2},
        "per_series": {
            "small": {"skill_vs_persistence": 0.75, "significance": {}},
            "huge": {"skill_vs_persistence": 0.5, "significance": {}},
        },
    }  # fmt: skip


def test_the_hand_computed_two_series_means():
    small = {"gru": scaled(0.5, 1.0), "linear": scaled(1.0, 1.0)}
    huge = {"gru": scaled(100.0, 100.0), "linear": scaled(80.0, 100.0)}
    assert means([small["gru"], huge["gru"]], [2.0, 4.0]) == {"mean_mase": 0.75, "mean_smape": 3.0}
    assert means([small["linear"], huge["linear"]], [0, 0])["mean_mase"] == pytest.approx(0.9)
    assert np.isnan(scaled(1.0, 0.0))  # a series that repeats exactly has no scale ...
    assert means([0.5, float("nan")], [1.0, 3.0]) == {"mean_mase": 0.5, "mean_smape": 2.0}


def test_with_several_series_the_mean_mase_decides_not_the_pooled_rmse():
    m = two_series_metrics()
    assert m["baselines"]["linear"]["rmse"] < m["rmse"]  # the pooled RMSE picks linear
    v = decide(m)
    assert (v.choice, v.kind, v.metric, v.value) == ("gru", "model", "mean_mase", 0.75)
    assert (v.runner_up, v.runner_up_value, v.series) == ("linear", 0.9, (2, 0, 2))
    assert v.pooled_rmse["linear"] == pytest.approx(56.57, abs=0.01)
    assert v.pooled_rmse["gru"] == pytest.approx(70.71, abs=0.01)
    assert v.reasons[0].startswith("lowest mean MASE over 2 series (seasonal naive, m=2")
    assert "the pooled RMSE in the target's units would choose linear" in v.reasons[1]
    line = render_fit(v)
    assert line.startswith(
        "verdict: gru is the best forecaster here (mean MASE 0.750 over 2 series; next best "
        "linear 0.900); vs linear DM p=0.02, pooled errors favour linear, vs persistence DM "
        "p<0.001; the pooled RMSE in target units ranks linear first (56.57 vs 70.71)"
    )
    assert "gru vs linear: DM p 0.02 (significant at 5 %; favours linear)" in v.reasons
    assert line.endswith("per series gru beats persistence on 2 of 2 (0 significantly), see the "
                         "per-series table")  # fmt: skip
    table = metrics_table(m).splitlines()
    assert table[0].split() == ["mean", "MASE", "mean", "sMAPE%", "pooled", "RMSE", "pooled",
                                "MAE", "skill"]  # fmt: skip
    assert table[1].split()[:4] == ["gru", "0.750", "3.00", "70.71"]
    del m["headline"]  # a run without the headline (written before it): the pooled RMSE
    assert decide(m).choice == "linear" and decide(m).metric == "rmse"


def run_metrics(rmse, mean_mase, seed=1):
    """One seed's metrics.json of a --series comparison: the model's pooled RMSE and mean MASE;
    the baselines: persistence (RMSE 2, mean MASE 1), linear (RMSE 1.5, mean MASE 1.2)."""
    return {
        "rmse": rmse, "mae": rmse / 2, "mean_mase": mean_mase, "mean_smape": 10 * mean_mase,
        "params": 10, "seed": seed, "seconds_per_epoch": 1.0, "train_samples_per_second": 100.0,
        "latency_seconds_per_window": 0.002, "best_epoch": 1, "coverage_80": 0.8,
        "coverage_95": 0.9, "per_horizon_rmse": [rmse],
        "baselines": {
            "persistence": {"rmse": 2.0, "mae": 1.0, "mean_mase": 1.0, "mean_smape": 10.0,
                            "per_horizon_rmse": [2.0]},
            "linear": {"rmse": 1.5, "mae": 0.7, "mean_mase": 1.2, "mean_smape": 12.0,
                       "per_horizon_rmse": [1.5]},
        },
    }  # fmt: skip


class FakeLinear:
    def count_params(self):
        return 17


def test_compare_best_is_the_lowest_mean_mase_with_several_series():
    runs = {  # gru: pooled RMSE 1.8 (above linear's 1.5) but mean MASE 0.8 (below 1.2 and 1.0)
        "gru": ModelRuns("gru", [run_metrics(1.7, 0.7), run_metrics(1.9, 0.9, seed=2)]),
        "rnn": ModelRuns("rnn", [run_metrics(1.4, 1.3)]),  # the lowest RMSE, worst mean MASE
    }
    rows = {r["model"]: r for r in comparison_rows(runs, FakeLinear(), None)}
    assert rows["gru"]["mean_mase"] == pytest.approx(0.8) and rows["gru"]["best"]
    assert not rows["rnn"]["best"] and not rows["linear"]["best"]
    assert rows["rnn"]["loses_to_persistence"]  # on the mean MASE (1.3 >= 1.0), not the RMSE
    assert rows["linear"]["loses_to_persistence"] and not rows["gru"]["loses_to_persistence"]
    v = decide_compare(list(rows.values()))
    assert (v.choice, v.metric, v.runner_up) == ("gru", "mean_mase", "persistence")
    assert render_compare(v) == (
        "verdict: gru is the best forecaster (mean MASE 0.800); the pooled RMSE in target units "
        "ranks rnn first (1.4 vs 1.8): it weighs the series by their units"
    )
    header = text_table(list(rows.values())).splitlines()[0]
    assert header.split()[1:5] == ["mean", "MASE", "mean", "sMAPE%"]
    assert isinstance(v, Verdict) and json.dumps(v.to_dict())


def test_series_fit_mean_seasonal_mase_recomputed_from_its_predictions(tmp_path):
    """fit --series on the shipped five-ticker table; the mean MASE (each ticker's MAE over the
    mean |x_t - x_{t-12}| of its own training rows: the first 70 %) and the mean sMAPE,
    recomputed here from predictions.csv and the CSV, for the model and persistence."""
    out = tmp_path / "run"
    args = ["fit", "data/stocks_long.csv", "--series", "symbol", "--model", "gru",
            "--window", "12", "--horizon", "3", "--units", "4", "--epochs", "1", "--quiet",
            "--norm", "window", "--loss", "mse",  # not chosen on validation: one training
            "--out", out]  # fmt: skip
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    data = pd.read_csv("data/stocks_long.csv", parse_dates=["date"]).sort_values("date")
    predictions = pd.read_csv(out / "predictions.csv")
    found = {"gru": ([], []), "persistence": ([], [])}
    for symbol, rows in predictions.groupby("symbol", sort=False):
        history = data.loc[data["symbol"] == symbol, "price"].to_numpy()
        train = history[: int(round(0.7 * len(history)))]
        scale = np.mean(np.abs(train[12:] - train[:-12]))
        actual = rows["actual"].to_numpy()
        for name, column in (("gru", "predicted"), ("persistence", "persistence")):
            forecast = rows[column].to_numpy()
            found[name][0].append(np.mean(np.abs(actual - forecast)) / scale)
            ratio = 2 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast))
            found[name][1].append(100 * np.mean(ratio))
    assert len(found["gru"][0]) == 5
    persistence = metrics["baselines"]["persistence"]
    # predictions.csv rounds to 6 significant digits
    assert metrics["mean_mase"] == pytest.approx(np.mean(found["gru"][0]), rel=1e-4)
    assert metrics["mean_smape"] == pytest.approx(np.mean(found["gru"][1]), rel=1e-4)
    assert persistence["mean_mase"] == pytest.approx(np.mean(found["persistence"][0]), rel=1e-4)
    assert persistence["mean_smape"] == pytest.approx(np.mean(found["persistence"][1]), rel=1e-4)
    assert metrics["headline"]["scale"] == "seasonal naive, m=12, training rows"
    assert metrics["mase"] != metrics["mean_mase"]  # the contract's pooled one-step MASE stays
    assert metrics["verdict"]["metric"] == "mean_mase"
    assert result.stdout.rstrip().splitlines()[-1] == fit_verdict(metrics)
    assert "mean MASE  mean sMAPE%  pooled RMSE" in result.stdout
    # a fresh process reads the stored decision back through the API
    code = (
        "import forecast, sys; r = forecast.load(sys.argv[1]); "
        "print(r.decision.choice, r.decision.metric, r.decision.to_dict() == r.metrics['verdict'])"
    )
    shown = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [metrics["verdict"]["choice"], "mean_mase", "True"]

"""The fit verdict's hint when one test period is thin evidence: the rule, the backtest command it
suggests (runnable as printed) and its place at the end of the verdict."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.config import FitOptions
from forecast.reporting import thin_evidence as te
from forecast.reporting.terminal import fit_verdict


def metrics(model_rmse=3.5, linear_rmse=3.6, p_linear=0.3, p_persistence=0.0004, **extra) -> dict:
    return {
        "model": "gru",
        "rmse": model_rmse,
        "skill_vs_persistence": 1 - model_rmse / 4.0,
        "n_test_windows": 213,
        "baselines": {
            "persistence": {"rmse": 4.0},
            "seasonal_naive": {"rmse": 5.0, "season": 7},
            "linear": {"rmse": linear_rmse},
        },
        "significance": {
            "vs_persistence": {"dm_stat": -3.0, "p_value": p_persistence},
            "vs_linear": {"dm_stat": -0.5, "p_value": p_linear},
        },
        **extra,
    }


@pytest.mark.parametrize(
    "kwargs, thin",
    [
        ({"p_linear": 0.3}, True),  # the model wins, not clearly against linear
        ({"p_linear": 0.00099}, False),  # an overwhelming win
        ({"p_linear": 0.001}, True),  # the threshold counts as thin
        ({"p_linear": 0.006}, True),  # weather's GRU vs linear: one period, not across five
        ({"model_rmse": 3.8, "linear_rmse": 3.5, "p_linear": 0.2}, True),  # linear wins, unclear
        ({"model_rmse": 3.8, "linear_rmse": 3.5, "p_linear": 0.0001}, False),  # linear, clearly
        ({"model_rmse": 4.5, "linear_rmse": 4.6, "p_persistence": 0.0002}, False),  # persistence
        ({"model_rmse": 4.5, "linear_rmse": 4.6, "p_persistence": 0.04}, True),
        ({"p_linear": None}, True),  # no test: nothing settles it
    ],
)
def test_thin_when_the_test_against_the_best_baseline_is_not_clear(kwargs, thin):
    assert te.is_thin(metrics(**kwargs)) == thin


def test_best_baseline_never_is_the_model_itself():
    m = metrics()
    m["model"] = "linear"
    assert te.best_baseline(m) == "persistence"
    m["baselines"]["seasonal_naive"]["rmse"] = 3.0  # untested: thin
    assert te.deciding_p(m) == ("seasonal_naive", None) and te.is_thin(m)


def test_a_series_run_gets_no_hint():
    assert not te.is_thin(metrics(per_series={"a": {}}))


def test_hint_names_a_runnable_backtest():
    options = FitOptions(model="gru")
    hint = te.verdict_hint(metrics(), "data/weather.csv", options, 1461)
    assert hint == (
        "judged on 1 test period of 213 windows; run `forecast backtest data/weather.csv "
        "--model gru` to check it on 5 test periods"
    )
    assert te.verdict_hint(metrics(p_linear=0.0001), "data/weather.csv", options, 1461) is None


def test_command_carries_the_non_default_data_and_window_options():
    options = FitOptions(
        model="lstm", window=60, horizon=3, target="temp max", dayfirst=True, units=64
    )
    command = te.backtest_command("my data/w.csv", options, 5)
    words = shlex.split(command)
    assert words[:5] == ["forecast", "backtest", "my data/w.csv", "--model", "lstm"]
    assert words[5:] == ["--target", "temp max", "--dayfirst", "--window", "60", "--horizon", "3"]
    assert "--units" not in words  # the model's size is not the data's: kept short
    api = te.backtest_command(None, FitOptions(model="lstm", window=60, horizon=3), 3)
    assert api == "forecast.backtest(data, model='lstm', window=60, horizon=3, folds=3)"


def test_fewer_folds_on_a_short_series_and_none_when_too_short():
    options = FitOptions(model="gru", window=30, horizon=7)
    assert te.backtest_folds(2000, options) == 5
    # 5 folds of 11 rows, a validation block and a 30 + 7 row window need 103 rows; 4 need 92
    assert [te.backtest_folds(n, options) for n in (103, 102, 92, 91, 70)] == [5, 4, 4, 3, 2]
    assert "--folds 4" in te.verdict_hint(metrics(), "a.csv", options, 95)
    assert te.backtest_folds(60, options) == 0
    hint = te.verdict_hint(metrics(), "a.csv", options, 60)
    assert hint.endswith("too short for a backtest on other periods")


def test_verdict_ends_with_the_hint_and_old_metrics_have_none():
    m = metrics()
    plain = fit_verdict(m)
    m["verdict_hint"] = te.verdict_hint(m, "data/weather.csv", FitOptions(model="gru"), 1461)
    assert fit_verdict(m) == f"{plain}; {m['verdict_hint']}"
    assert fit_verdict({**m, "verdict_hint": None}) == plain


def test_the_suggested_command_runs(write_csv, tmp_path, monkeypatch):
    """The backtest command a fit prints (its evidence made thin whatever the scores) is accepted
    by the CLI as printed, and metrics.json keeps the hint. The linear model: the command and its
    folds are the same plumbing for every model, and its backtest trains no recurrent network."""
    from tests.conftest import synthetic_frame

    monkeypatch.setattr(te, "is_thin", lambda metrics: True)
    csv = write_csv(synthetic_frame(240, period=12), "short.csv")
    small = ["--epochs", "1", "--units", "4", "--calendar", "none", "--quiet"]
    out = tmp_path / "fit"
    args = ["fit", str(csv), "--model", "linear", "--window", "12", "--horizon", "3", *small]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    hint = json.loads((out / "metrics.json").read_text())["verdict_hint"]
    assert result.stdout.strip().splitlines()[-1].endswith(f"; {hint}")
    assert hint.startswith("judged on 1 test period of ")
    command = shlex.split(hint.split("`")[1])
    assert command == [
        "forecast", "backtest", str(csv), "--model", "linear", "--window", "12", "--horizon", "3"
    ]  # fmt: skip
    bt = CliRunner().invoke(cli, [*command[1:], *small, "--out", str(tmp_path / "bt")])
    assert bt.exit_code == 0, bt.output
    folds = json.loads((tmp_path / "bt" / "backtest.json").read_text())["folds"]
    assert hint.endswith(f"to check it on {len(folds)} test periods")

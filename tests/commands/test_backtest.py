"""forecast backtest: fold boundaries, no look-ahead, backtest.json, --refit once, bad input, API
and CLI agree, report.html. Tiny models on a small synthetic series."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from forecast.commands import backtest_folds
from forecast.errors import ForecastError
from forecast.evaluation.folds import default_fold_size, fold_bounds
from tests.conftest import synthetic_frame
from tests.reporting.test_html import Page, check_self_contained

FAST = {"window": 12, "horizon": 3, "epochs": 1, "units": 4, "calendar": "none", "seed": 3}
FLAGS = ["--window", "12", "--horizon", "3", "--epochs", "1", "--units", "4"]
FLAGS += ["--calendar", "none", "--seed", "3", "--quiet"]


@pytest.mark.parametrize("n, k, size", [(300, 3, 20), (1000, 5, 43), (200, 1, 30)])
def test_folds_cover_the_last_rows_without_overlap(n, k, size):
    folds = fold_bounds(n, k, size, window=12, horizon=3)
    assert len(folds) == k
    assert folds[0].test_start == n - k * size and folds[-1].test_end == n
    for a, b in zip(folds, folds[1:], strict=False):
        assert a.test_end == b.test_start  # adjacent, never overlapping
    for f in folds:
        assert f.test_end - f.test_start == size
        assert f.test_start - f.train_end == size  # validation: the N rows just before
        assert f.split.n_rows == f.test_end and f.split.val_end == f.test_start


def test_default_fold_size_has_a_few_origins():
    assert default_fold_size(1000, 5, 0.15, 7) == 30
    assert default_fold_size(100, 5, 0.15, 7) == 7 + 4


@pytest.mark.parametrize("n, k, size", [(60, 3, 20), (300, 3, 2)])
def test_too_short_is_an_error_naming_the_fix(n, k, size):
    with pytest.raises(ForecastError, match="--fold-size"):
        fold_bounds(n, k, size, window=12, horizon=3)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt") / "bt"
    frame = synthetic_frame(300, period=12)
    return forecast.backtest(frame, "rnn", folds=3, fold_size=20, out=out, **FAST), frame


def test_backtest_json_and_wins(run):
    result, _ = run
    data = json.loads((result.path / "backtest.json").read_text())
    assert {"folds", "summary"} <= set(data)
    assert [f["fold"] for f in data["folds"]] == [1, 2, 3]
    for f in data["folds"]:
        assert {"train_end", "test_start", "test_end", "n_windows", "rmse", "mae"} <= set(f)
        assert set(f["baselines"]) == {"persistence", "seasonal_naive", "linear"}
        assert 0 <= f["coverage_80"] <= 1
        assert f["n_windows"] == 20 - 3 + 1
    s = data["summary"]
    for name in ("persistence", "linear"):
        wins = sum(f["rmse"] < f["baselines"][name]["rmse"] for f in data["folds"])
        assert s[f"wins_vs_{name}"] == f"{wins} of 3"
        assert set(s["significance"][f"vs_{name}"]) == {"dm_stat", "p_value"}
    assert s["rmse_mean"] == pytest.approx(sum(f["rmse"] for f in data["folds"]) / 3)
    table = pd.read_csv(result.path / "folds.csv")
    assert len(table) == 3 * 4 and set(table.forecaster) >= {"rnn", "persistence", "linear"}
    assert (result.path / "backtest.png").stat().st_size > 0
    page = Page((result.path / "report.html").read_text(encoding="utf-8"))
    assert page.title.startswith("forecast backtest: rnn on data.parquet, refit every, 3 folds of")
    assert page.tables[0][0][1:-1] == ["fold 1", "fold 2", "fold 3"]
    assert [i["alt"] for i in page.images] == ["backtest.png"]
    check_self_contained(page)
    assert result.summary == s and len(result.folds) == 12


def test_no_fold_reads_the_future(run, tmp_path):
    result, frame = run
    first = result.result["folds"][0]
    poisoned = frame.copy()
    later = poisoned["date"] > pd.Timestamp(first["test_end"])
    poisoned.loc[later, ["x", "y"]] += 1000.0
    again = forecast.backtest(poisoned, "rnn", folds=3, fold_size=20, out=tmp_path / "p", **FAST)
    fold = again.result["folds"][0]
    assert fold["rmse"] == pytest.approx(first["rmse"], rel=1e-6)
    assert fold["coverage_80"] == first["coverage_80"]
    for name, scores in first["baselines"].items():
        assert fold["baselines"][name]["rmse"] == pytest.approx(scores["rmse"], rel=1e-6)
    assert again.result["folds"][-1]["rmse"] != pytest.approx(result.result["folds"][-1]["rmse"])


def test_refit_once_trains_once(tmp_path, monkeypatch):
    calls = []
    real = backtest_folds.train_one

    def counting(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(backtest_folds, "train_one", counting)
    frame = synthetic_frame(300, period=12)
    once = forecast.backtest(
        frame, "rnn", folds=3, fold_size=20, refit="once", out=tmp_path / "o", **FAST
    )
    assert calls == ["rnn", "linear"]
    assert [f["trained"] for f in once.result["folds"]] == [True, False, False]
    assert once.result["refit"] == "once" and len(once.result["folds"]) == 3


def test_too_short_series_exit_2_nothing_written(write_csv, tmp_path):
    csv = write_csv(synthetic_frame(60))
    out = tmp_path / "short"
    result = CliRunner().invoke(
        cli, ["backtest", str(csv), "--folds", "3", "--fold-size", "20", "--out", str(out), *FLAGS]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "--folds" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".short*"))


def test_api_and_cli_agree(run, write_csv, tmp_path):
    result, frame = run
    csv = write_csv(frame, "same.csv")
    out = tmp_path / "cli"
    args = ["backtest", str(csv), "--model", "rnn", "--folds", "3", "--fold-size", "20"]
    cli_result = CliRunner().invoke(cli, [*args, "--out", str(out), *FLAGS])
    assert cli_result.exit_code == 0, cli_result.output
    assert "verdict: rnn beats persistence on" in cli_result.output
    assert "mean ± sd" in cli_result.output
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    assert page.verdict == cli_result.stdout.strip().splitlines()[-1]
    data = json.loads((out / "backtest.json").read_text())
    for a, b in zip(data["folds"], result.result["folds"], strict=True):
        assert a["rmse"] == pytest.approx(b["rmse"], rel=1e-6)
        assert a["test_start"] == b["test_start"]
    assert data["summary"]["wins_vs_linear"] == result.summary["wins_vs_linear"]

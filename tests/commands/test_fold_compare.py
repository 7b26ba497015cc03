"""compare --folds and backtest --only-folds / --merge: every architecture on the same folds, parts
run as separate jobs joined into what one run gives. Tiny models on a small synthetic series."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from forecast.commands import backtest as backtest_mod
from forecast.errors import ForecastError
from tests.conftest import synthetic_frame

FAST = {"window": 12, "horizon": 3, "epochs": 1, "units": 4, "calendar": "none", "seed": 3}
FLAGS = ["--window", "12", "--horizon", "3", "--epochs", "1", "--units", "4"]
FLAGS += ["--calendar", "none", "--seed", "3", "--quiet"]
FOLDS = {"folds": 2, "fold_size": 20}


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("fc") / "series.csv"
    synthetic_frame(240, period=12).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def folds_compare(csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("fc") / "cmp"
    return forecast.compare(csv, "rnn,gru", 1, segments="1", out=out, **FOLDS, **FAST)


@pytest.fixture(scope="module")
def rnn_parts(csv, tmp_path_factory):
    """The rnn backtest whole, and fold by fold as two jobs."""
    root = tmp_path_factory.mktemp("parts")
    whole = forecast.backtest(csv, "rnn", out=root / "whole", **FOLDS, **FAST)
    for k in (1, 2):
        forecast.backtest(csv, "rnn", out=root / f"f{k}", only_folds=[k], **FOLDS, **FAST)
    return root, whole


def test_rows_are_the_backtests_of_each_model(folds_compare, rnn_parts):
    rows = {r["model"]: r for r in folds_compare.rows}
    assert list(rows) == ["rnn", "gru", "persistence", "seasonal_naive", "linear"]
    _, whole = rnn_parts
    assert rows["rnn"]["fold_rmse"] == pytest.approx([f["rmse"] for f in whole.result["folds"]])
    assert rows["linear"]["fold_rmse"] == pytest.approx(
        [f["baselines"]["linear"]["rmse"] for f in whole.result["folds"]]
    )
    p = whole.summary["significance"]["vs_persistence"]["p_value"]
    assert rows["rnn"]["dm_p_vs_persistence"] == pytest.approx(p)
    for r in rows.values():
        wins = sum(a < b for a, b in zip(r["fold_rmse"], rows["linear"]["fold_rmse"], strict=True))
        assert r["wins_vs_linear"] == f"{wins} of 2"
    best = min(rows.values(), key=lambda r: r["rmse_mean"])
    assert [r["model"] for r in rows.values() if r["best"]] == [best["model"]]
    assert folds_compare.best == best["model"]


def test_directory_holds_each_backtest_and_the_tables(folds_compare):
    path = folds_compare.path
    for name in ("rnn-seed3", "gru-seed3"):
        for file in ("backtest.json", "origins.csv", "report.html", "backtest.png"):
            assert (path / name / file).exists()
    table = pd.read_csv(path / "comparison.csv")
    assert {"fold_1", "fold_2", "rmse_mean", "rmse_sd", "dm_p_vs_best"} <= set(table.columns)
    assert (path / "folds_rmse.png").stat().st_size > 0
    assert "≈ BEST" in (path / "comparison.md").read_text() or table.near_best.sum() == 0
    assert folds_compare.backtest("gru").result["model"] == "gru"
    loaded = forecast.load(path)
    assert isinstance(loaded, forecast.BacktestComparison) and loaded.best == folds_compare.best
    assert forecast.load(path / "rnn-seed3").summary == folds_compare.backtest("rnn").summary
    assert "verdict over 2 folds" in folds_compare.verdict


def test_merged_folds_equal_one_run(rnn_parts, tmp_path):
    root, whole = rnn_parts
    merged = forecast.merge_backtests([root / "f2", root / "f1"], tmp_path / "m")
    assert [f["fold"] for f in merged.result["folds"]] == [1, 2]
    for a, b in zip(merged.result["folds"], whole.result["folds"], strict=True):
        assert a["rmse"] == pytest.approx(b["rmse"], rel=1e-9)
        for name, scores in b["baselines"].items():
            assert a["baselines"][name] == pytest.approx(scores)
    for name in ("vs_persistence", "vs_linear"):
        got, want = merged.summary["significance"][name], whole.summary["significance"][name]
        assert got["p_value"] == pytest.approx(want["p_value"], rel=1e-6)
    origins = pd.read_csv(tmp_path / "m" / "origins.csv")
    assert origins.equals(pd.read_csv(root / "whole" / "origins.csv"))


def test_merging_two_models_is_a_fold_comparison(folds_compare, rnn_parts, tmp_path):
    root, _ = rnn_parts
    merged = forecast.merge_backtests(
        [root / "f1", root / "f2", folds_compare.path / "gru-seed3"], tmp_path / "both"
    )
    assert [r["model"] for r in merged.rows][:2] == ["rnn", "gru"]
    want = {r["model"]: r for r in folds_compare.rows}
    for r in merged.rows:
        assert r["fold_rmse"] == pytest.approx(want[r["model"]]["fold_rmse"])
        assert r["dm_p_vs_best"] == pytest.approx(want[r["model"]]["dm_p_vs_best"])


def test_merge_refuses_missing_duplicate_and_different_parts(csv, rnn_parts, tmp_path):
    root, _ = rnn_parts
    with pytest.raises(ForecastError, match="lacks fold.*--only-folds 2"):
        forecast.merge_backtests([root / "f1"], tmp_path / "a")
    with pytest.raises(ForecastError, match="fold 1 .* two parts"):
        forecast.merge_backtests([root / "f1", root / "whole"], tmp_path / "b")
    other = dict(FAST, horizon=4)
    forecast.backtest(csv, "rnn", out=tmp_path / "h4", only_folds=[2], **FOLDS, **other)
    with pytest.raises(ForecastError, match="horizon"):
        forecast.merge_backtests([root / "f1", tmp_path / "h4"], tmp_path / "c")
    with pytest.raises(ForecastError, match="not a backtest directory"):
        forecast.merge_backtests([tmp_path], tmp_path / "d")
    assert not any((tmp_path / n).exists() for n in "abcd")


def test_only_folds_checks(csv, tmp_path):
    with pytest.raises(ForecastError, match="--refit every"):
        forecast.backtest(
            csv, "rnn", out=tmp_path / "x", only_folds=[1], refit="once", **FOLDS, **FAST
        )
    with pytest.raises(ForecastError, match="numbered 1 to 2"):
        forecast.backtest(csv, "rnn", out=tmp_path / "y", only_folds=[3], **FOLDS, **FAST)


def test_cli_merge_and_compare_folds(csv, rnn_parts, tmp_path):
    root, _ = rnn_parts
    out = tmp_path / "merged"
    args = ["backtest", "--merge", str(root / "f1"), str(root / "f2"), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "verdict: rnn beats persistence on" in result.output
    assert json.loads((out / "backtest.json").read_text())["folds_total"] == 2
    result = CliRunner().invoke(
        cli, ["backtest", "--merge", str(root / "f1"), "--out", str(tmp_path / "z")]
    )
    assert result.exit_code == 2 and "lacks fold" in result.output
    cmp = tmp_path / "cmp"
    args = ["compare", str(csv), "--models", "rnn", "--seeds", "1", "--segments", "1"]
    args += ["--folds", "2", "--fold-size", "20", "--out", str(cmp), *FLAGS]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "verdict over 2 folds" in result.output and "wins vs pers." in result.output


def test_jobs_2_gives_the_numbers_of_jobs_1(csv, rnn_parts, tmp_path):
    _, whole = rnn_parts
    two = forecast.backtest(csv, "rnn", out=tmp_path / "j2", jobs=2, **FOLDS, **FAST)
    assert [f["rmse"] for f in two.result["folds"]] == [f["rmse"] for f in whole.result["folds"]]
    assert two.summary["significance"] == whole.summary["significance"]


def interrupt_at(monkeypatch, model: str, fold: int) -> None:
    """Ctrl-C when the task training ``model`` on ``fold`` starts (in this process)."""
    real = backtest_mod.run_fold_task

    def run(task):
        if task.options.model == model and task.folds[0].k + 1 == fold:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(backtest_mod, "run_fold_task", run)


def test_ctrl_c_keeps_the_finished_folds_to_merge(csv, rnn_parts, tmp_path, monkeypatch):
    root, whole = rnn_parts
    interrupt_at(monkeypatch, "rnn", 2)
    cut = forecast.backtest(csv, "rnn", out=tmp_path / "cut", **FOLDS, **FAST)
    assert cut.interrupted and [f["fold"] for f in cut.result["folds"]] == [1]
    assert any("--only-folds 2" in note for note in cut.notes)
    merged = forecast.merge_backtests([tmp_path / "cut", root / "f2"], tmp_path / "m")
    assert merged.summary == whole.summary


def test_ctrl_c_in_compare_folds_compares_the_complete_models(csv, tmp_path, monkeypatch):
    interrupt_at(monkeypatch, "gru", 2)
    out = tmp_path / "cmp"
    cut = forecast.compare(csv, "rnn,gru", 1, segments="1", out=out, **FOLDS, **FAST)
    assert cut.interrupted and cut.result["interrupted"]
    assert [r["model"] for r in cut.rows if r["kind"] == "model"] == ["rnn"]
    kept = json.loads((out / "gru-seed3" / "backtest.json").read_text())
    assert [f["fold"] for f in kept["folds"]] == [1]


def test_ctrl_c_before_any_fold_writes_nothing(csv, tmp_path, monkeypatch):
    interrupt_at(monkeypatch, "rnn", 1)
    with pytest.raises(KeyboardInterrupt):
        forecast.backtest(csv, "rnn", out=tmp_path / "none", **FOLDS, **FAST)
    assert not (tmp_path / "none").exists()

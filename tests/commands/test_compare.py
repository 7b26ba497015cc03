"""``forecast compare``: the table's contents (from seeds' metrics), its marks, files and errors."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.commands.compare_plan import parse_models
from forecast.errors import ForecastError
from forecast.evaluation.comparison import ModelRuns, comparison_rows
from forecast.reporting.tables import LOSES, text_table
from tests.conftest import synthetic_frame

TINY = ["--epochs", "1", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]
PLOTS = [
    "rmse_by_model.png",
    "forecasts_overlay.png",
    "loss_curves.png",
    "per_horizon_by_model.png",
]


def fake_metrics(rmse, seed):
    return {
        "rmse": rmse, "mae": rmse / 2, "params": 10, "seed": seed, "seconds_per_epoch": 1.0,
        "train_samples_per_second": 100.0, "latency_seconds_per_window": 0.002, "best_epoch": seed,
        "coverage_80": 0.8, "coverage_95": 0.9, "per_horizon_rmse": [rmse, rmse],
        "baselines": {
            "persistence": {"rmse": 2.0, "mae": 1.0, "per_horizon_rmse": [2.0, 2.0]},
            "seasonal_naive": {"rmse": 3.0, "mae": 1.5, "season": 7, "per_horizon_rmse": [3, 3]},
            "linear": {"rmse": 1.5, "mae": 0.7, "per_horizon_rmse": [1.5, 1.5]},
        },
    }  # fmt: skip


class FakeLinear:
    def count_params(self):
        return 17


def test_rows_aggregate_seeds_and_mark_best_and_losers():
    runs = {
        "rnn": ModelRuns("rnn", [fake_metrics(2.0, 1), fake_metrics(3.0, 3)]),
        "gru": ModelRuns("gru", [fake_metrics(1.0, 1), fake_metrics(1.2, 2)]),
    }
    rows = {r["model"]: r for r in comparison_rows(runs, FakeLinear(), None)}
    assert list(rows) == ["rnn", "gru", "persistence", "seasonal_naive(7)", "linear"]
    rnn, gru = rows["rnn"], rows["gru"]
    assert rnn["rmse"] == 2.5 and rnn["rmse_sd"] == pytest.approx(np.std([2, 3], ddof=1))
    assert rnn["mae"] == 1.25 and rnn["epochs_to_converge"] == 2.0
    assert rnn["latency_ms_per_window"] == pytest.approx(2.0)
    assert rnn["skill_vs_persistence"] == pytest.approx(1 - 2.5 / 2.0)
    assert rnn["loses_to_persistence"] and not gru["loses_to_persistence"]
    assert gru["best"] and not rnn["best"] and not rows["linear"]["best"]
    assert rows["seasonal_naive(7)"]["loses_to_persistence"]
    assert not rows["linear"]["loses_to_persistence"] and rows["linear"]["params"] == 17
    text = text_table(list(rows.values()))
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert lines["rnn"].endswith(LOSES) and "BEST" in lines["gru"]
    assert LOSES not in lines["gru"] and "2.5 ± 0.71" in lines["rnn"]


def test_unknown_model_is_a_forecast_error():
    assert parse_models("gru, lstm") == ["gru", "lstm"]
    with pytest.raises(ForecastError, match="unknown model.s. transformer; choose from rnn,"):
        parse_models("gru,transformer")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")
    csv = root / "sine.csv"
    synthetic_frame(160).to_csv(csv, index=False)
    out = root / "out"
    args = ["compare", csv, "--models", "rnn,gru", "--seeds", "2", *TINY, "--out", out]
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result


def test_compare_writes_table_files_and_runs(compared):
    out, result = compared
    names = {p.name for p in out.iterdir()}
    expected = {"comparison.csv", "comparison.json", "comparison.md", "report.html", *PLOTS}
    assert expected | {"rnn-seed42", "rnn-seed43", "gru-seed42", "gru-seed43"} == names
    data = json.loads((out / "comparison.json").read_text())
    rows = {r["model"]: r for r in data["rows"]}
    # compare fits the gradient-boosting baseline unless --baselines -gbm
    assert set(rows) == {
        *("rnn", "gru", "rnn+linear", "gru+linear"),
        *("persistence", "seasonal_naive(7)", "linear", "gbm"),
    }
    seeds = [json.loads((out / f"rnn-seed{s}" / "metrics.json").read_text()) for s in (42, 43)]
    assert rows["gbm"]["kind"] == "baseline" and "vs_gbm" in seeds[0]["significance"]
    assert rows["rnn"]["rmse"] == pytest.approx(np.mean([m["rmse"] for m in seeds]))
    assert rows["rnn"]["params"] == seeds[0]["params"] > 0
    assert rows["persistence"]["rmse"] == pytest.approx(
        seeds[0]["baselines"]["persistence"]["rmse"]
    )
    # the linear baseline was trained once: every run dir reports the same linear RMSE
    linear = {m["baselines"]["linear"]["rmse"] for m in seeds}
    assert len(linear) == 1 and rows["linear"]["rmse"] == pytest.approx(linear.pop())
    models = [rows["rnn"], rows["gru"]]
    assert data["best_model"] == min(models, key=lambda r: r["rmse"])["model"]
    for r in models:
        assert r["loses_to_persistence"] == (r["rmse"] >= rows["persistence"]["rmse"])
        assert r["latency_ms_per_window"] > 0 and r["train_samples_per_second"] > 0
        assert 0 <= r["coverage_80"] <= r["coverage_95"] <= 1
    stdout = result.stdout
    assert "seasonal_naive(7)" in stdout and "BEST" in stdout
    assert stdout.rstrip().splitlines()[-1].startswith("verdict: ")
    assert data["best"] == min(data["rows"], key=lambda r: r["rmse"])["model"]
    for r in data["rows"]:
        assert 0 <= r["dm_p_vs_best"] <= 1 and 0 <= r["dm_p_vs_persistence"] <= 1
        assert r["near_best"] == (not r["best"] and r["dm_p_vs_best"] >= 0.05)
    assert next(r for r in data["rows"] if r["best"])["dm_p_vs_best"] == 1.0
    assert next(r for r in data["rows"] if r["model"] == "persistence")["dm_p_vs_persistence"] == 1
    header = (out / "comparison.csv").read_text().splitlines()[0].split(",")
    assert {"dm_p_vs_best", "dm_p_vs_persistence"} <= set(header)
    md = (out / "comparison.md").read_text()
    assert md.count("\n| ") == 9  # header + 8 rows (2 models, 2 combinations, 4 baselines)
    for r in data["rows"]:
        if r["loses_to_persistence"]:
            line = next(x for x in md.splitlines() if x.startswith(f"| {r['model']} |"))
            assert LOSES in line
    for png in PLOTS:
        assert (out / png).stat().st_size > 5000


TIMING = {"seconds_per_epoch", "train_samples_per_second", "latency_ms_per_window"}
RUN_TIMING = {"train_seconds", "train_samples_per_second", "seconds_per_epoch"}


def test_jobs_2_gives_the_same_comparison_as_jobs_1(compared, tmp_path):
    """The same runs, two at a time in worker processes: every number but the timings is equal."""
    one, _ = compared
    two = tmp_path / "jobs2"
    args = ["compare", one.parent / "sine.csv", "--models", "rnn,gru", "--seeds", "2", *TINY]
    args += ["--out", two, "--jobs", "2"]
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "4 runs, 2 at a time in worker processes" in result.stderr
    tables = [pd.read_csv(out / "comparison.csv").drop(columns=list(TIMING)) for out in (one, two)]
    pd.testing.assert_frame_equal(*tables, check_exact=True)
    summaries = [json.loads((out / "comparison.json").read_text()) for out in (one, two)]
    for a, b in zip(summaries[0]["rows"], summaries[1]["rows"], strict=True):
        assert {k: v for k, v in a.items() if k not in TIMING} == {
            k: v for k, v in b.items() if k not in TIMING
        }
    assert summaries[0]["runs"] == summaries[1]["runs"] and not summaries[1]["interrupted"]
    for run in ("rnn-seed42", "rnn-seed43", "gru-seed42", "gru-seed43"):
        metrics = [json.loads((out / run / "metrics.json").read_text()) for out in (one, two)]
        for m in metrics:
            m.pop("latency_seconds_per_window")
            for key in RUN_TIMING:
                m.pop(key)
            m.get("final", {}).pop("seconds", None)  # the best run's refit on every row
        assert metrics[0] == metrics[1], run
        predictions = [(out / run / "predictions.csv").read_bytes() for out in (one, two)]
        assert predictions[0] == predictions[1], run
    assert not [p.name for p in two.iterdir() if p.name.startswith(".")]


def test_compare_bad_models_fails_cleanly(tmp_path, sine_csv):
    out = tmp_path / "out"
    args = ["compare", sine_csv, "--models", "gru,tcn", *TINY, "--out", out]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --models 'gru,tcn': unknown model(s) tcn")
    assert not out.exists()


def test_compare_answers_point_wise_and_segment_wise(tmp_path, sine_csv):
    out = tmp_path / "cmp"
    args = ["compare", str(sine_csv), "--models", "gru,linear", "--seeds", "1"]
    args += [*TINY, "--segments", "1,4", "--baselines", "-gbm", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "comparison.json").read_text())
    rows = {r["model"]: r for r in data["rows"]}
    assert {"gru", "gru-seg4", "gru+linear", "gru-seg4+linear", "linear"} <= set(rows)
    assert "linear-seg4" not in rows  # the linear model has no recurrence to segment
    seg = json.loads((out / "gru-seg4-seed42" / "metrics.json").read_text())
    assert seg["segment"] == 4 and rows["gru-seg4"]["rmse"] == pytest.approx(seg["rmse"])
    assert rows["gru-seg4+linear"]["rmse"] == pytest.approx(seg["combination"]["rmse"])


@pytest.mark.parametrize("segments", ["0", "1,9", "x"])
def test_bad_segments_are_one_line_errors(tmp_path, sine_csv, segments):
    args = ["compare", str(sine_csv), "--models", "gru", "--seeds", "1", *TINY]
    result = CliRunner().invoke(cli, [*args, "--segments", segments, "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "--segments" in result.output and "between 1 and the window (8)" in result.output
    assert not (tmp_path / "c").exists()

"""``--split auto,VAL,TEST``: validation and test as the last rows of each series (row counts),
the rest trains; the fractions ``--split 0.7,0.15,0.15`` work as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.config import FitOptions, parse_split, toml_text, tomllib
from forecast.data import panel
from forecast.data.io import Series
from forecast.data.layout import Layout
from forecast.data.preprocess import Preprocessing, check_enough_rows, rows_needed
from forecast.data.split import Split, describe, held_out_share, split_rows, window_counts
from forecast.errors import ForecastError
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "given", ["auto,48,24", " AUTO , 48 , 24 ", ["auto", 48, 24], ("auto", "48", "24")]
)
def test_row_counts_parse(given):
    assert parse_split(given) == ("auto", 48, 24)
    assert parse_split("auto,48,0") == ("auto", 48, 0)  # no test rows


@pytest.mark.parametrize("given", ["auto,0,4", "auto,4.5,1", "auto,-1,2", "auto,x,1", "auto,4,-2"])
def test_bad_row_counts_are_one_line_errors(given):
    with pytest.raises(ForecastError) as error:
        parse_split(given)
    assert str(error.value) == (
        f"--split {given!r}: after 'auto' give whole row counts, validation at least 1 and test "
        "at least 0; use e.g. --split auto,48,48 (auto,48,0: no test rows)"
    )


def test_fractions_still_parse_and_their_error_names_both_forms():
    assert parse_split("0.7,0.15,0.15") == (0.7, 0.15, 0.15)
    with pytest.raises(ForecastError, match=r"or auto,VAL,TEST row counts; use e\.g\. "):
        parse_split("0.5,0.6,0.1")
    with pytest.raises(ForecastError, match=r"three numbers; .* or --split auto,48,48 \(row"):
        parse_split("auto,48")


def test_options_round_trip_through_json_and_toml():
    options = FitOptions(split="auto,48,24")
    assert options.split == ("auto", 48, 24)
    assert options.to_dict()["split"] == ["auto", 48, 24]
    assert FitOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options
    text = toml_text(options, "test")
    assert 'split = ["auto", 48, 24]' in text
    assert FitOptions.from_dict(tomllib.loads(text)) == options


def test_counts_take_the_last_rows():
    # 100 rows, the last 5 test, the 10 before validate: train 0-84, val 85-94, test 95-99
    assert split_rows(100, ("auto", 10, 5)) == Split(100, 85, 95)
    assert split_rows(12, ("auto", 10, 5)) == Split(12, 0, 7)  # too short: no training rows
    assert held_out_share(("auto", 24, 24), 240) == 0.1
    assert held_out_share((0.7, 0.15, 0.15), 9) == 0.15
    assert describe(("auto", 3, 3)) == "--split auto,3,3"
    assert describe((0.7, 0.15, 0.15)) == "the 0.7/0.15/0.15 split"


def test_rows_needed_with_counts_is_hand_computed():
    # window 4, horizon 3: a train window needs 7 train rows; 3 val rows give 3-3+1 = 1 window
    # (inputs may reach back into train), 3 test rows 1 window: 7 + 3 + 3 = 13 rows
    spec = ("auto", 3, 3)
    assert rows_needed(4, 3, spec) == 13
    assert window_counts(split_rows(13, spec), 4, 3) == (1, 1, 1)
    assert check_enough_rows(13, 4, 3, spec) == Split(13, 7, 10)
    with pytest.raises(ForecastError) as error:
        check_enough_rows(12, 4, 3, spec)
    assert str(error.value) == (
        "--window 4 and --horizon 3 need at least 13 rows for --split auto,3,3; the CSV has 12. "
        "Use a smaller --window or --horizon."
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        (("auto", 2, 5), "--split auto,2,5: 2 validation row(s) per series hold no forecast of "),
        (("auto", 5, 2), "--split auto,5,2: 2 test row(s) per series hold no forecast of "),
    ],
)
def test_counts_shorter_than_the_horizon_are_refused(spec, message):
    """More rows would not help: the error names the count, not a row total."""
    end = " (or 0: no test rows)" if spec[2] == 2 else ""
    for check in (lambda: rows_needed(4, 3, spec), lambda: panel.min_rows(4, 3, spec, 1)):
        with pytest.raises(ForecastError) as error:
            check()
        assert str(error.value) == message + "--horizon 3; give at least 3" + end


def test_no_test_rows_need_no_test_window():
    # window 4, horizon 3: 7 train rows + 3 validation rows, and nothing after them
    spec = ("auto", 3, 0)
    assert rows_needed(4, 3, spec) == 10 and panel.min_rows(4, 3, spec, 1) == 10
    assert check_enough_rows(10, 4, 3, spec) == Split(10, 7, 10)
    assert window_counts(Split(10, 7, 10), 4, 3) == (1, 1, 0)
    assert rows_needed(4, 3, ("auto", 3, 3)) == 13  # one test window more: 3 rows


def test_every_series_is_split_by_its_own_last_rows():
    layout = Layout("id", ("a", "b", "c"), (0, 30, 50, 60))  # 30, 20 and 10 rows
    spec = ("auto", 4, 6)
    assert panel.splits(layout, spec)[:2] == [Split(30, 20, 24), Split(20, 10, 14)]
    # window 4, horizon 3: 7 train rows + 4 + 6 = 17 rows; series c (10 rows) is too short
    assert panel.min_rows(4, 3, spec, 1) == 17
    series = Series(pd.DataFrame({"y": np.arange(60.0)}), "step", "step", [], layout)
    kept, notes = panel.keep_long_enough(series, 4, 3, spec, 1)
    assert kept.layout.names == ("a", "b") and len(kept.frame) == 50
    assert notes == [
        "skipped 1 series shorter than the 17 rows that --window 4 and --horizon 3 need: c (10)"
    ]


def test_fit_with_row_counts_scores_the_last_rows_of_each_series(tmp_path, write_csv):
    """fit --series --split auto,6,5: each series' last 5 rows test (5-3+1 = 3 windows each);
    preprocessing.json keeps the spec, and evaluate in a new process reads it back."""
    rng = np.random.default_rng(1)
    parts = []
    for name, n in (("a", 60), ("b", 45)):
        t = np.arange(n)
        value = 10 + 3 * np.sin(2 * np.pi * t / 6) + rng.normal(0, 0.3, n)
        parts.append(pd.DataFrame({"id": name, "step": t, "value": value}))
    csv = write_csv(pd.concat(parts))
    out = tmp_path / "run"
    fixed = ["--window", "6", "--segment", "1", "--norm", "window", "--loss", "mse"]
    tiny = [*fixed, "--horizon", "3", "--epochs", "1", "--units", "4", "--season", "6", "--quiet"]
    args = ["fit", csv, "--series", "id", "--time-col", "step", "--split", "auto,6,5", *tiny]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--out", out]])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test_windows"] == 6
    assert {k: s["n_test_windows"] for k, s in metrics["per_series"].items()} == {"a": 3, "b": 3}
    prep = json.loads((out / "preprocessing.json").read_text())
    assert prep["split"] == ["auto", 6, 5]
    assert json.loads((out / "config.json").read_text())["split"] == ["auto", 6, 5]
    predictions = pd.read_csv(out / "predictions.csv")
    first = predictions.groupby("id")["timestamp"].min().to_dict()
    assert first == {"a": 55, "b": 40}  # the first of each series' last 5 rows
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "evaluate", str(out), str(csv)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"6 test windows of {csv}")
    bad = {**prep, "split": ["auto", 0, 5]}
    with pytest.raises(ForecastError, match="split"):
        Preprocessing.from_dict(bad)
    assert Preprocessing.from_dict(prep).split == ["auto", 6, 5]


def test_fit_without_test_rows_trains_saves_and_scores_nothing(tmp_path, sine_csv):
    """--split auto,12,0: fit trains (early stopping on the last 12 rows), writes a run that
    predict (in a new process) uses, and says it scored nothing; evaluate and compare, which
    score on test rows, refuse it in one line."""
    out = tmp_path / "run"
    tiny = ["--window", "8", "--horizon", "3", "--epochs", "2", "--units", "4", "--quiet"]
    fixed = ["--segment", "1", "--norm", "window", "--loss", "mse", "--split", "auto,12,0"]
    fixed += ["--final", "all"]
    result = CliRunner().invoke(cli, ["fit", str(sine_csv), *tiny, *fixed, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "--split auto,12,0 holds no test rows: nothing was scored (no test RMSE" in result.stdout
    assert f"forecast predict {out}" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "baseline_linear.keras",
        "config.json",
        "final_linear.keras",
        "final_model.keras",
        "history.csv",
        "loss.png",
        "metrics.json",
        "model.keras",
        "preprocessing.json",
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["final"]["n_windows"] == 200 - 8 - 3 + 1  # refit on every row, for predict
    assert metrics["scored"] is False and metrics["n_test_windows"] == 0
    assert "rmse" not in metrics and "baselines" not in metrics  # nothing was scored
    # 200 rows, the last 12 validate: 12 - 3 + 1 = 10 validation windows, 188 - 8 - 3 + 1 train
    assert metrics["n_val_windows"] == metrics["validation"]["n_windows"] == 10
    assert metrics["n_train_windows"] == 178
    assert "optimistic" in metrics["validation"]["note"]
    widths = metrics["intervals"]
    assert len(widths["80"]) == 3 and all(
        w95 >= w80 for w80, w95 in zip(*widths.values(), strict=True)
    )
    assert 0 <= metrics["combination"]["weight"] <= 1
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "predict", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    future = pd.read_csv(out / "future.csv")
    assert len(future) == 3 and future["timestamp"].iloc[0] == "2020-07-19"  # day 200
    spread = (future["upper_80"] - future["predicted"]).to_numpy()
    # predict uses the validation widths (future.csv holds 6 significant digits)
    assert spread == pytest.approx(widths["80"], abs=1e-3)
    import forecast

    for what in ("table", "verdict"):  # nothing to tabulate or decide: one clear error
        with pytest.raises(forecast.ForecastError, match="scored nothing .* no (table|decision)"):
            getattr(forecast.load(out), what)
    refused = CliRunner().invoke(cli, ["evaluate", str(out), str(sine_csv)])
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: evaluate scores a run on the test rows, and --split auto,12,0 holds none; fit it "
        "again with test rows, e.g. --split auto,12,12\n"
    )
    refused = CliRunner().invoke(cli, ["compare", str(sine_csv), "--split", "auto,12,0"])
    assert (
        refused.exit_code == 2 and "compare scores every model on the test rows" in refused.stderr
    )

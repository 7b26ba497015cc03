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


@pytest.mark.parametrize("given", ["auto,0,4", "auto,4.5,1", "auto,-1,2", "auto,x,1", "auto,4,0"])
def test_bad_row_counts_are_one_line_errors(given):
    with pytest.raises(ForecastError) as error:
        parse_split(given)
    assert str(error.value) == (
        f"--split {given!r}: after 'auto' give whole row counts of at least 1 (validation, "
        "test); use e.g. --split auto,48,48"
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
    for check in (lambda: rows_needed(4, 3, spec), lambda: panel.min_rows(4, 3, spec, 1)):
        with pytest.raises(ForecastError) as error:
            check()
        assert str(error.value) == message + "--horizon 3; give at least 3"


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

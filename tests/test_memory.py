"""The long-memory task: its data, its metric and its outputs (tiny sizes)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from forecast import memory as mem
from forecast.cli import cli
from forecast.errors import ForecastError


def test_task_target_is_the_marked_first_value():
    x, y = mem.make_task(50, 7, seed=1)
    assert x.shape == (50, 7, 2) and y.shape == (50, 1)
    assert np.array_equal(y[:, 0], x[:, 0, 0])
    assert x[:, 0, 1].tolist() == [1.0] * 50 and not x[:, 1:, 1].any()
    assert np.abs(x[:, :, 0]).max() <= 1
    assert not np.array_equal(mem.make_task(50, 7, seed=2)[1], y)


def test_normalised_mse_is_one_for_the_mean_and_zero_for_recall():
    _, y = mem.make_task(2000, 3, seed=0)
    assert mem.normalised_mse(y, np.full_like(y, y.mean())) == pytest.approx(1.0)
    assert mem.normalised_mse(y, y) == 0.0
    assert mem.normalised_mse(y, 0.5 * y) == pytest.approx(0.25, rel=0.03)


def test_lengths_are_validated():
    assert mem.parse_lengths("20,5,5") == [5, 20]
    with pytest.raises(ForecastError, match="--lengths '1,5' must be integers >= 2"):
        mem.parse_lengths("1,5")


def test_run_memory_writes_table_json_and_plot(tmp_path):
    out = tmp_path / "mem"
    result = mem.run_memory(
        ["rnn", "gru"], [3, 6], out, epochs=1, units=4, log=lambda m: None, n_train=32, n_test=16
    )
    data = json.loads((out / "memory.json").read_text())
    cells = [(r["model"], r["length"]) for r in data["rows"]]
    assert cells == [("rnn", 3), ("rnn", 6), ("gru", 3), ("gru", 6)]
    assert all(r["nmse"] >= 0 and r["params"] > 0 for r in data["rows"])
    assert (out / "memory.png").stat().st_size > 5000 and (out / "memory.csv").exists()
    table = mem.memory_table(result).splitlines()
    assert table[0].split() == ["nmse", "L=3", "L=6"]
    assert table[2].startswith("gru") and f"{data['rows'][3]['nmse']:.3f}" in table[2]


def test_compare_task_memory_refuses_bad_lengths(tmp_path):
    args = ["compare", "--task", "memory", "--lengths", "x", "--out", str(tmp_path / "m")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--lengths 'x'" in result.stderr


def test_compare_without_csv_says_how(tmp_path):
    result = CliRunner().invoke(cli, ["compare", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "compare needs a CSV (or --task memory)" in result.stderr

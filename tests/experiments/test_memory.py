"""The memory task: the adding problem's data, the training loop, gradient norms and the outputs
(tiny sizes; the real experiment is `forecast compare --task memory`)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.errors import ForecastError
from forecast.experiments import memory as mem
from forecast.experiments import memory_report as report
from forecast.experiments import memory_run
from forecast.experiments.adding import BASELINE_MSE, adding_batch, baseline_mse
from forecast.experiments.gradients import input_gradient_norms


@pytest.mark.parametrize("length", [2, 3, 7, 50])
def test_adding_batch_has_two_markers_one_per_half_and_sums_them(length):
    x, y = adding_batch(np.random.default_rng(0), 400, length)
    assert x.shape == (400, length, 2) and y.shape == (400, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    half = length // 2
    assert (markers[:, :half].sum(axis=1) == 1).all() and (markers[:, half:].sum(axis=1) == 1).all()
    assert np.array_equal(y[:, 0], (values * markers).sum(axis=1))
    assert values.min() >= 0 and values.max() < 1


def test_adding_batch_is_fresh_per_draw_and_reproducible_per_seed():
    rng = np.random.default_rng(5)
    first, second = adding_batch(rng, 8, 10), adding_batch(rng, 8, 10)
    assert not np.array_equal(first[0], second[0])
    again = adding_batch(np.random.default_rng(5), 8, 10)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    with pytest.raises(ValueError, match="length 1 < 2"):
        adding_batch(rng, 4, 1)


def test_predicting_one_scores_the_baseline_of_one_sixth():
    _, y = adding_batch(np.random.default_rng(1), 200_000, 4)
    assert BASELINE_MSE == pytest.approx(1 / 6)
    assert baseline_mse(y) == pytest.approx(1 / 6, abs=0.002)
    assert float(np.mean(y)) == pytest.approx(1.0, abs=0.005)


def test_data_streams_differ_by_purpose_but_not_by_model():
    a = adding_batch(mem.data_rng(42, 10, 1), 4, 10)[0]
    assert np.array_equal(a, adding_batch(mem.data_rng(42, 10, 1), 4, 10)[0])
    assert not np.array_equal(a, adding_batch(mem.data_rng(42, 10, 2), 4, 10)[0])
    assert not np.array_equal(a, adding_batch(mem.data_rng(43, 10, 1), 4, 10)[0])


def test_lengths_and_settings_are_validated():
    assert mem.parse_lengths("200,10,10") == [10, 200]
    with pytest.raises(ForecastError, match="--lengths '1,5' must be integers >= 2"):
        mem.parse_lengths("1,5")
    with pytest.raises(ForecastError, match="--units 0 must be at least 1"):
        memory_run.memory_settings(units=0)
    assert memory_run.memory_settings(True, units=5).units == 5
    assert memory_run.memory_settings(max_steps=7).max_steps == 7


def test_gradient_norms_of_a_linear_model_match_the_closed_form():
    from forecast.models.registry import Architecture, build_model

    length = 6
    model = build_model(Architecture("linear", length, 2, 1, norm="global"))
    x, y = adding_batch(np.random.default_rng(2), 32, length)
    norms = input_gradient_norms(model, x, y)
    kernel = model.get_layer("forecast").get_weights()[0].reshape(length, 2)
    residual = model.predict(x, verbose=0) - y
    expected = np.mean(np.abs(2 * residual)) * np.linalg.norm(kernel, axis=1)
    assert norms.shape == (length,)
    np.testing.assert_allclose(norms, expected, rtol=1e-4)


def test_a_gru_learns_the_short_adding_problem():
    settings = mem.MemorySettings(
        units=8, batch=32, max_steps=400, eval_every=50, n_val=256, n_test=512
    )
    _, row, history = mem.train_adding("gru", 4, 0, settings)
    assert row["mse"] < 0.5 * row["baseline_mse"], history
    assert history[0]["step"] == 50 and row["steps"] == history[-1]["step"]


def test_summary_counts_solved_seeds_and_median_steps():
    rows = [
        {
            "model": "rnn",
            "length": 9,
            "seed": s,
            "mse": m,
            "solved": m < 0.01,
            "steps": n,
            "seconds": 1.0,
        }
        for s, m, n in [(0, 0.005, 300), (1, 0.002, 500), (2, 0.1, 900)]
    ]
    (cell,) = report.summarise(rows)
    assert (cell["solved"], cell["seeds"]) == (2, 3)
    assert cell["median_steps_to_solve"] == 400 and cell["median_mse"] == 0.005


def test_compare_task_memory_writes_rows_plots_and_gradients(tmp_path):
    out = tmp_path / "mem"
    args = [
        "compare",
        "--task",
        "memory",
        "--quick",
        "--models",
        "rnn,gru",
        "--lengths",
        "4,6",
        "--seeds",
        "1",
        "--max-steps",
        "20",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "memory.json").read_text())
    cells = [(r["model"], r["length"], r["seed"]) for r in data["rows"]]
    assert cells == [(m, n, s) for m in ("rnn", "gru") for n in (4, 6) for s in (42,)]
    for r in data["rows"]:
        assert set(mem.ROW_KEYS) <= set(r)
        assert r["mse"] >= 0 and r["solved"] == (r["mse"] < data["solved_threshold_mse"])
        assert r["baseline_mse"] == pytest.approx(1 / 6, abs=0.04)
        assert r["steps"] == 20 or (r["solved"] and r["steps"] < 20)
        assert r["seconds"] > 0
    assert len(data["summary"]) == 4 and data["settings"]["max_steps"] == 20
    grads = json.loads((out / "gradients.json").read_text())
    assert grads["length"] == 6 and set(grads["models"]) == {"rnn", "gru"}
    for norms in grads["models"].values():
        for stage in ("init", "trained"):
            values = np.asarray(norms[stage])
            assert values.shape == (6,) and np.isfinite(values).all() and (values > 0).all()
    for png in ("memory.png", "gradients.png"):
        assert (out / png).stat().st_size > 5000
    again = report.load_memory(out)
    assert again.rows == data["rows"] and again.gradients == grads and again.lengths == [4, 6]
    assert report.memory_table(again) in result.stdout
    table = result.stdout.splitlines()
    assert table[-6].split() == ["model", "L", "solved", "steps", "mse", "s/seed"]
    assert table[-5].split()[:2] == ["rnn", "4"]


def test_load_memory_says_what_is_missing(tmp_path):
    with pytest.raises(ForecastError, match="memory.json not found; run `forecast compare --task"):
        report.load_memory(tmp_path)


def test_compare_task_memory_refuses_bad_lengths(tmp_path):
    args = ["compare", "--task", "memory", "--lengths", "x", "--out", str(tmp_path / "m")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--lengths 'x'" in result.stderr
    assert not (tmp_path / "m").exists()


def test_compare_without_csv_says_how(tmp_path):
    result = CliRunner().invoke(cli, ["compare", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "compare needs a CSV (or --task memory)" in result.stderr


def test_a_reused_trainer_gives_exactly_what_a_fresh_one_gives():
    settings = mem.MemorySettings(
        units=4, batch=16, max_steps=20, eval_every=10, n_val=64, n_test=64
    )
    trainer = mem.AddingTrainer("lstm", 5, settings)
    mem.train_adding("lstm", 5, 1, settings, trainer)
    _, reused, _ = mem.train_adding("lstm", 5, 2, settings, trainer)
    _, fresh, _ = mem.train_adding("lstm", 5, 2, settings)
    assert reused["mse"] == fresh["mse"] and reused["val_mse"] == fresh["val_mse"]

"""The Python API: ``forecast.fit`` / ``compare`` / ``load`` and what they return, checked against
the files they write and against the CLI with the same options and seed."""

from __future__ import annotations

import json

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from tests.conftest import synthetic_frame

TINY = {"window": 12, "horizon": 3, "epochs": 2, "units": 4, "batch_size": 32, "seed": 7}
TIMING = {"train_seconds", "train_samples_per_second"}  # wall-clock: differs run to run


def tiny_flags() -> list[str]:
    return [a for k, v in TINY.items() for a in (f"--{k.replace('_', '-')}", str(v))]


@pytest.fixture(scope="module")
def sine_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "sine.csv"
    synthetic_frame(160).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def api_run(sine_file, tmp_path_factory):
    return forecast.fit(sine_file, model="gru", out=tmp_path_factory.mktemp("r") / "run", **TINY)


def test_all_lists_public_names_that_resolve():
    assert "fit" in forecast.__all__ and "ForecastError" in forecast.__all__
    for name in forecast.__all__:
        assert getattr(forecast, name) is not None, name
    with pytest.raises(AttributeError):
        forecast.pipeline  # noqa: B018  (internals are not public names)


def test_fit_returns_a_run_that_matches_its_files(api_run):
    run = api_run
    on_disk = json.loads((run.path / "metrics.json").read_text())
    assert run.metrics == on_disk
    table = run.table
    assert list(table.index) == ["gru", "persistence", "seasonal_naive", "linear"]
    assert list(table.columns) == ["rmse", "mae", "smape", "mase", "skill_vs_persistence"]
    assert table.index.name == "model"
    assert table.loc["gru", "rmse"] == on_disk["rmse"]
    assert table.loc["linear", "rmse"] == on_disk["baselines"]["linear"]["rmse"]
    assert table.loc["persistence", "skill_vs_persistence"] == 0.0
    assert table.loc["gru", "skill_vs_persistence"] == on_disk["skill_vs_persistence"]
    expected_skill = (
        1 - on_disk["baselines"]["linear"]["rmse"] / on_disk["baselines"]["persistence"]["rmse"]
    )
    assert table.loc["linear", "skill_vs_persistence"] == pytest.approx(expected_skill)
    predictions = run.predictions
    assert len(predictions) == on_disk["n_test_windows"] * on_disk["horizon"]
    rmse = np.sqrt(np.mean((predictions["predicted"] - predictions["actual"]) ** 2))
    assert rmse == pytest.approx(on_disk["rmse"], rel=1e-5)
    assert run.verdict.startswith("verdict: ")


def test_run_predict_gives_the_next_horizon(api_run, sine_file):
    future = api_run.predict()
    assert len(future) == TINY["horizon"]
    last = pd.read_csv(sine_file)["date"].iloc[-1]
    assert pd.Timestamp(future["timestamp"].iloc[0]) == pd.Timestamp(last) + pd.Timedelta("1D")
    assert {"predicted", "lower_80", "upper_80"} <= set(future.columns)
    assert not (api_run.path / "future.csv").exists()  # no out: nothing written in the run


def test_run_plot_returns_the_forecast_figure(api_run):
    fig = api_run.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes and fig.axes[0].images


def test_load_reads_the_saved_run_back(api_run):
    again = forecast.load(api_run.path)
    assert isinstance(again, forecast.Run)
    assert again.metrics == api_run.metrics
    assert again.notes == api_run.notes == api_run.metrics["notes"]
    pd.testing.assert_frame_equal(again.table, api_run.table)


def test_api_and_cli_agree_with_the_same_seed(api_run, sine_file, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli, ["fit", str(sine_file), "--model", "gru", *tiny_flags(), "--quiet", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cli_metrics = json.loads((out / "metrics.json").read_text())
    for key in set(cli_metrics) | set(api_run.metrics):
        if key == "final":  # the refit on every row: its seconds are wall-clock too
            a, b = (
                {k: v for k, v in m[key].items() if k != "seconds"}
                for m in (cli_metrics, api_run.metrics)
            )
            assert a == b
        elif key not in TIMING:
            assert cli_metrics[key] == api_run.metrics[key], key


def test_fit_takes_a_dataframe_and_keeps_a_copy_for_predict(tmp_path):
    frame = synthetic_frame(160).set_index("date")
    run = forecast.fit(frame, model="linear", out=tmp_path / "run", **TINY)
    assert (run.path / "data.parquet").is_file()
    assert run.config["data"]["path"] == "data.parquet"
    assert len(run.predict()) == TINY["horizon"]
    assert run.metrics["target"] == "y"


def test_errors_raise_forecast_error_with_the_cli_message(sine_file, tmp_path):
    with pytest.raises(forecast.ForecastError) as api_error:
        forecast.fit(sine_file, out=tmp_path / "a", window=500)
    result = CliRunner().invoke(
        cli, ["fit", str(sine_file), "--window", "500", "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {' '.join(str(api_error.value).split())}"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p: forecast.fit(p, windw=3), "unknown option(s) windw; fit's options are"),
        (lambda p: forecast.fit(42), "not int"),
        (lambda p: forecast.fit(p.parent / "missing.csv"), "is not a file"),
        (lambda p: forecast.load(p.parent), "is not a run directory"),
        (lambda p: forecast.fit(p, model="transformer"), "--model 'transformer' is not one of"),
    ],
)
def test_bad_calls_name_the_problem(sine_file, call, message):
    with pytest.raises(forecast.ForecastError, match=None) as error:
        call(sine_file)
    assert message in str(error.value)


def test_compare_returns_a_comparison(sine_file, tmp_path):
    cmp = forecast.compare(sine_file, models=["rnn", "gru"], seeds=1, out=tmp_path / "c", **TINY)
    table = cmp.table
    assert {"rnn", "gru", "persistence", "seasonal_naive", "linear"} <= set(table.index)
    assert cmp.best in table.index
    assert table.loc[cmp.best, "rmse"] == table["rmse"].min()  # ties: the simpler forecaster
    assert cmp.best_model in ("rnn", "gru")
    assert cmp.verdict.startswith("verdict: ")
    assert "| gru" in cmp.markdown() or "gru |" in cmp.markdown()
    gru = cmp.run("gru")
    assert gru.metrics["model"] == "gru" and gru.metrics["seed"] == TINY["seed"]
    loaded = forecast.load(cmp.path)
    assert isinstance(loaded, forecast.Comparison) and loaded.best == cmp.best


def test_compare_on_a_dataframe_keeps_one_copy_for_every_run(tmp_path):
    frame = synthetic_frame(160).set_index("date")
    cmp = forecast.compare(frame, models="rnn", seeds=1, out=tmp_path / "c", **TINY)
    assert (cmp.path / "data.parquet").is_file()
    run = cmp.run("rnn")
    assert run.config["data"]["path"] == "../data.parquet"
    assert len(run.predict()) == TINY["horizon"]

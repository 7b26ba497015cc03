"""``forecast tune``: search space, outputs, budget, Ctrl-C, and that the test split is never read.

The end-to-end tests train tiny GRUs (2 trials, 1 epoch, 4 units) on a 200-row sine; the tests of
the search loop itself replace training by a stand-in so they take no training time.
"""

from __future__ import annotations

import math
import sys
import tempfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast import config
from forecast.cli import cli
from forecast.commands import tune as tune_mod
from forecast.commands import tune_space
from forecast.config import FitOptions, load_toml
from forecast.data import prepared
from forecast.data.io import read_series
from forecast.training import fitting as pipeline
from forecast.training import inference, preparation
from tests.conftest import synthetic_frame

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TINY = ["--model", "gru", "--epochs", "1", "--units", "4", "--window", "14", "--horizon", "3"]
OUTPUTS = {"trials.csv", "best.toml", "tuning.png"}


def run_tune(args):
    return CliRunner().invoke(cli, ["tune", *map(str, args)])


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """One real 2-trial tune of a 200-row sine, with ``tempfile`` routed into an empty directory
    (to check that keras-tuner's project directory is removed): ``(csv, out, scratch, result)``."""
    root = tmp_path_factory.mktemp("tuned")
    csv, out, scratch = root / "sine.csv", root / "tuned", root / "scratch"
    synthetic_frame().to_csv(csv, index=False)
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(scratch))
        result = run_tune([csv, *TINY, "--trials", "2", "--out", out])
    return csv, out, scratch, result


def test_tune_writes_trials_best_toml_and_plot(tuned):
    sine_csv, out, isolated_tmp, result = tuned
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == OUTPUTS  # no pickle, no keras-tuner files
    # keras-tuner's project directory was removed (TensorFlow's autograph leaves .py files there)
    assert [p.name for p in isolated_tmp.iterdir() if p.is_dir()] == []
    assert "trial 1/2  val RMSE " in result.output and "best so far" in result.output
    assert "(time left ~" in result.output
    assert f"reproduce: forecast fit {sine_csv} --config {out / 'best.toml'}" in result.output

    trials = pd.read_csv(out / "trials.csv")
    assert list(trials.columns) == [
        "trial", "window", "units", "layers", "learning_rate", "batch_size", "norm", "calendar",
        "val_rmse", "epochs", "seconds",
    ]  # fmt: skip
    assert list(trials["trial"]) == [1, 2]
    start = FitOptions(window=14, horizon=3, epochs=1, units=4)
    first = trials.iloc[0]
    assert (first["window"], first["units"], first["layers"], first["batch_size"]) == (14, 4, 1, 64)
    assert (first["learning_rate"], first["norm"], first["calendar"]) == (1e-3, "window", "auto")
    assert (trials["val_rmse"] > 0).all() and (trials["epochs"] == 1).all()
    assert (trials["window"] % 7 == 0).all() | (trials["window"] == start.window).all()

    best = trials.loc[trials["val_rmse"].idxmin()]
    shown = f"val RMSE: best {best['val_rmse']:.4g}, given options (trial 1) "
    assert shown + f"{first['val_rmse']:.4g}" in result.output


def test_best_toml_is_fit_config_and_reproduces_best_trial(tuned, tmp_path):
    sine_csv, out, _, result = tuned
    assert result.exit_code == 0, result.output
    text = (out / "best.toml").read_text()
    loaded = load_toml(out / "best.toml")
    options = FitOptions.from_dict(loaded)
    unset = {k for k, v in options.to_dict().items() if v is None}  # TOML has no null
    assert set(loaded) | unset == set(FitOptions().to_dict()) and not set(loaded) & unset
    assert all(f"# {k}: not set" in text for k in unset)
    trials = pd.read_csv(out / "trials.csv")
    best = trials.loc[trials["val_rmse"].idxmin()]
    for key in ("window", "units", "layers", "batch_size", "norm", "calendar"):
        assert getattr(options, key) == best[key]
    assert options.learning_rate == pytest.approx(best["learning_rate"], rel=1e-6)
    assert (options.target, options.time_col, options.season) == ("y", "date", 7)

    # what `forecast fit --config best.toml` trains: the same model, the same validation RMSE
    prepared = preparation.prepare(read_series(sine_csv), options)
    model, _ = pipeline.train_one("gru", prepared, options, verbose=0)
    val = np.sqrt(
        np.mean((inference.predict_part(model, prepared, "val") - prepared.actual("val")) ** 2)
    )
    assert val == pytest.approx(best["val_rmse"], rel=1e-4)

    fitted = CliRunner().invoke(
        cli,
        ["fit", str(sine_csv), "--config", str(out / "best.toml"), "--out", str(tmp_path / "r")],
    )
    assert fitted.exit_code == 0, fitted.output


def test_test_split_is_never_read(sine_csv, tmp_path, monkeypatch):
    """Poison every test row after preparing and record which parts are windowed or scored."""
    parts: list[str] = []
    real_prepare, real_dataset, real_actual = (
        preparation.prepare,
        prepared.Prepared.dataset,
        prepared.Prepared.actual,
    )

    def poisoned_prepare(series, options):
        prepared = real_prepare(series, options)
        prepared.values[prepared.split.val_end :] = np.nan
        prepared.target[prepared.split.val_end :] = 1e30
        return prepared

    def spy_dataset(self, part, *args, **kwargs):
        parts.append(part)
        return real_dataset(self, part, *args, **kwargs)

    def spy_actual(self, part):
        parts.append(part)
        return real_actual(self, part)

    monkeypatch.setattr(preparation, "prepare", poisoned_prepare)
    monkeypatch.setattr(prepared.Prepared, "dataset", spy_dataset)
    monkeypatch.setattr(prepared.Prepared, "actual", spy_actual)
    result = run_tune([sine_csv, *TINY, "--trials", "2", "--out", tmp_path / "t"])
    assert result.exit_code == 0, result.output
    assert set(parts) == {"train", "val"}
    trials = pd.read_csv(tmp_path / "t" / "trials.csv")
    assert trials["val_rmse"].map(math.isfinite).all() and (trials["val_rmse"] < 100).all()


REAL_RUNNER = tune_mod.TrialRunner


class FakeRunner:
    """Stands in for ``TrialRunner``: no training, a validation RMSE that depends on the options,
    a fixed number of seconds per trial, and an optional Ctrl-C at trial ``interrupt_at``."""

    interrupt_at: int | None = None
    seconds: float = 0.0
    calls: list[FitOptions] = []
    losses: list[np.ndarray] = []

    def __init__(self, series, verbose=0):
        self.real = REAL_RUNNER(series, verbose)
        self.last = None  # (actual, per-origin losses) of the last trial
        FakeRunner.calls, FakeRunner.losses = [], []

    def prepared(self, options):
        return self.real.prepared(options)

    def val_rmse(self, name, options):
        if name == "linear":
            return 1.0, 1
        FakeRunner.calls.append(options)
        if len(FakeRunner.calls) == FakeRunner.interrupt_at:
            raise KeyboardInterrupt
        import time

        time.sleep(FakeRunner.seconds)
        rmse = options.window / 10 + options.units / 1000 + math.log10(options.learning_rate)
        # per-origin validation losses that differ from trial to trial (for the DM test)
        k = len(FakeRunner.calls)
        losses = 5 + rmse + np.sin(np.arange(40) * (k + 1)) * 0.5
        FakeRunner.losses.append(losses)
        self.last = (np.zeros((40, 3)), losses)
        return rmse, 3


@pytest.fixture
def fake_runner(monkeypatch):
    monkeypatch.setattr(tune_mod, "TrialRunner", FakeRunner)
    FakeRunner.interrupt_at, FakeRunner.seconds = None, 0.0
    return FakeRunner


def test_search_starts_from_given_options_and_stays_in_the_space(sine_csv, tmp_path, fake_runner):
    result = run_tune([sine_csv, *TINY, "--trials", "6", "--out", tmp_path / "t"])
    assert result.exit_code == 0, result.output
    calls = fake_runner.calls
    assert len(calls) == 6
    assert calls[0] == FitOptions(window=14, horizon=3, epochs=1, units=4).plain()
    series = read_series(sine_csv)
    choices = tune_space.space(calls[0], series)
    for options in calls:
        for name, values in choices.items():
            value = getattr(options, name)
            if name == "learning_rate":
                assert values[0] * 0.995 <= value <= values[1] * 1.005
            else:
                assert value in values
        assert (options.epochs, options.horizon, options.seed) == (1, 3, 42)  # not searched
    assert len({tuple(getattr(o, k) for k in choices) for o in calls}) == 6  # no repeats
    trials = pd.read_csv(tmp_path / "t" / "trials.csv")
    assert trials["val_rmse"].tolist() == pytest.approx(
        [o.window / 10 + o.units / 1000 + math.log10(o.learning_rate) for o in calls], rel=1e-5
    )


def test_ctrl_c_keeps_finished_trials(sine_csv, tmp_path, fake_runner):
    fake_runner.interrupt_at = 3
    out = tmp_path / "t"
    result = run_tune([sine_csv, *TINY, "--trials", "5", "--out", out])
    assert result.exit_code == 130, result.output
    assert "interrupted: kept the 2 finished trial(s)" in result.output
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert len(pd.read_csv(out / "trials.csv")) == 2


def test_ctrl_c_before_any_trial_writes_nothing(sine_csv, tmp_path, fake_runner):
    fake_runner.interrupt_at = 1
    result = run_tune([sine_csv, *TINY, "--trials", "5", "--out", tmp_path / "t"])
    assert result.exit_code == 130
    assert not (tmp_path / "t").exists()


def test_budget_stops_new_trials(sine_csv, tmp_path, fake_runner):
    fake_runner.seconds = 0.4
    # 0.01 minutes = 0.6 s: trial 1 (0.4 s) runs; another 0.4 s trial would end after the budget
    result = run_tune(
        [sine_csv, *TINY, "--trials", "5", "--budget-minutes", "0.01", "--out", tmp_path / "t"]
    )
    assert result.exit_code == 0, result.output
    assert len(fake_runner.calls) == 1
    assert "(1 trial(s) in" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trials", "0"], "error: --trials 0 must be at least 1; use e.g. --trials 10"),
        (
            ["--budget-minutes", "0"],
            "error: --budget-minutes 0.0 must be > 0; use e.g. --budget-minutes 5",
        ),
        (["--window", "150"], "error: --window 150 and --horizon 3 need at least"),
    ],
)
def test_bad_tune_options(sine_csv, tmp_path, args, message):
    result = run_tune([sine_csv, *TINY, *args, "--out", tmp_path / "t"])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "t").exists()


def test_window_choices_are_season_multiples_capped_by_the_data():
    start = FitOptions(window=30, horizon=7)
    assert tune_space.window_choices(start, 7, 1461) == [7, 14, 21, 28, 30, 42, 56]
    # 60 rows: 42 training rows hold a window and a horizon of 7 only up to window 35
    assert tune_space.window_choices(start.replace(window=7), 7, 60) == [7, 14, 21, 28]
    assert tune_space.window_choices(FitOptions(window=5, horizon=4), 1, 500) == [
        4,
        5,
        8,
        12,
        16,
        24,
        32,
    ]  # fmt: skip (no season: multiples of the horizon)


def test_space_depends_on_model_and_frequency(write_csv):
    daily = read_series(write_csv(synthetic_frame(n=300)))
    gru = tune_space.space(FitOptions(units=48, learning_rate=0.05), daily)
    assert set(gru) == {"window", "units", "layers", "learning_rate", "batch_size", "norm",
                        "calendar"}  # fmt: skip
    assert 48 in gru["units"] and gru["learning_rate"] == [1e-4, 0.05]
    linear = tune_space.space(FitOptions(model="linear"), daily)
    assert set(linear) == {"window", "norm", "calendar"}
    frame = synthetic_frame(n=200).assign(date=pd.date_range("1800", periods=200, freq="YS"))
    yearly = read_series(write_csv(frame, "yearly.csv"))  # no calendar cycle to resolve
    assert "calendar" not in tune_space.space(FitOptions(window=4, horizon=2), yearly)


def test_toml_text_round_trips_every_option():
    options = FitOptions(
        target='a "quoted" name', time_col="t", season=24, learning_rate=0.000123, highway=True
    )
    loaded = tomllib.loads(config.toml_text(options, "line one\nline two"))
    assert FitOptions.from_dict(loaded) == options
    text = config.toml_text(FitOptions(), "x")
    assert "season" not in tomllib.loads(text) and "# season: not set" in text  # TOML has no null


def test_progress_line():
    assert tune_mod.progress_line(3, 10, 2.34567, 2.1, 125.4) == (
        "trial 3/10  val RMSE 2.346  best so far 2.1  (time left ~2:05)"
    )


def test_tune_tests_the_best_trial_against_the_given_options_on_validation(
    sine_csv, tmp_path, fake_runner
):
    """The Diebold-Mariano p-value compares the validation losses of the best trial and of trial
    1 (the given options); it is printed and written into best.toml."""
    from forecast.evaluation.significance import dm_test
    from forecast.reporting.terminal import p_text, tune_evidence

    out = tmp_path / "t"
    result = run_tune([sine_csv, *TINY, "--trials", "5", "--out", out])
    assert result.exit_code == 0, result.output
    trials = pd.read_csv(out / "trials.csv")
    best = int(trials.loc[trials["val_rmse"].idxmin(), "trial"])
    assert best != 1
    expected = dm_test(fake_runner.losses[best - 1], fake_runner.losses[0], 3).p_value
    assert 0 < expected < 1
    assert tune_evidence(expected, 5) in result.output
    assert f"validation DM {p_text(expected)} against the given options" in (
        (out / "best.toml").read_text()
    )


def test_tune_evidence_reads_the_p_value():
    from forecast.reporting.terminal import tune_evidence

    assert "not significantly better" in tune_evidence(0.4, 15)
    assert "best of 15 trials makes that optimistic" in tune_evidence(0.01, 15)

"""Integer time steps (``forecast.data.steps``): a column of increasing whole numbers is the time
axis (detected by name, or named with --time-col), never an input; gaps are gaps as with
timestamps; the forecast is labelled with the next steps. Small synthetic frames written here."""

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
from forecast.data import calendar
from forecast.data.io import read_series, season_for
from forecast.data.panel import read_panel
from forecast.data.steps import future_steps, is_step_freq, stride_of
from forecast.errors import ForecastError
from tests.conftest import ROOT


def stepped(steps, name: str = "step") -> pd.DataFrame:
    """A value ``2·s + 1`` at every step ``s`` (linear, so filled gaps are exact)."""
    steps = np.asarray(steps)
    return pd.DataFrame({name: steps, "value": 2.0 * steps + 1})


@pytest.mark.parametrize("name", ["step", "t", "index", "time_idx", "Step"])
def test_a_counting_column_is_detected_and_is_never_an_input(write_csv, name):
    s = read_series(write_csv(stepped(range(40), name)))
    assert s.time_col == name and s.freq == "step"
    assert s.frame.index.tolist() == list(range(40))
    assert list(s.frame.columns) == ["value"]  # the step is the time axis, not a feature
    assert s.frame["value"].iloc[3] == 7.0


def test_any_regular_stride_and_any_start(write_csv):
    s = read_series(write_csv(stepped(range(100, 500, 10), "t")))
    assert s.freq == "10step" and stride_of(s.freq) == 10
    assert s.frame.index[0] == 100 and s.frame.index[-1] == 490
    assert future_steps(s.frame.index[-1], s.freq, 3).tolist() == [500, 510, 520]


def test_time_col_names_a_step_column_of_any_name(write_csv):
    path = write_csv(stepped(range(5, 45), "k"))
    with pytest.raises(ForecastError, match="no time column found"):
        read_series(path)  # "k" is not a time name: not guessed
    s = read_series(path, time_col="k")
    assert s.time_col == "k" and s.freq == "step" and list(s.frame.columns) == ["value"]


def test_a_time_column_of_integers_is_a_step_index_not_an_error(write_csv):
    # refused before: "holds plain numbers (0 … 29), neither years nor epoch seconds"
    s = read_series(write_csv(pd.DataFrame({"time": np.arange(30), "y": np.arange(30.0)})))
    assert s.time_col == "time" and s.freq == "step" and list(s.frame.columns) == ["y"]


def test_dates_win_over_a_step_column(write_csv):
    frame = stepped(range(30)).assign(date=pd.date_range("2020-01-01", periods=30).astype(str))
    s = read_series(write_csv(frame))
    assert s.time_col == "date" and s.freq == "D"
    assert list(s.frame.columns) == ["step", "value"]


def test_short_gaps_are_noted_or_filled(write_csv):
    steps = [s for s in range(40) if s not in (10, 11)]
    path = write_csv(stepped(steps))
    kept = read_series(path)
    assert len(kept.frame) == 38 and kept.freq == "step"
    assert "1 gap(s) in the steps of 'step' (largest 9 → 12)" in " ".join(kept.notes)
    filled = read_series(path, fill="interpolate")
    assert filled.frame.index.tolist() == list(range(40))
    assert filled.frame.loc[[10, 11], "value"].tolist() == [21.0, 23.0]  # 2·s + 1
    assert any("on the full grid of 40 steps" in n for n in filled.notes)


def test_a_long_gap_is_refused_unless_filled(write_csv):
    path = write_csv(stepped([*range(20), *range(40, 60)]))
    with pytest.raises(ForecastError) as error:
        read_series(path)
    assert str(error.value) == (
        "time column 'step' jumps from 19 to 40 (more than 10 steps of 1); pass --fill ffill or "
        "--fill interpolate to fill the missing steps, or cut the CSV to one side of it"
    )
    assert len(read_series(path, fill="ffill").frame) == 60


def test_steps_off_the_grid_are_refused(write_csv):
    with pytest.raises(ForecastError, match="is irregular: 1 of 29 steps differ from the usual "):
        read_series(write_csv(stepped([*range(0, 150, 10), 155, *range(165, 300, 10)])))


def test_steps_that_do_not_increase_are_one_line_errors(write_csv):
    with pytest.raises(ForecastError) as error:
        read_series(write_csv(stepped([0, 1, 2, 5, 4, 6, 7, 8])))
    assert str(error.value) == (
        "time column 'step' must increase, but line 6 goes back to step 4 after 5; sort the "
        "rows by 'step' and keep one row per step"
    )
    long = pd.concat([stepped(range(20)).assign(id="a"), stepped(range(20)).assign(id="b")])
    with pytest.raises(ForecastError, match=r"line 22 goes back to step 0 after 19; one row per "):
        read_series(write_csv(long))
    with pytest.raises(ForecastError, match=r"a long table of several series; pass --series id$"):
        read_series(write_csv(long))


def test_fractional_numbers_are_not_steps(write_csv):
    frame = pd.DataFrame({"time": np.arange(30) / 2, "y": np.arange(30.0)})
    with pytest.raises(ForecastError, match=r"holds numbers that are not whole \(0 … 14.5\)"):
        read_series(write_csv(frame), time_col="time")


def test_time_col_none_drops_a_counting_column(write_csv):
    s = read_series(write_csv(stepped(range(30))), time_col="none")
    assert list(s.frame.columns) == ["value"] and s.freq == "step"
    assert any("step count the rows: not used as inputs" in n for n in s.notes)


def long_table() -> pd.DataFrame:
    """Series ``a`` at steps 0 … 39, ``b`` at steps 5 … 54 without step 20 (a gap)."""
    a = stepped(range(40)).assign(series="a")
    b = stepped([s for s in range(5, 55) if s != 20]).assign(series="b", value=lambda f: -f.value)
    return pd.concat([a, b])[["series", "step", "value"]]


def test_series_have_their_own_steps(write_csv):
    panel = read_panel(write_csv(long_table()), "series")
    assert panel.time_col == "step" and panel.freq == "step"
    assert list(panel.frame.columns) == ["value"]
    a, b = (panel.frame.iloc[panel.layout.bounds[k] : panel.layout.bounds[k + 1]] for k in (0, 1))
    assert a.index.tolist() == list(range(40)) and b.index[0] == 5 and b.index[-1] == 54
    assert any(
        "series b: 1 gap(s) in the steps of 'step' (largest 19 → 21)" in n for n in panel.notes
    )
    filled = read_panel(write_csv(long_table()), "series", fill="interpolate")
    b = filled.frame.iloc[filled.layout.bounds[1] :]
    assert len(b) == 50 and b.loc[20, "value"] == -41.0


def test_series_with_different_strides_are_refused(write_csv):
    frame = pd.concat([stepped(range(30)).assign(id="a"), stepped(range(0, 60, 2)).assign(id="b")])
    with pytest.raises(ForecastError, match=r"different frequencies \(a step, b 2step\)"):
        read_panel(write_csv(frame), "id")


def test_step_frequencies_have_no_calendar_and_no_default_season():
    assert [stride_of(f) for f in ("step", "10step", "D", "0step", "steps", "h")] == [
        1,
        10,
        None,
        None,
        None,
        None,
    ]
    assert is_step_freq("24step") and not is_step_freq("24h")
    assert calendar.resolvable("step") == [] and calendar.resolvable("3step") == []
    assert season_for("step") == season_for("7step") == 1


def test_fit_and_predict_a_step_indexed_long_table(tmp_path, write_csv):
    """A long table fit with --series and --time-col step; predict (in a new process) labels the
    forecast with each series' next steps."""
    rng = np.random.default_rng(0)
    parts = []
    for name, start, n in (("a", 0, 90), ("b", 100, 80)):
        steps = np.arange(start, start + n)
        value = 10 + 3 * np.sin(2 * np.pi * steps / 6) + rng.normal(0, 0.1, n)
        parts.append(pd.DataFrame({"series": name, "step": steps, "value": value}))
    csv = write_csv(pd.concat(parts))
    out = tmp_path / "run"
    tiny = ["--epochs", "1", "--window", "6", "--horizon", "3", "--units", "4", "--quiet"]
    tiny += ["--norm", "window", "--loss", "mse"]  # not chosen on validation: one training
    args = ["fit", csv, "--series", "series", "--time-col", "step", "--season", "6", *tiny]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--out", out]])
    assert result.exit_code == 0, result.output
    prep = json.loads((out / "preprocessing.json").read_text())
    assert prep["time_col"] == "step" and prep["freq"] == "step"
    assert prep["columns"] == ["value"] and prep["calendar"] == []
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "predict", str(out), str(csv)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    future = pd.read_csv(out / "future.csv")
    assert future["series"].tolist() == ["a"] * 3 + ["b"] * 3
    assert future["timestamp"].tolist() == [90, 91, 92, 180, 181, 182]


def test_compare_on_a_step_indexed_long_table_with_a_season(tmp_path):
    """Step rows with --season get --window auto --segment auto; the shared linear baseline is
    trained point-wise (it once got segment "auto" and crashed with a TypeError)."""
    import forecast

    rng = np.random.default_rng(0)
    parts = []
    for name, n in (("a", 120), ("b", 140)):
        t = np.arange(1, n + 1)
        y = 10 + 3 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 0.2, n)
        parts.append(pd.DataFrame({"series": name, "step": t, "y": y}))
    pd.concat(parts).to_csv(tmp_path / "long.csv", index=False)
    result = forecast.compare(
        tmp_path / "long.csv",
        ["gru"],
        seeds=1,
        series="series",
        time_col="step",
        season=4,
        horizon=2,
        epochs=1,
        units=4,
        baselines="-gbm",
        final="none",
        out=tmp_path / "c",
    )
    assert "linear" in result.table.index and len(result.table) > 2

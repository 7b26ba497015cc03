"""``forecast inspect``: the facts on small synthetic series, and the command end to end (files
written atomically, duplicates reported rather than refused, no TensorFlow)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.commands import inspect as ins
from forecast.data import profile
from forecast.data.split import split_rows, window_counts
from tests.conftest import ROOT, synthetic_frame


def test_robust_z_outliers_find_the_spike_and_ignore_constant_columns():
    values = pd.Series(np.sin(np.arange(200) / 5.0))
    values[120] = 25.0
    assert profile.outliers(values) == {"count": 1, "first": ["120"]}
    assert profile.outliers(pd.Series(np.full(50, 3.0))) == {"count": 0, "first": []}


def test_acf_of_a_sine_peaks_at_its_period():
    r = profile.acf(np.sin(2 * np.pi * np.arange(480) / 24), 48)
    assert r[0] == pytest.approx(1.0)
    assert np.argmax(r[12:]) + 12 == 24 and r[12] < -0.9


@pytest.mark.parametrize(
    "freq, period, expected",
    [("h", 24, 24), ("h", 168, 168), ("step", 12, 12), ("D", 7, 7), ("MS", 12, 12)],
)
def test_suggested_season_is_the_series_period(freq, period, expected):
    rng = np.random.default_rng(0)
    t = np.arange(max(10 * period, 300))
    y = 0.01 * t + np.sin(2 * np.pi * t / period) + rng.normal(0, 0.2, len(t))
    season, how = profile.suggest_season(y, freq)
    assert season == expected and how.startswith("autocorrelation")


def test_noise_gets_the_frequency_default_season():
    y = np.random.default_rng(1).normal(size=400)
    assert profile.suggest_season(y, "D") == (7, "default for frequency D")
    assert profile.suggest_season(y, "step") == (1, "default for frequency step")


def test_trend_and_seasonal_strength():
    rng = np.random.default_rng(2)
    t = np.arange(480)
    seasonal = profile.strength(np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.1, 480), 24)
    trending = profile.strength(0.05 * t + rng.normal(0, 0.1, 480), 24)
    assert seasonal["seasonal"] > 0.9 and seasonal["trend"] < 0.5
    assert trending["trend"] > 0.9 and trending["seasonal"] < 0.3
    assert profile.strength(0.05 * t[:30], 1)["seasonal"] is None


def test_window_is_two_seasons_within_bounds():
    assert profile.suggest_window(24, 10_000) == 48
    assert profile.suggest_window(1, 10_000) == 8
    assert profile.suggest_window(365, 1461) == 365  # a quarter of the rows at most


def test_inspect_frame_reports_duplicates_missing_constant_and_baselines():
    frame = synthetic_frame(200, period=7).set_index("date")  # a weekly cycle in daily rows
    frame["flat"] = 1.0
    frame = pd.concat([frame, frame.iloc[[10, 20]]]).sort_index(kind="stable")
    frame.iloc[5, 0] = np.nan
    facts = ins.inspect_frame(frame, target="y")
    assert facts["rows"] == 202 and facts["duplicate_timestamps"] == 2
    assert facts["missing"] == {"x": 1, "y": 0, "flat": 0}
    assert facts["constant_columns"] == ["flat"]
    assert facts["frequency"] == "D" and facts["season"] == 7
    n_test = window_counts(split_rows(200, (0.7, 0.15, 0.15)), 30, 7)[2]
    b = facts["baselines"]
    assert b["n_test_windows"] == n_test
    assert b["seasonal_naive"]["rmse"] < b["persistence"]["rmse"]  # a clean weekly cycle
    json.dumps(facts)  # JSON-ready


def test_inspect_command_writes_json_and_png_and_prints_the_block(tmp_path):
    frame = synthetic_frame(150, freq="h", period=24)
    frame = pd.concat([frame, frame.iloc[[3]]])  # a duplicate timestamp: reported, not refused
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    out = tmp_path / "look"
    result = CliRunner().invoke(cli, ["inspect", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "duplicates  1 duplicate timestamp(s)" in result.output
    assert "season      24 rows (autocorrelation" in result.output
    facts = json.loads((out / "inspect.json").read_text())
    assert facts["target"] == "y" and facts["duplicate_timestamps"] == 1
    assert (out / "inspect.png").stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "look"]


def test_inspect_without_a_time_column_and_with_season_given(tmp_path):
    csv = tmp_path / "steps.csv"
    synthetic_frame(120).drop(columns="date").to_csv(csv, index=False)
    out = tmp_path / "look"
    args = ["inspect", str(csv), "--time-col", "none", "--season", "6", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "inspect.json").read_text())
    assert facts["frequency"] == "step" and facts["season"] == 6
    assert facts["season_source"] == "--season"


def test_inspect_bad_target_is_one_line_and_writes_nothing(tmp_path):
    csv = tmp_path / "data.csv"
    synthetic_frame(60).to_csv(csv, index=False)
    out = tmp_path / "look"
    result = CliRunner().invoke(cli, ["inspect", str(csv), "--target", "z", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == "error: --target 'z' is not a numeric column; choose one of: x, y\n"
    assert not out.exists()


def test_inspect_does_not_import_tensorflow(tmp_path):
    csv = tmp_path / "data.csv"
    synthetic_frame(100).to_csv(csv, index=False)
    code = (
        "import sys; from click.testing import CliRunner; from forecast.cli import cli; "
        f"r = CliRunner().invoke(cli, ['inspect', {str(csv)!r}, '--out', {str(tmp_path / 'o')!r}]);"
        " assert r.exit_code == 0, r.output; print('tensorflow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_inspect_series_of_a_long_table(tmp_path):
    """A real long-format table (data/stocks_long.csv: monthly prices of five tickers, from
    vega_datasets): one report per ticker instead of 437 'duplicate' timestamps."""
    stocks = pd.read_csv(ROOT / "data" / "stocks_long.csv")
    extra = pd.DataFrame({"symbol": "TINY", "date": stocks["date"][:3], "price": [1.0, 2.0, 3.0]})
    csv = tmp_path / "stocks.csv"
    pd.concat([stocks, extra]).to_csv(csv, index=False)
    out = tmp_path / "look"
    result = CliRunner().invoke(cli, ["inspect", str(csv), "--series", "symbol", "--out", str(out)])
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "inspect.json").read_text())
    assert facts["n_series"] == 6 and facts["skipped"] == ["TINY"]
    assert sorted(facts["per_series"]) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    goog = facts["per_series"]["GOOG"]
    assert goog["rows"] == 68 and goog["duplicate_timestamps"] == 0 and goog["frequency"] == "MS"
    assert "--- symbol = GOOG" in result.output and "skipped (under 10 rows): TINY" in result.output
    result = CliRunner().invoke(cli, ["inspect", str(csv), "--out", str(tmp_path / "all")])
    assert "duplicates  440 duplicate timestamp(s)" in result.output
    assert "pass --series symbol to inspect each" in result.output


def test_inspect_unknown_series_column_is_one_line(tmp_path):
    csv = tmp_path / "data.csv"
    synthetic_frame(60).to_csv(csv, index=False)
    result = CliRunner().invoke(cli, ["inspect", str(csv), "--series", "ticker"])
    assert result.exit_code == 2
    assert result.stderr == ("error: --series 'ticker' is not a column; columns are: date, x, y\n")

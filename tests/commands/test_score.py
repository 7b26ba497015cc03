"""``forecast score`` on toy files worked out by hand, through the API, CliRunner and a process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from forecast.errors import ForecastError

# Series A: in-sample [1, 2, 3, 4, 2, 3, 4, 5] (each value 1 above the one a season of 4 earlier:
# MASE scale 1; 8 rows < 3 seasons, so Naive2 is the naive 5), then [3, 4, 5, 6] happened.
# Series B: in-sample 10, 10, 12, 12, 14, 14, 16, 16 (scale 4; Naive2 16), then 18, 18, 20, 20.
HISTORY = {
    "A": [1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6],
    "B": [10, 10, 12, 12, 14, 14, 16, 16, 18, 18, 20, 20],
}
# A's forecasts of steps 8..11: errors 0, 0, 0, 2; B's of steps 8 and 9 only: errors 2, -2
FORECASTS = {"A": (8, [3, 4, 5, 8]), "B": (8, [16, 20])}

SMAPE_A = (200 * 2 / 14) / 4
SMAPE_N2_A = (200 * 2 / 8 + 200 * 1 / 9 + 0 + 200 * 1 / 11) / 4  # 5 vs 3, 4, 5, 6
SMAPE_B = (200 * 2 / 34 + 200 * 2 / 38) / 2
SMAPE_N2_B = 200 * 2 / 34  # 16 vs 18 twice
EXPECTED = {  # per series: sMAPE, MASE, RMSE, sMAPE Naive2, MASE Naive2
    "A": (SMAPE_A, 0.5 / 1, 1.0, SMAPE_N2_A, 1.0 / 1),
    "B": (SMAPE_B, 2 / 4, 2.0, SMAPE_N2_B, 2 / 4),
}


def long_table(history: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(name, step, v) for name, values in history.items() for step, v in enumerate(values)],
        columns=["series", "step", "value"],
    )


def predict_output(forecasts: dict) -> pd.DataFrame:
    """What ``forecast predict`` writes for a --series run on integer steps: the time in
    ``timestamp``, the horizon step in ``step``, interval bounds beside the forecast."""
    rows = []
    for name, (first, values) in forecasts.items():
        for h, v in enumerate(values):
            rows.append((name, first + h, h + 1, v, v - 1, v + 1))
    columns = ["series", "timestamp", "step", "predicted", "lower_80", "upper_80"]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture
def files(tmp_path):
    actuals, forecasts = tmp_path / "long.csv", tmp_path / "future.csv"
    long_table(HISTORY).to_csv(actuals, index=False)
    predict_output(FORECASTS).to_csv(forecasts, index=False)
    return forecasts, actuals


def check_by_hand(table: pd.DataFrame, rtol: float = 1e-12) -> None:
    keys = ["smape", "mase", "rmse", "smape_naive2", "mase_naive2"]
    rows = table.set_index("series")
    for name, expected in EXPECTED.items():
        np.testing.assert_allclose(rows.loc[name, keys].to_numpy(float), expected, rtol=rtol)
        s, m, _, s2, m2 = expected
        assert rows.loc[name, "owa"] == pytest.approx((s / s2 + m / m2) / 2)
    assert list(rows["n"]) == [4, 2, 6]
    means = np.mean([EXPECTED["A"], EXPECTED["B"]], axis=0)
    np.testing.assert_allclose(rows.loc["mean", keys].to_numpy(float), means, rtol=rtol)
    # M4's OWA of the means: (9.1442 / 17.1829 + 0.5 / 0.75) / 2
    assert rows.loc["mean", "owa"] == pytest.approx(0.5 * (means[0] / means[3] + 0.5 / 0.75))
    assert rows.loc["mean", "owa"] == pytest.approx(0.5994, abs=1e-4)


def test_score_by_hand(files):
    report = forecast.score(*files, series="series", season=4)
    check_by_hand(report.table)
    assert report.column == "predicted" and report.season == 4
    assert list(report.table["series"]) == ["A", "B", "mean"]


def test_score_takes_frames_and_a_separate_history(files):
    whole = long_table(HISTORY)
    future = whole[whole["step"] >= 8]
    past = whole[whole["step"] < 8]
    report = forecast.score(
        predict_output(FORECASTS), future, series="series", season=4, insample=past
    )
    check_by_hand(report.table)


def test_naive2_reseasonalises_when_the_series_is_seasonal():
    # [1, 2, 3, 2] four times then [1, 2, 3, 4]: seasonal, indices [72, 140, 216, 144] / 143, the
    # last value deseasonalised 143/36: Naive2 = [2, 35/9, 6, 4]. Actual [2, 4, 6, 4]; in-sample
    # seasonal changes all 0 but the last (|4 - 2|): scale 2/16.
    history = {"C": [1, 2, 3, 2] * 4 + [1, 2, 3, 4] + [2, 4, 6, 4]}
    forecasts = predict_output({"C": (20, [2, 4, 6, 4])})
    row = forecast.score(forecasts, long_table(history), series="series", season=4).mean
    assert row["smape"] == 0 and row["mase"] == 0 and row["owa"] == 0
    assert row["smape_naive2"] == pytest.approx(200 * (4 - 35 / 9) / (4 + 35 / 9) / 4)
    assert row["mase_naive2"] == pytest.approx((4 - 35 / 9) / 4 / (2 / 16))


def test_dates_and_anyones_column_names(tmp_path):
    # one hourly series, columns named as in statsforecast: ds, y; forecasts ds, yhat
    times = pd.date_range("2024-01-01", periods=6, freq="h")
    actuals = pd.DataFrame({"ds": times, "y": [1.0, 3.0, 2.0, 4.0, 2.0, 6.0], "temp": 0.0})
    forecasts = pd.DataFrame({"ds": times[4:].astype(str), "yhat": [3.0, 5.0]})
    with pytest.raises(ForecastError, match=r"^ACTUALS has 2 numeric columns .* with --target$"):
        forecast.score(forecasts, actuals)
    report = forecast.score(forecasts, actuals, target="y")
    # hourly: season 24, longer than the 4 in-sample rows, so the lag-1 scale (2 + 1 + 2) / 3
    assert report.season == 24 and "season 24 from the time step" in report.notes[1]
    row = report.mean
    assert row["mase"] == pytest.approx(1 / (5 / 3))
    assert row["smape"] == pytest.approx((200 / 5 + 200 / 11) / 2)
    assert row["rmse"] == pytest.approx(1.0)
    # Naive2 = 4 (too short to test for seasonality): errors 2, 2
    assert row["smape_naive2"] == pytest.approx((200 * 2 / 6 + 200 * 2 / 10) / 2)


def test_cli_prints_the_table_and_writes_json_read_by_another_process(files, tmp_path):
    out = tmp_path / "scores.json"
    args = [*map(str, files), "--series", "series", "--season", "4", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "score", *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "series",
        "n",
        "sMAPE",
        "MASE",
        "OWA",
        "RMSE",
        "sMAPE",
        "Naive2",
        "MASE",
        "Naive2",
    ]
    assert lines[1].split()[:4] == ["A", "4", f"{SMAPE_A:.4g}", "0.5"]
    assert lines[3].split()[:2] == ["mean", "6"]
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json; d = json.load(open({str(out)!r})); "
            "print(d['season'], d['column'], [s['series'] for s in d['series']], d['mean']['owa'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    season, column, names, owa = read.stdout.split(" ", 3)
    assert (season, column, names) == ("4", "predicted", "['A',")
    saved = json.loads(out.read_text())
    assert saved["mean"]["owa"] == pytest.approx(0.5994, abs=1e-4)
    assert saved["series"][1]["mase_naive2"] == pytest.approx(0.5)


def test_cli_writes_csv(files, tmp_path):
    out = tmp_path / "scores.csv"
    args = [*files, "--series", "series", "--season", "4", "--out", out]
    result = CliRunner().invoke(cli, ["score", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    check_by_hand(pd.read_csv(out), rtol=1e-9)  # written to 10 significant digits


@pytest.mark.parametrize(
    "edit, extra, message",
    [
        (None, ["--series", "nope"], "--series 'nope' is not a column of FORECASTS"),
        (None, ["--series", "series", "--column", "nope"], "--column 'nope' is not a column"),
        (None, [], "ACTUALS has time 0 twice; pass --series"),
        ("unknown", ["--series", "series"], "series 'Z' of FORECASTS is not in ACTUALS"),
        (
            "late",
            ["--series", "series"],
            "series 'A': 1 forecast time(s) are not in ACTUALS "
            "(first 12); score only forecasts of times that ACTUALS covers",
        ),
        ("early", ["--series", "series"], "series 'A': ACTUALS has 0 value(s) before the first"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, edit, extra, message):
    forecasts, actuals = files
    frame = pd.read_csv(forecasts)
    if edit == "unknown":
        frame.loc[frame["series"] == "B", "series"] = "Z"
    elif edit == "late":
        frame.loc[3, "timestamp"] = 12
    elif edit == "early":
        frame.loc[0, "timestamp"] = 0
    frame.to_csv(forecasts, index=False)
    result = CliRunner().invoke(cli, ["score", str(forecasts), str(actuals), *extra])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr

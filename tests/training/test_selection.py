"""--window auto / --segment auto: a small grid scored on validation only, the winner kept."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.training import selection
from forecast.training.search import choose_on_validation
from forecast.training.selection import candidates, window_grid
from tests.conftest import synthetic_frame

TINY = ["--horizon", "3", "--epochs", "2", "--units", "4", "--batch-size", "32", "--quiet"]


def test_window_grid_follows_the_season():
    assert window_grid(7, "D", 500) == [7, 14, 21, 28]
    assert window_grid(24, "h", 5000) == [24, 48, 96, 168, 336]
    assert window_grid(24, "h", 100) == [24, 48, 96]
    assert window_grid(24, "step", 400) == [24, 48, 96, 168, 336]  # what the data leaves room for
    assert window_grid(1, "step", 500) == [16, 32, 64]


def test_candidates_pair_windows_with_segments():
    auto = FitOptions(window="auto", segment="auto")
    assert candidates(auto, 7, "D", 500) == [
        (7, 1),
        (14, 1),
        (14, 7),
        (21, 1),
        (21, 7),
        (28, 1),
        (28, 7),
    ]
    hourly = candidates(auto, 24, "h", 5000)
    assert (168, 1) not in hourly and (168, 24) in hourly and (24, 1) in hourly
    assert candidates(FitOptions(window=96, segment="auto"), 24, "h", 5000) == [(96, 24)]
    assert candidates(FitOptions(window="auto", segment=1), 7, "D", 20) == [(7, 1), (14, 1)]
    assert candidates(auto.replace(model="linear"), 7, "D", 500)[0] == (7, 1)


def series_with_test_rows(values_after: float | None, path):
    frame = synthetic_frame(220, period=7)
    if values_after is not None:  # rewrite the test rows (last 15 %): the choice must not move
        frame.loc[int(len(frame) * 0.85) :, ["x", "y"]] = values_after
    frame.to_csv(path, index=False)
    return read_series(path)


def test_choice_is_made_on_validation_only(tmp_path, monkeypatch):
    # windows 7 and 14: (7, 1), (14, 1), (14, 7), a real choice at a third of the cost of the grid
    monkeypatch.setattr(selection, "window_grid", lambda season, freq, most: [7, 14])
    options = FitOptions(
        window="auto", segment="auto", horizon=3, epochs=2, units=4, batch_size=32, calendar="none"
    )
    picks = []
    for k, test_value in enumerate([None, 1e4]):
        series = series_with_test_rows(test_value, tmp_path / f"s{k}.csv")
        chosen = choose_on_validation(series, options, verbose=0, log=lambda m: None)
        picks.append((chosen.options.window, chosen.options.segment, chosen.grid))
    assert picks[0][:2] == picks[1][:2]
    np.testing.assert_allclose(
        [g["val_rmse"] for g in picks[0][2]], [g["val_rmse"] for g in picks[1][2]], rtol=1e-5
    )
    grid = picks[0][2]
    assert sorted((g["window"], g["segment"]) for g in grid) == [(7, 1), (14, 1), (14, 7)]
    best = min(grid, key=lambda g: g["val_rmse"])
    assert (best["window"], best["segment"]) == picks[0][:2]


def test_fit_auto_records_the_grid(tmp_path, monkeypatch):
    monkeypatch.setattr(selection, "window_grid", lambda season, freq, most: [7, 14])
    path = tmp_path / "d.csv"
    synthetic_frame(200, period=7).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--window", "auto", "--segment", "auto", *TINY, "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    grid = metrics["selection"]["grid"]
    assert sorted((g["window"], g["segment"]) for g in grid) == [(7, 1), (14, 1), (14, 7)]
    best = min(grid, key=lambda g: g["val_rmse"])
    assert (metrics["window"], metrics["segment"]) == (best["window"], best["segment"])
    assert metrics["selection"]["on"] == "validation"
    assert "choosing window and segment on validation: 3 candidate(s)" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--window", "soon"], "'soon' is neither an integer nor 'auto'"),
        (["--segment", "40"], "--segment 40 is longer than --window 30"),
    ],
)
def test_bad_window_and_segment_flags(tmp_path, sine_csv, args, message):
    out = ["--out", str(tmp_path / "run")]
    result = CliRunner().invoke(cli, ["fit", str(sine_csv), *args, *TINY, *out])
    assert result.exit_code == 2, result.output
    assert message in result.output

"""Calendar inputs: the cycles a frequency resolves, exact phases, the known-future rotation."""

import numpy as np
import pandas as pd
import pytest

from forecast.config import FitOptions
from forecast.data import calendar
from forecast.data.io import read_series
from forecast.training import preparation
from forecast.training.preparation import prepare


@pytest.mark.parametrize(
    "freq, expected",
    [
        ("h", ["hour_of_day", "day_of_week", "day_of_year"]),
        ("D", ["day_of_week", "day_of_year"]),
        ("B", ["day_of_week", "day_of_year"]),
        ("MS", ["day_of_year"]),
        ("YS-JAN", []),
        (None, []),
    ],
)
def test_frequency_resolves_only_cycles_of_four_or_more_rows(freq, expected):
    assert calendar.resolvable(freq) == expected


def test_period_rows():
    assert calendar.period_rows("hour_of_day", "h") == pytest.approx(24)
    assert calendar.period_rows("day_of_week", "D") == pytest.approx(7)
    assert calendar.period_rows("day_of_week", "B") == 5
    assert calendar.period_rows("day_of_year", "D") == pytest.approx(365.25)
    assert calendar.period_rows("day_of_year", "MS") == pytest.approx(12, rel=1e-3)


def test_features_are_sin_cos_of_the_phase():
    index = pd.DatetimeIndex(["2021-01-04 06:00", "2021-01-06 18:00"])  # a Monday, a Wednesday
    f = calendar.features(index, ["hour_of_day", "day_of_week"], "h")
    assert f.shape == (2, 4) and f.dtype == np.float32
    # 06:00 is a quarter of the day: sin 1, cos 0; Monday 06:00 is 0.25/7 of the week
    np.testing.assert_allclose(f[0, :2], [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(
        f[1, 2:], [np.sin(2 * np.pi * 2.75 / 7), np.cos(2 * np.pi * 2.75 / 7)], atol=1e-6
    )
    assert calendar.column_names(["hour_of_day"]) == ["sin_hour_of_day", "cos_hour_of_day"]


@pytest.mark.parametrize("freq", ["h", "D", "B"])
def test_future_calendar_layer_matches_the_features_of_the_forecast_times(freq):
    from forecast.models.layers import FutureCalendar

    names = calendar.resolvable(freq)
    index = pd.date_range("2021-03-01", periods=40, freq=freq)
    cal = calendar.features(index, names, freq)
    window, horizon = 30, 5
    x = np.concatenate([np.zeros((40, 2), "float32"), cal], axis=1)[None, :window]
    periods = [calendar.period_rows(n, freq) for n in names]
    out = np.asarray(FutureCalendar(2, periods, horizon)(x)).reshape(horizon, -1)
    expected = cal[window : window + horizon]
    # business days: a weekend is 3 days, the rotation assumes 7/5 per row (< 2 days of a year)
    tolerance = 3e-2 if freq == "B" else 1e-4
    np.testing.assert_allclose(out, expected, atol=tolerance)


def test_prepare_appends_calendar_columns_after_the_data(tmp_path, monkeypatch):
    from tests.conftest import synthetic_frame

    monkeypatch.setattr(
        preparation, "calendar_on_validation", lambda s, prep, o, split=None: prep.calendar
    )
    synthetic_frame(1200, freq="D").to_csv(tmp_path / "s.csv", index=False)
    series = read_series(tmp_path / "s.csv")
    on = prepare(series, FitOptions(window=5, horizon=2))
    off = prepare(series, FitOptions(window=5, horizon=2, calendar="none"))
    assert on.prep.calendar == ["day_of_week", "day_of_year"]
    assert off.prep.calendar == [] and off.values.shape == (1200, 2)
    assert on.values.shape == (1200, 6)
    np.testing.assert_array_equal(on.values[:, :2], off.values)
    np.testing.assert_allclose(on.prep.calendar_periods, [7.0, 365.25])


@pytest.mark.parametrize(
    ("freq", "n_train", "window", "expected"),
    [
        # hourly, 96-hour window, 6,132 training rows: the day is in view, the year seen once
        ("h", 6132, 96, ["day_of_week"]),
        ("h", 6132, 12, ["hour_of_day", "day_of_week"]),
        ("h", 20000, 96, ["day_of_week", "day_of_year"]),
        # data/weather.csv: daily, window 30, 1,023 training rows
        ("D", 1023, 30, ["day_of_year"]),
        ("D", 1023, 5, ["day_of_week", "day_of_year"]),
        ("D", 700, 5, ["day_of_week"]),  # 365.25 > 700 / 2
        ("D", 731, 7, ["day_of_year"]),  # a 7-row week is in a 7-row window; 365.25 <= 731 / 2
        ("B", 3522, 30, ["day_of_year"]),  # data/stock.csv
        (None, 5000, 10, []),
    ],
)
def test_auto_keeps_cycles_longer_than_the_window_seen_twice_in_training(
    freq, n_train, window, expected
):
    assert calendar.choose("auto", freq, n_train, window) == expected
    assert calendar.choose("none", freq, n_train, window) == []


def test_old_preprocessing_json_without_calendar_still_loads(tmp_path):
    from forecast.data.preprocess import Preprocessing
    from tests.conftest import synthetic_frame

    synthetic_frame(200).to_csv(tmp_path / "s.csv", index=False)
    prep = prepare(read_series(tmp_path / "s.csv"), FitOptions(window=8, horizon=2)).prep
    d = prep.to_dict()
    d.pop("calendar")
    assert Preprocessing.from_dict(d).calendar == []
    d["calendar"] = ["hour_of_century"]
    with pytest.raises(Exception, match="invalid value for calendar"):
        Preprocessing.from_dict(d)


def weekly_frame(n: int, weekly: float, seed: int = 0) -> pd.DataFrame:
    """A daily AR(1) series plus ``weekly`` times a weekday effect (weekends high)."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.7 * noise[t - 1] + rng.normal()
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    effect = np.where(dates.day_of_week >= 5, 1.0, -0.4)
    return pd.DataFrame({"date": dates, "y": 10 + noise + weekly * effect})


@pytest.mark.parametrize(("weekly", "kept"), [(3.0, ["day_of_week"]), (0.0, [])])
def test_auto_keeps_a_cycle_only_when_it_helps_the_linear_baseline_on_validation(
    tmp_path, weekly, kept
):
    """Window 5 < 7 < 600 / 2: the day of week is a candidate; a weekday effect makes it pay on
    validation, plain AR(1) noise does not (the 1.6-year span leaves out the day of year)."""
    weekly_frame(600, weekly).to_csv(tmp_path / "w.csv", index=False)
    series = read_series(tmp_path / "w.csv")
    prepared = prepare(series, FitOptions(window=5, horizon=2))
    assert prepared.prep.calendar == kept
    assert prepared.values.shape == (600, 1 + 2 * len(kept))
    note = next(n for n in series.notes if n.startswith("calendar inputs"))
    assert "day_of_week" in note and ("dropped day_of_week" in note) == (not kept)


def test_calendar_none_skips_the_validation_check(tmp_path, monkeypatch):

    def fail(*args):
        raise AssertionError("no check expected")

    monkeypatch.setattr(preparation, "calendar_on_validation", fail)
    weekly_frame(600, 3.0).to_csv(tmp_path / "w.csv", index=False)
    prepared = prepare(read_series(tmp_path / "w.csv"), FitOptions(window=5, calendar="none"))
    assert prepared.prep.calendar == []


def test_the_calendar_check_thins_large_parts_evenly(tmp_path):
    from forecast.training.preparation import thinned

    weekly_frame(300, 3.0).to_csv(tmp_path / "w.csv", index=False)
    prepared = prepare(read_series(tmp_path / "w.csv"), FitOptions(window=5, horizon=2))
    small = thinned(prepared, 10)
    train = prepared.starts["train"]
    assert len(small.starts["train"]) == len(small.starts["val"]) == 10
    assert small.starts["train"][0] == train[0] and small.starts["train"][-1] == train[-1]
    assert np.all(np.diff(small.starts["train"]) > 0) and len(small.starts["test"]) == 0
    assert thinned(prepared, 10_000).starts["train"] is train

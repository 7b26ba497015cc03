"""Drift alerts: a hand-computed CUSUM, constructed cases for each test, a clean sequence, an
injected shift, per-series naming, and the prefix property ``update`` relies on."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ForecastError
from forecast.evaluation.drift import Alert, DriftOptions, cusum_path, detect, windowed_alarms

DAY0 = pd.Timestamp("2025-01-01")


def joined(model_err, persistence_err=None, width=1.28, series=None):
    """``join_actuals``-shaped rows: origin i (day i) forecasts days i+1 … i+h; actual 0.

    Args:
        model_err, persistence_err: ``(n_origins, horizon)`` errors (actual - forecast).
        width: half-width of the 80 % band around the model's forecast.
    """
    e = np.asarray(model_err, dtype="float64")
    n, h = e.shape
    pe = np.full((n, h), 5.0) if persistence_err is None else np.asarray(persistence_err, float)
    origin = np.repeat(np.arange(n), h)
    step = np.tile(np.arange(1, h + 1), n)
    predicted = -e.reshape(-1)
    frame = pd.DataFrame(
        {
            "origin": DAY0 + pd.to_timedelta(origin, "D"),
            "step": step,
            "timestamp": DAY0 + pd.to_timedelta(origin + step, "D"),
            "predicted": predicted,
            "persistence": -pe.reshape(-1),
            "lower_80": predicted - width,
            "upper_80": predicted + width,
            "actual": 0.0,
        }
    )
    return frame if series is None else frame.assign(series=series)


def test_cusum_by_hand():
    # k 0.5, h 3: S+ 0.5, 2, 0.5, 3.5 (alarm, restart), 0, 0, 0;  S- 0, 0, 0.5, 0, 0, 1.5, 3.5
    s_plus, s_minus, alarms = cusum_path(np.array([1, 2, -1, 3.5, 0.5, -2, -2.5]), 0.5, 3)
    assert s_plus.tolist() == [0.5, 2, 0.5, 3.5, 0, 0, 0]
    assert s_minus.tolist() == [0, 0, 0.5, 0, 0, 1.5, 3.5]
    assert alarms == [3, 6]


def test_windowed_alarms_restart_with_a_fresh_window():
    # window 3: alarm at 2; 3 and 4 are not yet a fresh window; 5 is (p 0.5); 6 alarms
    p = np.array([np.nan, np.nan, 0.001, 0.001, 0.001, 0.5, 0.001, 0.001])
    assert windowed_alarms(p, 3, 0.01) == [2, 6]


def test_cusum_alert_says_what_and_what_next():
    e = np.zeros((12, 1))
    e[4:] = 2.0  # z = 2: S+ grows 1.25 an origin: 5.0 at origin 7 (not > 5), 6.25 at origin 8
    (alert,) = detect(joined(e), np.array([1.0]), run="runs/w")
    assert (alert.kind, alert.series, alert.origin) == ("cusum", None, DAY0 + pd.Timedelta("8D"))
    assert alert.at == DAY0 + pd.Timedelta("9D")  # step 1 of origin 8 arrives on day 9
    assert (alert.statistic, alert.threshold) == (pytest.approx(6.25), 5.0)
    assert "actuals ran 2 above the forecasts over the last 5 origins" in alert.message
    assert alert.message.endswith(
        "run `forecast update runs/w --refit always` or refit with `forecast fit`"
    )
    assert "\n" not in alert.message
    assert json.loads(json.dumps(alert.to_dict()))["at"] == "2025-01-10T00:00:00"


def test_a_second_cusum_alarm_counts_only_the_origins_after_the_first():
    e = np.zeros((15, 1))
    e[4:] = 2.0  # alarms at origins 8 and 13 (S+ restarts at 0 after origin 8)
    first, second = detect(joined(e), np.array([1.0]))
    assert (second.origin - DAY0).days == 13
    assert "actuals ran 2 above the forecasts over the last 5 origins" in second.message


def gaussian(n: int, seed: int, shift_from: int | None = None, shift: float = 4 / 3):
    """Horizon-2 errors, sd 1 and 1.5, persistence's sd 2; ``shift`` sd from an origin on."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, 2)) * [1.0, 1.5]
    if shift_from is not None:
        e[shift_from:] += shift * np.array([1.0, 1.5])
    return joined(e, 2 * rng.standard_normal((n, 2))), np.array([1.0, 1.5])


def test_no_alert_in_a_clean_year():
    rows, scale = gaussian(365, seed=1)
    assert detect(rows, scale) == []


def test_a_shift_of_four_thirds_sd_is_found_within_the_documented_delay():
    """DriftOptions documents a median delay of 8 origins, 90 % within 14 (2,000 simulations);
    30 shifted sequences must show it, each alarm upward, none before the shift."""
    delays = []
    for seed in range(30):
        rows, scale = gaussian(130, seed=seed, shift_from=100)
        alerts = detect(rows, scale)
        assert all(a.origin >= DAY0 + pd.Timedelta("100D") for a in alerts)
        first = alerts[0]
        assert first.kind == "cusum" and "above" in first.message
        delays.append((first.origin - DAY0).days - 100 + 1)
    assert np.median(delays) <= 9 and np.mean(np.array(delays) <= 14) >= 0.8, delays


def alternating(inside: list[bool]) -> np.ndarray:
    """Step-1 errors of alternating sign (no CUSUM drift): 0.5 inside the ±1.28 band, else 1.5."""
    size = np.where(inside, 0.5, 1.5)
    return (size * (-1.0) ** np.arange(len(inside)))[:, None]


@pytest.mark.parametrize("n_inside, alerts", [(16, 1), (17, 0)])
def test_coverage_alert_at_16_of_30_not_17(n_inside, alerts):
    # binomial(30, 0.8): P(X <= 16) = 0.0009 < 0.001 <= P(X <= 17) = 0.0031
    inside = [True] * n_inside + [False] * (30 - n_inside)
    found = detect(joined(alternating(inside)), np.array([1.0]))
    assert [a.kind for a in found] == ["coverage"] * alerts
    if alerts:
        assert found[0].statistic == pytest.approx(0.00090186932872753)
        assert found[0].at == DAY0 + pd.Timedelta("30D")
        assert "held 16 of the last 30 1-step actuals (53%" in found[0].message


def test_dm_alert_when_persistence_wins_and_not_otherwise():
    rng = np.random.default_rng(3)
    sign = (-1.0) ** np.arange(70)[:, None]
    big, small = 2 * sign * np.ones((70, 2)), rng.standard_normal((70, 2))
    (alert,) = detect(joined(big, small, width=10), np.array([2.0, 2.0]))
    assert (alert.kind, alert.origin) == ("dm", DAY0 + pd.Timedelta("59D"))  # first 60 origins
    assert alert.at == DAY0 + pd.Timedelta("61D") and alert.statistic < 0.05
    assert alert.message.startswith("persistence beat the model over the last 60 origins")
    assert detect(joined(0.5 * sign * np.ones((70, 2)), 2 * small), np.array([1.0, 1.0])) == []


def test_series_are_tested_apart_and_named():
    clean, _ = gaussian(60, seed=4)
    e = np.zeros((12, 1))
    e[4:] = 2.0
    rows = pd.concat([clean.assign(series="A"), joined(e, series="B")])
    scale = {"A": np.array([1.0, 1.5]), "B": np.array([1.0])}
    (alert,) = detect(rows, scale, series_col="series")
    assert alert.series == "B" and alert.message.startswith("series 'B': ")
    with pytest.raises(ForecastError, match="series 'B' has no validation scale"):
        detect(rows, {"A": scale["A"]}, series_col="series")
    with pytest.raises(ForecastError, match="must be positive and finite"):
        detect(rows, {**scale, "B": np.array([0.0])}, series_col="series")


@pytest.mark.parametrize("case", ["shift", "dm"])
def test_a_prefix_of_the_history_gives_the_alerts_up_to_its_end(case):
    """What update relies on: the alerts computed after a day's rows arrived are those of the
    whole history whose ``at`` is at most that day, so reporting the new ``at``s never repeats
    an alert and never misses one."""
    if case == "shift":
        rows, scale = gaussian(260, seed=2, shift_from=200)
        options = DriftOptions()
    else:
        sign = (-1.0) ** np.arange(200)[:, None]
        rows = joined(2 * sign * np.ones((200, 2)), np.random.default_rng(5).normal(size=(200, 2)))
        scale, options = np.array([2.0, 2.0]), dataclasses.replace(DriftOptions(), dm_n=20)
    everything = detect(rows, scale, options)
    assert len(everything) >= 2
    for alert in everything:
        for day in (alert.at - pd.Timedelta("1D"), alert.at):
            seen = detect(rows[rows["timestamp"] <= day], scale, options)
            assert seen == [a for a in everything if a.at <= day]


def test_alert_is_frozen_data():
    alert = Alert("dm", None, 3, 0.01, 0.05, "m", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.kind = "cusum"
    assert alert.to_dict()["at"] == 3


def test_a_log_without_bands_or_persistence_still_gets_the_cusum():
    e = np.zeros((70, 1))
    e[4:] = 2.0  # would also fail coverage (outside ±1.28) and lose to persistence (error 0)
    rows = joined(e, np.zeros((70, 1))).drop(columns=["lower_80", "upper_80", "persistence"])
    assert {a.kind for a in detect(rows, np.array([1.0]))} == {"cusum"}
    assert {a.kind for a in detect(joined(e, np.zeros((70, 1))), np.array([1.0]))} == {
        "cusum",
        "coverage",
        "dm",
    }

"""The pure parts of ``forecast update``: the forecast log, the continuation of a run's rows, the
adaptive conformal levels moved by realised outcomes, and which realised rows are new."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.commands import forecast_log, monitoring
from forecast.data.continuation import continue_series, through
from forecast.data.io import Series
from forecast.data.layout import Layout
from forecast.errors import ForecastError
from forecast.evaluation.intervals import ACI_GAMMA, aci_run, aci_step, aci_widths, width_at


def one(values, start="2020-01-01", columns=("x", "y")) -> Series:
    index = pd.date_range(start, periods=len(values), freq="D", name="date")
    frame = pd.DataFrame(np.asarray(values, "float32"), index=index, columns=list(columns))
    return Series(frame, "date", "D")


def test_log_keeps_the_first_forecast_of_an_origin():
    table = pd.DataFrame(
        {
            "timestamp": pd.date_range("2020-01-02", periods=2),
            "step": [1, 2],
            "predicted": [1.0, 2.0],
            "model_version": "scored",
        }
    )
    first = forecast_log.log_rows(
        table, {None: pd.Timestamp("2020-01-01")}, {None: 5.6}, None, None, made_at="t0"
    )
    assert list(first["origin"]) == ["2020-01-01"] * 2
    assert list(first["timestamp"]) == ["2020-01-02", "2020-01-03"]
    assert list(first["persistence"]) == [5.6, 5.6]
    log, n = forecast_log.merged(pd.DataFrame(), first)
    assert n == 2
    again = first.assign(predicted=[9.0, 9.0], made_at="t1")
    log2, n2 = forecast_log.merged(log, again)
    assert n2 == 0 and list(log2["predicted"]) == [1.0, 2.0]  # the first made stays


def test_log_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    rows = pd.DataFrame({"origin": ["1"], "step": [1], "timestamp": ["2"], "predicted": [1.0]})
    assert forecast_log.append(tmp_path, rows) == 1
    before = (tmp_path / forecast_log.LOG_FILE).read_bytes()

    def boom(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(ForecastError, match="cannot write"):
        forecast_log.append(tmp_path, rows.assign(origin=["2"]))
    assert (tmp_path / forecast_log.LOG_FILE).read_bytes() == before


def test_continuation_appends_new_rows_and_reports_revisions():
    seen = one([[1, 10], [2, 20], [3, 30]])
    given = one([[1, 10], [2, 21], [3, 30], [4, 40], [5, 50]])
    grown = continue_series(seen, given)
    assert grown.n_new == {None: 2}
    assert grown.series.frame["y"].tolist() == [10, 20, 30, 40, 50]  # the seen 20 is kept
    (rev,) = grown.revisions
    assert (rev.time, rev.column, rev.old, rev.new) == ("2020-01-02", "y", 20.0, 21.0)
    assert "2020-01-02 y: 20 → 21" in rev.line()


def test_continuation_accepts_only_the_new_rows():
    grown = continue_series(one([[1, 10], [2, 20]]), one([[3, 30]], start="2020-01-03"))
    assert grown.n_new == {None: 1} and grown.revisions == []
    assert len(grown.series.frame) == 3


def test_a_gap_after_the_seen_rows_is_refused_unless_the_run_fills():
    seen, late = one([[1, 10], [2, 20]]), one([[5, 50]], start="2020-01-05")
    with pytest.raises(ForecastError, match="2 row\\(s\\) missing .* first 2020-01-03"):
        continue_series(seen, late)
    filled = continue_series(seen, late, fill="ffill")
    assert filled.series.frame["y"].tolist() == [10, 20, 50, 50, 50]
    assert any("filled" in n for n in filled.notes)


def test_another_frequency_is_refused():
    hourly = one([[1, 1]])
    hourly = Series(hourly.frame, "date", "h")
    with pytest.raises(ForecastError, match="'h' apart but the run's are 'D'"):
        continue_series(one([[1, 10]]), hourly)


def panel(parts: dict[str, list]) -> Series:
    frames = [one(v).frame for v in parts.values()]
    bounds = tuple(int(b) for b in np.cumsum([0] + [len(f) for f in frames]))
    return Series(pd.concat(frames), "date", "D", [], Layout("s", tuple(parts), bounds))


def test_continuation_per_series_and_through():
    seen = panel({"a": [[1, 1], [2, 2]], "b": [[1, 5]]})
    given = panel({"a": [[1, 1], [2, 2], [3, 3]], "b": [[1, 6], [2, 7]], "c": [[0, 0]]})
    grown = continue_series(seen, given)
    assert grown.n_new == {"a": 1, "b": 1}
    assert [r.series for r in grown.revisions] == ["b"]
    assert any("'c'" in n or "c" in n for n in grown.notes)
    cut = through(grown.series, {"a": pd.Timestamp("2020-01-01"), "b": pd.Timestamp("2020-01-02")})
    assert cut.layout.lengths().tolist() == [1, 2]


def test_aci_state_continues_fit_exactly():
    """Replaying half the test outcomes, then stepping the rest one by one with ``aci_step``,
    gives the widths ``aci_widths`` computes in one go."""
    rng = np.random.default_rng(0)
    val = np.sort(np.abs(rng.normal(size=(50, 2))), axis=0)
    test = np.abs(rng.normal(scale=1.5, size=(20, 2)))
    widths = aci_widths(val, test, 0.8, ACI_GAMMA)
    out, alpha = aci_run(val, test, 0.8, ACI_GAMMA)
    np.testing.assert_array_equal(out, widths)
    # alpha after every outcome: each step moved once per test origin
    misses = test > widths[:-1]
    expected = 0.2 + ACI_GAMMA * ((0.2 - misses).sum(axis=0))
    np.testing.assert_allclose(alpha, expected)
    assert width_at(val, alpha).shape == (2,)


def test_aci_step_by_hand():
    alpha = aci_step(np.array([0.2, 0.2]), np.array([True, False, True]), np.array([1, 1, 2]), 0.8)
    np.testing.assert_allclose(alpha, [0.2 + 0.02 * (-0.8 + 0.2), 0.2 + 0.02 * -0.8])
    ordered = np.arange(1.0, 11.0)[:, None]  # residuals 1..10, one step
    assert width_at(ordered, np.array([0.2]))[0] == 9.0  # ceil(11 * 0.8) = 9th
    assert width_at(ordered, np.array([1.0]))[0] == 0.0
    assert width_at(ordered, np.array([-0.5]))[0] == 10.0


def test_realised_rows_and_which_are_new():
    log = pd.DataFrame(
        {
            "origin": ["2020-01-02"] * 2 + ["2020-01-03"] * 2,
            "step": [1, 2, 1, 2],
            "timestamp": ["2020-01-03", "2020-01-04", "2020-01-04", "2020-01-05"],
            "predicted": [1.0, 2.0, 3.0, 4.0],
            "lower_80": [0.0] * 4,
            "upper_80": [2.5] * 4,
        }
    )
    observed = monitoring.actuals(one([[0, 0], [0, 1], [0, 2], [0, 3]]), "y")
    joined = monitoring.realised_rows(log, observed, "D")
    assert joined["actual"].tolist() == [2.0, 3.0, 3.0]  # 2020-01-05 has not arrived
    fresh = monitoring.newly_realised(joined, {"None": "2020-01-03"}, "D")
    assert fresh["timestamp"].tolist() == [pd.Timestamp("2020-01-04")] * 2
    alpha = {"80": {None: np.array([0.2, 0.2])}}
    moved = monitoring.moved_alpha(alpha, fresh)["80"][None]
    # step 2 of origin 01-02: 3 > 2.5, a miss; step 1 of origin 01-03: 3 inside [0, 2.5]? no
    np.testing.assert_allclose(moved, [0.2 + 0.02 * (0.2 - 1), 0.2 + 0.02 * (0.2 - 1)])


def test_monitor_plot_marks_the_alerts_of_the_series_it_shows():
    from forecast.reporting.monitor_report import alert_times

    rows = pd.DataFrame({"series": ["a", "a"]})
    alerts = [
        {"series": "a", "at": "2015-04-27T00:00:00"},
        {"series": "b", "at": "2015-04-28T00:00:00"},
        {"series": "a", "at": None},
    ]
    assert alert_times(alerts, rows) == [pd.Timestamp("2015-04-27")]
    one = pd.DataFrame({"series": [None]})
    assert alert_times([{"series": None, "at": 12}], one) == [12]

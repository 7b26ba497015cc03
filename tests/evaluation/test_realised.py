"""Realised scoring of the forecast log: a 3-origin toy log scored by hand.

Observed target, 2024-01-01 … 01-05: 10, 12, 11, 14, 13. Horizon 2; origins 01-02, 01-03, 01-04
(persistence 12, 11, 14). The last origin's step 2 (01-06) has not arrived. Errors (actual -
forecast) of the five realised rows, in (origin, step) order:
    model        -0.5, 2,   2, 0.5,   -1       squares 0.25 4 4 0.25 1 = 9.5
    persistence  -1,   2,   3, 2,     -1       squares 1 4 9 4 1       = 19
    linear        0,   1,   1, 0,     -0.5     squares 0 1 1 0 0.25    = 2.25
80 % band = predicted ± 1: inside for -0.5, 0.5, -1 (bound included) -> 3 of 5; 95 % band ± 2: all.
"""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ForecastError
from forecast.evaluation.realised import join_actuals, rolling_scores, score_realised

ACTUAL = pd.Series(
    [10.0, 12.0, 11.0, 14.0, 13.0], index=pd.date_range("2024-01-01", periods=5, freq="D")
)
LOG_CSV = """made_at,origin,step,timestamp,predicted,persistence,linear,lower_80,upper_80,lower_95,upper_95,model_version
2024-01-02T09:00:00,2024-01-02,1,2024-01-03,11.5,12,11,10.5,12.5,9.5,13.5,final
2024-01-02T09:00:00,2024-01-02,2,2024-01-04,12.0,12,13,11,13,10,14,final
2024-01-03T09:00:00,2024-01-03,1,2024-01-04,12.0,11,13,11,13,10,14,final
2024-01-03T09:00:00,2024-01-03,2,2024-01-05,12.5,11,13,11.5,13.5,10.5,14.5,final
2024-01-04T09:00:00,2024-01-04,1,2024-01-05,14.0,14,13.5,13,15,12,16,final
2024-01-04T09:00:00,2024-01-04,2,2024-01-06,14.5,14,13.5,13.5,15.5,12.5,16.5,final
"""  # noqa: E501


def read_log(text: str = LOG_CSV) -> pd.DataFrame:
    """As ``update`` will read forecasts.csv: times stay text."""
    return pd.read_csv(io.StringIO(text))


def test_join_keeps_arrived_rows_with_their_actual():
    joined = join_actuals(read_log(), ACTUAL, None)
    assert len(joined) == 5  # 01-06 has not arrived
    assert joined["actual"].tolist() == [11.0, 14.0, 14.0, 13.0, 13.0]
    assert joined["timestamp"].dtype == ACTUAL.index.dtype
    assert joined["origin"].tolist() == list(
        pd.to_datetime(["2024-01-02"] * 2 + ["2024-01-03"] * 2 + ["2024-01-04"])
    )


def test_scores_by_hand():
    s = score_realised(join_actuals(read_log(), ACTUAL, None), horizon=2)
    assert (s["horizon"], s["n"], s["n_origins"]) == (2, 5, 3)
    assert s["model"]["rmse"] == pytest.approx(math.sqrt(9.5 / 5))
    assert s["model"]["mae"] == pytest.approx(6 / 5)
    assert s["persistence"] == pytest.approx({"rmse": math.sqrt(19 / 5), "mae": 9 / 5})
    assert s["linear"] == pytest.approx({"rmse": math.sqrt(2.25 / 5), "mae": 2.5 / 5})
    assert "combined" not in s
    assert s["skill_vs_persistence"] == pytest.approx(1 - math.sqrt(0.5))
    assert (s["coverage_80"], s["coverage_95"]) == (pytest.approx(3 / 5), 1.0)
    one, two = s["per_step"]
    assert (one["step"], one["n"], one["n_origins"], two["n"], two["n_origins"]) == (1, 3, 3, 2, 2)
    assert one["model"] == pytest.approx({"rmse": math.sqrt(5.25 / 3), "mae": 3.5 / 3})
    assert one["persistence"] == pytest.approx({"rmse": math.sqrt(11 / 3), "mae": 5 / 3})
    assert two["model"] == pytest.approx({"rmse": math.sqrt(4.25 / 2), "mae": 1.25})
    assert two["linear"] == pytest.approx({"rmse": math.sqrt(0.5), "mae": 0.5})
    assert (one["coverage_80"], two["coverage_80"]) == (pytest.approx(2 / 3), 0.5)
    json.dumps(s, allow_nan=False)


def test_every_forecaster_is_scored_on_the_same_rows():
    log = read_log()
    log.loc[1, "linear"] = np.nan  # origin 01-02 step 2: the model's error 2 leaves every score
    log["combined"] = log["predicted"] + 1
    s = score_realised(join_actuals(log, ACTUAL, None), horizon=2)
    assert s["n"] == 4
    assert s["model"]["rmse"] == pytest.approx(math.sqrt(5.5 / 4))
    assert s["combined"]["mae"] == pytest.approx((1.5 + 1 + 0.5 + 2) / 4)
    assert s["per_step"][1]["n"] == 1


def test_unobserved_steps_give_none_not_nan():
    s = score_realised(join_actuals(read_log(), ACTUAL.iloc[:3], None), horizon=2)
    assert s["n"] == 1  # only 01-03 has arrived
    assert s["per_step"][1] == {
        "step": 2,
        "n": 0,
        "n_origins": 0,
        "model": {"rmse": None, "mae": None},
        "persistence": {"rmse": None, "mae": None},
        "linear": {"rmse": None, "mae": None},
        "skill_vs_persistence": None,
        "coverage_80": None,
        "coverage_95": None,
    }
    json.dumps(s, allow_nan=False)


def test_a_repeated_origin_keeps_the_forecast_logged_last():
    log = read_log()
    again = log.iloc[[0]].assign(predicted=11.0, model_version="v2")
    joined = join_actuals(pd.concat([log, again]), ACTUAL, None)
    assert len(joined) == 5
    assert joined.loc[0, ["predicted", "model_version"]].tolist() == [11.0, "v2"]


def test_step_indexed_data_compares_integers():
    log = read_log()
    log["origin"] = [2, 2, 3, 3, 4, 4]
    log["timestamp"] = [3, 4, 4, 5, 5, 6]
    steps = pd.Series(ACTUAL.to_numpy(), index=pd.RangeIndex(1, 6))
    s = score_realised(join_actuals(log, steps, None), horizon=2)
    assert s["model"]["rmse"] == pytest.approx(math.sqrt(9.5 / 5))


def test_series_runs_score_each_series_and_pool():
    a = read_log().assign(series="A")
    b = read_log().assign(series=7, predicted=lambda f: f["persistence"])  # a numeric name
    observed = pd.concat({"A": ACTUAL, "7": ACTUAL})  # (series, time) MultiIndex
    joined = join_actuals(pd.concat([a, b]), observed, "series")
    s = score_realised(joined, horizon=2, series_col="series")
    assert sorted(s["per_series"]) == ["7", "A"]
    assert s["per_series"]["A"]["model"]["rmse"] == pytest.approx(math.sqrt(9.5 / 5))
    assert s["per_series"]["7"]["skill_vs_persistence"] == 0.0
    assert s["n"] == 10 and s["model"]["rmse"] == pytest.approx(math.sqrt((9.5 + 19) / 10))
    as_dict = join_actuals(pd.concat([a, b]), {"A": ACTUAL, "7": ACTUAL}, "series")
    pd.testing.assert_frame_equal(as_dict, joined)


def test_bad_logs_are_one_line_errors():
    with pytest.raises(ForecastError, match=r"lacks column\(s\) timestamp"):
        join_actuals(read_log().drop(columns="timestamp"), ACTUAL, None)
    log = read_log()
    log.loc[0, "timestamp"] = "not a time"
    with pytest.raises(ForecastError, match="'timestamp' column holds 'not a time', not times"):
        join_actuals(log, ACTUAL, None)


def test_rolling_scores_by_hand():
    # step 1, window 2: model errors -0.5, 2, -1; persistence -1, 3, -1; linear 0, 1, -0.5
    r = rolling_scores(join_actuals(read_log(), ACTUAL, None), window=2)
    assert r["n"].tolist() == [1, 2, 2]
    assert r["rmse_model"].tolist() == pytest.approx([0.5, math.sqrt(4.25 / 2), math.sqrt(2.5)])
    assert r["rmse_persistence"].tolist() == pytest.approx([1, math.sqrt(5), math.sqrt(5)])
    assert r["rmse_linear"].tolist() == pytest.approx([0, math.sqrt(0.5), math.sqrt(1.25 / 2)])
    assert r["coverage_80"].tolist() == [1.0, 0.5, 0.5]
    assert r["timestamp"].tolist() == list(pd.date_range("2024-01-03", periods=3))
    two = pd.concat([read_log().assign(series="A"), read_log().assign(series="B")])
    joined = join_actuals(two, {"A": ACTUAL, "B": ACTUAL}, "series")
    per = rolling_scores(joined, window=2, series_col="series")
    assert per["series"].tolist() == ["A"] * 3 + ["B"] * 3
    assert per["rmse_model"].tolist() == pytest.approx(r["rmse_model"].tolist() * 2)

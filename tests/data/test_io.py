import numpy as np
import pandas as pd
import pytest

from forecast.data.io import infer_frequency, read_series, season_for
from forecast.errors import ForecastError
from tests.conftest import STOCK, WEATHER, synthetic_frame


def test_reads_shipped_weather():
    s = read_series(WEATHER)
    assert s.time_col == "date"
    assert s.freq == "D"
    assert list(s.frame.columns) == ["precipitation", "wind", "temp_min", "temp_max"]
    assert s.frame.dtypes.unique().tolist() == [np.dtype("float32")]
    assert s.frame.index.is_monotonic_increasing
    assert len(s.frame) == 1461


def test_reads_shipped_stock_as_business_days_with_gap_note():
    s = read_series(STOCK)
    assert s.freq == "B"
    assert any("gap" in n for n in s.notes)


def test_sorts_unsorted_rows_and_says_so(write_csv):
    frame = synthetic_frame(50).iloc[::-1]
    s = read_series(write_csv(frame))
    assert s.frame.index.is_monotonic_increasing
    assert any("sorted" in n for n in s.notes)


def test_drops_text_columns_with_a_note(write_csv):
    frame = synthetic_frame(50).assign(label="sunny")
    s = read_series(write_csv(frame))
    assert "label" not in s.frame.columns
    assert any("label" in n for n in s.notes)


def test_semicolon_delimiter_and_bom_are_handled(write_csv):
    text = "\ufeff" + synthetic_frame(30).to_csv(index=False, sep=";")
    s = read_series(write_csv(text.encode("utf-8")))
    assert list(s.frame.columns) == ["x", "y"]
    assert s.time_col == "date"


def test_time_column_detected_by_content(write_csv):
    frame = synthetic_frame(30).rename(columns={"date": "when"})
    assert read_series(write_csv(frame)).time_col == "when"


@pytest.mark.parametrize("fill", ["ffill", "interpolate"])
def test_fill_repairs_missing_values(write_csv, fill):
    frame = synthetic_frame(30)
    frame.loc[5, "y"] = np.nan
    s = read_series(write_csv(frame), fill=fill)
    assert not s.frame.isna().any().any()
    assert any("filled 1" in n for n in s.notes)


BAD = {
    "empty": (b"", "is empty"),
    "header_only": ("date,y\n", "no data rows"),
    "one_column": ("y\n1\n2\n", "only one column"),
    "no_time_column": ("a,b\n1,2\n3,4\n", "no time column found"),
    "bad_date": ("date,y\n2020-01-01,1\nnot a date,2\n", "line 3: cannot parse 'not a date'"),
    "duplicate": ("date,y\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n", "duplicate timestamp"),
    "text_in_numbers": (
        "date,y\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n",
        "line 3: 'abc' is not a number",
    ),
    "missing_value": (
        "date,y\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n",
        "1 missing value(s), first on line 3; pass --fill",
    ),
    "all_nan": ("date,x,y\n2020-01-01,1,\n2020-01-02,2,\n", "'y' has no values at all"),
    "infinite": ("date,y\n2020-01-01,1\n2020-01-02,inf\n2020-01-03,3\n", "line 3 is infinite"),
    "empty_time": ("date,y\n2020-01-01,1\n,2\n", "empty on line 3"),
    "mixed_zones": (
        "date,y\n2020-01-01T00:00+00:00,1\n2020-01-02T00:00+05:00,2\n",
        "mixes time zones",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_is_one_clear_error(write_csv, case):
    content, message = BAD[case]
    with pytest.raises(ForecastError) as info:
        read_series(write_csv(content))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_time_col_lists_columns(write_csv):
    with pytest.raises(ForecastError, match="--time-col 'when' is not a column; columns are: date"):
        read_series(write_csv(synthetic_frame(10)), time_col="when")


@pytest.mark.parametrize(
    "freq, season",
    [("h", 24), ("D", 7), ("B", 5), ("MS", 12), ("QS", 4), ("W-SUN", 52), ("15min", 96), ("2D", 1)],
)
def test_season_for_frequency(freq, season):
    assert season_for(freq) == season


def test_infer_frequency_regular_hourly():
    index = pd.date_range("2020-01-01", periods=100, freq="h")
    assert infer_frequency(index) == ("h", [])

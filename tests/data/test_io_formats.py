"""Real-world file formats: parquet, compressed CSV, the pyarrow reader, day-first dates, decimal
commas, epoch seconds, date + time columns, numeric years and files without a time column. Every
file is written in the test."""

from __future__ import annotations

import bz2
import gzip
import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.data.formats import read_raw
from forecast.data.io import STEP_FREQ, read_series
from forecast.errors import ForecastError
from tests.conftest import synthetic_frame
from tests.test_bad_inputs import FIT_CASES


def frame_values(series) -> np.ndarray:
    return series.frame.to_numpy()


# --- containers -------------------------------------------------------------------------------


def test_parquet_with_a_date_column_or_a_datetime_index(tmp_path):
    frame = synthetic_frame(60)
    frame.to_parquet(tmp_path / "cols.parquet", index=False)
    frame.set_index("date").to_parquet(tmp_path / "index.parquet")
    for name in ("cols.parquet", "index.parquet"):
        s = read_series(tmp_path / name)
        assert s.time_col == "date" and s.freq == "D"
        np.testing.assert_allclose(frame_values(s), frame[["x", "y"]], rtol=1e-6)


def test_damaged_parquet_is_one_line_error(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(ForecastError, match=r"is not a readable parquet file .*; re-export it"):
        read_series(path)


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.zip"])
def test_compressed_csv(tmp_path, suffix):
    frame = synthetic_frame(60)
    text = frame.to_csv(index=False).encode()
    path = tmp_path / f"data{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(text))
    elif suffix.endswith(".bz2"):
        path.write_bytes(bz2.compress(text))
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("data.csv", text)
    s = read_series(path)
    assert list(s.frame.columns) == ["x", "y"] and len(s.frame) == 60
    np.testing.assert_allclose(frame_values(s), frame[["x", "y"]], rtol=1e-6)


def test_zip_with_two_files_and_fake_gzip_are_refused(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", "date,y\n2020-01-01,1\n")
        z.writestr("b.csv", "date,y\n2020-01-01,1\n")
    with pytest.raises(ForecastError, match=r"holds 2 files; zip exactly one CSV"):
        read_series(path)
    fake = tmp_path / "data.csv.gz"
    fake.write_text("date,y\n2020-01-01,1\n")
    with pytest.raises(ForecastError, match=r"is not a readable gzip file .*pass the plain CSV"):
        read_series(fake)


# --- pyarrow reader ---------------------------------------------------------------------------


def read_or_error(path, engine):
    try:
        raw, notes = read_raw(path, engine)
    except ForecastError as e:
        return str(e)
    return raw, notes


LATE = pd.date_range("2020-01-01", periods=6000, freq="h")
MORE_CASES = [
    ("spaces_bools_empty", "date, x ,ok,e\n2020-01-01, 1.5,True,\n2020-01-02,2,false,\n"),
    ("quoted", 'date,x,y\n"2020-01-01","1,5",2\n"2020-01-02","2",3\n'),
    ("decimal_comma", "date;x;y\n2020-01-01;1,5;2\n2020-01-02;-2,25;3\n"),
    # past pyarrow's first 64 KiB block, where it guessed the column's type:
    ("text_late", "date,x\n" + "".join(f"{d},{i}\n" for i, d in enumerate(LATE)) + "x,y\n"),
    ("ragged", "date,y\n2020-01-01,1\n2020-01-02,2,3,4\n"),
    ("duplicate_names", "date,x,x\n2020-01-01,1,2\n"),
]
CORPUS = [(c[0], c[1]) for c in FIT_CASES] + MORE_CASES


@pytest.mark.parametrize("case, content", CORPUS, ids=[c[0] for c in CORPUS])
def test_pyarrow_reader_matches_the_c_engine(tmp_path, case, content):
    path = tmp_path / "data.csv"
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    auto, c = read_or_error(path, "auto"), read_or_error(path, "c")
    if isinstance(c, str):
        assert auto == c
        return
    numeric = pd.api.types.is_numeric_dtype
    assert [numeric(auto[0][k]) for k in auto[0]] == [numeric(c[0][k]) for k in c[0]]
    pd.testing.assert_frame_equal(auto[0], c[0], check_dtype=False)
    assert auto[1] == c[1]


def test_pyarrow_reader_is_used_and_casts_numbers(write_csv):
    text = "date, x ,flag,label\n2020-01-01, 1.5,True,a\n2020-01-02,,False,b\n"
    raw, _ = read_raw(write_csv(text), "pyarrow")
    assert list(raw.columns) == ["date", "x", "flag", "label"]
    assert raw["x"].dtype == "float64" and np.isnan(raw["x"][1]) and raw["x"][0] == 1.5
    assert raw["flag"].tolist() == [True, False]
    assert raw["date"].tolist() == ["2020-01-01", "2020-01-02"]


def test_ragged_rows_fall_back_to_the_c_engine_message(write_csv):
    path = write_csv("date,y\n2020-01-01,1\n2020-01-02,2,3,4\n")
    with pytest.raises(ForecastError, match=r"is not a readable CSV \(.*\); fix or re-export it"):
        read_series(path)


# --- dates ------------------------------------------------------------------------------------


def dated(dates: list[str], sep: str = ",") -> str:
    rows = [f"{d}{sep}{i % 7}{sep}{np.sin(i):.3f}" for i, d in enumerate(dates)]
    return "\n".join([f"date{sep}x{sep}y", *rows]) + "\n"


def test_day_first_dates_are_detected_from_a_day_above_12(write_csv):
    days = pd.date_range("2020-01-01", periods=40, freq="D")
    s = read_series(write_csv(dated([f"{d:%d/%m/%Y}" for d in days])))
    assert s.freq == "D"
    assert (s.frame.index == days).all()
    assert "read time column 'date' day first (e.g. 13/01/2020)" in s.notes


def test_ambiguous_dates_are_month_first_with_a_note_and_dayfirst_flips_them(write_csv):
    days = pd.date_range("2020-01-01", periods=12, freq="MS")  # 01/01 … 01/12: all fields ≤ 12
    path = write_csv(dated([f"{d:%d/%m/%Y}" for d in days]))
    s = read_series(path)
    assert s.frame.index[1] == pd.Timestamp("2020-01-02")
    assert any("could be day or month first" in n and "--dayfirst" in n for n in s.notes)
    s = read_series(path, dayfirst=True)
    assert (s.frame.index == days).all() and s.freq == "MS"


def test_dayfirst_contradicted_by_the_data_is_refused(write_csv):
    days = pd.date_range("2020-01-01", periods=20, freq="D")
    path = write_csv(dated([f"{d:%m/%d/%Y}" for d in days]))
    with pytest.raises(ForecastError, match=r"line 14 is '01/13/2020'.*drop --dayfirst"):
        read_series(path, dayfirst=True)


def test_decimal_commas_in_a_semicolon_file(write_csv):
    days = pd.date_range("2020-01-01", periods=30, freq="D")
    lines = ["date;temp;rain"] + [f"{d:%Y-%m-%d};{i},5;-{i % 3},25" for i, d in enumerate(days)]
    s = read_series(write_csv("\n".join(lines) + "\n"))
    assert s.frame["temp"].tolist()[:3] == [0.5, 1.5, 2.5]
    assert s.frame["rain"].tolist()[:2] == [-0.25, -1.25]
    assert "read numbers with decimal commas (1,5 = 1.5)" in s.notes


@pytest.mark.parametrize("name, scale", [("timestamp", 1), ("unix_time", 1), ("time", 1000)])
def test_epoch_timestamps(write_csv, name, scale):
    hours = pd.date_range("2021-03-01", periods=48, freq="h")
    seconds = (hours - pd.Timestamp(0)) // pd.Timedelta(seconds=1)
    frame = pd.DataFrame({"y": np.arange(48.0), name: seconds * scale, "x": np.ones(48)})
    s = read_series(write_csv(frame))
    assert s.time_col == name and s.freq == "h"
    assert (s.frame.index == hours).all()
    assert list(s.frame.columns) == ["y", "x"]


def test_fractional_numbers_in_a_time_column_are_refused_with_the_fix(write_csv):
    # whole numbers are integer time steps (tests/data/test_step_index.py)
    path = write_csv(pd.DataFrame({"time": np.arange(30) / 4, "y": np.arange(30.0)}))
    with pytest.raises(ForecastError, match=r"not whole \(0 … 7.25\).*--time-col none"):
        read_series(path)


@pytest.mark.parametrize("time_first", [False, True])
def test_date_and_time_of_day_columns_are_joined(write_csv, time_first):
    stamps = pd.date_range("2006-12-16 17:00", periods=50, freq="h")
    frame = pd.DataFrame(
        {"Date": [f"{t:%d/%m/%Y}" for t in stamps], "Time": [f"{t:%H:%M:%S}" for t in stamps]}
    )
    frame["Power"] = np.arange(50) / 4
    if time_first:
        frame = frame[["Time", "Date", "Power"]]
    s = read_series(write_csv(frame.to_csv(index=False, sep=";").replace(".", ",")))
    assert s.time_col == "Date+Time" and s.freq == "h"
    assert (s.frame.index == stamps).all()
    assert list(s.frame.columns) == ["Power"] and s.frame["Power"].iloc[1] == 0.25
    assert read_series(write_csv(frame), time_col="Date+Time").time_col == "Date+Time"


def test_numeric_year_column_is_annual_data(write_csv):
    from statsmodels.datasets import sunspots  # real data: yearly sunspot numbers since 1700

    data = sunspots.load_pandas().data
    assert data["YEAR"].iloc[0] == 1700.0  # refused before as "cannot parse '1700.0'"
    s = read_series(write_csv(data))
    assert s.time_col == "YEAR" and s.freq.startswith("YS")
    assert s.frame.index[0] == pd.Timestamp("1700-01-01") and len(s.frame) == len(data)


def test_time_col_none_treats_rows_as_steps(write_csv):
    frame = synthetic_frame(40).drop(columns="date")
    frame.loc[5, "y"] = np.nan
    s = read_series(write_csv(frame), time_col="none", fill="interpolate")
    assert s.freq == STEP_FREQ and s.time_col == "none"
    assert list(s.frame.index[:3]) == [0, 1, 2] and not s.frame.isna().any().any()
    assert any("rows are consecutive steps" in n and "--season" in n for n in s.notes)


def test_fit_and_predict_without_a_time_column(tmp_path, write_csv):
    csv = write_csv(synthetic_frame(120).drop(columns="date"))
    out = tmp_path / "run"
    fast = ["--epochs", "1", "--window", "8", "--horizon", "3", "--units", "4", "--quiet"]
    runner = CliRunner()
    result = runner.invoke(
        cli, ["fit", str(csv), "--time-col", "none", "--season", "12", *fast, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    metrics = pd.read_json(out / "metrics.json", typ="series")
    assert metrics["baselines"]["seasonal_naive"]["season"] == 12
    result = runner.invoke(cli, ["predict", str(out), str(csv)])
    assert result.exit_code == 0, result.output
    future = pd.read_csv(out / "future.csv")
    assert future["timestamp"].tolist() == [120, 121, 122]

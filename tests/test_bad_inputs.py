"""The bad-input corpus: every case runs through the CLI and must end with one line on stderr naming
the problem and the fix, exit status 2, no traceback, and no run directory (or staging directory)
left behind. CSVs are generated here; cases needing a run directory copy one tiny shared fit."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast.training.train
from forecast.cli import cli
from tests.conftest import STOCK, synthetic_frame

FAST = ["--model", "gru", "--epochs", "1", "--window", "6", "--horizon", "2", "--units", "4"]
FAST += ["--quiet"]


def csv_text(frame: pd.DataFrame, **kwargs) -> str:
    return frame.to_csv(index=False, **kwargs)


def good(n: int = 80) -> pd.DataFrame:
    return synthetic_frame(n)


def with_value(row: int, col: str, value) -> str:
    frame = good().astype({col: object})
    frame.loc[row, col] = value
    return csv_text(frame)


def with_dates(dates) -> str:
    frame = good(len(dates))
    frame["date"] = dates
    return csv_text(frame)


def irregular_dates(n: int = 80) -> list[str]:
    rng = np.random.default_rng(1)
    hours = np.cumsum(rng.integers(1, 72, n))
    return [str(pd.Timestamp("2020-01-01") + pd.Timedelta(hours=int(h))) for h in hours]


def gap_dates(n: int = 80) -> pd.DatetimeIndex:
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    return dates.where(dates < dates[40], dates + pd.Timedelta(days=60))


def mixed_zone_dates(n: int = 80) -> list[str]:
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    return [f"{d:%Y-%m-%dT00:00}{'+00:00' if i % 2 else '+05:00'}" for i, d in enumerate(dates)]


# (case id, CSV content, extra CLI args, expected message fragment)
FIT_CASES = [
    ("empty_file", b"", [], "is empty (0 bytes); pass a CSV with a header and data rows"),
    ("header_only", "date,x,y\n", [], "has a header but no data rows; add rows"),
    (
        "wrong_delimiter",
        csv_text(good(), sep=" "),
        [],
        "has only one column ('date x y'); it needs a time column and at least one numeric column",
    ),
    (
        "utf16_with_bom",
        csv_text(good()).encode("utf-16"),
        [],
        "is UTF-16 or binary, not UTF-8 text; re-save it as UTF-8 CSV",
    ),
    (
        "bom_and_no_time_column",
        b"\xef\xbb\xbfa,b\n1,2\n3,4\n",
        [],
        "no time column found among a, b; name it with --time-col COL",
    ),
    (
        "no_time_column",
        csv_text(good().drop(columns="date")),
        [],
        "no time column found among x, y; name it with --time-col COL",
    ),
    (
        "unknown_time_col",
        csv_text(good()),
        ["--time-col", "when"],
        "--time-col 'when' is not a column; columns are: date, x, y",
    ),
    (
        "unparseable_dates",
        with_value(10, "date", "31/02/2020x"),
        [],
        "time column 'date' line 12: cannot parse '31/02/2020x' as a date",
    ),
    ("mixed_time_zones", with_dates(mixed_zone_dates()), [], "mixes time zones; convert every"),
    (
        "duplicate_timestamps",
        with_value(5, "date", "2020-01-05"),
        [],
        "1 duplicate timestamp(s), first 2020-01-05 00:00:00; keep one row per timestamp",
    ),
    (
        "duplicates_after_sorting",
        csv_text(pd.concat([good(40), good(40)]).iloc[::-1]),
        [],
        "has 40 duplicate timestamp(s)",
    ),
    (
        "large_gap",
        with_dates(gap_dates()),
        [],
        "has a gap of 61 days after 2020-02-09 00:00:00 (more than 10 steps of 1 day); pass "
        "--fill ffill or --fill interpolate to fill the missing timestamps, or cut the CSV",
    ),
    (
        "irregular_frequency",
        with_dates(irregular_dates()),
        [],
        "is irregular: 75 of 79 steps differ from the usual step of 09:00:00; resample it to a "
        "regular frequency first",
    ),
    (
        "non_numeric_cell",
        with_value(7, "y", "12,5"),
        [],
        "column 'y' line 9: '12,5' is not a number (1 such cell(s)); fix them",
    ),
    (
        "missing_value",
        with_value(7, "y", ""),
        [],
        "column 'y' has 1 missing value(s), first on line 9; pass --fill ffill",
    ),
    (
        "all_nan_target",
        csv_text(good().assign(y=np.nan)),
        [],
        "column 'y' has no values at all; drop it from the CSV",
    ),
    ("plus_inf", with_value(3, "y", "inf"), [], "column 'y' line 5 is infinite; replace it"),
    ("minus_inf", with_value(3, "x", "-inf"), [], "column 'x' line 5 is infinite; replace it"),
    (
        "huge_value",
        with_value(3, "y", "1e30"),
        [],
        "column 'y' line 5 is 1e+30, too large to train on in float32 (|x| must stay below "
        "1.8e+19); rescale the column",
    ),
    (
        "constant_target",
        csv_text(good().assign(y=5.0)),
        [],
        "target 'y' is constant (5) in the training rows; choose another --target",
    ),
    (
        "too_few_rows",
        csv_text(good(10)),
        [],
        "--window 6 and --horizon 2 need at least 12 rows for the 0.7/0.15/0.15 split; the CSV "
        "has 10. Use a smaller --window or --horizon.",
    ),
    (
        "unknown_target",
        csv_text(good()),
        ["--target", "temp"],
        "--target 'temp' is not a numeric column; choose one of: x, y",
    ),
    (
        "text_target",
        csv_text(good().assign(label="a")),
        ["--target", "label"],
        "--target 'label' is not a numeric column; choose one of: x, y",
    ),
    (
        "unknown_feature",
        csv_text(good()),
        ["--features", "x,z"],
        "--features names unknown column(s) z; use 'target', 'all' or a comma list of: x, y",
    ),
    (
        "negative_window",
        csv_text(good()),
        ["--window", "-3"],
        "--window -3 must be a positive integer or auto; use e.g. --window 8",
    ),
    (
        "zero_window",
        csv_text(good()),
        ["--window", "0"],
        "--window 0 must be a positive integer",
    ),
    (
        "zero_horizon",
        csv_text(good()),
        ["--horizon", "0"],
        "--horizon 0 must be a positive integer; use e.g. --horizon 8",
    ),
    (
        "negative_horizon",
        csv_text(good()),
        ["--horizon", "-1"],
        "--horizon -1 must be a positive integer",
    ),
    (
        "bad_split",
        csv_text(good()),
        ["--split", "0.8,0.3,0.1"],
        "must be three positive fractions summing to 1",
    ),
]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def assert_clean_error(result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output


def leftovers(parent, name: str) -> list[str]:
    """The run directory and any staging or checkpoint directory of ``name`` in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith((name, f".{name}.")))


@pytest.fixture
def no_training(monkeypatch):
    """Every fit case must fail before training starts."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started for input that should fail fast")

    monkeypatch.setattr(forecast.training.train, "train", refuse)


@pytest.mark.parametrize("case, content, args, fragment", FIT_CASES, ids=[c[0] for c in FIT_CASES])
def test_fit_refuses_bad_input(tmp_path, no_training, case, content, args, fragment):
    csv = tmp_path / "data.csv"
    csv.write_bytes(content) if isinstance(content, bytes) else csv.write_text(content)
    out = tmp_path / "runs" / "bad"
    result = invoke("fit", csv, *FAST, "--out", out, *args)
    assert_clean_error(result, fragment)
    assert not (tmp_path / "runs").exists() or leftovers(tmp_path / "runs", "bad") == []


def test_fit_refuses_bad_input_and_keeps_the_previous_run(tmp_path, no_training):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    csv = tmp_path / "data.csv"
    csv.write_text(with_value(3, "y", "inf"))
    result = invoke("fit", csv, *FAST, "--out", out, "--overwrite")
    assert_clean_error(result, "is infinite")
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv", "run"]
    assert (out / "metrics.json").read_text() == "{}"


# Cases that stay notes: the data is usable as it is, and the user is told what was assumed.
def test_a_few_holiday_gaps_in_business_days_are_a_note():
    from forecast.data.io import read_series

    series = read_series(STOCK)
    assert series.freq == "B"
    assert series.notes == [
        "133 gap(s) in time (largest 7 days after 2001-09-10 00:00:00); rows are "
        "treated as consecutive steps"
    ]


def test_unsorted_rows_and_utf8_bom_are_repaired_with_a_note(write_csv):
    from forecast.data.io import read_series

    text = "\ufeff" + csv_text(good().sample(frac=1, random_state=0))
    series = read_series(write_csv(text.encode("utf-8")))
    assert series.time_col == "date" and series.frame.index.is_monotonic_increasing
    assert series.notes == ["rows were not in time order; sorted them by 'date'"]


def test_large_gap_with_fill_goes_onto_a_regular_grid(write_csv):
    from forecast.data.io import read_series

    series = read_series(write_csv(with_dates(gap_dates())), fill="interpolate")
    assert series.freq == "D" and len(series.frame) == 140
    assert series.notes == [
        "put 80 rows on a regular D grid of 140 timestamps",
        "filled 120 missing value(s) with --fill interpolate",
    ]


def test_off_grid_irregular_series_cannot_be_filled(write_csv):
    from forecast.data.io import read_series
    from forecast.errors import ForecastError

    with pytest.raises(ForecastError, match=r"resample it to a regular frequency first"):
        read_series(write_csv(with_dates(irregular_dates())), fill="interpolate")


def test_huge_outlier_relative_to_training_spread_is_refused(write_csv):
    from forecast.config import FitOptions
    from forecast.data.io import read_series
    from forecast.errors import ForecastError
    from forecast.training.preparation import prepare

    frame = good().assign(x=0.0)
    frame.loc[:55, "x"] = np.resize([1e-12, -1e-12], 56)  # tiny training spread
    frame.loc[70, "x"] = 1e10
    with pytest.raises(ForecastError, match=r"column 'x' line 72 lies more than 1.8e\+19 training"):
        prepare(read_series(write_csv(frame)), FitOptions(window=6, horizon=2))


# Cases that need a run directory share one tiny fit.
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    csv = root / "data.csv"
    good(80).to_csv(csv, index=False)
    out = root / "run"
    result = invoke("fit", csv, *FAST, "--out", out)
    assert result.exit_code == 0, result.output
    return out, csv


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def empty(path):
    path.write_bytes(b"")


def edit_json(name: str, **changes):
    def edit(run):
        data = json.loads((run / name).read_text())
        for key, value in changes.items():
            if value is ...:
                del data[key]
            else:
                data[key] = value
        (run / name).write_text(json.dumps(data))

    return edit


def other_columns(csv):
    frame = pd.read_csv(csv).rename(columns={"x": "humidity"})
    path = csv.with_name("other.csv")
    frame.to_csv(path, index=False)
    return path


# (case id, command, how to damage the copied run dir, CSV to pass (None: none), fragment)
RUN_CASES = [
    (
        "empty_model_predict",
        "predict",
        lambda r: empty(r / "model.keras"),
        "same",
        "model.keras is missing or empty; re-run `forecast fit` to recreate it",
    ),
    (
        "truncated_model_predict",
        "predict",
        lambda r: truncate(r / "model.keras"),
        "same",
        "model.keras cannot be loaded (",
    ),
    (
        "truncated_model_evaluate",
        "evaluate",
        lambda r: truncate(r / "model.keras"),
        "same",
        "model.keras cannot be loaded (",
    ),
    (
        "missing_model",
        "evaluate",
        lambda r: (r / "model.keras").unlink(),
        "same",
        "model.keras is missing or empty",
    ),
    (
        "other_version_preprocessing",
        "predict",
        edit_json("preprocessing.json", format_version=99),
        "same",
        "preprocessing.json has format_version 99, this forecast reads 1; re-run `forecast fit`",
    ),
    (
        "unknown_key_preprocessing",
        "predict",
        edit_json("preprocessing.json", loader="os.system"),
        "same",
        "preprocessing.json has unknown key(s) loader; re-run `forecast fit`",
    ),
    (
        "missing_key_preprocessing",
        "evaluate",
        edit_json("preprocessing.json", scale=...),
        "same",
        "preprocessing.json has missing key(s) scale; re-run `forecast fit`",
    ),
    (
        "wrong_type_preprocessing",
        "predict",
        edit_json("preprocessing.json", window="6"),
        "same",
        "preprocessing.json has an invalid value for window ('6'); re-run `forecast fit`",
    ),
    (
        "bad_freq_preprocessing",
        "predict",
        edit_json("preprocessing.json", freq="fortnight"),
        "same",
        "preprocessing.json has an invalid value for freq ('fortnight')",
    ),
    (
        "zero_scale_preprocessing",
        "evaluate",
        edit_json("preprocessing.json", scale=[0.0, 1.0]),
        "same",
        "preprocessing.json has an invalid value for scale ([0.0, 1.0])",
    ),
    (
        "broken_json",
        "predict",
        lambda r: (r / "preprocessing.json").write_text("{"),
        "same",
        "preprocessing.json is not valid JSON",
    ),
    (
        "missing_config",
        "predict",
        lambda r: (r / "config.json").unlink(),
        "same",
        "has no config.json; is it a run directory from `forecast fit`?",
    ),
    (
        "bad_fill_in_config",
        "evaluate",
        edit_json("config.json", fill="rm -rf"),
        "same",
        "config.json has fill 'rm -rf', not one of none, ffill, interpolate",
    ),
    (
        "predict_other_columns",
        "predict",
        lambda r: None,
        "other",
        "lacks column(s) x that the run was trained on; pass a CSV with columns x, y",
    ),
    (
        "evaluate_other_columns",
        "evaluate",
        lambda r: None,
        "other",
        "lacks column(s) x that the run was trained on",
    ),
    (
        "predict_recorded_csv_gone",
        "predict",
        edit_json("config.json", data={"path": "/nonexistent/secret.csv"}),
        None,
        "was trained on '/nonexistent/secret.csv', which is not here; pass the CSV",
    ),
    (
        "predict_too_few_rows",
        "predict",
        lambda r: None,
        "short",
        "has 4 rows; the run needs the last 6 (its --window)",
    ),
]


@pytest.mark.parametrize(
    "case, command, damage, which_csv, fragment", RUN_CASES, ids=[c[0] for c in RUN_CASES]
)
def test_saved_run_refuses_bad_input(
    tmp_path, tiny_run, case, command, damage, which_csv, fragment
):
    source, csv = tiny_run
    run = tmp_path / "run"
    shutil.copytree(source, run)
    damage(run)
    before = sorted(p.name for p in run.iterdir())
    if which_csv == "other":
        csv = other_columns(csv)
    elif which_csv == "short":
        csv = tmp_path / "short.csv"
        good(4).to_csv(csv, index=False)
    args = [command, run] + ([csv] if which_csv else [])
    result = invoke(*args)
    assert_clean_error(result, fragment)
    assert sorted(p.name for p in run.iterdir()) == before  # no future.csv, nothing else

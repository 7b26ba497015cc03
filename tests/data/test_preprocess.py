import numpy as np
import pytest

from forecast.config import FitOptions, parse_split
from forecast.data.preprocess import (
    Preprocessing,
    check_enough_rows,
    fit_scaler,
    rows_needed,
    select_columns,
)
from forecast.data.split import split_rows, window_counts
from forecast.errors import ForecastError


def test_split_is_chronological_and_complete():
    s = split_rows(1000, (0.7, 0.15, 0.15))
    assert (s.train_end, s.val_end, s.n_rows) == (700, 850, 1000)


def test_rows_needed_is_the_smallest_workable_length():
    need = rows_needed(30, 7, (0.7, 0.15, 0.15))
    assert min(window_counts(split_rows(need, (0.7, 0.15, 0.15)), 30, 7)) == 1
    assert min(window_counts(split_rows(need - 1, (0.7, 0.15, 0.15)), 30, 7)) == 0


def test_too_few_rows_names_the_need_and_the_fix():
    need = rows_needed(30, 7, (0.7, 0.15, 0.15))
    with pytest.raises(
        ForecastError,
        match=rf"need at least {need} rows .* the CSV has 40\. "
        "Use a smaller --window or --horizon",
    ):
        check_enough_rows(40, 30, 7, (0.7, 0.15, 0.15))


def test_select_columns_puts_target_last():
    assert select_columns(["a", "b", "c"], None, "all") == (["a", "b", "c"], "c")
    assert select_columns(["a", "b", "c"], "a", "all") == (["b", "c", "a"], "a")
    assert select_columns(["a", "b", "c"], "b", "target") == (["b"], "b")
    assert select_columns(["a", "b", "c"], "c", "a") == (["a", "c"], "c")


@pytest.mark.parametrize(
    "target, features, message",
    [
        ("zz", "all", "--target 'zz' is not a numeric column; choose one of: a, b"),
        (None, "a,nope", "--features names unknown column(s) nope"),
    ],
)
def test_select_columns_errors(target, features, message):
    with pytest.raises(ForecastError) as info:
        select_columns(["a", "b"], target, features)
    assert message in str(info.value)


def test_scaler_sees_only_training_rows():
    values = np.concatenate([np.zeros((70, 1)), np.full((30, 1), 1e6)])
    split = split_rows(100, (0.7, 0.15, 0.15))
    mean, scale = fit_scaler(values[: split.train_end])
    assert mean == [0.0] and scale == [1.0]  # the huge future values never reach the scaler


def test_preprocessing_round_trip_and_version_check():
    p = Preprocessing(
        columns=["x", "y"],
        target="y",
        time_col="date",
        freq="D",
        window=5,
        horizon=2,
        norm="window",
        season=7,
        split=[0.7, 0.15, 0.15],
        mean=[0.0, 1.0],
        scale=[1.0, 2.0],
        n_rows=100,
        last_timestamp="2020",
    )
    assert Preprocessing.from_dict(p.to_dict()) == p
    assert p.target_index == 1
    np.testing.assert_allclose(p.unscale_target(np.array([0.0, 1.0])), [1.0, 3.0])
    with pytest.raises(ForecastError, match="format_version 99"):
        Preprocessing.from_dict({**p.to_dict(), "format_version": 99})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": 0}, "--window 0 must be a positive integer"),
        ({"horizon": -3}, "--horizon -3 must be a positive integer"),
        ({"split": "0.5,0.5"}, "must be three positive fractions summing to 1"),
        ({"split": "a,b,c"}, "is not three numbers"),
        ({"norm": "minmax"}, "--norm 'minmax' is not one of window, global"),
    ],
)
def test_option_validation(kwargs, message):
    with pytest.raises(ForecastError) as info:
        FitOptions(**kwargs)
    assert message in str(info.value)


def test_options_round_trip_through_dict():
    o = FitOptions(model="lstm", window=12, split=parse_split("0.6,0.2,0.2"))
    assert FitOptions.from_dict(o.to_dict()) == o
    with pytest.raises(ForecastError, match="unknown option"):
        FitOptions.from_dict({"windw": 3})

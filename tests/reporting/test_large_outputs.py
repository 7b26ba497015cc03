"""Large test sets: predictions.parquet (streamed row groups, same columns and values as
predictions.csv) instead of a CSV, and a thinned test-period plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

import forecast.reporting.plots
import forecast.reporting.predictions
from forecast.cli import cli
from forecast.reporting.plots import thin
from tests.conftest import synthetic_frame

# the linear model: what is written is the same for every model, and it trains no network
FAST = ["--model", "linear", "--window", "6", "--horizon", "3", "--units", "4", "--epochs", "1"]
FAST += ["--quiet", "--seed", "3"]


def fit(tmp_path, out_name):
    csv = tmp_path / "data.csv"
    if not csv.exists():
        synthetic_frame(160).to_csv(csv, index=False)
    out = tmp_path / out_name
    result = CliRunner().invoke(cli, ["fit", str(csv), *FAST, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_large_test_set_writes_parquet_with_the_csv_columns_and_values(tmp_path, monkeypatch):
    small = fit(tmp_path, "small")
    monkeypatch.setattr(forecast.reporting.predictions, "CSV_MAX_ROWS", 10)
    monkeypatch.setattr(forecast.reporting.predictions, "CHUNK_ORIGINS", 7)  # several row groups
    monkeypatch.setattr(forecast.reporting.plots, "MAX_POINTS", 5)  # a thinned test-period plot
    large = fit(tmp_path, "large")
    assert not (large / "predictions.csv").exists()
    csv = pd.read_csv(small / "predictions.csv", parse_dates=["timestamp", "origin"])
    parquet = pd.read_parquet(large / "predictions.parquet")
    assert list(parquet.columns) == list(csv.columns)
    assert len(parquet) == len(csv) > 7 * 3
    import pyarrow.parquet as pq

    assert pq.ParquetFile(large / "predictions.parquet").num_row_groups == -(-len(csv) // 21)
    pd.testing.assert_series_equal(parquet["timestamp"], csv["timestamp"], check_dtype=False)
    assert (parquet["step"].to_numpy() == csv["step"].to_numpy()).all()
    for column in csv.columns.drop(["timestamp", "origin", "step"]):
        np.testing.assert_allclose(parquet[column], csv[column], rtol=2e-5, err_msg=column)


def test_file_choice_by_size():
    assert forecast.reporting.predictions.predictions_file(1000, 24) == "predictions.csv"
    assert forecast.reporting.predictions.predictions_file(150_000, 24) == "predictions.parquet"


def test_thin_keeps_ends_and_bounds_the_points():
    assert thin(10).tolist() == list(range(10))
    picks = thin(150_000)
    assert len(picks) <= 4000
    assert picks[0] == 0 and picks[-1] == 149_999
    assert (np.diff(picks) > 0).all()


def test_shuffled_batches_permute_every_epoch_reproducibly():
    import keras

    from forecast.data.windows import make_dataset

    values = np.arange(60, dtype="float32")[:, None]

    def epochs(seed):
        keras.utils.set_random_seed(0)
        ds = make_dataset(values, 0, np.arange(50), 5, 2, 8, shuffle_seed=seed)
        return [np.concatenate([x[:, 0, 0].numpy() for x, _ in ds]) for _ in range(3)]

    first = epochs(1)
    for order in first:
        assert sorted(order) == list(range(50))  # every origin once per epoch
    assert not np.array_equal(first[0], first[1])  # a new order every epoch
    assert not np.array_equal(first[0], np.arange(50))
    np.testing.assert_array_equal(np.stack(first), np.stack(epochs(1)))  # reproducible
    assert not np.array_equal(np.stack(first), np.stack(epochs(2)))


def test_shuffled_batches_have_a_known_length():
    from forecast.data.windows import make_dataset

    values = np.zeros((60, 1), dtype="float32")
    ds = make_dataset(values, 0, np.arange(50), 5, 2, 8, shuffle_seed=1)
    assert int(ds.cardinality()) == 7

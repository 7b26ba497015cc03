"""Where a series comes from: a CSV or parquet path, or a pandas DataFrame given to the API."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pandas as pd

from forecast.errors import ForecastError


@contextlib.contextmanager
def data_file(data):
    """A path for ``data``: the file itself, or a DataFrame written to a temporary parquet file
    (a ``DatetimeIndex`` becomes its time column). Removed on exit."""
    if isinstance(data, pd.DataFrame):
        frame = data
        if isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.reset_index(names=frame.index.name or "time")
        with tempfile.TemporaryDirectory(prefix="forecast-data-") as tmp:
            path = Path(tmp) / "data.parquet"
            frame.to_parquet(path, index=False)
            yield path
        return
    if not isinstance(data, str | Path):
        raise ForecastError(
            f"data must be a CSV or parquet file path or a pandas DataFrame, not "
            f"{type(data).__name__}; pass e.g. forecast.fit('data/weather.csv')"
        )
    path = Path(data)
    if not path.is_file():
        raise ForecastError(f"{path} is not a file; pass the path of a CSV or parquet file")
    yield path

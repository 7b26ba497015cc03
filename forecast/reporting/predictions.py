"""The run directory's test forecasts: ``predictions.csv`` for ordinary test sets, and
``predictions.parquet`` (columnar, zstd, float32 values) once the test split has more than
``CSV_MAX_ROWS`` (origin, step) rows, written chunk by chunk so that the whole table is never
held in memory. Both have the same columns (``pipeline.predictions_frame``).

A 1 M-row series with horizon 24 has 3.6 M test rows: ~400 MB as CSV, 94 MB as Parquet with
dictionary-encoded floats, 53 MB with byte-stream-split floats (what is written; bench/scale.py).
Read either with pandas: ``pd.read_csv`` / ``pd.read_parquet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.data.prepared import Prepared
from forecast.data.windows import target_windows

CSV_MAX_ROWS = 250_000  # about 28 MB of CSV


CHUNK_ORIGINS = 5_000  # test origins per Parquet row group (120,000 rows at horizon 24)


def predictions_file(n_windows: int, horizon: int) -> str:
    """``"predictions.csv"`` up to ``CSV_MAX_ROWS`` rows, else ``"predictions.parquet"``."""
    return "predictions.csv" if n_windows * horizon <= CSV_MAX_ROWS else "predictions.parquet"


def write_predictions(
    directory: Path, prepared, predicted: np.ndarray, baselines: dict, widths: dict | None
) -> Path:
    """Write the test forecasts into ``directory``; return the file written.

    Args:
        directory: the (staging) run directory.
        prepared: ``pipeline.Prepared``.
        predicted: ``(n_windows, horizon)`` model forecasts, original units.
        baselines: name → ``(n_windows, horizon)`` baseline forecasts.
        widths: conformal half-widths per step (``metrics["intervals"]``), or ``None``.
    """

    n_windows, horizon = predicted.shape
    path = directory / predictions_file(n_windows, horizon)
    if path.suffix == ".csv":
        frame = predictions_frame(prepared, predicted, baselines, widths)
        frame.to_csv(path, index=False, float_format="%.6g")
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, n_windows, CHUNK_ORIGINS):
            frame = predictions_frame(
                prepared, predicted, baselines, widths, slice(start, start + CHUNK_ORIGINS)
            )
            floats = frame.select_dtypes("float64").columns
            frame[floats] = frame[floats].astype("float32")
            frame["step"] = frame["step"].astype("int16")
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(
                    path,
                    table.schema,
                    compression="zstd",
                    # float values compress best split into byte streams, without a dictionary
                    use_dictionary=["timestamp", "origin", "step"],
                    use_byte_stream_split=list(floats),
                )
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


def predictions_frame(
    prepared: Prepared,
    predicted: np.ndarray,
    baselines: dict[str, np.ndarray],
    widths: dict[str, list[float]] | None = None,
    origins: slice = slice(None),
) -> pd.DataFrame:
    """predictions.csv: one row per (test origin, horizon step), original units, with the
    conformal bands ``lower_80, upper_80, lower_95, upper_95`` when ``widths`` is given.

    ``origins`` selects a slice of the test origins (``predicted`` and ``baselines`` are the
    full ``(n_windows, horizon)`` arrays), so a large file can be written chunk by chunk."""
    from forecast.evaluation.intervals import interval_columns

    p = prepared.prep
    starts = prepared.starts["test"][origins]
    predicted = predicted[origins]
    # per-origin widths (n_windows, horizon) follow the slice; per-step ones (horizon,) do not
    widths = {
        k: np.asarray(w)[origins] if np.ndim(w) == 2 else w for k, w in (widths or {}).items()
    }
    index = prepared.series.frame.index
    steps = np.arange(1, p.horizon + 1)
    rows = (starts[:, None] + p.window - 1 + steps).ravel()
    names = (
        {
            prepared.layout.column: np.repeat(
                np.asarray(prepared.layout.names)[prepared.layout.ids(starts)], p.horizon
            )
        }
        if prepared.layout is not None
        else {}
    )
    return pd.DataFrame(
        {
            **names,
            "timestamp": index[rows],
            "step": np.tile(steps, len(starts)),
            "origin": index[np.repeat(starts + p.window - 1, p.horizon)],
            "actual": target_windows(prepared.target, starts, p.window, p.horizon).ravel(),
            "predicted": predicted.ravel(),
            **{k: v.ravel() for k, v in interval_columns(predicted, widths).items()},
            **{name: b[origins].ravel() for name, b in baselines.items()},
        }
    )

"""File formats: turn a CSV (plain, gzip, bzip2 or zip), or a parquet file, into a raw frame.

The raw frame holds numbers where a column is all numbers and text elsewhere; the time column and
validation are ``forecast.data.times`` and ``forecast.data.io``'s business. CSVs are read with
the pyarrow
CSV reader (multi-threaded, several times faster than pandas' C engine on large files; see
bench/read_speed.py) and fall back to the C engine whenever pyarrow cannot read the file, so that
a malformed file gets the same one-line message either way.
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError

DELIMITERS = ",;\t|"


PARQUET_SUFFIXES = (".parquet", ".pq")


COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip"}


# A number written with a decimal comma, e.g. 1,5 or -12,25 (only looked for when the delimiter
# is not a comma).
DECIMAL_COMMA = re.compile(r"(?:^|[;\t|])\s*\"?-?\d+,\d+\"?\s*(?=[;\t|]|$)")


SNIFF_LINES = 50


def read_raw(path: Path, engine: str = "auto") -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV or parquet file into a frame of numbers and strings.

    Args:
        path: ``.csv`` (optionally ``.gz``, ``.bz2`` or single-file ``.zip``) or ``.parquet``.
        engine: ``"auto"`` (pyarrow, falling back to pandas' C engine), ``"pyarrow"`` or ``"c"``.

    Returns:
        ``(raw, notes)``: a frame with stripped string column names, and what was assumed.
    """
    path = Path(path)
    check_file(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return check_shape(read_parquet(path), path), []
    try:
        raw, notes = read_csv(path, engine)
    except (EOFError, zlib.error, zipfile.BadZipFile) as e:  # a download cut short
        raise ForecastError(
            f"{path} ends early or is damaged ({e or type(e).__name__}); the compressed file is "
            "truncated: download or compress it again, or pass the plain CSV"
        ) from None
    return check_shape(raw, path), notes


def read_csv(path: Path, engine: str) -> tuple[pd.DataFrame, list[str]]:
    """The CSV's raw frame (delimiter and decimal comma sniffed) and what was assumed."""
    head = head_text(path)
    sep = sniff_delimiter(head)
    decimal_comma = sniff_decimal_comma(head, sep)
    notes = []
    if sep != ",":
        notes.append(f"read {path.name} with delimiter {sep!r}")
    if decimal_comma:
        notes.append("read numbers with decimal commas (1,5 = 1.5)")
    raw = None
    if engine in ("auto", "pyarrow"):
        raw = read_csv_arrow(path, sep, decimal_comma)
        if raw is None and engine == "pyarrow":
            raise ForecastError(f"{path}: the pyarrow CSV reader cannot read it; use engine 'c'")
    if raw is None:
        raw = read_csv_c(path, sep, decimal_comma)
    return raw, notes


def check_file(path: Path) -> None:
    """Refuse a missing or empty file, and UTF-16 or binary text, before parsing."""
    if not path.is_file():
        raise ForecastError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise ForecastError(f"{path} is empty (0 bytes); pass a CSV with a header and data rows")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return
    with open_binary(path) as f:
        head = f.read(4)
    if not head and path.suffix.lower() in COMPRESSED:
        raise ForecastError(f"{path} holds an empty CSV; pass a CSV with a header and data rows")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ForecastError(f"{path} is UTF-16 or binary, not UTF-8 text; re-save it as UTF-8 CSV")


def open_binary(path: Path):
    """A binary stream of the file's CSV bytes, decompressed by suffix (a zip must hold one
    file)."""
    kind = COMPRESSED.get(path.suffix.lower())
    try:
        if kind == "gzip":
            stream = gzip.open(path, "rb")
            stream.peek(1)  # fail here, not later, on a file that is not gzip
            return stream
        if kind == "bz2":
            stream = bz2.open(path, "rb")
            stream.peek(1)
            return stream
        if kind == "zip":
            archive = zipfile.ZipFile(path)
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise ForecastError(
                    f"{path} holds {len(names)} files; zip exactly one CSV, or unzip it and pass "
                    "the CSV"
                )
            return archive.open(names[0])
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ForecastError(
            f"{path} is not a readable {kind} file ({e}); re-compress it or pass the plain CSV"
        ) from None
    return open(path, "rb")


def head_text(path: Path, n_lines: int = SNIFF_LINES) -> str:
    """The first ``n_lines`` lines of the (decompressed) CSV as text, BOM removed."""
    with open_binary(path) as f:
        lines = [f.readline() for _ in range(n_lines)]
    return b"".join(lines).decode("utf-8-sig", errors="replace")


def sniff_delimiter(head: str) -> str:
    """The delimiter among ``, ; TAB |`` that appears most often in the header line."""
    header = head.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def sniff_decimal_comma(head: str, sep: str) -> bool:
    """True when the delimiter is not a comma and the data lines hold numbers like ``1,5``."""
    if sep == ",":
        return False
    lines = head.splitlines()[1:]
    return any(DECIMAL_COMMA.search(line.replace(sep, ";")) for line in lines)


def read_csv_arrow(path: Path, sep: str, decimal_comma: bool) -> pd.DataFrame | None:
    """Read with pyarrow; ``None`` when pyarrow cannot (the C engine then reads the file or
    raises the usual one-line error).

    Columns that look numeric in the first block are parsed as float64 by pyarrow's threads; every
    other column is read as text, never as pyarrow's own timestamps (those would silently convert
    mixed time zones to UTC), and then cast to numbers where every value is one.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    parse = pacsv.ParseOptions(delimiter=sep)
    decimal = "," if decimal_comma else "."
    try:
        with open_binary(path) as f:
            first = pacsv.open_csv(
                f,
                read_options=pacsv.ReadOptions(block_size=1 << 16),
                parse_options=parse,
                convert_options=pacsv.ConvertOptions(decimal_point=decimal),
            ).schema
        if len(set(first.names)) != len(first.names):
            return None  # duplicate names: leave pandas' renaming (x, x.1) to the C engine
        numeric = {
            n: pa.float64() if pa.types.is_integer(t) or pa.types.is_floating(t) else pa.string()
            for n, t in zip(first.names, first.types, strict=True)
        }
        with open_binary(path) as f:
            table = pacsv.read_csv(
                f,
                parse_options=parse,
                convert_options=pacsv.ConvertOptions(
                    column_types=numeric, strings_can_be_null=True, decimal_point=decimal
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        return None
    columns = {
        n: table[n].to_numpy() if numeric[n] == pa.float64() else text_column(table[n], decimal)
        for n in table.column_names
    }
    return pd.DataFrame(columns)


def text_column(column, decimal: str):
    """A pyarrow text column as float64 when every value is a number (or empty; spaces around
    them allowed), as bool when every value is true/false (as pandas reads them), else as
    strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = column.drop_null()
    if len(present) == 0:  # every cell empty: a numeric column without values, as pandas reads it
        return np.full(len(column), np.nan)
    first = present[0].as_py()
    try:
        float(first.strip().replace(decimal, "."))
    except ValueError:
        pass  # not a number: skip the casts
    else:
        numbers = pc.utf8_trim_whitespace(column)
        if decimal != ".":
            numbers = pc.replace_substring(numbers, decimal, ".")
        try:
            return pc.cast(numbers, pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    if column.null_count == 0 and is_true_false(column):
        return pc.equal(pc.utf8_lower(pc.utf8_trim_whitespace(column)), "true").to_numpy()
    return column.to_pandas()


def is_true_false(column) -> bool:
    """True when every value of a text column is ``true`` or ``false`` (any case)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first = str(column[0].as_py()).strip().lower() if len(column) else ""
    if first not in ("true", "false"):
        return False
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(column))
    return bool(pc.all(pc.is_in(lower, pa.array(["true", "false"]))).as_py())


def read_csv_c(path: Path, sep: str, decimal_comma: bool) -> pd.DataFrame:
    """Read with pandas' C engine, turning parser failures into one-line errors."""
    try:
        with open_binary(path) as f:
            return pd.read_csv(
                io.TextIOWrapper(f, encoding="utf-8-sig"),
                sep=sep,
                skipinitialspace=True,
                decimal="," if decimal_comma else ".",
            )
    except pd.errors.EmptyDataError:
        raise ForecastError(f"{path} has no columns; pass a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        detail = str(e).strip().splitlines()[-1]
        raise ForecastError(
            f"{path} is not a readable CSV ({detail}); fix or re-export it"
        ) from None


def read_parquet(path: Path) -> pd.DataFrame:
    """A parquet file as a frame; a saved (e.g. DatetimeIndex) index becomes a column."""
    try:
        frame = pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several unrelated types for damaged files
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ForecastError(
            f"{path} is not a readable parquet file ({detail[:120]}); re-export it"
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("string")
    return frame


def check_shape(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Strip column names; refuse a file without data rows or with a single column."""
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw) == 0:
        raise ForecastError(f"{path} has a header but no data rows; add rows")
    if len(raw.columns) < 2:
        raise ForecastError(
            f"{path} has only one column ({raw.columns[0][:40]!r}); it needs a time column and "
            "at least one numeric column, separated by one of , ; TAB |; re-export it with commas"
        )
    return raw


def column_is_datetime(values: pd.Series) -> bool:
    """True for a column already holding timestamps (parquet), tz-aware or not."""
    return pd.api.types.is_datetime64_any_dtype(values.dtype)

"""PostgreSQL binary COPY, encoded and decoded with numpy instead of row by row.

psycopg's ``write_row`` costs a few microseconds per row in Python, which alone would cap the
generator well below its throughput target. Every event column is fixed-width (bigint,
timestamptz, numeric with a fixed number of base-10000 digits) or a short categorical text, so
a whole chunk of rows is one numpy structured array whose bytes *are* the wire format.

Format reference: https://www.postgresql.org/docs/current/sql-copy.html (Binary Format).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"

# PostgreSQL counts timestamps from 2000-01-01 UTC, numpy from 1970-01-01.
PG_EPOCH_US = 946_684_800 * 1_000_000

_NUMERIC_POS = 0x0000


@dataclass(frozen=True)
class Int8:
    """bigint from an integer array."""

    values: np.ndarray


@dataclass(frozen=True)
class Timestamptz:
    """timestamptz from int64 microseconds since the Unix epoch (UTC)."""

    micros: np.ndarray


@dataclass(frozen=True)
class Numeric:
    """numeric(p, scale) from non-negative int64 values in units of 10**-scale.

    Encoded with a fixed number of base-10000 digits so every row has the same width:
    PostgreSQL's numeric_recv strips the leading and trailing zero digits this leaves.
    """

    scaled: np.ndarray
    scale: int
    integer_digits: int = 3  # base-10000 digits before the point: values below 10**12


@dataclass(frozen=True)
class Category:
    """text from codes into a short list of labels (e.g. conversion_type)."""

    codes: np.ndarray
    labels: Sequence[str]


Column = Int8 | Timestamptz | Numeric | Category


def _numeric_layout(column: Numeric) -> tuple[int, int]:
    """(fraction digits, total digits) in base 10000."""
    fraction_digits = -(-column.scale // 4)
    return fraction_digits, column.integer_digits + fraction_digits


def _field_dtype(column: Column, index: int) -> list[tuple[str, str]]:
    name = f"f{index}"
    if isinstance(column, Int8 | Timestamptz):
        return [(f"{name}_len", ">i4"), (name, ">i8")]
    if isinstance(column, Numeric):
        _, ndigits = _numeric_layout(column)
        return [
            (f"{name}_len", ">i4"),
            (f"{name}_ndigits", ">i2"),
            (f"{name}_weight", ">i2"),
            (f"{name}_sign", ">u2"),
            (f"{name}_dscale", ">i2"),
            (name, ">i2", (ndigits,)),  # type: ignore[list-item]
        ]
    width = max(len(label.encode()) for label in column.labels)
    return [(f"{name}_len", ">i4"), (name, f"S{width}")]


def encode(columns: Sequence[Column]) -> bytes:
    """Rows of ``columns`` (all the same length, no NULLs) in PostgreSQL binary COPY format."""
    n = len(_values(columns[0]))
    if n == 0:
        return SIGNATURE + TRAILER
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    for index, column in enumerate(columns):
        fields += _field_dtype(column, index)
    rows = np.zeros(n, dtype=np.dtype(fields))
    rows["nfields"] = len(columns)
    keep: np.ndarray | None = None
    for index, column in enumerate(columns):
        name = f"f{index}"
        if isinstance(column, Int8):
            rows[f"{name}_len"] = 8
            rows[name] = column.values
        elif isinstance(column, Timestamptz):
            rows[f"{name}_len"] = 8
            rows[name] = column.micros - PG_EPOCH_US
        elif isinstance(column, Numeric):
            _encode_numeric(rows, name, column)
        else:
            keep = _encode_category(rows, name, column, keep)
    data = rows.tobytes() if keep is None else rows.view(np.uint8).reshape(n, -1)[keep].tobytes()
    return SIGNATURE + data + TRAILER


def _values(column: Column) -> np.ndarray:
    if isinstance(column, Int8):
        return column.values
    if isinstance(column, Timestamptz):
        return column.micros
    if isinstance(column, Numeric):
        return column.scaled
    return column.codes


def _encode_numeric(rows: np.ndarray, name: str, column: Numeric) -> None:
    fraction_digits, ndigits = _numeric_layout(column)
    if len(column.scaled) and int(column.scaled.min()) < 0:
        raise ValueError("Numeric encodes non-negative values only")
    # Shift so the value is an integer count of 10**-(4 * fraction_digits), then split it
    # into base-10000 digits, most significant first.
    value = column.scaled.astype(np.int64) * 10 ** (4 * fraction_digits - column.scale)
    digits = np.empty((len(value), ndigits), dtype=np.int64)
    for position in range(ndigits - 1, -1, -1):
        value, digits[:, position] = np.divmod(value, 10_000)
    if len(value) and value.max() > 0:
        raise ValueError(f"value too large for {column.integer_digits} base-10000 digits")
    rows[f"{name}_len"] = 8 + 2 * ndigits
    rows[f"{name}_ndigits"] = ndigits
    rows[f"{name}_weight"] = column.integer_digits - 1
    rows[f"{name}_sign"] = _NUMERIC_POS
    rows[f"{name}_dscale"] = column.scale
    rows[name] = digits


def _encode_category(
    rows: np.ndarray, name: str, column: Category, keep: np.ndarray | None
) -> np.ndarray:
    """Fill a fixed-width slot per row; returns the byte mask that drops each row's padding."""
    encoded = [label.encode() for label in column.labels]
    lengths = np.array([len(label) for label in encoded], dtype=np.int32)
    codes = np.asarray(column.codes)
    rows[f"{name}_len"] = lengths[codes]
    rows[name] = np.array(encoded)[codes]
    n, row_bytes = len(rows), rows.dtype.itemsize
    if keep is None:
        keep = np.ones((n, row_bytes), dtype=bool)
    offset = rows.dtype.fields[name][1]  # type: ignore[index]
    width = rows.dtype.fields[name][0].itemsize  # type: ignore[index]
    slot = np.arange(width)[None, :]
    keep[:, offset : offset + width] = slot < lengths[codes][:, None]
    return keep


def fetch_int8_columns(
    cursor: psycopg.Cursor,
    query: sql.Composable,
    ncolumns: int,
    *,
    timestamps: Sequence[int] = (),
) -> np.ndarray:
    """Run ``query`` (whose columns are all non-NULL bigint or timestamptz) through binary COPY.

    Returns an (n, ncolumns) int64 array; the columns listed in ``timestamps`` are converted
    to microseconds since the Unix epoch. Much lighter than millions of Python tuples.
    """
    buffer = bytearray()
    statement = sql.SQL("copy ({}) to stdout (format binary)").format(query)
    with cursor.copy(statement) as copy:
        for block in copy:
            buffer += block
    fields = [("nfields", ">i2")]
    for i in range(ncolumns):
        fields += [(f"len{i}", ">i4"), (f"c{i}", ">i8")]
    body = memoryview(buffer)[len(SIGNATURE) : len(buffer) - len(TRAILER)]
    rows = np.frombuffer(body, dtype=np.dtype(fields))
    out = np.empty((len(rows), ncolumns), dtype=np.int64)
    for i in range(ncolumns):
        out[:, i] = rows[f"c{i}"]
        if i in timestamps:
            out[:, i] += PG_EPOCH_US
    return out

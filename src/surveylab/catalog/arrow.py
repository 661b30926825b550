"""Database column types as Arrow types, and rows as Arrow record batches.

Pure functions: the PostgreSQL and Oracle backends describe a result with the driver's cursor
description, map each column to an Arrow type here, and turn each ``fetchmany`` block of rows into
one record batch. They are tested without a database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

__all__ = [
    "MAX_INT64_DIGITS",
    "ORACLE_NUMBER_UNSPECIFIED_SCALE",
    "PG_TYPES",
    "Converter",
    "converter_for",
    "numeric_type",
    "oracle_arrow_type",
    "postgres_arrow_type",
    "rows_to_batch",
]

#: Decimal digits an int64 always holds (it holds 9.2e18).
MAX_INT64_DIGITS = 18
#: The scale oracledb reports for a NUMBER declared without precision and scale.
ORACLE_NUMBER_UNSPECIFIED_SCALE = -127

#: Arrow types of PostgreSQL's built-in types, by type OID (``pg_type.oid``).
PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),  # bool
    17: pa.binary(),  # bytea
    18: pa.string(),  # "char"
    19: pa.string(),  # name
    20: pa.int64(),  # int8
    21: pa.int16(),  # int2
    23: pa.int32(),  # int4
    25: pa.string(),  # text
    26: pa.int64(),  # oid
    700: pa.float32(),  # float4
    701: pa.float64(),  # float8
    1042: pa.string(),  # bpchar
    1043: pa.string(),  # varchar
    1082: pa.date32(),  # date
    1114: pa.timestamp("us"),  # timestamp
    1184: pa.timestamp("us", tz="UTC"),  # timestamptz
}
#: PostgreSQL's ``numeric``: its Arrow type depends on precision and scale.
PG_NUMERIC_OID = 1700

#: Arrow types of Oracle types (by oracledb ``DB_TYPE_*`` name) that do not depend on precision.
ORACLE_TYPES: dict[str, pa.DataType] = {
    "DB_TYPE_BINARY_FLOAT": pa.float32(),
    "DB_TYPE_BINARY_DOUBLE": pa.float64(),
    "DB_TYPE_BINARY_INTEGER": pa.int64(),
    "DB_TYPE_BOOLEAN": pa.bool_(),
    "DB_TYPE_VARCHAR": pa.string(),
    "DB_TYPE_NVARCHAR": pa.string(),
    "DB_TYPE_CHAR": pa.string(),
    "DB_TYPE_NCHAR": pa.string(),
    "DB_TYPE_LONG": pa.string(),
    "DB_TYPE_LONG_NVARCHAR": pa.string(),
    "DB_TYPE_CLOB": pa.string(),
    "DB_TYPE_NCLOB": pa.string(),
    "DB_TYPE_ROWID": pa.string(),
    "DB_TYPE_UROWID": pa.string(),
    "DB_TYPE_DATE": pa.timestamp("us"),
    "DB_TYPE_TIMESTAMP": pa.timestamp("us"),
    "DB_TYPE_TIMESTAMP_LTZ": pa.timestamp("us", tz="UTC"),
    "DB_TYPE_TIMESTAMP_TZ": pa.timestamp("us", tz="UTC"),
    "DB_TYPE_RAW": pa.binary(),
    "DB_TYPE_LONG_RAW": pa.binary(),
    "DB_TYPE_BLOB": pa.binary(),
}
ORACLE_NUMBER = "DB_TYPE_NUMBER"

#: Turns one column of fetched values into an Arrow array.
Converter = Callable[[Sequence[Any]], pa.Array]


def numeric_type(precision: int | None, scale: int | None) -> pa.DataType:
    """The Arrow type of an exact number with ``precision`` digits, ``scale`` after the point.

    Whole numbers that fit (scale 0, at most 18 digits) become int64, e.g. DES's object ids;
    everything else, including a number of unspecified precision, becomes float64.

    Examples
    --------
    >>> numeric_type(11, 0), numeric_type(38, 0), numeric_type(None, None), numeric_type(7, 3)
    (DataType(int64), DataType(double), DataType(double), DataType(double))
    """
    if scale == 0 and precision is not None and 0 < precision <= MAX_INT64_DIGITS:
        return pa.int64()
    return pa.float64()


def postgres_arrow_type(oid: int, precision: int | None, scale: int | None) -> pa.DataType:
    """The Arrow type of a PostgreSQL result column (``cursor.description`` entry fields).

    Types without an Arrow equivalent (json, uuid, intervals, arrays) become strings.
    """
    if oid == PG_NUMERIC_OID:
        return numeric_type(precision, scale)
    return PG_TYPES.get(oid, pa.string())


def oracle_arrow_type(type_name: str, precision: int | None, scale: int | None) -> pa.DataType:
    """The Arrow type of an Oracle result column.

    Parameters
    ----------
    type_name : str
        oracledb's type name, e.g. ``oracledb.DB_TYPE_NUMBER.name`` (``'DB_TYPE_NUMBER'``).
    precision, scale : int or None
        From the cursor description. oracledb reports a NUMBER without precision as precision 0
        and scale -127.

    Examples
    --------
    >>> oracle_arrow_type("DB_TYPE_NUMBER", 11, 0), oracle_arrow_type("DB_TYPE_NUMBER", 0, -127)
    (DataType(int64), DataType(double))
    """
    if type_name == ORACLE_NUMBER:
        return numeric_type(precision, scale)
    return ORACLE_TYPES.get(type_name, pa.string())


def _as_int(values: Sequence[Any]) -> pa.Array:
    return pa.array([None if v is None else int(v) for v in values], pa.int64())


def _as_float(values: Sequence[Any]) -> pa.Array:
    return pa.array([None if v is None else float(v) for v in values], pa.float64())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)  # json and jsonb columns arrive decoded
    return str(value)


def _as_text(values: Sequence[Any]) -> pa.Array:
    return pa.array([_text(v) for v in values], pa.string())


def converter_for(arrow_type: pa.DataType) -> Converter:
    """How to turn the driver's Python values for a column of ``arrow_type`` into an array.

    Integers and floats go through ``int()``/``float()`` (drivers return exact numbers as
    :class:`~decimal.Decimal`); strings through ``str()`` (uuid, intervals) or ``json.dumps``
    (json, jsonb); the rest as is.
    """
    if pa.types.is_int64(arrow_type):
        return _as_int
    if pa.types.is_float64(arrow_type):
        return _as_float
    if pa.types.is_string(arrow_type):
        return _as_text

    def convert(values: Sequence[Any]) -> pa.Array:
        return pa.array(values, arrow_type)

    return convert


def rows_to_batch(
    rows: Sequence[Sequence[object]], schema: pa.Schema, converters: Sequence[Converter]
) -> pa.RecordBatch:
    """One record batch from the rows of a ``fetchmany`` (tuples in the schema's order)."""
    if not rows:
        return pa.RecordBatch.from_pylist([], schema=schema)
    columns = list(zip(*rows, strict=True))
    arrays = [convert(column) for convert, column in zip(converters, columns, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)

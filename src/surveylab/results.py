"""Query results: unique column names, typed columns, and quick-query rows ready for JSON."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa

from .models import ColumnInfo

__all__ = [
    "ORIGINAL_NAME",
    "CappedBatches",
    "QuickResult",
    "ResultColumn",
    "column_info",
    "json_value",
    "original_name",
    "result_columns",
    "unique_column_names",
    "unique_names",
]

#: Arrow field metadata key of a renamed result column: the name the query gave it.
ORIGINAL_NAME = b"original_name"


def unique_column_names(names: Iterable[str]) -> list[str]:
    """``names`` made unique, ignoring case: a name met again gets ``_2``, ``_3``, ...

    The first column of a name keeps it. A suffix is never one of the names given, so a column
    the query itself called ``RA_2`` keeps that name.

    Examples
    --------
    >>> unique_column_names(["RA", "DEC", "RA", "ra", "DEC"])
    ['RA', 'DEC', 'RA_2', 'ra_3', 'DEC_2']
    >>> unique_column_names(["A", "A", "A_2"])
    ['A', 'A_3', 'A_2']
    """
    given = list(names)
    taken = {name.upper() for name in given}
    seen: set[str] = set()
    unique = []
    for name in given:
        key = name.upper()
        if key in seen:
            number = 2
            while f"{key}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name.upper())
        seen.add(key)
        unique.append(name)
    return unique


def unique_names(schema: pa.Schema) -> pa.Schema:
    """``schema`` with unique column names (:func:`unique_column_names`).

    A renamed field records the name the query gave it in its metadata, under
    :data:`ORIGINAL_NAME`. Every result goes through this: CSV headers, FITS, HDF5 and Parquet
    files, pandas and astropy tables all need distinct names, and self-joins and
    cross-matches repeat them (``SELECT a.RA, b.RA ...``).

    Examples
    --------
    >>> schema = unique_names(pa.schema([("RA", pa.float64()), ("RA", pa.float64())]))
    >>> schema.names, schema.field(1).metadata
    (['RA', 'RA_2'], {b'original_name': b'RA'})
    """
    names = unique_column_names(schema.names)
    if names == schema.names:
        return schema
    fields = [
        field
        if name == field.name
        else field.with_name(name).with_metadata(
            {**(field.metadata or {}), ORIGINAL_NAME: field.name.encode()}
        )
        for field, name in zip(schema, names, strict=True)
    ]
    return pa.schema(fields, metadata=schema.metadata)


def original_name(field: pa.Field) -> str:
    """The name the query gave result column ``field`` (its name, unless it was renamed)."""
    original = (field.metadata or {}).get(ORIGINAL_NAME)
    return original.decode() if original is not None else str(field.name)


def column_info(field: pa.Field, known: Mapping[str, ColumnInfo]) -> ColumnInfo | None:
    """The catalog metadata of result column ``field``, found by the name the query gave it.

    ``known`` maps upper-case catalog column names to their metadata. A renamed column gets
    the metadata of its original name, and its description says that it was renamed.
    """
    original = original_name(field)
    info = known.get(original.upper())
    if original == field.name:
        return info
    note = f"{original} renamed {field.name}: the result repeats the name {original}"
    if info is None:
        return ColumnInfo(field.name, str(field.type), description=note)
    description = f"{info.description} ({note})" if info.description else note
    return replace(info, name=field.name, description=description)


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result: its name, Arrow type and, when known, unit and description.

    ``original_name`` is the name the query gave the column: it differs from ``name`` when the
    query repeats a name (see :func:`unique_names`).
    """

    name: str
    type: str
    unit: str = ""
    ucd: str = ""
    description: str = ""
    original_name: str = ""


@dataclass(frozen=True)
class QuickResult:
    """The answer to a quick query.

    ``rows`` holds at most the row cap; ``truncated`` says whether the query had more.
    """

    query: str
    sql: str
    columns: tuple[ResultColumn, ...]
    rows: list[list[Any]]
    truncated: bool
    elapsed: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and infinities become null, times ISO 8601)."""
        return {
            "query": self.query,
            "sql": self.sql,
            "columns": [column.__dict__ for column in self.columns],
            "rows": [[json_value(value) for value in row] for row in self.rows],
            "row_count": len(self.rows),
            "truncated": self.truncated,
            "elapsed": round(self.elapsed, 6),
        }


def result_columns(schema: pa.Schema, known: Mapping[str, ColumnInfo]) -> tuple[ResultColumn, ...]:
    """Describe ``schema``'s fields, with unit and description where a catalog column matches."""
    columns = []
    for field in schema:
        info = column_info(field, known)
        columns.append(
            ResultColumn(
                name=field.name,
                type=str(field.type),
                unit=info.unit if info else "",
                ucd=info.ucd if info else "",
                description=info.description if info else "",
                original_name=original_name(field),
            )
        )
    return tuple(columns)


def json_value(value: Any) -> Any:
    """``value`` as JSON can carry it: None for NaN/∞, ISO strings for times, base64 for bytes."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class CappedBatches:
    """The first ``limit`` rows of a stream of record batches; :attr:`truncated` tells, once
    read, whether there were more (TAP's ``OVERFLOW``)."""

    def __init__(self, batches: Iterable[pa.RecordBatch], limit: int) -> None:
        self._batches = batches
        self.limit = limit
        self.rows = 0
        self.truncated = False

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches:
            room = self.limit - self.rows
            if batch.num_rows > room:
                self.truncated = True
                if room > 0:
                    self.rows += room
                    yield batch.slice(0, room)
                return
            self.rows += batch.num_rows
            yield batch

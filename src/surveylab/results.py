"""Quick-query results: typed columns and rows, ready for JSON."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa

from .models import ColumnInfo

__all__ = ["QuickResult", "ResultColumn", "json_value", "result_columns"]


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result: its name, Arrow type and, when known, unit and description."""

    name: str
    type: str
    unit: str = ""
    ucd: str = ""
    description: str = ""


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
        info = known.get(field.name.upper())
        columns.append(
            ResultColumn(
                name=field.name,
                type=str(field.type),
                unit=info.unit if info else "",
                ucd=info.ucd if info else "",
                description=info.description if info else "",
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

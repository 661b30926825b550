"""Plain data models shared by the core, the server extension, the widgets and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ColumnInfo", "ReleaseInfo", "TableInfo"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a catalog table, as a schema browser shows it."""

    name: str
    datatype: str
    unit: str = ""
    ucd: str = ""
    description: str = ""


@dataclass(frozen=True)
class TableInfo:
    """One catalog table: its name, description and (when known) row count and columns."""

    name: str
    description: str = ""
    rows: int | None = None
    columns: tuple[ColumnInfo, ...] = ()


@dataclass(frozen=True)
class ReleaseInfo:
    """What a user sees first: which release, served by what, with which tables."""

    release: str
    version: str
    backend: str
    tables: tuple[TableInfo, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; each table becomes ``{"name", "description", "rows"}``."""
        data = asdict(self)
        data["tables"] = [
            {"name": t.name, "description": t.description, "rows": t.rows} for t in self.tables
        ]
        return data

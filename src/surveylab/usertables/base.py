"""What a store of a user's own tables provides, whatever the catalog backend."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..models import ColumnInfo, TableInfo

__all__ = ["UserTables"]


class UserTables(Protocol):
    """A user's own tables in one backend (``Catalog.user_tables`` hands it out)."""

    #: Where the tables live, for ``whoami`` and ``show_db``.
    location: str

    def open(self) -> None:
        """Make the tables queryable by the catalog's queries (DuckDB: attach ``MYDB``)."""
        ...

    def query_name(self, name: str) -> str:
        """How a query names the table ``name`` (``MYDB.NAME`` on DuckDB)."""
        ...

    def tables(self) -> list[TableInfo]:
        """The user's tables with their row counts."""
        ...

    def columns(self, name: str) -> list[ColumnInfo]:
        """The columns of the user's table ``name``."""
        ...

    def load(self, path: Path, name: str | None = None) -> TableInfo:
        """Upload the file at ``path`` as table ``name`` (default: from the file name)."""
        ...

    def drop(self, name: str) -> None:
        """Remove the user's table ``name``."""
        ...

"""Users' own tables beside the release: easyaccess's ``load_table`` and Data Lab's MyDB.

A user uploads a CSV, FITS or Parquet file as a table and queries it with, or joined to, the
release's tables. Where it goes depends on the catalog backend:

- **DuckDB**: a DuckDB file of the user's own (``~/.surveylab/mydb.duckdb`` by default),
  attached read-write beside the read-only release as ``MYDB``; query ``MYDB.NAME``. One
  process at a time can hold it (DuckDB's file lock).
- **PostgreSQL**: the schema named after the database user, which PostgreSQL's default
  ``search_path`` (``"$user", public``) puts first; query ``NAME`` or ``user.NAME``. The schema
  is created on the first upload if the account may (``CREATE`` on the database), else the
  administrator creates it (``CREATE SCHEMA AUTHORIZATION user``).
- **Oracle**: not supported here.

Table names are checked (a letter, then letters, digits or ``_``; at most 63; not a release
table's name), files are read by pyarrow or astropy (never by SQL the user writes), and a table
appears only complete (one transaction). There is no quota beyond the database's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..catalog import Catalog, DuckDBCatalog, PostgresCatalog
from ..models import ColumnInfo, TableInfo
from .files import UserTableError, check_table_name, read_table_file

__all__ = [
    "UserTableError",
    "UserTables",
    "check_table_name",
    "open_user_tables",
    "read_table_file",
]


class UserTables(Protocol):
    """A user's own tables in one backend."""

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


def open_user_tables(
    catalog: Catalog, *, user_db: Path, password: str | None = None
) -> UserTables | None:
    """The user's tables beside ``catalog``; None where the backend has no place for them.

    Parameters
    ----------
    catalog : Catalog
        The release's catalog, already open.
    user_db : Path
        The user's DuckDB file (DuckDB catalogs), created on first use.
    password : str, optional
        The database password (PostgreSQL), from ``Settings.db_password``.
    """
    if isinstance(catalog, DuckDBCatalog):
        from .duckdb import DuckDBUserTables

        return DuckDBUserTables(catalog, user_db)
    if isinstance(catalog, PostgresCatalog):
        from .postgres import PostgresUserTables

        return PostgresUserTables(catalog, password)
    return None

"""User tables on a DuckDB release: the user's own DuckDB file, attached as ``MYDB``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from ..catalog.base import Catalog, sql_string
from ..models import ColumnInfo, TableInfo
from .files import UserTableError, check_table_name, default_table_name, read_table_file

__all__ = ["ALIAS", "DuckDBUserTables"]

#: The name the user's database is attached under: queries read ``MYDB.NAME``.
ALIAS = "MYDB"
#: Name under which an upload's Arrow table is visible to the CREATE TABLE that copies it.
_UPLOAD = "surveylab_upload"


class DuckDBUserTables:
    """The user's DuckDB file, attached read-write beside the read-only release catalog.

    It is attached on first use (a query naming ``MYDB``, ``mytables``, ``load_table``), so
    that only sessions that use it hold DuckDB's lock on the file.

    Parameters
    ----------
    catalog : Catalog
        The release's catalog, whose table names a user table may not take.
    cursor : callable
        A new cursor of the release's own DuckDB database (``DuckDBCatalog.cursor``): databases
        attached through it are seen by every query of the catalog, so user tables join with
        the release's.
    path : Path
        The user's DuckDB file, created on first upload.
    """

    def __init__(
        self, catalog: Catalog, cursor: Callable[[], duckdb.DuckDBPyConnection], path: Path
    ) -> None:
        self.catalog = catalog
        self._cursor = cursor
        self.path = path
        self.location = f"{ALIAS} = {path}"
        self._lock = threading.Lock()
        self._attached = False

    def open(self) -> None:
        """Attach the user's database (created if missing) unless it already is."""
        with self._lock:
            if self._attached:
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            cursor = self._cursor()
            try:
                cursor.execute(f"ATTACH {sql_string(str(self.path))} AS {ALIAS} (READ_WRITE)")
            except duckdb.Error as err:
                busy = "lock" in str(err).lower()
                reason = "another process has it open" if busy else str(err)
                raise UserTableError(f"cannot open your tables at {self.path}: {reason}") from None
            finally:
                cursor.close()
            self.path.chmod(0o600)
            self._attached = True

    def query_name(self, name: str) -> str:
        """``MYDB.NAME``."""
        return f"{ALIAS}.{name.upper()}"

    def _fetch(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        self.open()
        cursor = self._cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        except duckdb.Error as err:
            raise UserTableError(str(err)) from None
        finally:
            cursor.close()

    def _names(self) -> dict[str, str]:
        """The user's table names by upper-case name (none before the first upload)."""
        if not self._attached and not self.path.exists():
            return {}  # listing must not create the file, nor take its lock
        found = self._fetch(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1",
            [ALIAS],
        )
        return {str(name).upper(): str(name) for (name,) in found}

    def _stored(self, name: str) -> str:
        stored = self._names().get(check_table_name(name))
        if stored is None:
            raise UserTableError(f"you have no table named {name.upper()}: see mytables")
        return stored

    def tables(self) -> list[TableInfo]:
        """The user's tables with exact row counts."""
        infos = []
        for upper, stored in self._names().items():
            rows = self._fetch(f'SELECT count(*) FROM {ALIAS}.main."{stored}"')[0][0]
            infos.append(TableInfo(upper, f"your table, {self.query_name(upper)}", int(str(rows))))
        return infos

    def columns(self, name: str) -> list[ColumnInfo]:
        """The columns of the user's table ``name``."""
        stored = self._stored(name)
        found = self._fetch(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = ? AND table_name = ? ORDER BY column_index",
            [ALIAS, stored],
        )
        return [ColumnInfo(str(column), str(kind)) for column, kind in found]

    def load(self, path: Path, name: str | None = None) -> TableInfo:
        """Upload ``path`` as ``MYDB.NAME`` in one statement: the table appears complete."""
        release = [table.name for table in self.catalog.tables()]
        upper = check_table_name(name or default_table_name(path), release)
        data = read_table_file(path)
        self.open()
        if upper in self._names():
            raise UserTableError(f"you already have a table {upper}: drop_table {upper} first")
        cursor = self._cursor()
        try:
            cursor.register(_UPLOAD, data)
            cursor.execute(f'CREATE TABLE {ALIAS}.main."{upper}" AS SELECT * FROM {_UPLOAD}')
        except duckdb.Error as err:
            raise UserTableError(f"cannot create {upper}: {err}") from None
        finally:
            cursor.close()
        return TableInfo(upper, f"your table, {self.query_name(upper)}", data.num_rows)

    def drop(self, name: str) -> None:
        """Remove ``MYDB.NAME``."""
        stored = self._stored(name)
        self._fetch(f'DROP TABLE {ALIAS}.main."{stored}"')

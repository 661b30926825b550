"""The embedded catalog: one DuckDB file, opened read-only.

Each query runs on its own DuckDB cursor (a connection to the same database), so that it can be
interrupted without touching the others; results stream with ``to_arrow_reader``. Exports use
DuckDB's own ``COPY (query) TO`` for CSV and Parquet, its fastest path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    SurveylabError,
)
from ..models import ColumnInfo, TableInfo
from ..usertables.base import UserTables
from .base import (
    BULK_CSV_COMPRESSIONS,
    DEFAULT_BATCH_ROWS,
    CancelHook,
    Guard,
    StreamingHandle,
    sql_string,
)
from .tap_schema import (
    ColumnMetadata,
    merge_tap_columns,
    tap_column_metadata,
    tap_table_descriptions,
)

__all__ = [
    "PARQUET_CODECS",
    "DuckDBCatalog",
    "DuckDBQueryHandle",
    "copy_options",
    "sql_string",
]

#: DuckDB's buffer cache grows towards 80% of RAM by default; a lab shares its machine, and
#: results stream, so a small cache keeps memory flat whatever the result size.
DUCKDB_MEMORY_LIMIT = "1GB"

#: Parquet codecs DuckDB's COPY writes (``None``: DuckDB's default, snappy).
PARQUET_CODECS = (None, "snappy", "gzip", "zstd", "lz4", "brotli", "uncompressed")
#: The schema of the release's tables (in the catalog's own database, not in databases attached
#: beside it, such as a user's MYDB).
MAIN_SCHEMA = "main"
#: DuckDB's message prefix for an interrupted query (raised as InterruptException, or as an
#: Arrow I/O error when it happens while a stream is read).
_INTERRUPTED = "INTERRUPT Error"


def copy_options(format: str, compression: str | None, metadata: Mapping[str, str]) -> str:
    """The options of DuckDB's ``COPY (query) TO`` for ``format`` (``csv`` or ``parquet``).

    Examples
    --------
    >>> copy_options("csv", "gzip", {})
    'FORMAT csv, HEADER, COMPRESSION gzip'
    >>> copy_options("parquet", "zstd", {"query": "SELECT 'x'"})
    "FORMAT parquet, COMPRESSION zstd, KV_METADATA {'query': 'SELECT ''x'''}"
    """
    if format == "csv":
        options = ["FORMAT csv", "HEADER"]
        if compression:
            options.append(f"COMPRESSION {compression}")
        return ", ".join(options)
    if format == "parquet":
        options = ["FORMAT parquet"]
        if compression:
            options.append(f"COMPRESSION {compression}")
        if metadata:
            pairs = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in metadata.items())
            options.append(f"KV_METADATA {{{pairs}}}")
        return ", ".join(options)
    raise ValueError(f"DuckDB's COPY has no bulk path for {format!r}")


def _translate(error: Exception) -> SurveylabError:
    """The user's error for a DuckDB error."""
    message = str(error)
    if isinstance(error, duckdb.InterruptException) or message.startswith(_INTERRUPTED):
        return QueryCancelledError("the query was interrupted in the database")
    return QueryError(message)


class DuckDBQueryHandle(StreamingHandle):
    """A query on its own DuckDB cursor; see :class:`~surveylab.catalog.base.QueryHandle`."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        timeout: float | None,
        batch_rows: int,
    ) -> None:
        self._cursor = cursor
        self._reader: pa.RecordBatchReader | None = None
        self._batch_rows = batch_rows
        super().__init__(timeout)
        try:
            relation = cursor.sql(sql)
            if relation is None:
                raise QueryError("only a query that returns rows can be run")
            self._relation = relation
            # The schema without the work: DuckDB answers LIMIT 0 at once. Its subquery renames
            # repeated names its own way (x, x_1): the names are the query's own.
            empty = relation.limit(0).to_arrow_table().schema
            self.schema = pa.schema(
                [field.with_name(name) for field, name in zip(empty, relation.columns, strict=True)]
            )
        except (duckdb.Error, QueryError) as err:
            self.close()
            if isinstance(err, QueryError):
                raise
            raise self.error_for(err) from err

    def _fetch(self) -> pa.RecordBatch | None:
        if self._reader is None:
            self._reader = self._relation.to_arrow_reader(self._batch_rows)
        try:
            return self._reader.read_next_batch()
        except StopIteration:
            return None

    def _interrupt(self) -> None:
        self._cursor.interrupt()

    def _release(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._cursor.close()

    def _translate(self, error: Exception) -> SurveylabError:
        return _translate(error)


class DuckDBCatalog:
    """The embedded catalog: a DuckDB file opened read-only.

    Parameters
    ----------
    path : Path
        The DuckDB database file, e.g. the demo survey's ``catalog.duckdb``.
    """

    backend = "duckdb"
    dialect = "duckdb"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise CatalogNotFoundError(
                f"no catalog at {path}: generate the demo survey with "
                "'surveylab demo-data' or set SURVEYLAB_CATALOG_URL"
            )
        self.path = path
        self._lock = threading.Lock()
        try:
            self._con = duckdb.connect(
                str(path), read_only=True, config={"memory_limit": DUCKDB_MEMORY_LIMIT}
            )
        except duckdb.Error as err:
            raise CatalogUnavailableError(f"cannot open the catalog {path}: {err}") from err

    def __repr__(self) -> str:
        return f"DuckDBCatalog({str(self.path)!r})"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the database for one query, that cannot see Python variables.

        Databases attached through it (a user's ``MYDB``) are seen by every later query.
        """
        with self._lock:
            cursor = self._con.cursor()
        cursor.execute("SET python_enable_replacements = false")
        # DuckDB draws its own progress bar on the process's terminal for long queries: it
        # would garble the SQL shell's screen and a server's log.
        cursor.execute("SET enable_progress_bar = false")
        return cursor

    def release_name(self) -> str | None:
        """The ``release`` field of the ``release.json`` written beside the catalog, if any."""
        release_file = self.path.with_name("release.json")
        if not release_file.is_file():
            return None
        name = json.loads(release_file.read_text()).get("release")
        return str(name) if name else None

    def _has_tap_schema(self) -> bool:
        rows = self._fetch(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE lower(table_schema) = 'tap_schema' AND lower(table_name) = 'columns'"
        )
        return bool(rows[0][0])

    def tables(self) -> list[TableInfo]:
        """The tables of the main schema, described from ``TAP_SCHEMA`` when present."""
        descriptions: dict[str, str] = {}
        if self._has_tap_schema():
            descriptions = tap_table_descriptions(
                self._fetch("SELECT table_name, description FROM tap_schema.tables")
            )
        infos = []
        for (found,) in self._fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = ? ORDER BY table_name",
            [MAIN_SCHEMA],
        ):
            name = str(found)
            rows = int(str(self._fetch(f'SELECT count(*) FROM "{name}"')[0][0]))
            infos.append(
                TableInfo(name=name, description=descriptions.get(name.upper(), ""), rows=rows)
            )
        return infos

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table``, in table order, with TAP_SCHEMA units and descriptions."""
        found = self._fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? "
            "AND upper(table_name) = upper(?) "
            "ORDER BY ordinal_position",
            [MAIN_SCHEMA, table],
        )
        if not found:
            raise QueryError(f"no table named {table!r}")
        metadata: dict[str, ColumnMetadata] = {}
        if self._has_tap_schema():
            metadata = tap_column_metadata(
                self._fetch(
                    "SELECT column_name, unit, ucd, description FROM tap_schema.columns "
                    "WHERE upper(table_name) = upper(?)",
                    [table],
                )
            )
        return merge_tap_columns(
            ((str(name), str(datatype), "") for name, datatype in found), metadata
        )

    def tables_with_column(self, column: str) -> list[str]:
        """The main-schema tables that have a column named ``column`` (any case)."""
        return [
            str(name)
            for (name,) in self._fetch(
                "SELECT DISTINCT table_name FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema = ? "
                "AND upper(column_name) = upper(?) ORDER BY table_name",
                [MAIN_SCHEMA, column],
            )
        ]

    def execute(
        self, sql: str, *, timeout: float | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> DuckDBQueryHandle:
        """Start ``sql`` on its own cursor; see :meth:`surveylab.catalog.Catalog.execute`."""
        return DuckDBQueryHandle(self.cursor(), sql, timeout, batch_rows)

    def explain(self, sql: str) -> str:
        """DuckDB's physical plan of ``sql``."""
        rows = self._fetch(f"EXPLAIN {sql}")
        return "\n".join(str(row[-1]).rstrip("\n") for row in rows)

    def supports_export(self, format: str, compression: str | None) -> bool:
        """CSV (plain or gzip) and Parquet (any codec DuckDB writes) go through ``COPY``."""
        if format == "csv":
            return compression in BULK_CSV_COMPRESSIONS
        if format == "parquet":
            return compression in PARQUET_CODECS
        return False

    def export(
        self,
        sql: str,
        path: Path,
        format: str,
        compression: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        timeout: float | None = None,
        on_start: CancelHook | None = None,
    ) -> int | None:
        """``COPY (sql) TO path``; see :meth:`surveylab.catalog.Catalog.export`."""
        if not self.supports_export(format, compression):
            return None
        statement = (
            f"COPY ({sql}) TO {sql_string(str(path))} "
            f"({copy_options(format, compression, metadata or {})})"
        )
        cursor = self.cursor()
        guard = Guard(cursor.interrupt, timeout)
        try:
            if on_start is not None:
                on_start(guard.cancel)
            guard.check()
            result = cursor.execute(statement).fetchone()
            guard.check()  # cancelled as it finished: honour the request
        except duckdb.Error as err:
            path.unlink(missing_ok=True)
            raise (guard.error() or _translate(err)) from err
        except SurveylabError:
            path.unlink(missing_ok=True)
            raise
        finally:
            guard.stop()
            cursor.close()
        return int(result[0]) if result else 0

    def user_tables(self, user_db: Path) -> UserTables:
        """The user's DuckDB file ``user_db``, attached beside the release as ``MYDB``."""
        from ..usertables.duckdb import DuckDBUserTables

        return DuckDBUserTables(self, self.cursor, user_db)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def _fetch(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        cursor = self.cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        except duckdb.Error as err:
            raise QueryError(str(err)) from err
        finally:
            cursor.close()

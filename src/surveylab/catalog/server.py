"""The skeleton of a catalog on a database server (PostgreSQL, Oracle).

:class:`ServerSQLCatalog` owns what every server backend does the same way: the database account
(one per user, from the settings), a connection per query and per metadata call, connection
errors raised without the password, the streamed query (:class:`ServerQueryHandle`, cancel and
time limit included), and the description of tables and columns from the engine's dictionary
merged with the release's ``TAP_SCHEMA`` (:mod:`surveylab.catalog.tap_schema`). A backend
subclasses both and fills in the driver's hooks: how to connect, how to fetch rows, how to
describe and stream a query, how to cancel it, which SQL reads its dictionary, and how to word
its errors (login errors through :mod:`surveylab.catalog.login_errors`).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from ..errors import CatalogUnavailableError, QueryError, SurveylabError
from ..models import ColumnInfo, TableInfo
from ..usertables.base import UserTables
from .base import DEFAULT_BATCH_ROWS, CancelHook, StreamingHandle
from .tap_schema import (
    ColumnMetadata,
    merge_tap_columns,
    tap_column_metadata,
    tap_table_descriptions,
)

__all__ = [
    "Params",
    "ServerQueryHandle",
    "ServerSQLCatalog",
]

#: Query parameters in the driver's style: a sequence (``%s``, ``:1``) or a mapping (``:name``).
Params = Sequence[object] | Mapping[str, object]


class ServerQueryHandle(StreamingHandle):
    """A query on its own server connection; see :class:`~surveylab.catalog.base.QueryHandle`.

    A backend implements :meth:`_describe` (open the cursor or parse the query without running
    it, and give the result's schema), ``_fetch``, ``_interrupt`` and ``_translate``. The
    handle closes the connection when it is released.
    """

    #: The driver's base error class (``psycopg.Error``, ``oracledb.Error``).
    driver_error: ClassVar[type[Exception]]

    def __init__(self, conn: Any, sql: str, timeout: float | None, batch_rows: int) -> None:
        self._conn = conn
        self._sql = sql
        self._timeout = timeout
        self._batch_rows = batch_rows
        super().__init__(timeout)
        failure: SurveylabError | None = None
        try:
            self.schema = self._describe()
        except SurveylabError as err:
            failure = err
        except self.driver_error as err:
            failure = self.error_for(err)
        if failure is not None:
            self.close()
            raise failure  # outside the except block: the driver's error is not its context

    @abstractmethod
    def _describe(self) -> pa.Schema:
        """The result's schema, from the database, before the query runs."""

    def _release(self) -> None:
        # Closing the connection ends the statement; one broken by a cancel is gone anyway.
        with contextlib.suppress(self.driver_error):
            self._conn.close()


class ServerSQLCatalog(ABC):
    """A catalog on a database server, one connection per query; see ``Catalog``.

    Parameters
    ----------
    host, port, database : str, int, str
        Where the catalog is (PostgreSQL's database name, Oracle's service name).
    user, password : str
        The user's own database account (``SURVEYLAB_DB_USER`` / ``SURVEYLAB_DB_PASSWORD``).

    Raises
    ------
    CatalogUnavailableError
        No user, or the server cannot be reached or refuses the login; the message names the
        host and port and never contains the password.
    """

    #: Engine name shown to users (``Catalog.backend``).
    backend: str
    #: sqlglot dialect of the engine (``Catalog.dialect``).
    dialect: str
    #: The engine's name in messages: ``'PostgreSQL'``.
    engine: ClassVar[str]
    #: The driver's base error class.
    driver_error: ClassVar[type[Exception]]
    #: The handle of a running query.
    query_handle: ClassVar[type[ServerQueryHandle]]
    #: One row whose first value is true when the database has TAP_SCHEMA.tables and .columns.
    tap_schema_exists_sql: ClassVar[str]
    #: ``(table_name, description)`` of every TAP_SCHEMA table.
    tap_tables_sql: ClassVar[str] = "SELECT table_name, description FROM tap_schema.tables"
    #: ``(column_name, unit, ucd, description)`` of one table, whose bare and schema-qualified
    #: names are the two positional parameters.
    tap_columns_sql: ClassVar[str]

    def __init__(
        self, host: str, port: int, database: str, user: str | None, password: str | None
    ) -> None:
        if not user:
            raise CatalogUnavailableError(
                f"the {self.engine} catalog needs a database user: set SURVEYLAB_DB_USER"
            )
        self.host = host
        self.port = port
        self.user = user
        self._database = database
        self._password = password
        self._connect().close()  # fail now, with a clear message, if it cannot work

    @property
    def location(self) -> str:
        """``host:port/database``, for messages."""
        return f"{self.host}:{self.port}/{self._database}"

    @property
    @abstractmethod
    def namespace(self) -> str:
        """The schema (PostgreSQL) or owner (Oracle) of the release's tables."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r}, user={self.user!r})"

    # --- what a backend implements -------------------------------------------------------------

    @abstractmethod
    def _open(self, timeout: float | None, writable: bool) -> Any:
        """A new connection with the driver; read-only unless ``writable``, ``timeout`` its
        statement limit. Driver errors pass through."""

    @abstractmethod
    def _connection_error(self, error: Exception) -> CatalogUnavailableError:
        """The user's error for a failed connection, without the password."""

    @abstractmethod
    def _fetch_all(self, conn: Any, query: str, params: Params) -> list[Any]:
        """All rows of ``query`` on ``conn``. Driver errors pass through."""

    @abstractmethod
    def _error(self, error: Exception) -> SurveylabError:
        """The user's error for a driver error raised by a metadata query."""

    @abstractmethod
    def _dictionary_tables(self) -> list[TableInfo]:
        """The release's tables from the engine's dictionary, described by their comments."""

    @abstractmethod
    def _dictionary_columns(self, table: str) -> list[tuple[str, str, str]]:
        """``(name, datatype, comment)`` of the columns of ``table`` (any case), in order."""

    # --- the flow ------------------------------------------------------------------------------

    def _connect(self, timeout: float | None = None, *, writable: bool = False) -> Any:
        """A new connection; see :meth:`_open`."""
        failure: CatalogUnavailableError | None = None
        try:
            conn = self._open(timeout, writable)
        except self.driver_error as err:
            failure = self._connection_error(err)
        if failure is not None:
            # Raised here, outside the except block: the driver's error (which may hold the
            # password) is neither the cause nor the context of what the caller sees.
            raise failure
        return conn

    @contextmanager
    def _session(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _query(self, query: str, params: Params = ()) -> list[Any]:
        failure: SurveylabError | None = None
        with self._session() as conn:
            try:
                return self._fetch_all(conn, query, params)
            except self.driver_error as err:
                failure = self._error(err)
        raise failure

    def release_name(self) -> str | None:
        """Server catalogs record no release name; the settings give it."""
        return None

    def _has_tap_schema(self) -> bool:
        return bool(self._query(self.tap_schema_exists_sql)[0][0])

    def tables(self) -> list[TableInfo]:
        """The release's tables, described from TAP_SCHEMA when present, else by comments."""
        found = self._dictionary_tables()
        if not self._has_tap_schema():
            return found
        descriptions = tap_table_descriptions(self._query(self.tap_tables_sql))
        return [
            replace(info, description=descriptions.get(info.name.upper()) or info.description)
            for info in found
        ]

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` (any case), in order, with TAP_SCHEMA metadata."""
        found = self._dictionary_columns(table)
        if not found:
            raise QueryError(f"no table named {table!r}")
        metadata: dict[str, ColumnMetadata] = {}
        if self._has_tap_schema():
            metadata = tap_column_metadata(
                self._query(self.tap_columns_sql, [table, f"{self.namespace}.{table}"])
            )
        return merge_tap_columns(found, metadata)

    def execute(
        self, sql: str, *, timeout: float | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> ServerQueryHandle:
        """Start ``sql`` on a new connection; see :meth:`surveylab.catalog.Catalog.execute`."""
        return self.query_handle(self._connect(timeout), sql, timeout, batch_rows)

    def supports_export(self, format: str, compression: str | None) -> bool:
        """No bulk export unless the backend has one: every format streams through Arrow."""
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
        """No bulk path: ``None``; the caller streams :meth:`execute`. See ``Catalog.export``."""
        return None

    def user_tables(self, user_db: Path) -> UserTables | None:
        """No place for user tables unless the backend has one."""
        return None

    def close(self) -> None:  # noqa: B027 -- a no-op on purpose, not a hook to fill in
        """Nothing to release: every query and metadata call has its own connection."""

"""A PostgreSQL catalog (psycopg 3), one connection per query.

The shared flow is :class:`~surveylab.catalog.server.ServerSQLCatalog`'s; this module holds
psycopg's hooks. Every query gets its own connection, in a read-only transaction with a server-side
``statement_timeout``, and reads its result through a server-side (named) cursor, ``fetchmany``
block by block, so that memory stays bounded. Cancelling sends PostgreSQL's cancel request
(``cancel_safe``) and closing the connection ends the server process. CSV exports use
``COPY (query) TO STDOUT``.

PostgreSQL folds unquoted names to lower case; the catalog shows them in upper case
(:func:`~surveylab.catalog.base.fold_name`), as Oracle and the DES documentation do.

Passwords never appear in messages: psycopg's connection errors carry the password in their
``pgconn`` attribute, so they are reported as a new :class:`CatalogUnavailableError` raised
outside the ``except`` block (no ``__cause__`` or ``__context__``).
"""

from __future__ import annotations

import csv
import gzip
import io
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pyarrow as pa
from psycopg import sql as pgsql

from ..errors import (
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
    SurveylabError,
)
from ..models import TableInfo
from ..usertables.base import UserTables
from .arrow import Converter, converter_for, postgres_arrow_type, rows_to_batch
from .base import (
    BULK_CSV_COMPRESSIONS,
    CancelHook,
    Guard,
    cancelled_message,
    fold_name,
    timeout_message,
)
from .login_errors import LoginFailure, postgres_login_failure
from .server import Params, ServerQueryHandle, ServerSQLCatalog

__all__ = [
    "DEFAULT_PORT",
    "PostgresCatalog",
    "PostgresQueryHandle",
    "connection_failure",
    "postgres_error",
]

DEFAULT_PORT = 5432
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10
#: Seconds to wait for a cancel request to be delivered.
CANCEL_TIMEOUT = 10.0
#: Shown in ``pg_stat_activity.application_name``.
APPLICATION_NAME = "surveylab"
#: ``application_name`` of the connections that upload and drop a user's tables.
USER_TABLES_APPLICATION_NAME = "surveylab-usertables"
#: A query's transaction left idle this long (a reader that never came back) is ended by the
#: server, in milliseconds.
IDLE_IN_TRANSACTION_MS = 15 * 60 * 1000
#: Tables smaller than this are counted exactly; larger ones show the planner's estimate.
EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024
#: Relation kinds a user can query: tables, partitioned tables, views, materialized and foreign.
QUERYABLE_KINDS = ("r", "p", "v", "m", "f")
#: Relation kinds whose rows can be counted cheaply enough.
COUNTED_KINDS = ("r", "p", "m")
#: SQLSTATE of "canceling statement due to ..." (user request or statement timeout).
QUERY_CANCELED = "57014"
#: gzip level of compressed CSV exports: zlib's default, much faster than gzip's 9.
GZIP_LEVEL = 6
Row = tuple[Any, ...]
Connection = psycopg.Connection[Row]


def connection_failure(
    message: str, where: str, user: str, password: str | None, sqlstate: str | None = None
) -> str:
    """A user's message for a failed connection, from libpq's ``message``, without the password.

    Whether the server refused the login or could not be reached is decided by
    :func:`~surveylab.catalog.login_errors.postgres_login_failure`, as the hub's login does.

    Examples
    --------
    >>> connection_failure(
    ...     'connection failed: connection to server at "db", port 5432 failed: '
    ...     'FATAL:  password authentication failed for user "ann"', "db:5432/dr1", "ann", "pw")
    'cannot log in to the PostgreSQL catalog at db:5432/dr1 as ann: FATAL: password \
authentication failed for user "ann"'
    """
    failure = postgres_login_failure(message, sqlstate)
    detail = " ".join(message.split())
    detail = detail.removeprefix("connection failed: ")
    if " failed: " in detail:
        detail = detail.split(" failed: ", 1)[1]
    if password:
        detail = detail.replace(password, "***")
    if failure.refuses_account:
        return f"cannot log in to the PostgreSQL catalog at {where} as {user}: {detail}"
    if failure is LoginFailure.UNAVAILABLE:
        return f"cannot reach the PostgreSQL catalog at {where}: {detail}"
    return f"cannot connect to the PostgreSQL catalog at {where} as {user}: {detail}"


def _server_message(error: psycopg.Error) -> str:
    """The server's message with its detail and hint, without the statement excerpt.

    The excerpt would show the cursor's DECLARE around the translated query, not the user's text.
    """
    diag = error.diag
    if not diag.message_primary:
        return " ".join(str(error).split())
    parts = [diag.message_primary, diag.message_detail, diag.message_hint]
    return ". ".join(part.rstrip(".") for part in parts if part)


def postgres_error(error: psycopg.Error, timeout: float | None = None) -> SurveylabError:
    """The user's error for an error PostgreSQL raised while running a query."""
    message = _server_message(error)
    if error.sqlstate == QUERY_CANCELED:
        if "statement timeout" in message:
            return QueryTimeoutError(timeout_message(timeout))
        return QueryCancelledError(cancelled_message())
    if isinstance(error, psycopg.OperationalError) and error.sqlstate is None:
        return CatalogUnavailableError(f"lost the connection to the PostgreSQL catalog: {message}")
    return QueryError(message)


class PostgresQueryHandle(ServerQueryHandle):
    """A query on its own connection and server-side cursor; see ``QueryHandle``."""

    driver_error = psycopg.Error
    _conn: Connection
    _cursor: psycopg.ServerCursor[Row]
    _converters: list[Converter]

    def _describe(self) -> pa.Schema:
        # DECLARE plans the query (and reports unknown tables or columns) without running it.
        self._cursor = self._conn.cursor(name=f"surveylab_{secrets.token_hex(8)}")
        self._cursor.execute(self._sql)
        fields = [
            pa.field(fold_name(c.name), postgres_arrow_type(c.type_code, c.precision, c.scale))
            for c in self._cursor.description or []
        ]
        self._converters = [converter_for(field.type) for field in fields]
        return pa.schema(fields)

    def _fetch(self) -> pa.RecordBatch | None:
        rows = self._cursor.fetchmany(self._batch_rows)
        if not rows:
            return None
        return rows_to_batch(rows, self.schema, self._converters)

    def _interrupt(self) -> None:
        self._conn.cancel_safe(timeout=CANCEL_TIMEOUT)

    def _translate(self, error: Exception) -> SurveylabError:
        if isinstance(error, psycopg.Error):
            return postgres_error(error, self._timeout)
        return QueryError(str(error))


class PostgresCatalog(ServerSQLCatalog):
    """A catalog on a PostgreSQL server.

    Parameters
    ----------
    host, port, dbname : str, int, str
        Where the catalog is.
    user, password : str
        The database account (``SURVEYLAB_DB_USER`` / ``SURVEYLAB_DB_PASSWORD``).
    schema : str, optional
        The schema that holds the release's tables (``public``).

    Raises
    ------
    CatalogUnavailableError
        The server cannot be reached or refuses the login; the message names the host and port
        and never contains the password.
    """

    backend = "postgresql"
    dialect = "postgres"
    engine = "PostgreSQL"
    driver_error = psycopg.Error
    query_handle = PostgresQueryHandle
    tap_schema_exists_sql = (
        "SELECT to_regclass('tap_schema.tables') IS NOT NULL "
        "AND to_regclass('tap_schema.columns') IS NOT NULL"
    )
    tap_columns_sql = (
        "SELECT column_name, unit, ucd, description FROM tap_schema.columns "
        "WHERE upper(table_name) IN (upper(%s), upper(%s))"
    )

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        dbname: str = "postgres",
        user: str | None = None,
        password: str | None = None,
        *,
        schema: str = "public",
    ) -> None:
        self.dbname = dbname
        self.schema = schema
        super().__init__(host, port, dbname, user, password)

    @property
    def namespace(self) -> str:
        """The schema of the release's tables."""
        return self.schema

    def _open(self, timeout: float | None, writable: bool) -> Connection:
        """A new connection; read-only ones have ``timeout`` as their ``statement_timeout``."""
        options = [f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"]
        if not writable:
            options.insert(0, "-c default_transaction_read_only=on")
        if timeout is not None:
            options.append(f"-c statement_timeout={max(int(timeout * 1000), 1)}")
        conn = psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user,
            password=self._password,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=USER_TABLES_APPLICATION_NAME if writable else APPLICATION_NAME,
            options=" ".join(options),
        )
        conn.read_only = not writable
        return conn

    def _connection_error(self, error: Exception) -> CatalogUnavailableError:
        assert isinstance(error, psycopg.Error)
        return CatalogUnavailableError(
            connection_failure(str(error), self.location, self.user, self._password, error.sqlstate)
        )

    def _fetch_all(self, conn: Connection, query: str, params: Params) -> list[Row]:
        return conn.execute(query, params).fetchall()

    def _error(self, error: Exception) -> SurveylabError:
        assert isinstance(error, psycopg.Error)
        return postgres_error(error)

    def _dictionary_tables(self) -> list[TableInfo]:
        """The schema's tables and views with their comments.

        Row counts are exact below ~64 MB and the planner's estimate above it (``None`` if the
        table was never analysed, and for views).
        """
        found = self._query(
            "SELECT c.relname, c.relkind, c.reltuples::bigint, pg_relation_size(c.oid), "
            "obj_description(c.oid, 'pg_class') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = ANY(%s) "
            "AND has_table_privilege(c.oid, 'SELECT') ORDER BY c.relname",
            [self.schema, list(QUERYABLE_KINDS)],
        )
        infos = []
        for relname, kind, estimate, size, comment in found:
            rows: int | None = None
            if kind in COUNTED_KINDS and size < EXACT_COUNT_MAX_BYTES:
                rows = self._count(str(relname))
            elif kind in COUNTED_KINDS and estimate >= 0:
                rows = int(estimate)
            infos.append(TableInfo(fold_name(str(relname)), str(comment or ""), rows))
        return infos

    def _count(self, relname: str) -> int:
        query = pgsql.SQL("SELECT count(*) FROM {}").format(pgsql.Identifier(self.schema, relname))
        with self._session() as conn:
            row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def _dictionary_columns(self, table: str) -> list[tuple[str, str, str]]:
        found = self._query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
            "col_description(c.oid, a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = %s AND lower(c.relname) = lower(%s) AND c.relkind = ANY(%s) "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [self.schema, table, list(QUERYABLE_KINDS)],
        )
        return [
            (fold_name(str(name)), str(datatype).upper(), str(comment or ""))
            for name, datatype, comment in found
        ]

    def tables_with_column(self, column: str) -> list[str]:
        """The schema's tables that have a column named ``column`` (any case)."""
        found = self._query(
            "SELECT DISTINCT c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = %s AND c.relkind = ANY(%s) AND a.attnum > 0 "
            "AND NOT a.attisdropped AND lower(a.attname) = lower(%s) ORDER BY 1",
            [self.schema, list(QUERYABLE_KINDS), column],
        )
        return [fold_name(str(name)) for (name,) in found]

    def user_tables(self, user_db: Path) -> UserTables:
        """The schema named after the database user (``user_db`` is not used)."""
        from ..usertables.postgres import PostgresUserTables

        return PostgresUserTables(
            self, lambda: self._connect(writable=True), self.user, self.location
        )

    def explain(self, sql: str) -> str:
        """PostgreSQL's plan of ``sql`` (``EXPLAIN``, without running it)."""
        return "\n".join(str(row[0]) for row in self._query(f"EXPLAIN {sql}"))

    def supports_export(self, format: str, compression: str | None) -> bool:
        """CSV, plain or gzip, goes through ``COPY ... TO STDOUT``."""
        return format == "csv" and compression in BULK_CSV_COMPRESSIONS

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
        """``COPY (sql) TO STDOUT WITH (FORMAT csv)`` into ``path``; see ``Catalog.export``.

        The header holds the result's column names as :meth:`execute` shows them (upper case
        for unquoted names). ``metadata`` has no place in a CSV file and is ignored.
        """
        if not self.supports_export(format, compression):
            return None
        conn = self._connect(timeout)
        guard = Guard(lambda: conn.cancel_safe(timeout=CANCEL_TIMEOUT), timeout)
        failure: SurveylabError | None = None
        rows = 0
        try:
            if on_start is not None:
                on_start(guard.cancel)
            guard.check()
            with conn.cursor() as cursor:
                cursor.execute(f"SELECT * FROM ({sql}) AS surveylab_export LIMIT 0")
                names = [fold_name(column.name) for column in cursor.description or []]
                with _open_output(path, compression) as out:
                    out.write(_csv_line(names))
                    copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
                    with cursor.copy(copy_sql) as copy:
                        for block in copy:
                            out.write(block)
                rows = cursor.rowcount
            guard.check()
        except psycopg.Error as err:
            failure = guard.error() or postgres_error(err, timeout)
        except SurveylabError as err:
            failure = err
        finally:
            guard.stop()
            conn.close()
        if failure is not None:
            path.unlink(missing_ok=True)
            raise failure
        return rows


def _csv_line(names: Sequence[str]) -> bytes:
    """A CSV header line quoted as PostgreSQL quotes its CSV."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(names)
    return text.getvalue().encode()


class _BinaryOutput(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


@contextmanager
def _open_output(path: Path, compression: str | None) -> Iterator[_BinaryOutput]:
    if compression == "gzip":
        with gzip.open(path, "wb", compresslevel=GZIP_LEVEL) as out:
            yield out
    else:
        with path.open("wb") as out:
            yield out

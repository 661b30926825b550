"""A PostgreSQL catalog (psycopg 3), one connection per query.

Every query gets its own connection, in a read-only transaction with a server-side
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
from ..models import ColumnInfo, TableInfo
from .arrow import converter_for, postgres_arrow_type, rows_to_batch
from .base import (
    BULK_CSV_COMPRESSIONS,
    DEFAULT_BATCH_ROWS,
    CancelHook,
    Guard,
    StreamingHandle,
    cancelled_message,
    fold_name,
    timeout_message,
)
from .login_errors import LoginFailure, postgres_login_failure

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


class PostgresQueryHandle(StreamingHandle):
    """A query on its own connection and server-side cursor; see ``QueryHandle``."""

    def __init__(self, conn: Connection, sql: str, timeout: float | None, batch_rows: int) -> None:
        self._conn = conn
        self._cursor: psycopg.ServerCursor[Row] | None = None
        self._batch_rows = batch_rows
        self._timeout = timeout
        super().__init__(timeout)
        failure: SurveylabError | None = None
        try:
            # DECLARE plans the query (and reports unknown tables or columns) without running it.
            self._cursor = conn.cursor(name=f"surveylab_{secrets.token_hex(8)}")
            self._cursor.execute(sql)
            description = self._cursor.description or []
        except psycopg.Error as err:
            failure = self.error_for(err)
        if failure is not None:
            self.close()
            raise failure
        fields = [
            pa.field(fold_name(c.name), postgres_arrow_type(c.type_code, c.precision, c.scale))
            for c in description
        ]
        self.schema = pa.schema(fields)
        self._converters = [converter_for(field.type) for field in fields]

    def _fetch(self) -> pa.RecordBatch | None:
        assert self._cursor is not None
        rows = self._cursor.fetchmany(self._batch_rows)
        if not rows:
            return None
        return rows_to_batch(rows, self.schema, self._converters)

    def _interrupt(self) -> None:
        self._conn.cancel_safe(timeout=CANCEL_TIMEOUT)

    def _release(self) -> None:
        # Closing the connection rolls back, closes the cursor and ends the server process.
        self._conn.close()

    def _translate(self, error: Exception) -> SurveylabError:
        if isinstance(error, psycopg.Error):
            return postgres_error(error, self._timeout)
        return QueryError(str(error))


class PostgresCatalog:
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
        if not user:
            raise CatalogUnavailableError(
                "the PostgreSQL catalog needs a database user: set SURVEYLAB_DB_USER"
            )
        self.host = host
        self.port = port
        self.dbname = dbname
        self.user = user
        self.schema = schema
        self._password = password
        self._connect().close()  # fail now, with a clear message, if it cannot work

    @property
    def location(self) -> str:
        """``host:port/dbname``, for messages."""
        return f"{self.host}:{self.port}/{self.dbname}"

    def __repr__(self) -> str:
        return f"PostgresCatalog({self.location!r}, user={self.user!r})"

    def _connect(self, timeout: float | None = None) -> Connection:
        """A new read-only connection; ``timeout`` also becomes its ``statement_timeout``."""
        options = [
            "-c default_transaction_read_only=on",
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}",
        ]
        if timeout is not None:
            options.append(f"-c statement_timeout={max(int(timeout * 1000), 1)}")
        failure: str | None = None
        try:
            conn = psycopg.connect(
                host=self.host,
                port=self.port,
                dbname=self.dbname,
                user=self.user,
                password=self._password,
                connect_timeout=CONNECT_TIMEOUT,
                application_name=APPLICATION_NAME,
                options=" ".join(options),
            )
        except psycopg.Error as err:
            failure = connection_failure(
                str(err), self.location, self.user, self._password, err.sqlstate
            )
        if failure is not None:
            # Raised here, outside the except block: the psycopg error (whose pgconn holds the
            # password) is neither the cause nor the context of what the caller sees.
            raise CatalogUnavailableError(failure)
        conn.read_only = True
        return conn

    @contextmanager
    def _session(self) -> Iterator[Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _query(self, query: str, params: Sequence[object] = ()) -> list[Row]:
        failure: SurveylabError | None = None
        with self._session() as conn:
            try:
                return conn.execute(query, params).fetchall()
            except psycopg.Error as err:
                failure = postgres_error(err)
        raise failure

    def release_name(self) -> str | None:
        """PostgreSQL catalogs record no release name; the settings give it."""
        return None

    def _has_tap_schema(self) -> bool:
        rows = self._query(
            "SELECT to_regclass('tap_schema.tables') IS NOT NULL "
            "AND to_regclass('tap_schema.columns') IS NOT NULL"
        )
        return bool(rows[0][0])

    def tables(self) -> list[TableInfo]:
        """The schema's tables and views, described from ``tap_schema`` when present.

        Row counts are exact below ~64 MB and the planner's estimate above it (``None`` if the
        table was never analysed, and for views).
        """
        descriptions: dict[str, str] = {}
        if self._has_tap_schema():
            descriptions = {
                str(name).rsplit(".", 1)[-1].upper(): str(text or "")
                for name, text in self._query(
                    "SELECT table_name, description FROM tap_schema.tables"
                )
            }
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
            name = fold_name(str(relname))
            description = descriptions.get(name.upper()) or str(comment or "")
            infos.append(TableInfo(name=name, description=description, rows=rows))
        return infos

    def _count(self, relname: str) -> int:
        query = pgsql.SQL("SELECT count(*) FROM {}").format(pgsql.Identifier(self.schema, relname))
        with self._session() as conn:
            row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` (any case), in order, with tap_schema metadata."""
        found = self._query(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
            "col_description(c.oid, a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = %s AND lower(c.relname) = lower(%s) AND c.relkind = ANY(%s) "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [self.schema, table, list(QUERYABLE_KINDS)],
        )
        if not found:
            raise QueryError(f"no table named {table!r}")
        meta: dict[str, tuple[str, str, str]] = {}
        if self._has_tap_schema():
            relname = str(found[0][0])
            meta = {
                str(name).upper(): (str(unit or ""), str(ucd or ""), str(text or ""))
                for name, unit, ucd, text in self._query(
                    "SELECT column_name, unit, ucd, description FROM tap_schema.columns "
                    "WHERE upper(table_name) IN (upper(%s), upper(%s))",
                    [relname, f"{self.schema}.{relname}"],
                )
            }
        columns = []
        for _, name, datatype, comment in found:
            unit, ucd, description = meta.get(str(name).upper(), ("", "", ""))
            columns.append(
                ColumnInfo(
                    fold_name(str(name)),
                    str(datatype).upper(),
                    unit,
                    ucd,
                    description or str(comment or ""),
                )
            )
        return columns

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

    def execute(
        self, sql: str, *, timeout: float | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> PostgresQueryHandle:
        """Start ``sql`` on a new connection; see :meth:`surveylab.catalog.Catalog.execute`."""
        return PostgresQueryHandle(self._connect(timeout), sql, timeout, batch_rows)

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

    def close(self) -> None:
        """Nothing to release: every query and metadata call has its own connection."""


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

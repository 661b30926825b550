"""An Oracle catalog (python-oracledb in thin mode: no Instant Client), DES's production engine.

The same shape as the PostgreSQL backend: one connection per query in a read-only transaction,
the result described from the cursor (:func:`~surveylab.catalog.arrow.oracle_arrow_type`) and
streamed with ``connection.fetch_df_batches`` (Arrow-compatible data frames) in blocks of
``batch_rows``. The time limit is both oracledb's ``call_timeout`` (per round trip, enforced by
the driver) and a wall-clock :class:`~surveylab.catalog.base.Guard` that calls
``connection.cancel()``. ORA and DPY errors become surveylab errors in :func:`oracle_error`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import oracledb
import pyarrow as pa

from ..errors import (
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
    SurveylabError,
)
from ..models import ColumnInfo, TableInfo
from .arrow import oracle_arrow_type
from .base import (
    DEFAULT_BATCH_ROWS,
    CancelHook,
    StreamingHandle,
    cancelled_message,
    timeout_message,
)
from .login_errors import LoginFailure, oracle_error_code, oracle_login_failure

__all__ = [
    "DEFAULT_PORT",
    "OracleCatalog",
    "OracleQueryHandle",
    "call_timeout_ms",
    "oracle_error",
    "oracle_schema",
]

DEFAULT_PORT = 1521
#: Seconds to wait for the listener when connecting.
CONNECT_TIMEOUT = 10.0
#: Errors that mean the time limit was hit: oracledb's call timeout, and the server's
#: "user requested cancel ... timeout" of a statement that exceeded its limit.
TIMEOUT_CODES = frozenset({"DPY-4024", "ORA-03156"})
#: "user requested cancel of current operation": connection.cancel() reached the server.
CANCEL_CODES = frozenset({"ORA-01013"})

#: What :class:`OracleCatalog` calls to connect (``oracledb.connect``; tests pass a fake).
ConnectFunction = Callable[..., Any]
#: A cursor description entry: (name, type, display size, internal size, precision, scale, null).
Description = Sequence[Any]


def call_timeout_ms(timeout: float | None) -> int:
    """oracledb's ``connection.call_timeout`` (milliseconds, 0 = none) for ``timeout`` seconds."""
    if timeout is None:
        return 0
    return max(int(timeout * 1000), 1)


def oracle_schema(description: Sequence[Description]) -> pa.Schema:
    """The Arrow schema of a result from its oracledb cursor description."""
    return pa.schema(
        pa.field(str(name), oracle_arrow_type(getattr(kind, "name", str(kind)), precision, scale))
        for name, kind, _, _, precision, scale, *_ in description
    )


def _error_parts(error: BaseException) -> tuple[str, str]:
    """``(full_code, message)`` of an oracledb error (``args[0]`` is its ``_Error`` object)."""
    info = error.args[0] if error.args else None
    full_code = oracle_error_code(error)
    message = str(getattr(info, "message", "") or info or error)
    lines = [line for line in message.splitlines() if line and not line.startswith("Help:")]
    return full_code, " ".join(lines)


def oracle_error(
    error: BaseException,
    *,
    timeout: float | None = None,
    where: str = "",
    password: str | None = None,
) -> SurveylabError:
    """The user's error for an oracledb error.

    Parameters
    ----------
    error : oracledb.Error
        Raised by python-oracledb; ``error.args[0].full_code`` is e.g. ``'ORA-00942'``.
    timeout : float, optional
        The query's time limit, for the message of a timeout.
    where : str, optional
        ``host:port/service`` of the catalog, for connection messages.
    password : str, optional
        Removed from any message, to be sure.
    """
    full_code, message = _error_parts(error)
    if password:
        message = message.replace(password, "***")
    place = f" at {where}" if where else ""
    if full_code in TIMEOUT_CODES:
        return QueryTimeoutError(timeout_message(timeout))
    if full_code in CANCEL_CODES:
        return QueryCancelledError(cancelled_message())
    failure = oracle_login_failure(full_code)
    if failure.refuses_account or failure is LoginFailure.PASSWORD_EXPIRING:
        return CatalogUnavailableError(
            f"cannot log in to the Oracle catalog{place}: {failure.message} ({full_code})"
        )
    if failure is LoginFailure.UNAVAILABLE:
        return CatalogUnavailableError(f"cannot reach the Oracle catalog{place}: {message}")
    return QueryError(message)


class OracleQueryHandle(StreamingHandle):
    """A query on its own Oracle connection; see ``QueryHandle``."""

    def __init__(self, conn: Any, sql: str, timeout: float | None, batch_rows: int) -> None:
        self._conn = conn
        self._sql = sql
        self._batch_rows = batch_rows
        self._timeout = timeout
        self._frames: Iterator[Any] | None = None
        super().__init__(timeout)
        failure: SurveylabError | None = None
        description: Sequence[Description] | None = None
        try:
            cursor = conn.cursor()
            try:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.parse(sql)  # describes the result without running the query
                description = cursor.description
            finally:
                cursor.close()
        except oracledb.Error as err:
            failure = self.error_for(err)
        if failure is None and not description:
            failure = QueryError("only a query that returns rows can be run")
        if failure is not None:
            self.close()
            raise failure
        assert description is not None
        self.schema = oracle_schema(description)

    def _fetch(self) -> pa.RecordBatch | None:
        if self._frames is None:
            self._frames = iter(
                self._conn.fetch_df_batches(
                    self._sql, size=self._batch_rows, requested_schema=self.described_schema
                )
            )
        for frame in self._frames:
            table = pa.table(frame)
            if table.num_rows:  # the handle gives it the schema's names and types
                return table.combine_chunks().to_batches()[0]
        return None

    def _interrupt(self) -> None:
        self._conn.cancel()

    def _release(self) -> None:
        # A connection broken by a cancel or a timeout is gone anyway.
        with contextlib.suppress(oracledb.Error):
            self._conn.close()

    def _translate(self, error: Exception) -> SurveylabError:
        return oracle_error(error, timeout=self._timeout)


class OracleCatalog:
    """A catalog on an Oracle database, in python-oracledb's thin mode.

    Parameters
    ----------
    host, port, service_name : str, int, str
        Where the catalog is (``oracle://host:port/service_name``).
    user, password : str
        The database account.
    schema : str, optional
        The owner of the release's tables (default: ``user``), e.g. ``DES_ADMIN``.
    connect : callable, optional
        Replaces ``oracledb.connect`` (tests).
    """

    backend = "oracle"
    dialect = "oracle"

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        service_name: str = "",
        user: str | None = None,
        password: str | None = None,
        *,
        schema: str | None = None,
        connect: ConnectFunction | None = None,
    ) -> None:
        if not user:
            raise CatalogUnavailableError(
                "the Oracle catalog needs a database user: set SURVEYLAB_DB_USER"
            )
        self.host = host
        self.port = port
        self.service_name = service_name
        self.user = user
        self.owner = (schema or user).upper()
        self._password = password
        self._connect_function: ConnectFunction = connect or oracledb.connect
        self._connect().close()  # fail now, with a clear message, if it cannot work

    @property
    def location(self) -> str:
        """``host:port/service_name``, for messages."""
        return f"{self.host}:{self.port}/{self.service_name}"

    def __repr__(self) -> str:
        return f"OracleCatalog({self.location!r}, user={self.user!r})"

    def _connect(self, timeout: float | None = None) -> Any:
        failure: SurveylabError | None = None
        try:
            conn = self._connect_function(
                user=self.user,
                password=self._password,
                host=self.host,
                port=self.port,
                service_name=self.service_name,
                tcp_connect_timeout=CONNECT_TIMEOUT,
            )
        except oracledb.Error as err:
            failure = oracle_error(err, where=self.location, password=self._password)
            if not isinstance(failure, CatalogUnavailableError):
                failure = CatalogUnavailableError(
                    f"cannot connect to the Oracle catalog at {self.location}: {failure}"
                )
        if failure is not None:
            raise failure  # outside the except block: no cause or context to leak
        conn.call_timeout = call_timeout_ms(timeout)
        return conn

    @contextmanager
    def _session(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _query(self, query: str, params: dict[str, object] | None = None) -> list[Any]:
        failure: SurveylabError | None = None
        with self._session() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(query, params or {})
                return list(cursor.fetchall())
            except oracledb.Error as err:
                failure = oracle_error(err)
            finally:
                cursor.close()
        raise failure

    def release_name(self) -> str | None:
        """Oracle catalogs record no release name; the settings give it."""
        return None

    def _has_tap_schema(self) -> bool:
        rows = self._query(
            "SELECT COUNT(*) FROM ALL_TABLES "
            "WHERE OWNER = 'TAP_SCHEMA' AND TABLE_NAME IN ('TABLES', 'COLUMNS')"
        )
        return int(rows[0][0]) == 2

    def tables(self) -> list[TableInfo]:
        """The owner's tables with ALL_TABLES.NUM_ROWS (``None`` if never analysed)."""
        descriptions: dict[str, str] = {}
        if self._has_tap_schema():
            descriptions = {
                str(name).rsplit(".", 1)[-1].upper(): str(text or "")
                for name, text in self._query(
                    "SELECT table_name, description FROM TAP_SCHEMA.TABLES"
                )
            }
        found = self._query(
            "SELECT t.TABLE_NAME, t.NUM_ROWS, c.COMMENTS FROM ALL_TABLES t "
            "LEFT JOIN ALL_TAB_COMMENTS c ON c.OWNER = t.OWNER AND c.TABLE_NAME = t.TABLE_NAME "
            "WHERE t.OWNER = :owner ORDER BY t.TABLE_NAME",
            {"owner": self.owner},
        )
        return [
            TableInfo(
                name=str(name),
                description=descriptions.get(str(name).upper()) or str(comment or ""),
                rows=None if rows is None else int(rows),
            )
            for name, rows, comment in found
        ]

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` from ALL_TAB_COLUMNS, with TAP_SCHEMA or column comments."""
        found = self._query(
            "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.DATA_PRECISION, c.DATA_SCALE, m.COMMENTS "
            "FROM ALL_TAB_COLUMNS c LEFT JOIN ALL_COL_COMMENTS m ON m.OWNER = c.OWNER "
            "AND m.TABLE_NAME = c.TABLE_NAME AND m.COLUMN_NAME = c.COLUMN_NAME "
            "WHERE c.OWNER = :owner AND c.TABLE_NAME = UPPER(:name) ORDER BY c.COLUMN_ID",
            {"owner": self.owner, "name": table},
        )
        if not found:
            raise QueryError(f"no table named {table!r}")
        meta: dict[str, tuple[str, str, str]] = {}
        if self._has_tap_schema():
            meta = {
                str(name).upper(): (str(unit or ""), str(ucd or ""), str(text or ""))
                for name, unit, ucd, text in self._query(
                    "SELECT column_name, unit, ucd, description FROM TAP_SCHEMA.COLUMNS "
                    "WHERE UPPER(table_name) IN (UPPER(:name), UPPER(:qualified))",
                    {"name": table, "qualified": f"{self.owner}.{table}"},
                )
            }
        columns = []
        for name, datatype, precision, scale, comment in found:
            unit, ucd, description = meta.get(str(name).upper(), ("", "", ""))
            columns.append(
                ColumnInfo(
                    str(name),
                    _oracle_type_name(str(datatype), precision, scale),
                    unit,
                    ucd,
                    description or str(comment or ""),
                )
            )
        return columns

    def tables_with_column(self, column: str) -> list[str]:
        """The owner's tables that have a column named ``column`` (any case)."""
        found = self._query(
            "SELECT DISTINCT TABLE_NAME FROM ALL_TAB_COLUMNS "
            "WHERE OWNER = :owner AND COLUMN_NAME = UPPER(:name) ORDER BY TABLE_NAME",
            {"owner": self.owner, "name": column},
        )
        return [str(name) for (name,) in found]

    def execute(
        self, sql: str, *, timeout: float | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> OracleQueryHandle:
        """Start ``sql`` on a new connection; see :meth:`surveylab.catalog.Catalog.execute`."""
        return OracleQueryHandle(self._connect(timeout), sql, timeout, batch_rows)

    def explain(self, sql: str) -> str:
        """Oracle's plan of ``sql`` (``EXPLAIN PLAN`` and ``DBMS_XPLAN.DISPLAY``)."""
        statement_id = f"surveylab_{secrets.token_hex(6)}"
        failure: SurveylabError | None = None
        with self._session() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(f"EXPLAIN PLAN SET STATEMENT_ID = '{statement_id}' FOR {sql}")
                cursor.execute(
                    "SELECT PLAN_TABLE_OUTPUT FROM TABLE(DBMS_XPLAN.DISPLAY(NULL, :id))",
                    {"id": statement_id},
                )
                lines = [str(row[0]) for row in cursor.fetchall()]
                conn.rollback()
                return "\n".join(lines)
            except oracledb.Error as err:
                failure = oracle_error(err)
            finally:
                cursor.close()
        raise failure

    def supports_export(self, format: str, compression: str | None) -> bool:
        """Oracle has no bulk export a client can use: every format streams through Arrow."""
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
        """No bulk path: always ``None``; the caller streams :meth:`execute`."""
        return None

    def close(self) -> None:
        """Nothing to release: every query and metadata call has its own connection."""


def _oracle_type_name(datatype: str, precision: object, scale: object) -> str:
    """``NUMBER(11,0)``-style type names from ALL_TAB_COLUMNS."""
    if datatype == "NUMBER" and precision is not None:
        return f"NUMBER({precision},{scale or 0})"
    return datatype

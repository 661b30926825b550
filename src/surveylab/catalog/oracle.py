"""An Oracle catalog (python-oracledb in thin mode: no Instant Client), DES's production engine.

The same shape as the PostgreSQL backend (both fill in
:class:`~surveylab.catalog.server.ServerSQLCatalog`'s hooks): one connection per query in a
read-only transaction,
the result described from the cursor (:func:`~surveylab.catalog.arrow.oracle_arrow_type`) and
streamed with ``connection.fetch_df_batches`` (Arrow-compatible data frames) in blocks of
``batch_rows``. The time limit is both oracledb's ``call_timeout`` (per round trip, enforced by
the driver) and a wall-clock :class:`~surveylab.catalog.base.Guard` that calls
``connection.cancel()``. ORA and DPY errors become surveylab errors in :func:`oracle_error`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
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
from ..models import TableInfo
from .arrow import oracle_arrow_type
from .base import cancelled_message, timeout_message
from .login_errors import LoginFailure, oracle_error_code, oracle_login_failure
from .server import Params, ServerQueryHandle, ServerSQLCatalog

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


class OracleQueryHandle(ServerQueryHandle):
    """A query on its own Oracle connection; see ``QueryHandle``."""

    driver_error = oracledb.Error
    _frames: Iterator[Any] | None = None

    def _describe(self) -> pa.Schema:
        cursor = self._conn.cursor()
        try:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.parse(self._sql)  # describes the result without running the query
            description: Sequence[Description] | None = cursor.description
        finally:
            cursor.close()
        if not description:
            raise QueryError("only a query that returns rows can be run")
        return oracle_schema(description)

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

    def _translate(self, error: Exception) -> SurveylabError:
        return oracle_error(error, timeout=self._timeout)


class OracleCatalog(ServerSQLCatalog):
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
    engine = "Oracle"
    driver_error = oracledb.Error
    query_handle = OracleQueryHandle
    tap_schema_exists_sql = (
        "SELECT CASE WHEN COUNT(*) = 2 THEN 1 ELSE 0 END FROM ALL_TABLES "
        "WHERE OWNER = 'TAP_SCHEMA' AND TABLE_NAME IN ('TABLES', 'COLUMNS')"
    )
    tap_tables_sql = "SELECT table_name, description FROM TAP_SCHEMA.TABLES"
    tap_columns_sql = (
        "SELECT column_name, unit, ucd, description FROM TAP_SCHEMA.COLUMNS "
        "WHERE UPPER(table_name) IN (UPPER(:1), UPPER(:2))"
    )

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
        self.service_name = service_name
        self.owner = (schema or user or "").upper()
        self._connect_function: ConnectFunction = connect or oracledb.connect
        super().__init__(host, port, service_name, user, password)

    @property
    def namespace(self) -> str:
        """The owner of the release's tables."""
        return self.owner

    def _open(self, timeout: float | None, writable: bool) -> Any:
        """A new connection whose ``call_timeout`` is ``timeout``; queries set their
        transaction read-only (:class:`OracleQueryHandle`)."""
        conn = self._connect_function(
            user=self.user,
            password=self._password,
            host=self.host,
            port=self.port,
            service_name=self.service_name,
            tcp_connect_timeout=CONNECT_TIMEOUT,
        )
        conn.call_timeout = call_timeout_ms(timeout)
        return conn

    def _connection_error(self, error: Exception) -> CatalogUnavailableError:
        failure = oracle_error(error, where=self.location, password=self._password)
        if isinstance(failure, CatalogUnavailableError):
            return failure
        return CatalogUnavailableError(
            f"cannot connect to the Oracle catalog at {self.location}: {failure}"
        )

    def _fetch_all(self, conn: Any, query: str, params: Params) -> list[Any]:
        cursor = conn.cursor()
        try:
            cursor.execute(query, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _error(self, error: Exception) -> SurveylabError:
        return oracle_error(error)

    def _dictionary_tables(self) -> list[TableInfo]:
        """The owner's tables with ALL_TABLES.NUM_ROWS (``None`` if never analysed)."""
        found = self._query(
            "SELECT t.TABLE_NAME, t.NUM_ROWS, c.COMMENTS FROM ALL_TABLES t "
            "LEFT JOIN ALL_TAB_COMMENTS c ON c.OWNER = t.OWNER AND c.TABLE_NAME = t.TABLE_NAME "
            "WHERE t.OWNER = :owner ORDER BY t.TABLE_NAME",
            {"owner": self.owner},
        )
        return [
            TableInfo(str(name), str(comment or ""), None if rows is None else int(rows))
            for name, rows, comment in found
        ]

    def _dictionary_columns(self, table: str) -> list[tuple[str, str, str]]:
        found = self._query(
            "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.DATA_PRECISION, c.DATA_SCALE, m.COMMENTS "
            "FROM ALL_TAB_COLUMNS c LEFT JOIN ALL_COL_COMMENTS m ON m.OWNER = c.OWNER "
            "AND m.TABLE_NAME = c.TABLE_NAME AND m.COLUMN_NAME = c.COLUMN_NAME "
            "WHERE c.OWNER = :owner AND c.TABLE_NAME = UPPER(:name) ORDER BY c.COLUMN_ID",
            {"owner": self.owner, "name": table},
        )
        return [
            (str(name), _oracle_type_name(str(datatype), precision, scale), str(comment or ""))
            for name, datatype, precision, scale, comment in found
        ]

    def tables_with_column(self, column: str) -> list[str]:
        """The owner's tables that have a column named ``column`` (any case)."""
        found = self._query(
            "SELECT DISTINCT TABLE_NAME FROM ALL_TAB_COLUMNS "
            "WHERE OWNER = :owner AND COLUMN_NAME = UPPER(:name) ORDER BY TABLE_NAME",
            {"owner": self.owner, "name": column},
        )
        return [str(name) for (name,) in found]

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


def _oracle_type_name(datatype: str, precision: object, scale: object) -> str:
    """``NUMBER(11,0)``-style type names from ALL_TAB_COLUMNS."""
    if datatype == "NUMBER" and precision is not None:
        return f"NUMBER({precision},{scale or 0})"
    return datatype

"""What every catalog backend provides, and the flow of a running query that they share.

A backend hands out one :class:`QueryHandle` per query. The handle owns the database cursor and
connection, streams the result as Arrow record batches, and can be cancelled from any thread:
the cancel reaches the database (DuckDB ``interrupt()``, PostgreSQL's cancel request, Oracle's
``connection.cancel()``). A wall-clock limit is a :class:`Guard` that cancels the same way when it
expires. :class:`StreamingHandle` is that flow; a backend only says how to fetch the next batch,
how to interrupt the database, how to release its resources and how to word its errors.
"""

from __future__ import annotations

import contextlib
import enum
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import pyarrow as pa

from ..errors import QueryCancelledError, QueryTimeoutError, SurveylabError
from ..models import ColumnInfo, TableInfo
from ..results import unique_names
from ..usertables.base import UserTables

__all__ = [
    "BULK_CSV_COMPRESSIONS",
    "DEFAULT_BATCH_ROWS",
    "CancelHook",
    "Catalog",
    "Guard",
    "QueryHandle",
    "StopReason",
    "StreamingHandle",
    "cancelled_message",
    "fold_name",
    "sql_string",
    "timeout_message",
]

#: Rows per Arrow record batch when streaming a result.
DEFAULT_BATCH_ROWS = 65_536
#: CSV compressions an engine's bulk export path may write (``None``: plain text).
BULK_CSV_COMPRESSIONS = (None, "gzip")

#: ``export(on_start=...)`` receives the function that cancels the running export.
CancelHook = Callable[[Callable[[], None]], None]

#: A lower-case name PostgreSQL made by folding an unquoted identifier.
_FOLDED_NAME = re.compile(r"^[a-z_][a-z0-9_$]*$")


def fold_name(name: str) -> str:
    """The name a user wrote unquoted, in the upper case of Oracle and DES (``ra`` -> ``RA``).

    PostgreSQL folds unquoted identifiers to lower case; showing them in upper case makes its
    tables, columns and result columns look the same as on Oracle. Names that were quoted with
    capitals or symbols (``"MyAlias"``, ``?column?``) are kept as they are.
    """
    return name.upper() if _FOLDED_NAME.match(name) else name


def sql_string(value: str) -> str:
    """``value`` as an SQL string literal (``'it''s'``)."""
    return "'" + value.replace("'", "''") + "'"


def timeout_message(timeout: float | None) -> str:
    """What a user is told when a query hit its time limit."""
    limit = f" of {timeout:g} s" if timeout is not None else ""
    return f"the query ran past its time limit{limit} and was cancelled in the database"


def cancelled_message() -> str:
    """What a user is told when a query was cancelled on request."""
    return "the query was cancelled on request"


class QueryHandle(Protocol):
    """One running query: its result schema, its batches, and a way to stop it.

    Use it as a context manager, or call :meth:`close`; closing before the end stops the query.
    """

    #: The result's Arrow schema, known before the first batch. Its column names are unique
    #: (``RA``, ``RA_2``; see :func:`surveylab.results.unique_names`).
    schema: pa.Schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Stream the result; raises QueryTimeoutError, QueryCancelledError or QueryError."""
        ...

    def reader(self) -> pa.RecordBatchReader:
        """The result as an Arrow RecordBatchReader over :meth:`batches`."""
        ...

    def cancel(self) -> None:
        """Stop the query in the database; safe to call from any thread, at any time."""
        ...

    def close(self) -> None:
        """Release the cursor and connection (idempotent)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Catalog(Protocol):
    """What every catalog backend provides.

    SQL given to :meth:`execute`, :meth:`explain` and :meth:`export` is one read-only query in the
    backend's own dialect, as :func:`surveylab.sql.prepare` returns it (``PreparedQuery.sql``).
    """

    #: Engine name shown to users: ``'duckdb'``, ``'postgresql'`` or ``'oracle'``.
    backend: str
    #: sqlglot dialect of the engine: ``'duckdb'``, ``'postgres'`` or ``'oracle'``.
    dialect: str

    def release_name(self) -> str | None:
        """The release's own name if the catalog records one."""
        ...

    def tables(self) -> list[TableInfo]:
        """The user-visible tables, with descriptions and row counts (``None`` when unknown)."""
        ...

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` with types, units, UCDs and descriptions."""
        ...

    def tables_with_column(self, column: str) -> list[str]:
        """The tables that have a column named ``column`` (case-insensitive)."""
        ...

    def execute(
        self, sql: str, *, timeout: float | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> QueryHandle:
        """Start ``sql``; the handle streams batches of at most ``batch_rows`` rows.

        Errors in the query itself (unknown table or column) are raised here as
        :class:`~surveylab.errors.QueryError`; the work happens while the batches are read, so the
        handle can be cancelled from another thread. ``timeout`` is a wall-clock limit in seconds
        from this call, enforced in the database.
        """
        ...

    def explain(self, sql: str) -> str:
        """The engine's execution plan for ``sql``, as text."""
        ...

    def supports_export(self, format: str, compression: str | None) -> bool:
        """Whether :meth:`export` has a bulk path for ``format`` with ``compression``."""
        ...

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
        """Write the result of ``sql`` to exactly ``path`` with the engine's own bulk path.

        Returns the rows written, or ``None`` (writing nothing) when the engine has no bulk path
        for ``format`` and ``compression``; the caller then streams :meth:`execute` through its
        own writers. ``metadata`` goes into the file where the format has a place for it
        (Parquet key-value metadata). Before the database starts working, ``on_start`` receives
        a function that cancels the export in the database from any thread; the export then
        raises :class:`~surveylab.errors.QueryCancelledError` (a timeout raises
        :class:`~surveylab.errors.QueryTimeoutError`) and removes the partial file.

        The file's column names are the engine's own: a result that repeats a name should be
        streamed instead, so that it gets the unique names of :attr:`QueryHandle.schema`
        (query jobs do so).
        """
        ...

    def user_tables(self, user_db: Path) -> UserTables | None:
        """The store of the user's own tables beside the release, or ``None`` if it has none.

        ``user_db`` is the user's own database file, where the backend keeps user tables in a
        file (DuckDB); server backends keep them in the database, under the user's account.
        """
        ...

    def close(self) -> None:
        """Release the catalog's connections."""
        ...


class StopReason(enum.Enum):
    """Why a query was interrupted."""

    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


#: How often an interrupted call that has not ended yet is interrupted again.
REPEAT_INTERRUPT_SECONDS = 0.2


class Guard:
    """Watches one database call: a wall-clock limit and cancel requests from any thread.

    The first of :meth:`cancel` and the expiry wins and is remembered as :attr:`reason`, so a
    backend's "interrupted" error can be reported as a timeout or as a cancel. After
    :meth:`stop` (the call is over) nothing is interrupted any more.

    Parameters
    ----------
    interrupt : callable
        Stops the call in the database (e.g. ``duckdb_connection.interrupt``).
    timeout : float, optional
        Seconds from now after which ``interrupt`` is called; ``None`` means no limit.
    """

    def __init__(self, interrupt: Callable[[], None], timeout: float | None = None) -> None:
        self.timeout = timeout
        self._interrupt = interrupt
        self._lock = threading.Lock()
        self._reason: StopReason | None = None
        self._stopped = False
        self._over = threading.Event()
        self._repeater: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        if timeout is not None:
            self._timer = threading.Timer(max(timeout, 0.0), self._stop_with, [StopReason.TIMEOUT])
            self._timer.name = "surveylab-query-timeout"
            self._timer.daemon = True
            self._timer.start()

    @property
    def reason(self) -> StopReason | None:
        """Why the call was interrupted, if it was."""
        return self._reason

    def cancel(self) -> None:
        """Interrupt the call on request (no-op once it is over)."""
        self._stop_with(StopReason.CANCELLED)

    def _stop_with(self, reason: StopReason) -> None:
        with self._lock:
            if self._stopped or self._reason is not None:
                return
            self._reason = reason
        # A failed interrupt shows when the call ends: it then runs to its end or fails.
        with contextlib.suppress(Exception):
            self._interrupt()
        # An interrupt that lands just before the database starts the statement is lost
        # (DuckDB clears it when a statement begins): repeat it until the call is over.
        repeater = threading.Thread(
            target=self._keep_interrupting, name="surveylab-query-interrupt", daemon=True
        )
        with self._lock:  # started under the lock, so that stop() joins a started thread
            if self._stopped:
                return
            self._repeater = repeater
            repeater.start()

    def _keep_interrupting(self) -> None:
        while not self._over.wait(REPEAT_INTERRUPT_SECONDS):
            with self._lock:
                if self._stopped:
                    return
            with contextlib.suppress(Exception):
                self._interrupt()

    def stop(self) -> None:
        """The call is over: stop the timer (and wait for its thread) and ignore later cancels."""
        with self._lock:
            self._stopped = True
            repeater, self._repeater = self._repeater, None
        self._over.set()
        if repeater is not None and repeater is not threading.current_thread():
            repeater.join()
        timer = self._timer
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()
            self._timer = None

    def error(self) -> SurveylabError | None:
        """The error that says why the call was interrupted, if it was."""
        if self._reason is StopReason.TIMEOUT:
            return QueryTimeoutError(timeout_message(self.timeout))
        if self._reason is StopReason.CANCELLED:
            return QueryCancelledError(cancelled_message())
        return None

    def check(self) -> None:
        """Raise the error for :attr:`reason`, if the call was interrupted."""
        error = self.error()
        if error is not None:
            raise error


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with the names and types of ``schema``, column by column in order."""
    if batch.schema.equals(schema, check_metadata=True):
        return batch
    if batch.num_columns != len(schema):
        raise SurveylabError(
            f"a result batch has {batch.num_columns} columns where {len(schema)} were announced"
        )
    columns = [
        column if column.type == field.type else column.cast(field.type)
        for column, field in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class StreamingHandle(ABC):
    """The flow of a running query shared by the backends (implements :class:`QueryHandle`).

    A subclass opens its cursor in ``__init__`` (after calling this ``__init__``, which starts
    the time limit), sets :attr:`schema` to the result as the database describes it, and
    implements :meth:`_fetch`, :meth:`_interrupt`, :meth:`_release` and :meth:`_translate`.
    Fetches and the release never overlap: ``close()`` from another thread first interrupts a
    fetch in progress, then waits for it.

    Every backend's result passes here: :attr:`schema` reads back with unique column names,
    and each fetched batch takes the schema's names and types by position, whatever names the
    database or driver gave its columns.
    """

    #: The result as the database describes it: its names may repeat (``SELECT a.RA, b.RA``).
    described_schema: pa.Schema
    _schema: pa.Schema

    @property
    def schema(self) -> pa.Schema:
        """The result's Arrow schema, with unique column names (a renamed column keeps the
        name the query gave it in its field metadata, ``original_name``)."""
        return self._schema

    @schema.setter
    def schema(self, described: pa.Schema) -> None:
        self.described_schema = described
        self._schema = unique_names(described)

    def __init__(self, timeout: float | None) -> None:
        self._guard = Guard(self._interrupt_safely, timeout)
        self._busy = threading.Lock()
        self._closed = False
        self._released = False

    # --- what a backend implements -------------------------------------------------------------

    @abstractmethod
    def _fetch(self) -> pa.RecordBatch | None:
        """The next batch, or ``None`` at the end. Called with the handle's lock held."""

    @abstractmethod
    def _interrupt(self) -> None:
        """Stop the running statement in the database. Called from any thread."""

    @abstractmethod
    def _release(self) -> None:
        """Close the cursor and the connection. Called once, with the handle's lock held."""

    @abstractmethod
    def _translate(self, error: Exception) -> SurveylabError:
        """The user's error for a database error raised while fetching."""

    # --- the flow ------------------------------------------------------------------------------

    def _interrupt_safely(self) -> None:
        if not self._released:
            self._interrupt()

    def error_for(self, error: Exception) -> SurveylabError:
        """The user's error for ``error``: a timeout or cancel if the guard interrupted."""
        return self._guard.error() or self._translate(error)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Stream the result; the handle is closed when the stream ends or is abandoned."""
        try:
            while True:
                self._guard.check()
                with self._busy:
                    if self._closed:
                        self._guard.check()
                        raise QueryCancelledError("the query was closed before its end")
                    try:
                        batch = self._fetch()
                    except SurveylabError:
                        raise
                    except Exception as err:
                        raise self.error_for(err) from None
                if batch is None:
                    return
                yield _conform(batch, self.schema)
        finally:
            self.close()

    def reader(self) -> pa.RecordBatchReader:
        """The result as a RecordBatchReader; errors come through unchanged."""
        return pa.RecordBatchReader.from_batches(self.schema, self.batches())

    def cancel(self) -> None:
        """Cancel the query in the database, from any thread."""
        self._guard.cancel()

    def close(self) -> None:
        """Stop the query if it still runs and release the cursor and the connection."""
        if self._closed and self._released:
            return
        self._closed = True
        if self._busy.locked():  # a fetch in another thread: stop it rather than wait for it
            self._guard.cancel()
        with self._busy:
            if not self._released:
                self._released = True
                self._guard.stop()
                self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

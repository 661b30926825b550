"""Running a statement so that Ctrl-C stops it in the database and keeps the shell.

The database work runs in a worker thread; the main thread waits for it in short steps, so
that Python delivers Ctrl-C (``KeyboardInterrupt``) at once. Ctrl-C then calls the running
query's cancel (DuckDB ``interrupt``, PostgreSQL's cancel request) and waits for the worker
to end, which it does with :class:`~surveylab.errors.QueryCancelledError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import QueryCancelledError

__all__ = ["CancelScope", "run_cancellable"]

T = TypeVar("T")

#: Seconds between the main thread's checks (how soon Ctrl-C is acted upon).
WAIT_STEP = 0.05


class CancelScope:
    """Where the worker puts the function that cancels what it runs; Ctrl-C calls it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel: Callable[[], None] | None = None
        self.cancelled = False

    def on_cancel(self, cancel: Callable[[], None]) -> None:
        """Register the running work's cancel (called at once if Ctrl-C came first)."""
        with self._lock:
            self._cancel = cancel
            call = self.cancelled
        if call:
            cancel()

    def cancel(self) -> None:
        """Cancel the work now, or as soon as it registers its cancel."""
        with self._lock:
            self.cancelled = True
            cancel = self._cancel
        if cancel is not None:
            cancel()


def run_cancellable(
    work: Callable[[CancelScope], T], tick: Callable[[float], None] | None = None
) -> T:
    """Run ``work`` in a worker thread and return its result; Ctrl-C cancels it.

    ``tick`` is called with the seconds elapsed while the work runs (e.g. a status line).

    Raises
    ------
    QueryCancelledError
        Ctrl-C was pressed (the work has stopped when this is raised).
    Exception
        Whatever ``work`` raised.
    """
    scope = CancelScope()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work(scope)
        except BaseException as err:
            outcome["error"] = err

    worker = threading.Thread(target=target, name="surveylab-sql-statement", daemon=True)
    started = time.monotonic()
    worker.start()
    while worker.is_alive():
        try:
            worker.join(WAIT_STEP)
            if tick is not None and worker.is_alive() and not scope.cancelled:
                tick(time.monotonic() - started)
        except KeyboardInterrupt:
            scope.cancel()
    if scope.cancelled:
        raise QueryCancelledError("cancelled (Ctrl-C): the query was stopped in the database")
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    return outcome["value"]  # type: ignore[return-value]  # set by target when no error

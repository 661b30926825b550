"""The guard of a database call: time limit and cancel, from any thread, never lost."""

from __future__ import annotations

import threading
import time

from surveylab.catalog.base import REPEAT_INTERRUPT_SECONDS, Guard, StopReason


class Statement:
    """A database statement that an interrupt stops only while it runs (as in DuckDB)."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.stopped = threading.Event()
        self.interrupts = 0

    def interrupt(self) -> None:
        self.interrupts += 1
        if self.running.is_set():
            self.stopped.set()


def test_a_cancel_before_the_statement_starts_still_stops_it() -> None:
    statement = Statement()
    guard = Guard(statement.interrupt)
    guard.cancel()  # lands before the database starts the statement: this interrupt is lost
    assert not statement.stopped.is_set()
    statement.running.set()  # the statement starts
    assert statement.stopped.wait(20 * REPEAT_INTERRUPT_SECONDS)
    assert guard.reason is StopReason.CANCELLED
    guard.stop()


def test_nothing_is_interrupted_once_the_call_is_over() -> None:
    statement = Statement()
    guard = Guard(statement.interrupt)
    guard.cancel()
    guard.stop()
    seen = statement.interrupts
    time.sleep(3 * REPEAT_INTERRUPT_SECONDS)
    assert statement.interrupts == seen
    guard.cancel()  # a late cancel: ignored
    assert statement.interrupts == seen


def test_a_timeout_also_repeats_until_the_statement_stops() -> None:
    statement = Statement()
    guard = Guard(statement.interrupt, timeout=0.05)
    time.sleep(0.2)  # the limit passed before the statement began
    statement.running.set()
    assert statement.stopped.wait(20 * REPEAT_INTERRUPT_SECONDS)
    assert guard.reason is StopReason.TIMEOUT
    guard.stop()

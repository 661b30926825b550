"""Which process runs a job: a token ``"host:pid:start"`` and a check that it still lives.

The start time (from ``/proc/<pid>/stat``, in clock ticks since boot) tells a living process
from a later one that reuses its pid, e.g. a restarted server in a container, where pids repeat.

A process on another host (a lab pod and the platform service's pod sharing one store) cannot
be seen: it proves it lives by its jobs' heartbeats, which it refreshes every
:data:`HEARTBEAT_INTERVAL`, and counts as stopped once the last is older than
:data:`HEARTBEAT_STALE`.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

__all__ = [
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_STALE",
    "process_token",
    "runner_alive",
    "runner_host",
    "this_host",
]

#: How often a runner refreshes the heartbeat of each job it has queued or running.
HEARTBEAT_INTERVAL = timedelta(seconds=30)
#: A heartbeat older than this (four missed beats) means its runner stopped.
HEARTBEAT_STALE = 4 * HEARTBEAT_INTERVAL


def this_host() -> str:
    """The name of this host, as tokens give it."""
    return socket.gethostname()


def _start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot; None if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; starttime is field 22.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_token(pid: int | None = None) -> str:
    """The token of process ``pid`` (this process by default): ``"host:pid:start"``."""
    pid = os.getpid() if pid is None else pid
    return f"{this_host()}:{pid}:{_start_ticks(pid) or '?'}"


def runner_host(token: str | None) -> str | None:
    """The host named by ``token``; None for None or a malformed token.

    >>> runner_host("lab-ada:7:1234")
    'lab-ada'
    """
    host, _, rest = (token or "").partition(":")
    pid, _, start = rest.partition(":")
    return host if host and pid.isdigit() and start else None


def runner_alive(
    token: str | None,
    *,
    last_beat: datetime | None = None,
    now: datetime | None = None,
    stale_after: timedelta = HEARTBEAT_STALE,
) -> bool:
    """Whether the process named by ``token`` still runs.

    On this host: its pid runs and started when the token says. On another host: its
    heartbeat ``last_beat`` is at most ``stale_after`` older than ``now`` (no beat, or no
    ``now``, is dead). None or a malformed token is dead.
    """
    host = runner_host(token)
    if token is None or host is None:
        return False
    if token == process_token():
        return True
    if host != this_host():
        return last_beat is not None and now is not None and now - last_beat <= stale_after
    _host, pid, start = token.split(":", 2)
    return start != "?" and _start_ticks(int(pid)) == start

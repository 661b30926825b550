"""Which process runs a job: a token ``"host:pid:start"`` and a check that it still lives.

The start time (from ``/proc/<pid>/stat``, in clock ticks since boot) tells a living process
from a later one that reuses its pid, e.g. a restarted server in a container, where pids repeat.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["process_token", "runner_alive"]


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
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or '?'}"


def runner_alive(token: str | None) -> bool:
    """Whether the process named by ``token`` still runs on this host.

    A token from another host, a malformed one or None counts as dead: a user's server runs on
    one host at a time.
    """
    if not token:
        return False
    if token == process_token():
        return True
    host, _, rest = token.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or start == "?":
        return False
    return _start_ticks(int(pid)) == start

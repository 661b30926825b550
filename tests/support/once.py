"""Session fixtures made once for a whole test run, even when pytest-xdist splits it over worker
processes (``make test`` does): the first worker to ask makes the value in a folder shared by
the workers while the others wait on a file lock, then read it back (pickled).

Without xdist this is a plain call. Only values that are files, or describe files, belong here:
nothing tied to a process (a server, a browser) can be shared this way.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

__all__ = ["made_once"]

T = TypeVar("T")


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` for a fresh folder, run once for the test run; every worker gets its
    result. A failure is not kept: the next worker to ask tries again (and fails the same way)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    result = shared / f"{name}.pickle"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if result.exists():
            value: T = pickle.loads(result.read_bytes())
            return value
        value = make(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=shared)))
        partial = result.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(result)
        return value

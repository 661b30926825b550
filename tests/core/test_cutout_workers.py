"""The cutout pool's worker processes end with the process that started them."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from surveylab.cutouts.executors import ProcessExecutor

#: A kernel in miniature: a Survey on the demo data whose cutout job starts the pool, then it
#: prints the pool's worker pids and waits to be killed (never calling ``survey.close()``).
CHILD = """
import json, multiprocessing, sys, time
from surveylab import Settings, Survey
from surveylab.cutouts import executors

executors._PARENT_DEATH_SIGNAL = sys.argv[3] == "signal"
survey = Survey(Settings(data_dir=sys.argv[1], jobs_dir=sys.argv[2], cutout_workers=2))
positions = [(323.36, -0.82), (323.548, -0.3425), (322.9, -0.9), (324.0, -0.2)]
record = survey.cutouts(positions, size=0.5, bands="i", previews=False).wait(120)
assert record.phase.value == "COMPLETED", record.error
print(json.dumps([child.pid for child in multiprocessing.active_children()]), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return not sys.platform.startswith("linux")


@pytest.mark.parametrize("how", ["signal", "polling"])
def test_workers_end_when_their_kernel_is_killed(
    demo_data_dir: Path, tmp_path: Path, how: str
) -> None:
    if how == "signal" and sys.platform != "linux":
        pytest.fail("the parent-death signal is Linux's")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(demo_data_dir), str(tmp_path / "jobs"), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        workers = json.loads(child.stdout.readline())
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # a failing run leaves no orphans behind
        os.kill(pid, signal.SIGKILL)
    assert not left, "cutout workers outlived their killed parent"


def worker_pid(_task: int) -> int:
    return os.getpid()


def test_workers_outlive_the_thread_that_started_them() -> None:
    """Linux signals a worker when the thread that forked it ends; the process goes on."""
    executor = ProcessExecutor(2)
    try:
        starter = threading.Thread(
            target=lambda: list(executor.map_unordered(worker_pid, range(8), lambda: False))
        )
        starter.start()
        starter.join(30)
        workers = [child.pid for child in multiprocessing.active_children()]
        time.sleep(0.5)  # time for the signal to arrive
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        ran_on = set(executor.map_unordered(worker_pid, range(8), lambda: False))
        assert ran_on <= set(workers)
    finally:
        executor.close()

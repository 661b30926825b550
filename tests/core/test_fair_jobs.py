"""The platform service's shared pool of job workers: users take turns, one user runs at most
``per_owner`` jobs at once, and one user's shutdown touches nobody else's work. Gates
(threading events) order the steps: nothing here waits on a clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest

from surveylab.jobs.fair import FairExecutor

WAIT = 30  # seconds: a bound on a wedged test, never reached when it passes


@pytest.fixture
def pool() -> Iterator[FairExecutor]:
    made = FairExecutor(workers=1, per_owner=1)
    yield made
    made.shutdown()


def recorder(order: list[str], name: str) -> Callable[[], None]:
    return lambda: order.append(name)


def occupy(pool: FairExecutor, owner: str, gate: threading.Event) -> Future[None]:
    """A task of ``owner`` that holds its worker until ``gate`` opens; returns once it runs."""
    started = threading.Event()

    def held() -> None:
        started.set()
        gate.wait(WAIT)

    future = pool.for_owner(owner).submit(held)
    assert started.wait(WAIT)
    return future


def test_one_users_single_job_does_not_wait_behind_anothers_hundred(pool: FairExecutor) -> None:
    gate = threading.Event()
    first = occupy(pool, "ada", gate)  # the only worker is busy
    order: list[str] = []
    ada = [pool.for_owner("ada").submit(recorder(order, f"ada-{n}")) for n in range(100)]
    bob = pool.for_owner("bob").submit(recorder(order, "bob"))
    assert pool.counts("ada") == (1, 100) and pool.counts("bob") == (0, 1)
    gate.set()
    first.result(WAIT)
    bob.result(WAIT)
    for future in ada:
        future.result(WAIT)
    assert order.index("bob") <= 1  # in the next turn, not after ada's hundred
    assert [name for name in order if name.startswith("ada")] == [f"ada-{n}" for n in range(100)]


def test_a_user_runs_at_most_per_owner_jobs_and_others_use_the_free_workers() -> None:
    pool = FairExecutor(workers=3, per_owner=2)
    gate = threading.Event()
    started = threading.Semaphore(0)

    def held() -> None:
        started.release()
        gate.wait(WAIT)

    ada = [pool.for_owner("ada").submit(held) for _ in range(4)]
    assert started.acquire(timeout=WAIT) and started.acquire(timeout=WAIT)
    assert pool.counts("ada") == (2, 2)  # the third worker is not hers
    pool.for_owner("bob").submit(lambda: None).result(WAIT)  # runs while ada's wait
    gate.set()
    for future in ada:
        future.result(WAIT)
    assert pool.counts("ada") == (0, 0)
    pool.shutdown()


def test_a_users_shutdown_drops_only_their_waiting_jobs(pool: FairExecutor) -> None:
    gate = threading.Event()
    running = occupy(pool, "ada", gate)
    waiting = pool.for_owner("ada").submit(lambda: None)
    bobs = pool.for_owner("bob").submit(lambda: None)
    pool.for_owner("ada").shutdown(wait=False)
    assert waiting.cancelled() and not bobs.cancelled()
    gate.set()
    running.result(WAIT)
    bobs.result(WAIT)


def test_a_failing_job_is_its_futures_error_and_the_worker_goes_on(pool: FairExecutor) -> None:
    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        pool.for_owner("ada").submit(fail).result(WAIT)
    pool.for_owner("ada").submit(lambda: None).result(WAIT)


def test_a_shut_pool_refuses_work_and_bad_sizes_are_refused() -> None:
    pool = FairExecutor(workers=1, per_owner=1)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        pool.for_owner("ada").submit(lambda: None)
    with pytest.raises(ValueError, match="at least 1"):
        FairExecutor(workers=0)


def test_a_users_role_may_lower_their_jobs_at_once() -> None:
    """``for_owner(owner, per_owner)``: e.g. a workshop role's ``jobs_running_per_user: 1``."""
    pool = FairExecutor(workers=3, per_owner=2)
    gate = threading.Event()
    started = threading.Semaphore(0)

    def held() -> None:
        started.release()
        gate.wait(WAIT)

    workshop = pool.for_owner("ws-01", 1)
    jobs = [workshop.submit(held) for _ in range(3)]
    assert started.acquire(timeout=WAIT)
    pool.for_owner("bob").submit(lambda: None).result(WAIT)  # a free worker stays free for others
    assert pool.counts("ws-01") == (1, 2)  # one at a time, though workers are free
    gate.set()
    for future in jobs:
        future.result(WAIT)
    pool.shutdown()
    with pytest.raises(ValueError, match="at least 1"):
        pool.for_owner("x", 0)

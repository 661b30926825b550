"""One pool of job workers shared by many users, in turns.

The platform service runs the jobs of every user of the hub. With one queue, a user who submits
a hundred jobs would hold back everyone who comes after; :class:`FairExecutor` keeps a queue per
user (an *owner*) and gives a free worker to the owners in turn, each owner running at most
``per_owner`` jobs at once. A user's single job therefore starts as soon as a worker is free,
whatever another user has queued.

Each owner sees it through :meth:`FairExecutor.for_owner`, an
:class:`~surveylab.jobs.runner.Executor` that a user's :class:`~surveylab.jobs.runner.JobRunner`
takes as its own. How many jobs a user may have queued is the runner's limit
(``settings.max_active_jobs``), checked before a job is made.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future

__all__ = ["FairExecutor", "OwnerExecutor"]

Task = tuple[Callable[[], None], "Future[None]"]


class FairExecutor:
    """``workers`` threads running the owners' tasks in turns, at most ``per_owner`` of one
    owner's at once.

    Examples
    --------
    >>> pool = FairExecutor(workers=2, per_owner=1)
    >>> pool.for_owner("ada").submit(lambda: None).result(timeout=5)
    >>> pool.shutdown()
    """

    def __init__(self, workers: int = 4, per_owner: int = 2) -> None:
        if workers < 1 or per_owner < 1:
            raise ValueError("workers and per_owner must be at least 1")
        self.workers = workers
        self.per_owner = per_owner
        self._limits: dict[str, int] = {}  # owners whose role sets their own per_owner
        self._queues: OrderedDict[str, deque[Task]] = OrderedDict()  # in turn order
        self._running: dict[str, int] = {}
        self._ready = threading.Condition()
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._work, name=f"surveylab-fair-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def for_owner(self, owner: str, per_owner: int | None = None) -> OwnerExecutor:
        """The executor of ``owner``'s jobs; ``per_owner`` (e.g. their role's) replaces the
        pool's own number of their jobs that run at once."""
        if per_owner is not None:
            if per_owner < 1:
                raise ValueError("per_owner must be at least 1")
            with self._ready:
                self._limits[owner] = per_owner
        return OwnerExecutor(self, owner)

    def counts(self, owner: str) -> tuple[int, int]:
        """How many of ``owner``'s tasks run and how many wait."""
        with self._ready:
            return self._running.get(owner, 0), len(self._queues.get(owner, ()))

    def submit(self, owner: str, fn: Callable[[], None]) -> Future[None]:
        """Queue ``fn`` as ``owner``'s; it runs in ``owner``'s turn."""
        future: Future[None] = Future()
        with self._ready:
            if self._stopped:
                raise RuntimeError("the job pool is shut down")
            self._queues.setdefault(owner, deque()).append((fn, future))
            self._ready.notify()
        return future

    def cancel_queued(self, owner: str) -> None:
        """Drop ``owner``'s waiting tasks (their futures are cancelled)."""
        with self._ready:
            for _, future in self._queues.pop(owner, deque()):
                future.cancel()

    def wait_idle(self, owner: str) -> None:
        """Return once none of ``owner``'s tasks runs."""
        with self._ready:
            self._ready.wait_for(lambda: not self._running.get(owner))

    def shutdown(self, wait: bool = True) -> None:
        """Run nothing more: waiting tasks are cancelled; with ``wait``, return once running
        ones are done."""
        with self._ready:
            self._stopped = True
            for owner in list(self._queues):
                for _, future in self._queues.pop(owner):
                    future.cancel()
            self._ready.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

    def _next(self) -> tuple[str, Task] | None:
        """The first owner in turn with a waiting task and a free slot, moved to the back of
        the turn; None if there is none. Call it holding the condition."""
        for owner, queue in self._queues.items():
            if queue and self._running.get(owner, 0) < self._limits.get(owner, self.per_owner):
                task = queue.popleft()
                if queue:
                    self._queues.move_to_end(owner)
                else:
                    del self._queues[owner]
                self._running[owner] = self._running.get(owner, 0) + 1
                return owner, task
        return None

    def _work(self) -> None:
        while True:
            with self._ready:
                picked = self._next()
                while picked is None:
                    if self._stopped:
                        return
                    self._ready.wait()
                    picked = self._next()
            owner, (fn, future) = picked
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        fn()
                    except BaseException as exc:  # the future carries it
                        future.set_exception(exc)
                    else:
                        future.set_result(None)
            finally:
                with self._ready:
                    self._running[owner] -= 1
                    if not self._running[owner]:
                        del self._running[owner]
                    self._ready.notify_all()  # a slot of this owner is free


class OwnerExecutor:
    """One owner's view of a :class:`FairExecutor`: an
    :class:`~surveylab.jobs.runner.Executor` whose shutdown drops only this owner's waiting
    tasks (the pool serves the others on)."""

    def __init__(self, pool: FairExecutor, owner: str) -> None:
        self.pool = pool
        self.owner = owner

    def submit(self, fn: Callable[[], None]) -> Future[None]:
        """Queue ``fn`` in this owner's turn."""
        return self.pool.submit(self.owner, fn)

    def shutdown(self, wait: bool = True) -> None:
        """Drop this owner's waiting tasks; with ``wait``, return once their running ones are
        done."""
        self.pool.cancel_queued(self.owner)
        if wait:
            self.pool.wait_idle(self.owner)

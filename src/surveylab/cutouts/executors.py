"""Where cutout tasks run: a local process pool by default, or a ``dask.distributed`` cluster.

Both run :func:`surveylab.cutouts.engine.run_tile_task` on picklable
:class:`~surveylab.cutouts.engine.TileTask` objects and hand back results as they complete, with
a bounded number of tasks in flight (so results, which may carry the pixels of stitched cutouts,
never pile up). The workers write the cutout files themselves, under temporary names in the job's
folder; on Dask, the workers must therefore see the job folder and the release's images at the
same paths (a shared home volume in a Kubernetes deployment with Dask Gateway).

Choose by settings: ``SURVEYLAB_DASK_SCHEDULER=tcp://host:8786`` selects :class:`DaskExecutor`,
otherwise :class:`ProcessExecutor` with ``SURVEYLAB_CUTOUT_WORKERS`` processes (0: one per core).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..errors import SurveylabError

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "CutoutExecutor",
    "DaskExecutor",
    "InlineExecutor",
    "ProcessExecutor",
    "available_cores",
    "executor_from_settings",
]

T = TypeVar("T")
R = TypeVar("R")

#: Modules the worker processes import once, when the pool starts.
_PRELOAD = ["surveylab.cutouts.engine", "astropy.io.fits", "astropy.wcs", "PIL.Image"]


class CutoutExecutor(Protocol):
    """Runs tasks somewhere and yields their results as they complete."""

    workers: int

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Sequence[T], cancelled: Callable[[], bool]
    ) -> Iterator[R]:
        """Yield ``fn(task)`` for every task, in the order they finish.

        Stops submitting when ``cancelled()`` turns true, and cancels what has not started.
        """
        ...

    def close(self) -> None:
        """Release the workers (or the connection to them)."""
        ...


def available_cores() -> int:
    """Cores this process may use (its CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class InlineExecutor:
    """Runs tasks one after another in the calling thread (tiny jobs, debugging)."""

    workers = 1

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Sequence[T], cancelled: Callable[[], bool]
    ) -> Iterator[R]:
        """Run each task in turn."""
        for task in tasks:
            if cancelled():
                return
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""


def _bounded(
    submit: Callable[[T], Future[R]],
    tasks: Sequence[T],
    in_flight: int,
    cancelled: Callable[[], bool],
) -> Iterator[R]:
    pending = list(reversed(tasks))
    running: set[Future[R]] = set()
    try:
        while pending or running:
            while pending and len(running) < in_flight and not cancelled():
                running.add(submit(pending.pop()))
            if not running:
                return
            finished, running = concurrent.futures.wait(
                running, timeout=0.5, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                yield future.result()
            if cancelled():
                pending.clear()
    finally:
        for future in running:
            future.cancel()


#: Linux's ``prctl`` option: send the calling process a signal when its parent's thread ends.
_PR_SET_PDEATHSIG = 1
#: Whether workers ask the kernel for a signal when their parent dies (else they poll).
_PARENT_DEATH_SIGNAL = sys.platform == "linux"
#: Seconds between a worker's checks that its parent lives, when it polls.
_PARENT_CHECK_SECONDS = 0.5


def _end_with_parent(parent: int) -> None:
    """Pool initializer: end this worker as soon as ``parent``, the process that started the
    pool, is gone (killed without ``close()``, say), instead of waiting for work forever.

    On Linux the kernel signals the worker when the *thread* that started it ends (which may
    happen while the process goes on), so the signal's handler checks the parent first.
    Elsewhere a thread polls ``os.getppid()``.
    """

    def end_if_orphaned(*_: object) -> None:
        if os.getppid() != parent:
            os._exit(1)

    if _PARENT_DEATH_SIGNAL:
        signal.signal(signal.SIGUSR1, end_if_orphaned)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGUSR1, 0, 0, 0) == 0:
            end_if_orphaned()  # the parent may have died before the signal was asked for
            return

    def watch() -> None:
        while True:
            end_if_orphaned()
            time.sleep(_PARENT_CHECK_SECONDS)

    threading.Thread(target=watch, name="surveylab-parent-watch", daemon=True).start()


class ProcessExecutor:
    """A pool of worker processes on this machine, started on first use and then kept.

    The pool uses the ``fork`` start method where there is one, as the demo generator does:
    workers start at once with the engine already imported, and unlike ``spawn`` or
    ``forkserver`` they never re-run the caller's ``__main__`` (an unguarded script or notebook
    would otherwise start again in every worker). They run only numpy, astropy and Pillow on
    their arguments, and end by themselves when the process that started them dies (a kernel
    killed without :meth:`close`).

    Parameters
    ----------
    workers : int
        Worker processes; 0 means one per available core.
    """

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or available_cores()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                for module in _PRELOAD:  # imported before the fork, never in a worker
                    importlib.import_module(module)
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
                with warnings.catch_warnings():
                    # Python >= 3.12 warns about fork() in a multi-threaded process; the workers
                    # run only numpy, astropy and Pillow on their arguments.
                    warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
                    self._pool = ProcessPoolExecutor(
                        self.workers,
                        mp_context=context,
                        initializer=_end_with_parent,
                        initargs=(os.getpid(),),
                    )
            return self._pool

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Sequence[T], cancelled: Callable[[], bool]
    ) -> Iterator[R]:
        """Run the tasks in the pool, at most two per worker in flight."""
        if len(tasks) <= 1:  # not worth a trip to another process
            yield from InlineExecutor().map_unordered(fn, tasks, cancelled)
            return
        pool = self._get_pool()
        try:
            yield from _bounded(
                lambda task: pool.submit(fn, task), tasks, 2 * self.workers, cancelled
            )
        except concurrent.futures.process.BrokenProcessPool:
            with self._lock:
                self._pool = None  # start afresh next time
            raise SurveylabError(
                "a cutout worker process died (out of memory?); try fewer or smaller cutouts"
            ) from None

    def ping(self, timeout: float) -> bool:
        """Whether the pool has started; if it has, a trivial task must come back from a
        worker within ``timeout`` seconds (else ``TimeoutError``, or the pool's error)."""
        with self._lock:
            pool = self._pool
        if pool is None:
            return False
        try:
            pool.submit(os.getpid).result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f"no cutout worker process answered within {timeout:g} s (all busy?)"
            ) from None
        except concurrent.futures.process.BrokenProcessPool:
            raise SurveylabError(
                "a cutout worker process died; the pool restarts on next use"
            ) from None
        return True

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a ``dask.distributed`` cluster (a LocalCluster, or Dask Gateway on Kubernetes).

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://127.0.0.1:8786``.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Any = None
        self._lock = threading.Lock()
        self.workers = 1

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    from distributed import Client
                except ImportError:  # pragma: no cover - a dependency
                    raise SurveylabError(
                        "SURVEYLAB_DASK_SCHEDULER is set but dask.distributed is not installed"
                    ) from None
                try:
                    self._client = Client(self.address, set_as_default=False, timeout=30)  # type: ignore[no-untyped-call]  # distributed is untyped
                except OSError as err:
                    raise SurveylabError(
                        f"cannot reach the Dask scheduler at {self.address}: {err}"
                    ) from None
            self.workers = max(1, sum(self._client.nthreads().values()))
            return self._client

    def scheduler_workers(self) -> int:
        """The workers the scheduler knows now (connecting first if need be)."""
        info = self._get_client().scheduler_info()
        return len(info.get("workers", {}))

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Sequence[T], cancelled: Callable[[], bool]
    ) -> Iterator[R]:
        """Run the tasks on the cluster, at most two per worker thread in flight."""
        from distributed import as_completed

        client = self._get_client()
        pending = list(reversed(tasks))
        limit = 2 * self.workers
        first = [
            client.submit(fn, pending.pop(), pure=False) for _ in range(min(limit, len(pending)))
        ]
        running = as_completed(first, loop=client.loop)  # type: ignore[no-untyped-call]
        try:
            for future in running:
                result = future.result()
                future.release()
                if cancelled():
                    pending.clear()
                elif pending:
                    running.add(client.submit(fn, pending.pop(), pure=False))  # type: ignore[no-untyped-call]
                yield result
        finally:
            for future in list(running.futures):
                future.cancel()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster goes on)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def executor_from_settings(settings: Settings) -> CutoutExecutor:
    """Dask when ``settings.dask_scheduler`` is set, else the local process pool."""
    if settings.dask_scheduler:
        return DaskExecutor(settings.dask_scheduler)
    return ProcessExecutor(settings.cutout_workers)

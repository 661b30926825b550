"""Running jobs: work functions, the context they get, executors and the runner.

A *work function* takes a :class:`JobContext` and does the job: it reports progress, checks
:meth:`JobContext.cancelled`, writes results to :meth:`JobContext.result_path` and publishes them.
It raises on failure: :class:`~surveylab.errors.QueryCancelledError` makes the job ABORTED, a
:class:`~surveylab.errors.SurveylabError` makes it ERROR with its message, and any other
exception makes it ERROR with ``"internal error: <type>"`` (the traceback goes to the job log).

:class:`JobRunner` queues jobs on an :class:`Executor` (a bounded local thread pool by default;
Dask or Kubernetes later) and moves them through the UWS phases::

    PENDING -> QUEUED -> EXECUTING -> COMPLETED | ERROR | ABORTED
                     \\-> ABORTED (cancelled while queued: never runs)
"""

from __future__ import annotations

import concurrent.futures
import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from surveylab.errors import (
    JobLimitError,
    JobNotFoundError,
    QueryCancelledError,
    SurveylabError,
)

from ._process import HEARTBEAT_INTERVAL, process_token
from .errors import JobStateError
from .models import Job, Phase, ResultFile
from .notify import EmailNotifier, Notifier
from .store import JobStore
from .validation import check_email

if TYPE_CHECKING:
    from surveylab.settings import Settings

__all__ = ["Executor", "JobContext", "JobRunner", "LocalExecutor", "WorkFunction"]

logger = logging.getLogger(__name__)

_UNFINISHED = frozenset({Phase.PENDING, Phase.QUEUED, Phase.EXECUTING})
_STOPPED = "cancelled: the server stopped"


class JobContext:
    """What a work function gets: its job, progress reporting, cancellation and result files.

    Parameters
    ----------
    store : JobStore
        The store that holds the job.
    job : Job
        The job as it started.
    progress_interval : float
        Progress is written to the record at most once per this many seconds (the last
        values are always written when the job ends).
    """

    def __init__(self, store: JobStore, job: Job, *, progress_interval: float = 0.5) -> None:
        self.store = store
        self._job = job
        self._interval = progress_interval
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._pending: dict[str, Any] = {}
        self._last_write = -math.inf
        self.started = False
        self.cancel_reason: str | None = None

    @property
    def job(self) -> Job:
        """The job as it was when the work started (a snapshot; ``store.get`` reads it anew)."""
        return self._job

    @property
    def id(self) -> str:
        """The job's id."""
        return self._job.id

    # --- progress and log ---------------------------------------------------------------------

    def progress(
        self,
        *,
        rows: int | None = None,
        fraction: float | None = None,
        message: str | None = None,
        defer: bool = False,
    ) -> None:
        """Report progress: rows written so far, fraction done (0 to 1), a short text.

        With ``defer``, the values wait for the next record write (e.g. :meth:`publish_many`'s)
        instead of being written now when due.
        """
        changes: dict[str, Any] = {}
        if rows is not None:
            if rows < 0:
                raise ValueError("rows must be 0 or more")
            changes["rows"] = int(rows)
        if fraction is not None:
            if not math.isfinite(fraction):
                raise ValueError("fraction must be a finite number")
            changes["progress"] = min(1.0, max(0.0, float(fraction)))
        if message is not None:
            changes["message"] = str(message)
        with self._lock:
            self._pending.update(changes)
            due = not defer and time.monotonic() - self._last_write >= self._interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the progress not yet written to the job record."""
        with self._lock:
            changes, self._pending = self._pending, {}
            self._last_write = time.monotonic()
            if changes:
                self.store.update(self.id, **changes)

    def log(self, message: str) -> None:
        """Append a timestamped line to the job log. Never log credentials."""
        self.store.log(self.id, message)

    # --- cancellation -------------------------------------------------------------------------

    def cancelled(self) -> bool:
        """Whether the job was cancelled; a work function checks it between steps."""
        return self._cancelled.is_set()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once when the job is cancelled (at once if it already is).

        For what stops the work from outside, e.g. the query's cancel in the database. It
        runs in the thread that cancels, so it must be quick and thread-safe.
        """
        with self._lock:
            if not self._cancelled.is_set():
                self._callbacks.append(callback)
                return
        self._call(callback)

    def _cancel(self, reason: str) -> list[Callable[[], None]]:
        """Set the cancel flag; return the callbacks to call (only the first time)."""
        with self._lock:
            if self._cancelled.is_set():
                return []
            self.cancel_reason = reason
            self._cancelled.set()
            callbacks, self._callbacks = self._callbacks, []
        return callbacks

    def _call(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception as exc:
            self.log(f"a cancel callback failed: {type(exc).__name__}: {exc}")

    # --- results ------------------------------------------------------------------------------

    def input_path(self, name: str) -> Path:
        """The path of input file ``name`` given when the job was created."""
        return self.store.input_path(self.id, name)

    def result_path(self, name: str) -> Path:
        """A hidden temporary path where result ``name`` is written; see :meth:`publish`."""
        return self.store.temp_path(self.id, name)

    def result_namer(self) -> Callable[[str], str]:
        """:meth:`result_path` for many results, as strings (the job folder is checked once)."""
        return self.store.temp_namer(self.id)

    def publish(
        self,
        temp: Path,
        name: str,
        *,
        format: str | None = None,
        rows: int | None = None,
    ) -> ResultFile:
        """Rename the complete file ``temp`` to ``name`` and list it among the job's results."""
        return self.store.publish(self.id, temp, name, format=format, rows=rows)

    def publish_many(self, items: Iterable[tuple[Path | str, str, str | None]]) -> list[ResultFile]:
        """:meth:`publish` for many ``(temp, name, format)`` files, in one record update.

        Progress reported but not yet written goes into the same update.
        """
        with self._lock:
            changes, self._pending = self._pending, {}
            self._last_write = time.monotonic()
            try:
                return self.store.publish_many(self.id, items, **changes)
            except BaseException:
                self._pending = {**changes, **self._pending}
                raise


#: A function that does one type of job; it raises on failure.
WorkFunction = Callable[[JobContext], None]


class Executor(Protocol):
    """Where jobs run: a local thread pool, and later Dask or Kubernetes Jobs."""

    def submit(self, fn: Callable[[], None]) -> Future[None]:
        """Run ``fn`` some time soon; its future resolves when it returns."""
        ...

    def shutdown(self, wait: bool = True) -> None:
        """Run nothing more; with ``wait``, return once running work is done."""
        ...


class LocalExecutor:
    """A bounded pool of threads in this process (``settings.job_workers``).

    Query work is I/O and C code that releases the GIL, so threads suffice.
    """

    def __init__(self, max_workers: int = 2) -> None:
        self.max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="surveylab-job")

    def submit(self, fn: Callable[[], None]) -> Future[None]:
        """Queue ``fn`` on the pool."""
        return self._pool.submit(fn)

    def shutdown(self, wait: bool = True) -> None:
        """Drop queued work and stop the pool."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _outcome(ctx: JobContext, exc: Exception | None) -> tuple[Phase, str | None]:
    """The final phase and error of a job whose work returned (``exc`` None) or raised."""
    if ctx.cancelled() or isinstance(exc, QueryCancelledError):
        return Phase.ABORTED, None
    if exc is None:
        return Phase.COMPLETED, None
    if isinstance(exc, SurveylabError):
        return Phase.ERROR, str(exc) or type(exc).__name__
    return Phase.ERROR, f"internal error: {type(exc).__name__}"


def _summary(job: Job) -> str:
    if job.phase is Phase.COMPLETED:
        seconds = job.execution_seconds or 0.0
        return f"COMPLETED: {job.rows:,} rows, {len(job.files)} file(s) in {seconds:.2f} s"
    if job.phase is Phase.ERROR:
        return f"ERROR: {job.error}"
    return f"ABORTED: {job.message}"


class JobRunner:
    """Submits, runs, cancels and waits for jobs of a :class:`JobStore`.

    Parameters
    ----------
    store : JobStore
        Where the jobs live.
    work : mapping of str to WorkFunction
        The job types this runner knows, e.g. ``{"query": run_query}``.
    executor : Executor, optional
        Where the work runs; a :class:`LocalExecutor` with 2 threads by default.
    max_active : int
        How many jobs may be QUEUED or EXECUTING at once in the store (the user's cap).
    notifier : Notifier, optional
        Told when a job it ran completes or fails (e.g. :class:`EmailNotifier`).
    progress_interval : float
        Seconds between progress writes to a job's record.
    poll_interval : float
        Seconds between checks for cancel requests left by other processes.
    heartbeat_interval : timedelta
        How often the runner refreshes the heartbeat of each job it has (:meth:`heartbeat`),
        by the store's clock; keep it well under the store's ``heartbeat_stale``.

    Examples
    --------
    >>> def hello(ctx):
    ...     path = ctx.result_path("hello.txt")
    ...     path.write_text("hello")
    ...     ctx.publish(path, "hello.txt", format="text")
    >>> runner = JobRunner(JobStore(tmp / "jobs"), {"hello": hello})  # doctest: +SKIP
    >>> job = runner.submit("hello", parameters={})  # doctest: +SKIP
    >>> runner.wait(job.id).phase  # doctest: +SKIP
    <Phase.COMPLETED: 'COMPLETED'>
    """

    def __init__(
        self,
        store: JobStore,
        work: Mapping[str, WorkFunction],
        *,
        executor: Executor | None = None,
        max_active: int = 4,
        notifier: Notifier | None = None,
        progress_interval: float = 0.5,
        poll_interval: float = 1.0,
        heartbeat_interval: timedelta = HEARTBEAT_INTERVAL,
    ) -> None:
        self.store = store
        self._work = dict(work)
        self._executor: Executor = executor or LocalExecutor()
        self.max_active = max_active
        self.notifier = notifier
        self.progress_interval = progress_interval
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self._token = process_token()
        self._last_beat: datetime | None = None
        self._lock = threading.RLock()
        self._contexts: dict[str, JobContext] = {}
        self._futures: dict[str, Future[None]] = {}
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        work: Mapping[str, WorkFunction],
        *,
        executor: Executor | None = None,
        notifier: Notifier | None = None,
    ) -> JobRunner:
        """A runner over ``settings.jobs_dir`` with the settings' lifetime, workers, cap, SMTP."""
        lifetime = timedelta(days=settings.job_lifetime_days)
        return cls(
            JobStore(settings.jobs_dir, lifetime=lifetime),
            work,
            executor=executor or LocalExecutor(settings.job_workers),
            max_active=settings.max_active_jobs,
            notifier=notifier or EmailNotifier.from_settings(settings),
        )

    @property
    def types(self) -> list[str]:
        """The job types this runner knows, sorted."""
        return sorted(self._work)

    @property
    def accepting(self) -> bool:
        """Whether the runner still takes jobs (false once :meth:`shutdown` began)."""
        return not self._stopping.is_set()

    # --- submitting ---------------------------------------------------------------------------

    def submit(
        self,
        type: str,
        *,
        name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        email: str | None = None,
        inputs: Mapping[str, bytes] | None = None,
    ) -> Job:
        """Create a job of ``type`` and queue it; return it (QUEUED).

        Parameters
        ----------
        type : str
            One of :attr:`types`.
        name : str, optional
            The user's name for the job.
        parameters : mapping, optional
            What the work function needs; never credentials (refused).
        email : str, optional
            Where to send an e-mail when the job completes or fails; stored as
            ``parameters["email"]``.
        inputs : mapping, optional
            Files the work reads, by name (e.g. a TAP upload), kept in the job's folder
            (:meth:`JobContext.input_path`).

        Raises
        ------
        SurveylabError
            For an unknown type, a bad name, e-mail or parameters, or a runner shutting down.
        JobLimitError
            If the user already has ``max_active`` jobs queued or running.
        """
        work = self._work_for(type)
        params = _with_email(dict(parameters or {}), email)
        with self._lock:
            self._refuse_new_work()
            job = self.store.create(type, name, params, inputs=inputs)
            job = self._queue(job, work)
        self._ensure_watcher()
        return job

    def create(
        self,
        type: str,
        *,
        name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        inputs: Mapping[str, bytes] | None = None,
    ) -> Job:
        """Create a job of ``type`` that waits, PENDING, for :meth:`start` (a UWS job before
        ``PHASE=RUN``); arguments as :meth:`submit`. A PENDING job does not count against the
        user's limit of active jobs, and no runner claims it until it starts."""
        self._work_for(type)
        checked = _with_email(dict(parameters or {}), None)
        return self.store.create(type, name, checked, inputs=inputs)

    def reject(
        self,
        type: str,
        *,
        name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        error: str,
    ) -> Job:
        """Record a job of ``type`` that failed before it could run (UWS: a job is created for
        every request, and a bad query ends it in ERROR with the reason)."""
        self._work_for(type)
        job = self.store.create(type, name, _with_email(dict(parameters or {}), None))
        job = self.store.update(
            job.id, phase=Phase.ERROR, ended=self.store.now(), error=error, message="failed"
        )
        self.store.log(job.id, f"ERROR: {error}")
        return job

    def start(self, job_id: str) -> Job:
        """Queue the PENDING job ``job_id`` (UWS ``PHASE=RUN``); a job already started or ended
        is returned as it is.

        Raises
        ------
        JobLimitError
            If the user already has ``max_active`` jobs queued or running.
        """
        job = self.store.get(job_id)
        if job.phase is not Phase.PENDING:
            return job
        work = self._work_for(job.type)
        with self._lock:
            self._refuse_new_work()
            try:
                job = self._queue(job, work)
            except JobStateError:  # started, or aborted, meanwhile
                return self.store.get(job_id)
        self._ensure_watcher()
        return job

    def _refuse_new_work(self) -> None:
        """Raise unless a new job may be queued now: the runner runs and the user is under
        the limit of active jobs. Call it holding the lock."""
        if self._stopping.is_set():
            raise SurveylabError("the job runner is shutting down; try again in a moment")
        self._check_limit()

    def _queue(self, job: Job, work: WorkFunction) -> Job:
        """Claim the PENDING ``job``, mark it QUEUED and hand it to the executor; the first
        heartbeat is written before the claim, so no other host finds it orphaned. Call it
        holding the lock."""
        self.store.beat(job.id, self._token)
        job = self.store.update(
            job.id,
            expect=(Phase.PENDING,),
            runner=self._token,
            phase=Phase.QUEUED,
            message="queued",
        )
        self.store.log(job.id, "queued")
        ctx = JobContext(self.store, job, progress_interval=self.progress_interval)
        self._contexts[job.id] = ctx
        try:
            self._futures[job.id] = self._executor.submit(partial(self._run, ctx, work))
        except Exception as exc:
            self._contexts.pop(job.id, None)
            self._fail_submit(job.id, exc)
        return job

    def _fail_submit(self, job_id: str, exc: Exception) -> None:
        error = f"the executor refused the job: {type(exc).__name__}: {exc}"
        self.store.update(job_id, phase=Phase.ERROR, ended=self.store.now(), error=error)
        self.store.log(job_id, f"ERROR: {error}")
        raise SurveylabError(error) from exc

    def _work_for(self, job_type: str) -> WorkFunction:
        try:
            return self._work[job_type]
        except KeyError:
            known = ", ".join(self.types) or "none"
            raise SurveylabError(
                f"unknown job type {job_type!r}: the known types are {known}"
            ) from None

    def _check_limit(self) -> None:
        self.store.recover()
        active = self.store.active()
        if len(active) >= self.max_active:
            running = sum(job.phase is Phase.EXECUTING for job in active)
            jobs = "job" if running == 1 else "jobs"
            raise JobLimitError(
                f"you have {running} {jobs} running and {len(active) - running} queued, as many "
                f"as you may have at once ({self.max_active}); wait for one to finish or "
                "cancel one"
            )

    # --- running ------------------------------------------------------------------------------

    def _run(self, ctx: JobContext, work: WorkFunction) -> None:
        """The executor's task: start, execute, finish and notify; never raises."""
        try:
            if not self._start(ctx):
                return
            try:
                work(ctx)
            except Exception as exc:
                failure: Exception | None = exc
                self._log_failure(ctx, exc)
            else:
                failure = None
            job = self._finish(ctx, *_outcome(ctx, failure))
            self._notify(job)
        except Exception:
            logger.exception("surveylab job %s: the runner failed", ctx.id)
        finally:
            with self._lock:
                self._contexts.pop(ctx.id, None)
                self._futures.pop(ctx.id, None)

    def _start(self, ctx: JobContext) -> bool:
        """Move the job to EXECUTING, unless it was cancelled while queued or we stop."""
        if self.store.cancel_requested(ctx.id):
            self.cancel(ctx.id)
        with self._lock:
            if self._stopping.is_set() and not ctx.cancelled():
                self.cancel(ctx.id, _STOPPED)
            if ctx.cancelled():
                return False
            ctx.started = True
            ctx._job = self.store.update(
                ctx.id, phase=Phase.EXECUTING, started=self.store.now(), message="running"
            )
        self.store.log(ctx.id, "started")
        return True

    @staticmethod
    def _log_failure(ctx: JobContext, exc: Exception) -> None:
        if ctx.cancelled() or isinstance(exc, QueryCancelledError):
            ctx.log(f"cancelled: {exc}")
        elif isinstance(exc, SurveylabError):
            ctx.log(f"failed: {exc}")
        else:
            trace = "".join(traceback.format_exception(exc))
            ctx.log(f"internal error: {type(exc).__name__}: {exc}\n{trace}")
            logger.error("surveylab job %s failed", ctx.id, exc_info=exc)

    def _finish(self, ctx: JobContext, phase: Phase, error: str | None) -> Job:
        ctx.flush()
        self.store.discard_temp(ctx.id)
        changes: dict[str, Any] = {"phase": phase, "ended": self.store.now(), "error": error}
        if phase is Phase.COMPLETED:
            changes.update(progress=1.0, message="completed")
        elif phase is Phase.ERROR:
            changes["message"] = "failed"
        else:
            changes["message"] = ctx.cancel_reason or "cancelled"
        job = self.store.update(ctx.id, **changes)
        self.store.log(ctx.id, _summary(job))
        return job

    def _notify(self, job: Job) -> None:
        if self.notifier is None:
            return
        try:
            line = self.notifier.job_finished(job)
        except SurveylabError as exc:
            self.store.log(job.id, f"notification failed: {exc}")
        except Exception as exc:
            self.store.log(job.id, f"notification failed: internal error: {type(exc).__name__}")
            logger.warning("surveylab job %s: notification failed", job.id, exc_info=exc)
        else:
            if line:
                self.store.log(job.id, line)

    # --- cancelling, waiting, deleting --------------------------------------------------------

    def cancel(self, job_id: str, reason: str = "cancelled on request") -> Job:
        """Cancel job ``job_id`` and return its record.

        A QUEUED or PENDING job becomes ABORTED at once and never runs. A running job gets its
        cancel flag set and its ``on_cancel`` callbacks called (e.g. the query's cancel in the
        database); it becomes ABORTED when its work returns or raises (:meth:`wait` for it).
        A job run by another living process gets a cancel request that process acts on
        within ``poll_interval``. A job that has already ended is returned unchanged.

        The callbacks run in the calling thread: call this off an event loop.
        """
        job = self.store.get(job_id)
        if job.is_final:
            return job
        with self._lock:
            ctx = self._contexts.get(job_id)
            callbacks = [] if ctx is None else ctx._cancel(reason)
            if ctx is not None and not ctx.started:
                future = self._futures.get(job_id)
                if future is None or future.cancel():  # else _run will see the flag and skip
                    self._contexts.pop(job_id, None)
                    self._futures.pop(job_id, None)
                return self._abort_now(job_id, reason)
        if ctx is not None:
            self.store.log(job_id, f"{reason}: stopping the work")
            for callback in callbacks:
                ctx._call(callback)
            return self.store.get(job_id)
        return self._cancel_elsewhere(job, reason)

    def _abort_now(self, job_id: str, reason: str) -> Job:
        try:
            job = self.store.update(
                job_id,
                expect=_UNFINISHED,
                phase=Phase.ABORTED,
                ended=self.store.now(),
                message=reason,
            )
        except JobStateError:
            return self.store.get(job_id)
        self.store.log(job_id, f"ABORTED: {reason}")
        return job

    def _cancel_elsewhere(self, job: Job, reason: str) -> Job:
        """Cancel a job this runner does not run."""
        if job.phase is Phase.PENDING or not self.store.runner_alive(job):
            return self._abort_now(job.id, reason)
        self.store.request_cancel(job.id)
        self.store.log(job.id, f"cancel requested: {reason}")
        return self.store.get(job.id)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Wait until job ``job_id`` ends, or ``timeout`` seconds pass; return its record.

        As UWS's blocking ``WAIT``: after a timeout the job is returned as it is.
        """
        job = self.store.get(job_id)
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            concurrent.futures.wait([future], timeout=timeout)
            return self.store.get(job_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.02
        while not job.is_final and (deadline is None or time.monotonic() < deadline):
            time.sleep(delay if deadline is None else min(delay, deadline - time.monotonic()))
            delay = min(delay * 2, 0.5)
            job = self.store.get(job_id)
        return job

    def delete(self, job_id: str, timeout: float = 30.0) -> None:
        """Cancel job ``job_id`` if it runs, wait up to ``timeout`` s for it to stop, delete it.

        Raises
        ------
        JobStateError
            If the job still runs after ``timeout`` seconds.
        """
        try:
            job = self.store.get(job_id)
        except JobStateError:  # an unreadable record: nothing runs it
            self.store.delete(job_id)
            return
        if not job.is_final:
            self.cancel(job_id)
            self.wait(job_id, timeout)
        self.store.delete(job_id)

    # --- background upkeep and shutdown -------------------------------------------------------

    def _ensure_watcher(self) -> None:
        with self._lock:
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(
                    target=self._watch, name="surveylab-job-watcher", daemon=True
                )
                self._watcher.start()

    def heartbeat(self) -> None:
        """Refresh the heartbeat of every job this runner has queued or running, if
        ``heartbeat_interval`` has passed since the last (the watcher calls it every poll)."""
        now = self.store.now()
        last = self._last_beat
        if last is not None and timedelta(0) <= now - last < self.heartbeat_interval:
            return
        self._last_beat = now
        with self._lock:
            job_ids = list(self._contexts)
        for job_id in job_ids:
            try:
                self.store.beat(job_id, self._token)
            except (JobNotFoundError, OSError):  # deleted meanwhile
                continue

    def _watch(self) -> None:
        """Keep the heartbeats of this runner's jobs fresh, and act on cancel requests other
        processes leave for them."""
        while not self._stopping.wait(self.poll_interval):
            self.heartbeat()
            with self._lock:
                running = [i for i, ctx in self._contexts.items() if not ctx.cancelled()]
            for job_id in running:
                try:
                    if self.store.cancel_requested(job_id):
                        self.cancel(job_id)
                except (JobNotFoundError, JobStateError):
                    continue

    def shutdown(self, wait: bool = True, *, cancel: bool = True) -> None:
        """Stop the runner: refuse new jobs, abort queued ones, cancel running ones, stop.

        Call it when the server stops. Queued jobs become ABORTED and never start. With
        ``cancel=False`` running jobs go on (one still running when the process exits is
        marked ERROR by the next :meth:`recover`).
        """
        with self._lock:
            self._stopping.set()  # from now on no queued job starts
            contexts = list(self._contexts.values())
        for ctx in contexts:
            if cancel or not ctx.started:
                try:
                    self.cancel(ctx.id, _STOPPED)
                except SurveylabError:
                    continue
        self._executor.shutdown(wait=wait)
        if self._watcher is not None:
            self._watcher.join(timeout=5)


def _with_email(parameters: dict[str, Any], email: str | None) -> dict[str, Any]:
    if email is not None:
        parameters["email"] = email
    if parameters.get("email") is None:
        parameters.pop("email", None)
    else:
        parameters["email"] = check_email(parameters["email"])
    return parameters

"""Whether each part of the platform answers, checked live: the lab's status item.

Each part has one check: the catalog database (a trivial query), the job runner (alive, with
its queued and running jobs), the cutout executor (the local process pool or the Dask
scheduler), the hub (``GET /hub/api/`` with the lab's token) and the platform service (a
request with the lab's token). A check runs in a thread of its own with a time limit, so one
part that hangs cannot hang the report; while it still hangs, the next report says so without
starting another. Each result is a :class:`PartStatus`; :meth:`StatusChecker.report` gathers
them into a :class:`StatusReport`.

This module imports no Jupyter code.

Examples
--------
>>> from surveylab import Survey
>>> report = Survey().status()  # doctest: +SKIP
>>> [(part.name, part.state.value) for part in report.parts]  # doctest: +SKIP
[('catalog', 'ok'), ('jobs', 'ok'), ('cutouts', 'ok'), ('hub', 'off'), ('platform', 'off')]
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .catalog import Catalog
    from .cutouts import CutoutExecutor
    from .jobs import JobRunner
    from .platform import PlatformClient

__all__ = [
    "PART_LABELS",
    "Observation",
    "PartState",
    "PartStatus",
    "StatusChecker",
    "StatusReport",
    "StatusSource",
]

#: Seconds a check may take before its part is reported down.
CHECK_TIMEOUT = 5.0
#: Seconds past which a part that answers is reported degraded (slow).
SLOW_SECONDS = 2.0

#: What the lab calls each part, by name, in the order of the report.
PART_LABELS: dict[str, str] = {
    "catalog": "catalog database",
    "jobs": "job runner",
    "cutouts": "cutout executor",
    "hub": "hub",
    "platform": "platform service",
}


class PartState(enum.StrEnum):
    """How a part answered its check."""

    #: It answered in time.
    OK = "ok"
    #: It answered, but slowly or only in part (e.g. a Dask cluster with no workers).
    DEGRADED = "degraded"
    #: It did not answer, or answered with an error.
    DOWN = "down"
    #: This deployment has no such part (a lab not under a hub): nothing to check.
    OFF = "off"


#: The overall state is the worst of the parts', in this order.
_SEVERITY = {PartState.OFF: 0, PartState.OK: 0, PartState.DEGRADED: 1, PartState.DOWN: 2}


@dataclass(frozen=True)
class Observation:
    """What a check saw: the state it found (before the time taken is judged), a short text,
    and counts where the part has them."""

    state: PartState
    detail: str
    queued: int | None = None
    running: int | None = None
    workers: int | None = None


@dataclass(frozen=True)
class PartStatus:
    """One part's check: its state, when it was checked (aware UTC), how long the check took
    (seconds; None if it has not answered) and what it found, or the error."""

    name: str
    state: PartState
    checked_at: datetime
    latency: float | None
    detail: str
    error: str | None = None
    queued: int | None = None
    running: int | None = None
    workers: int | None = None

    @property
    def label(self) -> str:
        """The part's name as the lab shows it."""
        return PART_LABELS.get(self.name, self.name)

    def to_json(self) -> dict[str, Any]:
        """The REST API's ``PartStatus``."""
        return {
            "name": self.name,
            "label": self.label,
            "state": self.state.value,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "latency": None if self.latency is None else round(self.latency, 4),
            "detail": self.detail,
            "error": self.error,
            "queued": self.queued,
            "running": self.running,
            "workers": self.workers,
        }


@dataclass(frozen=True)
class StatusReport:
    """Every part's check; :attr:`state` is the worst of theirs."""

    checked_at: datetime
    parts: tuple[PartStatus, ...]

    @property
    def state(self) -> PartState:
        """``ok`` if every part is ok (or off), else the worst part's state."""
        worst = max((part.state for part in self.parts), key=_SEVERITY.__getitem__, default=None)
        return PartState.OK if worst in (None, PartState.OFF) else worst

    def part(self, name: str) -> PartStatus:
        """The check of part ``name``."""
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(f"no part named {name!r}; parts: {', '.join(p.name for p in self.parts)}")

    def to_json(self) -> dict[str, Any]:
        """The REST API's ``StatusReport``."""
        return {
            "state": self.state.value,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "parts": [part.to_json() for part in self.parts],
        }


class StatusSource(Protocol):
    """The parts a survey has, to check (a :class:`~surveylab.Survey` is one)."""

    @property
    def catalog(self) -> Catalog:
        """The catalog backend."""
        ...

    @property
    def runner(self) -> JobRunner:
        """The job runner."""
        ...

    @property
    def cutout_executor(self) -> CutoutExecutor:
        """Where cutout work runs."""
        ...

    @property
    def platform(self) -> PlatformClient | None:
        """The hub's platform service, if the lab has one."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


Check = Callable[[], Observation]


@dataclass
class _Pending:
    """A check still running in its thread, and when it started."""

    thread: threading.Thread
    started: datetime
    result: list[Observation | BaseException] = field(default_factory=list)


class StatusChecker:
    """Runs the checks of a survey's parts, each with a time limit.

    Parameters
    ----------
    checks : mapping of str to callable
        Each part's check by name; it returns an :class:`Observation` or raises (the part
        is then down, with the error's message).
    timeout : float
        Seconds a check may take; past it the part is down ("no answer within ...").
    slow : float
        Seconds past which a part that answered is degraded.
    clock : callable
        The time now, aware; ``checked_at`` comes from it.
    """

    def __init__(
        self,
        checks: Mapping[str, Check],
        *,
        timeout: float = CHECK_TIMEOUT,
        slow: float = SLOW_SECONDS,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.checks = dict(checks)
        self.timeout = timeout
        self.slow = slow
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}

    @classmethod
    def for_survey(
        cls, survey: StatusSource, environ: Mapping[str, str] = os.environ, **options: Any
    ) -> StatusChecker:
        """The checks of ``survey``'s parts (see the module's description)."""
        return cls(
            {
                "catalog": lambda: check_catalog(survey),
                "jobs": lambda: check_jobs(survey),
                "cutouts": lambda: check_cutouts(survey),
                "hub": lambda: check_hub(environ),
                "platform": lambda: check_platform(survey),
            },
            **options,
        )

    def report(self) -> StatusReport:
        """Run every check at once and gather the results (at most :attr:`timeout` seconds)."""
        started = self.clock()
        pending = {name: self._start(name) for name in self.checks}
        deadline = time.monotonic() + self.timeout
        parts = []
        for name, (run, fresh) in pending.items():
            run.thread.join(max(0.0, deadline - time.monotonic()))
            parts.append(self._result(name, run, fresh))
        return StatusReport(checked_at=started, parts=tuple(parts))

    def _start(self, name: str) -> tuple[_Pending, bool]:
        """The running check of ``name``: the one still hanging from an earlier report (and
        False), else a new one (and True)."""
        with self._lock:
            running = self._pending.get(name)
            if running is not None and running.thread.is_alive():
                return running, False
            run = _Pending(threading.Thread(), self.clock())
            run.thread = threading.Thread(
                target=_capture,
                args=(self.checks[name], run.result),
                name=f"surveylab-status-{name}",
                daemon=True,  # a hung check must not keep the process alive
            )
            self._pending[name] = run
            run.thread.start()
            return run, True

    def _result(self, name: str, run: _Pending, fresh: bool) -> PartStatus:
        now = self.clock()
        if not run.result:
            since = "" if fresh else f" (the check started at {run.started:%H:%M:%S} UTC)"
            return PartStatus(
                name,
                PartState.DOWN,
                now,
                None,
                "no answer",
                error=f"no answer within {self.timeout:g} s{since}",
            )
        with self._lock:
            if self._pending.get(name) is run:
                del self._pending[name]
        outcome = run.result[0]
        latency = (now - run.started).total_seconds()
        if isinstance(outcome, BaseException):
            return PartStatus(name, PartState.DOWN, now, latency, "failed", error=_message(outcome))
        state = outcome.state
        detail = outcome.detail
        if state is PartState.OK and latency > self.slow:
            state = PartState.DEGRADED
            detail = f"{detail}; slow: answered in {latency:.1f} s"
        return PartStatus(
            name,
            state,
            now,
            latency,
            detail,
            queued=outcome.queued,
            running=outcome.running,
            workers=outcome.workers,
        )


def _capture(check: Check, result: list[Observation | BaseException]) -> None:
    try:
        result.append(check())
    except BaseException as exc:  # reported as the part's error, never raised
        result.append(exc)


def _message(exc: BaseException) -> str:
    """An error's message as a user can read it: the type only for errors whose text may
    carry a connection string (and so a password)."""
    from .errors import SurveylabError

    if isinstance(exc, SurveylabError | TimeoutError | ConnectionError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__} (see the server's log)"


# --- the checks -------------------------------------------------------------------------------


def check_catalog(survey: StatusSource) -> Observation:
    """The catalog answers a trivial query."""
    catalog = survey.catalog
    sql = "SELECT 1 AS ALIVE FROM DUAL" if catalog.dialect == "oracle" else "SELECT 1 AS ALIVE"
    with catalog.execute(sql, timeout=CHECK_TIMEOUT) as handle:
        rows = sum(batch.num_rows for batch in handle.batches())
    if rows != 1:
        return Observation(PartState.DEGRADED, f"a trivial query gave {rows} rows, not 1")
    return Observation(PartState.OK, f"{catalog.backend} answers queries")


def check_jobs(survey: StatusSource) -> Observation:
    """The job runner takes jobs; its store's queued and running jobs."""
    from .jobs import Phase

    runner = survey.runner
    active = runner.store.active()
    queued = sum(job.phase is Phase.QUEUED for job in active)
    running = sum(job.phase is Phase.EXECUTING for job in active)
    where = f"the platform service at {survey.platform.url}" if survey.platform else "this server"
    if not runner.accepting:
        return Observation(PartState.DOWN, "the job runner has stopped", queued, running)
    detail = f"jobs run on {where}: {running} running, {queued} queued"
    return Observation(PartState.OK, detail, queued, running)


def check_cutouts(survey: StatusSource) -> Observation:
    """The cutout executor: the local pool's processes answer, or the Dask scheduler lists
    workers (none: degraded)."""
    from .cutouts.executors import DaskExecutor, ProcessExecutor

    executor = survey.cutout_executor
    if isinstance(executor, DaskExecutor):
        workers = executor.scheduler_workers()
        if workers == 0:
            return Observation(
                PartState.DEGRADED,
                f"the Dask scheduler at {executor.address} has no workers",
                workers=0,
            )
        return Observation(
            PartState.OK, f"Dask at {executor.address}: {workers} worker(s)", workers=workers
        )
    if isinstance(executor, ProcessExecutor):
        started = executor.ping(CHECK_TIMEOUT)
        how = "answers" if started else "starts on first use"
        detail = f"a local pool of {executor.workers} process(es) {how}"
        return Observation(PartState.OK, detail, workers=executor.workers)
    return Observation(PartState.OK, f"{type(executor).__name__} (runs in this process)")


def check_hub(environ: Mapping[str, str]) -> Observation:
    """The hub's API answers the lab's token (``JUPYTERHUB_API_URL``), if under a hub."""
    import requests

    url = environ.get("JUPYTERHUB_API_URL")
    if not url:
        return Observation(PartState.OFF, "not under a hub")
    token = environ.get("JUPYTERHUB_API_TOKEN", "")
    try:
        reply = requests.get(
            url.rstrip("/") + "/",
            headers={"Authorization": f"token {token}"} if token else {},
            timeout=CHECK_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ConnectionError(
            f"the hub's API at {url} cannot be reached ({type(exc).__name__})"
        ) from None
    if reply.status_code != 200:
        raise ConnectionError(f"the hub's API at {url} answered HTTP {reply.status_code}")
    version = reply.json().get("version", "?")
    return Observation(PartState.OK, f"JupyterHub {version} answers")


def check_platform(survey: StatusSource) -> Observation:
    """The hub's platform service answers the lab's token, if the lab has one."""
    platform = survey.platform
    if platform is None:
        return Observation(PartState.OFF, "no platform service: jobs run in this lab")
    platform.ping()
    return Observation(PartState.OK, f"answers at {platform.url}")

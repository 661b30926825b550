"""The Prometheus metrics of surveylab, defined once in the default registry.

A process that imports this module exposes them wherever it serves the default registry:
jupyter_server at ``/metrics`` (a lab, and the hub's platform service at
``/services/surveylab/metrics``), JupyterHub at ``/hub/metrics``.

* ``surveylab_queries_total{mode,outcome}``: queries run, by mode (quick: the query panel's;
  job: a query job) and outcome (:data:`QUERY_OUTCOMES`);
* ``surveylab_query_duration_seconds{mode}``: a histogram of the seconds they took;
* ``surveylab_jobs{type,phase}``: the served users' jobs by type and phase;
* ``surveylab_jobs_queued``: jobs waiting for a worker (QUEUED);
* ``surveylab_cutouts_total{outcome}``: cutouts made (ok, error); ``rate()`` gives cutouts
  per second;
* ``surveylab_hub_logins_total{outcome}``: logins on the hub's form (:data:`LOGIN_OUTCOMES`).

The job gauges are read from the job stores at scrape time (:class:`JobsCollector`), so they
never drift from what the stores hold. This module imports no Jupyter code.
"""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .errors import ErrorCategory, QueryCancelledError, QueryTimeoutError, SurveylabError

__all__ = [
    "CUTOUTS",
    "HUB_LOGINS",
    "JOBS",
    "LOGIN_OUTCOMES",
    "QUERIES",
    "QUERY_DURATION",
    "QUERY_OUTCOMES",
    "JobCounter",
    "JobsCollector",
    "observe_query",
]

#: The ``outcome`` of a query: it gave its rows; the user's error (syntax, unknown table, a
#: limit); it ran out of time; it was cancelled; the database or surveylab failed.
QUERY_OUTCOMES = ("completed", "rejected", "timeout", "cancelled", "failed")

#: The ``outcome`` of a login on the hub's form: admitted; a wrong username or password;
#: refused before the password was checked for too many failures; refused for another reason
#: (malformed, an ended workshop pool, an expired password); the user database failed.
LOGIN_OUTCOMES = ("success", "failure", "throttled", "refused", "error")

QUERIES = Counter(
    "surveylab_queries",
    "Queries run, by mode (quick: the query panel's; job: a query job) and outcome.",
    ["mode", "outcome"],
)
QUERY_DURATION = Histogram(
    "surveylab_query_duration_seconds",
    "Seconds a query took, from its start to its last row (or its error), by mode.",
    ["mode"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200),
)
CUTOUTS = Counter(
    "surveylab_cutouts",
    "Cutouts made by cutout jobs, by outcome (ok, error); rate() gives cutouts per second.",
    ["outcome"],
)
HUB_LOGINS = Counter(
    "surveylab_hub_logins",
    "Logins on the hub's login form, by outcome (success, failure, throttled, refused, error).",
    ["outcome"],
)


def query_outcome(error: BaseException | None) -> str:
    """The ``outcome`` label of a query that raised ``error`` (None: it completed)."""
    if error is None:
        return "completed"
    if isinstance(error, QueryTimeoutError):
        return "timeout"
    if isinstance(error, QueryCancelledError):
        return "cancelled"
    if isinstance(error, SurveylabError) and error.category is not ErrorCategory.UNAVAILABLE:
        return "rejected"
    return "failed"


@contextmanager
def observe_query(mode: str) -> Iterator[None]:
    """Count the query run in the ``with`` block by its outcome and time it."""
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        QUERIES.labels(mode=mode, outcome=query_outcome(error)).inc()
        QUERY_DURATION.labels(mode=mode).observe(time.perf_counter() - started)


class JobCounter(Protocol):
    """What the job metrics read of a user's jobs (a
    :class:`~surveylab.job_service.JobService` is one)."""

    def tally(self) -> dict[tuple[str, str], int]:
        """How many jobs there are of each ``(type, phase)``."""
        ...


class JobsCollector(Collector):
    """``surveylab_jobs{type,phase}`` and ``surveylab_jobs_queued``, read from the job stores
    of the sources it watches (a lab's one survey, or each user's in the platform service)
    when Prometheus scrapes."""

    def __init__(self) -> None:
        self._sources: list[Callable[[], Iterable[JobCounter]]] = []
        self._lock = threading.Lock()

    def watch(self, services: Callable[[], Iterable[JobCounter]]) -> None:
        """Count the jobs of the users' job services that ``services()`` gives, at each
        scrape."""
        with self._lock:
            self._sources.append(services)

    def forget(self, services: Callable[[], Iterable[JobCounter]]) -> None:
        """Stop counting the jobs of ``services`` (a server stopping)."""
        with self._lock:
            if services in self._sources:
                self._sources.remove(services)

    def describe(self) -> list[Metric]:
        return list(self._families(Tally()))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            sources = list(self._sources)
        tally: Tally[tuple[str, str]] = Tally()
        for source in sources:
            for service in source():
                tally.update(service.tally())
        yield from self._families(tally)

    @staticmethod
    def _families(tally: Tally[tuple[str, str]]) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "surveylab_jobs",
            "Jobs in the served job stores, by type and phase.",
            labels=["type", "phase"],
        )
        for (job_type, phase), count in sorted(tally.items()):
            jobs.add_metric([job_type, phase], count)
        yield jobs
        queued = sum(count for (_type, phase), count in tally.items() if phase == "QUEUED")
        yield GaugeMetricFamily(
            "surveylab_jobs_queued", "Jobs waiting for a worker (QUEUED).", value=queued
        )


#: The one job collector of the process, in the default registry.
JOBS = JobsCollector()
REGISTRY.register(JOBS)

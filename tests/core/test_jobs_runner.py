"""The job runner: phases, progress, results, errors, cancellation, the per-user cap.

Real threads, real files: work functions below stand in for the query and cutout work.
Events, not sleeps, order the steps, so the tests are fast and do not flake.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from surveylab.errors import (
    JobLimitError,
    JobNotFoundError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
    SurveylabError,
)
from surveylab.jobs import (
    Job,
    JobContext,
    JobFileNotFoundError,
    JobRunner,
    JobStore,
    LocalExecutor,
    Phase,
    ResultFile,
)

WAIT = 10.0  # seconds; every wait below ends in milliseconds unless something is broken


class Gate:
    """Holds work functions until the test opens it; records which jobs ran."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Semaphore(0)
        self.ran: list[str] = []

    def hold(self, ctx: JobContext) -> None:
        """Wait for the gate to open, or for the job to be cancelled."""
        self.ran.append(ctx.id)
        self.entered.release()
        deadline = time.monotonic() + WAIT
        while not self.opened.wait(0.002):
            if ctx.cancelled():
                return
            assert time.monotonic() < deadline, "the test never opened the gate"

    def wait_entered(self, count: int = 1) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=WAIT), "the work never started"


def write_csv(ctx: JobContext, gate: Gate | None = None) -> None:
    """A query-like work function: stream rows into a temporary file, then publish it."""
    rows = int(ctx.job.parameters.get("rows", 1000))
    temp = ctx.result_path("result.csv")
    with temp.open("w") as out:
        out.write("id,mag\n")
        for start in range(0, rows, 250):
            stop = min(rows, start + 250)
            out.writelines(f"{i},{20 + i / rows:.3f}\n" for i in range(start, stop))
            out.flush()
            ctx.progress(rows=stop, fraction=stop / rows, message=f"{stop:,} rows written")
            if gate is not None and start == 0:
                gate.hold(ctx)
    ctx.publish(temp, "result.csv", format="csv", rows=rows)


def raise_user_error(ctx: JobContext) -> None:
    raise QueryError("table DR1_NOPE does not exist (line 1, column 15)")


def raise_timeout(ctx: JobContext) -> None:
    raise QueryTimeoutError("the query ran past its 30 s limit and was cancelled")


def raise_internal_error(ctx: JobContext) -> None:
    temp = ctx.result_path("result.fits")
    temp.write_bytes(b"SIMPLE  =  half a file")
    columns: dict[str, int] = {}
    columns["bug in the writer"] += 1  # a KeyError, as a bug would raise


def raise_cancelled_by_database(ctx: JobContext) -> None:
    raise QueryCancelledError("canceling statement due to user request")


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "surveylab-jobs")


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.opened.set()


RunnerFactory = Callable[..., JobRunner]


@pytest.fixture
def make_runner(store: JobStore, gate: Gate) -> Iterator[RunnerFactory]:
    """Runners over ``store`` that know the work functions above; shut down after the test."""
    runners: list[JobRunner] = []

    def make(**options: Any) -> JobRunner:
        work = {
            "query": write_csv,
            "held": lambda ctx: write_csv(ctx, gate),
            "gate": gate.hold,
            "user-error": raise_user_error,
            "timeout": raise_timeout,
            "bug": raise_internal_error,
            "db-cancel": raise_cancelled_by_database,
            **options.pop("work", {}),
        }
        options.setdefault("progress_interval", 0.0)
        runner = JobRunner(options.pop("store", store), work, **options)
        runners.append(runner)
        return runner

    yield make
    gate.opened.set()
    for runner in runners:
        runner.shutdown()


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


# --- a job's life ---------------------------------------------------------------------------------


def test_a_job_goes_through_its_phases(make_runner: RunnerFactory, gate: Gate) -> None:
    runner = make_runner()
    store = runner.store

    job = runner.submit("held", name="my export", parameters={"rows": 1000, "format": "csv"})
    assert job.phase is Phase.QUEUED and job.started is None

    gate.wait_entered()
    running = store.get(job.id)
    assert running.phase is Phase.EXECUTING
    assert running.started is not None and running.ended is None

    gate.opened.set()
    done = runner.wait(job.id, timeout=WAIT)

    assert done.phase is Phase.COMPLETED
    assert done.name == "my export"
    assert done.started is not None and done.ended is not None
    assert done.created <= done.started <= done.ended
    assert done.execution_seconds is not None and 0 <= done.execution_seconds < WAIT
    assert (done.progress, done.rows, done.error) == (1.0, 1000, None)
    size = store.file_path(job.id, "result.csv").stat().st_size
    assert done.files == [ResultFile("result.csv", size, "csv", 1000)]
    lines = store.file_path(job.id, "result.csv").read_text().splitlines()
    assert lines[0] == "id,mag" and len(lines) == 1001
    log = store.read_log(job.id)
    for step in ("created held job", "queued", "started", "COMPLETED: 1,000 rows, 1 file(s)"):
        assert step in log


def test_progress_is_visible_from_another_thread(make_runner: RunnerFactory, gate: Gate) -> None:
    runner = make_runner()
    job = runner.submit("held", parameters={"rows": 1000})
    gate.wait_entered()

    seen = runner.store.get(job.id)  # read from the test's thread while the worker waits
    assert (seen.phase, seen.rows, seen.progress, seen.message) == (
        Phase.EXECUTING,
        250,
        0.25,
        "250 rows written",
    )
    gate.opened.set()
    assert runner.wait(job.id, WAIT).rows == 1000


def test_progress_writes_are_throttled_but_the_last_one_is_kept(
    make_runner: RunnerFactory,
) -> None:
    runner = make_runner(progress_interval=60.0)
    job = runner.submit("query", parameters={"rows": 1000})
    done = runner.wait(job.id, WAIT)
    assert (done.phase, done.rows) == (Phase.COMPLETED, 1000)


def test_a_result_appears_under_its_name_only_when_complete(
    make_runner: RunnerFactory, gate: Gate
) -> None:
    runner = make_runner()
    store = runner.store
    job = runner.submit("held", parameters={"rows": 1000})
    gate.wait_entered()  # the work has written 250 rows and waits

    folder = store.job_dir(job.id)
    visible = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert visible == ["job.json", "job.log"]
    temps = [p for p in folder.iterdir() if ".part-" in p.name]
    assert len(temps) == 1 and temps[0].name.startswith(".result.csv.part-")
    assert temps[0].stat().st_size > 0
    assert store.get(job.id).files == []
    with pytest.raises(JobFileNotFoundError):
        store.file_path(job.id, "result.csv")

    gate.opened.set()
    runner.wait(job.id, WAIT)
    assert [p.name for p in folder.iterdir() if ".part-" in p.name] == []
    assert len(store.file_path(job.id, "result.csv").read_text().splitlines()) == 1001


@pytest.mark.parametrize(
    ("job_type", "phase", "error", "logged"),
    [
        pytest.param("query", Phase.COMPLETED, None, "COMPLETED", id="completed"),
        pytest.param(
            "user-error",
            Phase.ERROR,
            "table DR1_NOPE does not exist (line 1, column 15)",
            "failed: table DR1_NOPE",
            id="surveylab-error-shown-as-is",
        ),
        pytest.param(
            "timeout",
            Phase.ERROR,
            "the query ran past its 30 s limit and was cancelled",
            "failed: the query ran past",
            id="timeout-is-an-error",
        ),
        pytest.param(
            "bug", Phase.ERROR, "internal error: KeyError", "Traceback", id="internal-error"
        ),
        pytest.param(
            "db-cancel",
            Phase.ABORTED,
            None,
            "cancelled: canceling statement",
            id="cancelled-in-the-database",
        ),
    ],
)
def test_how_work_ends_decides_the_phase(
    make_runner: RunnerFactory, job_type: str, phase: Phase, error: str | None, logged: str
) -> None:
    runner = make_runner()
    job = runner.wait(runner.submit(job_type, parameters={"rows": 10}).id, WAIT)

    assert (job.phase, job.error) == (phase, error)
    assert job.ended is not None
    assert logged in runner.store.read_log(job.id)


def test_an_internal_error_keeps_its_traceback_in_the_log_only(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    job = runner.wait(runner.submit("bug").id, WAIT)

    assert job.error == "internal error: KeyError"
    assert "Traceback" not in (job.error or "") and "bug in the writer" not in (job.error or "")
    log = runner.store.read_log(job.id)
    assert "Traceback (most recent call last)" in log
    assert "raise_internal_error" in log and "bug in the writer" in log
    assert job.files == []
    assert [p.name for p in runner.store.job_dir(job.id).iterdir() if ".part-" in p.name] == []


# --- submitting -----------------------------------------------------------------------------------


def test_unknown_types_are_refused_with_the_known_ones(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    with pytest.raises(SurveylabError, match="unknown job type 'cutout': the known types are "):
        runner.submit("cutout", parameters={})
    assert runner.store.list() == ([], 0)


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        pytest.param("astro@example.org", True, id="plain"),
        pytest.param(" first.last+des@uni.example.edu ", True, id="plus-and-spaces"),
        pytest.param("user@localhost", True, id="local-host"),
        pytest.param("not-an-address", False, id="no-at"),
        pytest.param("a@b@c", False, id="two-ats"),
        pytest.param("me@example.org\nBcc: all@example.org", False, id="header-injection"),
        pytest.param("a b@example.org", False, id="space"),
        pytest.param("x" * 250 + "@example.org", False, id="too-long"),
    ],
)
def test_emails_are_checked_and_kept_in_the_parameters(
    make_runner: RunnerFactory, email: str, ok: bool
) -> None:
    runner = make_runner()
    if ok:
        job = runner.submit("query", parameters={"rows": 1}, email=email)
        assert job.parameters == {"rows": 1, "email": email.strip()}
    else:
        with pytest.raises(SurveylabError, match="is not an e-mail address"):
            runner.submit("query", parameters={"rows": 1}, email=email)
        assert runner.store.list() == ([], 0)


def test_credentials_in_parameters_are_refused_before_anything_runs(
    make_runner: RunnerFactory,
) -> None:
    runner = make_runner()
    with pytest.raises(SurveylabError, match="must not hold credentials"):
        runner.submit("query", parameters={"sql": "SELECT 1", "db_password": "hunter2"})
    assert runner.store.list() == ([], 0)


def test_the_per_user_cap_refuses_more_active_jobs(make_runner: RunnerFactory, gate: Gate) -> None:
    runner = make_runner(max_active=2, executor=LocalExecutor(1))
    first = runner.submit("gate")
    runner.submit("gate")  # queued behind the first: queued jobs count too
    gate.wait_entered()

    with pytest.raises(JobLimitError) as refused:
        runner.submit("query")
    assert str(refused.value) == (
        "you have 1 job running and 1 queued, as many as you may have at once (2); "
        "wait for one to finish or cancel one"
    )

    runner.cancel(first.id)
    runner.wait(first.id, WAIT)
    third = runner.submit("query")  # a place is free again
    gate.opened.set()
    assert runner.wait(third.id, WAIT).phase is Phase.COMPLETED


def test_the_cap_counts_jobs_of_other_processes_sharing_the_store(
    make_runner: RunnerFactory, gate: Gate
) -> None:
    kernel = make_runner(max_active=1)
    server = make_runner(max_active=1)
    kernel.submit("gate")
    gate.wait_entered()
    with pytest.raises(JobLimitError):
        server.submit("query")


# --- cancelling -----------------------------------------------------------------------------------


def test_cancel_of_a_running_job_stops_it_and_calls_on_cancel_once(
    make_runner: RunnerFactory,
) -> None:
    in_database = threading.Event()
    cancelled_in_database = threading.Event()
    calls: list[str] = []

    def poll_until_cancelled(ctx: JobContext) -> None:
        ctx.on_cancel(lambda: calls.append("db cancel"))
        ctx.on_cancel(cancelled_in_database.set)
        in_database.set()
        while not ctx.cancelled():
            time.sleep(0.001)
        ctx.on_cancel(lambda: calls.append("late"))  # already cancelled: called at once
        raise QueryCancelledError("the job was cancelled")

    runner = make_runner(work={"poll": poll_until_cancelled})
    job = runner.submit("poll")
    assert in_database.wait(WAIT)

    runner.cancel(job.id)
    runner.cancel(job.id)  # twice: the callbacks still run once
    done = runner.wait(job.id, WAIT)

    assert cancelled_in_database.is_set()
    assert sorted(calls) == ["db cancel", "late"]  # each once; the order is the threads' own
    assert done.phase is Phase.ABORTED and done.error is None
    assert done.message == "cancelled on request"
    assert done.started is not None and done.ended is not None
    assert "cancelled on request: stopping the work" in runner.store.read_log(job.id)


def test_cancel_reaches_work_blocked_in_the_database(make_runner: RunnerFactory) -> None:
    """The work blocks in a call that only its on_cancel callback can interrupt."""
    blocked = threading.Event()

    def blocking_query(ctx: JobContext) -> None:
        interrupted = threading.Event()
        ctx.on_cancel(interrupted.set)
        blocked.set()
        if interrupted.wait(WAIT):
            raise QueryCancelledError("the query was cancelled in the database")

    runner = make_runner(work={"blocking": blocking_query})
    job = runner.submit("blocking")
    assert blocked.wait(WAIT)
    started = time.monotonic()
    runner.cancel(job.id)

    assert runner.wait(job.id, WAIT).phase is Phase.ABORTED
    assert time.monotonic() - started < 2


def test_a_job_cancelled_while_queued_never_runs(make_runner: RunnerFactory, gate: Gate) -> None:
    runner = make_runner(executor=LocalExecutor(1))
    busy = runner.submit("gate")
    gate.wait_entered()
    queued = runner.submit("gate")
    assert runner.store.get(queued.id).phase is Phase.QUEUED

    aborted = runner.cancel(queued.id)

    assert aborted.phase is Phase.ABORTED
    assert aborted.started is None and aborted.ended is not None
    gate.opened.set()
    runner.wait(busy.id, WAIT)
    assert runner.wait(queued.id, WAIT).phase is Phase.ABORTED
    assert gate.ran == [busy.id]
    assert "started" not in runner.store.read_log(queued.id)


def test_cancel_of_a_finished_job_changes_nothing(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    done = runner.wait(runner.submit("query").id, WAIT)
    assert runner.cancel(done.id) == done


def test_cancel_of_an_unknown_job(make_runner: RunnerFactory) -> None:
    with pytest.raises(JobNotFoundError):
        make_runner().cancel("000000000000")


def test_cancel_from_another_runner_reaches_the_one_that_runs_the_job(
    make_runner: RunnerFactory,
) -> None:
    """E.g. the lab's Cancel button (server) on a job a notebook kernel submitted."""
    running = threading.Event()
    cancelled = threading.Event()

    def blocking_query(ctx: JobContext) -> None:
        ctx.on_cancel(cancelled.set)
        running.set()
        if cancelled.wait(WAIT):
            raise QueryCancelledError("the query was cancelled in the database")

    kernel = make_runner(work={"blocking": blocking_query}, poll_interval=0.02)
    server = make_runner()
    job = kernel.submit("blocking")
    assert running.wait(WAIT)

    server.cancel(job.id)  # leaves a request the kernel's runner acts on
    assert cancelled.wait(WAIT)

    assert server.wait(job.id, WAIT).phase is Phase.ABORTED
    assert "cancel requested" in server.store.read_log(job.id)


def test_cancel_of_a_job_whose_process_died_aborts_it(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    store = runner.store
    orphan = store.create("query", runner="a-host-long-gone:4242:1")
    store.update(orphan.id, phase=Phase.EXECUTING)
    waiting = store.create("query")  # a UWS job waiting for PHASE=RUN

    assert runner.cancel(orphan.id).phase is Phase.ABORTED
    assert runner.cancel(waiting.id).phase is Phase.ABORTED


# --- waiting, deleting, restarting ----------------------------------------------------------------


def test_wait_returns_the_job_as_it_is_after_a_timeout(
    make_runner: RunnerFactory, gate: Gate
) -> None:
    runner = make_runner()
    job = runner.submit("gate")
    gate.wait_entered()
    started = time.monotonic()
    assert runner.wait(job.id, timeout=0.05).phase is Phase.EXECUTING
    assert time.monotonic() - started < 1
    other = make_runner()  # waits by reading the store
    assert other.wait(job.id, timeout=0.05).phase is Phase.EXECUTING
    gate.opened.set()
    assert other.wait(job.id, timeout=WAIT).phase is Phase.COMPLETED


def test_delete_cancels_a_running_job_first(make_runner: RunnerFactory, gate: Gate) -> None:
    runner = make_runner()
    job = runner.submit("held", parameters={"rows": 1000})
    gate.wait_entered()
    folder = runner.store.job_dir(job.id)
    gate.opened.set()

    runner.delete(job.id)

    assert not folder.exists()
    with pytest.raises(JobNotFoundError):
        runner.store.get(job.id)


def test_recover_leaves_jobs_running_in_a_live_process_alone(
    make_runner: RunnerFactory, gate: Gate, store: JobStore
) -> None:
    runner = make_runner()
    job = runner.submit("gate")
    gate.wait_entered()

    assert JobStore(store.root).recover() == []  # e.g. the server restarted, a kernel runs it
    assert store.get(job.id).phase is Phase.EXECUTING


class Clock:
    """A clock the test moves by hand (the store's, so the runner's heartbeats follow it)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def on_another_host(
    tmp_path: Path, make_runner: RunnerFactory, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> tuple[JobRunner, Job, JobStore, Clock]:
    """A job running in a runner (the platform service's pod), and the same store as a lab pod
    sees it: from here on this process's host name is another, so the runner is on a host the
    lab cannot look into. The runner's watcher never ticks: the test calls ``heartbeat``."""
    clock = Clock()
    service = make_runner(store=JobStore(tmp_path / "shared", clock=clock), poll_interval=3600)
    job = service.submit("gate")
    gate.wait_entered()
    monkeypatch.setattr(socket, "gethostname", lambda: "jupyter-ada")
    return service, job, JobStore(tmp_path / "shared", clock=clock), clock


def test_a_runner_on_another_host_keeps_its_jobs_alive_by_heartbeats(
    on_another_host: tuple[JobRunner, Job, JobStore, Clock],
) -> None:
    service, job, lab, clock = on_another_host
    host = str(job.runner).split(":")[0]  # the runner's real host name
    assert lab.last_beat(lab.get(job.id)) == clock.now  # beat as the job was claimed

    clock.advance(10)
    service.heartbeat()  # the first beat of the runner
    beat = clock.now
    clock.advance(20)
    service.heartbeat()  # not due: 20 s < 30 s
    assert lab.last_beat(lab.get(job.id)) == beat

    clock.advance(100)  # 120 s since the beat: the stale limit, not past it
    assert lab.recover() == []
    service.heartbeat()
    clock.advance(120)
    assert lab.recover() == []
    assert lab.get(job.id).phase is Phase.EXECUTING

    clock.advance(1)  # the runner stopped beating 121 s ago
    assert lab.recover() == [job.id]
    failed = lab.get(job.id)
    assert failed.phase is Phase.ERROR
    assert failed.error is not None
    assert failed.error.startswith(
        f"the job's runner on host {host} stopped answering while this job was running "
    )


def test_cancel_on_another_host_asks_a_runner_that_answers(
    on_another_host: tuple[JobRunner, Job, JobStore, Clock], make_runner: RunnerFactory
) -> None:
    _service, job, lab_store, clock = on_another_host
    lab = make_runner(store=lab_store)

    clock.advance(60)
    assert lab.cancel(job.id).phase is Phase.EXECUTING  # left to the runner that has it
    assert lab_store.cancel_requested(job.id)
    assert "cancel requested" in lab_store.read_log(job.id)

    clock.advance(120)  # no beat for 3 minutes
    aborted = lab.cancel(job.id)
    assert aborted.phase is Phase.ABORTED
    assert aborted.message == "cancelled on request"


def test_shutdown_cancels_queued_and_running_jobs(make_runner: RunnerFactory, gate: Gate) -> None:
    stopped = threading.Event()

    def until_stopped(ctx: JobContext) -> None:
        ctx.on_cancel(stopped.set)
        gate.entered.release()
        stopped.wait(WAIT)

    runner = make_runner(work={"long": until_stopped}, executor=LocalExecutor(1))
    running = runner.submit("long")
    gate.wait_entered()
    queued = runner.submit("long")

    runner.shutdown()

    jobs = [runner.store.get(running.id), runner.store.get(queued.id)]
    assert [j.phase for j in jobs] == [Phase.ABORTED, Phase.ABORTED]
    assert [j.message for j in jobs] == ["cancelled: the server stopped"] * 2
    with pytest.raises(SurveylabError, match="shutting down"):
        runner.submit("query")


def test_a_runner_from_settings_uses_the_users_job_folder(tmp_path: Path) -> None:
    from surveylab.settings import Settings

    settings = Settings(
        jobs_dir=tmp_path / "home" / "surveylab-jobs",
        job_lifetime_days=3,
        job_workers=1,
        max_active_jobs=7,
    )
    runner = JobRunner.from_settings(settings, {"query": write_csv})
    try:
        job = runner.wait(runner.submit("query", parameters={"rows": 5}).id, WAIT)
        assert job.phase is Phase.COMPLETED
        assert (settings.jobs_dir / job.id / "result.csv").is_file()
        assert job.destruction - job.created == timedelta(days=3)
        assert (runner.max_active, runner.notifier) == (7, None)
    finally:
        runner.shutdown()


def test_job_snapshots_are_immutable(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    job: Job = runner.submit("query")
    with pytest.raises(AttributeError):
        job.phase = Phase.COMPLETED  # type: ignore[misc]

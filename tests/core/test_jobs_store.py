"""The job store: records, validation, paging, files, archives, recovery and expiry.

Real files in a temporary folder, a clock the tests move, and real processes for the
cross-process lock.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import stat
import subprocess
import sys
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from surveylab.errors import JobNotFoundError, SurveylabError
from surveylab.jobs import (
    Job,
    JobFileNotFoundError,
    JobStateError,
    JobStore,
    Phase,
    ResultFile,
    UnsafePathError,
    format_time,
)
from surveylab.jobs._process import process_token

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DEAD_RUNNER = "a-host-long-gone:4242:1"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> JobStore:
    return JobStore(tmp_path / "jobs", clock=clock)


def write_result(store: JobStore, job_id: str, name: str, data: bytes, **info: Any) -> ResultFile:
    temp = store.temp_path(job_id, name)
    temp.write_bytes(data)
    return store.publish(job_id, temp, name, **info)


# --- creating and reading -------------------------------------------------------------------------


def test_create_writes_a_private_folder_with_record_and_log(store: JobStore, clock: Clock) -> None:
    job = store.create("query", parameters={"sql": "SELECT 1", "format": "csv"})

    assert job.phase is Phase.PENDING
    assert len(job.id) == 12 and int(job.id, 16) >= 0
    assert job.name == f"query-{job.id}"
    assert job.created == T0 and job.created.tzinfo is not None
    assert job.destruction == T0 + timedelta(days=14)
    assert job.started is None and job.ended is None and job.execution_seconds is None
    folder = store.job_dir(job.id)
    assert sorted(p.name for p in folder.iterdir()) == ["job.json", "job.log"]
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert store.get(job.id) == job


def test_the_record_is_json_with_utc_z_times_and_round_trips(store: JobStore) -> None:
    job = store.create("query", "my export", {"sql": "SELECT 1", "n": [1, 2]})
    record = json.loads((store.job_dir(job.id) / "job.json").read_text())

    assert record["created"] == "2026-11-22T10:00:00Z"
    assert record["destruction"] == "2026-12-06T10:00:00Z"
    assert record["phase"] == "PENDING"
    assert Job.from_json(record) == job
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job


def test_execution_seconds_counts_whole_days() -> None:
    """Not ``timedelta.seconds``, which forgets the days (DESaccess's pruning bug)."""
    job = Job(
        id="0123456789ab",
        type="query",
        name="long",
        phase=Phase.COMPLETED,
        created=T0,
        destruction=T0 + timedelta(days=14),
        started=T0,
        ended=T0 + timedelta(days=2, seconds=5),
    )
    assert job.execution_seconds == 2 * 86400 + 5


def test_times_in_other_zones_are_stored_in_utc(store: JobStore) -> None:
    job = store.create("query")
    paris = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    store.update(job.id, started=paris)
    record = json.loads((store.job_dir(job.id) / "job.json").read_text())
    assert record["started"] == "2026-11-22T11:00:00Z"


def test_a_naive_clock_is_refused(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs", clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        store.create("query")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("", "cannot be empty", id="empty"),
        pytest.param("   ", "cannot be empty", id="blank"),
        pytest.param("a/b", "cannot contain '/'", id="slash"),
        pytest.param("a\\b", "cannot contain '/'", id="backslash"),
        pytest.param("x" * 129, "at most 128", id="too-long"),
        pytest.param("two\nlines", "line breaks", id="newline"),
        pytest.param("bell\x07", "control", id="control-char"),
    ],
)
def test_bad_job_names_are_refused(store: JobStore, name: str, message: str) -> None:
    with pytest.raises(SurveylabError, match=message):
        store.create("query", name)
    job = store.create("query", "fine")
    with pytest.raises(SurveylabError, match=message):
        store.rename(job.id, name)


@pytest.mark.parametrize(
    "job_type",
    [
        pytest.param("", id="empty"),
        pytest.param("Query", id="capital"),
        pytest.param("a b", id="space"),
        pytest.param("../x", id="traversal"),
    ],
)
def test_bad_job_types_are_refused(store: JobStore, job_type: str) -> None:
    with pytest.raises(SurveylabError, match="bad job type"):
        store.create(job_type)


@pytest.mark.parametrize(
    ("parameters", "where"),
    [
        pytest.param({"password": "hunter2"}, "password", id="password"),
        pytest.param({"db_password": "x"}, "db_password", id="db-password"),
        pytest.param({"Secret": "x"}, "Secret", id="secret"),
        pytest.param({"accessToken": "x"}, "accessToken", id="camel-token"),
        pytest.param({"api-key": "x"}, "api-key", id="api-key"),
        pytest.param({"pwd": "x"}, "pwd", id="pwd"),
        pytest.param({"options": {"auth": "x"}}, "options.auth", id="nested"),
        pytest.param({"tables": [{"credentials": "x"}]}, "tables[0].credentials", id="in-list"),
    ],
)
def test_parameters_that_hold_credentials_are_refused(
    store: JobStore, parameters: dict[str, Any], where: str
) -> None:
    with pytest.raises(SurveylabError, match="must not hold credentials") as info:
        store.create("query", parameters=parameters)
    assert repr(where) in str(info.value)
    assert "hunter2" not in str(info.value)
    assert list(store.root.iterdir()) == []


def test_ordinary_parameters_are_kept(store: JobStore) -> None:
    parameters = {"sql": "SELECT 1", "format": "fits", "passband": "g", "compression": None}
    job = store.create("query", parameters=parameters)
    assert store.get(job.id).parameters == parameters


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({"when": datetime(2026, 1, 1)}, id="datetime"),
        pytest.param({"x": math.nan}, id="nan"),
        pytest.param({"blob": "x" * 1_100_000}, id="too-large"),
    ],
)
def test_parameters_must_be_plain_json(store: JobStore, parameters: dict[str, Any]) -> None:
    with pytest.raises(SurveylabError, match="job parameters"):
        store.create("query", parameters=parameters)


@pytest.mark.parametrize(
    "job_id",
    [
        pytest.param("", id="empty"),
        pytest.param("../../etc", id="traversal"),
        pytest.param("0123456789AB", id="uppercase"),
        pytest.param("0123456789a", id="too-short"),
        pytest.param("0123456789abc", id="too-long"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("0123456789ab/..", id="trailing-dots"),
        pytest.param("ffffffffffff", id="unknown"),
    ],
)
def test_unknown_or_malformed_ids_are_not_found(store: JobStore, job_id: str) -> None:
    with pytest.raises(JobNotFoundError):
        store.get(job_id)
    with pytest.raises(JobNotFoundError):
        store.file_path(job_id, "job.log")


def test_a_symlinked_job_folder_is_not_a_job(store: JobStore, tmp_path: Path) -> None:
    outside = JobStore(tmp_path / "elsewhere")
    job = outside.create("query")
    (store.root / job.id).symlink_to(outside.job_dir(job.id))

    assert store.list() == ([], 0)
    with pytest.raises(JobNotFoundError):
        store.get(job.id)


# --- listing --------------------------------------------------------------------------------------


@pytest.fixture
def six_jobs(store: JobStore, clock: Clock) -> dict[str, Job]:
    """Six jobs a minute apart, of two types, in several phases with several run times."""
    plan = [
        ("b-query", "query", Phase.COMPLETED, 30),
        ("a-cutout", "cutout", Phase.COMPLETED, 5),
        ("c-query", "query", Phase.ERROR, 1),
        ("D-query", "query", Phase.EXECUTING, None),
        ("e-cutout", "cutout", Phase.QUEUED, None),
        ("f-query", "query", Phase.COMPLETED, 300),
    ]
    jobs = {}
    for name, job_type, phase, seconds in plan:
        clock.advance(minutes=1)
        job = store.create(job_type, name, runner=process_token())
        started = clock.now if phase is not Phase.QUEUED else None
        ended = None if seconds is None else clock.now + timedelta(seconds=seconds)
        jobs[name] = store.update(job.id, phase=phase, started=started, ended=ended)
    return jobs


@pytest.mark.parametrize(
    ("query", "names", "total"),
    [
        pytest.param(
            {},
            ["f-query", "e-cutout", "D-query", "c-query", "a-cutout", "b-query"],
            6,
            id="default-newest-first",
        ),
        pytest.param(
            {"sort": "created"},
            ["b-query", "a-cutout", "c-query", "D-query", "e-cutout", "f-query"],
            6,
            id="oldest-first",
        ),
        pytest.param(
            {"sort": "name"},
            ["a-cutout", "b-query", "c-query", "D-query", "e-cutout", "f-query"],
            6,
            id="name-casefolded",
        ),
        pytest.param(
            {"sort": "-name", "limit": 2}, ["f-query", "e-cutout"], 6, id="name-desc-page"
        ),
        pytest.param(
            {"sort": "execution"},
            ["c-query", "a-cutout", "b-query", "f-query", "e-cutout", "D-query"],
            6,
            id="execution-unrun-last",
        ),
        pytest.param(
            {"sort": "-execution", "limit": 3},
            ["f-query", "b-query", "a-cutout"],
            6,
            id="execution-desc",
        ),
        pytest.param(
            {"sort": "phase"},
            ["e-cutout", "D-query", "f-query", "a-cutout", "b-query", "c-query"],
            6,
            id="phase-life-order",
        ),
        pytest.param(
            {"sort": "type"},
            ["e-cutout", "a-cutout", "f-query", "D-query", "c-query", "b-query"],
            6,
            id="type-then-newest",
        ),
        pytest.param(
            {"phase": Phase.COMPLETED}, ["f-query", "a-cutout", "b-query"], 3, id="phase-filter"
        ),
        pytest.param(
            {"phase": "completed", "type": "query"},
            ["f-query", "b-query"],
            2,
            id="phase-as-text-and-type",
        ),
        pytest.param(
            {"type": "cutout", "sort": "name"}, ["a-cutout", "e-cutout"], 2, id="type-filter"
        ),
        pytest.param({"offset": 2, "limit": 2}, ["D-query", "c-query"], 6, id="second-page"),
        pytest.param({"offset": 5, "limit": 50}, ["b-query"], 6, id="last-page"),
        pytest.param({"offset": 10}, [], 6, id="past-the-end"),
        pytest.param({"limit": 0}, [], 6, id="count-only"),
        pytest.param(
            {"limit": None, "sort": "created"},
            ["b-query", "a-cutout", "c-query", "D-query", "e-cutout", "f-query"],
            6,
            id="no-limit",
        ),
        pytest.param({"phase": "ARCHIVED"}, [], 0, id="none-match"),
    ],
)
def test_list_pages_sorts_and_filters(
    store: JobStore, six_jobs: dict[str, Job], query: dict[str, Any], names: list[str], total: int
) -> None:
    jobs, count = store.list(**query)
    assert [job.name for job in jobs] == names
    assert count == total


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param({"sort": "size"}, "cannot sort jobs by 'size'", id="bad-sort"),
        pytest.param({"sort": "--name"}, "cannot sort", id="double-dash"),
        pytest.param({"phase": "RUNNING"}, "unknown job phase", id="bad-phase"),
        pytest.param({"offset": -1}, "offset", id="negative-offset"),
        pytest.param({"limit": 5000}, "limit", id="huge-limit"),
        pytest.param({"limit": -1}, "limit", id="negative-limit"),
    ],
)
def test_bad_list_queries_are_refused(store: JobStore, query: dict[str, Any], message: str) -> None:
    with pytest.raises(SurveylabError, match=message):
        store.list(**query)


def test_a_corrupt_record_is_skipped_with_a_warning(
    store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    _good, bad, empty = (store.create("query", name) for name in ("good", "bad", "empty"))
    (store.job_dir(bad.id) / "job.json").write_text('{"id": "' + bad.id + '", "phase": "NOPE"')
    (store.job_dir(empty.id) / "job.json").write_text("")
    (store.root / "notes").mkdir()  # a folder the user made
    (store.root / "README.txt").write_text("mine")

    with caplog.at_level(logging.WARNING, logger="surveylab.jobs.store"):
        jobs, total = store.list()
        store.list()

    assert [job.name for job in jobs] == ["good"] and total == 1
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2, "one warning per corrupt record, not one per listing"
    assert any(bad.id in w for w in warned) and any(empty.id in w for w in warned)
    with pytest.raises(JobStateError, match="unreadable"):
        store.get(bad.id)
    store.delete(bad.id)
    assert not (store.root / bad.id).exists()


# --- changing -------------------------------------------------------------------------------------


def test_rename_and_renew(store: JobStore, clock: Clock) -> None:
    job = store.create("query", "old")
    assert store.rename(job.id, "  new name  ").name == "new name"

    clock.advance(days=10)
    assert store.renew(job.id).destruction == clock.now + timedelta(days=14)
    assert store.renew(job.id, days=2.5).destruction == clock.now + timedelta(days=2.5)
    assert store.get(job.id).name == "new name"


@pytest.mark.parametrize(
    ("days", "message"),
    [
        pytest.param(0, "greater than 0", id="zero"),
        pytest.param(-3, "greater than 0", id="negative"),
        pytest.param(math.nan, "greater than 0", id="nan"),
        pytest.param(math.inf, "greater than 0", id="inf"),
        pytest.param(400, "at most 365 days", id="too-far"),
    ],
)
def test_bad_renewals_are_refused(store: JobStore, days: float, message: str) -> None:
    job = store.create("query")
    with pytest.raises(SurveylabError, match=message):
        store.renew(job.id, days)
    assert store.get(job.id).destruction == job.destruction


def test_update_refuses_unknown_fields_and_checks_phases(store: JobStore) -> None:
    job = store.create("query")
    with pytest.raises(TypeError, match="cannot change id"):
        store.update(job.id, id="000000000000")
    with pytest.raises(JobStateError, match="is PENDING"):
        store.update(job.id, expect={Phase.QUEUED}, phase=Phase.EXECUTING)
    assert store.update(job.id, expect={Phase.PENDING}, phase="QUEUED").phase is Phase.QUEUED
    assert store.update(job.id, progress=7.0).progress == 1.0


def test_concurrent_updates_from_threads_lose_nothing(store: JobStore) -> None:
    job = store.create("query")

    def publish_many(worker: int) -> None:
        for index in range(20):
            write_result(store, job.id, f"part-{worker}-{index}.csv", b"x")
            store.update(job.id, message=f"{worker}-{index}")

    threads = [threading.Thread(target=publish_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(store.get(job.id).files) == 80


CHILD = """
import sys
from surveylab.jobs import JobStore
store, job_id, tag = JobStore(sys.argv[1]), sys.argv[2], sys.argv[3]
for index in range(25):
    temp = store.temp_path(job_id, f"{tag}-{index}.txt")
    temp.write_text(tag)
    store.publish(job_id, temp, f"{tag}-{index}.txt")
"""


def test_concurrent_updates_from_processes_lose_nothing(store: JobStore) -> None:
    job = store.create("query")
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(store.root), job.id, tag])
        for tag in ("left", "right")
    ]
    for tag in ("here",):
        for index in range(25):
            write_result(store, job.id, f"{tag}-{index}.txt", b"here")
    assert [child.wait(timeout=20) for child in children] == [0, 0]

    assert len(store.get(job.id).files) == 75


def test_delete_removes_the_folder_and_its_files(store: JobStore) -> None:
    job = store.create("query")
    write_result(store, job.id, "result.csv", b"a,b\n1,2\n")
    folder = store.job_dir(job.id)

    store.delete(job.id)

    assert not folder.exists()
    assert list(store.root.iterdir()) == []
    with pytest.raises(JobNotFoundError):
        store.get(job.id)
    with pytest.raises(JobNotFoundError):
        store.delete(job.id)


@pytest.mark.parametrize(
    ("phase", "runner", "refused"),
    [
        pytest.param(Phase.EXECUTING, "live", True, id="running-here"),
        pytest.param(Phase.QUEUED, "live", True, id="queued-here"),
        pytest.param(Phase.EXECUTING, DEAD_RUNNER, False, id="running-in-a-dead-process"),
        pytest.param(Phase.COMPLETED, "live", False, id="completed"),
        pytest.param(Phase.PENDING, None, False, id="pending"),
    ],
)
def test_delete_refuses_a_job_that_still_runs(
    store: JobStore, phase: Phase, runner: str | None, refused: bool
) -> None:
    token = process_token() if runner == "live" else runner
    job = store.create("query", runner=token)
    store.update(job.id, phase=phase)
    if refused:
        with pytest.raises(JobStateError, match="cancel it before deleting it"):
            store.delete(job.id)
        assert store.get(job.id).phase is phase
    else:
        store.delete(job.id)
        assert store.list() == ([], 0)


# --- files ----------------------------------------------------------------------------------------


def test_a_result_is_listed_only_once_published(store: JobStore) -> None:
    job = store.create("query")
    temp = store.temp_path(job.id, "result.csv")
    temp.write_text("ra,dec\n")

    assert temp.parent == store.job_dir(job.id) and temp.name.startswith(".result.csv.part-")
    assert store.get(job.id).files == []
    with pytest.raises(JobFileNotFoundError):
        store.file_path(job.id, "result.csv")

    result = store.publish(job.id, temp, "result.csv", format="csv", rows=0)

    assert result == ResultFile("result.csv", 7, "csv", 0)
    assert store.get(job.id).files == [result]
    assert store.file_path(job.id, "result.csv").read_text() == "ra,dec\n"
    assert not temp.exists()


def test_publishing_again_replaces_the_result(store: JobStore) -> None:
    job = store.create("query")
    write_result(store, job.id, "result.csv", b"old")
    write_result(store, job.id, "result.csv", b"newer")
    assert store.get(job.id).files == [ResultFile("result.csv", 5)]


def test_discard_temp_removes_unfinished_results(store: JobStore) -> None:
    job = store.create("query")
    temp = store.temp_path(job.id, "big.fits")
    temp.write_bytes(b"half")
    write_result(store, job.id, "done.csv", b"x")

    assert store.discard_temp(job.id) == [temp.name]
    assert sorted(
        p.name for p in store.job_dir(job.id).iterdir() if not p.name.startswith(".")
    ) == [
        "done.csv",
        "job.json",
        "job.log",
    ]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param("../job.json", UnsafePathError, id="parent"),
        pytest.param("..", UnsafePathError, id="dotdot"),
        pytest.param(".", UnsafePathError, id="dot"),
        pytest.param("", UnsafePathError, id="empty"),
        pytest.param("/etc/passwd", UnsafePathError, id="absolute"),
        pytest.param("sub/result.csv", UnsafePathError, id="subfolder"),
        pytest.param("..\\result.csv", UnsafePathError, id="backslash"),
        pytest.param(".lock", UnsafePathError, id="hidden"),
        pytest.param(".result.csv.part-0000", UnsafePathError, id="temp-file"),
        pytest.param("result.csv\x00.txt", UnsafePathError, id="nul"),
        pytest.param("escape.csv", UnsafePathError, id="symlink-outside"),
        pytest.param("job.json", JobFileNotFoundError, id="record-not-a-result"),
        pytest.param("unlisted.csv", JobFileNotFoundError, id="unlisted-file"),
        pytest.param("missing.csv", JobFileNotFoundError, id="never-written"),
    ],
)
def test_file_path_refuses_anything_but_listed_results(
    store: JobStore, tmp_path: Path, name: str, error: type[Exception]
) -> None:
    job = store.create("query")
    folder = store.job_dir(job.id)
    write_result(store, job.id, "result.csv", b"ok")
    (folder / "unlisted.csv").write_text("not a result")
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (folder / "escape.csv").symlink_to(secret)
    # a symlink listed as a result, as if put there behind the store's back
    store.update(job.id, files=[*store.get(job.id).files, ResultFile("escape.csv", 7)])

    with pytest.raises(error):
        store.file_path(job.id, name)
    assert store.file_path(job.id, "result.csv").read_bytes() == b"ok"
    assert store.file_path(job.id, "job.log").name == "job.log"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("job.json", id="record"),
        pytest.param("job.log", id="log"),
        pytest.param("../x.csv", id="traversal"),
        pytest.param(".hidden", id="hidden"),
    ],
)
def test_results_cannot_take_reserved_or_unsafe_names(store: JobStore, name: str) -> None:
    job = store.create("query")
    with pytest.raises(UnsafePathError):
        store.temp_path(job.id, name)


def test_publish_refuses_a_file_that_is_not_the_jobs_temp(store: JobStore, tmp_path: Path) -> None:
    job = store.create("query")
    other = store.create("query")
    stray = tmp_path / "stray.csv"
    stray.write_text("x")
    foreign = store.temp_path(other.id, "result.csv")
    foreign.write_text("x")

    for temp in (stray, foreign, store.temp_path(job.id, "never-written.csv")):
        with pytest.raises(UnsafePathError, match="not a temporary file"):
            store.publish(job.id, temp, "result.csv")
    assert store.get(job.id).files == []


def test_log_lines_are_timestamped_and_multiline_messages_indented(
    store: JobStore, clock: Clock
) -> None:
    job = store.create("query")
    clock.advance(seconds=1.5)
    store.log(job.id, "Traceback:\n  line 1\n  line 2")

    lines = store.read_log(job.id).splitlines()
    assert lines[0] == "2026-11-22T10:00:00.000Z created query job"
    assert lines[1:] == ["2026-11-22T10:00:01.500Z Traceback:", "      line 1", "      line 2"]
    tail = store.read_log(job.id, max_bytes=20)
    assert tail.startswith("[...]\n") and tail.endswith("line 2\n")


# --- archives -------------------------------------------------------------------------------------


class NoSeekWriter(io.RawIOBase):
    """A write-only stream that cannot seek, like an HTTP response body."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)


@pytest.mark.parametrize("destination", ["path", "stream"])
def test_archive_zips_results_record_and_log(
    store: JobStore, tmp_path: Path, destination: str
) -> None:
    job = store.create("query", "export")
    write_result(store, job.id, "result.csv", b"ra,dec\n" * 1000, format="csv")
    write_result(store, job.id, "result.parquet", b"PAR1" * 100, format="parquet")
    temp = store.temp_path(job.id, "unfinished.fits")
    temp.write_bytes(b"half")

    if destination == "path":
        store.archive(job.id, tmp_path / "job.zip")
        data = (tmp_path / "job.zip").read_bytes()
    else:
        writer = NoSeekWriter()
        store.archive(job.id, writer)
        data = b"".join(writer.chunks)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        infos = {info.filename: info for info in archive.infolist()}
        assert sorted(infos) == [
            f"{job.id}/{n}" for n in ("job.json", "job.log", "result.csv", "result.parquet")
        ]
        assert archive.read(f"{job.id}/result.csv") == b"ra,dec\n" * 1000
        assert json.loads(archive.read(f"{job.id}/job.json"))["name"] == "export"
        assert b"created query job" in archive.read(f"{job.id}/job.log")
    assert infos[f"{job.id}/result.csv"].compress_type == zipfile.ZIP_DEFLATED
    assert infos[f"{job.id}/result.parquet"].compress_type == zipfile.ZIP_STORED


# --- recovery and expiry --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "runner", "expected", "reason"),
    [
        pytest.param(
            Phase.EXECUTING,
            DEAD_RUNNER,
            Phase.ERROR,
            "while this job was running",
            id="running-dead-host",
        ),
        pytest.param(
            Phase.EXECUTING,
            "reused-pid",
            Phase.ERROR,
            "while this job was running",
            id="running-pid-reused",
        ),
        pytest.param(
            Phase.EXECUTING, None, Phase.ERROR, "while this job was running", id="running-no-runner"
        ),
        pytest.param(
            Phase.QUEUED, DEAD_RUNNER, Phase.ERROR, "before this job could run", id="queued-dead"
        ),
        pytest.param(
            Phase.PENDING,
            DEAD_RUNNER,
            Phase.ERROR,
            "before this job could run",
            id="pending-claimed-by-dead-runner",
        ),
        pytest.param(Phase.PENDING, None, Phase.PENDING, None, id="pending-uws-waiting-for-run"),
        pytest.param(Phase.EXECUTING, "live", Phase.EXECUTING, None, id="running-in-live-process"),
        pytest.param(Phase.COMPLETED, DEAD_RUNNER, Phase.COMPLETED, None, id="completed"),
        pytest.param(Phase.ABORTED, DEAD_RUNNER, Phase.ABORTED, None, id="aborted"),
    ],
)
def test_recover_marks_jobs_of_dead_servers_as_errors(
    tmp_path: Path,
    clock: Clock,
    phase: Phase,
    runner: str | None,
    expected: Phase,
    reason: str | None,
) -> None:
    tokens = {"live": process_token(), "reused-pid": f"{process_token().rsplit(':', 1)[0]}:0"}
    before = JobStore(tmp_path / "jobs", clock=clock)
    job = before.create("query", runner=tokens.get(runner or "", runner))
    before.update(job.id, phase=phase, started=T0 if phase is Phase.EXECUTING else None)

    clock.advance(hours=3)
    after = JobStore(tmp_path / "jobs", clock=clock)  # the restarted server
    recovered = after.recover()
    job = after.get(job.id)

    assert job.phase is expected
    if reason is None:
        assert recovered == []
        assert job.error is None
    else:
        assert recovered == [job.id]
        assert job.error == (f"the server stopped {reason} (restarted at 2026-11-22T13:00:00Z)")
        assert job.ended == clock.now
        assert f"ERROR: {job.error}" in after.read_log(job.id)
        assert after.recover() == []


# --- several hosts, one store: heartbeats -----------------------------------------------------

#: A runner in another pod sharing the store (e.g. the platform service's), never this host.
OTHER_HOST = "surveylab-platform-7c9f"
OTHER_RUNNER = f"{OTHER_HOST}:1:5512"


def claimed_job(store: JobStore, runner: str, phase: Phase = Phase.EXECUTING) -> Job:
    job = store.create("query", runner=runner)
    return store.update(job.id, phase=phase, started=T0 if phase is Phase.EXECUTING else None)


@pytest.mark.parametrize(
    ("phase", "beat_age", "expected", "reason"),
    [
        pytest.param(Phase.EXECUTING, timedelta(seconds=5), Phase.EXECUTING, None, id="fresh"),
        pytest.param(
            Phase.EXECUTING, timedelta(minutes=2), Phase.EXECUTING, None, id="at-the-stale-limit"
        ),
        pytest.param(Phase.QUEUED, timedelta(seconds=30), Phase.QUEUED, None, id="queued-fresh"),
        pytest.param(
            Phase.EXECUTING,
            timedelta(minutes=2, seconds=1),
            Phase.ERROR,
            "while this job was running",
            id="stale",
        ),
        pytest.param(
            Phase.QUEUED,
            timedelta(hours=5),
            Phase.ERROR,
            "before this job could run",
            id="queued-stale",
        ),
    ],
)
def test_recover_judges_another_hosts_runner_by_its_heartbeat(
    tmp_path: Path,
    clock: Clock,
    phase: Phase,
    beat_age: timedelta,
    expected: Phase,
    reason: str | None,
) -> None:
    service = JobStore(tmp_path / "jobs", clock=clock)  # as the other pod sees the store
    job = claimed_job(service, OTHER_RUNNER, phase)
    service.beat(job.id, OTHER_RUNNER)

    clock.now = T0 + beat_age
    lab = JobStore(tmp_path / "jobs", clock=clock)  # a lab starting on this host
    recovered = lab.recover()
    job = lab.get(job.id)

    assert job.phase is expected
    if reason is None:
        assert recovered == []
        assert lab.runner_alive(job)
    else:
        assert recovered == [job.id]
        assert job.error == (
            f"the job's runner on host {OTHER_HOST} stopped answering {reason} "
            f"(last heartbeat {format_time(T0)}; found at {format_time(clock.now)})"
        )
        assert f"ERROR: {job.error}" in lab.read_log(job.id)


@pytest.mark.parametrize(
    ("beat_by", "stale_after", "alive"),
    [
        pytest.param(OTHER_RUNNER, timedelta(minutes=2), True, id="own-beat"),
        pytest.param(None, timedelta(minutes=2), False, id="never-beat"),
        pytest.param("another-pod:9:1", timedelta(minutes=2), False, id="beat-of-another-runner"),
        pytest.param(OTHER_RUNNER, timedelta(seconds=10), False, id="shorter-stale-limit"),
    ],
)
def test_only_the_runners_own_recent_beat_keeps_its_job(
    tmp_path: Path, clock: Clock, beat_by: str | None, stale_after: timedelta, alive: bool
) -> None:
    store = JobStore(tmp_path / "jobs", clock=clock, heartbeat_stale=stale_after)
    job = claimed_job(store, OTHER_RUNNER)
    if beat_by is not None:
        store.beat(job.id, beat_by)
    clock.advance(seconds=60)
    assert store.runner_alive(job) is alive
    assert (store.recover() == []) is alive


@pytest.mark.parametrize(
    ("runner", "beat", "orphaned"),
    [
        pytest.param("live", False, False, id="live-no-beat"),
        pytest.param("live", True, False, id="live-stale-beat"),
        pytest.param("reused-pid", True, True, id="dead-fresh-beat"),
    ],
)
def test_a_runner_on_this_host_is_judged_by_its_process_not_its_heartbeat(
    store: JobStore, clock: Clock, runner: str, beat: bool, orphaned: bool
) -> None:
    token = process_token() if runner == "live" else f"{process_token().rsplit(':', 1)[0]}:0"
    job = claimed_job(store, token)
    if beat:
        store.beat(job.id, token)
    clock.advance(hours=1 if runner == "live" else 0)  # "live": its beat is long stale
    assert store.recover() == ([job.id] if orphaned else [])
    if orphaned:  # the message of a restarted server, as before heartbeats
        assert store.get(job.id).error == (
            f"the server stopped while this job was running (restarted at {format_time(T0)})"
        )


def test_delete_refuses_a_job_another_host_still_runs(store: JobStore, clock: Clock) -> None:
    job = claimed_job(store, OTHER_RUNNER)
    store.beat(job.id, OTHER_RUNNER)
    with pytest.raises(JobStateError, match="cancel it before deleting it"):
        store.delete(job.id)
    clock.advance(minutes=3)
    store.delete(job.id)
    assert store.list() == ([], 0)


def test_a_heartbeat_is_one_hidden_file_replaced_whole(store: JobStore, clock: Clock) -> None:
    job = claimed_job(store, OTHER_RUNNER)
    store.beat(job.id, OTHER_RUNNER)
    clock.advance(seconds=30)
    store.beat(job.id, OTHER_RUNNER)

    hidden = sorted(p.name for p in store.job_dir(job.id).iterdir() if p.name.startswith("."))
    assert hidden == [".heartbeat", ".lock"]
    assert store.last_beat(job) == clock.now
    assert store.get(job.id) == job  # the record is not touched
    with pytest.raises(JobNotFoundError):
        store.beat("0123456789ab", OTHER_RUNNER)


def test_a_torn_or_foreign_heartbeat_file_is_no_beat(store: JobStore) -> None:
    job = claimed_job(store, OTHER_RUNNER)
    path = store.job_dir(job.id) / ".heartbeat"
    torn = ["", "{", "[]", json.dumps({"runner": OTHER_RUNNER})]
    foreign = [json.dumps({"runner": "x:1:2", "time": format_time(T0)})]
    for text in [*torn, *foreign, json.dumps({"runner": OTHER_RUNNER, "time": "noon"})]:
        path.write_text(text)
        assert store.last_beat(job) is None, text
    assert not store.runner_alive(job)


def test_the_stale_limit_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="heartbeat_stale"):
        JobStore(tmp_path / "jobs", heartbeat_stale=timedelta(0))


def test_recover_removes_half_created_and_half_deleted_folders(
    store: JobStore, clock: Clock
) -> None:
    kept = store.create("query")
    (store.root / ".deleted-0123456789ab-ffff").mkdir()
    stale = store.root / ".new-0123456789ab"
    stale.mkdir()
    os.utime(stale, (0, 0))
    fresh = store.root / ".new-ba9876543210"
    fresh.mkdir()

    store.recover()

    assert sorted(p.name for p in store.root.iterdir()) == sorted([".new-ba9876543210", kept.id])


def test_expire_deletes_jobs_past_their_destruction(store: JobStore, clock: Clock) -> None:
    old = store.create("query", "old")
    clock.advance(days=5)
    young = store.create("query", "young")
    renewed = store.create("query", "renewed")
    running = store.create("query", "running", runner=process_token())
    store.update(running.id, phase=Phase.EXECUTING)

    clock.advance(days=9, seconds=1)  # 14 days and a second after "old"
    assert store.expire() == [old.id]

    clock.advance(days=5)
    store.renew(renewed.id, days=1)
    assert sorted(store.expire()) == sorted([young.id])
    assert {job.name for job in store.list()[0]} == {"renewed", "running"}

    later = clock.now + timedelta(days=2)
    assert store.expire(later) == [renewed.id]
    assert [job.name for job in store.list()[0]] == ["running"], "a running job outlives expiry"


def test_expire_refuses_a_naive_time(store: JobStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.expire(datetime(2030, 1, 1))


def test_store_root_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    JobStore(root)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_cancel_requests_are_left_in_the_job_folder(store: JobStore) -> None:
    job = store.create("query")
    assert not store.cancel_requested(job.id)
    store.request_cancel(job.id)
    assert store.cancel_requested(job.id)
    assert store.get(job.id).files == []


def test_archive_never_reads_outside_the_job_folder(store: JobStore, tmp_path: Path) -> None:
    job = store.create("query")
    (tmp_path / "secret.txt").write_text("private")
    record_path = store.job_dir(job.id) / "job.json"
    record = json.loads(record_path.read_text())
    record["files"] = [{"name": "../../secret.txt", "size": 7}]  # a record edited by hand
    record_path.write_text(json.dumps(record))

    out = io.BytesIO()
    store.archive(job.id, out)

    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [f"{job.id}/job.json", f"{job.id}/job.log"]
    with pytest.raises(UnsafePathError):
        store.update(job.id, files=[ResultFile("../../secret.txt", 7)])

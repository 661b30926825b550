"""The live checks of the platform's parts (:mod:`surveylab.status`): on the demo survey, with a
catalog whose database does not answer, and with checks that hang or answer slowly."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from surveylab import Settings, Survey
from surveylab.status import (
    Observation,
    PartState,
    StatusChecker,
    check_hub,
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stepping_clock(step: timedelta) -> Callable[[], datetime]:
    """A clock that moves ``step`` on every reading, from an hour ago."""
    start = datetime.now(UTC) - timedelta(hours=1)
    ticks = itertools.count()
    return lambda: start + next(ticks) * step


@pytest.fixture
def survey(demo_data_dir: Path, jobs_dir: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs_dir)) as opened:
        yield opened


def test_every_part_of_the_demo_answers_and_a_lab_not_under_a_hub_says_so(survey: Survey) -> None:
    clock = stepping_clock(timedelta(milliseconds=1))
    report = StatusChecker.for_survey(survey, environ={}, clock=clock).report()
    states = {part.name: part.state for part in report.parts}
    assert states == {
        "catalog": PartState.OK,
        "jobs": PartState.OK,
        "cutouts": PartState.OK,
        "hub": PartState.OFF,
        "platform": PartState.OFF,
    }
    assert report.state is PartState.OK
    assert report.part("hub").detail == "not under a hub"
    assert report.part("catalog").detail == "duckdb answers queries"
    jobs = report.part("jobs")
    assert (jobs.queued, jobs.running) == (0, 0)
    assert "starts on first use" in report.part("cutouts").detail
    for part in report.parts:  # each stamped by the injected clock, after the report began
        assert part.checked_at.tzinfo is UTC
        assert report.checked_at < part.checked_at < report.checked_at + timedelta(seconds=1)
        assert part.error is None
    body = report.to_json()
    assert body["state"] == "ok" and [p["name"] for p in body["parts"]] == list(states)
    assert body["parts"][0]["label"] == "catalog database"


def test_a_catalog_that_does_not_answer_is_down_with_its_error(
    demo_data_dir: Path, jobs_dir: Path
) -> None:
    url = f"postgresql://nobody@127.0.0.1:{closed_port()}/survey"
    settings = Settings(data_dir=demo_data_dir, jobs_dir=jobs_dir, catalog_url=url)
    with Survey(settings) as survey:
        report = survey.status()
    catalog = report.part("catalog")
    assert catalog.state is PartState.DOWN
    assert catalog.error and "127.0.0.1" in catalog.error
    assert report.state is PartState.DOWN
    assert report.part("jobs").state is PartState.OK  # the others answer on


def test_a_stopped_job_runner_is_down_with_its_counts(survey: Survey) -> None:
    survey.runner.shutdown()
    jobs = survey.status().part("jobs")
    assert jobs.state is PartState.DOWN
    assert jobs.detail == "the job runner has stopped"
    assert (jobs.queued, jobs.running) == (0, 0)


def test_a_started_cutout_pool_must_answer(survey: Survey) -> None:
    executor = survey.cutout_executor
    assert sorted(executor.map_unordered(abs, [-1, -2], lambda: False)) == [1, 2]  # started
    cutouts = survey.status().part("cutouts")
    assert cutouts.state is PartState.OK
    assert cutouts.detail == f"a local pool of {executor.workers} process(es) answers"


def test_a_hung_check_is_down_and_not_started_again_while_it_hangs() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hanging() -> Observation:
        calls.append(1)
        release.wait(30)
        return Observation(PartState.OK, "answered at last")

    checker = StatusChecker(
        {"catalog": hanging, "jobs": lambda: Observation(PartState.OK, "fine")}, timeout=0.2
    )
    started = time.monotonic()
    first = checker.report()
    assert time.monotonic() - started < 5  # the report does not wait for the hung part
    assert first.part("catalog").state is PartState.DOWN
    assert first.part("catalog").error == "no answer within 0.2 s"
    assert first.part("jobs").state is PartState.OK
    second = checker.report()
    assert "the check started at" in (second.part("catalog").error or "")
    assert len(calls) == 1  # still the first one
    release.set()
    deadline = time.monotonic() + 10
    while (third := checker.report()).part("catalog").state is not PartState.OK:
        assert time.monotonic() < deadline
    assert third.part("catalog").detail == "answered at last"


def test_a_slow_answer_is_degraded_and_an_error_is_down() -> None:
    def failing() -> Observation:
        raise ConnectionError("the scheduler refused the connection")

    checker = StatusChecker(
        {"cutouts": lambda: Observation(PartState.OK, "fine"), "hub": failing},
        slow=1.0,
        clock=stepping_clock(timedelta(seconds=0.75)),  # two readings per check: 1.5 s
    )
    report = checker.report()
    slow = report.part("cutouts")
    assert slow.state is PartState.DEGRADED
    assert slow.detail.startswith("fine; slow: answered in")
    assert report.part("hub").state is PartState.DOWN
    assert report.part("hub").error == "the scheduler refused the connection"
    assert report.state is PartState.DOWN


def test_a_hub_that_does_not_answer_is_down_and_the_token_never_shows() -> None:
    environ = {
        "JUPYTERHUB_API_URL": f"http://127.0.0.1:{closed_port()}/hub/api",
        "JUPYTERHUB_API_TOKEN": "secret-token-4711",
    }
    checker = StatusChecker({"hub": lambda: check_hub(environ)})
    hub = checker.report().part("hub")
    assert hub.state is PartState.DOWN
    assert hub.error and "cannot be reached" in hub.error
    assert "secret-token-4711" not in str(hub.to_json())

"""JobBrowser on the demo survey: listing, actions, results and the refresh while jobs run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.jobs import Phase
from surveylab_widgets import JobBrowser

#: Runs until cancelled (a triple self-join), as in the core's job tests.
SLOW_SQL = "SELECT COUNT(*) FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"


@pytest.fixture
def survey(demo_data_dir: Path, jobs_dir: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs_dir)) as survey:
        yield survey


def finished(survey: Survey, *names: str) -> list[str]:
    """Ids of completed query jobs with these names (oldest first)."""
    ids = []
    for name in names:
        job = survey.submit("SELECT RA, DEC FROM DR1_MAIN FETCH FIRST 5 ROWS ONLY", name=name)
        assert job.wait(60).phase is Phase.COMPLETED
        ids.append(job.id)
    return ids


def test_it_lists_the_jobs_newest_first(survey: Survey) -> None:
    first, second = finished(survey, "first", "<i>second")
    browser = JobBrowser(survey)
    assert [job.id for job in browser.jobs] == [second, first]
    assert browser.selected == second
    assert "&lt;i&gt;second" in browser.table.value  # names are escaped
    assert browser.table.value.count("COMPLETED") == 2
    assert "5 rows · 1 file" in browser.table.value
    assert not browser.refreshing  # nothing runs: no background refresh
    assert str(browser.files()[0]) in browser.details.value  # the result file's path
    assert "FETCH FIRST 5 ROWS ONLY" in browser.details.value


def test_rename_delete_and_load_result(survey: Survey) -> None:
    first, second = finished(survey, "a", "b")
    browser = JobBrowser(survey)
    browser.selected = first
    browser.new_name.value = "renamed"
    browser.buttons["Rename"].click()
    assert survey.runner.store.get(first).name == "renamed"
    assert browser.selected == first
    assert "renamed" in browser.table.value
    assert browser.new_name.value == ""

    table = browser.load_result()
    assert table is not None and len(table) == 5 and browser.result is table
    assert "5 rows loaded" in browser.status.value

    browser.buttons["Delete"].click()
    assert [job.id for job in survey.jobs()] == [second]
    assert [job.id for job in browser.jobs] == [second]
    assert browser.selected == second


@pytest.mark.parametrize(
    ("action", "message"),
    [
        pytest.param(lambda b: b.rename("a/b"), "cannot contain '/'", id="bad-name"),
        pytest.param(lambda b: b.rename("x", "000000000000"), "000000000000", id="unknown-job"),
        pytest.param(lambda b: b.delete("not an id"), "not an id", id="malformed-id"),
    ],
)
def test_a_failing_action_is_a_message(survey: Survey, action: object, message: str) -> None:
    finished(survey, "kept")
    browser = JobBrowser(survey)
    assert action(browser) is False  # type: ignore[operator]
    assert browser.error is not None and message in browser.error
    assert message in browser.status.value.replace("&#x27;", "'")
    assert survey.jobs()[0].name == "kept"


def test_with_no_jobs_it_says_so(survey: Survey) -> None:
    browser = JobBrowser(survey)
    assert browser.jobs == [] and browser.selected is None
    assert "No jobs yet" in browser.table.value
    assert browser.load_result() is None
    assert browser.error == "no job selected"


def test_it_refreshes_while_a_job_runs_and_stops_when_idle(survey: Survey) -> None:
    job = survey.submit(SLOW_SQL, name="slow")
    browser = JobBrowser(survey, interval=0.05)
    assert browser.refreshing
    poller = browser._poller
    assert poller is not None
    job.cancel()  # from elsewhere: the browser sees it by itself
    poller.join(timeout=60)
    assert not poller.is_alive() and not browser.refreshing
    assert browser.jobs[0].phase is Phase.ABORTED
    assert "ABORTED" in browser.table.value


def test_cancel_stops_a_running_job(survey: Survey) -> None:
    job = survey.submit(SLOW_SQL, name="slow")
    browser = JobBrowser(survey, interval=0.05)
    assert browser.cancel()
    assert job.wait(60).phase is Phase.ABORTED
    poller = browser._poller
    if poller is not None:
        poller.join(timeout=60)
    assert not browser.refreshing
    browser.refresh()
    assert browser.jobs[0].phase is Phase.ABORTED
    # a cancelled job has no result: a message, not an exception
    assert browser.load_result() is None
    assert browser.error is not None and "ABORTED" in browser.error
    assert not browser.refreshing


def test_a_cutout_job_points_to_the_gallery(survey: Survey) -> None:
    job = survey.cutouts([(323.36, -0.82)])
    job.wait(60)
    browser = JobBrowser(survey)
    assert browser.load_result() is None
    assert browser.error is not None and "CutoutGallery.from_job" in browser.error
    assert browser.gallery().names == [survey.job(job.id).summary()["positions"][0]["name"]]


def test_close_stops_the_refresh(survey: Survey) -> None:
    job = survey.submit(SLOW_SQL, name="slow")
    browser = JobBrowser(survey, interval=0.05)
    assert browser.refreshing
    browser.close()
    assert not browser.refreshing
    job.cancel()
    assert job.wait(60).phase is Phase.ABORTED


def test_the_static_fallback_holds_the_job_table(survey: Survey) -> None:
    finished(survey, "shown")
    browser = JobBrowser(survey)
    html = browser._repr_mimebundle_()["text/html"]
    assert "shown" in html and "COMPLETED" in html


def test_a_query_panel_job_shows_up(survey: Survey) -> None:
    from surveylab_widgets import QueryPanel

    panel = QueryPanel(survey, M2_EXAMPLE_QUERY)
    browser = JobBrowser(survey, interval=0.05)
    job = panel.submit()
    assert job is not None
    browser.refresh()
    assert browser.jobs[0].id == job.id
    job.wait(60)
    if browser._poller is not None:
        browser._poller.join(timeout=60)
    assert browser.jobs[0].phase is Phase.COMPLETED

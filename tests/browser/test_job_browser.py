"""The job browser in a real JupyterLab: jobs reach their end on screen, files download, and
cancel, rename, renew, delete, "open folder" and the finished-job notification work."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LAB_READY_MS, LIGHT_THEME, set_theme, shot
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

#: A query that runs until it is cancelled on the demo's DuckDB: a triple self cross join of
#: ~20,000 rows (8e12 combinations) with an aggregate, so no row is ever written.
LONG_SQL = (
    "SELECT COUNT(*) AS N FROM DR1_MAIN a, DR1_MAIN b, DR1_MAIN c WHERE a.RA + b.DEC > c.RA + c.DEC"
)
#: A query that finishes at once.
QUICK_SQL = "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN FETCH FIRST 5 ROWS ONLY"
#: How long a job may take to reach its phase on 2 busy cores.
JOB_MS = 90_000


def open_workspace(page: Page, lab: RunningLab) -> Page:
    """Open JupyterLab in a workspace of its own: the job browser a test leaves open is
    restored into no other test's page (the session lab's default workspace stays as it was)."""
    url = f"{lab.url}/lab/workspaces/jobs-{uuid.uuid4().hex[:8]}?token={lab.token}"
    page.goto(url)
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    return page


@pytest.fixture
def lab_page(page: Page, running_lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """JupyterLab (light theme) in a fresh workspace; a screenshot is kept if the test fails."""
    yield open_workspace(page, running_lab)
    keep_failure_shot(page, request)


@pytest.fixture
def dark_lab_page(
    page: Page, running_lab: RunningLab, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """The session's JupyterLab in a fresh workspace, switched to the dark theme (a saved user
    setting: switched back to the light theme after the test)."""
    open_workspace(page, running_lab)
    set_theme(page, "JupyterLab Dark")
    yield page
    keep_failure_shot(page, request)
    set_theme(page, LIGHT_THEME)


def keep_failure_shot(page: Page, request: pytest.FixtureRequest) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):
            shot(page, f"{request.node.name}-failure")


def submit(lab: RunningLab, sql: str, **options: Any) -> dict[str, Any]:
    """Start a query job through the REST API and return its record."""
    response = lab.api("POST", "jobs", json={"type": "query", "sql": sql, **options})
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def forget(lab: RunningLab, job_id: str) -> None:
    """Delete a job (cancelling it first) so that no test leaves one running."""
    with contextlib.suppress(Exception):
        lab.api("DELETE", f"jobs/{job_id}")


@contextlib.contextmanager
def job_on_server(lab: RunningLab, sql: str, **options: Any) -> Iterator[dict[str, Any]]:
    job = submit(lab, sql, **options)
    try:
        yield job
    finally:
        forget(lab, job["id"])


def open_job_browser(page: Page) -> Locator:
    """Open the job browser through the command palette; return its content."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Jobs")
    page.locator('.lm-CommandPalette-item[data-command="surveylab:open-jobs"]').click()
    browser = page.locator('[data-testid="surveylab-jobs"]')
    expect(browser).to_be_visible()
    return browser


def job_row(browser: Locator, job_id: str) -> Locator:
    return browser.locator(f'tr[data-testid="job-row"][data-job-id="{job_id}"]')


def open_details(row: Locator) -> Locator:
    """Focus the row and press Enter; return the details shown under it."""
    row.focus()
    row.press("Enter")
    expect(row).to_have_attribute("aria-expanded", "true")
    details = row.locator("xpath=following-sibling::tr[1]").locator('[data-testid="job-details"]')
    expect(details).to_be_visible()
    return details


def test_fits_job_completes_with_its_files_to_download(
    lab_page: Page, running_lab: RunningLab
) -> None:
    examples = running_lab.api("GET", "examples").json()["examples"]
    m2 = next(example for example in examples if example["name"] == "m2-stars")
    name = f"M2 stars {uuid.uuid4().hex[:6]}"
    with job_on_server(running_lab, m2["sql"], format="fits", name=name) as job:
        browser = open_job_browser(lab_page)
        row = job_row(browser, job["id"])
        expect(row.locator('[data-testid="job-name"]')).to_have_text(name)
        expect(row).to_have_attribute("data-phase", "COMPLETED", timeout=JOB_MS)
        expect(row.locator('[data-testid="job-phase"]')).to_have_text("Completed")
        expect(row.locator('[data-testid="job-outcome"]')).to_contain_text(re.compile(r"\d+ rows?"))
        assert (
            lab_page.evaluate(
                "() => performance.getEntriesByName('surveylab:jobs-rendered').length"
            )
            == 1
        )

        details = open_details(row)
        files = details.locator('[data-testid="job-file"]')
        expect(files.first).to_be_visible()
        names = files.all_inner_texts()
        assert any(file.endswith(".fits") for file in names), names
        fits = files.filter(has_text=re.compile(r"\.fits$")).first
        href = fits.get_attribute("href")
        assert href is not None and href.endswith(f"/jobs/{job['id']}/files/{fits.inner_text()}")
        head = lab_page.evaluate(
            """async url => {
                const response = await fetch(url);
                const bytes = new Uint8Array(await response.arrayBuffer());
                return response.status + ' ' + String.fromCharCode(...bytes.slice(0, 6));
            }""",
            href,
        )
        assert head == "200 SIMPLE"
        archive = details.locator('[data-testid="job-action-downloadAll"]')
        expect(archive).to_have_attribute("href", re.compile(rf"/jobs/{job['id']}/archive$"))
        expect(details.locator('[data-testid="job-sql"]')).to_contain_text("FROM DR1_MAIN")
        shot(lab_page, "jobs-completed-fits")


def test_cancel_a_long_job_from_the_browser(dark_lab_page: Page, running_lab: RunningLab) -> None:
    lab_page = dark_lab_page
    with job_on_server(running_lab, LONG_SQL, name="long cross join") as job:
        browser = open_job_browser(lab_page)
        row = job_row(browser, job["id"])
        expect(row).to_have_attribute("data-phase", "EXECUTING", timeout=JOB_MS)
        expect(row.locator('[data-testid="job-progress"]')).to_be_visible()
        shot(lab_page, "jobs-running-dark")

        row.locator('[data-testid="job-row-cancel"]').click()

        expect(row).to_have_attribute("data-phase", "ABORTED", timeout=JOB_MS)
        expect(row.locator('[data-testid="job-phase"]')).to_have_text("Cancelled")
        expect(row.locator('[data-testid="job-row-cancel"]')).to_have_count(0)
        assert running_lab.api("GET", f"jobs/{job['id']}").json()["phase"] == "ABORTED"
        shot(lab_page, "jobs-cancelled-dark")


def test_rename_renew_open_folder_and_delete(lab_page: Page, running_lab: RunningLab) -> None:
    with job_on_server(running_lab, QUICK_SQL, name="to rename") as job:
        job_id = job["id"]
        # Expiring in a day, so that a renewal shows.
        assert running_lab.api("PATCH", f"jobs/{job_id}", json={"renew": 1}).status_code == 200
        browser = open_job_browser(lab_page)
        row = job_row(browser, job_id)
        expect(row).to_have_attribute("data-phase", "COMPLETED", timeout=JOB_MS)
        expect(row.locator('[data-testid="job-expires"]')).to_have_text(re.compile(r"in 2[34] h"))
        details = open_details(row)

        # Rename: a bad name is refused with the reason, and the typed text is kept.
        details.locator('[data-testid="job-action-rename"]').click()
        dialog = lab_page.locator(".jp-Dialog")
        field = dialog.locator("input")
        expect(field).to_have_value("to rename")
        field.fill("stars/bright")
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        expect(dialog).to_contain_text('A job name cannot contain "/".')
        expect(field).to_have_value("stars/bright")
        field.fill("bright stars")
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        expect(dialog).to_have_count(0)
        expect(row.locator('[data-testid="job-name"]')).to_have_text("bright stars")
        assert running_lab.api("GET", f"jobs/{job_id}").json()["name"] == "bright stars"

        # Renew: back to the full lifetime.
        details.locator('[data-testid="job-action-renew"]').click()
        expect(row.locator('[data-testid="job-expires"]')).to_have_text("in 14 days")
        expect(
            lab_page.locator(".Toastify__toast", has_text='"bright stars" is kept until')
        ).to_be_visible()
        shot(lab_page, "jobs-renamed-renewed")

        # Open folder: the file browser shows the job's folder.
        details.locator('[data-testid="job-action-openFolder"]').click()
        file_browser = lab_page.locator("#filebrowser")
        expect(file_browser).to_be_visible()
        expect(file_browser.locator(".jp-BreadCrumbs")).to_contain_text(job_id)
        expect(file_browser.locator(".jp-DirListing-itemText", has_text="job.json")).to_be_visible()
        shot(lab_page, "jobs-open-folder")

        # Delete with the keyboard: Delete asks first; Cancel keeps the job.
        open_job_browser(lab_page)
        row.focus()
        row.press("Delete")
        dialog = lab_page.locator(".jp-Dialog")
        expect(dialog).to_contain_text('Delete "bright stars"')
        shot(lab_page, "jobs-delete-confirmation")
        dialog.locator(".jp-Dialog-button.jp-mod-reject").click()
        expect(dialog).to_have_count(0)
        expect(row).to_be_visible()
        assert running_lab.api("GET", f"jobs/{job_id}").status_code == 200

        row.focus()
        row.press("Delete")
        lab_page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-warn").click()
        expect(row).to_have_count(0)
        assert running_lab.api("GET", f"jobs/{job_id}").status_code == 404


def test_a_job_finishing_elsewhere_raises_a_notification(
    lab_page: Page, running_lab: RunningLab
) -> None:
    name = f"background {uuid.uuid4().hex[:6]}"
    with job_on_server(running_lab, LONG_SQL, name=name) as job:
        browser = open_job_browser(lab_page)
        row = job_row(browser, job["id"])
        expect(row).to_have_attribute("data-phase", "EXECUTING", timeout=JOB_MS)
        # Go elsewhere in the lab: the launcher becomes the active tab.
        lab_page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Launcher").click()
        expect(browser).to_be_hidden()

        # The job ends without the browser's help (as if from Python or another panel).
        assert running_lab.api("POST", f"jobs/{job['id']}/cancel").status_code == 200

        toast = lab_page.locator(".Toastify__toast", has_text=f'Job "{name}" was cancelled.')
        expect(toast).to_be_visible(timeout=30_000)
        show = toast.get_by_role("button", name="Show")
        expect(show).to_be_visible()
        shot(lab_page, "jobs-finished-notification")
        show.click()
        expect(browser).to_be_visible()
        expect(row).to_have_attribute("aria-selected", "true")
        expect(row).to_have_attribute("aria-expanded", "true")
        expect(row).to_be_focused()


def test_a_failed_job_shows_its_error(lab_page: Page, running_lab: RunningLab) -> None:
    # Valid SQL that fails while it runs: the cast of a non-number.
    sql = "SELECT CAST(TILENAME AS INTEGER) AS T FROM DR1_MAIN"
    with job_on_server(running_lab, sql, name="bad cast") as job:
        browser = open_job_browser(lab_page)
        row = job_row(browser, job["id"])
        expect(row).to_have_attribute("data-phase", "ERROR", timeout=JOB_MS)
        expect(row.locator('[data-testid="job-phase"]')).to_have_text("Failed")
        error = running_lab.api("GET", f"jobs/{job['id']}").json()["error"]
        assert error
        expect(row.locator('[data-testid="job-outcome"]')).to_contain_text(error[:40])
        details = open_details(row)
        expect(details.locator('[data-testid="job-error"]')).to_have_text(error)
        expect(details.locator('[data-testid="job-no-files"]')).to_have_text("No result files.")
        expect(details.locator('[data-testid="job-action-cancel"]')).to_have_count(0)
        details.locator("summary", has_text="Log").click()
        log = details.locator('[data-testid="job-log"]')
        expect(log).to_contain_text("started")
        expect(log).to_contain_text("Conversion Error")
        shot(lab_page, "jobs-failed")

"""The lab deadline: a capped (GPU) lab shows a countdown in the status bar and the 30-minute
warning; an uncapped lab shows neither."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LAB_READY_MS, shot
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

COUNTDOWN = '[data-testid="surveylab-deadline"]'


def open_fresh_lab(page: Page, lab: RunningLab) -> None:
    """Open JupyterLab in a workspace of its own (no layout restored from other tests)."""
    workspace = f"deadline-{uuid.uuid4().hex[:8]}"
    page.goto(f"{lab.url}/lab/workspaces/{workspace}?token={lab.token}")
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)


def wait_for_deadline_check(page: Page) -> None:
    """Wait until the deadline plugin has read ``GET /lab`` (it sets a performance mark)."""
    page.wait_for_function(
        "() => performance.getEntriesByName('surveylab:deadline-checked').length > 0"
    )


#: The lab extension's request for the lab's details (``GET /surveylab/api/lab``).
LAB_INFO = re.compile(r"/surveylab/api/lab(\?.*)?$")


@pytest.fixture
def capped_page(page: Page, running_lab: RunningLab) -> Page:
    """A page whose lab answers, as a lab the hub stops in 29 minutes (a GPU lab), that its
    deadline is 29 minutes from now: the session lab's own answer with the deadline the server
    reads from ``SURVEYLAB_LAB_DEADLINE`` (``tests/server/test_info.py``) put in."""
    deadline = datetime.now(UTC) + timedelta(minutes=29)

    def with_deadline(route: Route) -> None:
        response = route.fetch()
        body = {**response.json(), "deadline": deadline.isoformat(timespec="seconds")}
        route.fulfill(response=response, json=body)

    page.route(LAB_INFO, with_deadline)
    return page


def test_a_capped_lab_counts_down_and_warns_at_30_minutes(
    capped_page: Page, running_lab: RunningLab
) -> None:
    page = capped_page
    try:
        open_fresh_lab(page, running_lab)
        countdown = page.locator(f".jp-StatusBar-Widget {COUNTDOWN}")
        # 29 minutes when the lab started; starting it and the page may take minutes on busy cores.
        expect(countdown).to_have_text(re.compile(r"^GPU lab: 2\d min left$"))
        expect(countdown).to_have_attribute("data-urgency", "warning")
        expect(countdown).to_have_attribute("title", re.compile(r"^GPU lab stops at "))
        toast = page.locator(".Toastify__toast", has_text=re.compile(r"GPU lab stops in 2\d min"))
        expect(toast).to_be_visible()
        expect(toast).to_contain_text("Save your notebooks")
        # Once only: the warning is not repeated by later ticks.
        expect(page.locator(".Toastify__toast", has_text="GPU lab stops in")).to_have_count(1)
        shot(page, "deadline-countdown-warning")
    except BaseException:
        with contextlib.suppress(Exception):
            shot(page, "deadline-countdown-warning-failure")
        raise


def test_an_uncapped_lab_shows_no_countdown(page: Page, running_lab: RunningLab) -> None:
    assert running_lab.api("GET", "lab").json()["deadline"] is None
    open_fresh_lab(page, running_lab)
    wait_for_deadline_check(page)
    expect(page.locator(".jp-StatusBar-Widget")).to_be_visible()
    expect(page.locator(COUNTDOWN)).to_have_count(0)
    expect(page.locator(".Toastify__toast", has_text="GPU lab stops in")).to_have_count(0)
    shot(page, "deadline-none")

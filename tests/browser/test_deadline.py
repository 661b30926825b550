"""The lab deadline: a capped (GPU) lab shows a countdown in the status bar and the 30-minute
warning; an uncapped lab shows neither."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAB_READY_MS, shot
from tests.support.lab import RunningLab, running_lab_server

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


@pytest.fixture
def capped_lab(demo_release_with_hips: Path, tmp_path: Path) -> Iterator[RunningLab]:
    """A lab the hub stops in 29 minutes, as it would set for a GPU lab."""
    deadline = datetime.now(UTC) + timedelta(minutes=29)
    env = {"SURVEYLAB_LAB_DEADLINE": deadline.isoformat(timespec="seconds")}
    root = tmp_path / "capped-root"
    root.mkdir()
    with running_lab_server(root, demo_release_with_hips, env) as lab:
        yield lab


def test_a_capped_lab_counts_down_and_warns_at_30_minutes(
    page: Page, capped_lab: RunningLab
) -> None:
    assert capped_lab.api("GET", "lab").json()["deadline"] is not None
    try:
        open_fresh_lab(page, capped_lab)
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

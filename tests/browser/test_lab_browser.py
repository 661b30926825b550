"""Headless Chromium through the real hub: log in, land in JupyterLab, open the Survey panel."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import SCREENSHOTS
from tests.support.hub import RunningHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]


def log_in(page: Page, hub: RunningHub, username: str, password: str) -> None:
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")


def decline_news(page: Page) -> None:
    """Answer "No" to JupyterLab's news question, which would cover part of the screenshot."""
    toast = page.locator(".Toastify__toast", has_text="official Jupyter news")
    with contextlib.suppress(PlaywrightTimeoutError):
        toast.get_by_role("button", name="No", exact=True).click(timeout=5_000)
        expect(toast).to_have_count(0)


def test_wrong_password_stays_on_the_login_page(page: Page, running_hub: RunningHub) -> None:
    log_in(page, running_hub, running_hub.demo_login.name, "not the password")
    expect(page.locator(".login_error")).to_contain_text("Invalid username or password")
    assert "/hub/login" in page.url


def test_survey_panel_shows_the_release(page: Page, running_hub: RunningHub) -> None:
    login = running_hub.demo_login
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        log_in(page, running_hub, login.name, login.password)
        # The hub shows the lab profile form; the default (Small) is chosen.
        expect(page.locator('input[name="profile"][value="small"]')).to_be_checked()
        page.screenshot(path=SCREENSHOTS / "hub-profile-form.png")
        page.locator("#spawn_form input[type=submit], #spawn_form button[type=submit]").click()
        # The hub spawns the lab, shows its progress page, then redirects into JupyterLab.
        page.wait_for_url(re.compile(rf"/user/{login.name}/lab"), timeout=90_000)
        expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=60_000)

        # Open the panel through the command palette, by the command's id.
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette-input").fill("Survey")
        page.locator('.lm-CommandPalette-item[data-command="surveylab:open"]').click()

        panel = page.locator("#surveylab-panel")
        expect(panel).to_be_visible()
        expect(panel.locator('[data-testid="surveylab-release"]')).to_have_text("DEMO DR1")
        decline_news(page)
        page.screenshot(path=SCREENSHOTS / "lab-survey-panel.png")
    except BaseException:
        page.screenshot(path=SCREENSHOTS / "lab-survey-panel-failure.png")
        raise
    finally:
        running_hub.stop_server(login.name)

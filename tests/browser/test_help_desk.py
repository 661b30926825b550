"""Help → "Contact the survey's help desk" in a real JupyterLab whose SMTP server is a real
one (aiosmtpd): the form shows the lab's facts, sends, shows the reference, and the desk's
message carries the lab and release; with the SMTP server down the form offers the address."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_lab, shot
from tests.browser.test_job_browser import job_row, open_details, open_job_browser
from tests.support.lab import RunningLab, running_lab_server
from tests.support.smtp import SmtpServer, start_smtp_server

pytestmark = pytest.mark.browser

DESK = "help@survey.example"
USER_EMAIL = "ada@example.org"
MENU_ITEM = "Contact the survey's help desk"


@pytest.fixture(scope="module")
def smtp_stack() -> Iterator[contextlib.ExitStack]:
    """Holds the module's SMTP server; closing it stops the server."""
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.fixture(scope="module")
def smtp(smtp_stack: contextlib.ExitStack) -> SmtpServer:
    """A real SMTP server on 127.0.0.1 for the module's lab."""
    return smtp_stack.enter_context(start_smtp_server())


@pytest.fixture(scope="module")
def help_lab(
    smtp: SmtpServer, demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningLab]:
    """A lab of profile ``small`` whose help desk form sends through ``smtp``."""
    env = {
        "SURVEYLAB_SMTP_HOST": smtp.host,
        "SURVEYLAB_SMTP_PORT": str(smtp.port),
        "SURVEYLAB_HELPDESK_ADDRESS": DESK,
        "SURVEYLAB_LAB_PROFILE": "small",
    }
    with running_lab_server(tmp_path_factory.mktemp("help-lab"), demo_data_dir, env) as lab:
        yield lab


def open_form(page: Page) -> None:
    """Help menu → the help desk item; the form shows."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Help$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=MENU_ITEM).click()
    expect(page.get_by_test_id("help-form")).to_be_visible()


def fill_form(page: Page, subject: str) -> None:
    page.get_by_test_id("help-subject").fill(subject)
    page.get_by_test_id("help-message").fill("My cutout job ended in ERROR.\nWhat is wrong?")
    page.get_by_test_id("help-email").fill(USER_EMAIL)
    page.locator(".jp-Dialog-button", has_text="Send").click()


def test_the_help_menu_form_sends_with_the_lab_filled_in(
    page: Page, help_lab: RunningLab, smtp: SmtpServer
) -> None:
    open_lab(page, help_lab)
    try:
        open_form(page)
        expect(page.get_by_test_id("help-context-release")).to_have_text("DEMO DR1")
        expect(page.get_by_test_id("help-context-lab-profile")).to_have_text("small")
        page.get_by_test_id("help-subject").fill("x")
        page.get_by_test_id("help-subject").fill("")  # typed, then emptied: the form says so
        page.get_by_test_id("help-job-id").fill("not-a-job")
        expect(page.get_by_test_id("help-problem-jobId")).to_contain_text("12 hexadecimal")
        page.get_by_test_id("help-job-id").fill("")
        shot(page, "help-desk-form")
        fill_form(page, "Cutout job failed")

        reference = page.get_by_test_id("help-reference")
        expect(reference).to_have_text(re.compile(r"^HD-[0-9A-F]{8}$"))
        expect(page.get_by_test_id("help-sent")).to_contain_text("confirmation is on its way")
        shot(page, "help-desk-sent")
        ticket = reference.inner_text()

        desk, confirmation = smtp.received()
        assert desk.rcpt_tos == [DESK] and desk.message["Reply-To"] == USER_EMAIL
        assert desk.message["Subject"] == f"[surveylab help {ticket}] Cutout job failed"
        text = desk.message.get_content().replace("\r\n", "\n")
        for expected in (
            "My cutout job ended in ERROR.\nWhat is wrong?",
            "Release:      DEMO DR1",
            "Lab profile:  small",
        ):
            assert expected in text
        assert confirmation.rcpt_tos == [USER_EMAIL] and ticket in confirmation.message["Subject"]
    except BaseException:
        with contextlib.suppress(Exception):
            shot(page, "help-desk-failure")
        raise


def test_the_job_browser_asks_about_a_job_with_its_id_filled_in(
    page: Page, help_lab: RunningLab, smtp: SmtpServer
) -> None:
    # A job that will fail: what users most often write about.
    response = help_lab.api("POST", "jobs", json={"type": "query", "sql": "SELECT NOPE FROM X"})
    assert response.status_code == 201
    job_id = response.json()["id"]
    open_lab(page, help_lab)
    browser = open_job_browser(page)
    details = open_details(job_row(browser, job_id))
    details.locator('[data-testid="job-action-askHelp"]').click()
    expect(page.get_by_test_id("help-job-id")).to_have_value(job_id)
    before = len(smtp.received())
    fill_form(page, "About my count")
    expect(page.get_by_test_id("help-reference")).to_be_visible()
    desk = smtp.received()[before]
    assert f"Job:          {job_id}" in desk.message.get_content().replace("\r\n", "\n")


def test_the_form_offers_the_address_when_the_message_cannot_go(
    page: Page, help_lab: RunningLab, smtp_stack: contextlib.ExitStack
) -> None:
    smtp_stack.close()  # the SMTP server stops: its port refuses the lab's connection
    open_lab(page, help_lab)
    # The palette's command, the one the Help menu item runs.
    # (not awaited: the command's promise ends when its dialogs close)
    page.evaluate(
        "() => { void window.jupyterapp.commands.execute('surveylab:contact-help-desk'); }"
    )
    expect(page.get_by_test_id("help-form")).to_be_visible()
    fill_form(page, "Second question")
    unavailable = page.get_by_test_id("help-not-configured")
    expect(unavailable).to_contain_text("could not be sent")
    expect(unavailable).to_contain_text("Connection refused")
    expect(page.get_by_test_id("help-address")).to_have_attribute("href", f"mailto:{DESK}")
    shot(page, "help-desk-unavailable")

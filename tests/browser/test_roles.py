"""Role-based views (issue 17): the launcher's Survey section shows the role's panels only.

One session lab serves every role: its answer to ``GET /surveylab/api/lab`` is routed to carry
each shipped role as the server gives it for that role (``tests/server/test_roles_api.py``
proves the server's answer and its refusals per role, with the role in the lab's environment).
"""

from __future__ import annotations

import contextlib
import uuid

import pytest
from playwright.sync_api import Page, Route, expect

from surveylab.roles import Role
from tests.browser.conftest import LAB_READY_MS, shot
from tests.browser.test_deadline import LAB_INFO
from tests.core.test_roles import SHIPPED
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

#: The launcher card of each panel, by its name in roles.yaml.
CARDS = {
    "survey": "Survey",
    "query": "SQL Query",
    "jobs": "Jobs",
    "gallery": "Cutout Gallery",
    "footprint": "Footprint",
    "sql-terminal": "SQL Terminal",
}
SURVEY_CARDS = '.jp-LauncherCard[data-category="Survey"] .jp-LauncherCard-label'


def as_role(page: Page, role: Role) -> None:
    """Make the lab's ``GET /lab`` answer as a lab of ``role`` does."""

    def with_role(route: Route) -> None:
        response = route.fetch()
        body = {**response.json(), "role": role.to_json()}
        if not role.sql_terminal:
            body["sql_command"] = None
        route.fulfill(response=response, json=body)

    page.route(LAB_INFO, with_role)


@pytest.mark.parametrize("name", [role.name for role in SHIPPED.roles])
def test_the_launcher_shows_the_roles_panels_only(
    page: Page, running_lab: RunningLab, name: str
) -> None:
    role = SHIPPED.get(name)
    as_role(page, role)
    expected = [CARDS[panel] for panel in CARDS if panel in role.panels]  # in launcher order
    try:
        page.goto(
            f"{running_lab.url}/lab/workspaces/roles-{uuid.uuid4().hex[:8]}?token={running_lab.token}"
        )
        expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
        cards = page.locator(SURVEY_CARDS)
        expect(cards).to_have_count(len(expected))  # every plugin adds its cards at once
        assert sorted(cards.all_inner_texts()) == sorted(expected)
        shot(page, f"roles-launcher-{name}")
    except BaseException:
        with contextlib.suppress(Exception):
            shot(page, f"roles-launcher-{name}-failure")
        raise


def test_the_sql_terminal_command_refuses_a_role_without_it(
    page: Page, running_lab: RunningLab
) -> None:
    """The command stays (other panels may call it): run from the palette, it says why not."""
    as_role(page, SHIPPED.get("workshop"))
    page.goto(
        f"{running_lab.url}/lab/workspaces/roles-{uuid.uuid4().hex[:8]}?token={running_lab.token}"
    )
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    page.evaluate("() => window.jupyterapp.commands.execute('surveylab:open-sql-terminal')")
    # the error is in the notification centre (the status bar's bell): open it
    page.locator(".jp-Notification-Status").click()
    message = "Your role 'workshop' does not allow the SQL terminal."
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.locator(".jp-Terminal")).to_have_count(0)
    shot(page, "roles-sql-terminal-refused")

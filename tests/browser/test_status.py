"""The platform's status in the lab: the status bar item and the Status panel on the demo lab,
where every part answers; and a lab whose catalog is a PostgreSQL port and whose Dask scheduler
a port where nothing listens, where they say so, the query panel says queries are unavailable
and the cutout gallery that cutouts are."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAB_READY_MS, shot
from tests.core.test_status import closed_port
from tests.support.lab import RunningLab, running_lab_server

pytestmark = pytest.mark.browser

STATUS_ITEM = '.jp-StatusBar-Widget [data-testid="surveylab-status"]'


@pytest.fixture(scope="module")
def lab_without_catalog(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningLab]:
    """A lab whose catalog is a PostgreSQL server that does not answer, and whose cutouts go to
    a Dask scheduler that does not answer either."""
    url = f"postgresql://nobody@127.0.0.1:{closed_port()}/survey"
    root = tmp_path_factory.mktemp("no-catalog")
    env = {
        "SURVEYLAB_CATALOG_URL": url,
        "SURVEYLAB_DASK_SCHEDULER": f"tcp://127.0.0.1:{closed_port()}",
    }
    with running_lab_server(root, demo_data_dir, extra_env=env, ready_path="status") as lab:
        yield lab


def open_fresh_lab(page: Page, lab: RunningLab) -> None:
    """Open JupyterLab in a workspace of its own (no layout restored from other tests)."""
    workspace = f"status-{uuid.uuid4().hex[:8]}"
    page.goto(f"{lab.url}/lab/workspaces/{workspace}?token={lab.token}")
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)


def test_the_demo_lab_says_every_part_answers(page: Page, running_lab: RunningLab) -> None:
    open_fresh_lab(page, running_lab)
    item = page.locator(STATUS_ITEM)
    expect(item).to_have_text("Survey: OK")
    expect(item).to_have_attribute("data-state", "ok")
    expect(item).to_have_attribute("title", re.compile(r"^Checked at "))
    item.click()
    panel = page.get_by_test_id("status-panel")
    expect(panel).to_be_visible()
    for name, state in (("catalog", "ok"), ("jobs", "ok"), ("cutouts", "ok"), ("hub", "off")):
        expect(panel.get_by_test_id(f"status-part-{name}")).to_have_attribute("data-state", state)
    expect(panel.get_by_test_id("status-part-hub")).to_contain_text("not under a hub")
    expect(panel.get_by_test_id("status-part-jobs")).to_contain_text("0 running, 0 queued")
    shot(page, "status-panel")


def test_a_lab_whose_catalog_is_down_says_so_where_it_matters(
    page: Page, lab_without_catalog: RunningLab
) -> None:
    open_fresh_lab(page, lab_without_catalog)
    item = page.locator(STATUS_ITEM)
    expect(item).to_have_text("Survey: catalog down, cutout executor down")
    expect(item).to_have_attribute("data-state", "down")

    page.evaluate("() => window.jupyterapp.commands.execute('surveylab:open-query')")
    notice = page.get_by_test_id("notice-catalog")
    expect(notice).to_have_text("catalog unreachable: queries are unavailable")
    for action in ("quick", "submit", "explain"):  # jp-button elements: aria-disabled
        expect(page.get_by_test_id(f"query-{action}")).to_have_attribute("aria-disabled", "true")
    check = page.get_by_test_id("query-check")  # a syntax check needs no catalog
    expect(check).to_have_attribute("aria-disabled", "false")

    item.click()
    row = page.get_by_test_id("status-part-catalog")
    expect(row).to_have_attribute("data-state", "down")
    expect(row).to_contain_text("127.0.0.1")  # the error, as the server gave it
    expect(page.get_by_test_id("status-part-jobs")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("status-part-cutouts")).to_have_attribute("data-state", "down")
    shot(page, "status-catalog-down")

    page.evaluate("() => window.jupyterapp.commands.execute('surveylab:open-gallery')")
    expect(page.get_by_test_id("notice-cutouts")).to_have_text(
        "cutout executor unreachable: cutouts are unavailable"
    )

"""Finding charts in headless Chromium: the "Finding chart" actions of the footprint viewer's tile
panel, the query panel (the selected row) and the cutout gallery's viewer open the chart, whose
PNG loads and whose "Download PDF" gives the same chart as a PDF; a position outside the
footprint shows the server's message."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import shot
from tests.browser.test_cutout_gallery import m2_job, show_job
from tests.browser.test_footprint_viewer import open_viewer_from_palette, open_workspace, search
from tests.browser.test_query_panel import click_first_cell, open_from_launcher, set_sql
from tests.support.lab import RunningLab
from tests.support.pdf import pdf_page_count

pytestmark = pytest.mark.browser

__all__ = ["m2_job"]  # the gallery's cutout job, a fixture of this module too

CHART = '[data-testid="finding-chart"]'
#: The brightest objects near M2, with the columns a row's chart reads.
M2_ROWS = (
    "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I FROM DR1_MAIN\n"
    "WHERE RA BETWEEN 323.3 AND 323.4 AND DEC BETWEEN -0.9 AND -0.7\nORDER BY MAG_AUTO_I"
)


def chart_loaded(page: Page) -> Locator:
    """The shown chart's image, once its PNG has loaded (a decoded image has a width)."""
    image = page.locator(f"{CHART}:visible").get_by_test_id("finding-chart-image")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") == 640
    return image


def test_the_tile_panels_action_opens_the_chart_and_its_pdf(
    page: Page, running_lab: RunningLab, tmp_path: Path
) -> None:
    open_workspace(page, running_lab)
    open_viewer_from_palette(page)
    search(page, "21:33:27 -0:49:24")
    page.get_by_test_id("footprint-finding-chart").click()
    chart_loaded(page)
    expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text("Chart 323.362500")
    shot(page, "finding-chart-footprint")

    with page.expect_download() as download:
        page.locator(".jp-ToolbarButtonComponent", has_text="Download PDF").click()
    saved = tmp_path / "chart.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "finding-chart-323.362500_-0.823333.pdf"
    assert pdf_page_count(saved.read_bytes()) == 1


def test_the_query_panels_actions_chart_the_selected_row_and_the_row_menus(
    page: Page, running_lab: RunningLab
) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    button = page.locator('[data-testid="query-finding-chart"]')
    expect(button).to_have_attribute("aria-disabled", "true")  # no row selected yet
    set_sql(page, M2_ROWS)
    page.locator('[data-testid="query-quick"]').click()
    expected = running_lab.api("POST", "query", json={"sql": M2_ROWS}).json()
    grid = panel.get_by_test_id("query-grid")
    expect(grid).to_have_attribute("data-rendered", str(expected["row_count"]))
    click_first_cell(page, 0)
    expect(button).to_have_attribute("aria-disabled", "false")
    button.click()
    chart_loaded(page)
    object_id = expected["rows"][0][0]
    expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text(f"Chart {object_id}")

    # The row menu (right click) charts the row clicked.
    page.locator(".lm-TabBar-tab", has_text="SQL Query").click()
    box = page.locator('[data-testid="query-grid"] .lm-DataGrid').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 64 + 12, box["y"] + 28 + 24 * 1 + 12, button="right")
    page.locator(".sl-QueryRowMenu .lm-Menu-item", has_text="Finding chart").click()
    chart_loaded(page)
    second = expected["rows"][1][0]
    expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text(f"Chart {second}")


def test_the_gallery_viewers_action_charts_the_cutout(
    page: Page, running_lab: RunningLab, m2_job: str
) -> None:
    open_workspace(page, running_lab)
    panel = show_job(page, m2_job)
    panel.get_by_test_id("gallery-grid").focus()
    page.keyboard.press("Enter")
    viewer = panel.get_by_test_id("gallery-viewer")
    viewer.get_by_test_id("gallery-finding-chart").click()
    chart_loaded(page)
    expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text(
        "Chart 323.36000 -0.82000"
    )


def test_a_position_outside_the_footprint_shows_the_servers_message(
    page: Page, running_lab: RunningLab
) -> None:
    open_workspace(page, running_lab)
    page.evaluate(
        "() => window.jupyterapp.commands.execute('surveylab:open-finding-chart',"
        " { targets: [[10, 60]] })"
    )
    error = page.locator(CHART).get_by_test_id("finding-chart-error")
    expect(error).to_contain_text("(RA 10.000000, Dec 60.000000) is outside the survey's footprint")
    expect(page.locator(CHART).get_by_test_id("finding-chart-image")).to_be_hidden()

"""A published notebook opened from a ``file://`` URL in headless Chromium with every other
request aborted and recorded: the widgets (from their embedded state) and the Bokeh plot render
with no kernel and no network."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from surveylab_widgets.publish import Published, export_html
from tests.browser.conftest import shot
from tests.widgets.test_publish import kernel_env, survey_notebook

pytestmark = pytest.mark.browser

#: Schemes a page may load from without the network.
LOCAL_SCHEMES = ("file:", "data:", "blob:")


@pytest.fixture(scope="module")
def published(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    tmp = tmp_path_factory.mktemp("published-html")
    return export_html(
        survey_notebook(), tmp / "survey.html", cwd=tmp, env=kernel_env(demo_data_dir, tmp)
    )


@pytest.fixture
def offline_page(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """``page`` with every request that is not local aborted; yields the page and the list of
    aborted URLs."""
    blocked: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    yield page, blocked


def test_published_notebook_renders_offline(
    published: Published, offline_page: tuple[Page, list[str]]
) -> None:
    page, blocked = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url[:120]}"))
    page.goto(published.path.as_uri())

    card = page.locator(".widget-html .surveylab-release-card")  # a widget view, not the text
    expect(card.locator("h3")).to_have_text("DEMO DR1")
    expect(card.locator("code", has_text="DR1_MAIN")).to_be_visible()
    slider = page.locator(".widget-slider")
    expect(slider.locator(".widget-label").first).to_have_text("mag_i")
    expect(slider.locator(".widget-readout")).to_have_text("21")
    figure = page.locator(".bqplot.figure")
    expect(figure.locator(".mainheading")).to_have_text(re.compile(r"M2: \d{4} stars"))
    expect(figure.locator(".dot").first).to_be_attached()
    assert figure.locator(".dot").count() > 1000  # one dot per M2 star
    bokeh = page.locator(".bk-Figure, .bk-panel-models-layout-Column").first
    expect(bokeh).to_be_visible()
    shot(page, "published-notebook-offline")
    bokeh.scroll_into_view_if_needed()
    shot(page, "published-notebook-offline-bokeh")
    assert blocked == [], f"the page asked the network for {blocked}"
    assert errors == []  # not even a missing file beside the page (the icon fonts are inline)

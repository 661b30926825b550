"""Published notebooks opened from a ``file://`` URL in headless Chromium with every other
request aborted and recorded: the widgets (from their embedded state) and the Bokeh plots render
with no kernel and no network. First a notebook of one output of each kind, then each example
(``examples/``), published on the demo release with its HiPS: the FootprintViewer draws its
overlays on a plain sky and asks for no HiPS. Screenshots ``published-*.png``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import nbformat
import pytest
from playwright.sync_api import Error, Locator, Page, Route, expect

from surveylab_widgets.publish import Published
from tests.browser.conftest import image_spread, shot
from tests.widgets.test_examples import EXAMPLES, models, stdout

pytestmark = pytest.mark.browser

#: Schemes a page may load from without the network.
LOCAL_SCHEMES = ("file:", "data:", "blob:")


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


#: anywidget 0.11's runtime rejects a promise when a model has not initialised within a fixed
#: 2 s (``AbortSignal.timeout(2e3)``). Importing the footprint viewer's ESM (Aladin Lite) takes
#: longer on busy cores; the model still initialises and the view still renders (the checks
#: below see it drawn), and the promise is awaited only for messages from a kernel, which a
#: published page has none of. That one message is therefore not an error of the page.
ANYWIDGET_SLOW_START = "[anywidget] Failed to initialize model."


def page_error(error: Error) -> str | None:
    """The page error to report, or ``None`` for anywidget's start-up timer
    (:data:`ANYWIDGET_SLOW_START`)."""
    return None if error.message == ANYWIDGET_SLOW_START else str(error)


@pytest.fixture
def page_errors(offline_page: tuple[Page, list[str]]) -> list[str]:
    """Script errors and failed requests (a file that is not there, too) of ``offline_page``."""
    page, _ = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.extend(filter(None, [page_error(error)])))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url[:120]}"))
    return errors


def test_published_notebook_renders_offline(
    published: Published, offline_page: tuple[Page, list[str]], page_errors: list[str]
) -> None:
    page, blocked = offline_page
    errors = page_errors
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


# --- the examples, published ----------------------------------------------------------------


def table_rows(page: Page, rows: int) -> None:
    """The QueryPanel's result table (an HTML widget view) shows ``rows`` rows."""
    table = page.locator(".surveylab-query-panel .widget-html .surveylab-table").first
    expect(table.locator("tbody tr")).to_have_count(rows)


def dots(page: Page, at_least: int) -> Locator:
    """The first bqplot figure, once it draws ``at_least`` dots."""
    figure = page.locator(".bqplot.figure").first
    expect(figure.locator(".dot").nth(at_least - 1)).to_be_attached()
    return figure


def bokeh_figures(page: Page, count: int) -> Locator:
    """The Bokeh figures, once ``count`` are shown."""
    figures = page.locator(".bk-Figure")
    expect(figures.nth(count - 1)).to_be_visible()
    return figures


def check_m2(page: Page, notebook: nbformat.NotebookNode) -> None:
    (figure_state,) = models(notebook, "FigureModel")
    stars = int(figure_state["title"].split()[1])
    table_rows(page, 100)
    bokeh_figures(page, 1).first.scroll_into_view_if_needed()
    figure = dots(page, stars)
    expect(figure.locator(".mainheading")).to_have_text(f"M2: {stars} stars")
    giants = int(stdout(notebook).split("brighter than the turn-off: ")[1].split()[0])
    assert figure.locator(".dot").count() == stars + giants  # the selection, drawn on top


def check_star_galaxy(page: Page, notebook: nbformat.NotebookNode) -> None:
    table_rows(page, 2)
    bokeh_figures(page, 3).nth(1).scroll_into_view_if_needed()  # 2 hex tiles, the histogram
    figure = dots(page, 1000)
    expect(figure.locator(".mainheading")).to_have_text("Spread model, i band")


def check_cutouts(page: Page, notebook: nbformat.NotebookNode) -> None:
    table_rows(page, 8)
    gallery = page.locator(".surveylab-cutout-gallery")
    thumbnails = gallery.locator(".widget-gridbox img.widget-image")
    expect(thumbnails).to_have_count(8)
    gallery.scroll_into_view_if_needed()
    for index in range(8):  # decoded pictures from the state's bytes, not broken images
        assert thumbnails.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    expect(gallery.locator(".widget-button", has_text="#3 · 1")).to_be_visible()  # a label
    jobs = page.locator(".surveylab-job-browser table.surveylab-jobs tbody tr")
    expect(jobs.filter(has_text="bright galaxies")).to_contain_text("COMPLETED")


def check_footprint(page: Page, notebook: nbformat.NotebookNode) -> None:
    (state,) = models(notebook, "AnyModel")
    assert state["survey"] == "surveylab:hips"  # the release has a HiPS, the page no server
    viewer = page.locator("[data-surveylab-footprint='ready']")
    expect(viewer).to_be_attached()
    drawn = json.loads(viewer.get_attribute("data-layers") or "{}")
    shapes = {"polygons": "polygons", "markers": "ra"}
    assert drawn == {
        layer["name"]: (
            sum(len(cells) for cells in layer["json"].values())
            if layer["type"] == "moc"
            else len(layer[shapes[layer["type"]]])
        )
        for layer in state["_layers"]
    }  # every overlay of the widget state, the markers of the query and of the selection
    dots(page, drawn["result"])  # the linked scatter
    sky = viewer.locator(".aladin-widget")
    expect(sky).to_have_attribute("data-hips", "offline")
    expect(viewer.locator(".surveylab-footprint-note")).to_contain_text("No sky images")
    sky.scroll_into_view_if_needed()
    page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    assert image_spread(page, sky) > 5  # overlays drawn on the canvas, not one flat colour


def check_anomalies(page: Page, notebook: nbformat.NotebookNode) -> None:
    histogram = page.locator(".surveylab-anomaly-explorer svg.surveylab-anomaly-histogram")
    expect(histogram.first).to_be_visible()
    assert histogram.first.locator("rect.bar").count() > 0
    galleries = page.locator(".surveylab-cutout-gallery")
    for index in range(2):  # the top rows' gallery and the neighbours of the lens
        thumbnails = galleries.nth(index).locator(".widget-gridbox img.widget-image")
        expect(thumbnails).to_have_count(12)
        galleries.nth(index).scroll_into_view_if_needed()
        assert thumbnails.first.evaluate("img => img.complete && img.naturalWidth > 0")


PUBLISHED: dict[str, Callable[[Page, nbformat.NotebookNode], None]] = {
    "01-m2-colour-magnitude": check_m2,
    "02-star-galaxy-separation": check_star_galaxy,
    "03-brightest-galaxy-cutouts": check_cutouts,
    "04-footprint-query-overlay": check_footprint,
    "05-anomalies-and-similar-objects": check_anomalies,
}


def test_every_example_is_opened_published() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.ipynb")) == sorted(PUBLISHED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_example_renders_offline(
    name: str,
    published_examples: dict[str, tuple[Published, nbformat.NotebookNode]],
    offline_page: tuple[Page, list[str]],
    page_errors: list[str],
) -> None:
    page, blocked = offline_page
    published, notebook = published_examples[name]
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(published.path.as_uri())
    PUBLISHED[name](page, notebook)
    shot(page, f"published-{name}")
    assert blocked == [], f"the page asked the network for {blocked}"
    assert page_errors == []
    assert not [url for url in requests if "hips" in url.lower()]  # no HiPS without a lab


# --- the colour-colour diagram linked to the SED, published -----------------------------------

#: In the page: the Bokeh models of the linked plot, and where on the screen a point is drawn.
LINKED_PLOT_JS = """
([k]) => {
  const doc = Bokeh.documents.find(d => d.get_model_by_name('surveylab-ccd-points') !== null);
  if (doc === undefined) { return null; }
  const points = doc.get_model_by_name('surveylab-ccd-points');
  const figure = doc.get_model_by_name('surveylab-ccd-figure');
  const view = Bokeh.index.find_one(figure);
  if (view === null) { return null; }
  const box = view.el.getBoundingClientRect();
  return {
    count: points.data.x.length,
    label: points.data.label[k],
    mags: ['g', 'r', 'i'].map(band => points.data['mag_' + band][k]),
    x: box.left + view.frame.x_scale.compute(points.data.x[k]),
    y: box.top + view.frame.y_scale.compute(points.data.y[k]),
  };
}
"""
#: In the page: the SED figure's data and title.
SED_JS = """
() => {
  const doc = Bokeh.documents.find(d => d.get_model_by_name('surveylab-sed') !== null);
  const sed = doc.get_model_by_name('surveylab-sed');
  const figure = doc.get_model_by_name('surveylab-sed-figure');
  return {band: [...sed.data.band], magnitude: [...sed.data.magnitude], title: figure.title.text};
}
"""


def test_a_clicked_point_of_the_colour_colour_diagram_shows_its_sed(
    published: Published, offline_page: tuple[Page, list[str]], page_errors: list[str]
) -> None:
    page, blocked = offline_page
    page.goto(published.path.as_uri())
    figure = page.locator(".bk-Figure").last
    figure.scroll_into_view_if_needed()
    page.wait_for_function(f"() => ({LINKED_PLOT_JS})([0]) !== null")
    before = page.evaluate(SED_JS)
    assert before["band"] == [] and before["title"].startswith("SED: click a point")

    # The brightest-listed point lies under others now and then: the first one on top is taken.
    for k in range(20):
        point = page.evaluate(LINKED_PLOT_JS, [k])
        assert point["count"] > 50
        page.mouse.click(point["x"], point["y"])
        sed = page.evaluate(SED_JS)
        if sed["title"].startswith(f"SED of {point['label']} "):
            break
    else:
        raise AssertionError(f"no click on a point showed its SED; last SED: {sed}")
    assert sed["band"] == ["g", "r", "i"]  # the demo's bands, blue to red
    assert sed["magnitude"] == pytest.approx(point["mags"])  # the clicked object's own
    shot(page, "published-colour-colour-sed")
    assert blocked == [] and page_errors == []

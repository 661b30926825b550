"""The example notebooks run in a real JupyterLab (this checkout's lab extension and packages, the
demo release with its HiPS) in headless Chromium: each is opened, all its cells are run, and
each of its widgets is checked in the page. Screenshots ``example-<notebook>.png``.

Their published pages are opened offline in ``tests/browser/test_published_html.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import image_spread, shot
from tests.support.lab import RunningLab
from tests.widgets.test_examples import EXAMPLES

pytestmark = pytest.mark.browser

#: How long a notebook may take to start its kernel and run all its cells on 2 busy cores.
RUN_ALL_MS = 120_000
#: Opens a notebook, waits for its kernel, runs all its cells.
OPEN_AND_RUN = """async path => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', { path });
  await panel.sessionContext.ready;
  await panel.revealed;
  await app.commands.execute('notebook:run-all-cells');
}"""
#: Makes the first cell whose code contains a text the active one, scrolled into view.
REVEAL = """async text => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const index = notebook.widgets.findIndex(c => c.model.sharedModel.getSource().includes(text));
  if (index < 0) throw new Error(`no cell contains ${text}`);
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'start');
}"""
#: Shuts the current notebook's kernel down (the next notebook gets the CPU).
SHUT_DOWN = "() => window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown()"


def printed(notebook: Locator, pattern: str) -> str:
    """The first group of ``pattern`` in the notebook's printed output, once it is printed."""
    output = notebook.locator(".jp-OutputArea-output", has_text=re.compile(pattern)).first
    expect(output).to_be_visible(timeout=RUN_ALL_MS)
    match = re.search(pattern, output.inner_text())
    assert match is not None, (pattern, output.inner_text())
    return match[1]


def query_panel_rows(notebook: Locator, rows: int) -> None:
    """The QueryPanel's result table shows ``rows`` rows."""
    table = notebook.locator(".surveylab-query-panel .widget-html .surveylab-table").first
    expect(table.locator("tbody tr")).to_have_count(rows, timeout=RUN_ALL_MS)


def reveal(page: Page, source: str) -> None:
    """Scroll the notebook to the first cell whose code contains ``source`` (the lab renders
    only the cells near the screen)."""
    page.evaluate(REVEAL, source)


def bqplot_dots(page: Page, notebook: Locator, at_least: int) -> Locator:
    """The first bqplot figure, once it draws ``at_least`` dots."""
    reveal(page, "linked_scatter(")
    figure = notebook.locator(".bqplot.figure").first
    expect(figure).to_be_attached(timeout=RUN_ALL_MS)
    figure.scroll_into_view_if_needed()
    expect(figure.locator(".dot").nth(at_least - 1)).to_be_attached(timeout=RUN_ALL_MS)
    return figure


def bokeh_figures(notebook: Locator, count: int) -> Locator:
    """The last Bokeh figure, once ``count`` are drawn (Playwright sees into their shadow DOM)."""
    figures = notebook.locator(".bk-Figure")
    expect(figures.nth(count - 1)).to_be_attached(timeout=RUN_ALL_MS)
    return figures.last


def check_m2(page: Page, notebook: Locator) -> None:
    stars = int(printed(notebook, r"M2 sequence: (\d{4}) stars"))
    expect(notebook.locator(".surveylab-release-card h3")).to_have_text("DEMO DR1")
    query_panel_rows(notebook, 100)
    shot(page, "example-01-m2-colour-magnitude")
    hextiles = bokeh_figures(notebook, 1)
    hextiles.scroll_into_view_if_needed()
    expect(hextiles).to_be_visible()
    figure = bqplot_dots(page, notebook, stars)
    expect(figure.locator(".mainheading")).to_have_text(f"M2: {stars} stars")
    figure.scroll_into_view_if_needed()
    shot(page, "example-01-m2-colour-magnitude-scatter")


def check_star_galaxy(page: Page, notebook: Locator) -> None:
    objects = int(printed(notebook, r"(\d+) objects: \d+ stars"))
    query_panel_rows(notebook, 2)  # star, galaxy
    colours = bokeh_figures(notebook, 2)  # the stars' and the galaxies' hex tiles
    colours.scroll_into_view_if_needed()
    shot(page, "example-02-star-galaxy-separation")
    figure = bqplot_dots(page, notebook, objects)
    expect(figure.locator(".mainheading")).to_have_text("Spread model, i band")
    bokeh_figures(notebook, 3)  # the counts per magnitude


def check_cutouts(page: Page, notebook: Locator) -> None:
    query_panel_rows(notebook, 8)
    gallery = notebook.locator(".surveylab-cutout-gallery")
    thumbnails = gallery.locator(".widget-gridbox img.widget-image")
    expect(thumbnails).to_have_count(8, timeout=RUN_ALL_MS)
    for index in range(8):  # decoded pictures, not broken images
        assert thumbnails.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    gallery.scroll_into_view_if_needed()
    shot(page, "example-03-brightest-galaxy-cutouts")
    expect(gallery.locator(".widget-button", has_text="#1 · 1")).to_be_visible()  # the label
    jobs = notebook.locator(".surveylab-job-browser table.surveylab-jobs tbody tr")
    expect(jobs.filter(has_text="bright galaxies")).to_contain_text("COMPLETED", timeout=RUN_ALL_MS)
    jobs.first.scroll_into_view_if_needed()
    shot(page, "example-03-brightest-galaxy-cutouts-jobs")


def check_footprint(page: Page, notebook: Locator) -> None:
    stars = int(printed(notebook, r"query overlay: (\d{4}) stars of M2"))
    giants = int(printed(notebook, r"(\d+) giants shown in yellow"))
    viewer = notebook.locator("[data-surveylab-footprint='ready']")
    # the layers settle as the cells run: wait for the final counts, not a snapshot
    final = rf'(?=.*"result":{stars}[,}}])(?=.*"selected":{giants}[,}}])'
    expect(viewer).to_have_attribute("data-layers", re.compile(final), timeout=RUN_ALL_MS)
    layers = json.loads(viewer.get_attribute("data-layers") or "{}")
    assert layers["tiles"] > 100 and layers["healpix"] > 100 and layers["moc"] > 0
    sky = viewer.locator(".aladin-widget")
    expect(sky).to_have_attribute("data-hips", re.compile(r"^http://127\.0\.0\.1:\d+/.*hips$"))
    sky.scroll_into_view_if_needed()
    page.wait_for_function(  # a HiPS tile has arrived from the lab
        "() => performance.getEntriesByType('resource')"
        ".some(e => /\\/surveylab\\/api\\/hips\\/Norder\\d+\\//.test(e.name))",
        timeout=RUN_ALL_MS,
    )
    assert image_spread(page, sky) > 5  # drawn, not a blank canvas
    page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    shot(page, "example-04-footprint-query-overlay")
    # a bqplot figure after the viewer: its lab extension loads (Aladin Lite no longer takes
    # over the global `self` that webpack's chunks register on)
    figure = bqplot_dots(page, notebook, stars)
    expect(figure.locator(".mainheading")).to_have_text(f"M2: {stars} stars")


def check_anomalies(page: Page, notebook: Locator) -> None:
    # the last lines first (the lab follows the run to the end), then back up to the earlier ones
    lenses = int(printed(notebook, r"most like lens \d+: (\d+) lenses"))
    assert 1 <= lenses <= 11
    reveal(page, "like_this = CutoutGallery(")
    gallery = notebook.locator(".surveylab-cutout-gallery").last
    thumbnails = gallery.locator(".widget-gridbox img.widget-image")
    expect(thumbnails).to_have_count(12, timeout=RUN_ALL_MS)
    gallery.scroll_into_view_if_needed()
    shot(page, "example-05-anomalies-and-similar-objects")
    reveal(page, "survey.anomalies(retrain=")
    assert printed(notebook, r"labelled objects in the new top list: (\d+)") == "0"
    reveal(page, "AnomalyExplorer(")
    histogram = notebook.locator(".surveylab-anomaly-explorer svg.surveylab-anomaly-histogram")
    expect(histogram.first).to_be_attached(timeout=RUN_ALL_MS)
    assert histogram.first.locator("rect.bar").count() > 0
    reveal(page, "survey.anomalies(sample")
    printed(notebook, r"COMPLETED, ([\d,]+) rows scored")


NOTEBOOKS: dict[str, Callable[[Page, Locator], None]] = {
    "01-m2-colour-magnitude": check_m2,
    "02-star-galaxy-separation": check_star_galaxy,
    "03-brightest-galaxy-cutouts": check_cutouts,
    "04-footprint-query-overlay": check_footprint,
    "05-anomalies-and-similar-objects": check_anomalies,
}


@pytest.fixture
def lab_notebook(lab_page: Page) -> Iterator[Page]:
    """The lab page; the notebook's kernel is shut down after the test."""
    yield lab_page
    lab_page.evaluate(SHUT_DOWN)


def test_every_example_is_run_in_the_lab() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_example_runs_in_jupyterlab(name: str, lab_notebook: Page, running_lab: RunningLab) -> None:
    page = lab_notebook
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shutil.copy(EXAMPLES / f"{name}.ipynb", running_lab.root_dir / f"{name}.ipynb")
    page.evaluate(OPEN_AND_RUN, f"{name}.ipynb")
    notebook = page.locator(".jp-NotebookPanel:visible")
    NOTEBOOKS[name](page, notebook)
    prompts = notebook.locator(".jp-CodeCell .jp-InputPrompt")
    expect(prompts.filter(has_text=re.compile(r"\[\d+\]"))).to_have_count(
        prompts.count(), timeout=RUN_ALL_MS
    )  # every cell has run
    tracebacks = notebook.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        has_text=re.compile(r"Traceback|Error"),
    )
    assert tracebacks.count() == 0
    assert errors == []

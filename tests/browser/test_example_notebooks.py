"""The example notebooks in a browser: one run cell by cell in a real JupyterLab, and each one's
published page opened offline (``file://``, every other request aborted)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from surveylab_widgets.publish import Published, export_html
from tests.browser.conftest import shot
from tests.support.lab import RunningLab
from tests.widgets.test_examples import EXAMPLES
from tests.widgets.test_publish import kernel_env

pytestmark = pytest.mark.browser

#: How long a notebook may take to run all its cells in the lab on 2 busy cores.
RUN_ALL_MS = 120_000
#: What each published example shows: a selector and how many of it at least.
PUBLISHED = {
    "01-m2-colour-magnitude": [(".bqplot.figure .dot", 2000), (".bk-Figure", 1)],
    "02-star-galaxy-separation": [(".bqplot.figure .dot", 1000), (".bk-Figure", 1)],
    "03-brightest-galaxy-cutouts": [(".widget-gridbox img.widget-image", 8)],
    "04-footprint-query-overlay": [(".bqplot.figure .dot", 2000), (".bqplot.figure .line", 1)],
}


def test_m2_example_runs_in_jupyterlab(lab_page: Page, running_lab: RunningLab) -> None:
    name = "01-m2-colour-magnitude.ipynb"
    shutil.copy(EXAMPLES / name, running_lab.root_dir / name)
    page = lab_page
    page.evaluate("path => window.jupyterapp.commands.execute('docmanager:open', {path})", name)
    notebook = page.locator(".jp-NotebookPanel")
    page.wait_for_function(  # the notebook's kernel has started
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status"
        " === 'idle'",
        timeout=RUN_ALL_MS,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    outputs = notebook.locator(".jp-OutputArea-output")
    expect(outputs.filter(has_text=re.compile(r"M2 sequence: \d{4} stars"))).to_be_visible(
        timeout=RUN_ALL_MS
    )
    expect(notebook.locator(".surveylab-release-card h3")).to_have_text("DEMO DR1")
    figure = notebook.locator(".bqplot.figure")
    expect(figure.locator(".mainheading")).to_have_text(re.compile(r"M2: \d{4} stars"))
    expect(figure.locator(".dot").first).to_be_attached(timeout=RUN_ALL_MS)
    assert figure.locator(".dot").count() > 2000
    shot(page, "example-m2-in-jupyterlab")
    hextiles = notebook.locator(".bk-Figure").last
    expect(hextiles).to_be_attached(timeout=RUN_ALL_MS)
    hextiles.scroll_into_view_if_needed()
    expect(hextiles).to_be_visible()
    shot(page, "example-m2-in-jupyterlab-hextiles")
    assert notebook.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0


@pytest.fixture(scope="module")
def published_examples(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Published]:
    tmp = tmp_path_factory.mktemp("published-examples")
    return {
        name: export_html(
            EXAMPLES / f"{name}.ipynb",
            tmp / f"{name}.html",
            cwd=tmp,
            env=kernel_env(demo_data_dir, tmp),
        )
        for name in PUBLISHED
    }


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_example_renders_offline(
    name: str, published_examples: dict[str, Published], page: Page
) -> None:
    blocked: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.goto(published_examples[name].path.as_uri())
    for selector, at_least in PUBLISHED[name]:
        expect(page.locator(selector).nth(at_least - 1)).to_be_attached()
        page.locator(selector).first.scroll_into_view_if_needed()
    shot(page, f"published-example-{name}")
    assert blocked == []

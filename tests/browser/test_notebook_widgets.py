"""The notebook widgets in a real JupyterLab, in headless Chromium: QueryPanel, CutoutGallery
(progress, thumbnails, enlarging, the keys of the enlarged view) and JobBrowser.

The test writes a notebook into the lab's root and runs it; the kernel works on the lab's demo
survey (``SURVEYLAB_DATA_DIR`` and ``SURVEYLAB_JOBS_DIR`` come from the lab's environment).
"""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from surveylab.demo import M2_EXAMPLE_QUERY
from tests.browser.conftest import shot
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

#: How long the kernel may take to start and run a cell on 2 busy cores.
KERNEL_MS = 90_000
#: Bright objects around M2's tile, away from the cluster (as tests/core/test_cutouts.py).
BRIGHT = """SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN
WHERE MAG_AUTO_I < 21 AND ABS(RA - 323.548) < 0.9 AND ABS(DEC + 0.697) < 0.9
  AND (RA - 323.36) * (RA - 323.36) + (DEC + 0.82) * (DEC + 0.82) > 0.04
ORDER BY MAG_AUTO_I FETCH FIRST 6 ROWS ONLY"""
CELLS = [
    "from surveylab import Survey\n"
    "from surveylab.demo import M2_EXAMPLE_QUERY\n"
    "from surveylab_widgets import CutoutGallery, JobBrowser, QueryPanel\n"
    "survey = Survey()\n"
    "QueryPanel(survey, M2_EXAMPLE_QUERY)",
    f"bright = survey.query({BRIGHT!r})\n"
    "gallery = CutoutGallery(bright, survey=survey, size=0.5, name='bright objects')\n"
    "gallery",
    "JobBrowser(survey)",
    "print('labels:', sorted(gallery.labels.values()))",
]


def notebook(cells: list[str]) -> str:
    """An nbformat 4 notebook of code cells with the ``python3`` kernel, as JSON."""
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "cells": [
                {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
                 "outputs": [], "execution_count": None}
                for i, source in enumerate(cells)
            ],
        }
    )  # fmt: skip


def run_cell(page: Page, index: int) -> None:
    """Run cell ``index`` of the notebook on screen (not awaited: it settles when run)."""
    page.evaluate(
        """index => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            notebook.activeCellIndex = index;
            void window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        index,
    )


def test_query_panel_job_browser_and_gallery_with_keys(
    lab_page: Page, running_lab: RunningLab
) -> None:
    name = f"widgets-{secrets.token_hex(4)}.ipynb"
    (running_lab.root_dir / name).write_text(notebook(CELLS))
    page = lab_page
    page.evaluate(
        "async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }",
        name,
    )
    page.wait_for_function(  # the notebook's kernel has started
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status"
        " === 'idle'",
        timeout=KERNEL_MS,
    )
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    notebook_panel = page.locator(".jp-NotebookPanel")

    # QueryPanel: Quick runs the M2 example and draws its first rows
    panel = notebook_panel.locator(".surveylab-query-panel")
    expect(panel.locator("textarea")).to_have_value(M2_EXAMPLE_QUERY, timeout=KERNEL_MS)
    panel.get_by_role("button", name="Quick").click()
    expect(panel.locator(".surveylab-table tbody tr")).to_have_count(100, timeout=KERNEL_MS)
    expect(panel.locator(".surveylab-count")).to_contain_text("rows (first 100 shown)")
    expect(panel.locator(".surveylab-table thead")).to_contain_text("RA [deg]")
    panel.scroll_into_view_if_needed()
    shot(page, "widget-query-panel")

    # CutoutGallery: the job's thumbnails replace its progress bar
    gallery = notebook_panel.locator(".surveylab-cutout-gallery")
    thumbnails = gallery.locator(".widget-gridbox img")
    expect(thumbnails).to_have_count(6, timeout=KERNEL_MS)
    expect(gallery.locator(".widget-progress")).to_be_hidden()
    expect(gallery).to_contain_text("6 of 6 positions cut")

    # JobBrowser: the cutout job is listed
    jobs = notebook_panel.locator(".surveylab-job-browser table.surveylab-jobs")
    row = jobs.locator("tbody tr").filter(has_text="bright objects")
    expect(row).to_contain_text("COMPLETED", timeout=KERNEL_MS)
    expect(row).to_contain_text("cutout")
    jobs.scroll_into_view_if_needed()
    shot(page, "widget-job-browser")

    # enlarge the first cutout, label it with the key 3; the kernel has the label
    first = gallery.locator(".widget-gridbox button").first
    first.click()
    expect(gallery.locator(".surveylab-keys")).to_be_visible()
    page.keyboard.press("3")
    expect(first).to_have_text(re.compile(r"#1 · 3"))
    expect(gallery.locator("button.mod-active", has_text=re.compile(r"^3$"))).to_have_count(1)
    gallery.scroll_into_view_if_needed()
    shot(page, "widget-cutout-gallery")
    run_cell(page, 3)
    expect(notebook_panel.locator(".jp-OutputArea-output").filter(has_text="labels:")).to_have_text(
        "labels: [3]", timeout=KERNEL_MS
    )
    assert notebook_panel.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    # the key went to the gallery, not to JupyterLab: no cell became a heading
    assert notebook_panel.locator(".jp-MarkdownCell").count() == 0

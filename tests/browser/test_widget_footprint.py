"""The FootprintViewer widget in a notebook in headless Chromium, with no network: Aladin Lite
comes from surveylab's own copy inside the widget (not ipyaladin's CDN), the HiPS from the lab's
``/surveylab/api/hips``, and the overlays and markers are drawn. Screenshots:
``test-output/screenshots/widget-footprint*.png``.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import image_spread, shot
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

#: Loading a kernel, the 2.4 MB module and drawing may take this long on 2 busy cores.
DRAWN_MS = 90_000

NOTEBOOK_CELLS = [
    "from surveylab import Survey\n"
    "from surveylab_widgets.footprint import FootprintViewer\n"
    "survey = Survey()\n"
    "result = survey.query('SELECT RA, DEC, MAG_AUTO_G FROM DR1_MAIN "
    "WHERE MAG_AUTO_G < 19 ORDER BY MAG_AUTO_G LIMIT 200')\n"
    "viewer = FootprintViewer(survey, height=420)\n"
    "viewer.add_table(result)\n"
    "viewer",
    "bad = FootprintViewer(survey, layers=())\nbad.add_table(result[:0])\nbad",
]


def notebook(cells: list[str]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": s,
                    "outputs": [],
                    "execution_count": None,
                }
                for s in cells
            ],
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


#: Runs code in the open notebook's kernel and returns its printed output.
RUN_IN_KERNEL = """async code => {
  const panel = window.jupyterapp.shell.currentWidget;
  const future = panel.sessionContext.session.kernel.requestExecute({ code });
  let out = '';
  future.onIOPub = msg => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out.trim();
}"""
#: Asks the kernel until the viewer's selection has rows (comm messages arrive between cells).
SELECTED_ROWS = """async ({ run, deadline }) => {
  const runInKernel = eval(run);
  const end = Date.now() + deadline;
  let out = '';
  while (Date.now() < end) {
    out = await runInKernel('print(len(viewer.selected))');
    if (out !== '0') return out;
  }
  return out;
}"""


def test_viewer_runs_offline_in_a_notebook(lab_page: Page, running_lab: RunningLab) -> None:
    urls: list[str] = []

    def record(request: Request) -> None:
        urls.append(request.url)

    lab_page.on("request", record)
    errors: list[str] = []
    lab_page.on("pageerror", lambda error: errors.append(str(error)))
    lab_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    path = Path(running_lab.root_dir) / "footprint-widget.ipynb"
    path.write_text(notebook(NOTEBOOK_CELLS))
    lab_page.evaluate(
        "async path => { const app = window.jupyterapp;"
        " const panel = await app.commands.execute('docmanager:open', {path});"
        " await panel.sessionContext.ready; await panel.revealed; }",
        path.name,
    )
    lab_page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    viewers = lab_page.locator("[data-surveylab-footprint='ready']")
    try:
        expect(viewers).to_have_count(2, timeout=DRAWN_MS)
    except AssertionError as err:
        raise AssertionError(errors) from err
    viewer = viewers.nth(0)
    layers = json.loads(viewer.get_attribute("data-layers") or "{}")
    assert layers["result"] == 200
    assert layers["tiles"] > 0 and layers["healpix"] > 0 and layers["moc"] > 0
    sky = viewer.locator(".aladin-widget")
    expect(sky).to_have_attribute("data-hips", f"{running_lab.url}/surveylab/api/hips")
    lab_page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => /\\/surveylab\\/api\\/hips\\/Norder\\d+\\//.test(e.name))",
        timeout=DRAWN_MS,
    )
    viewer.scroll_into_view_if_needed()
    lab_page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    assert image_spread(lab_page, sky) > 5  # the HiPS and overlays are drawn, not a blank canvas
    # Aladin Lite assigns the global `self`, which breaks the lab's chunk loading: kept the window
    assert lab_page.evaluate("() => self === window")
    shot(lab_page, "widget-footprint")

    # The selection comes back to Python: ipyaladin's rectangle tool, dragged over the markers
    # (the brightest objects, around M2 at the centre of the view).
    assert lab_page.evaluate(RUN_IN_KERNEL, "viewer.selection('rectangle')") == ""
    box = sky.bounding_box()
    assert box is not None
    centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    lab_page.mouse.move(centre_x - 120, centre_y - 120)
    lab_page.mouse.down()
    lab_page.mouse.move(centre_x + 120, centre_y + 120, steps=8)
    lab_page.mouse.up()
    selected = lab_page.evaluate(SELECTED_ROWS, {"run": RUN_IN_KERNEL, "deadline": 30_000})
    assert selected.isdigit() and 0 < int(selected) <= 200, selected
    shot(lab_page, "widget-footprint-selection")

    bad = viewers.nth(1)
    expect(bad.locator(".surveylab-footprint-message")).to_have_text(
        "Cannot show 'result': the table is empty"
    )
    host = urlsplit(running_lab.url).netloc
    off_host = [
        url
        for url in urls
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != host
    ]
    assert off_host == []
    assert not any("esm.sh" in url for url in urls)

"""The browser tests' JupyterLab server serves this checkout's extension and survey."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.support.lab import LABEXTENSION_BUILD, RunningLab

pytestmark = pytest.mark.browser


def test_the_lab_loads_this_checkouts_build(lab_page: Page, running_lab: RunningLab) -> None:
    version = json.loads((LABEXTENSION_BUILD / "package.json").read_text())["version"]
    extensions = lab_page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
        ".federated_extensions"
    )
    ours = [ext for ext in extensions if ext["name"] == "@surveylab/labextension"]
    assert len(ours) == 1 and ours[0]["load"].startswith("static/remoteEntry.")
    lab_page.keyboard.press("Control+Shift+C")
    lab_page.locator(".lm-CommandPalette-input").fill("Survey")
    lab_page.locator('.lm-CommandPalette-item[data-command="surveylab:open"]').click()
    expect(lab_page.locator('[data-testid="surveylab-release"]')).to_have_text("DEMO DR1")
    assert version

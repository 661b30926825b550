"""The browser tests' JupyterLab server serves this checkout's extension and survey."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LIGHT_THEME, set_theme
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


def test_the_dark_theme_is_switched_on_and_back(lab_page: Page, running_lab: RunningLab) -> None:
    set_theme(lab_page, "JupyterLab Dark")
    background = lab_page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--jp-layout-color1').trim()"
    )
    assert background.lower() == "#212121"  # the dark theme's layout colour (light: white)
    set_theme(lab_page, LIGHT_THEME)
    expect(lab_page.locator("body")).to_have_attribute("data-jp-theme-name", LIGHT_THEME)

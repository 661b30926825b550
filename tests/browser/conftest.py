"""Fixtures of the browser tests: Debian's headless Chromium (never a downloaded browser), the
session's real JupyterHub (tests/support/hub.py) and a real JupyterLab server with this
checkout's extension and the demo survey with its HiPS (tests/support/lab.py).

Screenshots go to ``test-output/screenshots``: :func:`shot` saves one; a failing test using
``lab_page`` leaves ``<test name>-failure.png`` there.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.support.hub import REPO_ROOT, running_hub
from tests.support.lab import RunningLab, running_lab_server
from tests.support.markers import require_marker

__all__ = ["running_hub"]

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never fetch a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
LIGHT_THEME = "JupyterLab Light"
#: How long JupyterLab may take to show its launcher on 2 busy cores.
LAB_READY_MS = 60_000
#: How long an ``expect`` waits for its condition (Playwright's default, 5 s, is too short for a
#: lab on 2 busy cores). Only a failing check waits this long.
EXPECT_MS = 30_000

expect.set_options(timeout=EXPECT_MS)


def shot(page: Page, name: str) -> Path:
    """Save a screenshot of ``page`` as ``test-output/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path


def wait_until_restored(page: Page) -> None:
    """Wait until JupyterLab has started and restored its layout: from then on its keyboard
    shortcuts work (a shortcut pressed earlier is lost)."""
    page.wait_for_function(
        "() => window.jupyterapp !== undefined && window.jupyterapp.restored.then(() => true)",
        timeout=LAB_READY_MS,
    )


def paste_text(field: Locator, text: str) -> None:
    """Put ``text`` into a text field at once, as a paste does: one ``input`` event.

    ``Locator.fill`` of a long multi-line text makes Chromium insert it line by line, which
    takes tens of seconds on busy cores. The value is set through the element's prototype
    setter, so that React's change tracking sees the new value in the ``input`` event.
    """
    field.evaluate(
        """(field, text) => {
            const prototype = Object.getPrototypeOf(field);
            Object.getOwnPropertyDescriptor(prototype, 'value').set.call(field, text);
            field.dispatchEvent(new Event('input', { bubbles: true }));
        }""",
        text,
    )


def image_spread(page: Page, locator: Locator) -> float:
    """The standard deviation of the grey levels in the middle of an element (0 when blank).

    Only the central part counts: Aladin's zoom buttons and the logo sit at the edges.
    """
    box = locator.bounding_box()
    assert box is not None, "the element is not shown"
    clip = {
        "x": box["x"] + box["width"] * 0.25,
        "y": box["y"] + box["height"] * 0.25,
        "width": box["width"] * 0.5,
        "height": box["height"] * 0.5,
    }
    image = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L")  # type: ignore[arg-type]
    return float(ImageStat.Stat(image).stddev[0])


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """No asyncio loop from pytest-jupyter here: it would close Playwright's running loop."""
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process jupyter server to clean up: these tests run the lab as a process."""
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module (Playwright's loop must stop before other tests:
    pytest-jupyter's async tests need their own)."""
    require_marker("browser", "Chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(chromium: Browser) -> Browser:
    return chromium


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh page (its own context: no cookies or storage shared with other tests)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def running_lab(
    demo_release_with_hips: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningLab]:
    """A JupyterLab server for the session: the demo survey with its HiPS, jobs in its root."""
    root = tmp_path_factory.mktemp("lab-root")
    with running_lab_server(root, demo_release_with_hips) as lab:
        yield lab


def open_lab(page: Page, lab: RunningLab, *, theme: str | None = None) -> Page:
    """Open JupyterLab on ``page`` in a fresh workspace and wait until it is ready (the launcher
    shows). With ``theme`` (e.g. "JupyterLab Dark") switch to it: the choice is saved in the lab's
    user settings, so ``lab_page`` switches back to the light theme after its test."""
    page.goto(lab.lab_url)
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    if theme is not None:
        set_theme(page, theme)
    return page


def set_theme(page: Page, theme: str) -> None:
    """Switch JupyterLab's theme and wait until the page shows it."""
    page.evaluate(
        "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme)


@pytest.fixture
def lab_page(page: Page, running_lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """JupyterLab open on the session's lab; a screenshot is kept if the test fails."""
    open_lab(page, running_lab)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):
            shot(page, f"{request.node.name}-failure")
    theme = page.evaluate("document.body?.dataset.jpThemeName ?? null")
    if theme is not None and theme != LIGHT_THEME:
        set_theme(page, LIGHT_THEME)  # the theme is a saved setting: leave the next test light


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item (``rep_call``) for the failure screenshots."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

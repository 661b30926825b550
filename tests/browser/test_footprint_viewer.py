"""The footprint viewer in headless Chromium: Aladin Lite bundled and offline, the survey's HiPS,
the overlays, search, the tile panel and its actions.

These tests run their own labs (the demo release with its HiPS, and one without). Each test opens
its own workspace, so it starts from an empty layout.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.browser.conftest import LAB_READY_MS, image_spread, shot
from tests.conftest import linked_release
from tests.support.lab import RunningLab, running_lab_server

pytestmark = pytest.mark.browser

M2_TILE = "DES2134-0041"
#: The tiles of a HiPS served by the lab: Norder<k>/Dir<d>/Npix<n>.<ext>.
HIPS_TILE = re.compile(r"/surveylab/api/hips/Norder\d+/Dir\d+/Npix\d+\.(png|jpg)$")
#: How long the viewer may take to load Aladin and draw the overlays on 2 busy cores.
DRAWN_MS = 60_000


def _lab(root: Path, release: Path) -> Iterator[RunningLab]:
    with running_lab_server(root, release) as lab:
        yield lab


@pytest.fixture
def footprint_lab(running_lab: RunningLab) -> RunningLab:
    """A lab serving the demo release with its HiPS: the session's."""
    return running_lab


@pytest.fixture(scope="module")
def lab_without_hips(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningLab]:
    """A lab serving the demo release with no HiPS built."""
    release = linked_release(demo_data_dir, tmp_path_factory.mktemp("no-hips") / "dr1")
    yield from _lab(tmp_path_factory.mktemp("no-hips-lab"), release)


class RequestLog:
    """Every request the page makes, recorded from before JupyterLab loads."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        self.urls.append(request.url)

    def off_host(self, lab: RunningLab) -> list[str]:
        """Requests to anywhere but the lab's own host (data: and blob: URLs stay in the page)."""
        host = urlsplit(lab.url).netloc
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != host
        ]

    def hips_tiles(self) -> list[str]:
        return [url for url in self.urls if HIPS_TILE.search(urlsplit(url).path)]


def open_workspace(page: Page, lab: RunningLab) -> Page:
    """Open JupyterLab in a new, empty workspace and wait for the launcher."""
    page.goto(f"{lab.url}/lab/workspaces/fp-{uuid.uuid4().hex[:10]}?token={lab.token}")
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    return page


def open_viewer_from_palette(page: Page) -> Locator:
    """Open the viewer through the command palette and wait until its overlays are drawn."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Footprint")
    page.locator('.lm-CommandPalette-item[data-command="surveylab:open-footprint"]').click()
    sky = page.get_by_test_id("footprint-sky")
    expect(sky).to_have_attribute("data-drawn", "true", timeout=DRAWN_MS)
    return sky


@contextlib.contextmanager
def dark_theme(page: Page) -> Iterator[None]:
    """JupyterLab Dark while inside; the lab's theme setting is put back after."""
    change = "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })"
    page.evaluate(change, "JupyterLab Dark")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    try:
        yield
    finally:
        page.evaluate(change, "JupyterLab Light")
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "true")


def search(page: Page, text: str) -> None:
    box = page.get_by_test_id("footprint-search")
    box.fill(text)
    box.press("Enter")


@pytest.fixture
def log_and_page(page: Page) -> tuple[RequestLog, Page]:
    return RequestLog(page), page


def test_viewer_draws_every_overlay_without_leaving_the_lab(
    log_and_page: tuple[RequestLog, Page], footprint_lab: RunningLab
) -> None:
    log, page = log_and_page
    open_workspace(page, footprint_lab)
    sky = open_viewer_from_palette(page)

    expect(sky).to_have_attribute("data-state", "ready")
    canvas = sky.locator("canvas").first
    expect(canvas).to_be_visible()
    outlines = footprint_lab.api("GET", "footprint/tiles.geojson").json()
    counts = footprint_lab.api("GET", "footprint/healpix?nside=32").json()
    expect(sky).to_have_attribute("data-tile-polygons", str(len(outlines["features"])))
    expect(sky).to_have_attribute("data-healpix-polygons", str(len(counts["pixels"])))
    expect(sky).to_have_attribute("data-moc", re.compile(r"^[1-9]\d*$"))
    expect(sky).to_have_attribute("data-hips", "ready")
    for name in ("hips", "tiles", "healpix", "moc"):
        expect(page.get_by_test_id(f"footprint-toggle-{name}")).to_be_checked()
    legend = page.get_by_test_id("footprint-legend")
    expect(legend).to_contain_text(f"{min(counts['counts']):,}")
    expect(legend).to_contain_text(f"{max(counts['counts']):,}")
    marks = page.evaluate("() => performance.getEntriesByType('mark').map(mark => mark.name)")
    assert "surveylab:footprint-drawn" in marks
    assert image_spread(page, sky) > 5, "the sky view is blank"
    shot(page, "footprint-viewer")

    assert log.off_host(footprint_lab) == []
    assert any("/surveylab/api/footprint/tiles.geojson" in url for url in log.urls)


def test_the_surveys_hips_is_loaded_from_the_lab(
    log_and_page: tuple[RequestLog, Page], footprint_lab: RunningLab
) -> None:
    log, page = log_and_page
    open_workspace(page, footprint_lab)
    with page.expect_response(
        lambda response: (
            bool(HIPS_TILE.search(urlsplit(response.url).path)) and response.status == 200
        ),
        timeout=DRAWN_MS,
    ):
        open_viewer_from_palette(page)
    assert all(
        url.startswith(f"{footprint_lab.url}/surveylab/api/hips/") for url in log.hips_tiles()
    )

    # With only the image shown, the sky still has structure: the HiPS is drawn.
    sky = page.get_by_test_id("footprint-sky")
    for name in ("tiles", "healpix", "moc"):
        page.get_by_test_id(f"footprint-toggle-{name}").uncheck()
    expect(sky).to_have_attribute("data-hidden", "tiles healpix moc")
    search(page, "21:33:27 -0:49:24")
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
    page.get_by_test_id("footprint-search").press("Escape")  # no selected tile outline
    expect(sky).to_have_attribute("data-selected-tile", "")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(entry => /\\/hips\\/Norder5\\//.test(entry.name))",
        timeout=DRAWN_MS,
    )
    with_image = image_spread(page, sky)
    shot(page, "footprint-hips-only")

    # Hiding the image too leaves the plain background: what was there was the HiPS.
    page.get_by_test_id("footprint-toggle-hips").uncheck()
    expect(sky).to_have_attribute("data-hidden", "hips tiles healpix moc")
    page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    without_image = image_spread(page, sky)
    assert with_image > 5 > without_image, (with_image, without_image)
    assert log.off_host(footprint_lab) == []


def test_search_a_tile_name_shows_its_properties_and_files(
    page: Page, footprint_lab: RunningLab
) -> None:
    open_workspace(page, footprint_lab)
    open_viewer_from_palette(page)
    tile = footprint_lab.api("GET", f"footprint/tiles/{M2_TILE}").json()

    search(page, M2_TILE.lower())
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
    expect(page.get_by_test_id("footprint-tile-objects")).to_have_text(f"{tile['objects']:,}")
    expect(page.get_by_test_id("footprint-tile-centre")).to_contain_text(
        f"{tile['ra']:.4f}°, {tile['dec']:.4f}°"
    )
    links = page.get_by_test_id("footprint-tile-image")
    expect(links).to_have_count(len(tile["images"]))
    for link, image in zip(links.all(), tile["images"], strict=True):
        expect(link).to_contain_text(image["file"])
        assert link.get_attribute("href") == image["url"]
    expect(page.get_by_test_id("footprint-sky")).to_have_attribute("data-selected-tile", M2_TILE)
    shot(page, "footprint-tile")
    with dark_theme(page):
        expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
        shot(page, "footprint-tile-dark")

    # The link downloads the coadd image, with the page's own login.
    download = page.request.get(f"{footprint_lab.url}{tile['images'][0]['url']}")
    assert download.status == 200
    assert download.body()[:6] == b"SIMPLE"


def test_search_a_position_shows_its_tile_or_says_what_is_wrong(
    page: Page, footprint_lab: RunningLab
) -> None:
    open_workspace(page, footprint_lab)
    open_viewer_from_palette(page)
    message = page.get_by_test_id("footprint-message")

    search(page, "21:33:27 -0:49:24")
    owner = footprint_lab.api("GET", "footprint/tiles?ra=323.3625&dec=-0.823333").json()["tile"]
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(owner)
    expect(page.get_by_test_id("footprint-position")).to_have_text("323.3625°, -0.8233°")
    shot(page, "footprint-position")

    search(page, "21:33:27 -95:00:00")
    expect(message).to_have_text('Dec "-95:00:00" is outside -90…+90 degrees')
    expect(message).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("footprint-tile-name")).to_have_count(0)
    shot(page, "footprint-bad-position")

    search(page, "M2")
    expect(message).to_contain_text('"M2" is not a tile name (like DES2134-0041) or a position')

    search(page, "150 -40")
    expect(message).to_contain_text("is outside the survey's footprint: no tile holds it.")
    expect(message).to_contain_text("150.0000°, -40.0000°")

    search(page, "DES0000+9999")
    expect(message).to_contain_text("DES0000+9999")


def test_a_click_on_the_sky_shows_the_tile_there(page: Page, footprint_lab: RunningLab) -> None:
    open_workspace(page, footprint_lab)
    sky = open_viewer_from_palette(page)
    search(page, M2_TILE)  # the view is centred on the tile
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
    page.get_by_test_id("footprint-search").press("Escape")
    expect(page.get_by_test_id("footprint-message")).to_contain_text("Click the sky")

    box = sky.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
    expect(page.get_by_test_id("footprint-position")).to_be_visible()
    expect(page.get_by_test_id("footprint-cursor")).to_contain_text("21:34:")
    shot(page, "footprint-click")


#: Registers spy commands for the ids another panel may not provide yet, and records every
#: execution of the two (the real commands' too) in ``window.__surveylabExecuted``.
RECORD_COMMANDS = """
(ids) => {
  const executed = (window.__surveylabExecuted = []);
  window.jupyterapp.commands.commandExecuted.connect((_, event) => {
    if (ids.includes(event.id)) {
      executed.push({ id: event.id, args: JSON.parse(JSON.stringify(event.args)) });
    }
  });
}
"""


def test_tile_actions_open_the_query_and_the_gallery(page: Page, footprint_lab: RunningLab) -> None:
    open_workspace(page, footprint_lab)
    open_viewer_from_palette(page)
    page.evaluate(RECORD_COMMANDS, ["surveylab:open-query", "surveylab:open-gallery"])
    search(page, "21:33:27 -0:49:24")
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(M2_TILE)
    # The query selects the tile's objects: as many as the tile panel says.
    objects = footprint_lab.api(
        "POST", "query", json={"sql": f"SELECT COUNT(*) FROM DR1_MAIN WHERE TILENAME = '{M2_TILE}'"}
    ).json()["rows"][0][0]
    expect(page.get_by_test_id("footprint-tile-objects")).to_have_text(f"{objects:,}")
    shot(page, "footprint-actions")

    page.get_by_test_id("footprint-query").click()  # the query panel opens with the SQL
    editor = page.locator('[data-testid="query-editor"] .cm-content')
    expect(editor).to_contain_text(f"WHERE TILENAME = '{M2_TILE}'")
    page.locator(".lm-TabBar-tab", has_text="Footprint").click()
    page.get_by_test_id("footprint-cutouts").click()  # the gallery opens with the position
    expect(page.get_by_test_id("gallery-positions")).to_have_value("323.362500 -0.823333")

    executed = page.evaluate("() => window.__surveylabExecuted")
    assert executed == [
        {
            "id": "surveylab:open-query",
            "args": {
                "sql": "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I,"
                " MAG_AUTO_Z, MAG_AUTO_Y,\n       EXTENDED_CLASS_COADD\nFROM DR1_MAIN\n"
                f"WHERE TILENAME = '{M2_TILE}'"
            },
        },
        {"id": "surveylab:open-gallery", "args": {"positions": "323.362500 -0.823333"}},
    ]


def test_open_footprint_command_goes_to_its_target(page: Page, footprint_lab: RunningLab) -> None:
    open_workspace(page, footprint_lab)
    card = page.locator(".jp-LauncherCard", has_text="Footprint")
    expect(card).to_have_attribute("data-category", "Survey")
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'surveylab:open-footprint', { target: 'DES2134+0001' }); }"
    )
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text("DES2134+0001")
    expect(page.get_by_test_id("footprint-search")).to_have_value("DES2134+0001")
    # A second call reuses the viewer.
    page.evaluate(
        "async (target) => {"
        " await window.jupyterapp.commands.execute('surveylab:open-footprint', { target }); }",
        "0.1 0.1",
    )
    expect(page.get_by_test_id("footprint-viewer")).to_have_count(1)
    expect(page.get_by_test_id("footprint-tile-name")).to_have_text(
        footprint_lab.api("GET", "footprint/tiles?ra=0.1&dec=0.1").json()["tile"]
    )
    expect(page.get_by_test_id("footprint-sky")).to_have_attribute("data-drawn", "true")
    shot(page, "footprint-command-target")


def test_without_a_hips_the_image_toggle_is_off_with_a_hint(
    log_and_page: tuple[RequestLog, Page], lab_without_hips: RunningLab
) -> None:
    log, page = log_and_page
    open_workspace(page, lab_without_hips)
    sky = open_viewer_from_palette(page)
    expect(sky).to_have_attribute("data-hips", "unavailable")
    toggle = page.get_by_test_id("footprint-toggle-hips")
    expect(toggle).to_be_visible()
    expect(toggle).to_be_disabled()
    expect(toggle).not_to_be_checked()
    hint = page.get_by_test_id("footprint-hint-hips")
    expect(hint).to_contain_text("No HiPS has been built for this release: run surveylab hips")
    expect(hint.locator("code")).to_have_text("surveylab hips build")
    assert "surveylab hips build" in (toggle.locator("..").get_attribute("title") or "")
    outlines = lab_without_hips.api("GET", "footprint/tiles.geojson").json()
    expect(sky).to_have_attribute("data-tile-polygons", str(len(outlines["features"])))
    for name in ("tiles", "healpix", "moc"):
        expect(page.get_by_test_id(f"footprint-toggle-{name}")).to_be_visible()
        expect(page.get_by_test_id(f"footprint-toggle-{name}")).to_be_enabled()
    assert log.hips_tiles() == []
    assert log.off_host(lab_without_hips) == []
    shot(page, "footprint-no-hips")

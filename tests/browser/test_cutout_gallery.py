"""The cutout gallery in headless Chromium: upload a CSV, see thumbnails and per-position errors,
enlarge with band switch and FITS header, label with keys (kept across a reload), bad CSVs."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LAB_READY_MS,
    LIGHT_THEME,
    open_lab,
    paste_text,
    set_theme,
    shot,
)
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

#: Three positions in the M2 tile of the demo survey, and one far outside the footprint.
TARGETS_CSV = "RA,DEC\n323.36,-0.82\n323.38,-0.80\n323.34,-0.84\n10.0,60.0\n"


@pytest.fixture
def gallery_page(lab_page: Page) -> Page:
    """JupyterLab (in a workspace of its own) for a gallery test."""
    return lab_page


def open_gallery(page: Page) -> Locator:
    """Open the gallery from its launcher card (Survey section)."""
    page.locator(".jp-LauncherCard", has_text="Cutout Gallery").click()
    panel = page.locator("#surveylab-gallery")
    expect(panel).to_be_visible()
    return panel


def wait_for_job(lab: RunningLab, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = lab.api("GET", f"jobs/{job_id}").json()
        if job["phase"] not in ("PENDING", "QUEUED", "EXECUTING"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


@pytest.fixture(scope="module")
def m2_job(running_lab: RunningLab) -> str:
    """A cutout job made through the REST API: three positions near M2, one outside."""
    response = running_lab.api(
        "POST",
        "jobs",
        json={"type": "cutout", "csv": TARGETS_CSV, "bands": "gri", "rgb": "irg", "name": "m2"},
    )
    assert response.status_code == 201, response.text
    job_id: str = response.json()["id"]
    assert wait_for_job(running_lab, job_id)["phase"] == "COMPLETED"
    return job_id


def wait_for_saved_workspace(page: Page, lab: RunningLab, job_id: str, timeout: float = 30) -> None:
    """Wait until JupyterLab has saved the gallery of ``job_id`` in the page's workspace."""
    workspace = re.search(r"/lab/workspaces/([^/?#]+)", page.url)
    assert workspace is not None, page.url
    deadline = time.monotonic() + timeout
    text = ""
    while f'"jobId": "{job_id}"' not in text:
        assert time.monotonic() < deadline, f"the workspace holds no gallery of {job_id}: {text}"
        time.sleep(0.2)
        text = requests.get(
            f"{lab.url}/lab/api/workspaces/{workspace.group(1)}",
            headers={"Authorization": f"token {lab.token}"},
            timeout=30,
        ).text


def show_job(page: Page, job_id: str, count: int | None = 4) -> Locator:
    """Open the gallery and pick the job; wait for its ``count`` cells."""
    panel = open_gallery(page)
    panel.get_by_test_id("gallery-job-picker").select_option(value=job_id)
    expect(panel.get_by_test_id("gallery-job")).to_have_attribute("data-job-id", job_id)
    if count is not None:
        expect(panel.get_by_test_id("gallery-cell")).to_have_count(count)
    return panel


def test_an_uploaded_csv_becomes_a_gallery_with_the_failed_position(
    gallery_page: Page, tmp_path: Path
) -> None:
    targets = tmp_path / "m2-targets.csv"
    targets.write_text(TARGETS_CSV)
    panel = open_gallery(gallery_page)

    panel.get_by_test_id("gallery-mode-csv").check()
    panel.get_by_test_id("gallery-csv-file").set_input_files(targets)
    expect(panel.get_by_test_id("gallery-csv-name")).to_have_text("m2-targets.csv")
    expect(panel.get_by_test_id("gallery-csv")).to_have_value(TARGETS_CSV)
    panel.get_by_test_id("gallery-name").fill("m2 upload")
    panel.get_by_test_id("gallery-submit").click()

    job = panel.get_by_test_id("gallery-job")
    expect(job).to_be_visible(timeout=60_000)
    expect(panel.get_by_test_id("gallery-job-name")).to_have_text("m2 upload")
    expect(panel.get_by_test_id("gallery-counts")).to_have_text("3 of 4 positions cut, 1 failed")
    cells = panel.get_by_test_id("gallery-cell")
    expect(cells).to_have_count(4)
    thumbnails = panel.get_by_test_id("gallery-thumbnail")
    expect(thumbnails).to_have_count(3)
    for index in range(3):
        expect(thumbnails.nth(index)).to_have_attribute("loading", "lazy")
        expect(thumbnails.nth(index)).to_have_js_property("complete", True)
        assert thumbnails.nth(index).evaluate("img => img.naturalWidth") > 0
    assert "_irg.jpg" in (thumbnails.first.get_attribute("src") or "")
    failed = cells.nth(3).get_by_test_id("gallery-cell-error")
    expect(failed).to_have_text("row 5: outside the footprint: no tile holds this position")
    gallery_page.wait_for_function(
        "performance.getEntriesByName('surveylab:gallery-rendered').length === 1"
    )
    shot(gallery_page, "gallery-upload")


def test_an_enlarged_cutout_switches_band_and_shows_its_fits_header(
    gallery_page: Page, m2_job: str
) -> None:
    panel = show_job(gallery_page, m2_job)
    grid = panel.get_by_test_id("gallery-grid")
    grid.focus()
    gallery_page.keyboard.press("ArrowRight")
    expect(panel.get_by_test_id("gallery-cell").nth(1)).to_have_attribute("aria-selected", "true")
    gallery_page.keyboard.press("Enter")

    viewer = panel.get_by_test_id("gallery-viewer")
    expect(viewer).to_be_visible()
    image = viewer.get_by_test_id("gallery-viewer-image")
    expect(image).to_have_attribute("data-band", "colour")
    assert "_irg.png" in (image.get_attribute("src") or "")
    viewer.get_by_test_id("gallery-viewer-band-r").click()
    expect(image).to_have_attribute("data-band", "r")
    assert (image.get_attribute("src") or "").endswith("_r.png")
    header = viewer.get_by_test_id("gallery-fits-header")
    expect(header.locator("h4")).to_have_text("DES2134-0041_DESJ213331.20-004800.0_r.fits")
    tilename = header.locator('tr[data-keyword="TILENAME"]')
    expect(tilename).to_contain_text("'DES2134-0041'")
    expect(header.locator('tr[data-keyword="BAND"]')).to_contain_text("'r'")
    gallery_page.keyboard.press("g")  # a band's key
    expect(image).to_have_attribute("data-band", "g")
    expect(header.locator('tr[data-keyword="BAND"]')).to_contain_text("'g'")
    downloads = viewer.get_by_test_id("gallery-download")
    expect(downloads).to_have_count(3 * 2 + 2)  # g, r, i FITS and PNG; colour PNG and JPEG
    shot(gallery_page, "gallery-viewer")

    gallery_page.keyboard.press("ArrowRight")
    expect(viewer.get_by_test_id("gallery-viewer-title")).to_have_text("DESJ213321.60-005024.0")
    gallery_page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(panel.get_by_test_id("gallery-cell").nth(2)).to_have_attribute("aria-selected", "true")


def test_labels_from_keys_are_counted_and_kept_across_a_reload(
    gallery_page: Page, m2_job: str, running_lab: RunningLab
) -> None:
    panel = show_job(gallery_page, m2_job)
    cells = panel.get_by_test_id("gallery-cell")
    panel.get_by_test_id("gallery-grid").focus()
    for key in ("1", "ArrowRight", "1", "ArrowRight", "7", "ArrowRight", "3"):
        gallery_page.keyboard.press(key)

    expect(cells.nth(0)).to_have_attribute("data-label", "1")
    expect(cells.nth(2)).to_have_attribute("data-label", "7")
    expect(cells.nth(3)).to_have_attribute("data-label", "")  # not cut: no label
    expect(panel.get_by_test_id("gallery-label-count-1")).to_have_attribute("data-count", "2")
    expect(panel.get_by_test_id("gallery-label-count-7")).to_have_attribute("data-count", "1")
    expect(panel.get_by_test_id("gallery-label-count-none")).to_have_attribute("data-count", "0")
    expect(panel.get_by_test_id("gallery-save-state")).to_have_attribute("data-state", "saved")
    shot(gallery_page, "gallery-labels")
    saved = running_lab.api("GET", f"jobs/{m2_job}/labels").json()["labels"]
    assert sorted(saved.values()) == [1, 1, 7]

    gallery_page.keyboard.press("ArrowLeft")  # back to the third: remove its label
    gallery_page.keyboard.press("Delete")
    expect(cells.nth(2)).to_have_attribute("data-label", "")
    expect(panel.get_by_test_id("gallery-save-state")).to_have_attribute("data-state", "saved")

    wait_for_saved_workspace(gallery_page, running_lab, m2_job)
    gallery_page.reload()
    panel = gallery_page.locator("#surveylab-gallery")  # the layout restorer reopens the job
    expect(panel.get_by_test_id("gallery-job")).to_have_attribute(
        "data-job-id", m2_job, timeout=LAB_READY_MS
    )
    cells = panel.get_by_test_id("gallery-cell")
    expect(cells.nth(0)).to_have_attribute("data-label", "1")
    expect(cells.nth(1)).to_have_attribute("data-label", "1")
    expect(cells.nth(2)).to_have_attribute("data-label", "")
    expect(panel.get_by_test_id("gallery-label-count-1")).to_have_attribute("data-count", "2")
    expect(panel.get_by_test_id("gallery-label-count-none")).to_have_attribute("data-count", "1")
    shot(gallery_page, "gallery-labels-after-reload")


def test_a_csv_without_ra_dec_shows_the_servers_message_and_keeps_the_form(
    gallery_page: Page, tmp_path: Path
) -> None:
    bad = tmp_path / "no-header.csv"
    bad.write_text("NAME,FLUX\nstar,1.0\n")
    panel = open_gallery(gallery_page)
    panel.get_by_test_id("gallery-mode-csv").check()
    panel.get_by_test_id("gallery-csv-file").set_input_files(bad)
    panel.get_by_test_id("gallery-submit").click()

    error = panel.get_by_test_id("gallery-form-error")
    expect(error).to_contain_text(
        "line 1: the header must have the columns RA,DEC or COADD_OBJECT_ID (any case); "
        "it has NAME, FLUX"
    )
    expect(error).to_contain_text("HTTP 400")
    expect(panel.get_by_test_id("gallery-csv")).to_have_value("NAME,FLUX\nstar,1.0\n")
    expect(panel.get_by_test_id("gallery-form")).to_be_visible()
    shot(gallery_page, "gallery-bad-csv")


def test_a_thousand_cutouts_render_only_the_rows_in_view(
    page: Page, running_lab: RunningLab
) -> None:
    positions = [
        [323.30 + 0.12 * (k % 40) / 40, -0.88 + 0.12 * (k // 40) / 25] for k in range(1000)
    ]
    response = running_lab.api(
        "POST",
        "jobs",
        json={"type": "cutout", "positions": positions, "bands": "i", "rgb": False},
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["id"]
    assert wait_for_job(running_lab, job_id, timeout=240)["phase"] == "COMPLETED"
    open_lab(page, running_lab)
    try:
        panel = show_job(page, job_id, count=None)
        expect(panel.get_by_test_id("gallery-counts")).to_have_text("1,000 of 1,000 positions cut")
        cells = panel.get_by_test_id("gallery-cell")
        expect(cells.first).to_be_visible()
        rendered = cells.count()
        assert 0 < rendered < 200  # the rows in view and two more, not 1,000
        page.wait_for_function(
            "performance.getEntriesByName('surveylab:gallery-rendered').length === 1"
        )
        shot(page, "gallery-thousand")
        set_theme(page, "JupyterLab Dark")
        shot(page, "gallery-thousand-dark")

        panel.get_by_test_id("gallery-grid").focus()
        page.keyboard.press("End")
        last = panel.locator('[data-testid="gallery-cell"][data-index="999"]')
        expect(last).to_have_attribute("aria-selected", "true")
        expect(last).to_be_in_viewport()
        expect(last.get_by_test_id("gallery-thumbnail")).to_have_js_property("complete", True)
        assert cells.count() < 200
    finally:
        with contextlib.suppress(Exception):
            set_theme(page, LIGHT_THEME)  # a user setting: the next tests expect light


def test_a_running_job_shows_its_progress_and_can_be_cancelled(gallery_page: Page) -> None:
    lines = [
        f"{323.30 + 0.12 * (k % 60) / 60:.5f} {-0.88 + 0.12 * (k // 60) / 50:.5f}"
        for k in range(3000)
    ]
    panel = open_gallery(gallery_page)
    paste_text(panel.get_by_test_id("gallery-positions"), "\n".join(lines))
    panel.get_by_test_id("gallery-name").fill("to cancel")
    panel.get_by_test_id("gallery-submit").click()

    progress = panel.get_by_test_id("gallery-progress")
    expect(progress).to_contain_text("to cancel: executing", timeout=60_000)
    expect(progress.locator("progress")).to_have_attribute("max", "1")
    shot(gallery_page, "gallery-progress")
    panel.get_by_test_id("gallery-cancel").click()

    expect(panel.get_by_test_id("gallery-job")).to_be_visible(timeout=60_000)
    expect(panel.locator(".sl-Gallery-phase")).to_have_text("ABORTED")
    expect(panel.get_by_test_id("gallery-counts")).to_contain_text("of 3,000 positions cut")
    not_cut = panel.get_by_test_id("gallery-cell-error").filter(
        has_text="not cut: the job was cancelled"
    )
    panel.get_by_test_id("gallery-grid").focus()
    gallery_page.keyboard.press("End")  # the last positions were not cut
    expect(not_cut.last).to_be_visible()

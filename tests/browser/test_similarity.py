""" "Objects like this" in headless Chromium: from the cutout gallery's enlarged view and from the
query panel's row menu and toolbar, the answer opens as a gallery of the neighbours (a cutout job
named after the object); an object the index cannot answer for shows the server's message; a
similarity-index build shows in the job browser with its result and log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from surveylab.similarity import SimilarityIndex
from tests.browser.conftest import shot
from tests.browser.test_cutout_gallery import show_job, wait_for_job
from tests.browser.test_query_panel import (
    click_first_cell,
    open_from_launcher,
    open_workspace,
    set_sql,
)
from tests.conftest import linked_release
from tests.support.lab import RunningLab, running_lab_server

pytestmark = pytest.mark.browser

#: Neighbours the lab asks for.
K = 50


@pytest.fixture(scope="module")
def similar_lab(
    similarity_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningLab]:
    """A lab serving the demo release with its similarity index."""
    with running_lab_server(tmp_path_factory.mktemp("similar-lab"), similarity_release) as lab:
        yield lab


@pytest.fixture(scope="module")
def object_ids(similarity_release: Path) -> list[int]:
    """Three indexed objects, in id order."""
    index = SimilarityIndex.load(similarity_release / "similarity")
    return sorted(int(i) for i in index.ids[[3, 300, 3000]])


def job_named(lab: RunningLab, name: str, timeout: float = 60) -> dict[str, Any]:
    """The job called ``name``, once it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in lab.api("GET", "jobs").json()["jobs"]:
            if job["name"] == name:
                return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"no job named {name!r} within {timeout} s")


def expect_answer_gallery(page: Page, lab: RunningLab, object_id: int) -> None:
    """The gallery shows the cutout job of ``object_id``'s neighbours, every one of them."""
    job = job_named(lab, f"objects like {object_id}")
    assert job["type"] == "cutout"
    panel = page.locator("#surveylab-gallery")
    expect(panel.get_by_test_id("gallery-job")).to_have_attribute("data-job-id", job["id"])
    assert wait_for_job(lab, job["id"], timeout=120)["phase"] == "COMPLETED"
    expect(panel.get_by_test_id("gallery-job-name")).to_have_text(f"objects like {object_id}")
    # every neighbour is an item (the grid draws only the cells in view)
    none = panel.get_by_test_id("gallery-label-count-none")
    expect(none).to_have_attribute("data-count", str(K), timeout=60_000)
    answer = lab.api("POST", "similar", json={"target": object_id, "k": K}).json()
    assert answer["neighbours"][0]["COADD_OBJECT_ID"] == object_id


def run_rows(page: Page, lab: RunningLab, ids: list[int]) -> Locator:
    sql = (
        "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN WHERE COADD_OBJECT_ID IN "
        f"({', '.join(map(str, ids))}) ORDER BY COADD_OBJECT_ID"
    )
    panel = open_from_launcher(page)
    set_sql(page, sql)
    page.locator('[data-testid="query-quick"]').click()
    grid = panel.get_by_test_id("query-grid")
    expect(grid).to_have_attribute("data-rendered", str(len(ids)))
    return panel


def test_the_gallery_viewers_action_opens_the_neighbours_as_a_gallery(
    page: Page, similar_lab: RunningLab, object_ids: list[int]
) -> None:
    made = similar_lab.api(
        "POST", "jobs", json={"type": "cutout", "ids": object_ids, "rgb": "irg", "name": "three"}
    )
    assert made.status_code == 201, made.text
    assert wait_for_job(similar_lab, made.json()["id"])["phase"] == "COMPLETED"
    open_workspace(page, similar_lab)
    panel = show_job(page, made.json()["id"], count=3)
    panel.get_by_test_id("gallery-grid").focus()
    page.keyboard.press("Enter")
    viewer = panel.get_by_test_id("gallery-viewer")
    shot(page, "similarity-action")
    viewer.get_by_test_id("gallery-objects-like-this").click()
    expect_answer_gallery(page, similar_lab, object_ids[0])
    shot(page, "similarity-gallery")


def test_the_query_panels_row_menu_and_toolbar_open_the_neighbours(
    page: Page, similar_lab: RunningLab, object_ids: list[int]
) -> None:
    open_workspace(page, similar_lab)
    button = page.locator('[data-testid="query-objects-like-this"]')
    run_rows(page, similar_lab, object_ids)
    expect(button).to_have_attribute("aria-disabled", "true")  # no row selected yet

    box = page.locator('[data-testid="query-grid"] .lm-DataGrid').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 64 + 12, box["y"] + 28 + 24 * 1 + 12, button="right")
    page.locator(".sl-QueryRowMenu .lm-Menu-item", has_text="Objects like this").click()
    expect_answer_gallery(page, similar_lab, object_ids[1])

    page.locator(".lm-TabBar-tab", has_text="SQL Query").click()
    click_first_cell(page, 2)
    expect(button).to_have_attribute("aria-disabled", "false")
    button.click()
    expect_answer_gallery(page, similar_lab, object_ids[2])


def test_an_object_the_index_cannot_answer_for_shows_the_servers_message(
    page: Page, similar_lab: RunningLab
) -> None:
    open_workspace(page, similar_lab)
    page.evaluate(
        "() => window.jupyterapp.commands.execute('surveylab:open-similar', { target: '1' })"
    )
    toast = page.locator(".Toastify__toast", has_text="Objects like this")
    expect(toast).to_contain_text("COADD_OBJECT_ID 1 is not in DR1_MAIN")
    expect(page.locator("#surveylab-gallery")).to_have_count(0)


def test_a_similarity_index_build_shows_in_the_job_browser(
    page: Page, demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.browser.test_job_browser import job_row, open_details, open_job_browser

    root = tmp_path_factory.mktemp("build-lab")
    release = linked_release(demo_data_dir, root / "dr1")
    with running_lab_server(root / "lab", release) as lab:
        made = lab.api(
            "POST",
            "jobs",
            json={"type": "similarity-index", "pixels": 8, "components": 8, "pca_sample": 200},
        )
        assert made.status_code == 201, made.text
        open_workspace(page, lab)
        browser = open_job_browser(page)
        row = job_row(browser, made.json()["id"])
        expect(row).to_contain_text("similarity-index")
        expect(row).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
        expect(row.locator('[data-testid="job-outcome"]')).to_have_text("1 file")
        details = open_details(row)
        expect(details.locator('[data-testid="job-file"]')).to_contain_text(
            "similarity-manifest.json"
        )
        details.locator("summary", has_text="Log").click()
        expect(details.locator('[data-testid="job-log"]')).to_contain_text("PCA on")
    assert (release / "similarity" / "manifest.json").is_file()

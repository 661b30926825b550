"""The query panel's "Find anomalies" form in headless Chromium: a problem shown by its field,
the job submitted with the result's query, then its gallery of top rows opened and labelled."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAB_READY_MS, shot
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

PANEL = '[data-testid="query-panel"]'
EDITOR = '[data-testid="query-editor"] .cm-content'
SAMPLE = (
    "SELECT COADD_OBJECT_ID, RA, DEC, HPIX_32, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, SPREAD_MODEL_I\n"
    "FROM DR1_MAIN WHERE RA BETWEEN 323.2 AND 323.6 AND DEC BETWEEN -1.0 AND -0.6"
)


def wait_for_job(lab: RunningLab, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = lab.api("GET", f"jobs/{job_id}").json()
        if job["phase"] not in ("PENDING", "QUEUED", "EXECUTING"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def test_find_anomalies_in_a_result_and_label_its_gallery(
    page: Page, running_lab: RunningLab
) -> None:
    page.goto(f"{running_lab.url}/lab/workspaces/anomaly-{secrets.token_hex(4)}?reset&token="
              f"{running_lab.token}")  # fmt: skip
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    page.locator('.jp-LauncherCard[data-category="Survey"]', has_text="SQL Query").click()
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-ready", "true")
    page.locator(EDITOR).click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(SAMPLE)

    page.locator('[data-testid="query-anomalies"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator('[data-testid="query-anomaly-form"]')).to_be_visible()
    dialog.locator('[data-testid="query-anomaly-features"]').fill("MAG_AUTO_G")
    expect(dialog.locator('[data-testid="query-anomaly-problem-features"]')).to_contain_text(
        "at least 2 features"
    )
    dialog.locator('[data-testid="query-anomaly-trees"]').fill("5000")
    expect(dialog.locator('[data-testid="query-anomaly-problem-trees"]')).to_contain_text(
        "from 10 to 1,000"
    )
    features = "MAG_AUTO_G-MAG_AUTO_R, MAG_AUTO_R-MAG_AUTO_I, SPREAD_MODEL_I"
    dialog.locator('[data-testid="query-anomaly-features"]').fill(features)
    dialog.locator('[data-testid="query-anomaly-trees"]').fill("30")
    dialog.locator('[data-testid="query-anomaly-top"]').fill("4")
    dialog.locator('[data-testid="query-anomaly-name"]').fill("odd m2")
    expect(dialog.locator('[role="alert"]')).to_have_count(0)
    shot(page, "query-panel-anomaly-form")
    dialog.get_by_role("button", name="Find anomalies").click()

    submitted = panel.locator('[data-testid="query-submitted"] code')
    expect(submitted).to_have_text(re.compile(r"\w+"))
    job_id = submitted.inner_text()
    toast = page.locator(".Toastify__toast", has_text=job_id)
    expect(toast.get_by_role("button", name="Open gallery")).to_be_visible()
    record = running_lab.api("GET", f"jobs/{job_id}").json()
    assert record["type"] == "anomaly" and record["name"] == "odd m2"
    assert record["parameters"]["sql"] == SAMPLE
    assert record["parameters"]["features"] == [
        "MAG_AUTO_G-MAG_AUTO_R", "MAG_AUTO_R-MAG_AUTO_I", "SPREAD_MODEL_I"
    ]  # fmt: skip
    assert (record["parameters"]["trees"], record["parameters"]["top"]) == (30, 4)
    assert wait_for_job(running_lab, job_id)["phase"] == "COMPLETED"

    page.evaluate(
        "id => window.jupyterapp.commands.execute('surveylab:open-gallery', {jobId: id})", job_id
    )
    gallery = page.locator("#surveylab-gallery")
    expect(gallery.get_by_test_id("gallery-job")).to_have_attribute("data-job-id", job_id)
    expect(gallery.get_by_test_id("gallery-cell")).to_have_count(4)
    picker = gallery.get_by_test_id("gallery-job-picker")
    expect(picker.locator(f"option[value='{job_id}']")).to_have_text(
        re.compile(r"^odd m2 \(completed, anomalies in [\d,]+ rows\)$")
    )
    gallery.get_by_test_id("gallery-grid").focus()
    page.keyboard.press("0")  # the first (most anomalous) row: not interesting
    expect(gallery.get_by_test_id("gallery-cell").first).to_have_attribute("data-label", "0")
    expect(gallery.get_by_test_id("gallery-label-count-0")).to_have_attribute("data-count", "1")
    expect(gallery.get_by_test_id("gallery-save-state")).to_have_attribute("data-state", "saved")
    shot(page, "anomaly-gallery")
    saved = running_lab.api("GET", f"jobs/{job_id}/labels").json()["labels"]
    assert list(saved.values()) == [0]

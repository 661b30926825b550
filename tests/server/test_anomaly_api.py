"""Anomaly jobs through a real jupyter server: ``POST /jobs`` with ``type: anomaly``, the files,
the gallery's labels, and refusals before a job exists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.test_jobs_api import Fetch, api, api_error, wait_for
from tests.support.openapi import assert_matches_contract

SAMPLE = (
    "SELECT COADD_OBJECT_ID, RA, DEC, HPIX_32, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, SPREAD_MODEL_I "
    "FROM DR1_MAIN WHERE RA BETWEEN 323.2 AND 323.6 AND DEC BETWEEN -1.0 AND -0.6"
)


async def test_an_anomaly_job_runs_and_its_gallery_takes_labels(jp_fetch: Fetch) -> None:
    body = {"type": "anomaly", "sql": SAMPLE, "top": 4, "trees": 20, "format": "csv"}
    job = await api(jp_fetch, "jobs", method="POST", body=body)
    assert_matches_contract("/jobs", "post", 201, job)
    assert job["type"] == "anomaly"
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR", timeout=120)
    assert done["phase"] == "COMPLETED", done
    names = {file["name"] for file in done["files"]}
    assert {"model.isotree", "model.json", "summary.json"} <= names
    (top_name,) = [name for name in names if name.endswith("_top.csv")]
    top = await jp_fetch("surveylab", "api", "jobs", job["id"], "files", top_name)
    lines = top.body.decode().splitlines()
    assert len(lines) == 5 and lines[0].endswith('"ANOMALY_SCORE","ANOMALY_RANK","N_MISSING"')
    listed = await api(jp_fetch, "jobs", type="anomaly")
    assert [each["id"] for each in listed["jobs"]] == [job["id"]]
    summary = await api(jp_fetch, "jobs", job["id"], "files", "summary.json")
    cut = [entry["name"] for entry in summary["positions"] if entry["status"] == "ok"]
    assert cut
    saved = await api(
        jp_fetch, "jobs", job["id"], "labels", method="PUT", body={"labels": {cut[0]: 0}}
    )
    assert saved == {"labels": {cut[0]: 0}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"sql": SAMPLE, "features": ["MAG_AUTO_G-MAG_AUTO_Q", "RA"]},
            "needs column(s) MAG_AUTO_Q",
        ),
        ({"sql": SAMPLE, "trees": 100_000}, "trees must be from 10 to 1,000"),
        ({"sql": "SELECT FROM WHERE"}, ""),
        ({"sql": SAMPLE, "colour": "red"}, "unknown field(s) of an anomaly job: colour"),
    ],
    ids=["bad-feature", "too-many-trees", "bad-query", "unknown-field"],
)
async def test_bad_anomaly_requests_are_400_before_any_job(
    jp_fetch: Fetch, body: dict[str, Any], message: str
) -> None:
    code, error = await api_error(jp_fetch, "jobs", method="POST", body={"type": "anomaly", **body})
    assert code == 400 and message in error["message"], error
    assert (await api(jp_fetch, "jobs"))["jobs"] == []

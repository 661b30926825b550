"""``GET``/``PUT /jobs/{id}/labels`` through a real jupyter server: a cutout job's quick labels."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from surveylab.cutouts.labels import job_labels
from surveylab.jobs import JobStore
from tests.server.test_jobs_api import Fetch, api, api_error, wait_for
from tests.support.openapi import assert_matches_contract

M2 = [323.36, -0.82]
NEAR_M2 = [323.4, -0.8]
OUTSIDE = [10.0, 60.0]


async def ended_cutout_job(jp_fetch: Fetch) -> dict[str, Any]:
    """An ended cutout job: two positions cut, one outside the footprint."""
    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={"type": "cutout", "positions": [M2, NEAR_M2, OUTSIDE], "bands": "i"},
    )
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")
    assert done["phase"] == "COMPLETED", done.get("error")
    return dict(done)


async def names_of(jp_fetch: Fetch, job_id: str) -> list[str]:
    response = await jp_fetch("surveylab", "api", "jobs", job_id, "files", "summary.json")
    return [p["name"] for p in json.loads(response.body)["positions"] if p["name"]]


async def test_labels_are_saved_with_the_job_and_read_from_python(
    jp_fetch: Fetch, jobs_dir: Path
) -> None:
    job_id = (await ended_cutout_job(jp_fetch))["id"]
    first, second = await names_of(jp_fetch, job_id)
    empty = await api(jp_fetch, "jobs", job_id, "labels")
    assert empty == {"labels": {}}
    assert_matches_contract("/jobs/{job_id}/labels", "get", 200, empty)

    saved = await api(
        jp_fetch, "jobs", job_id, "labels", method="PUT", body={"labels": {first: 1, second: 7}}
    )

    assert saved == {"labels": {first: 1, second: 7}}
    assert_matches_contract("/jobs/{job_id}/labels", "put", 200, saved)
    assert await api(jp_fetch, "jobs", job_id, "labels") == saved
    assert job_labels(JobStore(jobs_dir), job_id) == {first: 1, second: 7}

    job = await api(jp_fetch, "jobs", job_id)
    assert "labels.json" not in [f["name"] for f in job["files"]]
    archive = await jp_fetch("surveylab", "api", "jobs", job_id, "archive")
    with zipfile.ZipFile(io.BytesIO(archive.body)) as zipped:
        assert json.loads(zipped.read(f"{job_id}/labels.json"))["labels"] == saved["labels"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"labels": {"FIRST": 10}}, "must be an integer from 0 to 9, not 10"),
        ({"labels": {"FIRST": 1.5}}, "must be an integer from 0 to 9, not 1.5"),
        ({"labels": {"FIRST": "2"}}, "must be an integer from 0 to 9, not '2'"),
        ({"labels": {"nowhere": 2}}, "the job has no position 'nowhere'"),
        ({"labels": [1]}, "labels must be an object"),
        ({"labels": {f"k{i}": 1 for i in range(10_001)}}, "10,001 labels given"),
        ({}, "missing field(s): labels"),
        ({"labels": {}, "extra": 1}, "unknown field(s) of a labels body: extra"),
    ],
    ids=[
        "label-10",
        "fraction",
        "string",
        "unknown-key",
        "list",
        "too-many",
        "missing",
        "extra-field",
    ],
)
async def test_bad_labels_are_a_400_that_says_why(
    jp_fetch: Fetch, body: dict[str, Any], message: str
) -> None:
    job_id = (await ended_cutout_job(jp_fetch))["id"]
    first, _ = await names_of(jp_fetch, job_id)
    await api(jp_fetch, "jobs", job_id, "labels", method="PUT", body={"labels": {first: 3}})
    text = json.dumps(body).replace("FIRST", first)

    code, error = await api_error(
        jp_fetch, "jobs", job_id, "labels", method="PUT", body=json.loads(text)
    )

    assert code == 400
    assert message in error["message"]
    assert_matches_contract("/jobs/{job_id}/labels", "put", 400, error)
    assert (await api(jp_fetch, "jobs", job_id, "labels"))["labels"] == {first: 3}


async def test_a_body_that_is_not_json_is_a_400(jp_fetch: Fetch) -> None:
    job_id = (await ended_cutout_job(jp_fetch))["id"]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("surveylab", "api", "jobs", job_id, "labels", method="PUT", body="{oops")
    response = caught.value.response
    assert response is not None
    assert response.code == 400
    assert "the body is not JSON" in json.loads(response.body)["message"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_unknown_jobs_are_a_404(jp_fetch: Fetch, method: str) -> None:
    body = {"labels": {}} if method == "PUT" else None
    code, error = await api_error(
        jp_fetch, "jobs", "0123456789ab", "labels", method=method, body=body
    )
    assert code == 404
    assert error["message"] == "no job 0123456789ab in this job store"
    assert_matches_contract("/jobs/{job_id}/labels", method.lower(), 404, error)


async def test_a_query_job_has_no_labels(jp_fetch: Fetch) -> None:
    job = await api(jp_fetch, "jobs", method="POST", body={"type": "query", "sql": "SELECT 1 AS X"})
    await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")

    code, error = await api_error(jp_fetch, "jobs", job["id"], "labels")

    assert code == 400
    assert error["message"] == f"job {job['id']} is a query job; only cutout jobs have labels"


async def test_a_cutout_job_that_has_not_ended_cannot_be_labelled_yet(
    jp_fetch: Fetch, jobs_dir: Path
) -> None:
    waiting = JobStore(jobs_dir).create("cutout", name="not run")  # PENDING, no summary.json

    code, error = await api_error(
        jp_fetch, "jobs", waiting.id, "labels", method="PUT", body={"labels": {}}
    )

    assert code == 409
    assert error["message"] == (
        f"job {waiting.id} has no summary.json yet: its cutouts can be labelled once it has ended"
    )
    assert_matches_contract("/jobs/{job_id}/labels", "put", 409, error)

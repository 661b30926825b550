"""The REST server refuses a value just past each limit of the contract, naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from surveylab import limits
from tests.server.test_cutout_labels_api import ended_cutout_job, names_of
from tests.server.test_jobs_api import Fetch, api
from tests.support.openapi import assert_matches_contract

M2 = [323.36, -0.82]
#: A step past a cutout side's limits.
STEP = 1e-3
SIZES = f"{limits.CUTOUT_SIZE_MIN:g} to {limits.CUTOUT_SIZE_MAX:g} arcmin"


async def refused(
    fetch: Fetch, *path: str, method: str = "GET", body: Any = None, **params: Any
) -> tuple[int, str]:
    """The status and message of a request the server refuses."""
    with pytest.raises(HTTPClientError) as caught:
        await api(fetch, *path, method=method, body=body, **params)
    response = caught.value.response
    assert response is not None
    return caught.value.code, str(json.loads(response.body)["message"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "xsize",
            limits.CUTOUT_SIZE_MAX + STEP,
            f"xsize must be from {SIZES}, not {limits.CUTOUT_SIZE_MAX + STEP:g} arcmin",
        ),
        (
            "ysize",
            limits.CUTOUT_SIZE_MIN - STEP,
            f"ysize must be from {SIZES}, not {limits.CUTOUT_SIZE_MIN - STEP:g} arcmin",
        ),
        (
            "name",
            "n" * (limits.JOB_NAME_MAX_LENGTH + 1),
            f"a job name has at most {limits.JOB_NAME_MAX_LENGTH} characters",
        ),
    ],
    ids=["xsize-over", "ysize-under", "name-too-long"],
)
async def test_a_job_just_past_a_limit_is_refused(
    jp_fetch: Fetch, field: str, value: Any, message: str
) -> None:
    body = {"type": "cutout", "positions": [M2], "list_only": True, field: value}
    code, text = await refused(jp_fetch, "jobs", method="POST", body=body)
    assert (code, text) == (400, message)


async def test_a_job_at_the_limits_is_taken(jp_fetch: Fetch) -> None:
    body = {
        "type": "cutout",
        "positions": [M2],
        "xsize": limits.CUTOUT_SIZE_MAX,
        "ysize": limits.CUTOUT_SIZE_MIN,
        "name": "n" * limits.JOB_NAME_MAX_LENGTH,
        "list_only": True,
    }
    job = await api(jp_fetch, "jobs", method="POST", body=body)
    assert_matches_contract("/jobs", "post", 201, job)
    assert job["name"] == body["name"]


async def test_a_page_just_past_the_limit_is_refused(jp_fetch: Fetch) -> None:
    code, text = await refused(jp_fetch, "jobs", limit=limits.JOB_PAGE_MAX + 1)
    assert (code, text) == (400, f"limit must be 1 to {limits.JOB_PAGE_MAX}")
    page = await api(jp_fetch, "jobs", limit=limits.JOB_PAGE_MAX)
    assert page["limit"] == limits.JOB_PAGE_MAX


@pytest.mark.parametrize(
    "order", [limits.MOC_ORDER_MIN - 1, limits.MOC_ORDER_MAX + 1], ids=["under", "over"]
)
async def test_a_moc_order_just_past_the_limits_is_refused(jp_fetch: Fetch, order: int) -> None:
    code, text = await refused(jp_fetch, "footprint", "moc", order=order)
    bounds = f"{limits.MOC_ORDER_MIN} to {limits.MOC_ORDER_MAX}"
    assert (code, text) == (400, f"the MOC order must be from {bounds}, not {order}")


async def test_labels_just_past_the_limits_are_refused(jp_fetch: Fetch) -> None:
    job = await ended_cutout_job(jp_fetch)
    first = (await names_of(jp_fetch, job["id"]))[0]
    path = ("jobs", job["id"], "labels")
    bounds = f"{limits.LABEL_MIN} to {limits.LABEL_MAX}"
    for label in (limits.LABEL_MIN - 1, limits.LABEL_MAX + 1):
        body = {"labels": {first: label}}
        code, text = await refused(jp_fetch, *path, method="PUT", body=body)
        assert (code, text) == (
            400,
            f"the label of {first!r} must be an integer from {bounds}, not {label}",
        )
    too_many = {"labels": {f"k{i}": 1 for i in range(limits.LABELS_MAX + 1)}}
    code, text = await refused(jp_fetch, *path, method="PUT", body=too_many)
    expected = f"{limits.LABELS_MAX + 1:,} labels given; a job holds at most {limits.LABELS_MAX:,}"
    assert (code, text) == (400, expected)


async def test_a_body_just_past_the_limit_is_refused(jp_fetch: Fetch) -> None:
    body = {"type": "query", "sql": "SELECT 1 -- "}
    padding = limits.BODY_MAX_BYTES + 1 - len(json.dumps(body).encode())
    body["sql"] += "x" * padding
    assert len(json.dumps(body).encode()) == limits.BODY_MAX_BYTES + 1
    code, text = await refused(jp_fetch, "jobs", method="POST", body=body)
    expected = (
        f"the request body has {limits.BODY_MAX_BYTES + 1:,} bytes; "
        f"at most {limits.BODY_MAX_BYTES:,} are accepted"
    )
    assert (code, text) == (413, expected)

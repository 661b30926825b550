"""Finding charts through a real jupyter server: PNG and PDF answers, refusals with clear
messages and their statuses."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from surveylab.limits import FINDING_CHART_TARGETS_MAX
from tests.server.test_jobs_api import Fetch, api_error
from tests.support.openapi import assert_matches_contract
from tests.support.pdf import pdf_page_count

M2 = [323.36, -0.82]


async def chart(jp_fetch: Fetch, body: dict[str, Any]) -> Any:
    return await jp_fetch("surveylab", "api", "finding-chart", method="POST", body=json.dumps(body))


async def test_one_target_is_a_png(jp_fetch: Fetch) -> None:
    response = await chart(
        jp_fetch, {"targets": [M2], "size": 1.5, "band": "irg", "catalog": True, "marker": "circle"}
    )
    assert response.headers["Content-Type"] == "image/png"
    assert 'filename="finding-chart.png"' in response.headers["Content-Disposition"]
    with Image.open(io.BytesIO(response.body)) as image:
        assert image.format == "PNG" and image.size == (640, 740)


async def test_several_targets_are_a_pdf_with_a_page_each(jp_fetch: Fetch) -> None:
    targets = [M2, "DES2134-0041", {"RA": 323.4, "DEC": -0.8, "COADD_OBJECT_ID": 12}]
    response = await chart(jp_fetch, {"targets": targets, "size": 1, "mag_limit": 22})
    assert response.headers["Content-Type"] == "application/pdf"
    assert pdf_page_count(response.body) == 3
    one = await chart(jp_fetch, {"targets": [M2], "format": "pdf"})
    assert pdf_page_count(one.body) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"targets": [[10.0, 60.0]]}, 400, "is outside the survey's footprint"),
        ({"targets": [M2], "size": 20}, 400, "size must be from 0.1 to 12 arcmin, not 20"),
        ({"targets": [M2] * (FINDING_CHART_TARGETS_MAX + 1)}, 400,
         f"finding charts take at most {FINDING_CHART_TARGETS_MAX}"),
        ({"targets": [1]}, 404, "COADD_OBJECT_ID 1 is not in DR1_MAIN"),
        ({"targets": [M2, M2], "format": "png"}, 400, "a PNG holds one chart"),
        ({"targets": "323.36 -0.82"}, 400, "targets must be a list"),
        ({"targets": [M2], "catalog": "yes"}, 400, "catalog must be true or false"),
        ({"targets": [M2], "colour": True}, 400, "unknown field(s) of a finding chart: colour"),
        ({}, 400, "missing field(s): targets"),
        ({"targets": [{"RA": 323.36, "DEC": -0.82, "COADD_OBJECT_ID": "x"}]}, 400,
         "COADD_OBJECT_ID 'x' is not a whole number"),
    ],
    ids=["outside-footprint", "bad-size", "too-many", "unknown-id", "png-of-two", "not-a-list",
         "catalog-not-bool", "unknown-field", "no-targets", "bad-row-id"],
)  # fmt: skip
async def test_bad_requests_are_refused_clearly(
    jp_fetch: Fetch, body: dict[str, Any], status: int, words: str
) -> None:
    code, error = await api_error(jp_fetch, "finding-chart", method="POST", body=body)
    assert code == status
    assert words in error["message"]
    assert_matches_contract("/finding-chart", "post", status, error)

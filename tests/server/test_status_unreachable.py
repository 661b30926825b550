"""A lab whose catalog is a PostgreSQL server that does not answer: ``GET /status`` says the
catalog is down, with its error, while the other parts answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse

from tests.core.test_status import closed_port
from tests.server.test_jobs_api import api
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    url = f"postgresql://nobody@127.0.0.1:{closed_port()}/survey"
    jp_server_config["SurveylabApp"]["catalog_url"] = url
    return jp_server_config


async def test_a_lab_whose_catalog_is_unreachable_says_so(jp_fetch: Fetch) -> None:
    body = await api(jp_fetch, "status")
    assert_matches_contract("/status", "get", 200, body)
    parts = {part["name"]: part for part in body["parts"]}
    assert parts["catalog"]["state"] == "down"
    assert "127.0.0.1" in parts["catalog"]["error"]
    assert parts["jobs"]["state"] == "ok"
    assert body["state"] == "down"

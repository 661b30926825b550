"""The server extension's first endpoints, through a real jupyter server (``jp_fetch``)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab import __version__
from surveylab.surveys import SharedSurvey
from surveylab_server.handlers import default_handlers, load_openapi
from tests.conftest import REPO_ROOT
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]


async def test_info_reports_the_demo_release(jp_fetch: Fetch) -> None:
    response = await jp_fetch("surveylab", "api", "info")
    body = json.loads(response.body)
    assert_matches_contract("/info", "get", 200, body)
    assert body["release"] == "DEMO DR1"
    assert body["version"] == __version__
    assert body["backend"] == "duckdb"
    rows = {table["name"]: table["rows"] for table in body["tables"]}
    assert rows["DR1_MAIN"] > 20_000  # the catalog plus the M2 cluster
    assert rows["DR1_TILE_INFO"] > 100


async def test_openapi_is_served_as_json(jp_fetch: Fetch) -> None:
    response = await jp_fetch("surveylab", "api", "openapi.json")
    body = json.loads(response.body)
    assert body == load_openapi()
    assert "/info" in body["paths"]


def test_every_route_is_documented() -> None:
    """Every JSON route is in the contract; the IVOA services (XML, under ``/surveylab/tap``,
    ``soda``, ``sia`` and ``datalink``) are described in docs/user-guide/vo.md instead."""
    documented = set(load_openapi()["paths"])
    api = [pattern for pattern, _ in default_handlers if pattern.startswith("/surveylab/api/")]
    routes = {
        re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.removeprefix("/surveylab/api"))
        for pattern in api
    }
    routes.discard("/(.*)")  # the JSON 404 for unknown paths
    assert routes == documented
    others = [pattern for pattern, _ in default_handlers if pattern not in api]
    assert others == [r"/surveylab/(?P<path>(?:tap|soda|sia|datalink)(?:/.*)?)"]
    guide = (REPO_ROOT / "docs" / "user-guide" / "vo.md").read_text()
    for service in ("surveylab/tap", "surveylab/soda", "surveylab/sia/query", "datalink/links"):
        assert f"`{service}" in guide, service


async def test_unknown_path_is_a_json_404(jp_fetch: Fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("surveylab", "api", "no-such-thing")
    assert caught.value.code == 404
    body = json.loads(caught.value.response.body)  # type: ignore[union-attr]
    assert "no surveylab endpoint /surveylab/api/no-such-thing" in body["message"]
    assert "traceback" not in body or not body["traceback"]


@pytest.mark.parametrize("path", ["info", "openapi.json", "no-such-thing"])
async def test_every_endpoint_needs_authentication(
    path: str, http_server_client: Any, jp_base_url: str, jp_serverapp: Any
) -> None:
    response = await http_server_client.fetch(
        f"{jp_base_url}surveylab/api/{path}", raise_error=False, follow_redirects=False
    )
    assert response.code == 403
    body = json.loads(response.body)
    assert_matches_contract("/info", "get", 403, body)
    assert "DEMO DR1" not in response.body.decode()


async def test_missing_catalog_is_a_clear_503(
    jp_fetch: Fetch, jp_serverapp: Any, tmp_path: Any
) -> None:
    from surveylab import Settings, Survey

    jp_serverapp.web_app.settings["surveylab_surveys"] = SharedSurvey(
        Survey(Settings(data_dir=tmp_path / "not-generated"))
    )
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("surveylab", "api", "info")
    assert caught.value.code == 503
    body = json.loads(caught.value.response.body)  # type: ignore[union-attr]
    assert_matches_contract("/info", "get", 503, body)
    assert "surveylab demo-data" in body["message"]
    assert str(tmp_path / "not-generated") in body["message"]


async def test_lab_reports_no_deadline_and_no_folder_outside_the_root(jp_fetch: Fetch) -> None:
    response = await jp_fetch("surveylab", "api", "lab")
    body = json.loads(response.body)
    assert_matches_contract("/lab", "get", 200, body)
    assert body["deadline"] is None
    assert body["jobs_folder"] is None  # the test job store is not in the server's root
    script, _, argument = body["sql_command"].rpartition(" ")
    assert (Path(script).name, argument) == ("surveylab", "sql")
    assert Path(script).parent == Path(sys.executable).parent


class TestLabWithDeadline:
    """The hub's deadline, read by the lab's settings when the server starts."""

    #: In an hour and a half, given with an offset of +02:00.
    DEADLINE = (datetime.now(UTC) + timedelta(hours=1.5)).astimezone(timezone(timedelta(hours=2)))

    @pytest.fixture
    def jp_server_config(
        self, jp_server_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.setenv("SURVEYLAB_LAB_DEADLINE", self.DEADLINE.isoformat())
        return jp_server_config

    async def test_lab_reports_the_hub_deadline_in_utc(self, jp_fetch: Fetch) -> None:
        body = json.loads((await jp_fetch("surveylab", "api", "lab")).body)
        assert_matches_contract("/lab", "get", 200, body)
        assert body["deadline"] == self.DEADLINE.astimezone(UTC).replace(microsecond=0).isoformat()
        assert body["deadline"].endswith("+00:00")


class TestJobStoreInTheRoot:
    @pytest.fixture
    def jobs_dir(self, jp_root_dir: Path) -> Path:
        return jp_root_dir / "work" / "surveylab-jobs"

    async def test_lab_gives_the_job_folder_relative_to_the_root(self, jp_fetch: Fetch) -> None:
        body = json.loads((await jp_fetch("surveylab", "api", "lab")).body)
        assert body["jobs_folder"] == "work/surveylab-jobs"

"""Asynchronous query jobs through a real jupyter server: submit, watch, download, manage."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from astropy.table import Table
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab.demo import M2_EXAMPLE_QUERY
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]
SLOW_SQL = "SELECT COUNT(*) FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"


async def api(
    fetch: Fetch, *path: str, method: str = "GET", body: Any = None, **params: Any
) -> Any:
    response = await fetch(
        "surveylab",
        "api",
        *path,
        method=method,
        params=params,
        body=None if body is None else json.dumps(body),
        allow_nonstandard_methods=True,
    )
    return json.loads(response.body) if response.body else None


async def api_error(
    fetch: Fetch, *path: str, method: str = "GET", body: Any = None
) -> tuple[int, Any]:
    with pytest.raises(HTTPClientError) as caught:
        await api(fetch, *path, method=method, body=body)
    response = caught.value.response
    assert response is not None
    assert b"Traceback" not in response.body
    return caught.value.code, json.loads(response.body)


async def wait_for(fetch: Fetch, job_id: str, *phases: str, timeout: float = 60) -> Any:
    for _ in range(int(timeout * 10)):
        job = await api(fetch, "jobs", job_id)
        if job["phase"] in phases:
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed {job['phase']}")


@pytest.mark.parametrize(
    ("format", "compression"),
    [("fits", None), ("csv", "gzip"), ("parquet", "zstd"), ("hdf5", "gzip")],
    ids=["fits", "csv-gzip", "parquet-zstd", "hdf5-gzip"],
)
async def test_query_job_writes_its_result_into_the_home(
    jp_fetch: Fetch, jobs_dir: Path, format: str, compression: str | None
) -> None:
    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={
            "type": "query",
            "sql": M2_EXAMPLE_QUERY,
            "format": format,
            "compression": compression,
            "name": f"m2 {format}",
        },
    )
    assert_matches_contract("/jobs", "post", 201, job)
    assert job["phase"] in ("QUEUED", "EXECUTING", "COMPLETED")
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")
    assert done["phase"] == "COMPLETED", done.get("error")
    assert_matches_contract("/jobs/{job_id}", "get", 200, done)
    assert done["rows"] > 1000
    assert done["started"] and done["ended"] and done["execution_seconds"] >= 0
    (result,) = done["files"]
    path = jobs_dir / done["id"] / result["name"]
    assert path.is_file()
    assert not [p for p in path.parent.iterdir() if ".part" in p.name]

    download = await jp_fetch("surveylab", "api", "jobs", done["id"], "files", result["name"])
    assert download.body == path.read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    if format == "fits":
        table = Table.read(io.BytesIO(download.body))
        assert len(table) == done["rows"]
        assert str(table["RA"].unit) == "deg"
    if format == "parquet":
        assert pq.read_table(path).num_rows == done["rows"]


async def test_archive_log_rename_renew_delete(jp_fetch: Fetch, jobs_dir: Path) -> None:
    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={"type": "query", "sql": "SELECT * FROM DR1_TILE_INFO", "format": "csv"},
    )
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")
    assert done["phase"] == "COMPLETED", done.get("error")

    archive = await jp_fetch("surveylab", "api", "jobs", done["id"], "archive")
    names = zipfile.ZipFile(io.BytesIO(archive.body)).namelist()
    assert f"{done['id']}/{done['files'][0]['name']}" in names
    assert f"{done['id']}/job.json" in names

    log_response = await jp_fetch("surveylab", "api", "jobs", done["id"], "log")
    assert log_response.headers["Content-Type"] == "text/plain; charset=utf-8"
    log = log_response.body.decode()
    assert "rows" in log

    renamed = await api(jp_fetch, "jobs", done["id"], method="PATCH", body={"name": "tiles"})
    assert renamed["name"] == "tiles"
    renewed = await api(jp_fetch, "jobs", done["id"], method="PATCH", body={"renew": 30})
    assert renewed["destruction"] > done["destruction"]

    await api(jp_fetch, "jobs", done["id"], method="DELETE")
    assert not (jobs_dir / done["id"]).exists()
    code, _ = await api_error(jp_fetch, "jobs", done["id"])
    assert code == 404


async def test_a_refused_patch_changes_nothing(jp_fetch: Fetch) -> None:
    job = await api(
        jp_fetch, "jobs", method="POST", body={"type": "query", "sql": "SELECT 1 AS ONE"}
    )
    done = await wait_for(jp_fetch, job["id"], "COMPLETED")
    code, error = await api_error(
        jp_fetch, "jobs", job["id"], method="PATCH", body={"name": "renamed", "renew": -1}
    )
    assert code == 400
    assert error["message"] == "renew must be a positive number, not -1"
    assert_matches_contract("/jobs/{job_id}", "patch", 400, error)
    after = await api(jp_fetch, "jobs", job["id"])
    assert (after["name"], after["destruction"]) == (done["name"], done["destruction"])


async def test_cancel_stops_a_running_query(jp_fetch: Fetch) -> None:
    job = await api(
        jp_fetch, "jobs", method="POST", body={"type": "query", "sql": SLOW_SQL, "format": "fits"}
    )
    await wait_for(jp_fetch, job["id"], "EXECUTING")
    cancelled = await api(jp_fetch, "jobs", job["id"], "cancel", method="POST")
    assert_matches_contract("/jobs/{job_id}/cancel", "post", 200, cancelled)
    final = await wait_for(jp_fetch, job["id"], "ABORTED", "ERROR", "COMPLETED", timeout=20)
    assert final["phase"] == "ABORTED"
    assert final["files"] == []


async def test_list_pages_sorts_and_filters(jp_fetch: Fetch) -> None:
    ids = []
    for index in range(3):
        job = await api(
            jp_fetch,
            "jobs",
            method="POST",
            body={"type": "query", "sql": "SELECT 1 AS ONE", "name": f"job-{index}"},
        )
        ids.append(job["id"])
    for job_id in ids:
        await wait_for(jp_fetch, job_id, "COMPLETED")
    page = await api(jp_fetch, "jobs", limit=2, sort="name")
    assert_matches_contract("/jobs", "get", 200, page)
    assert page["total"] == 3
    assert [job["name"] for job in page["jobs"]] == ["job-0", "job-1"]
    completed = await api(jp_fetch, "jobs", phase="COMPLETED", type="query")
    assert completed["total"] == 3
    none = await api(jp_fetch, "jobs", phase="ERROR")
    assert none["total"] == 0


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"type": "query", "sql": "SELECT 1", "format": "xlsx"}, "xlsx"),
        ({"type": "query", "sql": "SELECT 1", "format": "csv", "compression": "bz9"}, "bz9"),
        ({"type": "query", "sql": "UPDATE DR1_MAIN SET RA = 0"}, "read-only"),
        ({"type": "query", "sql": "SELEC 1"}, "line 1"),
        ({"type": "telescope"}, "unknown job type"),
        ({"type": "query"}, "needs 'sql'"),
        ({"type": "query", "sql": "SELECT 1", "email": "not-an-address"}, "e-mail"),
    ],
    ids=["format", "compression", "dml", "syntax", "type", "no-sql", "email"],
)
async def test_bad_job_requests_are_refused_before_a_job_exists(
    jp_fetch: Fetch, jobs_dir: Path, body: dict[str, Any], needle: str
) -> None:
    code, error = await api_error(jp_fetch, "jobs", method="POST", body=body)
    assert code == 400
    assert needle.lower() in error["message"].lower()
    listing = await api(jp_fetch, "jobs")
    assert listing["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        ("jobs", "0123456789ab"),
        ("jobs", "../../etc"),
        ("jobs", "0123456789ab", "files", "x.csv"),
        ("jobs", "0123456789ab", "log"),
    ],
    ids=["unknown-id", "traversal-id", "unknown-file", "unknown-log"],
)
async def test_unknown_jobs_are_404(jp_fetch: Fetch, path: tuple[str, ...]) -> None:
    code, body = await api_error(jp_fetch, *path)
    assert code in (400, 404)
    assert body["message"]


async def test_file_traversal_is_refused(
    jp_fetch: Fetch,
    jobs_dir: Path,
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    job = await api(
        jp_fetch, "jobs", method="POST", body={"type": "query", "sql": "SELECT 1 AS ONE"}
    )
    await wait_for(jp_fetch, job["id"], "COMPLETED")
    (jobs_dir / "secret.txt").write_text("not yours")
    base = f"{jp_base_url}surveylab/api/jobs/{job['id']}/files/"
    for name in ("..%2Fsecret.txt", "..%2F..%2Fsecret.txt", "job.json", "%2Fetc%2Fpasswd"):
        response = await http_server_client.fetch(
            base + name, headers=jp_auth_header, raise_error=False
        )
        assert response.code in (400, 404), name
        assert b"not yours" not in response.body
        assert b"root:" not in response.body

"""The lab's IVOA services through a real jupyter server, used by the real clients: pyvo,
astroquery's TapPlus and STILTS taplint (Debian's ``stilts``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest
import pyvo  # type: ignore[import-untyped]
import requests
from astropy.table import Table

from surveylab.vo.client import TOKEN_VARIABLE, VO_URL_VARIABLE, sia_service, tap_service
from tests.support.authproxy import token_proxy
from tests.support.server import RunningServer, jupyter_server

#: The DES M2 example as an ADQL cone (the issue's correctness case).
M2_CONE = (
    "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN "
    "WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', 323.36, -0.82, 0.12)) = 1"
)


@pytest.fixture(scope="module")
def server(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    with jupyter_server(demo_data_dir, tmp_path_factory.mktemp("vo-server")) as running:
        yield running


@pytest.fixture(scope="module")
def tap(server: RunningServer) -> pyvo.dal.TAPService:
    """pyvo's TAPService the way a notebook in the lab gets it: ``tap_service()``."""
    return tap_service(f"{server.url}/surveylab", server.token)


def m2_ids_by_numpy(catalog: Path) -> set[int]:
    """The M2 cone by brute force: the angular distance of every object, in numpy."""
    with duckdb.connect(str(catalog), read_only=True) as con:
        ids, ra, dec = (np.asarray(c) for c in zip(*con.sql(
            "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN").fetchall(), strict=True))  # fmt: skip
    ra0, dec0 = np.radians(323.36), np.radians(-0.82)
    ra, dec = np.radians(ra.astype(float)), np.radians(dec.astype(float))
    cos_distance = np.sin(dec) * np.sin(dec0) + np.cos(dec) * np.cos(dec0) * np.cos(ra - ra0)
    inside = np.degrees(np.arccos(np.clip(cos_distance, -1, 1))) <= 0.12
    return {int(i) for i in ids[inside]}


def test_pyvo_sync_search_returns_the_brute_force_rows(
    tap: pyvo.dal.TAPService, demo_data_dir: Path
) -> None:
    result = tap.search(M2_CONE)
    got = {int(i) for i in result.to_table()["COADD_OBJECT_ID"]}
    assert got == m2_ids_by_numpy(demo_data_dir / "catalog.duckdb")
    assert len(got) > 100
    table = result.to_table()
    assert str(table["RA"].unit) == "deg"


def test_maxrec_overflow_is_marked(tap: pyvo.dal.TAPService) -> None:
    result = tap.search("SELECT RA, DEC FROM DR1_MAIN", maxrec=5)
    assert len(result) == 5
    assert result.query_status == "OVERFLOW"
    complete = tap.search("SELECT TOP 5 RA, DEC FROM DR1_MAIN", maxrec=5)
    assert len(complete) == 5 and complete.query_status == "OK"


def test_pyvo_async_job_is_a_job_of_the_store(
    tap: pyvo.dal.TAPService, server: RunningServer
) -> None:
    job = tap.submit_job("SELECT TOP 10 COADD_OBJECT_ID, RA FROM DR1_MAIN ORDER BY COADD_OBJECT_ID")
    job.run()
    job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=120)
    assert job.phase == "COMPLETED", job.phase
    table = job.fetch_result().to_table()
    assert len(table) == 10
    # the lab's job browser lists it, as a query job with its file
    listing = requests.get(
        f"{server.url}/surveylab/api/jobs", headers=server.headers, timeout=30
    ).json()
    mine = next(j for j in listing["jobs"] if j["id"] == job.job_id)
    assert mine["type"] == "query" and mine["phase"] == "COMPLETED"
    assert mine["files"][0]["name"].endswith(".vot")
    # and a job from the panel's REST call is in TAP's job list
    panel = requests.post(
        f"{server.url}/surveylab/api/jobs",
        headers=server.headers,
        json={"type": "query", "sql": "SELECT 1 AS ONE FROM dual", "format": "csv"},
        timeout=30,
    )
    assert panel.status_code in (200, 201, 202), panel.text
    ids = {description.jobid for description in tap.get_job_list()}
    assert {panel.json()["id"], job.job_id} <= ids
    job.delete()


def test_run_async_and_upload_join(tap: pyvo.dal.TAPService, demo_data_dir: Path) -> None:
    with duckdb.connect(str(demo_data_dir / "catalog.duckdb"), read_only=True) as con:
        sample = con.sql(
            "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN ORDER BY COADD_OBJECT_ID LIMIT 50"
        ).fetchall()
    mine = Table(rows=[(i, ra, dec) for i, ra, dec in sample], names=("ID", "RA", "DEC"))
    query = (
        "SELECT u.ID, m.COADD_OBJECT_ID FROM TAP_UPLOAD.mine AS u JOIN DR1_MAIN AS m "
        "ON 1 = CONTAINS(POINT('ICRS', m.RA, m.DEC), CIRCLE('ICRS', u.RA, u.DEC, 0.0001))"
    )
    sync = tap.search(query, uploads={"mine": mine}).to_table()
    assert sorted(zip(sync["ID"], sync["COADD_OBJECT_ID"], strict=True)) == [
        (i, i) for i, _, _ in sample
    ]
    async_table = tap.run_async(query, uploads={"mine": mine}).to_table()
    assert len(async_table) == len(sample)


def test_pyvo_tables_have_units_and_descriptions(tap: pyvo.dal.TAPService) -> None:
    tables = tap.tables
    main = tables["DR1_MAIN"]
    ra = next(c for c in main.columns if c.name == "RA")
    assert ra.unit == "deg"
    assert "Right ascension" in ra.description
    assert "TAP_SCHEMA.columns" in [t.name for t in tables]
    described = tap.search(
        "SELECT column_name, unit FROM TAP_SCHEMA.columns WHERE table_name = 'DR1_MAIN'"
    ).to_table()
    units = dict(zip(described["column_name"], described["unit"], strict=True))
    assert units["RA"] == "deg"


def test_errors_are_votable_documents_never_500(
    tap: pyvo.dal.TAPService, server: RunningServer
) -> None:
    for query, words in [
        ("SELECT RA FROM DR1_MAIN WHERE", "line 1"),
        ("SELECT NOPE FROM DR1_MAIN", "NOPE"),
        ("SELECT * FROM NO_SUCH_TABLE", "NO_SUCH_TABLE"),
        ("DELETE FROM DR1_MAIN", "read-only"),
    ]:
        with pytest.raises(pyvo.dal.DALQueryError) as caught:
            tap.search(query)
        assert words.lower() in str(caught.value).lower(), str(caught.value)
        raw = requests.post(
            f"{server.url}/surveylab/tap/sync",
            data={"LANG": "ADQL", "QUERY": query},
            headers=server.headers,
            timeout=30,
        )
        assert raw.status_code == 400 and b"Traceback" not in raw.content
        assert 'name="QUERY_STATUS" value="ERROR"' in raw.text


def test_other_response_formats(server: RunningServer) -> None:
    query = "SELECT TOP 3 COADD_OBJECT_ID, RA FROM DR1_MAIN ORDER BY COADD_OBJECT_ID"
    for fmt, media in [
        ("csv", "text/csv"),
        ("fits", "application/fits"),
        ("parquet", "application/vnd.apache.parquet"),
        ("votable/td", "application/x-votable+xml"),
    ]:
        answer = requests.get(
            f"{server.url}/surveylab/tap/sync",
            params={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": fmt},
            headers=server.headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith(media)
    td = requests.get(
        f"{server.url}/surveylab/tap/sync",
        params={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": "votable/td"},
        headers=server.headers,
        timeout=30,
    )
    assert "<TABLEDATA>" in td.text


def test_the_services_need_the_token(server: RunningServer) -> None:
    for path in ("tap/sync?LANG=ADQL&QUERY=SELECT+1", "tap/tables", "tap/async", "sia/query"):
        answer = requests.get(f"{server.url}/surveylab/{path}", timeout=30, allow_redirects=False)
        assert answer.status_code in (302, 403), (path, answer.status_code)
    post = requests.post(
        f"{server.url}/surveylab/tap/async", data={"QUERY": "SELECT 1"}, timeout=30
    )
    assert post.status_code == 403


def test_the_lab_tells_its_kernels_where_tap_is(server: RunningServer) -> None:
    """What a kernel started by the lab inherits: the services' address and the token."""
    probe = (
        "import os, json; print(json.dumps({k: os.environ.get(k) for k in "
        f"({VO_URL_VARIABLE!r}, {TOKEN_VARIABLE!r})}}))"
    )
    kernel = requests.post(
        f"{server.url}/api/kernels", headers=server.headers, json={"name": "python3"}, timeout=60
    ).json()
    try:
        env = _kernel_output(server, kernel["id"], probe)
    finally:
        requests.delete(
            f"{server.url}/api/kernels/{kernel['id']}", headers=server.headers, timeout=60
        )
    assert env == {VO_URL_VARIABLE: f"{server.url}/surveylab", TOKEN_VARIABLE: server.token}


def _kernel_output(server: RunningServer, kernel_id: str, code: str) -> dict[str, str]:
    """Run ``code`` in the kernel over the server's websocket; its printed JSON."""
    import json
    import uuid

    from websocket import create_connection  # websocket-client, a jupyter_server dependency

    socket = create_connection(
        f"{server.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels",
        header=[f"Authorization: token {server.token}"],
        timeout=60,
    )
    try:
        msg_id = uuid.uuid4().hex
        socket.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))  # fmt: skip
        while True:
            message = json.loads(socket.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                found: dict[str, str] = json.loads(message["content"]["text"])
                return found
            if message["msg_type"] == "error":
                raise AssertionError(message["content"])
    finally:
        socket.close()


# --- through a header-adding proxy: clients that send no header of their own ------------------


@pytest.fixture(scope="module")
def proxied(server: RunningServer) -> Iterator[str]:
    with token_proxy(server.url, server.token) as url:
        yield f"{url}/surveylab/tap"


def test_astroquery_tapplus(proxied: str) -> None:
    from astroquery.utils.tap.core import TapPlus  # type: ignore[import-untyped]

    tap = TapPlus(url=proxied, verbose=False)
    job = tap.launch_job("SELECT TOP 4 COADD_OBJECT_ID, RA FROM DR1_MAIN ORDER BY COADD_OBJECT_ID")
    table = job.get_results()
    assert len(table) == 4
    # (TapPlus.load_tables reads ESA's own attributes, esatapplus:flags, that a standard VOSI
    # tables document does not have: pyvo reads the tables, see above)
    async_job = tap.launch_job_async("SELECT TOP 2 RA FROM DR1_MAIN", verbose=False)
    assert len(async_job.get_results()) == 2


def test_taplint_reports_no_errors_and_no_warnings(proxied: str, tmp_path: Path) -> None:
    assert shutil.which("stilts"), "taplint needs Debian's stilts: .ci/run installs it"
    result = subprocess.run(
        ["stilts", "taplint", f"tapurl={proxied}", "report=EW", "maxrepeat=3", "format=text"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "JAVA_TOOL_OPTIONS": "-Xmx1g"},
    )  # fmt: skip
    report = result.stdout
    (tmp_path / "taplint.txt").write_text(report)
    totals = re.search(r"Totals:\s+Errors:\s*(\d+);\s+Warnings:\s*(\d+)", report)
    assert totals is not None, report[-3000:]
    findings = [line for line in report.splitlines() if line[:2] in ("E-", "W-")]
    assert (int(totals.group(1)), int(totals.group(2))) == (0, 0), "\n".join(findings)


def test_pyvo_sia2_finds_images_and_downloads_one(server: RunningServer) -> None:
    sia = sia_service(f"{server.url}/surveylab", server.token)
    records = sia.search(pos=(323.36, -0.82, 0.05), band=(7.0e-7, 8.6e-7))
    assert len(records) >= 1
    assert {r["obs_collection"] for r in records} == {"DEMO DR1"}
    first = records[0]
    assert 7.0e-7 <= float(first["em_min"]) <= 8.6e-7 or float(first["em_max"]) >= 7.0e-7
    image = requests.get(first.getdataurl(), headers=server.headers, timeout=60)
    assert image.status_code == 200 and image.content[:6] == b"SIMPLE"
    links = requests.get(
        f"{server.url}/surveylab/datalink/links",
        params={"ID": first["obs_publisher_did"]},
        headers=server.headers,
        timeout=60,
    )
    assert links.status_code == 200 and "#cutout" in links.text

"""The VO service in-process on the demo survey: UWS jobs over the job store, VOSI documents,
TAP sync's parameters and DALI errors (the HTTP face and real clients: tests/server/test_vo_*)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from surveylab import Settings, Survey
from surveylab.jobs import Phase
from surveylab.vo.protocol import Params, VORequest, VOResponse
from surveylab.vo.service import VOService

BASE = "http://lab.test/user/alice/surveylab"
UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
#: A query of the release's own SQL, independent of the ADQL translation.
SQL = (
    "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN ORDER BY COADD_OBJECT_ID FETCH FIRST 7 ROWS ONLY"
)


@pytest.fixture
def survey(demo_data_dir: Path, tmp_path: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / "jobs")) as opened:
        yield opened


@pytest.fixture
def vo(survey: Survey) -> VOService:
    return VOService(survey)


def ask(vo: VOService, method: str, path: str, **params: str | list[str]) -> VOResponse:
    fields = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return vo.handle(VORequest(method, path, Params(fields), BASE))


def body(response: VOResponse) -> bytes:
    if isinstance(response.body, bytes):
        return response.body
    return b"".join(response.body)


def xml(response: VOResponse) -> ET.Element:
    assert response.status == 200, body(response)
    return ET.fromstring(body(response))


def error_message(response: VOResponse) -> str:
    """The QUERY_STATUS=ERROR text of a DALI error document."""
    root = ET.fromstring(body(response))
    infos = [e for e in root.iter() if e.tag.endswith("INFO") and e.get("name") == "QUERY_STATUS"]
    assert infos and infos[0].get("value") == "ERROR", body(response)
    return infos[0].text or ""


def job_id_of(response: VOResponse) -> str:
    assert response.status == 303, body(response)
    location = response.headers["Location"]
    assert location.startswith(f"{BASE}/tap/async/")
    return location.rsplit("/", 1)[1]


# --- UWS ------------------------------------------------------------------------------------


def test_an_async_query_waits_pending_then_runs_and_serves_its_result(vo: VOService) -> None:
    job_id = job_id_of(
        ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL, RESPONSEFORMAT="csv", RUNID="seven")
    )
    job = xml(ask(vo, "GET", f"tap/async/{job_id}"))
    assert job.findtext(f"{UWS}phase") == "PENDING"
    assert job.findtext(f"{UWS}runId") == "seven"
    parameters = {p.get("id"): p.text for p in job.iter(f"{UWS}parameter")}
    assert parameters["QUERY"] == SQL and parameters["LANG"] == "SQL"
    assert parameters["RESPONSEFORMAT"] == "csv"
    assert body(ask(vo, "GET", f"tap/async/{job_id}/phase")) == b"PENDING"

    started = ask(vo, "POST", f"tap/async/{job_id}/phase", PHASE="RUN")
    assert started.status == 303 and started.headers["Location"].endswith(job_id)
    done = xml(ask(vo, "GET", f"tap/async/{job_id}", WAIT="-1"))
    while done.findtext(f"{UWS}phase") in ("QUEUED", "EXECUTING"):
        done = xml(ask(vo, "GET", f"tap/async/{job_id}", WAIT="-1"))
    assert done.findtext(f"{UWS}phase") == "COMPLETED"
    (result,) = done.iter(f"{UWS}result")
    assert result.get("id") == "result"
    assert result.get(f"{XLINK}href") == f"{BASE}/tap/async/{job_id}/results/result"
    answer = ask(vo, "GET", f"tap/async/{job_id}/results/result")
    assert answer.status == 200 and answer.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(body(answer).decode())))
    assert rows[0] == ["COADD_OBJECT_ID", "RA", "DEC"] and len(rows) == 8
    assert done.findtext(f"{UWS}startTime") and done.findtext(f"{UWS}endTime")


def test_phase_run_at_creation_queues_the_job(vo: VOService, survey: Survey) -> None:
    job_id = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL, PHASE="RUN"))
    job = survey.job_service.wait(job_id, timeout=60)
    assert job.phase is Phase.COMPLETED
    assert job.files[0].format == "votable" or job.files[0].name.endswith(".vot")


def serialization_of(document: bytes) -> str:
    """The serialization element of a VOTable's one table: TABLEDATA or BINARY2."""
    (data,) = [e for e in ET.fromstring(document).iter() if e.tag.endswith("}DATA")]
    return data[0].tag.rsplit("}", 1)[-1]


@pytest.mark.parametrize("when", ["at-creation", "changed-while-pending"])
def test_an_async_votable_keeps_the_serialization_asked_for(vo: VOService, when: str) -> None:
    """``RESPONSEFORMAT=votable/td`` gives TABLEDATA in an async result as in a sync one,
    given at creation or set while the job waits; the job shows it under that name."""
    first = "votable/td" if when == "at-creation" else "csv"
    job_id = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL, RESPONSEFORMAT=first))
    if when == "changed-while-pending":
        changed = ask(vo, "POST", f"tap/async/{job_id}/parameters", RESPONSEFORMAT="votable/td")
        assert changed.status == 303, body(changed)
    job = xml(ask(vo, "GET", f"tap/async/{job_id}"))
    parameters = {p.get("id"): p.text for p in job.iter(f"{UWS}parameter")}
    assert parameters["RESPONSEFORMAT"] == "votable/td" and "SERIALIZATION" not in parameters
    ask(vo, "POST", f"tap/async/{job_id}/phase", PHASE="RUN")
    vo.survey.job_service.wait(job_id, timeout=60)
    answer = ask(vo, "GET", f"tap/async/{job_id}/results/result")
    assert answer.status == 200 and serialization_of(body(answer)) == "TABLEDATA"
    # and the default stays BINARY2
    plain = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL, PHASE="RUN"))
    vo.survey.job_service.wait(plain, timeout=60)
    default = body(ask(vo, "GET", f"tap/async/{plain}/results/result"))
    assert serialization_of(default) == "BINARY2"


def test_panel_jobs_and_tap_jobs_are_one_list(vo: VOService, survey: Survey) -> None:
    panel = survey.submit(SQL, format="csv", name="from the panel")
    tap = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL))
    survey.job_service.wait(panel.id, timeout=60)
    listing = xml(ask(vo, "GET", "tap/async"))
    refs = {ref.get("id"): ref for ref in listing.iter(f"{UWS}jobref")}
    assert set(refs) == {panel.id, tap}
    assert refs[panel.id].findtext(f"{UWS}phase") == "COMPLETED"
    assert refs[tap].get(f"{XLINK}href") == f"{BASE}/tap/async/{tap}"
    pending = xml(ask(vo, "GET", "tap/async", PHASE="PENDING"))
    assert [r.get("id") for r in pending.iter(f"{UWS}jobref")] == [tap]
    both = xml(ask(vo, "GET", "tap/async", PHASE=["PENDING", "COMPLETED"]))
    assert len(list(both.iter(f"{UWS}jobref"))) == 2
    last = xml(ask(vo, "GET", "tap/async", LAST="1"))
    assert [r.get("id") for r in last.iter(f"{UWS}jobref")] == [tap]  # the newest
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert list(xml(ask(vo, "GET", "tap/async", AFTER=future)).iter(f"{UWS}jobref")) == []
    # a panel job's parameters read as TAP's
    panel_job = xml(ask(vo, "GET", f"tap/async/{panel.id}"))
    parameters = {p.get("id"): p.text for p in panel_job.iter(f"{UWS}parameter")}
    assert parameters["LANG"] == "SQL" and parameters["QUERY"] == SQL


def test_destruction_execution_duration_abort_and_delete(vo: VOService, survey: Survey) -> None:
    job_id = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL))
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    stamp = when.isoformat().replace("+00:00", "Z")
    assert ask(vo, "POST", f"tap/async/{job_id}/destruction", DESTRUCTION=stamp).status == 303
    assert body(ask(vo, "GET", f"tap/async/{job_id}/destruction")).decode() == stamp
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    past = ask(vo, "POST", f"tap/async/{job_id}/destruction", DESTRUCTION=yesterday)
    assert past.status == 400 and "has passed" in error_message(past)
    bad = ask(vo, "POST", f"tap/async/{job_id}/destruction", DESTRUCTION="tomorrow")
    assert bad.status == 400 and "ISO 8601" in error_message(bad)

    assert (
        ask(vo, "POST", f"tap/async/{job_id}/executionduration", EXECUTIONDURATION="30").status
        == 303
    )
    assert body(ask(vo, "GET", f"tap/async/{job_id}/executionduration")) == b"30"
    job = xml(ask(vo, "GET", f"tap/async/{job_id}"))
    assert job.findtext(f"{UWS}executionDuration") == "30"

    assert ask(vo, "POST", f"tap/async/{job_id}/phase", PHASE="ABORT").status == 303
    assert survey.job_service.get(job_id).phase is Phase.ABORTED
    late = ask(vo, "POST", f"tap/async/{job_id}/executionduration", EXECUTIONDURATION="5")
    assert late.status == 409, body(late)  # only a PENDING job's parameters change

    deleted = ask(vo, "DELETE", f"tap/async/{job_id}")
    assert deleted.status == 303 and deleted.headers["Location"] == f"{BASE}/tap/async"
    gone = ask(vo, "GET", f"tap/async/{job_id}")
    assert gone.status == 404
    other = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL))
    assert ask(vo, "POST", f"tap/async/{other}", ACTION="DELETE").status == 303
    assert ask(vo, "GET", f"tap/async/{other}").status == 404


def test_a_failed_job_has_its_error_document(vo: VOService, survey: Survey) -> None:
    job_id = job_id_of(
        ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL, PHASE="RUN", EXECUTIONDURATION="0")
    )
    assert survey.job_service.wait(job_id, timeout=60).phase is Phase.COMPLETED
    no_error = ask(vo, "GET", f"tap/async/{job_id}/error")
    assert no_error.status == 404 and "COMPLETED" in error_message(no_error)
    failing = "SELECT CAST('x' AS INTEGER) AS X FROM DR1_MAIN"  # fails while it runs
    failed_id = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=failing, PHASE="RUN"))
    job = survey.job_service.wait(failed_id, timeout=60)
    assert job.phase is Phase.ERROR
    document = xml(ask(vo, "GET", f"tap/async/{failed_id}"))
    summary = document.find(f"{UWS}errorSummary")
    assert summary is not None and summary.get("type") == "fatal"
    assert "x" in (summary.findtext(f"{UWS}message") or "")
    assert error_message(ask(vo, "GET", f"tap/async/{failed_id}/error")) == job.error


def test_uws_refuses_what_it_cannot_do(vo: VOService) -> None:
    job_id = job_id_of(ask(vo, "POST", "tap/async", LANG="SQL", QUERY=SQL))
    for path, params, status, words in [
        (f"tap/async/{job_id}/phase", {"PHASE": "SUSPEND"}, 400, "use RUN or ABORT"),
        (f"tap/async/{job_id}", {"WAIT": "soon"}, 400, "WAIT=soon"),
        ("tap/async", {"PHASE": "HALFWAY"}, 400, "not a UWS phase"),
        ("tap/async", {"LAST": "0"}, 400, "greater than 0"),
        (f"tap/async/{job_id}/results/result", {}, 404, "no result"),
        (f"tap/async/{job_id}/nonsense", {}, 404, "no 'nonsense'"),
        ("tap/async/000000000000", {}, 404, "000000000000"),
    ]:
        method = "POST" if "PHASE" in params and "phase" in path else "GET"
        answer = ask(vo, method, path, **params)
        assert answer.status == status, (path, body(answer))
        assert words in error_message(answer), (path, error_message(answer))


# --- TAP parameters and sync ------------------------------------------------------------------


def test_sync_sql_query_as_csv_with_maxrec(vo: VOService) -> None:
    answer = ask(
        vo, "GET", "tap/sync", LANG="SQL", QUERY=SQL, RESPONSEFORMAT="text/csv", MAXREC="3"
    )
    assert answer.status == 200 and answer.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body(answer).decode())))
    assert len(rows) == 4  # the header and MAXREC rows


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"LANG": "SQL"}, "QUERY is missing"),
        ({"LANG": "PQL", "QUERY": SQL}, "LANG=PQL is not supported"),
        ({"LANG": "SQL", "QUERY": SQL, "MAXREC": "many"}, "MAXREC=many is not a whole number"),
        ({"LANG": "SQL", "QUERY": SQL, "MAXREC": "-1"}, "MAXREC=-1 is negative"),
        ({"LANG": "SQL", "QUERY": SQL, "RESPONSEFORMAT": "xlsx"}, "RESPONSEFORMAT=xlsx"),
        ({"LANG": "SQL", "QUERY": SQL, "REQUEST": "getCapabilities"}, "REQUEST=getCapabilities"),
        ({"LANG": "SQL", "QUERY": "DELETE FROM DR1_MAIN"}, "read-only"),
        ({"LANG": "SQL", "QUERY": "SELECT NOPE FROM DR1_MAIN"}, "NOPE"),
        ({"LANG": "SQL", "QUERY": SQL, "UPLOAD": "t,param:t"}, "ADQL queries only"),
        ({"LANG": "ADQL", "QUERY": SQL, "UPLOAD": "t,ftp://x/t.xml"}, "give param:PART"),
        ({"LANG": "ADQL", "QUERY": SQL, "UPLOAD": "t,param:nothing"}, "was not sent"),
    ],
)
def test_bad_tap_parameters_are_dali_errors(
    vo: VOService, params: dict[str, str], words: str
) -> None:
    answer = ask(vo, "POST", "tap/sync", **params)
    assert answer.status == 400, body(answer)
    assert answer.content_type.startswith("application/x-votable+xml")
    assert words in error_message(answer)
    assert b"Traceback" not in body(answer)
    # async: UWS makes a job of every request; one that cannot run is in ERROR with the reason
    # (an unknown column is found only when the query runs)
    job_id = job_id_of(ask(vo, "POST", "tap/async", PHASE="RUN", **params))
    job = vo.survey.job_service.wait(job_id, timeout=60)
    assert job.phase is Phase.ERROR and words in (job.error or "")
    assert words in error_message(ask(vo, "GET", f"tap/async/{job_id}/error"))


def test_a_syntax_error_names_line_column_and_token(vo: VOService) -> None:
    answer = ask(vo, "GET", "tap/sync", LANG="SQL", QUERY="SELECT RA\nFROM DR1_MAIN WHERE")
    assert answer.status == 400
    root = ET.fromstring(body(answer))
    infos = {e.get("name"): e.get("value") for e in root.iter() if e.tag.endswith("INFO")}
    assert (infos["line"], infos["column"], infos["token"]) == ("2", "15", "WHERE")
    assert "line 2, column 15" in error_message(answer)


# --- VOSI ---------------------------------------------------------------------------------


def test_availability_and_capabilities(vo: VOService) -> None:
    available = xml(ask(vo, "GET", "tap/availability"))
    assert available.findtext("{http://www.ivoa.net/xml/VOSIAvailability/v1.0}available") == "true"
    capabilities = xml(ask(vo, "GET", "tap/capabilities"))
    standards = [c.get("standardID") for c in capabilities.iter("capability")]
    assert "ivo://ivoa.net/std/TAP" in standards
    assert "ivo://ivoa.net/std/VOSI#tables-1.1" in standards
    assert "ivo://ivoa.net/std/DALI#examples" in standards
    urls = {u.text for u in capabilities.iter("accessURL")}
    assert f"{BASE}/tap" in urls and f"{BASE}/tap/tables" in urls
    forms = {f.text for f in capabilities.iter("form")}
    assert {"CONTAINS", "CIRCLE", "POLYGON", "DISTANCE"} <= forms
    for service, standard in [
        ("soda", "ivo://ivoa.net/std/SODA#sync-1.0"),
        ("sia", "ivo://ivoa.net/std/SIA#query-2.0"),
        ("datalink", "ivo://ivoa.net/std/DataLink#links-1.1"),
    ]:
        found = [
            c.get("standardID")
            for c in xml(ask(vo, "GET", f"{service}/capabilities")).iter("capability")
        ]
        assert standard in found


def test_tables_come_with_units_ucds_descriptions_and_tap_schema(vo: VOService) -> None:
    tableset = xml(ask(vo, "GET", "tap/tables"))
    tables = {t.findtext("name"): t for t in tableset.iter("table")}
    assert {"DR1_MAIN", "DR1_TILE_INFO", "TAP_SCHEMA.columns", "TAP_SCHEMA.tables"} <= set(tables)
    ra = next(c for c in tables["DR1_MAIN"].iter("column") if c.findtext("name") == "RA")
    assert ra.findtext("unit") == "deg" and ra.findtext("ucd") == "pos.eq.ra;meta.main"
    assert "Right ascension" in (ra.findtext("description") or "")
    assert ra.findtext("dataType") == "double"
    one = xml(ask(vo, "GET", "tap/tables/DR1_TILE_INFO"))
    assert one.findtext("name") == "DR1_TILE_INFO"
    missing = ask(vo, "GET", "tap/tables/NOPE")
    assert missing.status == 404 and "NOPE" in error_message(missing)


def test_examples_are_a_dali_document_of_the_release(vo: VOService) -> None:
    answer = ask(vo, "GET", "tap/examples")
    assert answer.status == 200 and answer.content_type.startswith("application/xhtml+xml")
    page = ET.fromstring(body(answer))
    queries = [e.text for e in page.iter() if e.get("property") == "query"]
    assert any("CONTAINS(POINT('ICRS', RA, DEC)" in (q or "") for q in queries)


def test_unknown_services_and_endpoints_are_404(vo: VOService) -> None:
    for path in ("nope", "tap/nope", "soda/nope", "sia/nope", "datalink/nope"):
        answer = ask(vo, "GET", path)
        assert answer.status == 404, path
        assert error_message(answer)
    home = ask(vo, "GET", "tap")
    assert home.status == 200 and f"{BASE}/tap/sync".encode() in body(home)


def test_soda_async_jobs_are_cutout_jobs_under_uws(vo: VOService, survey: Survey) -> None:
    created = vo.handle(
        VORequest(
            "POST",
            "soda/async",
            Params({"POS": ["CIRCLE 323.36 -0.82 0.01"], "RUNID": ["m2"]}),
            BASE,
        )
    )
    assert created.status == 303, body(created)
    job_id = created.headers["Location"].rsplit("/", 1)[1]
    assert created.headers["Location"] == f"{BASE}/soda/async/{job_id}"
    assert xml(ask(vo, "GET", f"soda/async/{job_id}")).findtext(f"{UWS}phase") == "PENDING"
    assert ask(vo, "POST", f"soda/async/{job_id}/phase", PHASE="RUN").status == 303
    assert survey.job_service.wait(job_id, timeout=120).phase is Phase.COMPLETED
    done = xml(ask(vo, "GET", f"soda/async/{job_id}"))
    ids = [r.get("id") for r in done.iter(f"{UWS}result")]
    assert any(name.endswith(".fits") for name in ids), ids
    fits = next(name for name in ids if name.endswith(".fits"))
    answer = ask(vo, "GET", f"soda/async/{job_id}/results/{fits}")
    assert answer.content_type == "application/fits" and body(answer)[:6] == b"SIMPLE"
    # a cutout job is not a TAP job, and the other way round
    assert ask(vo, "GET", f"tap/async/{job_id}").status == 404
    listed = [r.get("id") for r in xml(ask(vo, "GET", "soda/async")).iter(f"{UWS}jobref")]
    assert listed == [job_id]


# --- uploads by URL ---------------------------------------------------------------------------

_UPLOAD_VOTABLE = b"""<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="ID" datatype="int"/><DATA><TABLEDATA><TR><TD>7</TD></TR><TR><TD>8</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"""


@pytest.fixture
def table_server() -> Iterator[str]:
    """A real HTTP server on loopback: ``/t.xml`` is a VOTable, ``/moved`` redirects to it."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/t.xml")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-votable+xml")
            self.end_headers()
            self.wfile.write(_UPLOAD_VOTABLE)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


UPLOAD_QUERY = "SELECT ID FROM TAP_UPLOAD.t ORDER BY ID"


def test_an_upload_url_on_a_private_address_is_refused_by_default(
    vo: VOService, table_server: str
) -> None:
    for url, kind in (
        (f"{table_server}/t.xml", "loopback address (127.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data", "link-local address (169.254.169.254)"),
        ("http://10.1.2.3/t.xml", "private address (10.1.2.3)"),
    ):
        answer = ask(vo, "POST", "tap/sync", LANG="ADQL", QUERY=UPLOAD_QUERY, UPLOAD=f"t,{url}")
        assert answer.status == 400
        assert f"UPLOAD t: {url} is on a {kind}" in error_message(answer)


def test_an_upload_url_is_read_where_private_addresses_are_allowed(
    survey: Survey, table_server: str
) -> None:
    settings = survey.settings.model_copy(update={"tap_upload_private_urls": True})
    with Survey(settings) as trusting:
        vo = VOService(trusting)
        answer = ask(
            vo, "POST", "tap/sync", LANG="ADQL", QUERY=UPLOAD_QUERY, RESPONSEFORMAT="csv",
            UPLOAD=f"t,{table_server}/t.xml",
        )  # fmt: skip
        assert answer.status == 200, body(answer)
        assert list(csv.reader(io.StringIO(body(answer).decode()))) == [["ID"], ["7"], ["8"]]
        moved = ask(vo, "POST", "tap/sync", LANG="ADQL", QUERY=UPLOAD_QUERY,
                    UPLOAD=f"t,{table_server}/moved")  # fmt: skip
        assert f"{table_server}/moved redirects to /t.xml" in error_message(moved)

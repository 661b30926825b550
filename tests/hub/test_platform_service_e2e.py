"""The platform service ``/services/surveylab/`` on a real hub, with no lab running: a user's
own API token (made as the hub's Token page makes it) reaches the REST API and TAP through
pyvo; jobs land in the user's home and are theirs alone; a revoked token, and a token without
the service's scope, are refused at once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pyvo
import requests

from surveylab.demo import M2_DEC, M2_RA
from tests.support.hub import RunningHub, descendants
from tests.support.server import SECONDS_LONG_SQL

#: A query four times as long: it must still run after the lab has been stopped (which takes
#: seconds on a loaded machine; the demo's injected rows made the shorter one finish first once).
OUTLIVING_SQL = SECONDS_LONG_SQL.replace("LIMIT 2", "LIMIT 8")

pytestmark = pytest.mark.hub

SERVICE = "services/surveylab"
BOB_PASSWORD = "bob's long password, for the service"


@dataclass(frozen=True)
class Token:
    """A user's API token and its id on the hub."""

    user: str
    value: str
    id: str
    #: The user's browser session on the hub (their login cookie), which made the token.
    browser: requests.Session = field(repr=False)

    def get(self, hub: RunningHub, path: str, **kwargs: Any) -> requests.Response:
        return self.call(hub, "GET", path, **kwargs)

    def call(self, hub: RunningHub, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.value}"}
        return requests.request(
            method, f"{hub.url}/{SERVICE}/{path}", headers=headers, timeout=60, **kwargs
        )


def new_token(hub: RunningHub, user: str, password: str, **body: Any) -> Token:
    """A token made by ``user`` themselves, as the hub's Token page makes it (their login
    cookie and the ``_xsrf`` token, ``POST /hub/api/users/<user>/tokens``)."""
    session, response = hub.login(user, password)
    assert response.status_code == 302, response.text
    xsrf = session.cookies.get("_xsrf", path="/hub/")
    made = session.post(
        f"{hub.url}/hub/api/users/{user}/tokens",
        json={"note": "from my laptop", **body},
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return Token(user, made.json()["token"], made.json()["id"], session)


def revoke(hub: RunningHub, token: Token) -> requests.Response:
    """Revoke ``token`` as its user does on the Token page."""
    xsrf = token.browser.cookies.get("_xsrf", path="/hub/")
    return token.browser.delete(
        f"{hub.url}/hub/api/users/{token.user}/tokens/{token.id}",
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )


@pytest.fixture(scope="module")
def demo(running_hub: RunningHub) -> Token:
    return new_token(running_hub, running_hub.demo_login.name, running_hub.demo_login.password)


@pytest.fixture(scope="module")
def bob(running_hub: RunningHub) -> Iterator[Token]:
    running_hub.store.add("bob", BOB_PASSWORD, replace=True)
    yield new_token(running_hub, "bob", BOB_PASSWORD)
    running_hub.store.remove("bob")


def wait_for_job(
    hub: RunningHub, token: Token, job_id: str, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = token.get(hub, f"api/jobs/{job_id}").json()
        if job["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not end in {timeout} s")


def test_a_token_reaches_the_api_and_tap_with_no_lab(running_hub: RunningHub, demo: Token) -> None:
    user = running_hub.api("GET", f"users/{demo.user}").json()
    assert not user["servers"]  # no lab runs: the service answers on its own
    info = demo.get(running_hub, "api/info")
    assert info.status_code == 200, info.text
    assert info.json()["release"] == "DEMO DR1"

    session = requests.Session()
    session.headers["Authorization"] = f"token {demo.value}"
    tap = pyvo.dal.TAPService(f"{running_hub.url}/{SERVICE}/tap", session=session)
    rows = tap.search("SELECT TOP 3 tilename FROM dr1_tile_info ORDER BY tilename").to_table()
    assert len(rows) == 3 and list(rows["TILENAME"]) == sorted(rows["TILENAME"])
    # the service's own addresses in its documents: the capabilities name /services/surveylab
    capabilities = demo.get(running_hub, "tap/capabilities").text
    assert f"{running_hub.url}/{SERVICE}/tap" in capabilities


def metric(text: str, name: str, **labels: str) -> float:
    """A sample's value in a Prometheus text page (0 if absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_the_service_serves_its_metrics_and_the_hub_counts_logins(
    running_hub: RunningHub, demo: Token
) -> None:
    before = demo.get(running_hub, "metrics")
    assert before.status_code == 200, before.text
    quick = demo.call(running_hub, "POST", "api/query", json={"sql": "SELECT 1 AS ONE"})
    assert quick.status_code == 200, quick.text
    after = demo.get(running_hub, "metrics").text
    counted = {"mode": "quick", "outcome": "completed"}
    queries = "surveylab_queries_total"
    assert metric(after, queries, **counted) == metric(before.text, queries, **counted) + 1
    assert "surveylab_jobs_queued" in after
    anonymous = requests.get(f"{running_hub.url}/{SERVICE}/metrics", timeout=30)
    assert anonymous.status_code == 403  # a token that may access the service, or nothing

    hub_metrics = requests.get(  # JupyterHub's own page, with the admin service's token
        f"{running_hub.url}/hub/metrics",
        headers={"Authorization": f"token {running_hub.api_token}"},
        timeout=30,
    )
    assert hub_metrics.status_code == 200, hub_metrics.text
    assert metric(hub_metrics.text, "surveylab_hub_logins_total", outcome="success") >= 1
    assert "jupyterhub_active_users" in hub_metrics.text  # JupyterHub's own metrics stay


def test_jobs_land_in_the_users_home_and_are_theirs_alone(
    running_hub: RunningHub, demo: Token, bob: Token
) -> None:
    submitted = demo.call(
        running_hub,
        "POST",
        "api/jobs",
        json={"type": "query", "sql": "SELECT * FROM DR1_TILE_INFO", "format": "csv"},
    )
    assert submitted.status_code == 201, submitted.text
    job = wait_for_job(running_hub, demo, submitted.json()["id"])
    assert job["phase"] == "COMPLETED", job
    (result,) = job["files"]
    home_jobs = running_hub.state_dir / "home" / demo.user / "surveylab-jobs"
    assert (home_jobs / job["id"] / result["name"]).is_file()  # the lab's own job store

    # bob sees none of it, through any of the job endpoints
    assert job["id"] not in [j["id"] for j in bob.get(running_hub, "api/jobs").json()["jobs"]]
    path = f"api/jobs/{job['id']}"
    refusals = [
        bob.get(running_hub, path),
        bob.get(running_hub, f"{path}/files/{result['name']}"),
        bob.get(running_hub, f"{path}/log"),
        bob.get(running_hub, f"{path}/archive"),
        bob.call(running_hub, "PATCH", path, json={"name": "mine now"}),
        bob.call(running_hub, "POST", f"{path}/cancel"),
        bob.call(running_hub, "DELETE", path),
        bob.get(running_hub, f"tap/async/{job['id']}"),
    ]
    assert [r.status_code for r in refusals] == [404] * len(refusals)
    assert demo.get(running_hub, path).json()["name"] == job["name"]  # untouched
    assert not (running_hub.state_dir / "home" / bob.user / "surveylab-jobs" / job["id"]).exists()


def test_revoked_expired_and_unscoped_tokens_are_refused(running_hub: RunningHub) -> None:
    login = running_hub.demo_login
    token = new_token(running_hub, login.name, login.password)
    assert token.get(running_hub, "api/info").status_code == 200
    assert revoke(running_hub, token).status_code == 204
    assert token.get(running_hub, "api/info").status_code == 403  # at once, not after a cache

    # a token that expires: refused from then on (the hub's own clock; no fixed sleep)
    brief = new_token(running_hub, login.name, login.password, expires_in=5)
    assert brief.get(running_hub, "api/info").status_code == 200
    deadline = time.monotonic() + 60
    while brief.get(running_hub, "api/info").status_code == 200:
        assert time.monotonic() < deadline, "an expired token still works"
        time.sleep(0.5)
    assert brief.get(running_hub, "api/info").status_code == 403

    narrow = new_token(running_hub, login.name, login.password, scopes=["read:users:name!user"])
    assert narrow.get(running_hub, "api/info").status_code == 403
    assert narrow.get(running_hub, "tap/sync", params={"QUERY": "SELECT 1"}).status_code == 403


def test_the_service_serves_nothing_but_the_survey(running_hub: RunningHub, demo: Token) -> None:
    """No files, no kernels, no terminals: a token for the service is not a shell on it."""
    for path in ("api/contents", "api/kernels", "api/terminals", "api/sessions"):
        assert demo.get(running_hub, path).status_code in (403, 404), path


def test_topcat_and_stilts_send_the_token_as_a_basic_password(
    running_hub: RunningHub, demo: Token, tmp_path: Path
) -> None:
    """Java VO clients answer a Basic challenge only: a request with no credentials is asked
    for them (401), and the token works as the password of any user name."""
    asked = requests.get(f"{running_hub.url}/{SERVICE}/tap/tables", timeout=30)
    assert asked.status_code == 401
    assert asked.headers["WWW-Authenticate"] == 'Basic realm="surveylab"'
    basic = requests.get(
        f"{running_hub.url}/{SERVICE}/api/info", auth=("anyone", demo.value), timeout=30
    )
    assert basic.status_code == 200 and basic.json()["release"] == "DEMO DR1"
    wrong = requests.get(f"{running_hub.url}/{SERVICE}/api/info", auth=("x", "nope"), timeout=30)
    assert wrong.status_code == 403

    out = tmp_path / "ten.csv"
    stilts = subprocess.run(
        [
            "stilts",
            "-Dstar.basicauth.user=demo",
            f"-Dstar.basicauth.password={demo.value}",
            "tapquery",
            f"tapurl={running_hub.url}/{SERVICE}/tap",
            "adql=SELECT TOP 10 TILENAME FROM DR1_TILE_INFO ORDER BY TILENAME",
            f"out={out}",
            "ofmt=csv",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert stilts.returncode == 0, stilts.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "TILENAME" and len(lines) == 11


CAROL_PASSWORD = "carol's long password, for her lab"


def test_a_labs_jobs_run_on_the_service_and_outlive_the_lab(running_hub: RunningHub) -> None:
    """The lab submits a query job and a cutout job to the service; the lab is stopped while
    they run; both complete, and the lab started again shows them COMPLETED with their
    files."""
    hub = running_hub
    hub.store.add("carol", CAROL_PASSWORD, replace=True)
    carol = new_token(hub, "carol", CAROL_PASSWORD)
    session, _ = hub.login("carol", CAROL_PASSWORD)
    try:
        assert hub.submit_spawn_form(session, profile="small").status_code == 302
        hub.wait_for_server("carol")
        lab_api = f"{hub.url}/user/carol/surveylab/api"
        assert session.get(f"{hub.url}/user/carol/lab", timeout=60).status_code == 200
        status = session.get(f"{lab_api}/status", timeout=60).json()  # the lab's status item
        states = {part["name"]: part["state"] for part in status["parts"]}
        assert states == dict.fromkeys(("catalog", "jobs", "cutouts", "hub", "platform"), "ok")
        xsrf = {"X-XSRFToken": session.cookies.get("_xsrf", path="/user/carol/") or ""}
        submitted = session.post(
            f"{lab_api}/jobs",
            json={"type": "query", "sql": OUTLIVING_SQL, "format": "csv", "name": "long"},
            headers=xsrf,
            timeout=60,
        )
        assert submitted.status_code == 201, submitted.text
        job_id = submitted.json()["id"]
        running = carol.get(hub, f"api/jobs/{job_id}").json()  # the service runs it
        assert running["phase"] in ("QUEUED", "EXECUTING"), running
        around_m2 = [[M2_RA + 0.0004 * (i % 10), M2_DEC + 0.0004 * (i // 10)] for i in range(60)]
        cutouts = session.post(
            f"{lab_api}/jobs",
            json={"type": "cutout", "positions": around_m2, "bands": "gri"},
            headers=xsrf,
            timeout=60,
        )
        assert cutouts.status_code == 201, cutouts.text
        cutout_id = cutouts.json()["id"]

        hub.stop_server("carol")
        assert carol.get(hub, f"api/jobs/{job_id}").json()["phase"] in ("QUEUED", "EXECUTING")
        done = wait_for_job(hub, carol, job_id, timeout=600)
        assert done["phase"] == "COMPLETED", done
        (result,) = done["files"]
        jobs = hub.state_dir / "home" / "carol" / "surveylab-jobs"
        assert (jobs / job_id / result["name"]).read_text().splitlines()[0] == "N"
        images = wait_for_job(hub, carol, cutout_id, timeout=600)
        assert images["phase"] == "COMPLETED", images
        assert len([f for f in images["files"] if f["name"].endswith(".fits")]) == 180

        assert hub.submit_spawn_form(session, profile="small").status_code == 302
        hub.wait_for_server("carol")
        assert session.get(f"{hub.url}/user/carol/lab", timeout=60).status_code == 200  # login
        again = session.get(f"{lab_api}/jobs/{job_id}", timeout=60)
        assert again.status_code == 200, again.text
        assert again.json()["phase"] == "COMPLETED" and again.json()["files"] == done["files"]
        shown = session.get(f"{lab_api}/jobs", params={"type": "cutout"}, timeout=60).json()
        assert [(j["id"], j["phase"]) for j in shown["jobs"]] == [(cutout_id, "COMPLETED")]
    finally:
        if hub.api("GET", "users/carol").json().get("servers"):
            hub.stop_server("carol")
        hub.store.remove("carol")


def service_pid(hub: RunningHub) -> int:
    """The pid of the hub's platform service process (a child of the hub; its own children,
    e.g. the cutout workers, share its command line)."""
    (pid,) = [
        pid
        for pid in descendants(hub.process.pid)
        if b"surveylab_server.service" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        == str(hub.process.pid)
    ]
    return pid


def test_a_service_killed_mid_job_comes_back_and_says_why(
    running_hub: RunningHub, demo: Token
) -> None:
    """``kill -9`` while a job executes: the hub starts the service again (it restarts a
    managed service that exits), which marks the job ERROR with the reason; no partial file
    stands under a final name."""
    hub = running_hub
    submitted = demo.call(
        hub, "POST", "api/jobs", json={"type": "query", "sql": SECONDS_LONG_SQL, "format": "fits"}
    )
    assert submitted.status_code == 201, submitted.text
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 60
    while demo.get(hub, f"api/jobs/{job_id}").json()["phase"] != "EXECUTING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    killed = service_pid(hub)
    os.kill(killed, signal.SIGKILL)

    deadline = time.monotonic() + 120  # the hub polls its services every 30 s
    while True:
        try:
            answer = demo.get(hub, f"api/jobs/{job_id}")
            if answer.status_code == 200 and answer.json()["phase"] != "EXECUTING":
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, hub.log_tail()
        time.sleep(0.5)
    assert service_pid(hub) != killed  # a new service
    job = answer.json()
    assert job["phase"] == "ERROR" and "stopped while this job was running" in job["error"], job
    folder = hub.state_dir / "home" / demo.user / "surveylab-jobs" / job_id
    finals = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    assert sorted(finals) == ["job.json", "job.log"], finals  # no result file, partial or not
    assert job["files"] == []


def test_ten_users_submit_fifty_jobs_at_once_and_each_completes_once(
    running_hub: RunningHub,
) -> None:
    """Ten users, five jobs each, all sent at once (a user's script resubmits a job the
    per-user limit refused, 429, as the message asks): every job completes with its own
    result, none is lost and none is made twice."""
    hub = running_hub
    names = [f"crowd{i}" for i in range(10)]
    for name in names:
        hub.store.add(name, f"{name}'s password, long enough", replace=True)
    try:
        tokens = {name: new_token(hub, name, f"{name}'s password, long enough") for name in names}

        def submit_five(name: str) -> list[str]:
            ids = []
            for k in range(5):
                body = {
                    "type": "query",
                    "sql": f"SELECT {k} AS K, '{name}' AS WHO",
                    "name": f"j{k}",
                }
                while True:
                    answer = tokens[name].call(hub, "POST", "api/jobs", json=body)
                    if answer.status_code != 429:
                        break
                    assert "as many as you may have at once" in answer.json()["message"]
                    time.sleep(0.2)
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
            return ids

        with ThreadPoolExecutor(max_workers=10) as pool:
            submitted = dict(zip(names, pool.map(submit_five, names), strict=True))
        assert sum(len(ids) for ids in submitted.values()) == 50
        for name, ids in submitted.items():
            assert len(set(ids)) == 5
            for k, job_id in enumerate(ids):
                job = wait_for_job(hub, tokens[name], job_id)
                assert job["phase"] == "COMPLETED" and job["name"] == f"j{k}", job
                (result,) = job["files"]
                text = tokens[name].get(hub, f"api/jobs/{job_id}/files/{result['name']}").text
                assert text.split() == ["K,WHO", f"{k},{name}"]
            listed = tokens[name].get(hub, "api/jobs").json()
            assert sorted(j["id"] for j in listed["jobs"]) == sorted(ids)  # no more, no fewer
            store = hub.state_dir / "home" / name / "surveylab-jobs"
            assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == sorted(
                ids
            )
    finally:
        for name in names:
            hub.store.remove(name)


def test_a_browser_signs_in_through_the_hub_and_sees_its_page(
    running_hub: RunningHub, demo: Token
) -> None:
    """A browser gets the hub's login, not a password box: the service's address (or an API
    address, asked for as a page) leads through the hub's OAuth to the user's page, which lists
    their jobs with their files; the same browser then reads the API with its cookie."""
    hub = running_hub
    page_please = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    stranger = requests.get(
        f"{hub.url}/{SERVICE}/api/jobs", headers={"Accept": page_please}, timeout=30
    )
    assert stranger.status_code == 200 and "/hub/login" in stranger.url  # the hub's login form
    assert "WWW-Authenticate" not in stranger.headers

    submitted = demo.call(hub, "POST", "api/jobs", json={"type": "query", "sql": "SELECT 1 AS A"})
    job = wait_for_job(hub, demo, submitted.json()["id"])
    browser, _ = hub.login(hub.demo_login.name, hub.demo_login.password)
    page = browser.get(f"{hub.url}/{SERVICE}/", timeout=60)  # OAuth: hub, callback, page
    assert page.status_code == 200, page.text
    assert page.url == f"{hub.url}/{SERVICE}/home"
    assert f"Signed in as <b>{demo.user}</b>" in page.text
    (result,) = job["files"]
    link = f"/{SERVICE}/api/jobs/{job['id']}/files/{result['name']}"
    assert f"href='{link}'" in page.text
    assert browser.get(f"{hub.url}{link}", timeout=60).text.split() == ["A", "1"]


def test_the_service_applies_each_users_role_from_their_hub_groups(
    running_hub: RunningHub,
) -> None:
    """An administrator puts a user in the hub group ``limited`` (it lasts until their next
    login: manage_groups); the service reads the group from the hub and refuses what the role
    forbids, naming it, as the user's lab would. (A user the service has served already keeps
    the role it read then until the service restarts: hence a user of this test's own.)"""
    hub = running_hub
    hub.store.add("dora", BOB_PASSWORD, replace=True)
    try:
        token = new_token(hub, "dora", BOB_PASSWORD)  # logged in: no groups of her own
        assert hub.api("POST", "groups/limited").status_code in (201, 409)  # made, or there
        added = hub.api("POST", "groups/limited/users", json={"users": ["dora"]})
        assert added.status_code == 200, added.text
        lab = token.get(hub, "api/lab")
        assert lab.status_code == 200, lab.text
        assert lab.json()["role"]["name"] == "limited"
        positions = [[M2_RA + 0.001 * i, M2_DEC] for i in range(11)]
        body = {"type": "cutout", "positions": positions, "list_only": True}
        refused = token.call(hub, "POST", "api/jobs", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"].startswith(
            "your role 'limited' does not allow large cutout jobs: at most 10 positions"
        )
        assert token.call(hub, "POST", "api/jobs", json={**body, "positions": positions[:10]}).ok
    finally:
        hub.store.remove("dora")

"""A real hub with the PostgreSQL login: the lab, and the platform service for the lab's jobs,
query the survey as the user who logged in."""

from __future__ import annotations

import csv
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from psycopg import sql

from tests.hub.test_pool_cli import run_pool
from tests.support.hub import RunningHub, descendants, free_ports, start_hub, stop_hub
from tests.support.postgres import PostgresServer, create_login_roles

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def database_hub(
    postgres_server: PostgresServer, demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHub]:
    hub = start_hub(
        tmp_path_factory.mktemp("db-hub"),
        demo_data_dir,
        extra_env={
            "SURVEYLAB_HUB_AUTH": "postgresql",
            "SURVEYLAB_HUB_DB_HOST": postgres_server.host,
            "SURVEYLAB_HUB_DB_PORT": str(postgres_server.port),
            "SURVEYLAB_HUB_DB_NAME": postgres_server.dbname,
            "SURVEYLAB_HUB_DEMO_USER": "",
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
            # the labs query the PostgreSQL catalog, as whoever logged in
            "SURVEYLAB_CATALOG_URL": postgres_server.url,
        },
        platform=True,
    )
    yield hub
    stop_hub(hub)


def test_lab_queries_as_the_database_user(
    database_hub: RunningHub, postgres_server: PostgresServer
) -> None:
    hub, user = database_hub, postgres_server.user
    _, refused = hub.login(user, "not-the-password")
    assert refused.status_code == 403

    session, response = hub.login(user, postgres_server.password)
    assert response.status_code == 302
    assert hub.submit_spawn_form(session, profile="small").status_code == 302
    hub.wait_for_server(user)
    try:
        # Opening the lab runs the hub's OAuth hand-shake, which gives the lab's cookies.
        assert session.get(f"{hub.url}/user/{user}/lab", timeout=60).status_code == 200
        info = session.get(f"{hub.url}/user/{user}/surveylab/api/info", timeout=60)
        xsrf = session.cookies.get("_xsrf", path=f"/user/{user}/")
        assert info.status_code == 200, info.text
        assert info.json()["backend"] == "postgresql"
        query = session.post(
            f"{hub.url}/user/{user}/surveylab/api/query",
            json={"sql": "SELECT CURRENT_USER AS WHO, COUNT(*) AS N FROM DR1_TILE_INFO"},
            headers={"X-XSRFToken": xsrf},
            timeout=60,
        )
        assert query.status_code == 200, query.text
        assert query.json()["rows"][0][0] == user

        # the lab's job runs in the platform service, which reads the login from auth_state
        lab_api = f"{hub.url}/user/{user}/surveylab/api"
        submitted = session.post(
            f"{lab_api}/jobs",
            json={"type": "query", "sql": "SELECT CURRENT_USER AS WHO", "format": "csv"},
            headers={"X-XSRFToken": xsrf},
            timeout=60,
        )
        assert submitted.status_code == 201, submitted.text
        job = wait_for_lab_job(session, lab_api, submitted.json()["id"])
        assert job["phase"] == "COMPLETED", job
        (result,) = job["files"]
        answer = session.get(f"{lab_api}/jobs/{job['id']}/files/{result['name']}", timeout=60)
        assert answer.text.split() == ["WHO", user]  # the user's own account, not the service's
        assert "surveylab: jobs run on the platform service" in hub.log_path.read_text()
        # the password reached the lab and the service, never a log, a job record or a
        # command line
        assert postgres_server.password not in hub.log_path.read_text()
        jobs_dir = hub.state_dir / "home" / user / "surveylab-jobs" / job["id"]
        assert jobs_dir.is_dir()
        for path in jobs_dir.rglob("*"):
            if path.is_file():
                assert postgres_server.password.encode() not in path.read_bytes(), path
        for pid in descendants(hub.process.pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert postgres_server.password.encode() not in command
    finally:
        hub.stop_server(user)


def wait_for_lab_job(
    session: requests.Session, lab_api: str, job_id: str, timeout: float = 120
) -> dict[str, Any]:
    """The job once it has ended (COMPLETED, ERROR or ABORTED)."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = session.get(f"{lab_api}/jobs/{job_id}", timeout=60).json()
        if job["phase"] in ("COMPLETED", "ERROR", "ABORTED") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


@pytest.fixture(scope="module")
def refused_roles(postgres_server: PostgresServer) -> Iterator[str]:
    """A NOLOGIN role and a role whose VALID UNTIL has passed; yields their password."""
    password = "Pw-" + secrets.token_hex(8)
    roles = {"e2e_nologin": "NOLOGIN", "e2e_expired": "LOGIN VALID UNTIL '2000-01-01'"}
    with postgres_server.admin() as admin:
        for role, options in roles.items():
            admin.execute(
                sql.SQL("CREATE ROLE {} " + options + " PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
    yield password
    with postgres_server.admin() as admin:
        for role in roles:
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.parametrize(
    ("username", "password", "status", "message"),
    [
        pytest.param("reader", "wrong", 403, "Invalid username or password", id="wrong-password"),
        pytest.param(
            "e2e_nologin",
            "role",
            403,
            "the database role &#39;e2e_nologin&#39; is not permitted to log in",
            id="nologin-role",
        ),
        # PostgreSQL answers a password past its VALID UNTIL exactly as a wrong one.
        pytest.param("e2e_expired", "role", 403, "Invalid username or password", id="expired"),
        pytest.param("reader", "", 400, "enter your password", id="empty-password"),
    ],
)
def test_the_login_page_says_why(
    database_hub: RunningHub,
    postgres_server: PostgresServer,
    refused_roles: str,
    username: str,
    password: str,
    status: int,
    message: str,
) -> None:
    username = postgres_server.user if username == "reader" else username
    password = {"wrong": "not-the-password", "role": refused_roles}.get(password, password)
    _, response = database_hub.login(username, password)
    assert response.status_code == status
    assert '<p class="login_error">' in response.text
    assert message in response.text
    assert refused_roles not in database_hub.log_path.read_text()


def test_a_database_that_is_down_is_said_so(
    tmp_path: Path, demo_data_dir: Path, postgres_server: PostgresServer
) -> None:
    hub = start_hub(
        tmp_path / "hub",
        demo_data_dir,
        extra_env={
            "SURVEYLAB_HUB_AUTH": "postgresql",
            "SURVEYLAB_HUB_DB_HOST": "127.0.0.1",
            "SURVEYLAB_HUB_DB_PORT": str(free_ports(1)[0]),  # nothing listens there
            "SURVEYLAB_HUB_DEMO_USER": "",
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
        },
    )
    try:
        _, response = hub.login(postgres_server.user, postgres_server.password)
        assert response.status_code == 503
        assert "the survey database is not reachable; try again later" in response.text
        assert postgres_server.password not in hub.log_path.read_text()
        assert requests.get(f"{hub.url}/hub/api/", timeout=10).status_code == 200  # still up
    finally:
        stop_hub(hub)


def test_a_pool_users_jobs_in_the_service_query_as_the_pools_shared_account(
    database_hub: RunningHub, postgres_server: PostgresServer
) -> None:
    """A workshop pool on the PostgreSQL hub, with a shared account: the pool user's token
    reaches the platform service, whose job queries as that account, as their lab would."""
    hub = database_hub
    shared_password = "Ws-" + secrets.token_hex(8)
    create_login_roles(postgres_server, {"workshop_reader": shared_password})
    with postgres_server.admin() as admin:  # the reader's rights, under its own name
        admin.execute(
            sql.SQL("GRANT {} TO workshop_reader").format(sql.Identifier(postgres_server.user))
        )
    accounts = hub.state_dir / "db-accounts.yaml"
    accounts.write_text(
        f"accounts:\n  readonly:\n    user: workshop_reader\n    password: {shared_password}\n"
    )
    accounts.chmod(0o600)
    handout = hub.state_dir.parent / "ws.csv"
    created = run_pool(
        *("create", "ws", "--size", "1", "--expires", "+1h", "--db-account", "readonly"),
        *("--csv", str(handout), "--state-dir", str(hub.state_dir)),
        env=hub.env,
    )
    assert created == 0
    with handout.open() as rows:
        ((user, password),) = [(row["username"], row["password"]) for row in csv.DictReader(rows)]
    try:
        browser, response = hub.login(user, password)
        assert response.status_code == 302
        made = browser.post(
            f"{hub.url}/hub/api/users/{user}/tokens",
            json={"note": "workshop script"},
            headers={"X-XSRFToken": browser.cookies.get("_xsrf", path="/hub/") or ""},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        service = f"{hub.url}/services/surveylab/api"
        headers = {"Authorization": f"token {made.json()['token']}"}
        submitted = requests.post(
            f"{service}/jobs",
            json={"type": "query", "sql": "SELECT CURRENT_USER AS WHO", "format": "csv"},
            headers=headers,
            timeout=60,
        )
        assert submitted.status_code == 201, submitted.text
        session = requests.Session()
        session.headers.update(headers)
        job = wait_for_lab_job(session, service, submitted.json()["id"])
        assert job["phase"] == "COMPLETED", job.get("error")
        (result,) = job["files"]
        answer = session.get(f"{service}/jobs/{job['id']}/files/{result['name']}", timeout=60)
        assert answer.text.split() == ["WHO", "workshop_reader"]
        assert shared_password not in hub.log_path.read_text()
    finally:
        run_pool("end", "ws", "--state-dir", str(hub.state_dir), env=hub.env)

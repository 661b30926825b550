"""A real hub with the PostgreSQL login: the lab queries the survey as the user who logged in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hub import RunningHub, start_hub, stop_hub
from tests.support.postgres import PostgresServer

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
        # the password reached the lab's environment, never the hub's log
        assert postgres_server.password not in hub.log_path.read_text()
    finally:
        hub.stop_server(user)

"""A real hub logging in through a real (local) OAuth2 provider; the lab queries PostgreSQL as
the shared account the identity maps to."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from psycopg import sql

from surveylab_hub.oauth import IDENTITY_KEY, hub_username
from tests.support.hub import RunningHub, descendants, start_hub, stop_hub
from tests.support.oauth_provider import OAuthProvider, start_provider
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.hub

#: The PostgreSQL role behind the shared account ``collab`` of the accounts file.
SHARED_ROLE = "oauth_collab_reader"
SHARED_PASSWORD = secrets.token_urlsafe(18)
IDP = "https://idp.example.org/shibboleth"


def shared_role(server: PostgresServer) -> None:
    """A real login role with SELECT on the survey, as a shared read-only account is."""
    with server.admin() as pg:
        role = sql.Identifier(SHARED_ROLE)
        pg.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))
        pg.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(SHARED_PASSWORD))
        )
        for schema in ("public", "tap_schema"):
            name = sql.Identifier(schema)
            pg.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(name, role))
            pg.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(name, role))


def write_state(state_dir: Path, account_map: str) -> None:
    """The shared accounts file (private) and the OAuth account map of a hub."""
    state_dir.mkdir(parents=True, exist_ok=True)
    accounts = state_dir / "db-accounts.yaml"
    accounts.write_text(
        f"accounts:\n  collab:\n    user: {SHARED_ROLE}\n    password: {SHARED_PASSWORD}\n"
        "  readonly:\n    user: nobody_here\n    password: unused-password\n"
    )
    accounts.chmod(0o600)
    (state_dir / "oauth-accounts.yaml").write_text(account_map)


def oauth_env(provider: OAuthProvider, auth: str = "oauth") -> dict[str, str]:
    return {
        "SURVEYLAB_HUB_AUTH": auth,
        "SURVEYLAB_HUB_OAUTH_CLIENT_ID": provider.client_id,
        "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET": provider.client_secret,
        "SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL": provider.authorize_url,
        "SURVEYLAB_HUB_OAUTH_TOKEN_URL": provider.token_url,
        "SURVEYLAB_HUB_OAUTH_USERDATA_URL": provider.userinfo_url,
        "SURVEYLAB_HUB_DEMO_USER": "",
        "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
    }


def oauth_login(hub: RunningHub, provider: OAuthProvider, **claims: str) -> requests.Response:
    """Log in as a browser does: /hub/oauth_login → provider → /hub/oauth_callback → the hub."""
    provider.log_in_as(**claims)
    session = requests.Session()
    response = session.get(f"{hub.url}/hub/oauth_login", timeout=60)
    response.session = session  # type: ignore[attr-defined]  # handed on to the test
    hops = [r.url.split("?")[0] for r in response.history]
    assert hops[:2] == [f"{hub.url}/hub/oauth_login", provider.authorize_url], hops
    return response


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuthProvider]:
    provider = start_provider(redirect_uri="set once the hub runs")
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def oauth_hub(
    provider: OAuthProvider,
    postgres_server: PostgresServer,
    demo_data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningHub]:
    shared_role(postgres_server)
    state_dir = tmp_path_factory.mktemp("oauth-hub")
    write_state(state_dir, "identities:\n  Alice.Smith@Example.org: collab\n")
    hub = start_hub(
        state_dir,
        demo_data_dir,
        extra_env={
            **oauth_env(provider),
            "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT": "none",  # refuse unmapped identities
            "SURVEYLAB_CATALOG_URL": postgres_server.url,
        },
    )
    provider.redirect_uri = f"{hub.url}/hub/oauth_callback"
    yield hub
    stop_hub(hub)


def test_mapped_identity_queries_as_the_shared_account(
    oauth_hub: RunningHub, provider: OAuthProvider
) -> None:
    hub = oauth_hub
    name = hub_username("alice.smith@example.org")
    response = oauth_login(hub, provider, email="Alice.Smith@Example.org", sub="u-1")
    assert response.status_code == 200, response.text
    session: requests.Session = response.session  # type: ignore[attr-defined]
    assert name.startswith("alice.smith-at-example.org-")

    model = hub.api("GET", f"users/{name}").json()
    assert model["name"] == name
    assert model["auth_state"][IDENTITY_KEY] == "alice.smith@example.org"
    assert SHARED_PASSWORD not in json.dumps(model)  # auth_state keeps no shared password

    assert hub.submit_spawn_form(session, profile="small").status_code == 302
    hub.wait_for_server(name)
    try:
        assert session.get(f"{hub.url}/user/{name}/lab", timeout=60).status_code == 200
        xsrf = session.cookies.get("_xsrf", path=f"/user/{name}/")
        query = session.post(
            f"{hub.url}/user/{name}/surveylab/api/query",
            json={"sql": "SELECT CURRENT_USER AS WHO, COUNT(*) AS N FROM DR1_TILE_INFO"},
            headers={"X-XSRFToken": xsrf},
            timeout=60,
        )
        assert query.status_code == 200, query.text
        assert query.json()["rows"][0][0] == SHARED_ROLE
        # the secrets live in the environment and files, never in logs or command lines
        log = hub.log_path.read_text()
        assert provider.client_secret not in log
        assert SHARED_PASSWORD not in log
        for pid in {hub.process.pid} | descendants(hub.process.pid):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            assert provider.client_secret not in cmdline
            assert SHARED_PASSWORD not in cmdline
    finally:
        hub.stop_server(name)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"email": "mallory@example.org"},
         "no survey database account is mapped to your identity &#39;mallory@example.org&#39;"),
        ({"email": "bad user@example.org"}, "contains blanks or control characters"),
        ({"sub": "u-3"}, "did not send the &#39;email&#39; claim that names you"),
    ],
    ids=["unmapped", "blank-in-identity", "no-username-claim"],
)  # fmt: skip
def test_refused_identities_get_a_clear_message(
    oauth_hub: RunningHub, provider: OAuthProvider, claims: dict[str, str], message: str
) -> None:
    response = oauth_login(oauth_hub, provider, **claims)
    assert response.status_code == 403, response.text
    assert message in response.text
    users = {user["name"] for user in oauth_hub.api("GET", "users").json()}
    assert not {name for name in users if "mallory" in name or "bad" in name}


def test_cilogon_admits_an_unmapped_eppn_with_the_default_account(
    provider: OAuthProvider,
    postgres_server: PostgresServer,
    demo_data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    oauth_hub: RunningHub,  # the first hub has finished with the provider's redirect URI
) -> None:
    state_dir = tmp_path_factory.mktemp("cilogon-hub")
    write_state(state_dir, "identities: {}\n")
    hub = start_hub(
        state_dir,
        demo_data_dir,
        extra_env={
            **oauth_env(provider, auth="cilogon"),
            "SURVEYLAB_HUB_CILOGON_IDPS": IDP,
            "SURVEYLAB_HUB_OAUTH_ALLOW_ALL": "1",
            "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT": "collab",
        },
    )
    previous, provider.redirect_uri = provider.redirect_uri, f"{hub.url}/hub/oauth_callback"
    try:
        response = oauth_login(hub, provider, eppn="carol@example.org", idp=IDP)
        assert response.status_code == 200, response.text
        name = hub_username("carol@example.org")
        assert hub.api("GET", f"users/{name}").status_code == 200
        other_idp = oauth_login(hub, provider, eppn="dave@example.org", idp="https://evil.example")
        assert other_idp.status_code == 403
        assert "is not pre-configured" in other_idp.text
    finally:
        provider.redirect_uri = previous
        stop_hub(hub)

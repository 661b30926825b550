"""The platform service's reading of a user's database login from the hub, against a small
real HTTP server that answers as the hub's ``GET /users/{name}`` (the real hub:
``tests/hub/test_database_login_e2e.py``)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from surveylab.errors import CatalogUnavailableError
from surveylab_server.hub_logins import HubDatabaseLogins, HubUserRoles
from tests.core.test_roles import SHIPPED
from tests.support.hub import free_ports

TOKEN = "service-token-0123"
#: What the fake hub answers, by user name: (status, JSON body).
ANSWERS: dict[str, tuple[int, Any]] = {
    "ada": (
        200,
        {
            "name": "ada",
            "groups": ["gpu", "astronomers"],
            "auth_state": {"db_user": "ada", "db_password": "s3cret"},
        },
    ),
    "pool-7": (
        200,
        {"name": "pool-7", "groups": ["workshop"], "auth_state": {"db_account": "readonly"}},
    ),
    "pool-8": (200, {"name": "pool-8", "auth_state": {"db_account": "gone"}}),
    "demo": (200, {"name": "demo", "auth_state": None}),
    "oauth": (200, {"name": "oauth", "auth_state": {"identity": "ada@uni.edu"}}),
    "gone": (404, {"message": "no such user"}),
}


class FakeHub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"token {TOKEN}":
            self.send_response(403)
            self.end_headers()
            return
        name = self.path.rsplit("/", 1)[1]
        status, body = ANSWERS.get(name, (500, {}))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hub_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hub/api/"
    server.shutdown()


def test_a_database_login_is_read_from_auth_state(hub_api: str) -> None:
    logins = HubDatabaseLogins(hub_api, TOKEN)
    assert logins("ada") == ("ada", "s3cret")
    assert "s3cret" not in repr(logins) and TOKEN not in repr(logins)


@pytest.mark.parametrize("name", ["demo", "oauth", "pool-7"])
def test_no_login_of_their_own_means_the_services_account(hub_api: str, name: str) -> None:
    """No login and no account named (an embedded user), or no accounts file to look one up
    in: the service's own account."""
    assert HubDatabaseLogins(hub_api, TOKEN)(name) is None


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "db-accounts.yaml"
    path.write_text("accounts:\n  readonly: {user: des_public, password: pw-readonly}\n")
    path.chmod(0o600)
    return path


def test_a_named_shared_account_is_looked_up_in_the_accounts_file(
    hub_api: str, accounts: Path
) -> None:
    """A workshop pool user (or an OAuth identity): the account their lab queries as."""
    logins = HubDatabaseLogins(hub_api, TOKEN, accounts_path=accounts)
    assert logins("pool-7") == ("des_public", "pw-readonly")
    assert logins("ada") == ("ada", "s3cret")  # a login of their own comes first
    with pytest.raises(CatalogUnavailableError) as missing:
        logins("pool-8")
    assert "no shared database account 'gone'" in str(missing.value)
    assert "pw-readonly" not in str(missing.value)


@pytest.mark.parametrize(
    ("token", "name", "message"),
    [
        (TOKEN, "gone", "the hub did not give the database login of 'gone' (HTTP 404)"),
        ("wrong", "ada", "the hub did not give the database login of 'ada' (HTTP 403)"),
    ],
    ids=["unknown-user", "service-token-refused"],
)
def test_a_hub_that_says_no_is_a_clear_refusal(
    hub_api: str, token: str, name: str, message: str
) -> None:
    with pytest.raises(CatalogUnavailableError, match=re.escape(message)) as caught:
        HubDatabaseLogins(hub_api, token)(name)
    assert caught.value.__cause__ is None and token not in str(caught.value)


def test_a_hub_that_does_not_answer_is_a_clear_refusal() -> None:
    (port,) = free_ports(1)  # nothing listens there
    logins = HubDatabaseLogins(f"http://127.0.0.1:{port}/hub/api", TOKEN, timeout=5)
    with pytest.raises(CatalogUnavailableError, match=r"could not be asked .* try again"):
        logins("ada")


def test_from_environ_needs_the_hubs_address_and_token() -> None:
    assert HubDatabaseLogins.from_environ({}) is None
    found = HubDatabaseLogins.from_environ(
        {"JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api", "JUPYTERHUB_API_TOKEN": TOKEN}
    )
    assert found is not None and found.api_url == "http://127.0.0.1:8081/hub/api"


@pytest.mark.parametrize(("name", "role"), [("ada", "advanced"), ("pool-7", "workshop")])
def test_a_users_role_follows_from_their_hub_groups(hub_api: str, name: str, role: str) -> None:
    assert HubUserRoles(hub_api, TOKEN, SHIPPED)(name).name == role


def test_a_user_model_without_groups_names_the_missing_scope(hub_api: str) -> None:
    """The hub leaves ``groups`` out of the model when the service lacks read:users:groups."""
    with pytest.raises(CatalogUnavailableError, match="needs the scope read:users:groups"):
        HubUserRoles(hub_api, TOKEN, SHIPPED)("pool-8")


def test_a_hub_that_does_not_give_the_groups_refuses_the_role(hub_api: str) -> None:
    with pytest.raises(CatalogUnavailableError, match=r"did not give the groups of 'gone'"):
        HubUserRoles(hub_api, TOKEN, SHIPPED)("gone")

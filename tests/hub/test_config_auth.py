"""Choosing the login and the spawner by configuration, and carrying credentials to the lab."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from surveylab_hub.authenticator import EmbeddedAuthenticator
from surveylab_hub.config import configure, hub_options_from_environ
from surveylab_hub.db_authenticators import PostgresAuthenticator
from tests.support.postgres import PostgresServer

CRYPT_KEY = "0" * 64


def configured(tmp_path: Path, **options: Any) -> Config:
    c = Config()
    configure(c, state_dir=tmp_path, proxy_cmd=["chp"], **options)
    return c


@pytest.mark.parametrize(
    ("auth", "database", "expected_class", "traits"),
    [
        ("postgresql", {"db_host": "db", "db_port": "5433", "db_name": "dr1"},
         "PostgresAuthenticator", {"db_host": "db", "db_port": 5433, "db_name": "dr1"}),
        ("oracle", {"dsn": "db:1521/desdr"}, "OracleAuthenticator", {"dsn": "db:1521/desdr"}),
    ],
    ids=["postgresql", "oracle"],
)  # fmt: skip
def test_database_login_is_configured_with_encrypted_auth_state(
    tmp_path: Path, auth: str, database: dict[str, str], expected_class: str,
    traits: dict[str, Any],
) -> None:  # fmt: skip
    c = configured(tmp_path, auth=auth, database=database, crypt_key=CRYPT_KEY)
    assert c.JupyterHub.authenticator_class.endswith(expected_class)
    assert c.Authenticator.enable_auth_state is True
    for key, value in traits.items():
        assert c[expected_class][key] == value


@pytest.mark.parametrize(
    ("auth", "reads_logins"),
    [("postgresql", True), ("oracle", True), ("oauth", True), ("embedded", False)],
)
def test_a_login_with_auth_state_lets_the_platform_service_read_it(
    tmp_path: Path, auth: str, reads_logins: bool
) -> None:
    """The service queries as the account the lab gets, named in auth_state (a database
    login's own, or a shared one of the accounts file), and only then may its role read
    auth_state (and user names, to ask for a user)."""
    options: dict[str, Any] = {"auth": auth, "crypt_key": CRYPT_KEY}
    if auth == "oauth":
        options["oauth"] = GENERIC
    c = configured(tmp_path, **options)
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "surveylab"]
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "surveylab"]
    assert ("--logins-from-hub" in service["command"]) is reads_logins
    accounts = ["--db-accounts", str(tmp_path / "db-accounts.yaml")]
    assert (service["command"][-2:] == accounts) is reads_logins
    logins = ["read:users:name", "admin:auth_state"] if reads_logins else []
    assert role["scopes"] == [*logins, "read:users:groups"]  # and the groups, for the roles


def test_database_login_refuses_to_start_without_a_crypt_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs JUPYTERHUB_CRYPT_KEY"):
        configured(tmp_path, auth="postgresql", crypt_key="")


def test_embedded_login_needs_no_crypt_key(tmp_path: Path) -> None:
    c = configured(tmp_path, crypt_key="")
    assert c.JupyterHub.authenticator_class.endswith("EmbeddedAuthenticator")
    assert "enable_auth_state" not in c.Authenticator


def test_kubernetes_spawner_uses_the_profiles(tmp_path: Path) -> None:
    c = configured(tmp_path, spawner="kubernetes")
    assert c.JupyterHub.spawner_class.endswith("KubeSpawner")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SURVEYLAB_HUB_AUTH": "ldap"}, "SURVEYLAB_HUB_AUTH='ldap': choose one of"),
        ({"SURVEYLAB_HUB_SPAWNER": "docker"}, "SURVEYLAB_HUB_SPAWNER='docker': choose one of"),
    ],
    ids=["auth", "spawner"],
)
def test_unknown_choices_are_clear_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hub_options_from_environ(environ)


def test_bad_profiles_file_stops_the_hub(tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text("profiles: [{slug: x, cpu: -1}]\n")
    with pytest.raises(ValueError, match="profile"):
        configured(tmp_path, profiles_path=bad)


class FakeUser:
    """The two things pre_spawn_start reads of a JupyterHub user."""

    def __init__(self, name: str, auth_state: dict[str, str] | None) -> None:
        self.name = name
        self._auth_state = auth_state

    async def get_auth_state(self) -> dict[str, str] | None:
        return self._auth_state


class FakeSpawner:
    def __init__(self) -> None:
        self.environment: dict[str, str] = {"SURVEYLAB_DATA_DIR": "/data"}


async def test_credentials_reach_the_lab_environment(postgres_server: PostgresServer) -> None:
    auth = PostgresAuthenticator(
        db_host=postgres_server.host, db_port=postgres_server.port,
        db_name=postgres_server.dbname, log=logging.getLogger("test"),
    )  # fmt: skip
    login = {"username": postgres_server.user, "password": postgres_server.password}
    result = await auth.authenticate(None, login)
    assert result is not None
    spawner = FakeSpawner()
    await auth.pre_spawn_start(FakeUser(result["name"], result["auth_state"]), spawner)
    assert spawner.environment == {
        "SURVEYLAB_DATA_DIR": "/data",
        "SURVEYLAB_DB_USER": postgres_server.user,
        "SURVEYLAB_DB_PASSWORD": postgres_server.password,
    }


async def test_embedded_store_passwords_stay_in_the_hub(tmp_path: Path) -> None:
    auth = EmbeddedAuthenticator(store_path=str(tmp_path / "users.json"))
    spawner = FakeSpawner()
    await auth.pre_spawn_start(FakeUser("demo", {"db_password": "x"}), spawner)
    assert spawner.environment == {"SURVEYLAB_DATA_DIR": "/data"}


# --- OAuth login ---------------------------------------------------------------------------

GENERIC = {
    "client_id": "hub",
    "client_secret": "oauth-client-secret",
    "authorize_url": "https://idp.example.org/authorize",
    "token_url": "https://idp.example.org/token",
    "userdata_url": "https://idp.example.org/userinfo",
}
CILOGON = {"client_id": "cilogon:/client_id/1", "client_secret": "s", "cilogon_idps": "urn:a"}


@pytest.mark.parametrize(
    ("auth", "oauth", "expected_class", "traits"),
    [
        ("oauth", GENERIC, "SurveylabGenericOAuthenticator",
         {"client_id": "hub", "client_secret": "oauth-client-secret",
          "authorize_url": "https://idp.example.org/authorize", "username_claim": "email",
          "scope": ["openid", "email", "profile"], "allow_all": False,
          "default_db_account": "readonly", "db_account_map": "{state}/oauth-accounts.yaml",
          "shared_accounts_path": "{state}/db-accounts.yaml"}),
        ("oauth", {**GENERIC, "username_claim": "preferred_username", "scopes": "openid  profile",
                   "callback_url": "https://lab.example.org/hub/oauth_callback",
                   "allow_all": "1", "default_account": "none", "account_map": "/etc/map.yaml",
                   "login_service": "DES SSO"},
         "SurveylabGenericOAuthenticator",
         {"username_claim": "preferred_username", "scope": ["openid", "profile"],
          "oauth_callback_url": "https://lab.example.org/hub/oauth_callback", "allow_all": True,
          "default_db_account": "", "db_account_map": "/etc/map.yaml",
          "login_service": "DES SSO"}),
        ("cilogon", {**CILOGON, "cilogon_idps": "https://idp.a.edu/idp, urn:mace:b"},
         "SurveylabCILogonOAuthenticator",
         {"idps": {"https://idp.a.edu/idp": {"username_derivation": {"username_claim": "eppn"}},
                   "urn:mace:b": {"username_derivation": {"username_claim": "eppn"}}}}),
    ],
    ids=["generic-defaults", "generic-all-options", "cilogon"],
)  # fmt: skip
def test_oauth_login_is_configured(
    tmp_path: Path, auth: str, oauth: dict[str, str], expected_class: str, traits: dict[str, Any]
) -> None:
    c = configured(tmp_path, auth=auth, oauth=oauth, crypt_key=CRYPT_KEY)
    assert c.JupyterHub.authenticator_class == f"surveylab_hub.oauth.{expected_class}"
    assert c.Authenticator.enable_auth_state is True
    for key, value in traits.items():
        if isinstance(value, str):
            value = value.format(state=tmp_path)
        assert c[expected_class][key] == value, key


def test_configured_oauth_authenticator_loads_its_config(tmp_path: Path) -> None:
    from surveylab_hub.oauth import SurveylabCILogonOAuthenticator

    c = configured(tmp_path, auth="cilogon", oauth=CILOGON, crypt_key=CRYPT_KEY)
    auth = SurveylabCILogonOAuthenticator(config=c)
    assert auth.client_id == "cilogon:/client_id/1"
    assert list(auth.idps) == ["urn:a"]
    assert auth.shared_accounts_path == str(tmp_path / "db-accounts.yaml")


@pytest.mark.parametrize(
    ("auth", "oauth", "crypt_key", "message"),
    [
        ("oauth", GENERIC, "", "SURVEYLAB_HUB_AUTH=oauth needs JUPYTERHUB_CRYPT_KEY"),
        ("oauth", {"client_secret": "s"}, CRYPT_KEY,
         "needs SURVEYLAB_HUB_OAUTH_CLIENT_ID, SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL, "
         "SURVEYLAB_HUB_OAUTH_TOKEN_URL, SURVEYLAB_HUB_OAUTH_USERDATA_URL"),
        ("cilogon", {"client_id": "x", "client_secret": "s"}, CRYPT_KEY,
         "SURVEYLAB_HUB_AUTH=cilogon needs SURVEYLAB_HUB_CILOGON_IDPS"),
        ("cilogon", {**CILOGON, "cilogon_idps": "idp.a.edu"}, CRYPT_KEY,
         "'idp.a.edu' is not a CILogon entity ID"),
        ("oauth", {**GENERIC, "client_secret": ""}, CRYPT_KEY,
         "needs SURVEYLAB_HUB_OAUTH_CLIENT_SECRET or SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE"),
        ("oauth", {**GENERIC, "token_url": "idp.example.org/token"}, CRYPT_KEY,
         "SURVEYLAB_HUB_OAUTH_TOKEN_URL='idp.example.org/token' is not an http"),
    ],
    ids=["no-crypt-key", "generic-missing", "cilogon-no-idps", "cilogon-bad-idp", "no-secret",
         "bad-url"],
)  # fmt: skip
def test_oauth_misconfiguration_is_a_clear_error(
    tmp_path: Path, auth: str, oauth: dict[str, str], crypt_key: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        configured(tmp_path, auth=auth, oauth=oauth, crypt_key=crypt_key)


@pytest.mark.parametrize(
    ("content", "mode", "outcome"),
    [
        ("file-secret\n", 0o600, "file-secret"),
        ("file-secret\n", 0o644, "other users can read it (mode 644); run `chmod 600"),
        ("\n", 0o600, "is empty"),
        (None, 0o600, "cannot be read"),
    ],
    ids=["private", "readable-by-others", "empty", "absent"],
)
def test_client_secret_file(tmp_path: Path, content: str | None, mode: int, outcome: str) -> None:
    secret_file = tmp_path / "client-secret"
    if content is not None:
        secret_file.write_text(content)
        secret_file.chmod(mode)
    oauth = {**GENERIC, "client_secret": "", "client_secret_file": str(secret_file)}
    if outcome == "file-secret":
        c = configured(tmp_path, auth="oauth", oauth=oauth, crypt_key=CRYPT_KEY)
        assert c.SurveylabGenericOAuthenticator.client_secret == "file-secret"
    else:
        with pytest.raises(ValueError, match=re.escape(outcome)) as error:
            configured(tmp_path, auth="oauth", oauth=oauth, crypt_key=CRYPT_KEY)
        assert "file-secret" not in str(error.value)


def test_oauth_options_come_from_the_environment(tmp_path: Path) -> None:
    options = hub_options_from_environ(
        {
            "SURVEYLAB_HUB_AUTH": "OAuth",
            "SURVEYLAB_HUB_OAUTH_CLIENT_ID": " hub ",
            "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET": "oauth-client-secret",
            "SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL": GENERIC["authorize_url"],
            "SURVEYLAB_HUB_OAUTH_TOKEN_URL": GENERIC["token_url"],
            "SURVEYLAB_HUB_OAUTH_USERDATA_URL": GENERIC["userdata_url"],
            "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT": "none",
            "SURVEYLAB_HUB_DB_ACCOUNTS": "/etc/accounts.yaml",
            "SURVEYLAB_HUB_OAUTH_SCOPES": "",
        },
        cwd=tmp_path,
    )
    assert options["auth"] == "oauth"
    assert options["oauth"] == {**GENERIC, "default_account": "none"}
    c = Config()
    configure(c, **{**options, "proxy_cmd": ["chp"]}, crypt_key=CRYPT_KEY)
    assert c.SurveylabGenericOAuthenticator.shared_accounts_path == "/etc/accounts.yaml"
    assert c.SurveylabGenericOAuthenticator.default_db_account == ""

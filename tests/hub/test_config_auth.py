"""Choosing the login and the spawner by configuration, and carrying credentials to the lab."""

from __future__ import annotations

import logging
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

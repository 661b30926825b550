"""Pool users in the login flow: the embedded store whatever the database, ended pools, and the
shared database account their labs get."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from tornado import web

from surveylab_hub.authenticator import DatabaseAuthenticator, EmbeddedAuthenticator
from surveylab_hub.caps import SpawnRefusedError
from surveylab_hub.db_authenticators import PostgresAuthenticator
from surveylab_hub.pools import PoolLogin, PoolStore
from surveylab_hub.profiles import load_profiles
from surveylab_hub.store import CredentialStore
from tests.support.hub import free_ports

LOGGER = "surveylab.test.pools"
DB_PASSWORD = "shared-Readonly-Secret-99"


class LabUser:
    """What ``pre_spawn_start`` reads of a JupyterHub user."""

    def __init__(self, name: str, auth_state: dict[str, str] | None = None) -> None:
        self.name = name
        self._auth_state = auth_state

    async def get_auth_state(self) -> dict[str, str] | None:
        return self._auth_state


class LabSpawner:
    """What ``pre_spawn_start`` writes: the lab's environment."""

    def __init__(self) -> None:
        self.environment: dict[str, str] = {"SURVEYLAB_DATA_DIR": "/data"}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state folder with the shared accounts file and a pool ``ws`` of two users."""
    accounts = tmp_path / "db-accounts.yaml"
    accounts.write_text(
        f"accounts:\n  readonly:\n    user: des_public\n    password: {DB_PASSWORD}\n"
    )
    accounts.chmod(0o600)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    credentials = CredentialStore(tmp_path / "users.json", hasher=cheap)
    credentials.add("demo", "demo's own password")
    PoolStore(tmp_path / "pools.json", credentials=credentials).create(
        "ws",
        size=2,
        expires=datetime.now(UTC) + timedelta(hours=1),
        profiles=load_profiles(),
        db_account="readonly",
        accounts_path=accounts,
    )
    return tmp_path


def pool_login(state: Path, user: str = "ws-01") -> PoolLogin:
    """Give ``user`` a known password, as if read off the handout."""
    CredentialStore(state / "users.json").add(user, "handout-pw-" + user, replace=True)
    return PoolLogin(user, "handout-pw-" + user)


def embedded(state: Path, **traits: Any) -> EmbeddedAuthenticator:
    return EmbeddedAuthenticator(
        store_path=str(state / "users.json"),
        pools_path=str(state / "pools.json"),
        log=logging.getLogger(LOGGER),
        **traits,
    )


def unreachable_postgres(state: Path) -> PostgresAuthenticator:
    """A PostgreSQL authenticator whose server is down: any question to it fails."""
    (port,) = free_ports(1)
    return PostgresAuthenticator(
        db_host="127.0.0.1",
        db_port=port,
        pools_path=str(state / "pools.json"),
        log=logging.getLogger(LOGGER),
    )


@pytest.mark.parametrize("make", [embedded, unreachable_postgres], ids=["embedded", "postgres"])
async def test_pool_users_log_in_against_the_embedded_store(
    state: Path, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    authenticator: DatabaseAuthenticator = make(state)
    login = pool_login(state)
    data = {"username": " WS-01 ", "password": login.password}
    # the pool's shared account by name (never its password), for the platform service
    logged_in = {"name": "ws-01", "auth_state": {"db_account": "readonly"}}
    assert await authenticator.authenticate(None, data) == logged_in
    wrong = {"username": "ws-01", "password": "not-the-handout"}
    assert await authenticator.authenticate(None, wrong) is None
    assert authenticator.check_allowed("ws-01", {"name": "ws-01"})
    assert login.password not in caplog.text and "not-the-handout" not in caplog.text


async def test_other_users_still_ask_the_database(state: Path) -> None:
    with pytest.raises(web.HTTPError) as caught:
        await unreachable_postgres(state).authenticate(
            None, {"username": "demo", "password": "demo's own password"}
        )
    assert caught.value.status_code == 503


async def test_an_ended_pool_refuses_its_logins_clearly(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    login = pool_login(state)
    ended = PoolStore(state / "pools.json").end("ws")
    with pytest.raises(web.HTTPError) as caught:
        await embedded(state).authenticate(None, {"username": "ws-01", "password": login.password})
    message = f"the workshop pool 'ws' ended at {ended.ended:%Y-%m-%d %H:%M} UTC"
    assert caught.value.status_code == 403
    assert caught.value.jupyterhub_message == message  # type: ignore[attr-defined]
    assert message in caplog.text
    assert login.password not in caplog.text


def test_pool_users_are_admitted_while_the_pool_is_open(state: Path) -> None:
    authenticator = embedded(state, allowed_users={"demo"})
    assert not authenticator.allow_database_users
    assert authenticator.check_allowed("ws-02", {"name": "ws-02"})
    assert not authenticator.check_allowed("other", {"name": "other"})
    PoolStore(state / "pools.json").end("ws")
    assert not authenticator.check_allowed("ws-02", {"name": "ws-02"})


@pytest.mark.parametrize("make", [embedded, unreachable_postgres], ids=["embedded", "postgres"])
async def test_pool_labs_query_as_the_shared_account(state: Path, make: Any) -> None:
    authenticator: DatabaseAuthenticator = make(state)
    spawner = LabSpawner()
    # Even with a database login's auth_state, a pool user's lab gets the pool's account.
    await authenticator.pre_spawn_start(LabUser("ws-01", {"db_password": "x"}), spawner)
    assert spawner.environment == {
        "SURVEYLAB_DATA_DIR": "/data",
        "SURVEYLAB_DB_USER": "des_public",
        "SURVEYLAB_DB_PASSWORD": DB_PASSWORD,
    }
    assert DB_PASSWORD not in (state / "pools.json").read_text()


async def test_other_labs_get_no_shared_account(state: Path) -> None:
    spawner = LabSpawner()
    await embedded(state).pre_spawn_start(LabUser("demo"), spawner)
    assert spawner.environment == {"SURVEYLAB_DATA_DIR": "/data"}


async def test_a_rotated_password_applies_to_the_next_lab(state: Path) -> None:
    authenticator = embedded(state)
    accounts = state / "db-accounts.yaml"
    accounts.write_text("accounts:\n  readonly:\n    user: des_public\n    password: rotated-pw\n")
    spawner = LabSpawner()
    await authenticator.pre_spawn_start(LabUser("ws-02"), spawner)
    assert spawner.environment["SURVEYLAB_DB_PASSWORD"] == "rotated-pw"


@pytest.mark.parametrize(
    ("change", "logged"),
    [
        pytest.param("missing", "no shared database account 'readonly'", id="account-removed"),
        pytest.param("readable", "other users can read it", id="file-readable"),
    ],
)
async def test_a_missing_account_refuses_the_lab_without_detail(
    state: Path, change: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    accounts = state / "db-accounts.yaml"
    if change == "missing":
        accounts.write_text("accounts: {}\n")
    else:
        accounts.chmod(0o644)
    with pytest.raises(SpawnRefusedError) as caught:
        await embedded(state).pre_spawn_start(LabUser("ws-01"), LabSpawner())
    assert caught.value.status_code == 503
    assert caught.value.message == (
        "the database account of the workshop pool 'ws' is not available; "
        "please tell the organisers"
    )
    assert logged in caplog.text
    assert DB_PASSWORD not in caplog.text


async def test_an_ended_pool_refuses_its_labs(state: Path) -> None:
    PoolStore(state / "pools.json").end("ws")
    with pytest.raises(SpawnRefusedError) as caught:
        await embedded(state).pre_spawn_start(LabUser("ws-01"), LabSpawner())
    assert caught.value.status_code == 403
    assert caught.value.message.startswith("the workshop pool 'ws' ended at ")


def test_accounts_file_defaults_next_to_the_pools(tmp_path: Path) -> None:
    authenticator = EmbeddedAuthenticator(pools_path=str(tmp_path / "pools.json"))
    assert authenticator.shared_accounts_path == str(tmp_path / "db-accounts.yaml")
    assert EmbeddedAuthenticator().pool_store is None


@pytest.mark.parametrize("trait", ["pools_path", "shared_accounts_path"])
def test_pool_traits_are_configurable_and_documented(trait: str) -> None:
    traits = DatabaseAuthenticator.class_traits(config=True)
    assert trait in traits
    assert len(traits[trait].help.split()) >= 20

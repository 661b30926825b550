"""The login flow of DatabaseAuthenticator, through EmbeddedAuthenticator and a failing database."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from tornado import web
from traitlets import TraitError
from traitlets.config import Config

from surveylab_hub.authenticator import DatabaseAuthenticator, EmbeddedAuthenticator
from surveylab_hub.store import CredentialStore

PASSWORD = "s3cret-Password-42"
LOGGER = "surveylab.test.auth"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    store = CredentialStore(path, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    store.add("demo", PASSWORD)
    store.add("alice.smith", PASSWORD)
    return path


def embedded(store_path: Path, **traits: Any) -> EmbeddedAuthenticator:
    return EmbeddedAuthenticator(
        store_path=str(store_path), log=logging.getLogger(LOGGER), **traits
    )


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        pytest.param("demo", PASSWORD, "demo", id="right"),
        pytest.param("  Demo ", PASSWORD, "demo", id="normalised"),
        pytest.param("Alice.Smith", PASSWORD, "alice.smith", id="uppercase-dotted"),
        pytest.param("demo", "wrong-password", None, id="wrong-password"),
        pytest.param("nobody", PASSWORD, None, id="unknown-user"),
    ],
)
async def test_authenticate(
    store_path: Path,
    caplog: pytest.LogCaptureFixture,
    username: str,
    password: str,
    expected: str | None,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    result = await embedded(store_path).authenticate(
        None, {"username": username, "password": password}
    )
    assert result == (None if expected is None else {"name": expected})
    assert password not in caplog.text
    if expected is None:
        assert caplog.records, "a refused login is logged"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        pytest.param("demo", "", "enter your password", id="empty-password"),
        pytest.param("", PASSWORD, "username must not be empty", id="empty-username"),
        pytest.param("demo@otherdb", PASSWORD, "contains '@'", id="at-database"),
        pytest.param("../demo", PASSWORD, "contains '/'", id="traversal"),
        pytest.param("de mo", PASSWORD, "contains ' '", id="space-inside"),
        pytest.param("demo'--", PASSWORD, 'contains "\'"', id="quote"),
        pytest.param("a" * 65, PASSWORD, "65 characters long; at most 64", id="overlong"),
    ],
)
async def test_malformed_logins_are_refused_with_what_is_wrong(
    store_path: Path,
    caplog: pytest.LogCaptureFixture,
    username: str,
    password: str,
    message: str,
) -> None:
    """Nothing is checked against the store; the login page shows the reason (HTTP 400)."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    with pytest.raises(web.HTTPError) as excinfo:
        await embedded(store_path).authenticate(None, {"username": username, "password": password})
    assert excinfo.value.status_code == 400
    assert message in excinfo.value.jupyterhub_message  # type: ignore[attr-defined]
    assert excinfo.value.login_refusal == "MalformedLoginError"  # type: ignore[attr-defined]
    assert caplog.records, "a refused login is logged"
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("traits", "username", "admitted"),
    [
        pytest.param({}, "demo", True, id="store-users-admitted"),
        pytest.param(
            {"allowed_users": {"alice.smith"}}, "demo", False, id="allowed-users-restrict"
        ),
        pytest.param({"allowed_users": {"demo"}}, "demo", True, id="allowed-users-include"),
        pytest.param(
            {"allowed_users": {"alice.smith"}, "allow_database_users": True},
            "demo",
            True,
            id="both-rules",
        ),
        pytest.param({"allow_database_users": False}, "demo", False, id="database-rule-off"),
        pytest.param({"blocked_users": {"demo"}}, "demo", False, id="blocked"),
        pytest.param({"admin_users": {"demo"}}, "demo", True, id="admin"),
    ],
)
async def test_allow_rules(
    store_path: Path, traits: dict[str, Any], username: str, admitted: bool
) -> None:
    """The whole JupyterHub flow: authenticate, normalise, block and allow checks."""
    authenticator = embedded(store_path, **traits)
    result = await authenticator.get_authenticated_user(
        None, {"username": username, "password": PASSWORD}
    )
    if admitted:
        assert result is not None and result["name"] == username
        assert result["admin"] is (True if username in traits.get("admin_users", ()) else None)
    else:
        assert result is None


def test_an_allow_rule_is_found() -> None:
    """JupyterHub 5+ warns that nobody can log in unless it sees an allow rule."""
    assert EmbeddedAuthenticator().any_allow_config is True
    assert EmbeddedAuthenticator(allowed_users={"a"}).any_allow_config is True


async def test_a_user_added_later_can_log_in_at_once(store_path: Path) -> None:
    authenticator = embedded(store_path)
    data = {"username": "carol", "password": PASSWORD}
    assert await authenticator.authenticate(None, data) is None
    CredentialStore(store_path).add("carol", PASSWORD)
    assert await authenticator.authenticate(None, data) == {"name": "carol"}


class UnreachableDatabase(DatabaseAuthenticator):
    """A database whose driver fails, echoing the DSN with the password as drivers do."""

    async def check_credentials(self, username: str, password: str) -> bool:
        raise ConnectionError(f"cannot connect to {username}/{password}@db.example:1521")


async def test_database_errors_become_503_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    authenticator = UnreachableDatabase(log=logging.getLogger(LOGGER))
    with pytest.raises(web.HTTPError) as excinfo:
        await authenticator.authenticate(None, {"username": "demo", "password": PASSWORD})
    assert excinfo.value.status_code == 503
    assert PASSWORD not in str(excinfo.value) and PASSWORD not in caplog.text
    assert excinfo.value.__cause__ is None and excinfo.value.__context__ is None
    assert "ConnectionError" in caplog.text


async def test_base_class_needs_check_credentials() -> None:
    with pytest.raises(NotImplementedError, match="must implement check_credentials"):
        await DatabaseAuthenticator().check_credentials("demo", PASSWORD)


def test_store_path_from_config(tmp_path: Path) -> None:
    config = Config()
    config.EmbeddedAuthenticator.store_path = str(tmp_path / "users.json")
    authenticator = EmbeddedAuthenticator(config=config)
    assert authenticator.store.path == tmp_path / "users.json"
    assert authenticator.store is authenticator.store  # kept: its dummy hash is made once
    assert EmbeddedAuthenticator().store_path == "users.json"


def test_empty_store_path_is_refused() -> None:
    with pytest.raises(TraitError, match=r"EmbeddedAuthenticator\.store_path must not be empty"):
        EmbeddedAuthenticator(store_path=" ")


@pytest.mark.parametrize(
    ("cls", "trait"),
    [
        pytest.param(DatabaseAuthenticator, "allow_database_users", id="allow_database_users"),
        pytest.param(EmbeddedAuthenticator, "store_path", id="store_path"),
    ],
)
def test_traits_are_configurable_and_documented(cls: type, trait: str) -> None:
    traits = cls.class_traits(config=True)
    assert trait in traits
    assert len(traits[trait].help.split()) >= 20


def login_counts() -> dict[str, float]:
    """``surveylab_hub_logins_total`` by outcome, as the hub's ``/hub/metrics`` shows it (the
    default registry)."""
    from prometheus_client import REGISTRY

    return {
        outcome: REGISTRY.get_sample_value("surveylab_hub_logins_total", {"outcome": outcome})
        or 0.0
        for outcome in ("success", "failure", "throttled", "refused", "error")
    }


async def test_every_login_is_counted_by_its_outcome(store_path: Path) -> None:
    authenticator = embedded(store_path, failure_limit=2)
    attempts = [
        ("demo", PASSWORD, "success"),
        ("demo", "wrong-password", "failure"),
        ("demo", "", "refused"),  # malformed: no password
        ("demo", "wrong-password", "failure"),  # the second failure: the limit
        ("demo", PASSWORD, "throttled"),  # refused before the password is checked
    ]
    for username, password, outcome in attempts:
        before = login_counts()
        with contextlib.suppress(web.HTTPError):
            await authenticator.authenticate(None, {"username": username, "password": password})
        after = login_counts()
        moved = {name: after[name] - before[name] for name in after if after[name] != before[name]}
        assert moved == {outcome: 1.0}, (username, password)
    before = login_counts()
    with pytest.raises(web.HTTPError):
        await UnreachableDatabase(log=logging.getLogger(LOGGER)).authenticate(
            None, {"username": "demo", "password": PASSWORD}
        )
    assert login_counts()["error"] - before["error"] == 1.0

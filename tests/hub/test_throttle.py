"""The failure throttle of every login path, with an injected clock: the embedded store, workshop
pool users (on the embedded store and on PostgreSQL), PostgreSQL and OAuth callbacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from oauthenticator.oauth2 import _serialize_state
from tornado import web
from traitlets import TraitError
from traitlets.config import Config

from surveylab_hub.authenticator import DatabaseAuthenticator, EmbeddedAuthenticator
from surveylab_hub.db_authenticators import PostgresAuthenticator
from surveylab_hub.oauth import SurveylabGenericOAuthenticator
from surveylab_hub.pools import PoolStore
from surveylab_hub.profiles import load_profiles
from surveylab_hub.store import CredentialStore
from surveylab_hub.throttle import FailureThrottle, LoginThrottle, wait_text
from tests.support.hub import free_ports
from tests.support.oauth_provider import OAuthProvider, start_provider
from tests.support.postgres import PostgresServer

LOGGER = "surveylab.test.throttle"
PASSWORD = "the-Right-password-7"
#: The settings of every authenticator here: 3 failures per user, 5 per address, in 60 s; 120 s out.
LIMITS = {
    "failure_limit": 3,
    "address_failure_limit": 5,
    "failure_window": 60,
    "failure_cooldown": 120,
}


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request_from(ip: str) -> Any:
    """A stand-in login handler: the throttle reads only ``request.remote_ip``."""
    return SimpleNamespace(request=SimpleNamespace(remote_ip=ip))


# --- the pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0.01, "1 second", id="a-moment"),
        pytest.param(1, "1 second", id="one-second"),
        pytest.param(44.2, "45 seconds", id="seconds-rounded-up"),
        pytest.param(60, "1 minute", id="one-minute"),
        pytest.param(60.5, "2 minutes", id="minutes-rounded-up"),
        pytest.param(300, "5 minutes", id="default-cooldown"),
    ],
)
def test_wait_text(seconds: float, text: str) -> None:
    assert wait_text(seconds) == text


@pytest.mark.parametrize(
    ("events", "expected_wait"),
    [
        pytest.param([0, 0], 0, id="under-the-limit"),
        pytest.param([0, 0, 0], 120, id="at-the-limit"),
        pytest.param([0, 30, 61], 0, id="first-failure-left-the-window"),
        pytest.param([0, 30, 59], 120, id="all-within-the-window"),
        pytest.param([0, 0, 0, 119], 1, id="one-second-left"),
        pytest.param([0, 0, 0, 120], 0, id="cooldown-over"),
    ],
)
def test_failure_throttle_window_and_cooldown(events: list[float], expected_wait: float) -> None:
    """Failures at the given times (the last event of the cooldown rows only moves the clock)."""
    clock = Clock()
    throttle = FailureThrottle(limit=3, window=60, cooldown=120, clock=clock)
    start = clock.now
    for at in events[:3]:
        clock.now = start + at
        throttle.record_failure("key")
    if len(events) > 3:
        clock.now = start + events[3]
    assert throttle.retry_after("key") == expected_wait
    assert throttle.retry_after("other key") == 0


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        pytest.param("failure_limit", 0, "failure_limit must be at least 1", id="limit"),
        pytest.param(
            "address_failure_limit", 0, "address_failure_limit must be at least 1", id="address"
        ),
        pytest.param("failure_window", 0, "failure_window must be positive", id="window"),
        pytest.param("failure_cooldown", -1, "failure_cooldown must be positive", id="cooldown"),
    ],
)
def test_throttle_traits_are_validated(trait: str, value: float, message: str) -> None:
    with pytest.raises(TraitError, match=f"EmbeddedAuthenticator.{message}"):
        EmbeddedAuthenticator(**{trait: value})


@pytest.mark.parametrize(
    "cls", [EmbeddedAuthenticator, PostgresAuthenticator, SurveylabGenericOAuthenticator]
)
def test_one_config_section_sets_every_login_path(cls: type) -> None:
    config = Config()
    config.LoginThrottle.failure_limit = 7
    config.LoginThrottle.address_failure_limit = 70
    config.LoginThrottle.failure_cooldown = 9.0
    authenticator = cls(config=config)
    assert authenticator.failure_limit == 7
    assert authenticator.address_failure_limit == 70
    assert authenticator.failure_cooldown == 9.0
    for name in ("failure_limit", "address_failure_limit", "failure_window", "failure_cooldown"):
        trait = LoginThrottle.class_traits()[name]
        assert trait.metadata.get("config") is True
        assert "Default" in (trait.help or "")


# --- the login paths ------------------------------------------------------------------------


@dataclass
class LoginPath:
    """One way to log in: an authenticator with an injected clock, and who may log in."""

    authenticator: DatabaseAuthenticator
    clock: Clock
    user: str
    password: str
    others: list[str]  # more usernames, for the per-address limit
    checks: list[str] = field(default_factory=list)  # usernames whose password was checked


def cheap_store(path: Path) -> CredentialStore:
    return CredentialStore(path, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state folder: users ``demo`` and ``user0`` to ``user7``, and a workshop pool ``ws`` of 8
    users, all with PASSWORD (hashed cheaply: the tests guess many times)."""
    store = cheap_store(tmp_path / "users.json")
    for name in ["demo"] + [f"user{n}" for n in range(8)]:
        store.add(name, PASSWORD)
    PoolStore(tmp_path / "pools.json", credentials=store).create(
        "ws", size=8, expires=datetime.now(UTC) + timedelta(hours=1), profiles=load_profiles()
    )
    for n in range(1, 9):  # the handout's passwords, known to the test
        store.add(f"ws-{n:02d}", PASSWORD, replace=True)
    return tmp_path


def counting(path: LoginPath, monkeypatch: pytest.MonkeyPatch) -> LoginPath:
    """Record in ``path.checks`` every password check of the embedded store (argon2)."""
    verify = CredentialStore.verify

    def counted(store: CredentialStore, name: str, password: str) -> bool:
        path.checks.append(name)
        return bool(verify(store, name, password))

    monkeypatch.setattr(CredentialStore, "verify", counted)
    return path


def embedded_path(state: Path, monkeypatch: pytest.MonkeyPatch, **_: Any) -> LoginPath:
    clock = Clock()
    auth = EmbeddedAuthenticator(
        store_path=str(state / "users.json"),
        log=logging.getLogger(LOGGER),
        clock=clock,
        **LIMITS,
    )
    others = [f"user{n}" for n in range(8)]
    return counting(LoginPath(auth, clock, "demo", PASSWORD, others), monkeypatch)


def pool_path(state: Path, monkeypatch: pytest.MonkeyPatch, **_: Any) -> LoginPath:
    clock = Clock()
    auth = EmbeddedAuthenticator(
        store_path=str(state / "users.json"),
        pools_path=str(state / "pools.json"),
        log=logging.getLogger(LOGGER),
        clock=clock,
        **LIMITS,
    )
    others = [f"ws-{n:02d}" for n in range(2, 9)]
    return counting(LoginPath(auth, clock, "ws-01", PASSWORD, others), monkeypatch)


def postgres_authenticator(
    path: LoginPath, server: PostgresServer, **traits: Any
) -> PostgresAuthenticator:
    """A PostgreSQL authenticator of ``server`` that records in ``path.checks`` whom it asks."""

    async def connect(**kwargs: Any) -> Any:
        path.checks.append(kwargs["user"])
        return await psycopg.AsyncConnection.connect(**kwargs)

    return PostgresAuthenticator(
        db_host=server.host,
        db_port=server.port,
        db_name=server.dbname,
        connect_timeout=3,
        connect_function=connect,
        log=logging.getLogger(LOGGER),
        clock=path.clock,
        **LIMITS,
        **traits,
    )


def pool_on_postgres_path(
    state: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer
) -> LoginPath:
    """A pool user of a PostgreSQL hub: checked against the embedded store, never the server."""
    others = [f"ws-{n:02d}" for n in range(2, 9)]
    path = LoginPath(EmbeddedAuthenticator(), Clock(), "ws-01", PASSWORD, others)
    path.authenticator = postgres_authenticator(
        path, postgres_server, pools_path=str(state / "pools.json")
    )
    return counting(path, monkeypatch)


def postgres_path(
    state: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer
) -> LoginPath:
    user, password = postgres_server.user, postgres_server.password
    strangers = [f"nobody{n}" for n in range(8)]
    path = LoginPath(EmbeddedAuthenticator(), Clock(), user, password, strangers)
    path.authenticator = postgres_authenticator(path, postgres_server)
    return path


PATHS = [
    pytest.param(embedded_path, id="embedded"),
    pytest.param(pool_path, id="pool"),
    pytest.param(pool_on_postgres_path, id="pool-on-postgres"),
    pytest.param(postgres_path, id="postgres"),
]


@pytest.fixture(params=PATHS)
def login_path(
    request: pytest.FixtureRequest, state: Path, monkeypatch: pytest.MonkeyPatch
) -> LoginPath:
    make = request.param
    on_postgres = make in (postgres_path, pool_on_postgres_path)
    server = request.getfixturevalue("postgres_server") if on_postgres else None
    path: LoginPath = make(state, monkeypatch, postgres_server=server)
    return path


async def log_in(path: LoginPath, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    """The outcome of one login: the auth model, None, or the HTTP status and message."""
    data = {"username": username, "password": password}
    try:
        return await path.authenticator.authenticate(request_from(ip), data)
    except web.HTTPError as e:
        return e.status_code, getattr(e, "jupyterhub_message", "")


USER_THROTTLED = (429, "too many failed logins for this username; try again in 2 minutes")
ADDRESS_THROTTLED = (
    429,
    "too many failed logins from your network address; try again in 2 minutes",
)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # each step: (who, password, address, seconds to move the clock first)
        pytest.param(
            [("user", "wrong", "A", 0)] * 3 + [("user", "right", "A", 0)],
            USER_THROTTLED,
            id="wrong-wrong-wrong-then-right",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 3 + [("user", "right", "B", 0)],
            USER_THROTTLED,
            id="same-user-other-address",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 2 + [("user", "right", "A", 0)],
            "user",
            id="under-the-limit",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 3 + [("user", "right", "A", 119)],
            (429, "too many failed logins for this username; try again in 1 second"),
            id="one-second-before-the-end",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 3 + [("user", "right", "A", 120)],
            "user",
            id="after-the-cooldown",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 2 + [("user", "wrong", "A", 61)]
            + [("user", "right", "A", 0)],
            "user",
            id="failures-leave-the-window",
        ),
        pytest.param(
            [("user", "wrong", "A", 0)] * 2 + [("user", "right", "A", 0)]
            + [("user", "wrong", "A", 0)] * 2 + [("user", "right", "A", 0)],
            "user",
            id="a-success-clears-the-count",
        ),
        pytest.param(
            [(f"other{n}", "wrong", "A", 0) for n in range(5)] + [("user", "right", "A", 0)],
            ADDRESS_THROTTLED,
            id="many-usernames-one-address",
        ),
        pytest.param(
            [(f"other{n}", "wrong", "A", 0) for n in range(5)] + [("user", "right", "B", 0)],
            "user",
            id="many-usernames-other-address",
        ),
        pytest.param(
            [(f"other{n}", "wrong", "A", 0) for n in range(5)] + [("user", "right", "A", 120)],
            "user",
            id="address-after-the-cooldown",
        ),
        pytest.param(
            [("user", "", "A", 0)] * 3 + [("bad name", "wrong", "A", 0)] * 3
            + [("user", "right", "A", 0)],
            "user",
            id="malformed-forms-are-no-guesses",
        ),
    ],
)  # fmt: skip
async def test_every_login_path_is_throttled(
    login_path: LoginPath, steps: list[tuple[str, str, str, float]], expected: Any
) -> None:
    path = login_path
    addresses = {"A": "10.0.0.1", "B": "10.0.0.2"}
    outcome: Any = None
    for who, password, address, wait in steps:
        path.clock.now += wait
        if who == "user":
            username = path.user
        elif who.startswith("other"):
            username = path.others[int(who[5:])]
        else:
            username = who
        password = {"right": path.password, "wrong": "not-" + path.password}.get(password, "")
        outcome = await log_in(path, username, password, addresses[address])
    if expected == "user":
        assert outcome is not None and not isinstance(outcome, tuple), outcome
        assert outcome["name"] == path.user
    else:
        assert outcome == expected


async def test_a_throttled_login_checks_no_password(login_path: LoginPath) -> None:
    """The throttle answers before argon2 or the database is asked: a locked-out user costs
    the hub no CPU."""
    path = login_path
    for _ in range(3):
        assert await log_in(path, path.user, "not-it") is None
    checked = len(path.checks)
    assert checked == 3
    for _ in range(10):
        assert await log_in(path, path.user, path.password) == USER_THROTTLED
    assert len(path.checks) == checked


async def test_the_message_does_not_tell_who_exists(login_path: LoginPath) -> None:
    """An unknown username is throttled alike, with the same words."""
    path = login_path
    outcomes: dict[str, Any] = {}
    for username in (path.user, "no-such-user"):
        for _ in range(3):
            assert await log_in(path, username, "not-it", ip=f"10.1.0.{len(outcomes)}") is None
        outcomes[username] = await log_in(path, username, path.password, ip="10.9.9.9")
    assert outcomes[path.user] == outcomes["no-such-user"] == USER_THROTTLED


# --- OAuth ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuthProvider]:
    provider = start_provider(redirect_uri="http://127.0.0.1:1/hub/oauth_callback")
    yield provider
    provider.stop()


class CallbackHandler:
    """A stand-in for the hub's OAuth callback handler: what oauthenticator reads of it."""

    def __init__(self, code: str, ip: str) -> None:
        self.request = SimpleNamespace(remote_ip=ip, host="127.0.0.1:1", protocol="http")
        self.code = code

    def get_argument(self, name: str, default: str = "") -> str:
        return self.code if name == "code" else default

    def get_state_cookie(self) -> str:
        return str(_serialize_state({"state_id": "s", "code_verifier": "v" * 43}))


def oauth_authenticator(provider: OAuthProvider, tmp_path: Path, clock: Clock) -> Any:
    accounts = tmp_path / "db-accounts.yaml"
    accounts.write_text("accounts:\n  readonly:\n    user: r\n    password: unused-password\n")
    accounts.chmod(0o600)
    return SurveylabGenericOAuthenticator(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        authorize_url=provider.authorize_url,
        token_url=provider.token_url,
        userdata_url=provider.userinfo_url,
        oauth_callback_url=provider.redirect_uri,
        shared_accounts_path=str(accounts),
        allow_all=True,
        log=logging.getLogger(LOGGER),
        clock=clock,
        **LIMITS,
    )


async def test_oauth_rejected_codes_are_clear_and_throttle_the_address(
    provider: OAuthProvider, tmp_path: Path
) -> None:
    """A callback whose code the provider rejects is a 403 that says so; five of them from one
    address, and the next callback is refused before its code goes to the provider."""
    clock = Clock()
    auth = oauth_authenticator(provider, tmp_path, clock)
    for _ in range(5):
        with pytest.raises(web.HTTPError) as refused:
            await auth.get_authenticated_user(CallbackHandler("forged", "10.0.0.1"), None)
        assert refused.value.status_code == 403
        message = refused.value.jupyterhub_message  # type: ignore[attr-defined]
        assert message.startswith("the identity provider did not accept this login")
    asked = provider.token_requests
    with pytest.raises(web.HTTPError) as throttled:
        await auth.get_authenticated_user(CallbackHandler("another", "10.0.0.1"), None)
    message = throttled.value.jupyterhub_message  # type: ignore[attr-defined]
    assert (throttled.value.status_code, message) == ADDRESS_THROTTLED
    assert provider.token_requests == asked  # refused before the provider was asked
    # another address is not held up; this one may try again after the cooldown
    with pytest.raises(web.HTTPError) as other:
        await auth.get_authenticated_user(CallbackHandler("forged", "10.0.0.2"), None)
    assert other.value.status_code == 403
    clock.now += 120
    with pytest.raises(web.HTTPError) as later:
        await auth.get_authenticated_user(CallbackHandler("forged", "10.0.0.1"), None)
    assert later.value.status_code == 403


async def test_oauth_provider_down_is_503_and_no_failure(tmp_path: Path) -> None:
    down = OAuthProvider(client_id="c", client_secret="s", redirect_uri="http://127.0.0.1:1/cb")
    down.url = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens
    auth = oauth_authenticator(down, tmp_path, Clock())
    for _ in range(7):
        with pytest.raises(web.HTTPError) as refused:
            await auth.get_authenticated_user(CallbackHandler("code", "10.0.0.1"), None)
        assert refused.value.status_code == 503

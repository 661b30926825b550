"""The pool model and store: names, expiry parsing, create/extend/end/close, files and CSV."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, NoReturn

import pytest
from argon2 import PasswordHasher

import surveylab_hub.pools as pools_module
from surveylab_hub.pools import (
    MAX_POOL_SIZE,
    CreatedPool,
    InvalidPoolError,
    PoolClosedError,
    PoolError,
    PoolExistsError,
    PoolStore,
    UnknownPoolError,
    generate_password,
    parse_expires,
    pool_usernames,
    validate_pool_name,
)
from surveylab_hub.profiles import load_profiles
from surveylab_hub.store import CredentialStore, UserExistsError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
PROFILES = load_profiles()


class _ClockNotInjected(datetime):
    """The pools module's ``datetime`` in these tests: reading the real clock fails at once.

    Every call here passes ``now``. Code that read the clock instead would compare the real
    date with the fixed ``NOW``, and pass or fail depending on the day the tests run.
    """

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> NoReturn:
        raise AssertionError("surveylab_hub.pools read the real clock; pass now= in the test")


@pytest.fixture(autouse=True)
def injected_clock_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pools_module, "datetime", _ClockNotInjected)


@pytest.fixture
def pools(tmp_path: Path) -> PoolStore:
    state = tmp_path / "hub"
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    accounts = state / "db-accounts.yaml"
    state.mkdir()
    accounts.write_text("accounts:\n  readonly:\n    user: des_public\n    password: pw-1234567\n")
    accounts.chmod(0o600)
    return PoolStore(
        state / "pools.json", credentials=CredentialStore(state / "users.json", hasher=cheap)
    )


def create(pools: PoolStore, name: str = "ws", size: int = 3, **kwargs: Any) -> CreatedPool:
    """Create a pool at ``NOW``, expiring 6 h later unless ``expires`` says otherwise."""
    kwargs.setdefault("expires", NOW + timedelta(hours=6))
    return pools.create(
        name,
        size=size,
        profiles=PROFILES,
        accounts_path=pools.path.with_name("db-accounts.yaml"),
        now=NOW,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("ws", None, id="short"),
        pytest.param("des-school-2026", None, id="dashes-digits"),
        pytest.param("", "pool name '' must be lowercase", id="empty"),
        pytest.param("WS", "pool name 'WS' must be lowercase", id="uppercase"),
        pytest.param("-ws", "pool name '-ws' must be lowercase", id="leading-dash"),
        pytest.param("ws_1", "pool name 'ws_1' must be lowercase", id="underscore"),
        pytest.param("../ws", "pool name '../ws' must be lowercase", id="traversal"),
        pytest.param("w" * 33, "has 33 characters; at most 32", id="too-long"),
    ],
)
def test_pool_names(name: str, message: str | None) -> None:
    if message is None:
        assert validate_pool_name(name) == name
    else:
        with pytest.raises(InvalidPoolError, match=message.replace("(", r"\(")):
            validate_pool_name(name)


@pytest.mark.parametrize(
    ("size", "first", "last"),
    [
        (1, "ws-01", "ws-01"),
        (40, "ws-01", "ws-40"),
        (99, "ws-01", "ws-99"),
        (150, "ws-001", "ws-150"),
    ],
    ids=["one", "forty", "ninety-nine", "three-digits"],
)
def test_usernames_are_numbered(size: int, first: str, last: str) -> None:
    names = pool_usernames("ws", size)
    assert (len(names), names[0], names[-1]) == (size, first, last)


def test_passwords_are_random_and_readable() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 19 and password.count("-") == 3
        assert not set(password) & set("01lIoO")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, tzinfo=UTC), id="utc"),
        pytest.param("2026-12-01T18:00+01:00", datetime(2026, 12, 1, 17, tzinfo=UTC), id="offset"),
        pytest.param(
            "2026-12-01T18:00", datetime(2026, 12, 1, 17, tzinfo=UTC), id="naive-is-local-time"
        ),
        pytest.param("2026-12-01", datetime(2026, 11, 30, 23, tzinfo=UTC), id="date-only"),
        pytest.param("+90s", NOW + timedelta(seconds=90), id="seconds"),
        pytest.param("+3h", NOW + timedelta(hours=3), id="hours"),
        pytest.param(" +2d ", NOW + timedelta(days=2), id="days-blanks"),
        pytest.param("+1.5h", NOW + timedelta(minutes=90), id="fraction"),
    ],
)
def test_parse_expires(text: str, expected: datetime) -> None:
    assert parse_expires(text, now=NOW, local=CET) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("2026-11-22T11:00Z", "2026-11-22 11:00 UTC, which has passed", id="past"),
        pytest.param("+0s", "which has passed", id="now"),
        pytest.param("2028-01-01T00:00Z", "more than 366 days ahead", id="too-far"),
        pytest.param("next friday", "is not a time; use e.g. 2026-12-01T18:00", id="words"),
        pytest.param("+3 weeks", "is not a time", id="unknown-unit"),
        pytest.param("", "is not a time", id="empty"),
    ],
)
def test_parse_expires_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidPoolError, match=message):
        parse_expires(text, now=NOW, local=CET)


def test_create_stores_users_and_pool_but_no_password(pools: PoolStore) -> None:
    created = create(pools, seats=2, profile="medium", db_account="readonly", home="remove")
    pool = created.pool
    assert (pool.name, pool.size, pool.seats, pool.profile) == ("ws", 3, 2, "medium")
    assert (pool.db_account, pool.home, pool.users) == (
        "readonly",
        "remove",
        ("ws-01", "ws-02", "ws-03"),
    )
    assert pools.get("ws") == pool
    assert pools.pool_of("ws-02") == pool
    assert pools.pool_of("demo") is None
    for login in created.logins:
        assert pools.credentials.verify(login.username, login.password)
        assert login.password not in repr(login)
        assert login.password not in pools.path.read_text()
    assert stat.S_IMODE(pools.path.stat().st_mode) == 0o600
    assert json.loads(pools.path.read_text())["format"] == "surveylab-pools"
    rows = list(csv.DictReader(io.StringIO(created.csv_text())))
    assert [(r["username"], r["password"]) for r in rows] == [
        (login.username, login.password) for login in created.logins
    ]
    assert {r["expires_utc"] for r in rows} == {"2026-11-22T18:00+00:00"}


def test_create_defaults(pools: PoolStore) -> None:
    pool = create(pools, size=5).pool
    assert (pool.seats, pool.profile, pool.db_account, pool.home) == (5, "small", None, "archive")
    assert pool.status(NOW) == "active"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"size": 0}, InvalidPoolError, "--size 0 is out of range", id="empty"),
        pytest.param({"size": MAX_POOL_SIZE + 1}, InvalidPoolError, "1 to 200 users", id="too-big"),
        pytest.param({"seats": 0}, InvalidPoolError, "--seats 0 is out of range", id="no-seats"),
        pytest.param({"seats": 4}, InvalidPoolError, "1 to the size \\(3\\)", id="seats-over"),
        pytest.param({"expires": NOW}, InvalidPoolError, "has passed", id="expired"),
        pytest.param(
            {"profile": "huge"}, InvalidPoolError, "'huge' is not a lab profile", id="profile"
        ),
        pytest.param(
            {"db_account": "admin"},
            InvalidPoolError,
            "'admin' is not a shared database account in .* \\(known: readonly\\)",
            id="account",
        ),
        pytest.param({"home": "keep"}, InvalidPoolError, "--home 'keep'", id="home"),
        pytest.param({"name": "Bad Name"}, InvalidPoolError, "pool name", id="name"),
    ],
)
def test_create_refuses_bad_settings(
    pools: PoolStore, kwargs: dict[str, Any], error: type[PoolError], message: str
) -> None:
    name = str(kwargs.pop("name", "ws"))
    size = int(kwargs.pop("size", 3))
    with pytest.raises(error, match=message):
        create(pools, name, size, **kwargs)
    assert pools.pools() == []
    assert pools.credentials.names() == []


def test_create_refuses_taken_names_and_keeps_everything(pools: PoolStore) -> None:
    create(pools)
    with pytest.raises(PoolExistsError, match="pool 'ws' exists already \\(active\\)"):
        create(pools)
    pools.credentials.add("lab-02", "somebody's password")
    with pytest.raises(PoolExistsError, match="would create users that exist already: lab-02"):
        create(pools, "lab")
    assert [pool.name for pool in pools.pools()] == ["ws"]
    assert pools.credentials.names() == ["lab-02", "ws-01", "ws-02", "ws-03"]


def test_a_failing_handout_creates_nothing(pools: PoolStore) -> None:
    def disk_full(_: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        create(pools, handout=disk_full)
    assert pools.pools() == []
    assert pools.credentials.names() == []


def test_lifecycle_extend_end_ending_closed(pools: PoolStore) -> None:
    create(pools, "ws")
    create(pools, "early", expires=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    assert pools.get("early").status(later) == "expired"
    assert (
        pools.get("early").refusal(later)
        == "the workshop pool 'early' ended at 2026-11-22 13:00 UTC"
    )
    assert pools.get("ws").refusal(later) is None
    # The expired pool can still be extended until the service picks it up ...
    assert pools.extend("early", NOW + timedelta(hours=3), now=later).status(later) == "active"
    # ... and is marked ended when it does, so that it can no longer be.
    assert pools.ending(now=NOW + timedelta(hours=4)) == [pools.get("early")]
    with pytest.raises(PoolClosedError, match="pool 'early' was ended at 2026-11-22 15:00 UTC"):
        pools.extend("early", NOW + timedelta(days=1), now=NOW + timedelta(hours=4))
    ended = pools.end("ws", now=later)
    assert (ended.status(later), ended.end_time) == ("ending", later)
    assert pools.end("ws", now=later + timedelta(hours=1)) == ended  # idempotent
    assert [pool.name for pool in pools.ending(now=later)] == ["early", "ws"]
    closed = pools.mark_closed("ws", now=later)
    assert closed.status(later) == "closed"
    assert closed.refusal(later) == "the workshop pool 'ws' ended at 2026-11-22 14:00 UTC"
    assert [pool.name for pool in pools.ending(now=later)] == ["early"]
    assert pools.pool_of("ws-01") == closed  # still known, for the login message


def test_unknown_pools_name_the_known_ones(pools: PoolStore) -> None:
    create(pools)
    calls: tuple[Callable[[], object], ...] = (
        lambda: pools.get("x"),
        lambda: pools.end("x", now=NOW),
        lambda: pools.extend("x", NOW + timedelta(hours=1), now=NOW),
    )
    for call in calls:
        with pytest.raises(UnknownPoolError, match="no pool 'x' \\(pools: ws\\)"):
            call()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{", "is not valid JSON", id="json"),
        pytest.param('{"format": "other"}', "is not a surveylab pool file", id="format"),
        pytest.param('{"format": "surveylab-pools", "version": 9}', "has version 9", id="version"),
        pytest.param(
            '{"format": "surveylab-pools", "version": 1, "pools": {"ws": {"size": 3}}}',
            "the entry of pool 'ws' is malformed",
            id="entry",
        ),
    ],
)
def test_a_damaged_file_is_reported(pools: PoolStore, text: str, message: str) -> None:
    pools.path.write_text(text)
    with pytest.raises(PoolError, match=message):
        pools.pool_of("ws-01")


def test_add_many_is_all_or_nothing(pools: PoolStore) -> None:
    store = pools.credentials
    store.add("b", "password-b")
    with pytest.raises(UserExistsError, match=r"users already in .*: b"):
        store.add_many({"a": "password-a", "b": "password-b2"})
    assert store.names() == ["b"]
    store.add_many({"a": "password-a", "c": "password-c"})
    assert store.discard_many(["a", "c", "zz"]) == ["a", "c"]
    assert store.names() == ["b"]

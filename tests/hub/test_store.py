"""The embedded credential store: naming rule, hashing, private atomic file, demo user."""

from __future__ import annotations

import json
import os
import stat
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from surveylab_hub import store as store_module
from surveylab_hub.store import (
    CredentialStore,
    InvalidUsernameError,
    StoreFormatError,
    UnknownUserError,
    UserExistsError,
    WeakPasswordError,
    validate_username,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """Real argon2id at minimal cost, for tests that hash many times."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(tmp_path: Path, fast_hasher: PasswordHasher) -> CredentialStore:
    return CredentialStore(tmp_path / "state" / "users.json", hasher=fast_hasher)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("demo", id="plain"),
        pytest.param("a", id="one-char"),
        pytest.param("x" * 64, id="64-chars"),
        pytest.param("alice.smith", id="dot-inside"),
        pytest.param("user_1", id="underscore-digit"),
        pytest.param("0day", id="digit-first"),
        pytest.param("-dash", id="dash-first"),
        pytest.param("_under", id="underscore-first"),
        pytest.param("a.", id="dot-last"),
    ],
)
def test_valid_usernames_are_accepted(name: str) -> None:
    assert validate_username(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("", "must not be empty", id="empty"),
        pytest.param("x" * 65, "65 characters long; at most 64", id="65-chars"),
        pytest.param("user@otherdb", "contains '@'", id="at-database"),
        pytest.param("a/b", "contains '/'", id="slash"),
        pytest.param("../etc", "contains '/'", id="traversal"),
        pytest.param("o'brien", 'contains "\'"', id="single-quote"),
        pytest.param('say"hi', "contains '\"'", id="double-quote"),
        pytest.param("two words", "contains ' '", id="space"),
        pytest.param("tab\there", "contains '\\t'", id="tab"),
        pytest.param("line\nbreak", "contains '\\n'", id="newline"),
        pytest.param("a;drop", "contains ';'", id="semicolon"),
        pytest.param("élan", "contains 'é'", id="non-ascii"),
        pytest.param("Alice", "uppercase letters; use 'alice'", id="uppercase"),
        pytest.param(".hidden", "must not start with '.'", id="dot-first"),
        pytest.param("..", "must not start with '.'", id="dot-dot"),
    ],
)
def test_invalid_usernames_name_the_problem(name: str, message: str) -> None:
    with pytest.raises(InvalidUsernameError) as excinfo:
        validate_username(name)
    assert message in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(
    ("name", "password", "expected"),
    [
        pytest.param("alice", PASSWORD, True, id="right"),
        pytest.param("alice", PASSWORD + "!", False, id="wrong"),
        pytest.param("alice", PASSWORD.upper(), False, id="wrong-case"),
        pytest.param("alice", "", False, id="empty"),
        pytest.param("bob", PASSWORD, False, id="unknown-user"),
        pytest.param("Alice", PASSWORD, False, id="name-is-exact"),
        pytest.param("user@otherdb", PASSWORD, False, id="invalid-name"),
    ],
)
def test_verify(store: CredentialStore, name: str, password: str, expected: bool) -> None:
    store.add("alice", PASSWORD)
    assert store.verify(name, password) is expected


def test_default_hasher_stores_argon2id_not_the_password(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "users.json")
    store.add("alice", PASSWORD)
    text = (tmp_path / "users.json").read_text()
    assert PASSWORD not in text
    assert json.loads(text)["users"]["alice"]["hash"].startswith("$argon2id$")
    assert store.verify("alice", PASSWORD)


def test_unknown_user_costs_a_hash_like_a_known_one(tmp_path: Path) -> None:
    """No timing oracle: an unknown name is checked against a dummy hash."""
    store = CredentialStore(tmp_path / "users.json")
    store.add("alice", PASSWORD)

    def median_seconds(name: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert not store.verify(name, "wrong password")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    store.verify("nobody", "warm up")  # the dummy hash is made once, on the first call
    known, unknown = median_seconds("alice"), median_seconds("nobody")
    assert unknown > 0.25 * known, (known, unknown)  # without the dummy: ~0.001


def test_file_and_folder_are_private(store: CredentialStore) -> None:
    store.add("alice", PASSWORD)
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    store.add("bob", PASSWORD)
    store.remove("alice")
    assert mode(store.path) == 0o600


def test_writes_replace_the_file_and_leave_no_temporary_files(store: CredentialStore) -> None:
    store.add("alice", PASSWORD)
    first = store.path.stat().st_ino
    store.add("bob", PASSWORD)
    assert store.path.stat().st_ino != first  # a new file, renamed over the old one
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["users.json", "users.json.lock"]


def test_readers_never_see_a_partial_file(store: CredentialStore) -> None:
    store.add("seed", PASSWORD)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[Exception] = []

    def read_forever() -> None:
        while not stop.is_set():
            try:
                seen.append(len(json.loads(store.path.read_bytes())["users"]))
            except Exception as e:
                errors.append(e)

    reader = threading.Thread(target=read_forever)
    reader.start()
    try:
        for i in range(30):
            store.add(f"user{i}", PASSWORD)
    finally:
        stop.set()
        reader.join()
    assert not errors
    assert len(seen) > 30  # the reader ran all along
    assert seen == sorted(seen)
    assert store.names() == sorted(["seed", *(f"user{i}" for i in range(30))])


def test_a_failed_write_keeps_the_old_file(
    store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add("alice", PASSWORD)
    before = store.path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.add("bob", PASSWORD)
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert store.names() == ["alice"]
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_adds_all_land(store: CredentialStore) -> None:
    names = [f"user{i}" for i in range(8)]
    threads = [threading.Thread(target=store.add, args=(name, PASSWORD)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.names() == sorted(names)


def test_names_records_and_membership(store: CredentialStore) -> None:
    assert store.names() == []
    before = datetime.now(UTC) - timedelta(seconds=2)
    store.add("bob", PASSWORD)
    store.add("alice", PASSWORD)
    assert store.names() == ["alice", "bob"]
    assert [r.name for r in store.records()] == ["alice", "bob"]
    assert all(before <= r.created <= datetime.now(UTC) for r in store.records())
    assert "alice" in store
    assert "carol" not in store


def test_add_refuses_duplicates_unless_replacing(store: CredentialStore) -> None:
    store.add("alice", PASSWORD)
    with pytest.raises(UserExistsError, match="'alice' already exists"):
        store.add("alice", "another password")
    assert store.verify("alice", PASSWORD)
    store.add("alice", "another password", replace=True)
    assert store.verify("alice", "another password")
    assert not store.verify("alice", PASSWORD)


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        pytest.param("user@otherdb", PASSWORD, InvalidUsernameError, id="bad-name"),
        pytest.param("alice", "short", WeakPasswordError, id="short-password"),
        pytest.param("alice", "", WeakPasswordError, id="empty-password"),
    ],
)
def test_add_rejects_bad_input(
    store: CredentialStore, name: str, password: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store.add(name, password)
    assert not store.path.exists()


def test_remove(store: CredentialStore) -> None:
    store.add("alice", PASSWORD)
    store.add("bob", PASSWORD)
    store.remove("alice")
    assert store.names() == ["bob"]
    assert not store.verify("alice", PASSWORD)
    with pytest.raises(UnknownUserError, match="no user 'alice'"):
        store.remove("alice")


def test_ensure_demo_user_creates_it_once(store: CredentialStore) -> None:
    password = store.ensure_demo_user()
    assert password is not None and len(password) >= 16
    assert store.verify("demo", password)
    login_file = store.path.with_name("demo-login.txt")
    assert mode(login_file) == 0o600
    assert login_file.read_text() == f"username: demo\npassword: {password}\n"
    login = store.demo_login()
    assert login is not None and (login.name, login.password) == ("demo", password)

    assert store.ensure_demo_user() is None  # already there: unchanged
    assert store.verify("demo", password)


def test_demo_login_file_follows_the_demo_user(store: CredentialStore) -> None:
    store.ensure_demo_user("guest")
    store.add("guest", "a new password", replace=True)
    assert store.demo_login() is None  # the old password is no longer true
    store.ensure_demo_user("visitor")
    store.remove("visitor")
    assert store.demo_login() is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b"[]", "not a surveylab credential store", id="not-an-object"),
        pytest.param(b'{"users": {}}', "not a surveylab credential store", id="no-format"),
        pytest.param(
            b'{"format": "surveylab-credentials", "version": 2, "users": {}}',
            "has version 2",
            id="newer-version",
        ),
        pytest.param(
            b'{"format": "surveylab-credentials", "version": 1, "users": {"a": "x"}}',
            "entry of user 'a' is malformed",
            id="bad-entry",
        ),
    ],
)
def test_unreadable_store_names_the_file(
    store: CredentialStore, content: bytes, message: str
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    with pytest.raises(StoreFormatError, match=message) as excinfo:
        store.verify("alice", PASSWORD)
    assert str(store.path) in str(excinfo.value)


def test_missing_file_is_an_empty_store(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "nowhere" / "users.json")
    assert store.names() == []
    assert not store.verify("alice", PASSWORD)
    assert not (tmp_path / "nowhere").exists()


def test_corrupt_hash_fails_closed(store: CredentialStore) -> None:
    store.add("alice", PASSWORD)
    document = json.loads(store.path.read_text())
    document["users"]["alice"]["hash"] = "plain text"
    store.path.write_text(json.dumps(document))
    assert not store.verify("alice", PASSWORD)
    assert not store.verify("alice", "plain text")


def test_umask_does_not_widen_modes(store: CredentialStore) -> None:
    old = os.umask(0)
    try:
        store.add("alice", PASSWORD)
        store.ensure_demo_user()
    finally:
        os.umask(old)
    assert mode(store.path) == 0o600
    assert mode(store.demo_login_path) == 0o600
    assert mode(store.path.with_name("users.json.lock")) == 0o600

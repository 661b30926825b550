"""An embedded credential store: one JSON file of argon2id password hashes.

Pure Python, no jupyterhub: the hub's :class:`~surveylab_hub.authenticator.EmbeddedAuthenticator`
reads the file at every login and ``surveylab hub users`` edits it, so a user added while the hub
runs can log in at once. The file is private (mode 0600) and every write replaces it atomically.

Its layout::

    {"format": "surveylab-credentials", "version": 1,
     "users": {"alice": {"hash": "$argon2id$v=19$...", "created": "2026-11-21T23:30:00+00:00"}}}
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "DEMO_LOGIN_FILENAME",
    "MAX_USERNAME_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "CredentialStore",
    "DemoLogin",
    "InvalidUsernameError",
    "StoreError",
    "StoreFormatError",
    "UnknownUserError",
    "UserExistsError",
    "UserRecord",
    "WeakPasswordError",
    "locked_file",
    "make_private_dir",
    "validate_username",
    "write_private",
]

log = logging.getLogger(__name__)

MAX_USERNAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 8
DEMO_LOGIN_FILENAME = "demo-login.txt"

_FORMAT = "surveylab-credentials"
_VERSION = 1
_ALLOWED_CHARS = re.compile(r"[a-z0-9_.-]")


class StoreError(ValueError):
    """Base class of the errors of the credential store; the message says what to fix."""


class InvalidUsernameError(StoreError):
    """A username breaks the naming rule of :func:`validate_username`."""


class WeakPasswordError(StoreError):
    """A password is too short to be stored."""


class UserExistsError(StoreError):
    """``add`` was asked to create a user that already exists."""


class UnknownUserError(StoreError):
    """The named user is not in the store."""


class StoreFormatError(StoreError):
    """The store file is not a credential store this version can read."""


def validate_username(name: str) -> str:
    """Return ``name`` if it is a valid username, else raise :class:`InvalidUsernameError`.

    A username has 1 to 64 characters, all lowercase ASCII letters, digits, ``_``, ``-`` or ``.``,
    and does not start with ``.``. It becomes a URL path segment (``/user/<name>/``) and a folder
    name, so nothing else is accepted.

    Examples
    --------
    >>> validate_username("alice.smith")
    'alice.smith'
    >>> validate_username("user@otherdb")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surveylab_hub.store.InvalidUsernameError: username 'user@otherdb' contains '@'; only ...
    """
    if not name:
        raise InvalidUsernameError("username must not be empty")
    if len(name) > MAX_USERNAME_LENGTH:
        raise InvalidUsernameError(
            f"username is {len(name)} characters long; at most {MAX_USERNAME_LENGTH} are allowed"
        )
    bad = sorted({ch for ch in name if not _ALLOWED_CHARS.fullmatch(ch)})
    if bad:
        if all(ch.isupper() for ch in bad) and name.lower().isascii():
            raise InvalidUsernameError(
                f"username {name!r} has uppercase letters; use {name.lower()!r}"
            )
        shown = ", ".join(repr(ch) for ch in bad)
        raise InvalidUsernameError(
            f"username {name!r} contains {shown}; only lowercase letters, digits, "
            "'_', '-' and '.' are allowed"
        )
    if name.startswith("."):
        raise InvalidUsernameError(f"username {name!r} must not start with '.'")
    return name


@dataclass(frozen=True)
class UserRecord:
    """One user of the store: the name and when it was added (UTC)."""

    name: str
    created: datetime


@dataclass(frozen=True)
class DemoLogin:
    """The demo account written to ``demo-login.txt`` for ``make demo`` to print."""

    name: str
    password: str


class CredentialStore:
    """Username → argon2id hash, kept in one private JSON file.

    Parameters
    ----------
    path
        The JSON file. Its folder is the hub's state folder, which also holds
        ``demo-login.txt``. Neither needs to exist yet.
    hasher
        The argon2 hasher; the default is argon2-cffi's (argon2id, RFC 9106 low-memory profile).
        Hashes made with other parameters still verify.
    """

    def __init__(self, path: str | os.PathLike[str], *, hasher: PasswordHasher | None = None):
        self._path = Path(path)
        self._hasher = hasher or PasswordHasher()

    def __repr__(self) -> str:
        return f"CredentialStore({str(self._path)!r})"

    @property
    def path(self) -> Path:
        """The JSON file of the store."""
        return self._path

    @property
    def demo_login_path(self) -> Path:
        """``demo-login.txt`` next to the store: the demo account's name and password."""
        return self._path.with_name(DEMO_LOGIN_FILENAME)

    # -- reading -------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The usernames in the store, sorted."""
        return sorted(self._read())

    def records(self) -> list[UserRecord]:
        """Every user with its creation time, sorted by name."""
        return [
            UserRecord(name, datetime.fromisoformat(entry["created"]))
            for name, entry in sorted(self._read().items())
        ]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._read()

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is the password of user ``name``.

        An unknown or invalid name is checked against a dummy hash, so that the time taken
        does not tell which usernames exist.
        """
        dummy = self._dummy_hash  # made once, on the first call, whoever asks
        entry = self._read().get(name)
        stored = entry["hash"] if entry else dummy
        try:
            matched = self._hasher.verify(stored, password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            log.warning("The stored hash of user %r in %s cannot be checked", name, self._path)
            return False
        return bool(matched) and entry is not None

    def demo_login(self) -> DemoLogin | None:
        """The demo account written by :meth:`ensure_demo_user`, if its file is there."""
        try:
            text = self.demo_login_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        if "username" not in fields or "password" not in fields:
            return None
        return DemoLogin(fields["username"], fields["password"])

    # -- writing -------------------------------------------------------------------------------

    def add(self, name: str, password: str, *, replace: bool = False) -> None:
        """Add user ``name`` with ``password``; with ``replace``, change an existing password.

        Raises
        ------
        InvalidUsernameError
            ``name`` breaks the naming rule.
        WeakPasswordError
            ``password`` is shorter than :data:`MIN_PASSWORD_LENGTH`.
        UserExistsError
            The user exists and ``replace`` is false.
        """
        validate_username(name)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPasswordError(
                f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
            )
        entry = {"hash": self._hasher.hash(password), "created": _now()}
        with self._locked():
            users = self._read()
            if name in users and not replace:
                raise UserExistsError(f"user {name!r} already exists in {self._path}")
            users[name] = entry
            self._write(users)
            self._forget_demo_login(name)

    def add_many(self, logins: Mapping[str, str]) -> None:
        """Add every user of ``logins`` (name → password) in one write, or none of them.

        Raises
        ------
        InvalidUsernameError, WeakPasswordError
            A name or password breaks the rules of :meth:`add`; nothing is written.
        UserExistsError
            One of the users exists already; nothing is written.
        """
        for name, password in logins.items():
            validate_username(name)
            if len(password) < MIN_PASSWORD_LENGTH:
                raise WeakPasswordError(
                    f"the password of {name!r} must have at least {MIN_PASSWORD_LENGTH} characters"
                )
        entries = {
            name: {"hash": self._hasher.hash(password), "created": _now()}
            for name, password in logins.items()
        }
        with self._locked():
            users = self._read()
            taken = sorted(set(entries) & set(users))
            if taken:
                raise UserExistsError(f"users already in {self._path}: {', '.join(taken)}")
            users.update(entries)
            self._write(users)

    def discard_many(self, names: Iterable[str]) -> list[str]:
        """Remove those of ``names`` that are in the store, in one write; the names removed."""
        with self._locked():
            users = self._read()
            removed = sorted(set(names) & set(users))
            if removed:
                for name in removed:
                    del users[name]
                self._write(users)
        return removed

    def remove(self, name: str) -> None:
        """Remove user ``name``; raise :class:`UnknownUserError` if it is not there."""
        with self._locked():
            users = self._read()
            if name not in users:
                raise UnknownUserError(f"no user {name!r} in {self._path}")
            del users[name]
            self._write(users)
            self._forget_demo_login(name)

    def ensure_demo_user(self, name: str = "demo") -> str | None:
        """Create the demo user with a random password if it is absent.

        The name and password go to ``demo-login.txt`` (mode 0600) next to the store, for
        ``make demo`` to print. Returns the new password, or None if the user already existed.
        """
        validate_username(name)
        if name in self:
            return None
        password = secrets.token_urlsafe(12)
        entry = {"hash": self._hasher.hash(password), "created": _now()}
        with self._locked():
            users = self._read()
            if name in users:
                return None
            users[name] = entry
            self._write(users)
            write_private(self.demo_login_path, f"username: {name}\npassword: {password}\n")
        return password

    # -- internals -----------------------------------------------------------------------------

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data: Any = json.loads(raw)
        except ValueError as e:
            raise StoreFormatError(f"{self._path} is not valid JSON: {e}") from None
        if (
            not isinstance(data, dict)
            or data.get("format") != _FORMAT
            or not isinstance(data.get("users"), dict)
        ):
            raise StoreFormatError(f"{self._path} is not a surveylab credential store")
        if data.get("version") != _VERSION:
            raise StoreFormatError(
                f"{self._path} has version {data.get('version')!r}; this surveylab reads {_VERSION}"
            )
        users: dict[str, dict[str, str]] = data["users"]
        for name, entry in users.items():
            if not (isinstance(entry, dict) and {"hash", "created"} <= entry.keys()):
                raise StoreFormatError(f"{self._path}: the entry of user {name!r} is malformed")
        return users

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        document = {"format": _FORMAT, "version": _VERSION, "users": dict(sorted(users.items()))}
        write_private(self._path, json.dumps(document, indent=2) + "\n")

    def _forget_demo_login(self, name: str) -> None:
        login = self.demo_login()
        if login is not None and login.name == name:
            self.demo_login_path.unlink(missing_ok=True)

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """Serialise read-modify-write cycles between processes with a lock file."""
        return locked_file(self._path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def locked_file(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (made 0600) while the block runs.

    It serialises read-modify-write cycles of ``path`` between threads and processes; the
    file itself is then replaced with :func:`write_private`.
    """
    make_private_dir(path.parent)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Make folder ``path`` (and its parents) with mode 0700 if it does not exist."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600: a temporary file, fsync, then ``os.replace``."""
    make_private_dir(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)  # os.replace: atomic within one file system
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

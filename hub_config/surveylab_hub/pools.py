"""Workshop pools: numbered accounts that exist for one event and are removed when it ends.

``surveylab pool create ws --size 40 --expires 2026-12-01T18:00`` makes the users ``ws-01`` …
``ws-40`` with random passwords in the embedded credential store (``users.json``) and records
the pool in ``pools.json`` next to it. Pure Python, no jupyterhub: the CLI writes these files,
the hub's authenticator and spawners read them at every login and spawn, and the pool service
(:mod:`surveylab_hub.pool_service`) removes the accounts once the pool has ended.

``pools.json`` is private (0600) and replaced atomically under a lock, like ``users.json``. It
holds no password and no database credential, only the names::

    {"format": "surveylab-pools", "version": 1, "pools": {"ws": {
        "size": 40, "seats": 40, "expires": "2026-12-01T17:00:00+00:00", "profile": "small",
        "db_account": "readonly", "home": "archive", "created": "...",
        "users": ["ws-01", ...], "ended": null, "closed": null}}}

A pool is *active* until it expires or an admin ends it; then it is *ending* until the service
has stopped its labs and removed its users, and *closed* after.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from surveylab.accounts import load_shared_accounts
from surveylab_hub.store import (
    CredentialStore,
    StoreError,
    locked_file,
    validate_username,
    write_private,
)

if TYPE_CHECKING:
    from surveylab_hub.profile_models import Profiles

__all__ = [
    "HOME_POLICIES",
    "MAX_POOL_LIFETIME",
    "MAX_POOL_NAME_LENGTH",
    "MAX_POOL_SIZE",
    "WORKSHOP_GROUP",
    "CreatedPool",
    "InvalidPoolError",
    "Pool",
    "PoolClosedError",
    "PoolError",
    "PoolExistsError",
    "PoolLogin",
    "PoolStatus",
    "PoolStore",
    "UnknownPoolError",
    "format_time",
    "generate_password",
    "parse_expires",
    "pool_store",
    "pool_usernames",
    "validate_pool_name",
]

#: The hub group of every workshop pool user (their login gives it); roles.yaml grants it a role.
WORKSHOP_GROUP = "workshop"
#: The most accounts one pool may have; a bigger event uses several pools.
MAX_POOL_SIZE = 200
#: Pool names are short so that ``<pool>-NNN`` stays a readable username.
MAX_POOL_NAME_LENGTH = 32
#: How far ahead a pool may expire: workshop accounts are not permanent accounts.
MAX_POOL_LIFETIME = timedelta(days=366)
#: What happens to a pool user's home when the pool closes.
HOME_POLICIES = ("archive", "remove")

PoolStatus = Literal["active", "expired", "ending", "closed"]

_FORMAT = "surveylab-pools"
_VERSION = 1
_POOL_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_RELATIVE = re.compile(r"\+\s*(\d+(?:\.\d*)?)\s*(s|m|min|h|d)", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
# No 0/O, 1/l/I: passwords are read off a sheet of paper.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


class PoolError(StoreError):
    """Base class of the pool errors; the message says what to fix."""


class InvalidPoolError(PoolError):
    """A pool setting (name, size, seats, expiry, profile, account, home policy) is wrong."""


class PoolExistsError(PoolError):
    """A pool of that name, or one of its usernames, exists already."""


class UnknownPoolError(PoolError):
    """No pool of that name."""


class PoolClosedError(PoolError):
    """The pool has ended; it can no longer be extended."""


def format_time(when: datetime) -> str:
    """``2026-12-01 17:00 UTC``: how messages show a time."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def validate_pool_name(name: str) -> str:
    """Return ``name`` if it is a valid pool name, else raise :class:`InvalidPoolError`.

    A pool name has 1 to 32 lowercase letters, digits and inner ``-``; it starts the pool's
    usernames (``ws`` → ``ws-01``).

    >>> validate_pool_name("des-school-2026")
    'des-school-2026'
    """
    if not _POOL_NAME.fullmatch(name or ""):
        raise InvalidPoolError(
            f"pool name {name!r} must be lowercase letters, digits and '-' "
            "(not first or last), e.g. des-school"
        )
    if len(name) > MAX_POOL_NAME_LENGTH:
        raise InvalidPoolError(
            f"pool name {name!r} has {len(name)} characters; at most {MAX_POOL_NAME_LENGTH}"
        )
    return name


def pool_usernames(name: str, size: int) -> list[str]:
    """The usernames of pool ``name``: ``name-01`` … (three digits from 100 users on).

    >>> pool_usernames("ws", 3)
    ['ws-01', 'ws-02', 'ws-03']
    """
    width = max(2, len(str(size)))
    return [validate_username(f"{name}-{number:0{width}d}") for number in range(1, size + 1)]


def generate_password() -> str:
    """A random password of four groups of four easily read characters (80 bits)."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def parse_expires(
    text: str, *, now: datetime | None = None, local: tzinfo | None = None
) -> datetime:
    """When a pool expires, as an aware UTC datetime, from ``--expires``.

    Accepted: an ISO time with an offset (``2026-12-01T18:00+01:00``, ``...Z``); an ISO time
    without one, read in the local time zone of the machine (``local``, default: the system's,
    as ``date`` shows it); or ``+DURATION`` from now (``+90s``, ``+90m``, ``+3h``, ``+2d``).
    The time must lie in the future and at most :data:`MAX_POOL_LIFETIME` ahead.
    """
    now = now or datetime.now(UTC)
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        when = now + timedelta(seconds=float(relative[1]) * _UNITS[relative[2].lower()])
    else:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidPoolError(
                f"--expires {text!r} is not a time; use e.g. 2026-12-01T18:00 (local time), "
                "2026-12-01T17:00Z, or +3h / +2d from now"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=local) if local else parsed.astimezone()
        when = parsed
    when = when.astimezone(UTC)
    if when <= now:
        raise InvalidPoolError(
            f"--expires {text!r} is {format_time(when)}, which has passed; give a future time"
        )
    if when - now > MAX_POOL_LIFETIME:
        raise InvalidPoolError(
            f"--expires {text!r} is more than {MAX_POOL_LIFETIME.days} days ahead; "
            "workshop pools are for events, not permanent accounts"
        )
    return when


@dataclass(frozen=True)
class Pool:
    """One workshop pool, as recorded in ``pools.json``."""

    name: str
    size: int
    seats: int
    expires: datetime
    profile: str
    db_account: str | None
    home: Literal["archive", "remove"]
    created: datetime
    users: tuple[str, ...]
    ended: datetime | None = None
    closed: datetime | None = None

    def status(self, now: datetime | None = None) -> PoolStatus:
        """``active``, ``expired`` (not yet picked up by the service), ``ending`` or ``closed``."""
        if self.closed is not None:
            return "closed"
        if self.ended is not None:
            return "ending"
        if (now or datetime.now(UTC)) >= self.expires:
            return "expired"
        return "active"

    def is_open(self, now: datetime | None = None) -> bool:
        """Whether its users may still log in and start labs."""
        return self.status(now) == "active"

    @property
    def end_time(self) -> datetime:
        """When it ended or ends: the earlier of its expiry and ``pool end``."""
        return min(self.expires, self.ended) if self.ended else self.expires

    def refusal(self, now: datetime | None = None) -> str | None:
        """Why its users may no longer log in or spawn (None while it is open)."""
        if self.is_open(now):
            return None
        return f"the workshop pool {self.name!r} ended at {format_time(self.end_time)}"

    def to_json(self) -> dict[str, Any]:
        """The pool's entry in ``pools.json`` (without its name, the key)."""
        return {
            "size": self.size,
            "seats": self.seats,
            "expires": self.expires.isoformat(),
            "profile": self.profile,
            "db_account": self.db_account,
            "home": self.home,
            "created": self.created.isoformat(),
            "users": list(self.users),
            "ended": self.ended.isoformat() if self.ended else None,
            "closed": self.closed.isoformat() if self.closed else None,
        }

    @classmethod
    def from_json(cls, name: str, entry: Mapping[str, Any]) -> Pool:
        """A pool from its entry in ``pools.json``; KeyError/ValueError/TypeError if malformed."""

        def when(key: str) -> datetime | None:
            value = entry.get(key)
            return datetime.fromisoformat(value).astimezone(UTC) if value else None

        home = entry["home"]
        if home not in HOME_POLICIES:
            raise ValueError(f"home {home!r}")
        return cls(
            name=name,
            size=int(entry["size"]),
            seats=int(entry["seats"]),
            expires=datetime.fromisoformat(entry["expires"]).astimezone(UTC),
            profile=str(entry["profile"]),
            db_account=entry.get("db_account"),
            home=home,
            created=datetime.fromisoformat(entry["created"]).astimezone(UTC),
            users=tuple(str(user) for user in entry["users"]),
            ended=when("ended"),
            closed=when("closed"),
        )


@dataclass(frozen=True)
class PoolLogin:
    """A username and its generated password, to hand out; the password stays out of reprs."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CreatedPool:
    """A new pool and its logins: the only time the passwords are known."""

    pool: Pool
    logins: tuple[PoolLogin, ...]

    def csv_text(self) -> str:
        """The handout: ``username,password,pool,expires_utc``, one row per user."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["username", "password", "pool", "expires_utc"])
        expires = self.pool.expires.isoformat(timespec="minutes")
        for login in self.logins:
            writer.writerow([login.username, login.password, self.pool.name, expires])
        return out.getvalue()


class PoolStore:
    """The pools of a hub, in ``pools.json``, with their users in the credential store.

    Parameters
    ----------
    path
        ``<state dir>/pools.json``; it need not exist yet.
    credentials
        The embedded credential store the pool users log in against (default: ``users.json``
        next to ``path``).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, credentials: CredentialStore | None = None
    ) -> None:
        self._path = Path(path)
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"PoolStore({str(self._path)!r})"

    @classmethod
    def in_state_dir(cls, state_dir: str | os.PathLike[str]) -> PoolStore:
        """The pool store of the hub whose state folder is ``state_dir``."""
        return cls(Path(state_dir) / "pools.json")

    @property
    def path(self) -> Path:
        """The JSON file of the pools."""
        return self._path

    @property
    def credentials(self) -> CredentialStore:
        """The credential store of the pool users."""
        if self._credentials is None:
            self._credentials = CredentialStore(self._path.with_name("users.json"))
        return self._credentials

    # -- reading -------------------------------------------------------------------------------

    def pools(self) -> list[Pool]:
        """Every pool, sorted by name (closed ones too)."""
        return [pool for _, pool in sorted(self._read().items())]

    def get(self, name: str) -> Pool:
        """The pool ``name``; :class:`UnknownPoolError` if there is none."""
        pools = self._read()
        if name not in pools:
            known = ", ".join(sorted(pools)) or "none"
            raise UnknownPoolError(f"no pool {name!r} (pools: {known})")
        return pools[name]

    def pool_of(self, username: str) -> Pool | None:
        """The pool user ``username`` belongs (or belonged) to, or None for other users."""
        for pool in self._read().values():
            if username in pool.users:
                return pool
        return None

    # -- writing -------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        size: int,
        expires: datetime,
        profiles: Profiles,
        seats: int | None = None,
        profile: str | None = None,
        db_account: str | None = None,
        accounts_path: str | os.PathLike[str] | None = None,
        home: str = "archive",
        now: datetime | None = None,
        handout: Callable[[CreatedPool], None] | None = None,
    ) -> CreatedPool:
        """Create pool ``name`` with ``size`` users and random passwords.

        ``profile`` (default: the profiles file's default) must be a profile of ``profiles``,
        and ``db_account`` an account of the shared accounts file at ``accounts_path``. Before
        anything is stored, ``handout`` receives the new pool and its logins (e.g. to write the
        CSV); if it raises, nothing is created. Then the pool goes to ``pools.json`` and its
        users to the credential store, all or nothing.

        Raises
        ------
        InvalidPoolError
            A bad name, size, seat count, expiry, profile, account or home policy.
        PoolExistsError
            The pool name is taken (closed pools keep theirs), or a username exists.
        """
        now = now or datetime.now(UTC)
        validate_pool_name(name)
        if isinstance(size, bool) or not 1 <= size <= MAX_POOL_SIZE:
            raise InvalidPoolError(
                f"--size {size} is out of range: a pool has 1 to {MAX_POOL_SIZE} users "
                "(split a bigger event into several pools)"
            )
        seats = size if seats is None else seats
        if not 1 <= seats <= size:
            raise InvalidPoolError(f"--seats {seats} is out of range: 1 to the size ({size})")
        if expires <= now:
            raise InvalidPoolError(f"the expiry {format_time(expires)} has passed")
        if home not in HOME_POLICIES:
            raise InvalidPoolError(f"--home {home!r}: choose one of {', '.join(HOME_POLICIES)}")
        slug = profile or profiles.default_profile.slug
        known_profiles = [p.slug for p in profiles.profiles]
        if slug not in known_profiles:
            raise InvalidPoolError(
                f"--profile {slug!r} is not a lab profile; "
                f"choose one of: {', '.join(known_profiles)}"
            )
        if db_account is not None:
            accounts = load_shared_accounts(accounts_path) if accounts_path else {}
            if db_account not in accounts:
                known = ", ".join(sorted(accounts)) or "none"
                raise InvalidPoolError(
                    f"--db-account {db_account!r} is not a shared database account in "
                    f"{accounts_path} (known: {known})"
                )
        usernames = pool_usernames(name, size)
        pool = Pool(
            name=name,
            size=size,
            seats=seats,
            expires=expires.astimezone(UTC),
            profile=slug,
            db_account=db_account,
            home=home,  # type: ignore[arg-type]  # checked against HOME_POLICIES above
            created=now.replace(microsecond=0),
            users=tuple(usernames),
        )
        created = CreatedPool(
            pool, tuple(PoolLogin(user, generate_password()) for user in usernames)
        )
        with locked_file(self._path):
            pools = self._read()
            if name in pools:
                state = pools[name].status(now)
                raise PoolExistsError(
                    f"pool {name!r} exists already ({state}); choose another name"
                )
            taken = sorted(set(usernames) & set(self.credentials.names()))
            if taken:
                raise PoolExistsError(
                    f"pool {name!r} would create users that exist already: {', '.join(taken)}; "
                    "choose another pool name"
                )
            if handout is not None:
                handout(created)
            self._write({**pools, name: pool})
            try:
                self.credentials.add_many(
                    {login.username: login.password for login in created.logins}
                )
            except BaseException:
                self._write(pools)
                raise
        return created

    def extend(self, name: str, expires: datetime, *, now: datetime | None = None) -> Pool:
        """Move the expiry of pool ``name`` to ``expires``; the pool must not have ended.

        An expired pool the service has not yet closed can still be extended.
        """
        now = now or datetime.now(UTC)
        if expires <= now:
            raise InvalidPoolError(f"the new expiry {format_time(expires)} has passed")
        with locked_file(self._path):
            pools = self._read()
            pool = self._existing(pools, name)
            if pool.ended is not None:
                raise PoolClosedError(
                    f"pool {name!r} was ended at {format_time(pool.ended)}; "
                    "it cannot be extended (create a new pool)"
                )
            pool = replace(pool, expires=expires.astimezone(UTC))
            self._write({**pools, name: pool})
        return pool

    def end(self, name: str, *, now: datetime | None = None) -> Pool:
        """End pool ``name`` now: its users can no longer log in, the service removes them.

        Ending an ended pool changes nothing.
        """
        now = now or datetime.now(UTC)
        with locked_file(self._path):
            pools = self._read()
            pool = self._existing(pools, name)
            if pool.ended is None:
                pool = replace(pool, ended=min(now, pool.expires).replace(microsecond=0))
                self._write({**pools, name: pool})
        return pool

    def ending(self, *, now: datetime | None = None) -> list[Pool]:
        """The pools to clean up: expired ones are marked ended first, so none can be extended.

        Returns every pool that has ended and is not closed yet.
        """
        now = now or datetime.now(UTC)
        if not self._path.exists():  # a hub without pools: nothing to lock or write
            return []
        with locked_file(self._path):
            pools = self._read()
            changed = {
                name: replace(pool, ended=pool.expires)
                for name, pool in pools.items()
                if pool.status(now) == "expired"
            }
            if changed:
                pools = {**pools, **changed}
                self._write(pools)
        return [pool for _, pool in sorted(pools.items()) if pool.status(now) == "ending"]

    def mark_closed(self, name: str, *, now: datetime | None = None) -> Pool:
        """Record that pool ``name``'s users are all removed."""
        now = now or datetime.now(UTC)
        with locked_file(self._path):
            pools = self._read()
            pool = replace(self._existing(pools, name), closed=now.replace(microsecond=0))
            self._write({**pools, name: pool})
        return pool

    # -- internals -----------------------------------------------------------------------------

    def _existing(self, pools: Mapping[str, Pool], name: str) -> Pool:
        if name not in pools:
            known = ", ".join(sorted(pools)) or "none"
            raise UnknownPoolError(f"no pool {name!r} (pools: {known})")
        return pools[name]

    def _read(self) -> dict[str, Pool]:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data: Any = json.loads(raw)
        except ValueError as e:
            raise PoolError(f"{self._path} is not valid JSON: {e}") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise PoolError(f"{self._path} is not a surveylab pool file")
        if data.get("version") != _VERSION:
            raise PoolError(
                f"{self._path} has version {data.get('version')!r}; this surveylab reads {_VERSION}"
            )
        pools: dict[str, Pool] = {}
        for name, entry in (data.get("pools") or {}).items():
            try:
                pools[name] = Pool.from_json(name, entry)
            except (KeyError, ValueError, TypeError) as e:
                raise PoolError(
                    f"{self._path}: the entry of pool {name!r} is malformed ({e})"
                ) from None
        return pools

    def _write(self, pools: Mapping[str, Pool]) -> None:
        document = {
            "format": _FORMAT,
            "version": _VERSION,
            "pools": {name: pool.to_json() for name, pool in sorted(pools.items())},
        }
        write_private(self._path, json.dumps(document, indent=2) + "\n")


@functools.lru_cache(maxsize=8)
def _pool_store_at(path: str) -> PoolStore:
    return PoolStore(path)


def pool_store(path: str) -> PoolStore | None:
    """The pool store at ``path`` (one per path, shared), or None for ``""``: no pools."""
    return _pool_store_at(path) if path else None

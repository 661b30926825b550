"""Shared database accounts: what the hub hands to labs whose users have no database login.

Workshop pool users and OAuth identities mapped to a shared read-only account query the survey
as one of these accounts. They live in one private YAML file (mode 0600, checked on every read:
never readable by others, by its group only if that is the reader's own; never logged) that
only the hub and its platform service read::

    accounts:
      readonly:                 # the name pools and OAuth mappings refer to
        user: des_public        # the database username
        password: "..."         # its password

The file is read when a lab starts, so an operator can rotate a password without restarting
the hub. Pure Python, no jupyterhub: a lab receives the account through the core's contract,
:class:`surveylab.labenv.LabEnvironment`; the platform service reads it by the name the hub
keeps in the user's auth_state (:mod:`surveylab_server.hub_logins`).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .labenv import LabEnvironment

__all__ = [
    "AUTH_STATE_ACCOUNT",
    "AUTH_STATE_PASSWORD",
    "AUTH_STATE_USER",
    "SharedAccount",
    "SharedAccountsError",
    "UnknownAccountError",
    "load_shared_accounts",
    "shared_account",
]

#: What the hub keeps of a user's database login in its encrypted auth_state, for the labs and
#: the platform service: the user's own login (a database login)...
AUTH_STATE_USER = "db_user"
AUTH_STATE_PASSWORD = "db_password"
#: ... or the name of the shared account they query as (a workshop pool, an OAuth identity).
AUTH_STATE_ACCOUNT = "db_account"

_ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class SharedAccountsError(ValueError):
    """The shared accounts file is unsafe or malformed; the message names file and field."""


class UnknownAccountError(SharedAccountsError):
    """No shared account of that name."""


@dataclass(frozen=True)
class SharedAccount:
    """One shared database account; its password never shows in a ``repr``."""

    name: str
    db_user: str
    password: str = field(repr=False)

    def lab_environment(self) -> LabEnvironment:
        """What a lab querying as this account receives: its database user and password."""
        return LabEnvironment(db_user=self.db_user, db_password=self.password)


def load_shared_accounts(path: str | os.PathLike[str]) -> dict[str, SharedAccount]:
    """Every account of the file at ``path``, by name; an absent file has none.

    Raises
    ------
    SharedAccountsError
        The file can be read by other users than its owner, is not YAML, or an entry lacks
        ``user`` or ``password``.
    """
    path = Path(path)
    if not path.exists():
        return {}
    if not _private(path):
        raise SharedAccountsError(
            f"{path} holds passwords but other users can read it "
            f"(mode {stat.S_IMODE(path.stat().st_mode):o}); run `chmod 600 {path}`"
        )
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SharedAccountsError(f"{path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("accounts", {}), dict):
        raise SharedAccountsError(f"{path}: expected a mapping `accounts: {{name: ...}}`")
    accounts: dict[str, SharedAccount] = {}
    for name, entry in (data.get("accounts") or {}).items():
        if not isinstance(name, str) or not _ACCOUNT_NAME.fullmatch(name):
            raise SharedAccountsError(
                f"{path}: account name {name!r} must be 1-64 of a-z, 0-9, '_', '.', '-'"
            )
        if not isinstance(entry, dict):
            raise SharedAccountsError(f"{path}: account {name!r} must be a mapping")
        for key in ("user", "password"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise SharedAccountsError(f"{path}: account {name!r} needs a non-empty {key!r}")
        unknown = sorted(set(entry) - {"user", "password"})
        if unknown:
            raise SharedAccountsError(f"{path}: account {name!r} has unknown keys {unknown}")
        accounts[name] = SharedAccount(name, entry["user"], entry["password"])
    return accounts


def _private(path: Path) -> bool:
    """Whether only the hub's own user (and group) can read ``path``.

    Others may never read it. Its group may, only when that group is the hub process's own: a
    Kubernetes Secret volume gets the pod's ``fsGroup`` read bit whatever its ``defaultMode``.
    """
    info = path.stat()
    if info.st_mode & stat.S_IRWXO:
        return False
    return not info.st_mode & stat.S_IRWXG or info.st_gid == os.getegid()


def shared_account(path: str | os.PathLike[str], name: str) -> SharedAccount:
    """The account ``name`` of the file at ``path``; :class:`UnknownAccountError` if absent."""
    accounts = load_shared_accounts(path)
    try:
        return accounts[name]
    except KeyError:
        known = ", ".join(sorted(accounts)) or "none"
        raise UnknownAccountError(
            f"no shared database account {name!r} in {path} (known: {known})"
        ) from None

"""The database login of a hub user, as the platform service reads it from the hub.

A database login (PostgreSQL, Oracle) keeps the user's credentials in the hub's encrypted
``auth_state`` (``db_user``, ``db_password``), whence the hub gives them to the user's lab; a
workshop pool user or an OAuth identity has the name of a shared account there (``db_account``,
:mod:`surveylab.accounts`). The platform service asks the hub for them with its own token,
whose role holds only ``read:users:name`` and ``admin:auth_state``, and looks a shared account
up in the shared accounts file, so that it runs the user's jobs as the account their lab
queries as. A user with neither (the embedded store) gets the service's own account.

The service learns each user's role (:mod:`surveylab.roles`) the same way
(:class:`HubUserRoles`): the user model's ``groups`` (scope ``read:users:groups``) and the roles
file, as the hub's spawners do for the user's lab.

The password is never logged, and never part of an error message.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from surveylab.accounts import (
    AUTH_STATE_ACCOUNT,
    AUTH_STATE_PASSWORD,
    AUTH_STATE_USER,
    SharedAccountsError,
    shared_account,
)
from surveylab.errors import CatalogUnavailableError
from surveylab.roles import Role, RolesConfig

__all__ = ["HubDatabaseLogins", "HubUserRoles"]


def hub_user(api_url: str, token: str, name: str, *, timeout: float, what: str) -> dict[str, Any]:
    """The hub's model of user ``name`` (``GET /users/{name}``), read with ``token``.

    Raises :class:`~surveylab.errors.CatalogUnavailableError` (503), naming ``what`` was
    wanted, if the hub cannot be asked or says no.
    """
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/users/{quote(name, safe='')}",
        headers={"Authorization": f"token {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            model = json.load(response)
    except urllib.error.HTTPError as error:
        raise CatalogUnavailableError(
            f"the hub did not give the {what} of {name!r} (HTTP {error.code}); "
            "try again in a moment"
        ) from None
    except (OSError, ValueError) as error:
        raise CatalogUnavailableError(
            f"the hub could not be asked for the {what} of {name!r} "
            f"({type(error).__name__}); try again in a moment"
        ) from None
    return model if isinstance(model, dict) else {}


class HubDatabaseLogins:
    """``logins(name)``: user ``name``'s database login ``(user, password)`` from the hub's
    auth_state, or None if the hub keeps none for them.

    Raises :class:`~surveylab.errors.CatalogUnavailableError` (503) if the hub cannot be asked,
    so that a request is refused rather than run as the wrong account.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        accounts_path: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.accounts_path = accounts_path
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HubDatabaseLogins({self.api_url!r})"

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] = os.environ,
        accounts_path: str | os.PathLike[str] | None = None,
    ) -> HubDatabaseLogins | None:
        """The hub a managed service was started by (``JUPYTERHUB_API_URL`` and
        ``JUPYTERHUB_API_TOKEN``), or None outside a hub."""
        url, token = environ.get("JUPYTERHUB_API_URL"), environ.get("JUPYTERHUB_API_TOKEN")
        return cls(url, token, accounts_path=accounts_path) if url and token else None

    def __call__(self, name: str) -> tuple[str, str] | None:
        model = hub_user(
            self.api_url, self._token, name, timeout=self.timeout, what="database login"
        )
        state = model.get("auth_state") or {}
        user, password = state.get(AUTH_STATE_USER), state.get(AUTH_STATE_PASSWORD)
        if isinstance(user, str) and isinstance(password, str) and user and password:
            return user, password
        account = state.get(AUTH_STATE_ACCOUNT)
        if not isinstance(account, str) or not account or self.accounts_path is None:
            return None
        try:
            found = shared_account(self.accounts_path, account)
        except SharedAccountsError as error:  # names the file and the entry, never a password
            raise CatalogUnavailableError(
                f"the shared database account of {name!r} is not available: {error}"
            ) from None
        return found.db_user, found.password


class HubUserRoles:
    """``roles(name)``: user ``name``'s role, from their hub groups (the user model's
    ``groups``, scope ``read:users:groups``) and ``roles`` (:meth:`RolesConfig.role_for`).

    Raises :class:`~surveylab.errors.CatalogUnavailableError` (503) if the hub cannot be asked,
    so that no request runs under the wrong role.
    """

    def __init__(
        self, api_url: str, token: str, roles: RolesConfig, *, timeout: float = 10.0
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.roles = roles
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HubUserRoles({self.api_url!r})"

    @classmethod
    def from_environ(
        cls, roles: RolesConfig, environ: Mapping[str, str] = os.environ
    ) -> HubUserRoles | None:
        """The hub a managed service was started by, or None outside a hub."""
        url, token = environ.get("JUPYTERHUB_API_URL"), environ.get("JUPYTERHUB_API_TOKEN")
        return cls(url, token, roles) if url and token else None

    def __call__(self, name: str) -> Role:
        model = hub_user(self.api_url, self._token, name, timeout=self.timeout, what="groups")
        groups = model.get("groups")
        if not isinstance(groups, list):  # the service's role lacks read:users:groups
            raise CatalogUnavailableError(
                f"the hub did not give the groups of {name!r}; the platform service needs the "
                "scope read:users:groups"
            )
        return self.roles.role_for([str(group) for group in groups], name)

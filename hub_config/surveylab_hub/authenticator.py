"""Authenticators of the surveylab hub.

:class:`DatabaseAuthenticator` owns the login flow: it normalises and validates the username,
asks one hook, :meth:`~DatabaseAuthenticator.check_credentials`, whether the database accepts the
password, and admits the users the database knows. A database differs only in that hook:
:class:`EmbeddedAuthenticator` checks the embedded credential store; Oracle and PostgreSQL
authenticators slot in the same way.

The password is never logged, and never put into an error message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Bool, TraitError, Unicode, default, validate

from surveylab_hub.store import CredentialStore, InvalidUsernameError, validate_username

__all__ = ["DatabaseAuthenticator", "EmbeddedAuthenticator", "LoginRefusedError"]


class LoginRefusedError(Exception):
    """The database answered, and refused this login for a reason the user should read.

    ``message`` is shown on the login page and logged; it never holds the password.
    """

    status_code: ClassVar[int] = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def http_error(self) -> web.HTTPError:
        """The HTTP error the hub's login page shows (``jupyterhub_message`` is its text)."""
        error = web.HTTPError(self.status_code, "%s", self.message)
        error.jupyterhub_message = self.message  # type: ignore[attr-defined]  # read by the hub
        error.login_refusal = type(self).__name__  # type: ignore[attr-defined]  # for handlers
        return error


class DatabaseAuthenticator(Authenticator):  # type: ignore[misc]  # jupyterhub has no type hints
    """Log users in with the username and password of a user database.

    Subclasses implement :meth:`check_credentials` and nothing else of the flow.
    """

    allow_database_users = Bool(
        config=True,
        help="""
        Admit every user whose username and password the database accepts.

        Defaults to True, unless `Authenticator.allowed_users` is set: then only those users
        (and `Authenticator.admin_users`) are admitted, as with any JupyterHub authenticator.
        Set it explicitly to combine both rules: True admits database users *and* the
        allowed users; False admits only users allowed by other configuration
        (`allowed_users`, `allow_all`).

        JupyterHub 5+ admits nobody without an allow rule; this is the rule of a database hub.
        """,
    ).tag(allow_config=True)

    @default("allow_database_users")
    def _default_allow_database_users(self) -> bool:
        return not self.allowed_users

    pass_credentials_to_lab = Bool(
        False,
        config=True,
        help="""
        Carry the user's database username and password to their lab, so that `Survey()`
        there queries as that user with no second prompt.

        The credentials travel in JupyterHub's encrypted `auth_state` (which needs
        `JupyterHub.enable_auth_state` and `JUPYTERHUB_CRYPT_KEY`) and reach the lab as
        `SURVEYLAB_DB_USER` and `SURVEYLAB_DB_PASSWORD` in the lab's process environment
        (readable only by the lab's own user). Default False: the embedded store's passwords
        are not database passwords. The database authenticators turn it on.
        """,
    )

    def normalize_username(self, username: str) -> str:
        """Strip surrounding blanks, then lowercase and apply `Authenticator.username_map`."""
        return str(super().normalize_username(username.strip()))

    async def authenticate(
        self, handler: web.RequestHandler | None, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Return ``{"name": username}`` if the database accepts the login form, else None.

        The username is normalised and checked against the naming rule
        (:func:`surveylab_hub.store.validate_username`) before the database is asked. An error
        of the database becomes HTTP 503, with no detail that could hold the password.
        """
        data = data or {}
        username = self.normalize_username(str(data.get("username", "")))
        password = str(data.get("password", ""))
        try:
            validate_username(username)
        except InvalidUsernameError as e:
            self.log.warning("Login refused: %s", e)
            return None
        if not password:
            self.log.warning("Login refused for %r: empty password", username)
            return None
        try:
            accepted = await self.check_credentials(username, password)
        except LoginRefusedError as e:
            self.log.warning("Login refused for %r: %s", username, e.message)
            raise e.http_error() from None
        except Exception as e:
            # Only the type: drivers put DSNs, and so passwords, into their messages.
            self.log.error("Credential check for %r failed with %s", username, type(e).__name__)
            raise web.HTTPError(503, "The user database is unavailable; try again later.") from None
        if not accepted:
            self.log.warning("Login failed for %r: wrong username or password", username)
            return None
        if self.pass_credentials_to_lab:
            return {"name": username, "auth_state": {"db_user": username, "db_password": password}}
        return {"name": username}

    async def pre_spawn_start(self, user: Any, spawner: Any) -> None:
        """Put the user's database credentials (from `auth_state`) into the lab's environment."""
        if not self.pass_credentials_to_lab:
            return
        auth_state = await user.get_auth_state()
        if not auth_state or "db_password" not in auth_state:
            self.log.warning("No database credentials in auth_state for %r", user.name)
            return
        spawner.environment = {
            **spawner.environment,
            "SURVEYLAB_DB_USER": auth_state["db_user"],
            "SURVEYLAB_DB_PASSWORD": auth_state["db_password"],
        }

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        """Admit users the database accepted (see `allow_database_users`) or allowed otherwise."""
        if super().check_allowed(username, authentication):
            return True
        return bool(self.allow_database_users and authentication is not None)

    async def check_credentials(self, username: str, password: str) -> bool:
        """Whether the database accepts ``password`` for ``username``; the one hook to implement.

        ``username`` is already normalised and valid. Return False for a wrong password or an
        unknown user; raise for a database that cannot answer. Never log ``password``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement check_credentials")


class EmbeddedAuthenticator(DatabaseAuthenticator):
    """Log in against the embedded credential store (``surveylab hub users``)."""

    store_path = Unicode(
        config=True,
        help="""
        Path of the JSON credential store (username → argon2id hash), edited with
        `surveylab hub users add|list|remove`. It is read at every login, so users added while
        the hub runs can log in at once.

        Defaults to `users.json` in the hub's working folder; `surveylab hub` sets it to
        `<state dir>/users.json`. A relative path is relative to the hub's working folder.
        """,
    )

    @default("store_path")
    def _default_store_path(self) -> str:
        return "users.json"

    @validate("store_path")
    def _validate_store_path(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.strip():
            raise TraitError("EmbeddedAuthenticator.store_path must not be empty")
        return value

    _store: CredentialStore | None = None

    @property
    def store(self) -> CredentialStore:
        """The credential store at `store_path`, kept while the path stays the same."""
        if self._store is None or self._store.path != Path(self.store_path):
            self._store = CredentialStore(self.store_path)
        return self._store

    async def check_credentials(self, username: str, password: str) -> bool:
        """Verify the password against the store, off the event loop (argon2 takes ~0.1 s)."""
        return await asyncio.to_thread(self.store.verify, username, password)

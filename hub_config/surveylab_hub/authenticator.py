"""Authenticators of the surveylab hub.

:class:`DatabaseAuthenticator` owns the login flow: it normalises and validates the username,
asks one hook, :meth:`~DatabaseAuthenticator.check_credentials`, whether the database accepts the
password, and admits the users the database knows. A database differs only in that hook:
:class:`EmbeddedAuthenticator` checks the embedded credential store; Oracle and PostgreSQL
authenticators slot in the same way. Every login passes the failure throttle
(:class:`~surveylab_hub.throttle.LoginThrottle`, per username and per client address) first, so
that a throttled one costs no password check.

Workshop pool users (:mod:`surveylab_hub.pools`) log in through the same flow, whatever the
database: their passwords live in the embedded credential store, an ended pool refuses them with
a message saying so, and their labs query as the pool's shared read-only database account
(:mod:`surveylab.accounts`), read from its file at every spawn.

The password is never logged, and never put into an error message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Bool, TraitError, Unicode, default, validate

from surveylab.accounts import (
    AUTH_STATE_ACCOUNT,
    AUTH_STATE_PASSWORD,
    AUTH_STATE_USER,
    SharedAccountsError,
    shared_account,
)
from surveylab.labenv import LabEnvironment
from surveylab.metrics import HUB_LOGINS
from surveylab_hub.caps import SpawnRefusedError
from surveylab_hub.login import (
    DatabaseUnreachableError,
    LoginRefusedError,
    MalformedLoginError,
    ThrottledError,
)
from surveylab_hub.login_groups import LoginGroups
from surveylab_hub.pools import WORKSHOP_GROUP, Pool, PoolStore, pool_store
from surveylab_hub.store import CredentialStore, InvalidUsernameError, validate_username
from surveylab_hub.throttle import LoginThrottle

__all__ = [
    "DatabaseAuthenticator",
    "EmbeddedAuthenticator",
    "LoginRefusedError",
    "MalformedLoginError",
]


class DatabaseAuthenticator(LoginGroups, LoginThrottle, Authenticator):  # type: ignore[misc]  # jupyterhub has no type hints
    """Log users in with the username and password of a user database.

    Subclasses implement :meth:`check_credentials` and nothing else of the flow. The flow puts
    every login (a workshop pool user's too) behind the failure throttle
    (:class:`~surveylab_hub.throttle.LoginThrottle`).
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

    pools_path = Unicode(
        "",
        config=True,
        help="""
        The hub's workshop pools file (`<state dir>/pools.json`, written by `surveylab pool`).

        A user of a pool logs in against the embedded credential store next to it
        (`users.json`), whatever this authenticator's database; once the pool has expired or
        was ended, the login is refused with a message saying when it ended. Pool users are
        admitted while their pool is open, even with `allowed_users` set. Empty (default): no
        pools. `surveylab hub` sets it to `<state dir>/pools.json`.
        """,
    )

    shared_accounts_path = Unicode(
        "",
        config=True,
        help="""
        The shared database accounts file (YAML, mode 0600; see `surveylab.accounts`).

        A workshop pool with a `db_account` has its labs query as that account: its username
        and password are read from this file when a lab starts (so a rotated password applies
        to the next lab) and put into the lab's environment as `SURVEYLAB_DB_USER` and
        `SURVEYLAB_DB_PASSWORD`; they are never stored in `pools.json` or `auth_state`.
        Default: `db-accounts.yaml` next to `pools_path`.
        """,
    )

    @default("shared_accounts_path")
    def _default_shared_accounts_path(self) -> str:
        return str(Path(self.pools_path).with_name("db-accounts.yaml")) if self.pools_path else ""

    @property
    def pool_store(self) -> PoolStore | None:
        """The workshop pools at `pools_path`, or None without pools."""
        return pool_store(self.pools_path)

    def pool_of(self, username: str) -> Pool | None:
        """The workshop pool of ``username``, or None for other users (and without pools)."""
        store = self.pool_store
        return store.pool_of(username) if store is not None else None

    def normalize_username(self, username: str) -> str:
        """Strip surrounding blanks, then lowercase and apply `Authenticator.username_map`."""
        return str(super().normalize_username(username.strip()))

    async def authenticate(
        self, handler: web.RequestHandler | None, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Return ``{"name": username}`` if the database accepts the login form, else None.

        First the failure throttle: a username or client address with too many failed logins
        is refused with HTTP 429 before anything is checked. Then the username is normalised
        and checked against the naming rule (:func:`surveylab_hub.store.validate_username`)
        before the database is asked. A wrong password, and a refusal that counts as a failed
        guess, count against the username and the address; a success clears the username's
        count. An error of the database becomes HTTP 503, with no detail that could hold the
        password.
        """
        data = data or {}
        username = self.normalize_username(str(data.get("username", "")))
        password = str(data.get("password", ""))
        try:
            valid_name: str | None = validate_username(username)
        except InvalidUsernameError:
            valid_name = None  # refused below; its failures count against the address only
        keys = self.throttle_keys(handler, valid_name)
        try:
            self.check_throttle(keys)
            result = await self._check_login(username, password)
        except LoginRefusedError as e:
            HUB_LOGINS.labels(outcome=_refusal_outcome(e)).inc()
            if e.counts_as_failure:
                self.record_failed_login(keys)
            raise e.http_error() from None
        except web.HTTPError:
            HUB_LOGINS.labels(outcome="error").inc()
            raise
        if result is None:
            HUB_LOGINS.labels(outcome="failure").inc()
            self.record_failed_login(keys)
        else:
            HUB_LOGINS.labels(outcome="success").inc()
            self.reset_user(result["name"])
        return result

    async def _check_login(self, username: str, password: str) -> dict[str, Any] | None:
        """The login form's check, behind the throttle: the auth model, or None for a wrong
        password; raises :class:`LoginRefusedError`, or HTTP 503 for an error of the database."""
        try:
            validate_username(username)
        except InvalidUsernameError as e:
            self.log.warning("Login refused: %s", e)
            raise MalformedLoginError(str(e)) from None
        if not password:
            self.log.warning("Login refused for %r: empty password", username)
            raise MalformedLoginError("enter your password")
        pool = self.pool_of(username)
        if pool is not None:
            return await self._authenticate_pool_user(pool, username, password)
        failure = None
        try:
            accepted = await self.check_credentials(username, password)
        except LoginRefusedError as e:
            self.log.warning("Login refused for %r: %s", username, e.message)
            raise
        except Exception as e:
            # Only the type: drivers put DSNs, and so passwords, into their messages.
            failure = type(e).__name__
        if failure is not None:
            # Raised out here, so that the driver's exception is not even its __context__.
            self.log.error("Credential check for %r failed with %s", username, failure)
            raise web.HTTPError(503, "The user database is unavailable; try again later.")
        if not accepted:
            self.log.warning("Login failed for %r: wrong username or password", username)
            return None
        model: dict[str, Any] = {"name": username}
        if self.manage_groups:
            model["groups"] = self.login_groups(await self.database_groups(username, password))
        if self.pass_credentials_to_lab:
            model["auth_state"] = {AUTH_STATE_USER: username, AUTH_STATE_PASSWORD: password}
        return model

    async def database_groups(self, username: str, password: str) -> list[str]:
        """The user's groups as the database knows them (its roles), read after the login was
        accepted; only those that grant a role become hub groups (`role_groups`). None here:
        the database authenticators override it."""
        return []

    async def _authenticate_pool_user(
        self, pool: Pool, username: str, password: str
    ) -> dict[str, Any] | None:
        """Log a pool user in against the embedded store, while the pool is open."""
        refusal = pool.refusal()
        if refusal:
            self.log.warning("Login refused for %r: %s", username, refusal)
            raise LoginRefusedError(refusal)
        store = self.pool_store
        assert store is not None  # a pool was found in it
        if not await asyncio.to_thread(store.credentials.verify, username, password):
            self.log.warning("Login failed for %r: wrong username or password", username)
            return None
        model: dict[str, Any] = {"name": username}
        if self.manage_groups:
            model["groups"] = [WORKSHOP_GROUP]
        if pool.db_account is not None:
            # the platform service reads the account's name (never its password) from here
            model["auth_state"] = {AUTH_STATE_ACCOUNT: pool.db_account}
        return model

    async def pre_spawn_start(self, user: Any, spawner: Any) -> None:
        """Give the lab its database credentials.

        A workshop pool user's lab gets the pool's shared account (see `shared_accounts_path`);
        an ended pool refuses the spawn. Other labs get the user's own credentials from
        `auth_state`, if `pass_credentials_to_lab`.
        """
        pool = self.pool_of(user.name)
        if pool is not None:
            self._give_pool_account(pool, user.name, spawner)
            return
        if not self.pass_credentials_to_lab:
            return
        auth_state = await user.get_auth_state()
        if not auth_state or AUTH_STATE_PASSWORD not in auth_state:
            self.log.warning("No database credentials in auth_state for %r", user.name)
            return
        lab = LabEnvironment(
            db_user=auth_state[AUTH_STATE_USER], db_password=auth_state[AUTH_STATE_PASSWORD]
        )
        spawner.environment = lab.merged_into(spawner.environment, LabEnvironment.CREDENTIALS)

    def _give_pool_account(self, pool: Pool, username: str, spawner: Any) -> None:
        refusal = pool.refusal()
        if refusal:
            raise SpawnRefusedError(refusal, reason="pool-ended", status_code=403)
        if pool.db_account is None:
            return
        try:
            account = shared_account(self.shared_accounts_path, pool.db_account)
        except SharedAccountsError as e:
            # The file's path and problem go to the log; the user learns whom to ask.
            self.log.error("No database account for pool user %r: %s", username, e)
            raise SpawnRefusedError(
                f"the database account of the workshop pool {pool.name!r} is not available; "
                "please tell the organisers",
                reason="pool-account",
                status_code=503,
            ) from None
        lab = account.lab_environment()
        spawner.environment = lab.merged_into(spawner.environment, LabEnvironment.CREDENTIALS)

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        """Admit users the database accepted (see `allow_database_users`), users of an open
        workshop pool, and users allowed otherwise."""
        if super().check_allowed(username, authentication):
            return True
        pool = self.pool_of(username) if authentication is not None else None
        if pool is not None and pool.is_open():
            return True
        return bool(self.allow_database_users and authentication is not None)

    async def check_credentials(self, username: str, password: str) -> bool:
        """Whether the database accepts ``password`` for ``username``; the one hook to implement.

        ``username`` is already normalised and valid. Return False for a wrong password or an
        unknown user; raise for a database that cannot answer. Never log ``password``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement check_credentials")


def _refusal_outcome(refusal: LoginRefusedError) -> str:
    """The ``outcome`` of a refused login in ``surveylab_hub_logins_total``."""
    if isinstance(refusal, ThrottledError):
        return "throttled"
    if isinstance(refusal, DatabaseUnreachableError):
        return "error"
    return "refused"


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

"""Authenticators that check the login against a database server: PostgreSQL and Oracle.

Both keep :class:`~surveylab_hub.authenticator.DatabaseAuthenticator`'s flow (normalise and
validate the username, then ask :meth:`check_credentials`) and differ only in how they connect.
Both read the driver's error with the core's classification,
:func:`surveylab.catalog.login_errors.classify_login_error`, as the lab's catalog backends do.
:class:`ServerDatabaseAuthenticator`, their common base, adds what a networked database needs:

- a :class:`FailureThrottle` per username and per client address, so that repeated failures
  are refused for a cooldown (HTTP 429) before any connection is tried;
- outcomes clearer than "wrong password": :class:`AccountUnavailableError` (a role that cannot
  log in, a locked account: HTTP 403), :class:`PasswordExpiredError` (Oracle's ORA-28001: HTTP
  403, distinct so that a change-password form can take over) and
  :class:`DatabaseUnreachableError` (HTTP 503);
- for a backend with a ``change_password`` hook (:class:`PasswordChanger`: Oracle), the
  change-password page ``/hub/change-password`` (:mod:`surveylab_hub.change_password`, registered
  by :meth:`ServerDatabaseAuthenticator.get_handlers`), where a login refused with ORA-28001
  lands; :meth:`ServerDatabaseAuthenticator.submit_password_change` checks its form.

Neither the password nor a driver's exception is ever logged or kept: a psycopg
``OperationalError`` holds the connection, whose ``repr`` shows the password, so every driver
error is turned into one of ours with ``raise ... from None``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from tornado import web
from traitlets import Callable as CallableTrait
from traitlets import Float, Int, TraitError, Unicode, default, validate

from surveylab.catalog.login_errors import (
    LoginFailure,
    classify_login_error,
    oracle_error_code,
    oracle_login_failure,
)
from surveylab_hub.authenticator import (
    DatabaseAuthenticator,
    LoginRefusedError,
    MalformedLoginError,
)
from surveylab_hub.store import InvalidUsernameError, validate_username

__all__ = [
    "AccountUnavailableError",
    "DatabaseUnreachableError",
    "FailureThrottle",
    "LoginRefusedError",
    "OracleAuthenticator",
    "PasswordChangeError",
    "PasswordChanger",
    "PasswordExpiredError",
    "PasswordRejectedError",
    "PostgresAuthenticator",
    "ServerDatabaseAuthenticator",
    "ThrottledError",
    "password_change_problem",
]

#: A driver's connect function: keyword arguments in, an awaitable connection out.
ConnectFunction = Callable[..., Awaitable[Any]]


class AccountUnavailableError(LoginRefusedError):
    """The account exists but may not log in: a NOLOGIN role, a locked Oracle account."""


class PasswordExpiredError(LoginRefusedError):
    """The password was right but has expired (Oracle ORA-28001): it must be changed.

    This is the one refusal a change-password form can resolve; a handler tells it apart by
    its type (or by ``login_refusal == "PasswordExpiredError"`` on the HTTP error).
    """


class DatabaseUnreachableError(LoginRefusedError):
    """The database server could not be reached (down, refused, timed out)."""

    status_code: ClassVar[int] = 503


class ThrottledError(LoginRefusedError):
    """Too many failed logins for this username or client address."""

    status_code: ClassVar[int] = 429


class PasswordChangeError(LoginRefusedError):
    """The change-password form is incomplete, or its new password breaks a rule checked before
    the database is asked (the two copies differ, too short, same as the current one)."""

    status_code: ClassVar[int] = 400


class PasswordRejectedError(LoginRefusedError):
    """The database refused the new password (Oracle ORA-28003, ORA-28007, ORA-00988).

    The current password was right: this refusal does not count as a failed login.
    """

    status_code: ClassVar[int] = 400


@runtime_checkable
class PasswordChanger(Protocol):
    """A backend that can change a user's password (and so offers the change-password page)."""

    async def change_password(self, username: str, password: str, new_password: str) -> bool:
        """Change ``username``'s password; False if ``password`` is not the current one."""
        ...


def password_change_problem(
    password: str, new_password: str, new_password_confirm: str, *, min_length: int
) -> str | None:
    """What is wrong with a change-password form before the database is asked, or None.

    >>> password_change_problem("old", "new-secret", "new-secrte", min_length=8)
    'the two copies of the new password differ'
    """
    if not (password and new_password and new_password_confirm):
        return "fill in the current password and the new password twice"
    if new_password != new_password_confirm:
        return "the two copies of the new password differ"
    if new_password == password:
        return "the new password must differ from the current one"
    if len(new_password) < min_length:
        return f"the new password must have at least {min_length} characters"
    return None


UNREACHABLE_MESSAGE = "the survey database is not reachable; try again later"
UNCHECKED_MESSAGE = "the survey database could not check the login{}; try again later"


class FailureThrottle:
    """Count failures per key in a sliding window; after ``limit`` of them, refuse for a while.

    In memory, so per hub process. ``clock`` returns seconds (monotonic by default).

    Examples
    --------
    >>> now = [0.0]
    >>> throttle = FailureThrottle(limit=2, window=60, cooldown=30, clock=lambda: now[0])
    >>> throttle.record_failure("user:alice"); throttle.retry_after("user:alice")
    0.0
    >>> throttle.record_failure("user:alice"); throttle.retry_after("user:alice")
    30.0
    >>> now[0] = 30.0; throttle.retry_after("user:alice")
    0.0
    """

    #: Keys kept before expired ones are pruned (bounds memory under a spray of names).
    max_keys = 10_000

    def __init__(
        self,
        limit: int = 5,
        window: float = 300.0,
        cooldown: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 if it may now."""
        until = self._blocked_until.get(key)
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._blocked_until[key]
            return 0.0
        return left

    def record_failure(self, key: str) -> None:
        """Count one failure of ``key``; block it once ``limit`` fall within ``window``."""
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        failures.append(now)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) >= self.limit:
            self._blocked_until[key] = now + self.cooldown
            del self._failures[key]
        if len(self._failures) > self.max_keys:
            self._prune(now)

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        self._failures.pop(key, None)
        self._blocked_until.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._blocked_until.items() if until <= now]:
            del self._blocked_until[key]


class ServerDatabaseAuthenticator(DatabaseAuthenticator):
    """Common base of the authenticators that connect to a database server as the user.

    A subclass sets :meth:`default_connect_function` and implements :meth:`check_credentials`
    by connecting, mapping the driver's errors to False or a :class:`LoginRefusedError`.
    """

    @default("pass_credentials_to_lab")
    def _default_pass_credentials_to_lab(self) -> bool:
        return True

    connect_timeout = Float(
        10.0,
        config=True,
        help="""
        Seconds to wait for the database server to answer a login before giving up with
        HTTP 503 ("the survey database is not reachable"). Default 10.
        """,
    )

    failure_limit = Int(
        5,
        config=True,
        help="""
        Failed logins allowed per username, and per client address, within
        `failure_window` seconds; one more is refused for `failure_cooldown` seconds with
        HTTP 429, before the database is asked. Default 5.
        """,
    )

    failure_window = Float(
        300.0,
        config=True,
        help="Seconds of the sliding window in which `failure_limit` failures are counted "
        "(default 300).",
    )

    failure_cooldown = Float(
        300.0,
        config=True,
        help="Seconds a username or client address is refused once it reached "
        "`failure_limit` failures (default 300).",
    )

    connect_function = CallableTrait(
        None,
        allow_none=True,
        config=True,
        help="""
        The driver's async connect function, called with keyword arguments (`user`,
        `password`, and `host`/`port`/`dbname` or `dsn`; `newpassword` to change an Oracle
        password). None (the default) uses the driver's own (`psycopg.AsyncConnection.connect`,
        `oracledb.connect_async`). Set it to wrap the driver (e.g. add an Oracle wallet's
        arguments), or in tests to a fake that raises the driver's errors.
        """,
    )

    clock = CallableTrait(
        time.monotonic,
        help="Clock of the failure throttle, in seconds (for tests).",
    )

    new_password_min_length = Int(
        8,
        config=True,
        help="""
        Fewest characters a new password may have on the change-password page (only for a
        database that can change passwords, Oracle). Checked before the database is asked,
        which applies its own rules too (Oracle's password verify function: ORA-28003).
        Default 8.
        """,
    )

    @validate("failure_limit", "new_password_min_length")
    def _validate_at_least_one(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 1:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be at least 1, not {value}")
        return value

    @validate("connect_timeout", "failure_window", "failure_cooldown")
    def _validate_positive(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not value > 0:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be positive, not {value}")
        return value

    _throttle: FailureThrottle | None = None

    @property
    def throttle(self) -> FailureThrottle:
        """The failure throttle, made on first use from the `failure_*` traits and `clock`."""
        if self._throttle is None:
            self._throttle = FailureThrottle(
                limit=self.failure_limit,
                window=self.failure_window,
                cooldown=self.failure_cooldown,
                clock=self.clock,
            )
        return self._throttle

    def default_connect_function(self) -> ConnectFunction:
        """The driver's connect function, used when `connect_function` is None."""
        raise NotImplementedError

    async def connect(self, **kwargs: Any) -> None:
        """Connect with ``kwargs`` through `connect_function`, then close the connection."""
        connect: ConnectFunction | None = self.connect_function
        if connect is None:
            connect = self.default_connect_function()
        connection = await connect(**kwargs)
        await connection.close()

    def _throttle_keys(self, handler: web.RequestHandler | None, data: dict[str, Any]) -> list[str]:
        keys = []
        username = self.normalize_username(str(data.get("username", "")))
        with contextlib.suppress(InvalidUsernameError):  # an invalid name: the address counts
            keys.append(f"user:{validate_username(username)}")
        remote_ip = getattr(getattr(handler, "request", None), "remote_ip", None)
        if remote_ip:
            keys.append(f"address:{remote_ip}")
        return keys

    def _check_throttle(self, keys: list[str]) -> None:
        """Raise :class:`ThrottledError` if any of ``keys`` must wait."""
        wait = max((self.throttle.retry_after(key) for key in keys), default=0.0)
        if wait > 0:
            self.log.warning("Login refused for %s: too many failed logins", " and ".join(keys))
            raise ThrottledError(f"too many failed logins; try again in {math.ceil(wait)} s")

    def _record_failure(self, keys: list[str]) -> None:
        for key in keys:
            self.throttle.record_failure(key)

    #: Refusals that do not count as failed logins: an outage, and those that prove the
    #: password right (expired; a new password the database refused).
    #: Refusals that are no failed guess: an outage, a right password (expired or its new one
    #: refused), a malformed form that never reached the database.
    _NOT_FAILURES: ClassVar[frozenset[str]] = frozenset(
        cls.__name__
        for cls in (
            DatabaseUnreachableError,
            PasswordExpiredError,
            PasswordRejectedError,
            MalformedLoginError,
        )
    )

    async def authenticate(
        self, handler: web.RequestHandler | None, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The base flow, behind the failure throttle, with the database's clear refusals.

        Raises HTTP 429 when the username or client address is throttled, 403 for an account
        that may not log in or whose password expired, 503 when the database is unreachable.
        """
        data = data or {}
        keys = self._throttle_keys(handler, data)
        try:
            self._check_throttle(keys)
        except ThrottledError as e:
            raise e.http_error() from None
        try:
            result = await super().authenticate(handler, data)
        except web.HTTPError as e:
            # A refusal of the database counts as a failed login; an outage does not.
            refusal = getattr(e, "login_refusal", None)
            if refusal is not None and refusal not in self._NOT_FAILURES:
                self._record_failure(keys)
            raise
        if result is None:
            self._record_failure(keys)
        else:
            self.throttle.reset(f"user:{result['name']}")
        return result

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        """The login page; with a :class:`PasswordChanger` backend also ``/change-password``,
        where a login refused with :class:`PasswordExpiredError` is redirected."""
        if not isinstance(self, PasswordChanger):
            return list(super().get_handlers(app))
        from surveylab_hub.change_password import password_change_handlers

        return password_change_handlers()

    async def submit_password_change(
        self, handler: web.RequestHandler | None, data: Mapping[str, str]
    ) -> str:
        """Check the change-password form ``data``, then change the password; return the
        normalised username.

        ``data`` holds ``username``, ``password`` (the current one), ``new_password`` and
        ``new_password_confirm``. The form is checked (:func:`password_change_problem`) and the
        failure throttle consulted before the database is asked; a wrong current password
        counts as a failed login.

        Raises
        ------
        LoginRefusedError
            Its ``message`` is for the form: :class:`PasswordChangeError` (400, the form),
            :class:`ThrottledError` (429), a wrong current password (403),
            :class:`PasswordRejectedError` (400, the database's rules),
            :class:`AccountUnavailableError` (403), :class:`DatabaseUnreachableError` (503).
        """
        if not isinstance(self, PasswordChanger):
            raise PasswordChangeError("this database does not let passwords be changed here")
        keys = self._throttle_keys(handler, dict(data))
        self._check_throttle(keys)
        username = self.normalize_username(str(data.get("username", "")))
        try:
            validate_username(username)
        except InvalidUsernameError as e:
            raise PasswordChangeError(str(e)) from None
        password = str(data.get("password", ""))
        new_password = str(data.get("new_password", ""))
        problem = password_change_problem(
            password,
            new_password,
            str(data.get("new_password_confirm", "")),
            min_length=self.new_password_min_length,
        )
        if problem:
            raise PasswordChangeError(problem)
        failure = ""
        try:
            changed = await self.change_password(username, password, new_password)
        except LoginRefusedError as e:
            if type(e).__name__ not in self._NOT_FAILURES:
                self._record_failure(keys)
            self.log.warning("Password change refused for %r: %s", username, e.message)
            raise
        except Exception as e:
            # Only the type: drivers put DSNs, and so passwords, into their messages.
            failure = type(e).__name__
            del e
        if failure:
            # Raised outside the except block, so that no __context__ holds the driver's error.
            self.log.error("Password change for %r failed with %s", username, failure)
            raise DatabaseUnreachableError(UNCHECKED_MESSAGE.format(""))
        if not changed:
            self._record_failure(keys)
            self.log.warning("Password change refused for %r: wrong current password", username)
            raise LoginRefusedError("wrong username or current password")
        self.throttle.reset(f"user:{username}")
        self.log.info("Changed the database password of %r", username)
        return username


class PostgresAuthenticator(ServerDatabaseAuthenticator):
    """Log in with a PostgreSQL role and its password, checked by connecting as that role.

    A wrong password, an unknown role and a role whose ``VALID UNTIL`` date has passed all fail
    alike ("wrong username or password"): PostgreSQL tells the client nothing more (its own
    log says "User ... has an expired password"). A ``NOLOGIN`` role gets HTTP 403 with a clear
    message; a server that does not answer, HTTP 503.
    """

    db_host = Unicode(
        "127.0.0.1",
        config=True,
        help="Host name or address of the PostgreSQL server the users log in to "
        "(default 127.0.0.1).",
    )

    db_port = Int(
        5432,
        config=True,
        help="TCP port of the PostgreSQL server (default 5432).",
    )

    db_name = Unicode(
        config=True,
        help="""
        Database to connect to when checking a login. The role needs CONNECT on it (granted to
        PUBLIC by default). Defaults to `survey`.
        """,
    )

    @default("db_name")
    def _default_db_name(self) -> str:
        return "survey"

    @validate("db_host", "db_name")
    def _validate_not_empty(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.strip():
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must not be empty")
        return value

    @validate("db_port")
    def _validate_port(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 0 < value < 65536:
            raise TraitError(f"{type(self).__name__}.db_port must be 1 to 65535, not {value}")
        return value

    def default_connect_function(self) -> ConnectFunction:
        import psycopg

        return psycopg.AsyncConnection.connect

    async def check_credentials(self, username: str, password: str) -> bool:
        """Connect as ``username``; map psycopg's error to False or a :class:`LoginRefusedError`."""
        import psycopg

        failure: LoginFailure | None = None
        try:
            await self.connect(
                host=self.db_host,
                port=self.db_port,
                dbname=self.db_name,
                user=username,
                password=password,
                connect_timeout=max(1, math.ceil(self.connect_timeout)),
            )
        except psycopg.Error as e:
            # Classify, then drop the exception: its pgconn's repr holds the password.
            failure = classify_login_error(e)
            del e
        if failure is None or failure is LoginFailure.PASSWORD_EXPIRING:
            return True
        if failure is LoginFailure.BAD_CREDENTIALS:
            self.log.warning(
                "PostgreSQL refused the password of %r (wrong password, unknown role, "
                "or a password past its VALID UNTIL date)",
                username,
            )
            return False
        if failure.refuses_account:
            message = f"the database role {username!r} is not permitted to log in"
            raise AccountUnavailableError(message) from None  # the base flow logs it
        self.log.error(
            "PostgreSQL at %s:%s did not accept a connection (%s)",
            self.db_host,
            self.db_port,
            failure.message,
        )
        unreachable = failure is LoginFailure.UNAVAILABLE
        message = UNREACHABLE_MESSAGE if unreachable else UNCHECKED_MESSAGE.format("")
        raise DatabaseUnreachableError(message) from None


#: Why Oracle refused a new password, by code: the change-password form shows it.
NEW_PASSWORD_REFUSALS = {
    "ORA-28003": "it does not meet the database's password rules (length, letters and digits, "
    "unlike the username and the old password)",
    "ORA-28007": "it was used before and cannot be reused",
    "ORA-00988": "it holds a character a database password may not have",
}


class OracleAuthenticator(ServerDatabaseAuthenticator):
    """Log in with an Oracle account and its password, checked by connecting (thin mode, async).

    ORA-01017 fails the login; ORA-28000 (locked) and ORA-01045 (no CREATE SESSION) give HTTP 403
    with a clear message; ORA-28001 (password expired) gives HTTP 403 from a
    :class:`PasswordExpiredError`, and the login page sends the user to ``/hub/change-password``
    (see :meth:`change_password`); a listener that does not answer gives HTTP 503.
    """

    dsn = Unicode(
        config=True,
        help="""
        Easy Connect string of the Oracle database the users log in to, `host:port/service`
        (for example `db.example.org:1521/desdr`). Required.
        """,
    )

    @validate("dsn")
    def _validate_dsn(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).strip()
        if not value or "@" in value:
            raise TraitError(
                f"OracleAuthenticator.dsn must be host:port/service with no user, not {value!r}"
            )
        return value

    def default_connect_function(self) -> ConnectFunction:
        import oracledb

        return oracledb.connect_async

    async def _connect_as(self, username: str, password: str, **extra: Any) -> str:
        """Connect as ``username``; return ``""`` or the code of the Oracle error."""
        if not self.dsn:
            raise TraitError("OracleAuthenticator.dsn must be set")
        failed, full_code = False, ""
        try:
            await self.connect(user=username, password=password, dsn=self.dsn, **extra)
        except Exception as e:
            failed, full_code = True, oracle_error_code(e)
            del e
        if failed and not full_code:
            # Raised outside the except block: no __context__ that could hold the password.
            raise TypeError("the Oracle driver raised an error with no code")
        return full_code

    def _refuse(self, username: str, code: str) -> bool:
        """True if the error ``code`` (``""``: none) lets the login through, False for a wrong
        password; else raise the :class:`LoginRefusedError` of the code's
        :class:`~surveylab.catalog.login_errors.LoginFailure`."""
        if not code:
            return True
        failure = oracle_login_failure(code)
        if failure is LoginFailure.PASSWORD_EXPIRING:
            return True  # a warning: the password is right
        if failure is LoginFailure.BAD_CREDENTIALS:
            return False
        if failure is LoginFailure.ACCOUNT_LOCKED:
            error: LoginRefusedError = AccountUnavailableError(
                f"the database account {username!r} is locked; ask the survey's DBA to unlock it"
            )
        elif failure is LoginFailure.NOT_PERMITTED:
            error = AccountUnavailableError(
                f"the database account {username!r} is not permitted to log in"
            )
        elif failure is LoginFailure.PASSWORD_EXPIRED:
            error = PasswordExpiredError(
                f"the password of the database account {username!r} has expired; change it"
            )
        elif failure is LoginFailure.NEW_PASSWORD_REFUSED:
            reason = NEW_PASSWORD_REFUSALS.get(code, "the database does not accept it")
            error = PasswordRejectedError(
                f"the database refused the new password ({code}): {reason}; choose another one"
            )
        else:
            self.log.error("Oracle at %s refused a connection with %s", self.dsn, code)
            message = (
                UNREACHABLE_MESSAGE
                if failure is LoginFailure.UNAVAILABLE
                else UNCHECKED_MESSAGE.format(f" ({code})")
            )
            raise DatabaseUnreachableError(message) from None
        self.log.info("Oracle refused the login of %r with %s", username, code)
        raise error from None  # the base flow logs the message

    async def check_credentials(self, username: str, password: str) -> bool:
        """Connect as ``username``; map the ORA/DPY code to False or a refusal."""
        return self._refuse(username, await self._connect_as(username, password))

    async def change_password(self, username: str, password: str, new_password: str) -> bool:
        """Change an (expired) password by connecting with ``newpassword``, as Oracle allows.

        The hook the change-password page calls (through :meth:`submit_password_change`) after
        :class:`PasswordExpiredError`. Returns False for a wrong current password; raises a
        refusal otherwise: :class:`PasswordRejectedError` for a new password the database
        refuses (ORA-28003 from the profile's verify function, ORA-28007 reuse, ORA-00988).
        """
        validate_username(username)
        return self._refuse(
            username, await self._connect_as(username, password, newpassword=new_password)
        )

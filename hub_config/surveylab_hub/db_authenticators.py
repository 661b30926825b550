"""Authenticators that check the login against a database server: PostgreSQL and Oracle.

Both keep :class:`~surveylab_hub.authenticator.DatabaseAuthenticator`'s flow (the failure
throttle per username and per client address, then normalise and validate the username, then
ask :meth:`check_credentials`) and differ only in how they connect. Both read the driver's error
with the core's classification, :func:`surveylab.catalog.login_errors.classify_login_error`, as
the lab's catalog backends do. :class:`ServerDatabaseAuthenticator`, their common base, adds
what a networked database needs:

- outcomes clearer than "wrong password": :class:`AccountUnavailableError` (a role that cannot
  log in, a locked account: HTTP 403), :class:`PasswordExpiredError` (Oracle's ORA-28001: HTTP
  403, distinct so that a change-password form can take over) and
  :class:`DatabaseUnreachableError` (HTTP 503);
- for a backend with a ``change_password`` hook (:class:`PasswordChanger`: Oracle), the
  change-password page ``/hub/change-password`` (:mod:`surveylab_hub.change_password`, registered
  by :meth:`ServerDatabaseAuthenticator.get_handlers`), where a login refused with ORA-28001
  lands; :meth:`ServerDatabaseAuthenticator.submit_password_change` checks its form.

The refusals live in :mod:`surveylab_hub.login` and the throttle in
:mod:`surveylab_hub.throttle`, shared by every login path; they are re-exported here.

Neither the password nor a driver's exception is ever logged or kept: a psycopg
``OperationalError`` holds the connection, whose ``repr`` shows the password, so every driver
error is turned into one of ours with ``raise ... from None``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tornado import web
from traitlets import Callable as CallableTrait
from traitlets import Float, Int, TraitError, Unicode, default, validate

from surveylab.catalog.login_errors import (
    LoginFailure,
    classify_login_error,
    oracle_error_code,
    oracle_login_failure,
)
from surveylab_hub.authenticator import DatabaseAuthenticator
from surveylab_hub.login import (
    AccountUnavailableError,
    DatabaseUnreachableError,
    LoginRefusedError,
    PasswordChangeError,
    PasswordChanger,
    PasswordExpiredError,
    PasswordRejectedError,
    ThrottledError,
)
from surveylab_hub.store import InvalidUsernameError, validate_username
from surveylab_hub.throttle import FailureThrottle

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

    @validate("new_password_min_length")
    def _validate_at_least_one(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 1:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be at least 1, not {value}")
        return value

    @validate("connect_timeout")
    def _validate_positive(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not value > 0:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be positive, not {value}")
        return value

    def default_connect_function(self) -> ConnectFunction:
        """The driver's connect function, used when `connect_function` is None."""
        raise NotImplementedError

    #: The query, run as the user, whose first column lists their database roles (their
    #: login groups, :mod:`surveylab_hub.login_groups`); None: no groups.
    GROUPS_SQL: str | None = None

    async def connect(self, **kwargs: Any) -> None:
        """Connect with ``kwargs`` through `connect_function`, then close the connection."""
        connect: ConnectFunction | None = self.connect_function
        if connect is None:
            connect = self.default_connect_function()
        connection = await connect(**kwargs)
        await connection.close()

    def connect_arguments(self, username: str, password: str) -> dict[str, Any]:
        """The keyword arguments that connect as ``username``."""
        raise NotImplementedError

    async def database_groups(self, username: str, password: str) -> list[str]:
        """The user's database roles (:attr:`GROUPS_SQL`), read by connecting as them after
        the login was accepted. A failure is logged (by type only: a driver's message may
        hold the password) and gives no groups."""
        if self.GROUPS_SQL is None:
            return []
        connect: ConnectFunction | None = self.connect_function
        if connect is None:
            connect = self.default_connect_function()
        failure = None
        try:
            connection = await connect(**self.connect_arguments(username, password))
            try:
                cursor = connection.cursor()
                await cursor.execute(self.GROUPS_SQL)
                rows = await cursor.fetchall()
            finally:
                await connection.close()
        except Exception as e:
            failure = type(e).__name__
            del e
        if failure is not None:
            self.log.error("Reading the database roles of %r failed with %s", username, failure)
            return []
        return [str(row[0]) for row in rows]

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
        username = self.normalize_username(str(data.get("username", "")))
        invalid = ""
        try:
            validate_username(username)
        except InvalidUsernameError as e:
            invalid = str(e)
        keys = self.throttle_keys(handler, None if invalid else username)
        self.check_throttle(keys)
        if invalid:
            raise PasswordChangeError(invalid)
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
            if e.counts_as_failure:
                self.record_failed_login(keys)
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
            self.record_failed_login(keys)
            self.log.warning("Password change refused for %r: wrong current password", username)
            raise LoginRefusedError("wrong username or current password")
        self.reset_user(username)
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

    #: The roles the login role is a member of, directly or not (itself too).
    GROUPS_SQL = "SELECT rolname FROM pg_roles WHERE pg_has_role(current_user, oid, 'member')"

    def connect_arguments(self, username: str, password: str) -> dict[str, Any]:
        """psycopg's connect arguments for ``username``."""
        return {
            "host": self.db_host,
            "port": self.db_port,
            "dbname": self.db_name,
            "user": username,
            "password": password,
            "connect_timeout": max(1, math.ceil(self.connect_timeout)),
        }

    async def check_credentials(self, username: str, password: str) -> bool:
        """Connect as ``username``; map psycopg's error to False or a :class:`LoginRefusedError`."""
        import psycopg

        failure: LoginFailure | None = None
        try:
            await self.connect(**self.connect_arguments(username, password))
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
        Easy Connect string of the Oracle database the users log in to, ``host:port/service``
        (for example ``db.example.org:1521/desdr``). Required.
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

    #: The roles enabled in the user's session (granted directly or through other roles).
    GROUPS_SQL = "SELECT role FROM session_roles"

    def connect_arguments(self, username: str, password: str) -> dict[str, Any]:
        """oracledb's connect arguments for ``username``."""
        return {"user": username, "password": password, "dsn": self.dsn}

    async def _connect_as(self, username: str, password: str, **extra: Any) -> str:
        """Connect as ``username``; return ``""`` or the code of the Oracle error."""
        if not self.dsn:
            raise TraitError("OracleAuthenticator.dsn must be set")
        failed, full_code = False, ""
        try:
            await self.connect(**self.connect_arguments(username, password), **extra)
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

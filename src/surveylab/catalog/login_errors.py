"""Why a database refused a login: one classification of Oracle's and PostgreSQL's errors.

The hub's authenticators (is the password right? may this account log in?) and the catalog
backends (why can this lab not open its catalog?) read the same errors, and must agree on them.
:func:`classify_login_error` takes the driver's exception and only reads it: a psycopg error
holds the connection, whose ``repr`` shows the password, so callers drop it right after.

- Oracle (python-oracledb): the ``full_code`` of ``error.args[0]``, ``ORA-01017`` or ``DPY-6005``
  (:func:`oracle_login_failure`).
- PostgreSQL (psycopg): the SQLSTATE when there is one; a failed connection has none
  (``sqlstate`` is None), and then libpq's message text decides (:func:`postgres_login_failure`).

No driver is imported here: the hub loads this module at start.
"""

from __future__ import annotations

import enum
import re

__all__ = [
    "LoginFailure",
    "classify_login_error",
    "oracle_error_code",
    "oracle_login_failure",
    "postgres_login_failure",
]


class LoginFailure(enum.Enum):
    """Why a login failed; ``message`` says it to a user."""

    #: Wrong username or password, or no such account (databases do not tell these apart).
    BAD_CREDENTIALS = "invalid username or password"
    #: The password was right but has expired: it must be changed first (ORA-28001).
    PASSWORD_EXPIRED = "the password has expired"
    #: The password was right and expires soon (ORA-28002, a warning): the login went through.
    PASSWORD_EXPIRING = "the password will expire soon"
    #: The account is locked (ORA-28000).
    ACCOUNT_LOCKED = "the account is locked"
    #: The account exists but may not log in (NOLOGIN, no CREATE SESSION, no CONNECT, pg_hba).
    NOT_PERMITTED = "the account is not permitted to log in"
    #: A password change was refused: the new password breaks the database's rules.
    NEW_PASSWORD_REFUSED = "the database refused the new password"
    #: The database could not be reached, is starting or stopping, or dropped the session.
    UNAVAILABLE = "the database is not reachable"
    #: Anything else (a misconfiguration, an internal error): not the user's to fix.
    OTHER = "the database could not check the login"

    @property
    def message(self) -> str:
        """What to tell the user."""
        return str(self.value)

    @property
    def refuses_account(self) -> bool:
        """Whether the database answered and refused this account (not an outage, not a bug)."""
        return self in _ACCOUNT_REFUSALS


_ACCOUNT_REFUSALS = frozenset(
    {
        LoginFailure.BAD_CREDENTIALS,
        LoginFailure.PASSWORD_EXPIRED,
        LoginFailure.ACCOUNT_LOCKED,
        LoginFailure.NOT_PERMITTED,
    }
)

#: Oracle's codes of a refused login (python-oracledb reports them as ``full_code``).
ORACLE_CODES: dict[str, LoginFailure] = {
    "ORA-01017": LoginFailure.BAD_CREDENTIALS,  # invalid username/password; logon denied
    "ORA-01005": LoginFailure.BAD_CREDENTIALS,  # null password given; logon denied
    "DPY-4001": LoginFailure.BAD_CREDENTIALS,  # no credentials (python-oracledb's ORA-01005)
    "ORA-28000": LoginFailure.ACCOUNT_LOCKED,  # the account is locked
    "ORA-28001": LoginFailure.PASSWORD_EXPIRED,  # the password has expired
    "ORA-28002": LoginFailure.PASSWORD_EXPIRING,  # the password will expire within n days
    "ORA-01045": LoginFailure.NOT_PERMITTED,  # user lacks CREATE SESSION privilege
    "ORA-28003": LoginFailure.NEW_PASSWORD_REFUSED,  # fails the profile's verify function
    "ORA-28007": LoginFailure.NEW_PASSWORD_REFUSED,  # the password cannot be reused
    "ORA-00988": LoginFailure.NEW_PASSWORD_REFUSED,  # missing or invalid password
    "ORA-01033": LoginFailure.UNAVAILABLE,  # initialization or shutdown in progress
    "ORA-01034": LoginFailure.UNAVAILABLE,  # ORACLE not available
    "ORA-01089": LoginFailure.UNAVAILABLE,  # immediate shutdown in progress
    "ORA-03113": LoginFailure.UNAVAILABLE,  # end-of-file on communication channel
    "ORA-03114": LoginFailure.UNAVAILABLE,  # not connected to ORACLE
    "ORA-03135": LoginFailure.UNAVAILABLE,  # connection lost contact
    "DPY-4011": LoginFailure.UNAVAILABLE,  # the database or network closed the connection
}
#: Code prefixes of an unreachable Oracle: python-oracledb's connection errors (DPY-6xxx) and
#: the network layer's TNS errors (ORA-121xx/122xx, e.g. ORA-12170 connect timeout; ORA-125xx,
#: the listener's, e.g. ORA-12541 no listener, ORA-12514 unknown service).
ORACLE_UNAVAILABLE_PREFIXES = ("DPY-6", "ORA-121", "ORA-122", "ORA-125")

#: PostgreSQL's SQLSTATEs of a refused login; classes 08 (connection) and 57P (shutdown) are
#: outages too.
POSTGRES_SQLSTATES: dict[str, LoginFailure] = {
    "28P01": LoginFailure.BAD_CREDENTIALS,  # invalid_password
    "42501": LoginFailure.NOT_PERMITTED,  # insufficient_privilege: no CONNECT on the database
    "53300": LoginFailure.UNAVAILABLE,  # too_many_connections
}
#: libpq's and the server's texts of a failed connection (psycopg gives no SQLSTATE then), in
#: order: the first that matches wins.
POSTGRES_MESSAGES: tuple[tuple[re.Pattern[str], LoginFailure], ...] = tuple(
    (re.compile(pattern), failure)
    for pattern, failure in (
        (r"password authentication failed", LoginFailure.BAD_CREDENTIALS),
        (r"no password supplied", LoginFailure.BAD_CREDENTIALS),
        (r'role ".*" does not exist', LoginFailure.BAD_CREDENTIALS),
        (r"is not permitted to log in", LoginFailure.NOT_PERMITTED),
        (r"no pg_hba\.conf entry", LoginFailure.NOT_PERMITTED),
        (r"pg_hba\.conf rejects connection", LoginFailure.NOT_PERMITTED),
        (r"permission denied for database", LoginFailure.NOT_PERMITTED),
        (r"connection refused", LoginFailure.UNAVAILABLE),
        (r"timeout expired", LoginFailure.UNAVAILABLE),
        (r"timed out", LoginFailure.UNAVAILABLE),
        (r"could not translate host name", LoginFailure.UNAVAILABLE),
        (r"no route to host", LoginFailure.UNAVAILABLE),
        (r"network is unreachable", LoginFailure.UNAVAILABLE),
        (r"server closed the connection", LoginFailure.UNAVAILABLE),
        (
            r"the database system is (starting up|shutting down|in recovery mode)",
            LoginFailure.UNAVAILABLE,
        ),
        (r"too many clients|remaining connection slots are reserved", LoginFailure.UNAVAILABLE),
        (r"could not connect", LoginFailure.UNAVAILABLE),
    )
)


def oracle_login_failure(full_code: str) -> LoginFailure:
    """Why Oracle refused a login, from its error's ``full_code``.

    >>> oracle_login_failure("ORA-28001"), oracle_login_failure("ORA-12170")
    (<LoginFailure.PASSWORD_EXPIRED: 'the password has expired'>, \
<LoginFailure.UNAVAILABLE: 'the database is not reachable'>)
    """
    code = full_code.strip().upper()
    if code in ORACLE_CODES:
        return ORACLE_CODES[code]
    if code.startswith(ORACLE_UNAVAILABLE_PREFIXES):
        return LoginFailure.UNAVAILABLE
    return LoginFailure.OTHER


def postgres_login_failure(message: str, sqlstate: str | None) -> LoginFailure:
    """Why PostgreSQL refused a login, from the error's SQLSTATE, else its message text.

    A wrong password, an unknown role and a password past its ``VALID UNTIL`` all read
    "password authentication failed": PostgreSQL tells the client no more.

    >>> postgres_login_failure('FATAL:  role "bob" is not permitted to log in', None)
    <LoginFailure.NOT_PERMITTED: 'the account is not permitted to log in'>
    """
    if sqlstate in POSTGRES_SQLSTATES:
        return POSTGRES_SQLSTATES[sqlstate]
    if sqlstate is not None and (sqlstate.startswith("08") or sqlstate.startswith("57P")):
        return LoginFailure.UNAVAILABLE
    text = " ".join(message.lower().split())
    for pattern, failure in POSTGRES_MESSAGES:
        if pattern.search(text):
            return failure
    if sqlstate == "28000":  # invalid_authorization_specification, with an unknown text
        return LoginFailure.NOT_PERMITTED
    return LoginFailure.OTHER


def oracle_error_code(error: BaseException) -> str:
    """The ``full_code`` of a python-oracledb error (``error.args[0].full_code``), or ``""``."""
    detail = error.args[0] if error.args else None
    return str(getattr(detail, "full_code", "") or "")


def classify_login_error(error: BaseException) -> LoginFailure:
    """Why a login failed, from a python-oracledb or psycopg error; OTHER for anything else.

    Only reads ``error``; drop it right after (a psycopg error's ``pgconn`` shows the password).
    """
    if hasattr(error, "sqlstate") and hasattr(error, "pgconn"):  # psycopg.Error
        sqlstate = getattr(error, "sqlstate", None)
        return postgres_login_failure(str(error), sqlstate if isinstance(sqlstate, str) else None)
    code = oracle_error_code(error)
    return oracle_login_failure(code) if code else LoginFailure.OTHER

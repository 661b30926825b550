"""One classification of failed logins, for Oracle and PostgreSQL.

Oracle's errors are real python-oracledb errors built the way the driver builds them; the
PostgreSQL ones are tables of libpq's texts, and real errors from the test server.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator

import oracledb
import psycopg
import pytest
from oracledb import errors as oracle_errors
from psycopg import sql

from surveylab.catalog.login_errors import (
    LoginFailure,
    classify_login_error,
    oracle_error_code,
    oracle_login_failure,
    postgres_login_failure,
)
from tests.support.postgres import PostgresServer

F = LoginFailure


def ora(message: str) -> oracledb.Error:
    """A database error as python-oracledb raises it for ``ORA-nnnnn: text``."""
    error = oracle_errors._Error(message, code=int(message[4:9]))
    exception: oracledb.Error = error.exc_type(error)
    return exception


def dpy(number: int, **args: object) -> oracledb.Error:
    """A python-oracledb driver error (``DPY-nnnn``)."""
    exception: oracledb.Error = oracle_errors._create_exception(number, **args)
    return exception


ORACLE = [
    ("01017", ora("ORA-01017: invalid credential or not authorized; logon denied"),
     F.BAD_CREDENTIALS),
    ("01005-is-dpy-4001", ora("ORA-01005: null password given; logon denied"), F.BAD_CREDENTIALS),
    ("28000", ora("ORA-28000: The account is locked."), F.ACCOUNT_LOCKED),
    ("28001", ora("ORA-28001: the password has expired"), F.PASSWORD_EXPIRED),
    ("28002", ora("ORA-28002: the password will expire within 7 days"), F.PASSWORD_EXPIRING),
    ("01045", ora("ORA-01045: Login denied. User DES_READER does not have CREATE SESSION "
                  "privilege."), F.NOT_PERMITTED),
    ("28003", ora("ORA-28003: password verification for the specified password failed"),
     F.NEW_PASSWORD_REFUSED),
    ("28007", ora("ORA-28007: the password cannot be reused"), F.NEW_PASSWORD_REFUSED),
    ("00988", ora("ORA-00988: missing or invalid password(s)"), F.NEW_PASSWORD_REFUSED),
    ("12154", ora("ORA-12154: Cannot connect to database. Cannot find alias desdr in "
                  "/etc/tnsnames.ora."), F.UNAVAILABLE),
    ("12170", ora("ORA-12170: Cannot connect. TCP connect timeout of 10s for host "
                  "desdb.example.org port 1521."), F.UNAVAILABLE),
    ("12541", ora("ORA-12541: Cannot connect. No listener at host desdb port 1521."),
     F.UNAVAILABLE),
    ("12514", ora("ORA-12514: Cannot connect to database. Service desdr is not registered "
                  "with the listener at host desdb port 1521."), F.UNAVAILABLE),
    ("01034", ora("ORA-01034: ORACLE not available"), F.UNAVAILABLE),
    ("01033", ora("ORA-01033: ORACLE initialization or shutdown in progress"), F.UNAVAILABLE),
    ("dpy-6005", dpy(oracle_errors.ERR_CONNECTION_FAILED, connection_id="x1",
                     cause=ConnectionRefusedError(111, "Connection refused")), F.UNAVAILABLE),
    ("dpy-4011", dpy(oracle_errors.ERR_CONNECTION_CLOSED), F.UNAVAILABLE),
    ("12899-not-network", ora('ORA-12899: value too large for column "X"."Y" (actual: 9, '
                              "maximum: 8)"), F.OTHER),
    ("00942", ora('ORA-00942: table or view "DES_ADMIN"."NOPE" does not exist'), F.OTHER),
    # python-oracledb reports these as DPY-4011, "the database or network closed the connection".
    ("03113-is-dpy-4011", ora("ORA-03113: end-of-file on communication channel"), F.UNAVAILABLE),
    ("00600-is-dpy-4011", ora("ORA-00600: internal error code, arguments: [kgl], [], []"),
     F.UNAVAILABLE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "expected"), [case[1:] for case in ORACLE], ids=[case[0] for case in ORACLE]
)
def test_oracle(error: oracledb.Error, expected: LoginFailure) -> None:
    assert classify_login_error(error) is expected
    assert oracle_login_failure(oracle_error_code(error)) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("ORA-03113", F.UNAVAILABLE, id="03113"),
        pytest.param("ORA-03114", F.UNAVAILABLE, id="03114"),
        pytest.param("ORA-03135", F.UNAVAILABLE, id="03135"),
        pytest.param("ORA-01005", F.BAD_CREDENTIALS, id="01005"),
        pytest.param("ORA-12203", F.UNAVAILABLE, id="12203"),
        pytest.param("ORA-00600", F.OTHER, id="00600"),
        pytest.param("ora-28000", F.ACCOUNT_LOCKED, id="lower-case"),
        pytest.param(" ORA-01017 ", F.BAD_CREDENTIALS, id="blanks"),
        pytest.param("", F.OTHER, id="no-code"),
    ],
)
def test_oracle_codes(code: str, expected: LoginFailure) -> None:
    """Codes as other drivers (or python-oracledb's thick mode's own mapping) may give them."""
    assert oracle_login_failure(code) is expected


def test_an_error_of_no_driver_is_other() -> None:
    assert classify_login_error(ConnectionError("cannot connect to db:1521")) is F.OTHER


HOST = 'connection failed: connection to server at "db.example.org" (10.1.2.3), port 5432 failed: '
POSTGRES = [
    ("password", HOST + 'FATAL:  password authentication failed for user "ann"', None,
     F.BAD_CREDENTIALS),
    ("sqlstate-28P01", "anything", "28P01", F.BAD_CREDENTIALS),
    ("no-password", HOST + "fe_sendauth: no password supplied", None, F.BAD_CREDENTIALS),
    ("unknown-role-trust", HOST + 'FATAL:  role "nobody" does not exist', None,
     F.BAD_CREDENTIALS),
    ("nologin", HOST + 'FATAL:  role "ann" is not permitted to log in', None, F.NOT_PERMITTED),
    ("pg-hba", HOST + 'FATAL:  no pg_hba.conf entry for host "10.9.9.9", user "ann", database '
     '"survey", no encryption', None, F.NOT_PERMITTED),
    ("no-connect", HOST + 'FATAL:  permission denied for database "survey"\nDETAIL:  User does '
     "not have CONNECT privilege.", None, F.NOT_PERMITTED),
    ("sqlstate-28000", "an unknown text", "28000", F.NOT_PERMITTED),
    ("refused", 'connection failed: connection to server at "127.0.0.1", port 1 failed: '
     "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
     "connections?", None, F.UNAVAILABLE),
    ("timeout", "connection timeout expired", None, F.UNAVAILABLE),
    ("dns", 'connection failed: could not translate host name "nope.invalid" to address: Name '
     "or service not known", None, F.UNAVAILABLE),
    ("starting-up", HOST + "FATAL:  the database system is starting up", None, F.UNAVAILABLE),
    ("too-many", HOST + "FATAL:  sorry, too many clients already", None, F.UNAVAILABLE),
    ("closed", "server closed the connection unexpectedly\n\tThis probably means the server "
     "terminated abnormally", None, F.UNAVAILABLE),
    ("sqlstate-08006", "anything", "08006", F.UNAVAILABLE),
    ("sqlstate-57P03", "anything", "57P03", F.UNAVAILABLE),
    ("no-database", HOST + 'FATAL:  database "nope" does not exist', None, F.OTHER),
]  # fmt: skip


@pytest.mark.parametrize(
    ("message", "sqlstate", "expected"),
    [case[1:] for case in POSTGRES],
    ids=[case[0] for case in POSTGRES],
)
def test_postgres_messages(message: str, sqlstate: str | None, expected: LoginFailure) -> None:
    assert postgres_login_failure(message, sqlstate) is expected


# --- PostgreSQL's own errors, from the test server ---------------------------------------------

NOLOGIN_ROLE = "login_errors_nologin"
EXPIRED_ROLE = "login_errors_expired"
ROLE_PASSWORD = "Pw-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def roles(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """A NOLOGIN role and one whose VALID UNTIL has passed, both with ROLE_PASSWORD."""
    with postgres_server.admin() as admin:
        for role, options in (
            (NOLOGIN_ROLE, "NOLOGIN"),
            (EXPIRED_ROLE, "LOGIN VALID UNTIL '2000-01-01'"),
        ):
            admin.execute(
                sql.SQL("CREATE ROLE {} " + options + " PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(ROLE_PASSWORD)
                )
            )
    yield postgres_server
    with postgres_server.admin() as admin:
        for role in (NOLOGIN_ROLE, EXPIRED_ROLE):
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _failure(server: PostgresServer, **overrides: object) -> LoginFailure:
    arguments: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "dbname": server.dbname,
        "user": server.user,
        "password": server.password,
        "connect_timeout": 3,
        **overrides,
    }
    failure: LoginFailure | None = None
    try:
        psycopg.connect(**arguments).close()  # type: ignore[arg-type]
    except psycopg.Error as error:
        failure = classify_login_error(error)
        del error  # its pgconn holds the password
    assert failure is not None, "the login went through"
    return failure


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"password": "wrong"}, F.BAD_CREDENTIALS, id="wrong-password"),
        pytest.param({"user": "nobody_here"}, F.BAD_CREDENTIALS, id="unknown-role"),
        pytest.param({"user": EXPIRED_ROLE, "password": ROLE_PASSWORD}, F.BAD_CREDENTIALS,
                     id="valid-until-past"),
        pytest.param({"user": NOLOGIN_ROLE, "password": ROLE_PASSWORD}, F.NOT_PERMITTED,
                     id="nologin"),
        pytest.param({"dbname": "no_such_db"}, F.OTHER, id="no-database"),
        pytest.param({"port": "closed"}, F.UNAVAILABLE, id="server-down"),
    ],
)  # fmt: skip
def test_postgres_server(
    roles: PostgresServer, overrides: dict[str, object], expected: LoginFailure
) -> None:
    if overrides.get("port") == "closed":
        overrides = {**overrides, "port": _closed_port()}
    assert _failure(roles, **overrides) is expected

"""PostgresAuthenticator against a real PostgreSQL server; OracleAuthenticator against a fake
driver; the failure throttle with an injected clock."""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from psycopg import sql
from tornado import web
from traitlets import TraitError

from surveylab.catalog.oracle import oracle_error
from surveylab.errors import CatalogUnavailableError
from surveylab_hub.authenticator import LoginRefusedError
from surveylab_hub.db_authenticators import (
    AccountUnavailableError,
    DatabaseUnreachableError,
    FailureThrottle,
    OracleAuthenticator,
    PasswordChangeError,
    PasswordChanger,
    PasswordExpiredError,
    PasswordRejectedError,
    PostgresAuthenticator,
    ThrottledError,
    password_change_problem,
)
from tests.support.postgres import PostgresServer

LOGGER = "surveylab.test.dbauth"
#: Login roles made for these tests, each with its own password.
NOLOGIN_ROLE = "auth_nologin"
EXPIRED_ROLE = "auth_expired"
ROLE_PASSWORD = "Pw-" + secrets.token_hex(8)
BAD_USERNAMES = [
    pytest.param("user@otherdb", id="at-other-db"),
    pytest.param("a/b", id="slash"),
    pytest.param("x'--", id="quote-comment"),
    pytest.param('x"y', id="double-quote"),
    pytest.param("a" * 65, id="overlong"),
    pytest.param("", id="empty"),
]


class Clock:
    """A settable clock for the throttle."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request_from(ip: str) -> Any:
    """A stand-in login handler: the authenticators read only ``request.remote_ip``."""
    return SimpleNamespace(request=SimpleNamespace(remote_ip=ip))


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_roles(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """A NOLOGIN role and a role whose VALID UNTIL has passed, both with ROLE_PASSWORD."""
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


@dataclass
class CountingConnect:
    """Wraps psycopg's connect and counts the calls."""

    calls: int = 0

    async def __call__(self, **kwargs: Any) -> psycopg.AsyncConnection[Any]:
        self.calls += 1
        return await psycopg.AsyncConnection.connect(**kwargs)


def postgres_auth(server: PostgresServer, **traits: Any) -> PostgresAuthenticator:
    traits = {
        "db_host": server.host,
        "db_port": server.port,
        "db_name": server.dbname,
        "connect_timeout": 3,
        **traits,
    }
    return PostgresAuthenticator(log=logging.getLogger(LOGGER), **traits)


def assert_no_password(caplog: pytest.LogCaptureFixture, excinfo: Any, *passwords: str) -> None:
    """No password in the log records, the exception or anything it chains to."""
    text = caplog.text
    if excinfo is not None:
        error: BaseException | None = excinfo.value
        while error is not None:
            text += repr(error) + str(error) + repr(vars(error))
            error = error.__cause__ or error.__context__
    for password in passwords:
        assert password not in text


@pytest.mark.parametrize(
    ("who", "password", "expected"),
    [
        pytest.param("reader", "right", "reader", id="right-password"),
        pytest.param("reader", "wrong", None, id="wrong-password"),
        pytest.param("nobody", "right", None, id="unknown-role"),
        pytest.param(EXPIRED_ROLE, ROLE_PASSWORD, None, id="valid-until-past"),
    ],
)
async def test_postgres_login(
    pg_roles: PostgresServer,
    caplog: pytest.LogCaptureFixture,
    who: str,
    password: str,
    expected: str | None,
) -> None:
    username = pg_roles.user if who == "reader" else who
    secret = pg_roles.password if password == "right" else password
    if password == "wrong":
        secret = "Wrong-" + secrets.token_hex(8)
    if expected == "reader":
        expected = pg_roles.user
    auth = postgres_auth(pg_roles)
    caplog.set_level(logging.DEBUG, LOGGER)
    result = await auth.authenticate(None, {"username": username, "password": secret})
    assert (result or {}).get("name") == expected
    if expected is None:
        assert "VALID UNTIL" in caplog.text  # an expired role is named among the causes
    assert_no_password(caplog, None, secret)


async def test_postgres_nologin_role_gets_clear_403(
    pg_roles: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    auth = postgres_auth(pg_roles)
    caplog.set_level(logging.DEBUG, LOGGER)
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": NOLOGIN_ROLE, "password": ROLE_PASSWORD})
    assert excinfo.value.status_code == 403
    assert "not permitted to log in" in str(excinfo.value.get_message())
    assert "not permitted to log in" in caplog.text
    assert excinfo.value.__cause__ is None
    assert_no_password(caplog, excinfo, ROLE_PASSWORD)


async def test_postgres_down_is_503(caplog: pytest.LogCaptureFixture) -> None:
    password = "Pw-" + secrets.token_hex(8)
    auth = PostgresAuthenticator(
        db_host="127.0.0.1", db_port=free_port(), connect_timeout=2, log=logging.getLogger(LOGGER)
    )
    caplog.set_level(logging.DEBUG, LOGGER)
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": "alice", "password": password})
    assert excinfo.value.status_code == 503
    assert "the survey database is not reachable" in str(excinfo.value.get_message())
    assert_no_password(caplog, excinfo, password)


@pytest.mark.parametrize("username", BAD_USERNAMES)
async def test_postgres_bad_username_never_connects(
    pg_roles: PostgresServer, username: str
) -> None:
    counter = CountingConnect()
    auth = postgres_auth(pg_roles, connect_function=counter)
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": username, "password": "x"})
    assert excinfo.value.status_code == 400  # the login page says what is wrong with the name
    assert excinfo.value.login_refusal == "MalformedLoginError"  # type: ignore[attr-defined]
    assert counter.calls == 0
    # the same wrapper does connect for a valid name
    await auth.authenticate(None, {"username": pg_roles.user, "password": pg_roles.password})
    assert counter.calls == 1


@pytest.mark.parametrize(
    ("traits", "fragment"),
    [
        pytest.param({"db_port": 0}, "PostgresAuthenticator.db_port", id="port-zero"),
        pytest.param({"db_host": " "}, "PostgresAuthenticator.db_host", id="empty-host"),
        pytest.param({"connect_timeout": 0}, "PostgresAuthenticator.connect_timeout", id="timeout"),
        pytest.param({"failure_limit": 0}, "PostgresAuthenticator.failure_limit", id="limit"),
    ],
)
def test_postgres_traits_are_validated(traits: dict[str, Any], fragment: str) -> None:
    with pytest.raises(TraitError, match=fragment):
        PostgresAuthenticator(**traits)


# --- Oracle, with a fake driver -----------------------------------------------------------


@dataclass
class OracleErrorDetail:
    """Shaped like python-oracledb's ``_Error``: ``DatabaseError(...).args[0]``."""

    full_code: str
    message: str


class FakeOracleError(Exception):
    """Shaped like ``oracledb.DatabaseError``."""


class FakeConnection:
    async def close(self) -> None:
        return None


@dataclass
class FakeOracleConnect:
    """``oracledb.connect_async`` that accepts one password, else raises ``code``."""

    password: str
    code: str | None = None
    calls: int = 0
    last_kwargs: dict[str, Any] | None = None

    async def __call__(self, **kwargs: Any) -> FakeConnection:
        self.calls += 1
        self.last_kwargs = {k: v for k, v in kwargs.items() if k != "password"}
        if self.code:
            raise FakeOracleError(OracleErrorDetail(self.code, f"{self.code}: failure"))
        if kwargs["password"] != self.password:
            raise FakeOracleError(OracleErrorDetail("ORA-01017", "invalid credential"))
        return FakeConnection()


def oracle_auth(connect: FakeOracleConnect, **traits: Any) -> OracleAuthenticator:
    return OracleAuthenticator(
        dsn="db.example.org:1521/desdr",
        connect_function=connect,
        log=logging.getLogger(LOGGER),
        **traits,
    )


async def test_oracle_right_password() -> None:
    connect = FakeOracleConnect(password="right-pw")
    auth = oracle_auth(connect)
    assert await auth.authenticate(None, {"username": "Alice", "password": "right-pw"}) == {
        "name": "alice",
        "auth_state": {"db_user": "alice", "db_password": "right-pw"},
    }
    assert connect.last_kwargs == {"user": "alice", "dsn": "db.example.org:1521/desdr"}


@pytest.mark.parametrize(
    ("code", "status", "fragment"),
    [
        pytest.param("ORA-01017", None, None, id="invalid-credential"),
        pytest.param("ORA-28000", 403, "account 'alice' is locked", id="locked"),
        pytest.param("ORA-01045", 403, "not permitted to log in", id="no-create-session"),
        pytest.param("ORA-28001", 403, "has expired; change it", id="expired"),
        pytest.param("DPY-6005", 503, "the survey database is not reachable", id="cannot-connect"),
        pytest.param("ORA-12541", 503, "the survey database is not reachable", id="no-listener"),
        pytest.param("ORA-00600", 503, "could not check the login (ORA-00600)", id="other"),
    ],
)
async def test_oracle_errors(
    caplog: pytest.LogCaptureFixture, code: str, status: int | None, fragment: str | None
) -> None:
    password = "Pw-" + secrets.token_hex(8)
    auth = oracle_auth(FakeOracleConnect(password="never", code=code))
    caplog.set_level(logging.DEBUG, LOGGER)
    data = {"username": "alice", "password": password}
    if status is None or fragment is None:
        assert await auth.authenticate(None, data) is None
        assert_no_password(caplog, None, password)
        return
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, data)
    assert excinfo.value.status_code == status
    assert fragment in str(excinfo.value.get_message())
    assert excinfo.value.jupyterhub_message == excinfo.value.get_message()  # type: ignore[attr-defined]
    assert_no_password(caplog, excinfo, password)


async def test_oracle_expired_password_is_distinguishable() -> None:
    auth = oracle_auth(FakeOracleConnect(password="x", code="ORA-28001"))
    with pytest.raises(PasswordExpiredError):
        await auth.check_credentials("alice", "x")
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": "alice", "password": "x"})
    assert excinfo.value.login_refusal == "PasswordExpiredError"  # type: ignore[attr-defined]


async def test_oracle_change_password_passes_newpassword() -> None:
    connect = FakeOracleConnect(password="old-pw")
    auth = oracle_auth(connect)
    assert await auth.change_password("alice", "old-pw", "new-pw") is True
    assert connect.last_kwargs is not None
    assert connect.last_kwargs["newpassword"] == "new-pw"
    assert await auth.change_password("alice", "wrong", "new-pw") is False


@pytest.mark.parametrize("username", BAD_USERNAMES)
async def test_oracle_bad_username_never_connects(username: str) -> None:
    connect = FakeOracleConnect(password="pw")
    auth = oracle_auth(connect)
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": username, "password": "pw"})
    assert excinfo.value.status_code == 400
    assert connect.calls == 0


#: Errors of an Oracle that cannot be reached, and what the catalog backend says of them.
UNREACHABLE = [
    pytest.param("DPY-6005", id="dpy-6005"),
    pytest.param("ORA-12541", id="no-listener"),
    pytest.param("ORA-12170", id="connect-timeout"),
    pytest.param("ORA-03113", id="end-of-file"),
    pytest.param("ORA-03114", id="not-connected"),
    pytest.param("ORA-01034", id="oracle-not-available"),
]


@pytest.mark.parametrize("code", UNREACHABLE)
async def test_oracle_hub_and_catalog_agree_the_database_is_unreachable(code: str) -> None:
    """The hub's login and the lab's catalog read an Oracle outage alike (one classification)."""
    auth = oracle_auth(FakeOracleConnect(password="never", code=code))
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": "alice", "password": "pw"})
    assert excinfo.value.status_code == 503
    assert excinfo.value.get_message() == "the survey database is not reachable; try again later"

    error = FakeOracleError(OracleErrorDetail(code, f"{code}: failure"))
    translated = oracle_error(error, where="db.example.org:1521/desdr")
    assert isinstance(translated, CatalogUnavailableError)
    assert str(translated).startswith("cannot reach the Oracle catalog")


async def test_oracle_password_expiring_soon_logs_in() -> None:
    """ORA-28002 is a warning: the password is right."""
    auth = oracle_auth(FakeOracleConnect(password="x", code="ORA-28002"))
    assert await auth.authenticate(None, {"username": "alice", "password": "x"}) == {
        "name": "alice",
        "auth_state": {"db_user": "alice", "db_password": "x"},
    }


@pytest.mark.parametrize(
    "dsn",
    [pytest.param("", id="empty"), pytest.param("scott@db:1521/x", id="user-in-dsn")],
)
def test_oracle_dsn_is_validated(dsn: str) -> None:
    with pytest.raises(TraitError, match=r"OracleAuthenticator\.dsn"):
        OracleAuthenticator(dsn=dsn)


# --- the failure throttle -----------------------------------------------------------------


def test_throttle_sliding_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=3, window=60, cooldown=120, clock=clock)
    for _ in range(2):
        throttle.record_failure("k")
        clock.now += 40
    # the first failure fell out of the window: two in it, still allowed
    throttle.record_failure("k")
    assert throttle.retry_after("k") == 0
    throttle.record_failure("k")
    assert throttle.retry_after("k") == 120
    clock.now += 119
    assert throttle.retry_after("k") == 1
    clock.now += 1
    assert throttle.retry_after("k") == 0
    assert throttle.retry_after("other") == 0


def test_throttle_reset_and_bad_limit() -> None:
    throttle = FailureThrottle(limit=1, clock=Clock())
    throttle.record_failure("k")
    assert throttle.retry_after("k") > 0
    throttle.reset("k")
    assert throttle.retry_after("k") == 0
    with pytest.raises(ValueError, match="limit"):
        FailureThrottle(limit=0)


@pytest.mark.parametrize(
    ("second_user", "second_ip", "throttled"),
    [
        pytest.param("alice", "10.0.0.2", True, id="same-user-other-address"),
        pytest.param("bob", "10.0.0.1", True, id="other-user-same-address"),
        pytest.param("bob", "10.0.0.2", False, id="other-user-other-address"),
    ],
)
async def test_throttle_per_username_and_address(
    second_user: str, second_ip: str, throttled: bool
) -> None:
    clock = Clock()
    connect = FakeOracleConnect(password="right")
    auth = oracle_auth(
        connect,
        failure_limit=3,
        address_failure_limit=3,
        failure_window=300,
        failure_cooldown=60,
        clock=clock,
    )
    for _ in range(3):
        data = {"username": "alice", "password": "wrong"}
        assert await auth.authenticate(request_from("10.0.0.1"), data) is None
    calls = connect.calls
    second = {"username": second_user, "password": "right"}
    if not throttled:
        result = await auth.authenticate(request_from(second_ip), second)
        assert result is not None and result["name"] == second_user
        return
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(request_from(second_ip), second)
    assert excinfo.value.status_code == 429
    message = str(excinfo.value.get_message())
    assert message.startswith("too many failed logins") and "; try again in 1 minute" in message
    assert connect.calls == calls  # refused before connecting
    clock.now += 60
    result = await auth.authenticate(request_from(second_ip), second)
    assert result is not None and result["name"] == second_user


async def test_throttle_counts_refusals_not_outages() -> None:
    clock = Clock()
    auth = oracle_auth(
        FakeOracleConnect(password="x", code="DPY-6005"), failure_limit=1, clock=clock
    )
    for _ in range(2):
        with pytest.raises(web.HTTPError) as excinfo:
            await auth.authenticate(None, {"username": "alice", "password": "x"})
        assert excinfo.value.status_code == 503
    auth = oracle_auth(
        FakeOracleConnect(password="x", code="ORA-28000"), failure_limit=1, clock=clock
    )
    statuses = []
    for _ in range(2):
        with pytest.raises(web.HTTPError) as excinfo:
            await auth.authenticate(None, {"username": "alice", "password": "x"})
        statuses.append(excinfo.value.status_code)
    assert statuses == [403, 429]


async def test_postgres_throttle_after_wrong_passwords(pg_roles: PostgresServer) -> None:
    counter = CountingConnect()
    auth = postgres_auth(pg_roles, connect_function=counter, failure_limit=2, clock=Clock())
    for _ in range(2):
        data = {"username": pg_roles.user, "password": "nope"}
        assert await auth.authenticate(None, data) is None
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": pg_roles.user, "password": pg_roles.password})
    assert excinfo.value.status_code == 429
    assert counter.calls == 2


async def test_throttle_does_not_count_expired_passwords() -> None:
    """ORA-28001 proves the password right: it must not lock the user out of the change form."""
    auth = oracle_auth(FakeOracleConnect(password="x", code="ORA-28001"), failure_limit=1)
    for _ in range(3):
        with pytest.raises(web.HTTPError) as excinfo:
            await auth.authenticate(None, {"username": "alice", "password": "x"})
        assert excinfo.value.status_code == 403


# --- changing a password (the change-password page's service) ------------------------------


@pytest.mark.parametrize(
    ("password", "new", "confirm", "problem"),
    [
        pytest.param("old", "new-password", "new-password", None, id="ok"),
        pytest.param("", "new-password", "new-password", "fill in", id="no-current"),
        pytest.param("old", "", "", "fill in", id="no-new"),
        pytest.param("old", "new-password", "new-passwort", "copies of the new password differ",
                     id="copies-differ"),
        pytest.param("same-password", "same-password", "same-password", "must differ",
                     id="same-as-current"),
        pytest.param("old", "short", "short", "at least 8 characters", id="too-short"),
    ],
)  # fmt: skip
def test_password_change_problem(
    password: str, new: str, confirm: str, problem: str | None
) -> None:
    found = password_change_problem(password, new, confirm, min_length=8)
    assert found == problem if problem is None else problem in (found or "")


def change_form(username: str = "alice", password: str = "old-pw", new: str = "new-password-1",
                confirm: str | None = None) -> dict[str, str]:  # fmt: skip
    return {
        "username": username,
        "password": password,
        "new_password": new,
        "new_password_confirm": new if confirm is None else confirm,
    }


async def test_submit_password_change_changes_it(caplog: pytest.LogCaptureFixture) -> None:
    connect = FakeOracleConnect(password="old-pw")
    auth = oracle_auth(connect)
    caplog.set_level(logging.DEBUG, LOGGER)
    assert await auth.submit_password_change(None, change_form(username=" Alice ")) == "alice"
    assert connect.last_kwargs == {
        "user": "alice",
        "dsn": "db.example.org:1521/desdr",
        "newpassword": "new-password-1",
    }
    assert "Changed the database password of 'alice'" in caplog.text
    assert_no_password(caplog, None, "old-pw", "new-password-1")


@pytest.mark.parametrize(
    ("code", "form", "error", "status", "fragment", "connects"),
    [
        pytest.param(None, {"confirm": "other-password"}, PasswordChangeError, 400,
                     "copies of the new password differ", 0, id="copies-differ"),
        pytest.param(None, {"username": "a/b"}, PasswordChangeError, 400, "a/b", 0,
                     id="bad-username"),
        pytest.param(None, {"password": "wrong-pw"}, LoginRefusedError, 403,
                     "wrong username or current password", 1, id="wrong-current"),
        pytest.param("ORA-28003", {}, PasswordRejectedError, 400,
                     "refused the new password (ORA-28003): it does not meet", 1, id="28003"),
        pytest.param("ORA-28007", {}, PasswordRejectedError, 400, "cannot be reused", 1,
                     id="28007"),
        pytest.param("ORA-28000", {}, AccountUnavailableError, 403, "is locked", 1, id="locked"),
        pytest.param("DPY-6005", {}, DatabaseUnreachableError, 503, "not reachable", 1,
                     id="unreachable"),
    ],
)  # fmt: skip
async def test_submit_password_change_refusals(
    caplog: pytest.LogCaptureFixture,
    code: str | None,
    form: dict[str, str],
    error: type[LoginRefusedError],
    status: int,
    fragment: str,
    connects: int,
) -> None:
    connect = FakeOracleConnect(password="old-pw", code=code)
    auth = oracle_auth(connect)
    caplog.set_level(logging.DEBUG, LOGGER)
    with pytest.raises(LoginRefusedError) as excinfo:
        await auth.submit_password_change(None, change_form(**form))
    assert type(excinfo.value) is error
    assert excinfo.value.status_code == status
    assert fragment in excinfo.value.message
    assert connect.calls == connects
    assert_no_password(caplog, excinfo, "old-pw", "wrong-pw", "new-password-1", "other-password")


async def test_a_driver_error_without_code_is_a_clear_503(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(**kwargs: Any) -> None:
        raise RuntimeError(f"connect to {kwargs['dsn']} as {kwargs['password']} failed")

    auth = OracleAuthenticator(
        dsn="db:1521/x", connect_function=broken, log=logging.getLogger(LOGGER)
    )
    caplog.set_level(logging.DEBUG, LOGGER)
    with pytest.raises(DatabaseUnreachableError) as excinfo:
        await auth.submit_password_change(None, change_form())
    assert "could not check the login" in excinfo.value.message
    assert "TypeError" in caplog.text
    assert_no_password(caplog, excinfo, "old-pw", "new-password-1")


async def test_password_change_throttle() -> None:
    """Wrong current passwords count; a new password the database refused does not."""
    clock = Clock()
    connect = FakeOracleConnect(password="old-pw")
    auth = oracle_auth(connect, failure_limit=2, clock=clock)
    for _ in range(2):
        with pytest.raises(LoginRefusedError):
            await auth.submit_password_change(None, change_form(password="wrong-pw"))
    with pytest.raises(
        ThrottledError, match=r"too many failed logins for this username; try again in 5 minutes"
    ):
        await auth.submit_password_change(None, change_form())
    assert connect.calls == 2  # refused before connecting
    clock.now += 300
    refusing = oracle_auth(FakeOracleConnect(password="old-pw", code="ORA-28003"), failure_limit=1)
    for _ in range(2):
        with pytest.raises(PasswordRejectedError):
            await refusing.submit_password_change(None, change_form())
    assert await auth.submit_password_change(None, change_form()) == "alice"


def test_new_password_min_length_is_validated() -> None:
    with pytest.raises(TraitError, match=r"OracleAuthenticator\.new_password_min_length"):
        OracleAuthenticator(dsn="db:1521/x", new_password_min_length=0)


async def test_only_a_backend_that_changes_passwords_offers_the_page(
    pg_roles: PostgresServer,
) -> None:
    from jupyterhub.handlers.login import LoginHandler

    from surveylab_hub.change_password import ChangePasswordHandler, ExpiredPasswordLoginHandler

    oracle = oracle_auth(FakeOracleConnect(password="x"))
    assert isinstance(oracle, PasswordChanger)
    assert oracle.get_handlers(None) == [
        ("/login", ExpiredPasswordLoginHandler),
        ("/change-password", ChangePasswordHandler),
    ]
    postgres = postgres_auth(pg_roles)
    assert not isinstance(postgres, PasswordChanger)
    assert postgres.get_handlers(None) == [("/login", LoginHandler)]
    with pytest.raises(PasswordChangeError, match="does not let passwords be changed"):
        await postgres.submit_password_change(None, change_form())


async def test_a_login_driver_error_without_code_keeps_no_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not even in the suppressed ``__context__`` chain of the 503."""

    async def broken(**kwargs: Any) -> None:
        raise RuntimeError(f"connect as {kwargs['password']} failed")

    auth = OracleAuthenticator(
        dsn="db:1521/x", connect_function=broken, log=logging.getLogger(LOGGER)
    )
    caplog.set_level(logging.DEBUG, LOGGER)
    with pytest.raises(web.HTTPError) as excinfo:
        await auth.authenticate(None, {"username": "alice", "password": "old-pw"})
    assert excinfo.value.status_code == 503
    assert_no_password(caplog, excinfo, "old-pw")


async def test_throttle_ignores_malformed_logins() -> None:
    """A login that never reached the database is no guess: it does not use up the limit."""
    connect = FakeOracleConnect(password="right")
    auth = oracle_auth(connect, failure_limit=1, clock=Clock())
    for data in ({"username": "alice", "password": ""}, {"username": "al ice", "password": "x"}):
        with pytest.raises(web.HTTPError) as excinfo:
            await auth.authenticate(request_from("10.0.0.1"), data)
        assert excinfo.value.status_code == 400
    result = await auth.authenticate(
        request_from("10.0.0.1"), {"username": "alice", "password": "right"}
    )
    assert result is not None and result["name"] == "alice"

"""The hub groups each kind of login gives (issue 17), from which the user's role follows.

PostgreSQL through a real server; Oracle (which cannot run here) through a fake connection
and the shape of its query; workshop pools through the embedded store; OAuth through
oauthenticator's own ``get_user_groups`` on an auth_state.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from psycopg import sql
from traitlets.config import Config

from surveylab_hub.authenticator import EmbeddedAuthenticator
from surveylab_hub.config import configure_roles
from surveylab_hub.db_authenticators import OracleAuthenticator, PostgresAuthenticator
from surveylab_hub.oauth import SurveylabCILogonOAuthenticator, SurveylabGenericOAuthenticator
from surveylab_hub.pools import WORKSHOP_GROUP, PoolStore
from surveylab_hub.profiles import load_profiles, user_role
from tests.core.test_roles import SHIPPED
from tests.support.postgres import PostgresServer

LOGGER = "surveylab.test.logingroups"

#: Database roles: one that grants a surveylab role, one that does not, and a login role in both.
POWER_ROLE = "roles_test_power"
OTHER_ROLE = "roles_test_other"
MEMBER = "roles_test_member"
MEMBER_PASSWORD = "member-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def pg_members(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    with postgres_server.admin() as admin:
        for role in (POWER_ROLE, OTHER_ROLE):
            admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}, {}").format(
                sql.Identifier(MEMBER),
                sql.Literal(MEMBER_PASSWORD),
                sql.Identifier(POWER_ROLE),
                sql.Identifier(OTHER_ROLE),
            )
        )
        admin.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(postgres_server.dbname), sql.Identifier(MEMBER)
            )
        )
    yield postgres_server
    with postgres_server.admin() as admin:
        admin.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(
                sql.Identifier(postgres_server.dbname), sql.Identifier(MEMBER)
            )
        )
        for role in (MEMBER, POWER_ROLE, OTHER_ROLE):
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _postgres(server: PostgresServer, **traits: Any) -> PostgresAuthenticator:
    return PostgresAuthenticator(
        db_host=server.host,
        db_port=server.port,
        db_name=server.dbname,
        connect_timeout=3,
        log=logging.getLogger(LOGGER),
        **traits,
    )


async def test_a_postgres_login_gives_the_database_roles_that_grant_a_role(
    pg_members: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    auth = _postgres(pg_members, manage_groups=True, role_groups=[POWER_ROLE, "workshop"])
    result = await auth.authenticate(None, {"username": MEMBER, "password": MEMBER_PASSWORD})
    assert result is not None
    assert result["groups"] == [POWER_ROLE]  # not roles_test_other, not the login role itself
    assert MEMBER_PASSWORD not in caplog.text


async def test_without_managed_groups_a_login_gives_none(pg_members: PostgresServer) -> None:
    auth = _postgres(pg_members, role_groups=[POWER_ROLE])
    result = await auth.authenticate(None, {"username": MEMBER, "password": MEMBER_PASSWORD})
    assert result is not None and "groups" not in result


def test_the_oracle_query_reads_the_session_roles() -> None:
    tree = sqlglot.parse_one(OracleAuthenticator.GROUPS_SQL, read="oracle")
    assert isinstance(tree, sqlglot.exp.Select)
    assert [column.name.upper() for column in tree.expressions] == ["ROLE"]
    assert [table.name.upper() for table in tree.find_all(sqlglot.exp.Table)] == ["SESSION_ROLES"]


@dataclass
class FakeCursor:
    rows: list[tuple[str]]
    executed: list[str] = field(default_factory=list)

    async def execute(self, statement: str) -> None:
        self.executed.append(statement)

    async def fetchall(self) -> list[tuple[str]]:
        return self.rows


@dataclass
class FakeOracle:
    """``oracledb.connect_async``: accepts ``password``; its sessions have ``roles``."""

    password: str
    roles: list[str]
    cursors: list[FakeCursor] = field(default_factory=list)
    closed: int = 0

    async def __call__(self, **kwargs: Any) -> FakeOracle:
        if kwargs["password"] != self.password:
            raise RuntimeError("ORA-01017: invalid credential")
        return self

    def cursor(self) -> FakeCursor:
        self.cursors.append(FakeCursor([(role,) for role in self.roles]))
        return self.cursors[-1]

    async def close(self) -> None:
        self.closed += 1


async def test_an_oracle_login_gives_its_session_roles_in_lower_case() -> None:
    oracle = FakeOracle("right-pw", ["CONNECT", "ADVANCED", "DES_READER"])
    auth = OracleAuthenticator(
        dsn="db.example.org:1521/desdr",
        connect_function=oracle,
        manage_groups=True,
        role_groups=sorted(SHIPPED.group_names),
        log=logging.getLogger(LOGGER),
    )
    result = await auth.authenticate(None, {"username": "alice", "password": "right-pw"})
    assert result is not None and result["groups"] == ["advanced"]
    assert [c.executed for c in oracle.cursors] == [[OracleAuthenticator.GROUPS_SQL]]
    assert oracle.closed == 2  # the password check's connection and the roles' one
    assert user_role(result["groups"], roles=SHIPPED).name == "advanced"


async def test_a_pool_user_is_in_the_workshop_group(tmp_path: Path) -> None:
    pools = PoolStore(tmp_path / "pools.json")
    expires = datetime.now(UTC) + timedelta(hours=2)
    created = pools.create("ws", size=1, expires=expires, profiles=load_profiles())
    login = created.logins[0]
    auth = EmbeddedAuthenticator(
        store_path=str(tmp_path / "users.json"),
        pools_path=str(tmp_path / "pools.json"),
        manage_groups=True,
        log=logging.getLogger(LOGGER),
    )
    result = await auth.authenticate(None, {"username": login.username, "password": login.password})
    assert result is not None and result["groups"] == [WORKSHOP_GROUP]
    assert user_role(result["groups"], roles=SHIPPED).name == "workshop"


async def test_an_embedded_login_gives_no_groups(tmp_path: Path) -> None:
    auth = EmbeddedAuthenticator(
        store_path=str(tmp_path / "users.json"), manage_groups=True, log=logging.getLogger(LOGGER)
    )
    auth.store.add("ada", "ada-password-1")
    result = await auth.authenticate(None, {"username": "ada", "password": "ada-password-1"})
    assert result == {"name": "ada", "groups": []}


def _oauth(**traits: Any) -> SurveylabGenericOAuthenticator:
    return SurveylabGenericOAuthenticator(
        manage_groups=True, role_groups=sorted(SHIPPED.group_names), **traits
    )


async def test_an_oauth_login_gives_the_claims_groups_that_grant_a_role() -> None:
    auth = _oauth(auth_state_groups_key="oauth_user.groups")
    state = {"oauth_user": {"groups": ["Advanced", "astronomers"]}}
    assert await auth.get_user_groups(state) == {"advanced"}


async def test_an_oauth_provider_without_a_groups_claim_gives_none() -> None:
    # the generic provider reads oauth_user.groups by default; CILogon names no claim
    assert await _oauth().get_user_groups({"oauth_user": {"sub": "ada"}}) == set()
    cilogon = SurveylabCILogonOAuthenticator(manage_groups=True, role_groups=["advanced"])
    assert await cilogon.get_user_groups({"oauth_user": {"groups": ["advanced"]}}) == set()


def test_the_hub_configuration_reaches_every_authenticator() -> None:
    """``surveylab hub`` sets ``LoginGroups.role_groups`` once (from roles.yaml); every kind of
    authenticator reads it."""
    c = Config()
    configure_roles(c, SHIPPED)
    for kind in (EmbeddedAuthenticator, PostgresAuthenticator, SurveylabCILogonOAuthenticator):
        auth = kind(config=c)
        assert (auth.manage_groups, auth.role_groups) == (True, sorted(SHIPPED.group_names))

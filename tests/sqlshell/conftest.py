"""Fixtures of the shell's tests: the environment a lab terminal gives ``surveylab sql``, a
PostgreSQL login that may keep tables of its own, and a way to run the command."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql

from tests.support.cli import run_in_process
from tests.support.postgres import PostgresServer

#: ``surveylab sql`` run by this interpreter, so that the code under test is this checkout's.
SQL_COMMAND = (sys.executable, "-m", "surveylab.cli", "sql")
#: A query that runs for minutes on the demo survey unless it is cancelled.
SLOW_SQL = "SELECT COUNT(*) AS N FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"
#: The PostgreSQL login of the tests that upload tables (it may create its own schema).
UPLOADER = "sqlshell_uploader"


@dataclass(frozen=True)
class PostgresLogin:
    """A login on the test server: its environment for the shell, and its password."""

    user: str
    password: str
    url: str

    def env(self) -> dict[str, str]:
        return {
            "SURVEYLAB_CATALOG_URL": self.url,
            "SURVEYLAB_DB_USER": self.user,
            "SURVEYLAB_DB_PASSWORD": self.password,
        }


@pytest.fixture
def shell_env(demo_data_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a lab terminal on the demo survey, with a home of its own."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SURVEYLAB_", "PAGER", "LESS"))
    }
    env.update(
        HOME=str(home),
        SURVEYLAB_DATA_DIR=str(demo_data_dir),
        SURVEYLAB_JOBS_DIR=str(tmp_path / "jobs"),
        TERM="xterm-256color",
        PROMPT_TOOLKIT_NO_CPR="1",
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    return env


def run_sql(
    *args: str, env: Mapping[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``surveylab sql ARGS`` as a script runs it, in this process (about 50 runs: a second of
    start-up saved on each); :func:`run_sql_process` is the real process."""
    return run_in_process("sql", *args, env=env, cwd=cwd, stdin=stdin)


def run_sql_process(
    *args: str, env: Mapping[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``surveylab sql ARGS`` run as its own process, as a script runs it."""
    return subprocess.run(
        [*SQL_COMMAND, *args],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        input=stdin,
        timeout=180,
        check=False,
    )


@pytest.fixture
def reader_login(postgres_server: PostgresServer) -> PostgresLogin:
    """The read-only ``survey_reader`` of the test server (no schema of its own)."""
    return PostgresLogin(postgres_server.user, postgres_server.password, postgres_server.url)


@pytest.fixture
def uploader_login(postgres_server: PostgresServer) -> Iterator[PostgresLogin]:
    """A login that reads the release and may create its own schema, dropped afterwards."""
    password = secrets.token_hex(12)
    role = sql.Identifier(UPLOADER)
    with postgres_server.admin() as admin:
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(role))
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password))
        )
        admin.execute(
            sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO {}").format(
                sql.Identifier(postgres_server.dbname), role
            )
        )
        for schema in ("public", "tap_schema"):
            admin.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role)
            )
            admin.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    sql.Identifier(schema), role
                )
            )
    yield PostgresLogin(UPLOADER, password, postgres_server.url)
    with postgres_server.admin() as admin:
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(role))
        admin.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(
                sql.Identifier(postgres_server.dbname), role
            )
        )
        for schema in ("public", "tap_schema"):
            admin.execute(
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(
                    sql.Identifier(schema), role
                )
            )
            admin.execute(
                sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(sql.Identifier(schema), role)
            )
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))

"""A throwaway PostgreSQL 15 server holding the demo survey, for catalog and credential tests.

:func:`start_postgres` runs Debian's ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when run
as root) on a free port of 127.0.0.1, with a Unix socket in a fresh folder, ``fsync=off``, trust
on the socket for the admin and SCRAM passwords over TCP. :func:`load_demo_survey` copies the demo
survey's ``DR1_MAIN``, ``DR1_TILE_INFO`` and ``tap_schema`` from its DuckDB file, with lower-case
names so that unquoted ``DR1_MAIN`` works as in Oracle, and creates the login role
``survey_reader`` with a random password and SELECT rights only.

Fixtures (register this module as a pytest plugin, e.g. ``pytest_plugins`` in conftest.py):

``postgres_server``
    session: the running server with the demo survey loaded (:class:`PostgresServer`).
``postgres_catalog``
    function: a :class:`~surveylab.catalog.PostgresCatalog` opened as ``survey_reader``.

Without pytest (the hub benchmark): :func:`start_postgres`, :func:`load_demo_survey`,
:func:`create_login_roles` and :meth:`PostgresServer.stop`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

from surveylab.catalog import PostgresCatalog

__all__ = [
    "PG_BIN",
    "READER_ROLE",
    "PostgresServer",
    "create_login_roles",
    "load_demo_survey",
    "postgres_catalog",
    "postgres_server",
    "start_postgres",
]

#: Debian's PostgreSQL 15 programs (package ``postgresql``).
PG_BIN = Path(os.environ.get("SURVEYLAB_PG_BIN", "/usr/lib/postgresql/15/bin"))
#: The system account that runs the server when the tests run as root.
PG_SYSTEM_USER = "postgres"
#: The database and the read-only login the catalog tests use.
DATABASE = "survey"
READER_ROLE = "survey_reader"
#: The demo survey's tables copied into PostgreSQL, and the TAP_SCHEMA tables.
DEMO_TABLES = ("DR1_MAIN", "DR1_TILE_INFO", "DR1_ANOMALY_TRUTH")
TAP_TABLES = ("schemas", "tables", "columns")
#: DuckDB column types of the demo survey and their PostgreSQL spelling.
PG_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
}
#: Seconds pg_ctl waits for the server to start or stop.
PG_CTL_TIMEOUT = 30
#: Trust for the admin on the Unix socket; SCRAM passwords over TCP, as in production.
INITDB_AUTH = ("--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8")


@dataclass
class PostgresServer:
    """A running test server. ``url`` carries no password; ``password`` is ``user``'s."""

    root: Path
    port: int
    user: str
    password: str
    dbname: str = DATABASE
    host: str = "127.0.0.1"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        """The catalog URL, as ``SURVEYLAB_CATALOG_URL`` would hold it."""
        return f"postgresql://{self.host}:{self.port}/{self.dbname}"

    @property
    def admin_dsn(self) -> str:
        """Superuser connection string (trust over the Unix socket; no password)."""
        return f"host={self.socket_dir} port={self.port} user={PG_SYSTEM_USER} dbname={self.dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """A new autocommit superuser connection."""
        return psycopg.connect(self.admin_dsn, autocommit=True)

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and remove its files."""
        if self.data_dir.is_dir():
            _pg([*_pg_ctl(self.data_dir), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_ctl(data_dir: Path) -> list[str]:
    return ["pg_ctl", "-D", str(data_dir), "-w", "-t", str(PG_CTL_TIMEOUT)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_root() -> bool:
    return os.geteuid() == 0


def _pg(args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program, as the ``postgres`` account when we are root."""
    command = [str(PG_BIN / args[0]), *args[1:]]
    if _as_root():
        command = ["runuser", "-u", PG_SYSTEM_USER, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
    return result


def start_postgres(password: str | None = None) -> PostgresServer:
    """Start an empty server with database ``survey``; the caller must :meth:`stop` it."""
    if not (PG_BIN / "initdb").is_file():
        raise RuntimeError(f"PostgreSQL is not installed in {PG_BIN} (apt-get install postgresql)")
    # Under /tmp, not pytest's tmp_path: the postgres account must reach it (pytest's is 0700).
    root = Path(tempfile.mkdtemp(prefix="surveylab-pg-"))
    (root / "sock").mkdir()
    if _as_root():
        shutil.chown(root, PG_SYSTEM_USER, PG_SYSTEM_USER)
        shutil.chown(root / "sock", PG_SYSTEM_USER, PG_SYSTEM_USER)
    server = PostgresServer(
        root=root, port=_free_port(), user=READER_ROLE, password=password or secrets.token_hex(16)
    )
    try:
        _pg(["initdb", "-D", str(server.data_dir), "--no-sync", "-U", PG_SYSTEM_USER, *INITDB_AUTH])
        options = (
            f"-p {server.port} -k {server.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c shared_buffers=32MB -c max_connections=60"
        )
        _pg([*_pg_ctl(server.data_dir), "-l", str(root / "server.log"), "-o", options, "start"])
        with psycopg.connect(
            f"host={server.socket_dir} port={server.port} user={PG_SYSTEM_USER} dbname=postgres",
            autocommit=True,
        ) as con:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.dbname)))
    except BaseException:
        server.stop()
        raise
    return server


def _copy_table(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection[tuple[object, ...]],
    source: str,
    target: sql.Composable,
    folder: Path,
) -> None:
    """Create ``target`` like DuckDB's ``source`` (lower-case names) and copy its rows over CSV."""
    columns = duck.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema || '.' || table_name = ? ORDER BY ordinal_position",
        [source],
    ).fetchall()
    ddl = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(str(name).lower()), sql.SQL(PG_TYPES[str(kind)]))
        for name, kind in columns
    )
    pg.execute(sql.SQL("CREATE TABLE {} ({})").format(target, ddl))
    csv_file = folder / f"{source}.csv"
    duck.execute(f"COPY (SELECT * FROM {source}) TO '{csv_file}' (FORMAT csv, HEADER)")
    with (
        pg.cursor() as cur,
        cur.copy(sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER)").format(target)) as copy,
        csv_file.open("rb") as data,
    ):
        while block := data.read(1 << 20):
            copy.write(block)


def load_demo_survey(server: PostgresServer, catalog_file: Path) -> None:
    """Copy the demo survey and its TAP_SCHEMA into ``server``; create the read-only role."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        server.admin() as pg,
        duckdb.connect(str(catalog_file), read_only=True) as duck,
    ):
        folder = Path(scratch)
        for table in DEMO_TABLES:
            _copy_table(duck, pg, f"main.{table}", sql.Identifier(table.lower()), folder)
        pg.execute("CREATE SCHEMA tap_schema")
        for table in TAP_TABLES:
            _copy_table(
                duck, pg, f"tap_schema.{table}", sql.Identifier("tap_schema", table), folder
            )
        pg.execute("ANALYZE")
        pg.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(server.user), sql.Literal(server.password)
            )
        )
        role = sql.Identifier(server.user)
        for schema in ("public", "tap_schema"):
            pg.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role)
            )
            pg.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    sql.Identifier(schema), role
                )
            )


def create_login_roles(server: PostgresServer, logins: Mapping[str, str]) -> None:
    """Create a LOGIN role for each ``name → password`` of ``logins`` (replacing any of that
    name), with CONNECT only: enough to log in to the hub with the PostgreSQL login."""
    with server.admin() as pg:
        for name, password in logins.items():
            role = sql.Identifier(name)
            pg.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))
            pg.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password))
            )


@pytest.fixture(scope="session")
def postgres_server(demo_data_dir: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server with the demo survey and ``survey_reader``, one per session."""
    server = start_postgres()
    try:
        load_demo_survey(server, demo_data_dir / "catalog.duckdb")
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_catalog(postgres_server: PostgresServer) -> Iterator[PostgresCatalog]:
    """The demo survey on PostgreSQL, opened as ``survey_reader``."""
    catalog = PostgresCatalog(
        host=postgres_server.host,
        port=postgres_server.port,
        dbname=postgres_server.dbname,
        user=postgres_server.user,
        password=postgres_server.password,
    )
    with contextlib.closing(catalog):
        yield catalog

"""The function allowlists name functions the real DuckDB and PostgreSQL have (no typos, no
function of another backend), and none of them touches files, settings or the network."""

from __future__ import annotations

import duckdb

from surveylab.sql_functions import COMMON, DUCKDB, POSTGRES
from tests.support.postgres import PostgresServer

#: What a function's name says when it reads or writes outside the query's rows.
SUSPECT = ("READ", "FILE", "SETTING", "CONFIG", "ENV", "HTTP", "SCAN", "GLOB", "LO_", "PG_")
#: Standard functions that the databases parse as syntax, not list as functions.
KEYWORDS = {
    *("COALESCE", "NULLIF", "GREATEST", "LEAST", "CURRENT_DATE", "CURRENT_TIMESTAMP"),
    *("LOCALTIMESTAMP", "PERCENTILE_CONT", "PERCENTILE_DISC"),
}


def test_every_duckdb_function_on_the_list_exists() -> None:
    with duckdb.connect() as connection:
        names = {
            str(row[0]).upper()
            for row in connection.execute("SELECT function_name FROM duckdb_functions()").fetchall()
        }
    assert sorted(DUCKDB - names) == []
    assert sorted(COMMON - KEYWORDS - names) == []


def test_every_postgres_function_on_the_list_exists(postgres_server: PostgresServer) -> None:
    with postgres_server.admin() as admin:
        names = {str(row[0]).upper() for row in admin.execute("SELECT proname FROM pg_proc")}
    assert sorted(POSTGRES - names) == []
    assert sorted(COMMON - KEYWORDS - names) == []


def test_no_listed_name_looks_like_input_or_output() -> None:
    assert [name for name in DUCKDB | POSTGRES if any(word in name for word in SUSPECT)] == []

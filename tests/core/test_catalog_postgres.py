"""The PostgreSQL backend on a real PostgreSQL 15 holding the demo survey, side by side with
DuckDB: the same metadata, the same rows for the same Oracle-flavoured queries, bounded streaming,
COPY exports, timeouts and cancels that end the server's work, and credentials kept secret."""

from __future__ import annotations

import gzip
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from psycopg import sql as pgsql

from surveylab.catalog import DuckDBCatalog, PostgresCatalog, open_catalog
from surveylab.catalog.base import Catalog
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.errors import (
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
)
from surveylab.models import TableInfo
from surveylab.sql import prepare
from tests.support.postgres import PostgresServer

#: Minutes of work for PostgreSQL.
SLOW_QUERY = "SELECT count(*) AS N FROM generate_series(1, 10000000000)"
#: How long an interrupted query may take to return.
PROMPT = 2.0
#: How long the server may take to end a closed connection's process.
BACKEND_EXIT = 5.0


@pytest.fixture(scope="module")
def duck(demo_data_dir: Path) -> Iterator[DuckDBCatalog]:
    catalog = DuckDBCatalog(demo_data_dir / "catalog.duckdb")
    yield catalog
    catalog.close()


def _rows(catalog: Catalog, text: str) -> pa.Table:
    """Run the user's ``text`` on ``catalog`` as the query service will."""
    with catalog.execute(prepare(text, catalog.dialect).sql, timeout=30) as handle:
        return handle.reader().read_all()


def _backends(server: PostgresServer) -> int:
    """Server processes of surveylab's connections, other than idle admin ones."""
    with server.admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'surveylab'"
        ).fetchone()
    return int(row[0]) if row else 0


def _wait_until_no_backends(server: PostgresServer) -> None:
    deadline = time.monotonic() + BACKEND_EXIT
    while _backends(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends(server) == 0, "a connection was left behind"


# --- the same catalog as DuckDB -------------------------------------------------------------


def test_tables_match_duckdb(postgres_catalog: PostgresCatalog, duck: DuckDBCatalog) -> None:
    assert postgres_catalog.tables() == duck.tables()


@pytest.mark.parametrize("table", ["DR1_MAIN", "dr1_tile_info"])
def test_columns_carry_the_same_metadata(
    postgres_catalog: PostgresCatalog, duck: DuckDBCatalog, table: str
) -> None:
    ours = postgres_catalog.columns(table)
    theirs = duck.columns(table)
    strip = [(c.name, c.unit, c.ucd, c.description) for c in ours]
    assert strip == [(c.name, c.unit, c.ucd, c.description) for c in theirs]
    types = {column.name: column.datatype for column in ours}
    assert types["RA" if table == "DR1_MAIN" else "RA_CENT"] == "DOUBLE PRECISION"


def test_unknown_table_columns(postgres_catalog: PostgresCatalog) -> None:
    with pytest.raises(QueryError, match="no table named 'NOPE'"):
        postgres_catalog.columns("NOPE")


@pytest.mark.parametrize("column", ["TILENAME", "mag_auto_g", "NO_SUCH_COLUMN"])
def test_tables_with_column_match_duckdb(
    postgres_catalog: PostgresCatalog, duck: DuckDBCatalog, column: str
) -> None:
    assert postgres_catalog.tables_with_column(column) == duck.tables_with_column(column)


def test_without_tap_schema_metadata_comes_from_comments(postgres_server: PostgresServer) -> None:
    with postgres_server.admin() as admin:
        admin.execute("CREATE SCHEMA extra")
        try:
            admin.execute("CREATE TABLE extra.spectra (spec_id bigint, z real)")
            admin.execute("INSERT INTO extra.spectra VALUES (1, 0.1), (2, 0.5), (3, NULL)")
            admin.execute("COMMENT ON TABLE extra.spectra IS 'Redshifts of the survey'")
            admin.execute("COMMENT ON COLUMN extra.spectra.z IS 'Spectroscopic redshift'")
            admin.execute("GRANT USAGE ON SCHEMA extra TO survey_reader")
            admin.execute("GRANT SELECT ON extra.spectra TO survey_reader")
            catalog = open_catalog(
                f"{postgres_server.url}?schema=extra",
                user=postgres_server.user,
                password=postgres_server.password,
            )
            assert catalog.tables() == [TableInfo("SPECTRA", "Redshifts of the survey", 3)]
            assert [(c.name, c.datatype, c.description) for c in catalog.columns("spectra")] == [
                ("SPEC_ID", "BIGINT", ""),
                ("Z", "REAL", "Spectroscopic redshift"),
            ]
            assert catalog.tables_with_column("Z") == ["SPECTRA"]
        finally:
            admin.execute("DROP SCHEMA extra CASCADE")


def test_identity(postgres_catalog: PostgresCatalog) -> None:
    assert (postgres_catalog.backend, postgres_catalog.dialect) == ("postgresql", "postgres")
    assert postgres_catalog.release_name() is None
    assert "password" not in repr(postgres_catalog)


# --- the same rows for the same queries -----------------------------------------------------


def test_m2_example_runs_unchanged_with_the_same_rows(
    postgres_catalog: PostgresCatalog, duck: DuckDBCatalog
) -> None:
    ours = _rows(postgres_catalog, M2_EXAMPLE_QUERY).sort_by("COADD_OBJECT_ID")
    theirs = _rows(duck, M2_EXAMPLE_QUERY).sort_by("COADD_OBJECT_ID")
    assert ours.num_rows > 1000
    assert ours.schema == theirs.schema  # types from PostgreSQL's OIDs, names in upper case
    assert ours.equals(theirs)


ORACLE_IDIOMS = [
    (
        "rownum-top-n-nvl",
        "SELECT * FROM (SELECT COADD_OBJECT_ID, NVL(MAG_AUTO_Z, 99) AS Z FROM DR1_MAIN "
        "ORDER BY MAG_AUTO_G, COADD_OBJECT_ID) WHERE ROWNUM <= 10",
    ),
    (
        "fetch-first-concat",
        "SELECT TILENAME || '_g.fits' AS F FROM DR1_TILE_INFO ORDER BY TILENAME "
        "FETCH FIRST 5 ROWS ONLY",
    ),
    ("dual", "SELECT 1 + 1 AS TWO, 'x' || 'y' AS XY FROM dual"),
    (
        "decode-group-by",
        "SELECT DECODE(FLAGS_G, 0, 'clean', 'flagged') AS Q, COUNT(*) AS N FROM DR1_MAIN "
        "GROUP BY DECODE(FLAGS_G, 0, 'clean', 'flagged') ORDER BY Q",
    ),
    (
        "quoted-upper-names",
        'SELECT "TILENAME", "RA_CENT" AS "RA" FROM "DR1_TILE_INFO" '
        "ORDER BY 1 FETCH FIRST 3 ROWS ONLY",
    ),
    (
        "join-with-cte",
        "WITH bright AS (SELECT TILENAME, COUNT(*) AS N FROM DR1_MAIN WHERE MAG_AUTO_I < 21 "
        "GROUP BY TILENAME) SELECT t.TILENAME, b.N FROM DR1_TILE_INFO t "
        "JOIN bright b ON b.TILENAME = t.TILENAME ORDER BY b.N DESC, t.TILENAME "
        "FETCH FIRST 5 ROWS ONLY",
    ),
]


@pytest.mark.parametrize(
    "text", [case[1] for case in ORACLE_IDIOMS], ids=[case[0] for case in ORACLE_IDIOMS]
)
def test_oracle_idioms_give_the_same_rows(
    postgres_catalog: PostgresCatalog, duck: DuckDBCatalog, text: str
) -> None:
    ours = _rows(postgres_catalog, text)
    assert ours.num_rows > 0
    assert ours.to_pylist() == _rows(duck, text).to_pylist()


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_sample_keeps_about_a_quarter(
    postgres_catalog: PostgresCatalog, duck: DuckDBCatalog, backend: str
) -> None:
    catalog: Catalog = duck if backend == "duckdb" else postgres_catalog
    total = _rows(catalog, "SELECT COUNT(*) AS N FROM DR1_MAIN")["N"][0].as_py()
    sampled = _rows(catalog, "SELECT COADD_OBJECT_ID FROM DR1_MAIN sample(25)").num_rows
    assert 0.2 * total < sampled < 0.3 * total


# --- streaming ------------------------------------------------------------------------------


def test_batches_are_bounded_and_typed(postgres_catalog: PostgresCatalog) -> None:
    sql = "SELECT coadd_object_id, ra, mag_auto_g, flags_g, tilename FROM dr1_main"
    with postgres_catalog.execute(sql, batch_rows=5000) as handle:
        assert handle.schema == pa.schema(
            [
                ("COADD_OBJECT_ID", pa.int64()),
                ("RA", pa.float64()),
                ("MAG_AUTO_G", pa.float32()),
                ("FLAGS_G", pa.int16()),
                ("TILENAME", pa.string()),
            ]
        )
        sizes = [batch.num_rows for batch in handle.batches()]
    assert max(sizes) == 5000
    assert sum(sizes) == next(t.rows for t in postgres_catalog.tables() if t.name == "DR1_MAIN")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(
            "SELECT a.RA, b.RA, a.DEC FROM DR1_MAIN a JOIN DR1_MAIN b "
            "ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID FETCH FIRST 50 ROWS ONLY",
            ["RA", "RA_2", "DEC"],
            id="self-join",
        ),
        pytest.param("SELECT 1 AS x, 2 AS x", ["X", "X_2"], id="aliases"),
        pytest.param('SELECT 1 AS ra, 2 AS "RA"', ["RA", "RA_2"], id="folded-and-quoted"),
    ],
)
def test_repeated_column_names_are_made_unique(
    postgres_catalog: PostgresCatalog, text: str, names: list[str]
) -> None:
    with postgres_catalog.execute(prepare(text, "postgres").sql, batch_rows=20) as handle:
        assert handle.schema.names == names
        table = handle.reader().read_all()
    assert table.column_names == names
    assert table.schema.field(1).metadata == {b"original_name": names[0].encode()}
    assert table.schema.field(0).metadata is None
    if "DEC" in names:  # the self-join: both sides are the same rows
        assert table.num_rows == 50 and table["RA"].equals(table["RA_2"])


TYPES = [
    ("numeric-whole", "SELECT 12345678901::numeric(11,0) AS v", pa.int64(), 12345678901),
    ("numeric-scaled", "SELECT 1.25::numeric(5,2) AS v", pa.float64(), 1.25),
    ("numeric-bare", "SELECT 2.5::numeric AS v", pa.float64(), 2.5),
    ("bool", "SELECT true AS v", pa.bool_(), True),
    ("text", "SELECT 'DES0001'::varchar(12) AS v", pa.string(), "DES0001"),
    ("bytea", "SELECT '\\x0102'::bytea AS v", pa.binary(), b"\x01\x02"),
    ("int4", "SELECT 7 AS v", pa.int32(), 7),
    ("null-float", "SELECT NULL::float8 AS v", pa.float64(), None),
    ("json-as-text", """SELECT '{"a": 1}'::jsonb AS v""", pa.string(), '{"a": 1}'),
]


@pytest.mark.parametrize(
    ("sql", "arrow_type", "value"), [case[1:] for case in TYPES], ids=[case[0] for case in TYPES]
)
def test_column_types(
    postgres_catalog: PostgresCatalog, sql: str, arrow_type: pa.DataType, value: object
) -> None:
    with postgres_catalog.execute(sql) as handle:
        table = handle.reader().read_all()
    assert table.schema.field("V").type == arrow_type
    assert table["V"][0].as_py() == value


def test_dates_and_times(postgres_catalog: PostgresCatalog) -> None:
    sql = "SELECT DATE '2013-08-31' AS d, TIMESTAMP '2013-08-31 23:59:01' AS t"
    with postgres_catalog.execute(sql) as handle:
        table = handle.reader().read_all()
    assert table.schema.types == [pa.date32(), pa.timestamp("us")]
    assert str(table["D"][0]) == "2013-08-31"


def test_sessions_are_read_only_with_a_statement_timeout(
    postgres_catalog: PostgresCatalog,
) -> None:
    sql = (
        "SELECT current_setting('transaction_read_only') AS RO, "
        "current_setting('statement_timeout') AS T"
    )
    with postgres_catalog.execute(sql, timeout=2.5) as handle:
        row = handle.reader().read_all().to_pylist()[0]
    assert row == {"RO": "on", "T": "2500ms"}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT NOPE FROM DR1_MAIN", 'column "nope" does not exist'),
        ("SELECT * FROM NO_SUCH_TABLE", 'relation "no_such_table" does not exist'),
    ],
    ids=["unknown-column", "unknown-table"],
)
def test_bad_query_is_a_query_error_with_the_db_message(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer, sql: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message) as raised:
        postgres_catalog.execute(sql)
    assert "DECLARE" not in str(raised.value)
    _wait_until_no_backends(postgres_server)


def test_runtime_error_while_streaming(postgres_catalog: PostgresCatalog) -> None:
    sql = "SELECT 1 / (coadd_object_id - 100000500) AS v FROM dr1_main ORDER BY coadd_object_id"
    with (
        postgres_catalog.execute(sql, batch_rows=100) as handle,
        pytest.raises(QueryError, match="division by zero"),
    ):
        list(handle.batches())


# --- timeout, cancel, close: no connection left behind -------------------------------------


def test_timeout_cancels_in_the_database(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer
) -> None:
    threads = threading.active_count()
    started = time.monotonic()
    with (
        pytest.raises(QueryTimeoutError, match=r"time limit of 0\.5 s"),
        postgres_catalog.execute(SLOW_QUERY, timeout=0.5) as handle,
    ):
        list(handle.batches())
    assert time.monotonic() - started < 0.5 + PROMPT
    assert threading.active_count() == threads
    _wait_until_no_backends(postgres_server)


def test_cancel_from_another_thread(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer
) -> None:
    handle = postgres_catalog.execute(SLOW_QUERY)
    assert _backends(postgres_server) == 1
    timer = threading.Timer(0.3, handle.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(QueryCancelledError, match="cancelled on request"):
        list(handle.batches())
    assert time.monotonic() - started < 0.3 + PROMPT
    timer.join()
    _wait_until_no_backends(postgres_server)


def test_close_mid_stream_ends_the_server_process(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer
) -> None:
    handle = postgres_catalog.execute("SELECT * FROM dr1_main", batch_rows=100)
    assert next(handle.batches()).num_rows == 100
    handle.close()
    handle.close()
    _wait_until_no_backends(postgres_server)


def test_abandoned_reader_releases_the_connection(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer
) -> None:
    reader = postgres_catalog.execute("SELECT * FROM dr1_main", batch_rows=100).reader()
    assert reader.read_next_batch().num_rows == 100
    reader.close()
    del reader  # pyarrow lets go of the batches when the reader goes
    _wait_until_no_backends(postgres_server)


# --- explain and export ---------------------------------------------------------------------


def test_explain_shows_the_plan(postgres_catalog: PostgresCatalog) -> None:
    plan = postgres_catalog.explain(prepare(M2_EXAMPLE_QUERY, "postgres").sql)
    assert plan.startswith("Seq Scan on dr1_main")
    assert "Filter:" in plan


@pytest.mark.parametrize(
    ("compression", "name"), [(None, "m2.csv"), ("gzip", "m2.csv.gz")], ids=["csv", "csv-gzip"]
)
def test_export_csv_with_copy(
    postgres_catalog: PostgresCatalog,
    postgres_server: PostgresServer,
    tmp_path: Path,
    compression: str | None,
    name: str,
) -> None:
    sql = prepare(M2_EXAMPLE_QUERY, "postgres").sql + " ORDER BY COADD_OBJECT_ID"
    with postgres_catalog.execute(sql) as handle:
        expected = handle.reader().read_all()
    path = tmp_path / name
    assert postgres_catalog.export(sql, path, "csv", compression, {"q": "x"}) == expected.num_rows
    data = gzip.decompress(path.read_bytes()) if compression else path.read_bytes()
    header = data.split(b"\n", 1)[0]
    assert header == b"COADD_OBJECT_ID,RA,DEC,G,R,G_PSF,R_PSF"
    options = pacsv.ConvertOptions(column_types=expected.schema)
    assert pacsv.read_csv(path, convert_options=options).equals(expected)
    _wait_until_no_backends(postgres_server)


def test_export_other_formats_have_no_bulk_path(
    postgres_catalog: PostgresCatalog, tmp_path: Path
) -> None:
    path = tmp_path / "m2.parquet"
    assert not postgres_catalog.supports_export("parquet", None)
    assert postgres_catalog.export("SELECT 1", path, "parquet", None, {}) is None
    assert not path.exists()


def test_export_can_be_cancelled_in_the_database(
    postgres_catalog: PostgresCatalog, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    path = tmp_path / "slow.csv"
    timers: list[threading.Timer] = []

    def on_start(cancel: Callable[[], None]) -> None:
        timers.append(threading.Timer(0.3, cancel))
        timers[0].start()

    with pytest.raises(QueryCancelledError):
        postgres_catalog.export(SLOW_QUERY, path, "csv", None, {}, on_start=on_start)
    timers[0].join()
    assert not path.exists()
    _wait_until_no_backends(postgres_server)


def test_export_timeout(postgres_catalog: PostgresCatalog, tmp_path: Path) -> None:
    path = tmp_path / "slow.csv.gz"
    with pytest.raises(QueryTimeoutError):
        postgres_catalog.export(SLOW_QUERY, path, "csv", "gzip", {}, timeout=0.3)
    assert not path.exists()


# --- credentials and a server that is down --------------------------------------------------


def _texts(error: BaseException) -> str:
    """Everything a log could show of ``error``: str, repr and traceback of its whole chain."""
    parts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_wrong_password_is_refused_without_showing_it(postgres_server: PostgresServer) -> None:
    password = "Wrong-Password-1234"
    with pytest.raises(CatalogUnavailableError) as raised:
        open_catalog(postgres_server.url, user=postgres_server.user, password=password)
    message = str(raised.value)
    assert message.startswith(
        f"cannot log in to the PostgreSQL catalog at 127.0.0.1:{postgres_server.port}/survey "
        "as survey_reader:"
    )
    assert "password authentication failed" in message
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert password not in _texts(raised.value)


def test_a_role_that_may_not_log_in_is_a_login_refusal(postgres_server: PostgresServer) -> None:
    role, password = "catalog_nologin", "Pw-" + secrets.token_hex(8)
    with postgres_server.admin() as admin:
        admin.execute(
            pgsql.SQL("CREATE ROLE {} NOLOGIN PASSWORD {}").format(
                pgsql.Identifier(role), pgsql.Literal(password)
            )
        )
    try:
        with pytest.raises(CatalogUnavailableError) as raised:
            PostgresCatalog("127.0.0.1", postgres_server.port, "survey", role, password)
    finally:
        with postgres_server.admin() as admin:
            admin.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(role)))
    assert str(raised.value) == (
        f"cannot log in to the PostgreSQL catalog at 127.0.0.1:{postgres_server.port}/survey "
        f'as {role}: FATAL: role "{role}" is not permitted to log in'
    )
    assert password not in _texts(raised.value)


def test_server_down_names_host_and_port(postgres_server: PostgresServer) -> None:
    with pytest.raises(CatalogUnavailableError) as raised:
        PostgresCatalog("127.0.0.1", 1, "survey", postgres_server.user, postgres_server.password)
    assert str(raised.value).startswith(
        "cannot reach the PostgreSQL catalog at 127.0.0.1:1/survey: Connection refused"
    )
    assert postgres_server.password not in _texts(raised.value)


def test_user_from_the_url(postgres_server: PostgresServer) -> None:
    url = postgres_server.url.replace("://", f"://{postgres_server.user}@")
    catalog = open_catalog(url, password=postgres_server.password)
    assert isinstance(catalog, PostgresCatalog)
    assert catalog.tables_with_column("RA_CENT") == ["DR1_TILE_INFO"]
    catalog.close()

"""The DuckDB backend on the demo survey: metadata, streaming, explain, export, timeout, cancel;
and catalog URLs."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from surveylab.catalog import DuckDBCatalog, open_catalog, parse_catalog_url
from surveylab.catalog.duckdb import copy_options
from surveylab.catalog.url import CatalogURL
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
)
from surveylab.sql import prepare

#: Minutes of work for DuckDB: a count over a 24,000² x 100 cross join.
SLOW_QUERY = (
    "SELECT count(*) AS N FROM DR1_MAIN a, DR1_MAIN b, range(100) c "
    "WHERE a.RA + b.RA + c.range < 0.5"
)
#: How long an interrupted query may take to return.
PROMPT = 2.0


@pytest.fixture
def catalog(demo_data_dir: Path) -> Iterator[DuckDBCatalog]:
    opened = DuckDBCatalog(demo_data_dir / "catalog.duckdb")
    yield opened
    opened.close()


def _count(catalog: DuckDBCatalog, table: str) -> int:
    with catalog.execute(f"SELECT count(*) AS N FROM {table}") as handle:
        return int(handle.reader().read_all()["N"][0].as_py())


def m2_sql() -> str:
    return prepare(M2_EXAMPLE_QUERY, "duckdb").sql


# --- metadata -------------------------------------------------------------------------------


def test_tables_have_descriptions_and_exact_counts(catalog: DuckDBCatalog) -> None:
    tables = {table.name: table for table in catalog.tables()}
    assert set(tables) == {"DR1_MAIN", "DR1_TILE_INFO", "DR1_ANOMALY_TRUTH"}
    assert tables["DR1_MAIN"].rows == _count(catalog, "DR1_MAIN") > 20_000
    assert tables["DR1_TILE_INFO"].description.startswith("DEMO DR1")


def test_columns_carry_tap_metadata(catalog: DuckDBCatalog) -> None:
    columns = {column.name: column for column in catalog.columns("dr1_main")}
    assert (columns["RA"].datatype, columns["RA"].unit) == ("DOUBLE", "deg")
    assert columns["RA"].ucd.startswith("pos.eq.ra")
    assert columns["MAG_AUTO_G"].datatype == "FLOAT"


@pytest.mark.parametrize(
    ("column", "tables"),
    [
        ("tilename", ["DR1_ANOMALY_TRUTH", "DR1_MAIN", "DR1_TILE_INFO"]),
        ("MAG_AUTO_G", ["DR1_MAIN"]),
        ("RA_CENT", ["DR1_TILE_INFO"]),
        ("NO_SUCH_COLUMN", []),
    ],
    ids=["shared", "main-only", "tiles-only", "none"],
)
def test_tables_with_column(catalog: DuckDBCatalog, column: str, tables: list[str]) -> None:
    assert catalog.tables_with_column(column) == tables


def test_identity(catalog: DuckDBCatalog) -> None:
    assert (catalog.backend, catalog.dialect) == ("duckdb", "duckdb")
    assert catalog.release_name() == "DEMO DR1"


# --- streaming ------------------------------------------------------------------------------


def test_batches_are_bounded_and_complete(catalog: DuckDBCatalog) -> None:
    with catalog.execute("SELECT COADD_OBJECT_ID, RA FROM DR1_MAIN", batch_rows=1000) as handle:
        assert handle.schema.names == ["COADD_OBJECT_ID", "RA"]
        sizes = [batch.num_rows for batch in handle.batches()]
    assert max(sizes) == 1000
    assert sum(sizes) == _count(catalog, "DR1_MAIN")


def test_schema_is_known_before_the_first_batch(catalog: DuckDBCatalog) -> None:
    with catalog.execute(m2_sql()) as handle:
        assert handle.schema == pa.schema(
            [
                ("COADD_OBJECT_ID", pa.int64()),
                ("RA", pa.float64()),
                ("DEC", pa.float64()),
                ("G", pa.float32()),
                ("R", pa.float32()),
                ("G_PSF", pa.float32()),
                ("R_PSF", pa.float32()),
            ]
        )
        table = handle.reader().read_all()
    assert table.num_rows > 1000


def test_empty_result_has_a_schema(catalog: DuckDBCatalog) -> None:
    with catalog.execute("SELECT RA FROM DR1_MAIN WHERE RA > 1000") as handle:
        assert handle.reader().read_all().num_rows == 0
        assert handle.schema.names == ["RA"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT NOPE FROM DR1_MAIN", 'Referenced column "NOPE" not found'),
        ("SELECT * FROM NO_SUCH_TABLE", "Table with name NO_SUCH_TABLE does not exist"),
        ("SELEC 1", "syntax error"),
    ],
    ids=["unknown-column", "unknown-table", "syntax"],
)
def test_bad_query_raises_at_execute_with_the_db_message(
    catalog: DuckDBCatalog, sql: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        catalog.execute(sql)


def test_runtime_error_while_streaming(catalog: DuckDBCatalog) -> None:
    sql = "SELECT CAST(CASE WHEN RA > 300 THEN 'x' ELSE '1' END AS INTEGER) AS V FROM DR1_MAIN"
    with (
        catalog.execute(sql, batch_rows=100) as handle,
        pytest.raises(QueryError, match="Could not convert string 'x'"),
    ):
        list(handle.batches())


def test_python_variables_are_not_tables(catalog: DuckDBCatalog) -> None:
    secret_frame = pa.table({"a": [1]})  # DuckDB would scan it by name if allowed
    assert secret_frame.num_rows == 1
    with pytest.raises(QueryError, match="secret_frame does not exist"):
        catalog.execute("SELECT * FROM secret_frame")


def test_abandoned_reader_releases_the_cursor(catalog: DuckDBCatalog) -> None:
    reader = catalog.execute("SELECT RA FROM DR1_MAIN", batch_rows=10).reader()
    assert reader.read_next_batch().num_rows == 10
    reader.close()
    assert _count(catalog, "DR1_TILE_INFO") > 0


# --- timeout, cancel, close -----------------------------------------------------------------


def test_timeout_interrupts_the_query_and_the_catalog_stays_usable(
    catalog: DuckDBCatalog,
) -> None:
    threads = threading.active_count()
    started = time.monotonic()
    with (
        pytest.raises(QueryTimeoutError, match=r"time limit of 0\.5 s"),
        catalog.execute(SLOW_QUERY, timeout=0.5) as handle,
    ):
        list(handle.batches())
    assert 0.5 <= time.monotonic() - started < 0.5 + PROMPT
    assert threading.active_count() == threads  # the timer thread is gone
    assert _count(catalog, "DR1_TILE_INFO") > 0


def test_cancel_from_another_thread(catalog: DuckDBCatalog) -> None:
    handle = catalog.execute(SLOW_QUERY)
    timer = threading.Timer(0.3, handle.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(QueryCancelledError, match="cancelled on request"):
        list(handle.batches())
    assert time.monotonic() - started < 0.3 + PROMPT
    timer.join()
    handle.close()


def test_cancel_before_reading(catalog: DuckDBCatalog) -> None:
    with catalog.execute("SELECT RA FROM DR1_MAIN") as handle:
        handle.cancel()
        with pytest.raises(QueryCancelledError):
            next(handle.batches())


def test_close_from_another_thread_stops_the_query(catalog: DuckDBCatalog) -> None:
    handle = catalog.execute(SLOW_QUERY)
    timer = threading.Timer(0.3, handle.close)
    timer.start()
    with pytest.raises(QueryCancelledError):
        list(handle.batches())
    timer.join()
    handle.close()  # idempotent


def test_a_quick_query_beats_its_timeout(catalog: DuckDBCatalog) -> None:
    threads = threading.active_count()
    with catalog.execute("SELECT RA FROM DR1_MAIN", timeout=30) as handle:
        assert handle.reader().read_all().num_rows == _count(catalog, "DR1_MAIN")
    assert threading.active_count() == threads


# --- explain and export ---------------------------------------------------------------------


def test_explain_shows_the_plan(catalog: DuckDBCatalog) -> None:
    plan = catalog.explain(m2_sql())
    assert "DR1_MAIN" in plan
    assert "Filters" in plan or "FILTER" in plan


@pytest.mark.parametrize(
    ("format", "compression", "expected"),
    [
        ("csv", None, "FORMAT csv, HEADER"),
        ("csv", "gzip", "FORMAT csv, HEADER, COMPRESSION gzip"),
        ("parquet", None, "FORMAT parquet, KV_METADATA {'surveylab.query': 'SELECT ''a'''}"),
        (
            "parquet",
            "zstd",
            "FORMAT parquet, COMPRESSION zstd, KV_METADATA {'surveylab.query': 'SELECT ''a'''}",
        ),
    ],
    ids=["csv", "csv-gzip", "parquet", "parquet-zstd"],
)
def test_copy_options(format: str, compression: str | None, expected: str) -> None:
    assert copy_options(format, compression, {"surveylab.query": "SELECT 'a'"}) == expected


def _query_table(catalog: DuckDBCatalog, sql: str) -> pa.Table:
    with catalog.execute(sql) as handle:
        return handle.reader().read_all()


@pytest.mark.parametrize(
    ("format", "compression", "name"),
    [
        ("csv", None, "m2.csv"),
        ("csv", "gzip", "m2.csv.gz"),
        ("parquet", None, "m2.parquet"),
        ("parquet", "zstd", "m2.zstd.parquet"),
    ],
    ids=["csv", "csv-gzip", "parquet", "parquet-zstd"],
)
def test_export_writes_the_query_result(
    catalog: DuckDBCatalog, tmp_path: Path, format: str, compression: str | None, name: str
) -> None:
    sql = m2_sql() + " ORDER BY COADD_OBJECT_ID"
    expected = _query_table(catalog, sql)
    path = tmp_path / name
    metadata = {"surveylab.query": M2_EXAMPLE_QUERY}
    assert catalog.supports_export(format, compression)
    rows = catalog.export(sql, path, format, compression, metadata)
    assert rows == expected.num_rows
    if format == "parquet":
        written = pq.read_table(path).cast(expected.schema)  # DuckDB marks NOT NULL columns
        assert pq.read_metadata(path).metadata[b"surveylab.query"] == M2_EXAMPLE_QUERY.encode()
    else:
        if compression == "gzip":
            with gzip.open(path) as raw:
                assert raw.read(2)  # really gzip
        written = pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types=expected.schema)
        )
    assert written.equals(expected)


@pytest.mark.parametrize(
    ("format", "compression"),
    [("fits", None), ("hdf5", "gzip"), ("csv", "bzip2"), ("parquet", "lzma")],
    ids=["fits", "hdf5", "csv-bzip2", "parquet-lzma"],
)
def test_export_without_bulk_path_writes_nothing(
    catalog: DuckDBCatalog, tmp_path: Path, format: str, compression: str | None
) -> None:
    path = tmp_path / "result"
    assert not catalog.supports_export(format, compression)
    assert catalog.export("SELECT 1 AS ONE", path, format, compression, {}) is None
    assert not path.exists()


def test_export_can_be_cancelled_in_the_database(catalog: DuckDBCatalog, tmp_path: Path) -> None:
    path = tmp_path / "slow.parquet"
    timers: list[threading.Timer] = []

    def on_start(cancel: Callable[[], None]) -> None:
        timer = threading.Timer(0.3, cancel)
        timers.append(timer)
        timer.start()

    started = time.monotonic()
    with pytest.raises(QueryCancelledError):
        catalog.export(SLOW_QUERY, path, "parquet", None, {}, on_start=on_start)
    assert time.monotonic() - started < 0.3 + PROMPT
    assert not path.exists()
    timers[0].join()


def test_export_timeout(catalog: DuckDBCatalog, tmp_path: Path) -> None:
    path = tmp_path / "slow.csv"
    threads = threading.active_count()
    with pytest.raises(QueryTimeoutError):
        catalog.export(SLOW_QUERY, path, "csv", None, {}, timeout=0.3)
    assert not path.exists()
    assert threading.active_count() == threads


# --- catalog URLs ---------------------------------------------------------------------------

URLS = [
    (
        "duckdb",
        "duckdb:///data/dr1/catalog.duckdb",
        CatalogURL("duckdb", path="/data/dr1/catalog.duckdb"),
    ),
    (
        "bare-path",
        "/data/dr1/catalog.duckdb",
        CatalogURL("duckdb", path="/data/dr1/catalog.duckdb"),
    ),
    (
        "postgresql",
        "postgresql://db.example.org:6543/dr1",
        CatalogURL("postgresql", host="db.example.org", port=6543, database="dr1"),
    ),
    (
        "postgres-user-schema",
        "postgres://ann@db/dr1?schema=des",
        CatalogURL("postgresql", host="db", port=5432, database="dr1", user="ann", schema="des"),
    ),
    (
        "oracle",
        "oracle://desdb.example.org/dessci?schema=DES_ADMIN",
        CatalogURL(
            "oracle", host="desdb.example.org", port=1521, database="dessci", schema="DES_ADMIN"
        ),
    ),
]


@pytest.mark.parametrize(
    ("url", "expected"), [case[1:] for case in URLS], ids=[case[0] for case in URLS]
)
def test_parse_catalog_url(url: str, expected: CatalogURL) -> None:
    assert parse_catalog_url(url) == expected


BAD_URLS = [
    ("scheme", "mysql://db/dr1", "unknown catalog URL scheme 'mysql'"),
    (
        "password",
        "postgresql://ann:s3cret-pw@db/dr1",
        "must not contain a password: remove it from SURVEYLAB_CATALOG_URL",
    ),
    ("no-database", "postgresql://db", "postgresql://host:port/dbname"),
    ("no-service", "oracle://dessci", "oracle://host:port/service_name"),
    ("bad-port", "oracle://db:99999/x", "bad port"),
]


@pytest.mark.parametrize(
    ("url", "message"), [case[1:] for case in BAD_URLS], ids=[case[0] for case in BAD_URLS]
)
def test_bad_catalog_urls(url: str, message: str) -> None:
    with pytest.raises(CatalogUnavailableError, match=message) as raised:
        open_catalog(url)
    assert "s3cret-pw" not in str(raised.value)


def test_open_catalog_duckdb(demo_data_dir: Path) -> None:
    catalog = open_catalog(f"duckdb://{demo_data_dir / 'catalog.duckdb'}")
    assert isinstance(catalog, DuckDBCatalog)
    catalog.close()
    with pytest.raises(CatalogNotFoundError, match="surveylab demo-data"):
        open_catalog(f"duckdb://{demo_data_dir / 'absent.duckdb'}")


@pytest.mark.parametrize("url", ["postgresql://db/dr1", "oracle://db/dessci"])
def test_server_catalogs_need_a_user(url: str) -> None:
    with pytest.raises(CatalogUnavailableError, match="needs a database user"):
        open_catalog(url)

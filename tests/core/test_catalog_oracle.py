"""What is Oracle-specific in the Oracle backend, without an Oracle server: type mapping, how ORA
and DPY errors are reported, ``call_timeout``, and cancel through ``connection.cancel()``.

The connection is a fake with python-oracledb's shape (``cursor().parse()``, ``description``,
``fetch_df_batches``, ``cancel``, ``call_timeout``); the errors are real python-oracledb errors,
built the way the driver builds them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import oracledb
import pyarrow as pa
import pytest
from oracledb import errors as oracle_errors

from surveylab.catalog import OracleCatalog
from surveylab.catalog.arrow import oracle_arrow_type
from surveylab.catalog.oracle import call_timeout_ms, oracle_error, oracle_schema
from surveylab.errors import (
    CatalogUnavailableError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
    SurveylabError,
)

PASSWORD = "Oracle-Secret-42"


def ora(message: str) -> oracledb.Error:
    """A database error as python-oracledb raises it for ``ORA-nnnnn: text``."""
    code = int(message[4:9])
    error = oracle_errors._Error(message, code=code)  # the driver's own error object
    exception: oracledb.Error = error.exc_type(error)
    return exception


def dpy(number: int, **args: object) -> oracledb.Error:
    """A python-oracledb driver error (``DPY-nnnn``)."""
    exception: oracledb.Error = oracle_errors._create_exception(number, **args)
    return exception


# --- types ----------------------------------------------------------------------------------

TYPES = [
    # (id, oracledb type, precision, scale, Arrow type)
    ("number-id", oracledb.DB_TYPE_NUMBER, 11, 0, pa.int64()),
    ("number-18", oracledb.DB_TYPE_NUMBER, 18, 0, pa.int64()),
    ("number-19", oracledb.DB_TYPE_NUMBER, 19, 0, pa.float64()),
    ("number-bare", oracledb.DB_TYPE_NUMBER, 0, -127, pa.float64()),
    ("number-scaled", oracledb.DB_TYPE_NUMBER, 10, 4, pa.float64()),
    ("binary-float", oracledb.DB_TYPE_BINARY_FLOAT, None, None, pa.float32()),
    ("binary-double", oracledb.DB_TYPE_BINARY_DOUBLE, None, None, pa.float64()),
    ("varchar2", oracledb.DB_TYPE_VARCHAR, None, None, pa.string()),
    ("char", oracledb.DB_TYPE_CHAR, None, None, pa.string()),
    ("nvarchar2", oracledb.DB_TYPE_NVARCHAR, None, None, pa.string()),
    ("clob", oracledb.DB_TYPE_CLOB, None, None, pa.string()),
    ("date", oracledb.DB_TYPE_DATE, None, None, pa.timestamp("us")),
    ("timestamp", oracledb.DB_TYPE_TIMESTAMP, None, None, pa.timestamp("us")),
    ("timestamp-tz", oracledb.DB_TYPE_TIMESTAMP_TZ, None, None, pa.timestamp("us", tz="UTC")),
    ("raw", oracledb.DB_TYPE_RAW, None, None, pa.binary()),
    ("boolean", oracledb.DB_TYPE_BOOLEAN, None, None, pa.bool_()),
    ("interval-as-text", oracledb.DB_TYPE_INTERVAL_DS, None, None, pa.string()),
]


@pytest.mark.parametrize(
    ("db_type", "precision", "scale", "arrow_type"),
    [case[1:] for case in TYPES],
    ids=[case[0] for case in TYPES],
)
def test_oracle_types_map_to_arrow(
    db_type: Any, precision: int | None, scale: int | None, arrow_type: pa.DataType
) -> None:
    assert oracle_arrow_type(db_type.name, precision, scale) == arrow_type


#: The description oracledb gives for DES's M2-like query.
DESCRIPTION = [
    ("COADD_OBJECT_ID", oracledb.DB_TYPE_NUMBER, 12, None, 11, 0, False),
    ("RA", oracledb.DB_TYPE_BINARY_DOUBLE, None, None, None, None, False),
    ("MAG_AUTO_G", oracledb.DB_TYPE_BINARY_FLOAT, None, None, None, None, True),
    ("TILENAME", oracledb.DB_TYPE_VARCHAR, 12, 12, None, None, True),
]
SCHEMA = pa.schema(
    [
        ("COADD_OBJECT_ID", pa.int64()),
        ("RA", pa.float64()),
        ("MAG_AUTO_G", pa.float32()),
        ("TILENAME", pa.string()),
    ]
)


def test_schema_from_the_cursor_description() -> None:
    assert oracle_schema(DESCRIPTION) == SCHEMA


@pytest.mark.parametrize(
    ("timeout", "milliseconds"),
    [(None, 0), (30, 30_000), (0.5, 500), (0.0001, 1)],
    ids=["none", "seconds", "fraction", "never-zero"],
)
def test_call_timeout_in_milliseconds(timeout: float | None, milliseconds: int) -> None:
    assert call_timeout_ms(timeout) == milliseconds


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    # (id, error, surveylab error, message)
    (
        "call-timeout",
        dpy(oracle_errors.ERR_CALL_TIMEOUT_EXCEEDED, timeout=30000),
        QueryTimeoutError,
        "the query ran past its time limit of 30 s and was cancelled in the database",
    ),
    (
        "server-timeout",
        ora("ORA-03156: OCI call timed out"),
        QueryTimeoutError,
        "the query ran past its time limit of 30 s and was cancelled in the database",
    ),
    (
        "cancelled",
        ora("ORA-01013: user requested cancel of current operation"),
        QueryCancelledError,
        "the query was cancelled on request",
    ),
    (
        "no-table",
        ora('ORA-00942: table or view "DES_ADMIN"."NOPE" does not exist'),
        QueryError,
        'ORA-00942: table or view "DES_ADMIN"."NOPE" does not exist',
    ),
    (
        "no-column",
        ora('ORA-00904: "NOPE": invalid identifier'),
        QueryError,
        'ORA-00904: "NOPE": invalid identifier',
    ),
    (
        "bad-login",
        ora("ORA-01017: invalid credential or not authorized; logon denied"),
        CatalogUnavailableError,
        "cannot log in to the Oracle catalog at desdb:1521/dessci: invalid username or password "
        "(ORA-01017)",
    ),
    (
        "locked",
        ora("ORA-28000: The account is locked."),
        CatalogUnavailableError,
        "cannot log in to the Oracle catalog at desdb:1521/dessci: the account is locked "
        "(ORA-28000)",
    ),
    (
        "expired",
        ora("ORA-28001: the password has expired"),
        CatalogUnavailableError,
        "cannot log in to the Oracle catalog at desdb:1521/dessci: the password has expired "
        "(ORA-28001)",
    ),
    (
        "no-create-session",
        ora("ORA-01045: Login denied. User DES_READER does not have CREATE SESSION privilege."),
        CatalogUnavailableError,
        "cannot log in to the Oracle catalog at desdb:1521/dessci: the account is not permitted "
        "to log in (ORA-01045)",
    ),
    (
        "connect-timeout",
        ora("ORA-12170: Cannot connect. TCP connect timeout of 10s for host desdb port 1521."),
        CatalogUnavailableError,
        "cannot reach the Oracle catalog at desdb:1521/dessci: ORA-12170: Cannot connect. TCP "
        "connect timeout of 10s for host desdb port 1521.",
    ),
    (
        "database-down",
        ora("ORA-01034: ORACLE not available"),
        CatalogUnavailableError,
        "cannot reach the Oracle catalog at desdb:1521/dessci: ORA-01034: ORACLE not available",
    ),
    (
        "cannot-connect",
        dpy(
            oracle_errors.ERR_CONNECTION_FAILED,
            connection_id="x1",
            cause=ConnectionRefusedError(111, "Connection refused"),
        ),
        CatalogUnavailableError,
        "cannot reach the Oracle catalog at desdb:1521/dessci: DPY-6005: cannot connect to "
        "database (CONNECTION_ID=x1). [Errno 111] Connection refused",
    ),
    (
        "minimal-fake",
        Exception(SimpleNamespace(full_code="ORA-01013", code=1013, message="ORA-01013: x")),
        QueryCancelledError,
        "the query was cancelled on request",
    ),
]


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_oracle_errors(error: BaseException, kind: type[SurveylabError], message: str) -> None:
    translated = oracle_error(error, timeout=30, where="desdb:1521/dessci", password=PASSWORD)
    assert type(translated) is kind
    assert str(translated) == message


# --- the query path, on a fake connection ---------------------------------------------------


@dataclass
class FakeCursor:
    connection: FakeConnection
    description: Sequence[Any] | None = None
    _rows: list[tuple[Any, ...]] = field(default_factory=list)

    def execute(self, statement: str, params: object = None) -> None:
        self.connection.statements.append(statement)
        for fragment, rows in self.connection.results.items():
            if fragment in statement:
                self._rows = rows

    def parse(self, statement: str) -> None:
        self.connection.statements.append(f"PARSE {statement}")
        if self.connection.parse_error is not None:
            raise self.connection.parse_error
        self.description = self.connection.description

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def close(self) -> None:
        pass


@dataclass
class FakeConnection:
    """Just enough of ``oracledb.Connection`` for the backend."""

    frames: list[pa.Table] = field(default_factory=list)
    description: Sequence[Any] = field(default_factory=lambda: DESCRIPTION)
    results: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    block: bool = False  # after the frames, wait until cancel() like a long query
    parse_error: oracledb.Error | None = None
    call_timeout: int = 0
    statements: list[str] = field(default_factory=list)
    fetch_calls: list[tuple[str, int | None, Any]] = field(default_factory=list)
    cancels: int = 0
    closed: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def fetch_df_batches(
        self, statement: str, size: int | None = None, requested_schema: Any = None
    ) -> Iterator[pa.Table]:
        self.fetch_calls.append((statement, size, requested_schema))
        yield from self.frames
        if self.block:
            self.cancelled.wait(10)
            raise ora("ORA-01013: user requested cancel of current operation")

    def cancel(self) -> None:
        self.cancels += 1
        self.cancelled.set()

    def close(self) -> None:
        self.closed = True

    def rollback(self) -> None:
        pass


class FakeConnect:
    """Stands in for ``oracledb.connect``: hands out connections and records the arguments."""

    def __init__(self, *connections: FakeConnection, error: oracledb.Error | None = None):
        self.connections = list(connections)
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> FakeConnection:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return self.connections.pop(0) if self.connections else FakeConnection()


def _catalog(*connections: FakeConnection) -> tuple[OracleCatalog, FakeConnect]:
    connect = FakeConnect(*connections)
    catalog = OracleCatalog(
        "desdb", 1521, "dessci", "ann", PASSWORD, schema="des_admin", connect=connect
    )
    return catalog, connect


def _frame(start: int, rows: int) -> pa.Table:
    """A data frame of ``fetch_df_batches`` (oracledb's are Arrow-compatible; NUMBER as double)."""
    ids = list(range(start, start + rows))
    return pa.table(
        {
            "COADD_OBJECT_ID": pa.array(ids, pa.float64()),
            "RA": pa.array([0.5 * i for i in ids], pa.float64()),
            "MAG_AUTO_G": pa.array([None, *[20.0] * rows][:rows], pa.float64()),
            "TILENAME": pa.array(["DES0001+0001"] * rows),
        }
    )


def test_connects_in_thin_mode_with_the_settings() -> None:
    catalog, connect = _catalog()
    assert (catalog.backend, catalog.dialect, catalog.owner) == ("oracle", "oracle", "DES_ADMIN")
    assert connect.calls[0] == {
        "user": "ann",
        "password": PASSWORD,
        "host": "desdb",
        "port": 1521,
        "service_name": "dessci",
        "tcp_connect_timeout": 10.0,
    }
    assert PASSWORD not in repr(catalog)


def test_streams_the_frames_as_batches_of_the_described_schema() -> None:
    query = FakeConnection(frames=[_frame(1, 3), _frame(4, 0), _frame(4, 2)])
    catalog, _ = _catalog(FakeConnection(), query)
    sql = "SELECT COADD_OBJECT_ID, RA, MAG_AUTO_G, TILENAME FROM DR1_MAIN WHERE ROWNUM <= 5"
    with catalog.execute(sql, timeout=2.5, batch_rows=3) as handle:
        assert handle.schema == SCHEMA
        assert query.call_timeout == 2500
        batches = list(handle.batches())
    assert [batch.num_rows for batch in batches] == [3, 2]
    assert all(batch.schema == SCHEMA for batch in batches)
    assert batches[0]["COADD_OBJECT_ID"].to_pylist() == [1, 2, 3]
    assert batches[0]["MAG_AUTO_G"].null_count == 1
    assert query.statements[:2] == ["SET TRANSACTION READ ONLY", f"PARSE {sql}"]
    assert query.fetch_calls == [(sql, 3, SCHEMA)]
    assert query.closed


def test_a_repeated_column_name_is_made_unique() -> None:
    """``SELECT a.RA, b.RA ...``: Oracle describes and fetches two columns named RA."""
    description = [DESCRIPTION[1], DESCRIPTION[1]]
    frame = pa.table([pa.array([1.5, 2.5]), pa.array([1.5, 2.5])], names=["RA", "RA"])
    query = FakeConnection(frames=[frame], description=description)
    catalog, _ = _catalog(FakeConnection(), query)
    with catalog.execute("SELECT a.RA, b.RA FROM DR1_MAIN a, DR1_MAIN b") as handle:
        assert handle.schema.names == ["RA", "RA_2"]
        assert handle.schema.field("RA_2").metadata == {b"original_name": b"RA"}
        (batch,) = handle.batches()
    assert batch.schema == handle.schema
    assert batch["RA_2"].to_pylist() == [1.5, 2.5]
    # the driver is asked for the columns as the database names them
    assert query.fetch_calls[0][2].names == ["RA", "RA"]


def test_no_timeout_means_no_call_timeout() -> None:
    query = FakeConnection(call_timeout=123)
    catalog, _ = _catalog(FakeConnection(), query)
    with catalog.execute("SELECT 1 FROM dual") as handle:
        list(handle.batches())
    assert query.call_timeout == 0


def test_bad_query_is_reported_at_execute() -> None:
    query = FakeConnection(parse_error=ora('ORA-00904: "NOPE": invalid identifier'))
    catalog, _ = _catalog(FakeConnection(), query)
    with pytest.raises(QueryError, match='ORA-00904: "NOPE": invalid identifier'):
        catalog.execute("SELECT NOPE FROM DR1_MAIN")
    assert query.closed


def test_cancel_calls_connection_cancel() -> None:
    query = FakeConnection(frames=[_frame(1, 2)], block=True)
    catalog, _ = _catalog(FakeConnection(), query)
    handle = catalog.execute("SELECT * FROM DR1_MAIN")
    batches = handle.batches()
    assert next(batches).num_rows == 2
    timer = threading.Timer(0.2, handle.cancel)
    timer.start()
    with pytest.raises(QueryCancelledError, match="cancelled on request"):
        next(batches)
    timer.join()
    assert query.cancels == 1
    assert query.closed


def test_wall_clock_timeout_cancels_and_reports_a_timeout() -> None:
    query = FakeConnection(block=True)
    catalog, _ = _catalog(FakeConnection(), query)
    threads = threading.active_count()
    started = time.monotonic()
    with (
        pytest.raises(QueryTimeoutError, match=r"time limit of 0\.3 s"),
        catalog.execute("SELECT * FROM DR1_MAIN", timeout=0.3) as handle,
    ):
        list(handle.batches())
    assert time.monotonic() - started < 2
    assert query.cancels == 1
    assert threading.active_count() == threads


def test_login_refused_without_the_password() -> None:
    connect = FakeConnect(
        error=ora("ORA-01017: invalid credential or not authorized; logon denied")
    )
    with pytest.raises(CatalogUnavailableError, match="invalid username or password") as raised:
        OracleCatalog("desdb", 1521, "dessci", "ann", PASSWORD, connect=connect)
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert PASSWORD not in str(raised.value)


def test_metadata_from_the_data_dictionary() -> None:
    dictionary = {
        "OWNER = 'TAP_SCHEMA'": [(0,)],
        "FROM ALL_TABLES t": [("DR1_MAIN", 399_263_026, "Main catalog"), ("NEW_TABLE", None, None)],
        "FROM ALL_TAB_COLUMNS c": [
            ("COADD_OBJECT_ID", "NUMBER", 11, 0, "Unique identifier"),
            ("RA", "BINARY_DOUBLE", None, None, None),
        ],
        "SELECT DISTINCT TABLE_NAME": [("DR1_MAIN",)],
    }
    catalog, _ = _catalog(*(FakeConnection(results=dictionary) for _ in range(8)))
    tables = catalog.tables()
    assert [(t.name, t.rows, t.description) for t in tables] == [
        ("DR1_MAIN", 399_263_026, "Main catalog"),
        ("NEW_TABLE", None, ""),
    ]
    columns = catalog.columns("dr1_main")
    assert [(c.name, c.datatype, c.description) for c in columns] == [
        ("COADD_OBJECT_ID", "NUMBER(11,0)", "Unique identifier"),
        ("RA", "BINARY_DOUBLE", ""),
    ]
    assert catalog.tables_with_column("ra") == ["DR1_MAIN"]


def test_no_bulk_export(tmp_path: Any) -> None:
    catalog, _ = _catalog()
    assert not catalog.supports_export("csv", None)
    assert catalog.export("SELECT 1 FROM dual", tmp_path / "x.csv", "csv") is None


def test_tap_schema_metadata_wins_over_the_comments() -> None:
    dictionary: dict[str, list[tuple[Any, ...]]] = {
        "OWNER = 'TAP_SCHEMA'": [(1,)],
        "FROM TAP_SCHEMA.TABLES": [("DES_ADMIN.DR1_MAIN", "Objects of DR1")],
        "FROM ALL_TABLES t": [("DR1_MAIN", 10, "Main catalog"), ("NEW_TABLE", None, "Fresh")],
        "FROM TAP_SCHEMA.COLUMNS": [("ra", "deg", "pos.eq.ra;meta.main", "Right ascension")],
        "FROM ALL_TAB_COLUMNS c": [
            ("COADD_OBJECT_ID", "NUMBER", 11, 0, "Unique identifier"),
            ("RA", "BINARY_DOUBLE", None, None, None),
        ],
    }
    connections = [FakeConnection(results=dictionary) for _ in range(8)]
    catalog, _ = _catalog(*connections)
    assert [(t.name, t.description) for t in catalog.tables()] == [
        ("DR1_MAIN", "Objects of DR1"),
        ("NEW_TABLE", "Fresh"),
    ]
    columns = catalog.columns("dr1_main")
    assert [(c.name, c.unit, c.ucd, c.description) for c in columns] == [
        ("COADD_OBJECT_ID", "", "", "Unique identifier"),
        ("RA", "deg", "pos.eq.ra;meta.main", "Right ascension"),
    ]
    statements = [s for conn in connections for s in conn.statements]
    assert any("TAP_SCHEMA.COLUMNS" in s and "UPPER(:1)" in s for s in statements)


def test_no_user_tables_on_oracle(tmp_path: Any) -> None:
    catalog, _ = _catalog()
    assert catalog.user_tables(tmp_path / "mydb.duckdb") is None

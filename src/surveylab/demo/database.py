"""Writing the DEMO DR1 catalog into one DuckDB file: the tables and their ``TAP_SCHEMA``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from .schema import (
    MAIN_COLUMNS,
    MAIN_TABLE,
    SCHEMA_DESCRIPTIONS,
    TABLE_DESCRIPTIONS,
    TILE_COLUMNS,
    TILE_TABLE,
    TRUTH_COLUMNS,
    TRUTH_TABLE,
    ColumnSpec,
)

__all__ = ["MAIN_ORDER", "TILE_ORDER", "TRUTH_ORDER", "write_catalog", "write_tap_schema"]

#: Storage order of DR1_MAIN: spatial, so that box and cone queries read few row groups.
MAIN_ORDER = "HPIX_1024, COADD_OBJECT_ID"
#: Storage order of DR1_TILE_INFO.
TILE_ORDER = "TILENAME"
#: Storage order of DR1_ANOMALY_TRUTH.
TRUTH_ORDER = "COADD_OBJECT_ID"

Columns = Mapping[str, npt.NDArray[np.generic] | pa.Array | Sequence[object]]


def _create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    specs: Sequence[ColumnSpec],
    data: Columns,
    order: str,
) -> None:
    """Create ``name`` with the types of ``specs`` and fill it from ``data`` in ``order``."""
    ddl = ",\n  ".join(f"{spec.name} {spec.sql_type}" for spec in specs)
    con.execute(f"CREATE TABLE {name} (\n  {ddl}\n)")
    source = pa.table({spec.name: data[spec.name] for spec in specs})
    names = ", ".join(spec.name for spec in specs)
    con.register("demo_source", source)
    try:
        con.execute(f"INSERT INTO {name} SELECT {names} FROM demo_source ORDER BY {order}")
    finally:
        con.unregister("demo_source")


def write_tap_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``tap_schema.schemas``, ``.tables`` and ``.columns`` describing the tables.

    Column names follow TAP 1.1 (lower case). ``table_name`` holds the unqualified upper-case
    table name (``'DR1_MAIN'``); ``principal`` and ``indexed`` are 0/1 integers.
    """
    con.execute("CREATE SCHEMA tap_schema")
    con.execute("CREATE TABLE tap_schema.schemas (schema_name VARCHAR, description VARCHAR)")
    con.execute(
        "CREATE TABLE tap_schema.tables (schema_name VARCHAR, table_name VARCHAR, "
        "table_type VARCHAR, description VARCHAR, table_index INTEGER)"
    )
    con.execute(
        "CREATE TABLE tap_schema.columns (table_name VARCHAR, column_name VARCHAR, "
        "datatype VARCHAR, arraysize VARCHAR, unit VARCHAR, ucd VARCHAR, description VARCHAR, "
        "principal INTEGER, indexed INTEGER, column_index INTEGER)"
    )
    con.executemany(
        "INSERT INTO tap_schema.schemas VALUES (?, ?)", list(SCHEMA_DESCRIPTIONS.items())
    )
    tables = (
        (MAIN_TABLE, MAIN_COLUMNS),
        (TILE_TABLE, TILE_COLUMNS),
        (TRUTH_TABLE, TRUTH_COLUMNS),
    )
    con.executemany(
        "INSERT INTO tap_schema.tables VALUES ('main', ?, 'table', ?, ?)",
        [[name, TABLE_DESCRIPTIONS[name], k] for k, (name, _) in enumerate(tables, start=1)],
    )
    con.executemany(
        "INSERT INTO tap_schema.columns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                name,
                spec.name,
                spec.datatype,
                spec.arraysize,
                spec.unit,
                spec.ucd,
                spec.description,
                int(spec.principal),
                int(spec.indexed),
                k,
            ]
            for name, specs in tables
            for k, spec in enumerate(specs, start=1)
        ],
    )


def write_catalog(
    path: Path, main: Columns, tiles: Columns, truth: Columns, threads: int | None = None
) -> None:
    """Write ``DR1_MAIN``, ``DR1_TILE_INFO``, ``DR1_ANOMALY_TRUTH`` and ``tap_schema`` into a
    new DuckDB file.

    Parameters
    ----------
    path : Path
        The database file to create; it must not exist.
    main, tiles, truth : mapping
        Column name to values (numpy arrays, Arrow arrays or lists; ``None`` is NULL) for every
        column of :data:`MAIN_COLUMNS`, :data:`TILE_COLUMNS` and :data:`TRUTH_COLUMNS`.
    threads : int, optional
        DuckDB worker threads (default: DuckDB's, one per core).
    """
    con = duckdb.connect(str(path))
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        _create_table(con, MAIN_TABLE, MAIN_COLUMNS, main, MAIN_ORDER)
        _create_table(con, TILE_TABLE, TILE_COLUMNS, tiles, TILE_ORDER)
        _create_table(con, TRUTH_TABLE, TRUTH_COLUMNS, truth, TRUTH_ORDER)
        write_tap_schema(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()

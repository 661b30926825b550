"""The TAP_SCHEMA that TAP describes: the five standard tables of TAP 1.1, made from what the
catalog says of its tables (:meth:`surveylab.Survey.tables` and :meth:`~surveylab.Survey.columns`:
the engine's dictionary with the release's units, UCDs and descriptions), describing themselves
too. ADQL queries read them (:func:`surveylab.vo.adql.translate`) and VOSI ``/tables`` is
written from them (:mod:`surveylab.vo.vosi`), so the two always agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import pyarrow as pa

from ..models import ColumnInfo, TableInfo

__all__ = ["RELEASE_SCHEMA", "TAP_SCHEMA_NAME", "Described", "tap_schema", "votable_datatype"]


class Described(Protocol):
    """What the TAP_SCHEMA is made from (a :class:`~surveylab.Survey` is one)."""

    @property
    def release(self) -> str:
        """The release's name."""
        ...

    def tables(self) -> list[TableInfo]:
        """The release's tables."""
        ...

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table``."""
        ...


#: The schema of the TAP_SCHEMA tables, and the schema the release's tables are listed in.
TAP_SCHEMA_NAME = "TAP_SCHEMA"
RELEASE_SCHEMA = "main"
#: VOTable datatypes of SQL column types (TAP_SCHEMA.columns.datatype).
_VOTABLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "short",
    "SMALLINT": "short",
    "INT2": "short",
    "INTEGER": "int",
    "INT": "int",
    "INT4": "int",
    "BIGINT": "long",
    "INT8": "long",
    "HUGEINT": "long",
    "NUMBER": "double",
    "REAL": "float",
    "FLOAT": "float",
    "FLOAT4": "float",
    "BINARY_FLOAT": "float",
    "DOUBLE": "double",
    "DOUBLE PRECISION": "double",
    "FLOAT8": "double",
    "BINARY_DOUBLE": "double",
    "DECIMAL": "double",
    "NUMERIC": "double",
}
_TEXT_TYPES = ("VARCHAR", "CHAR", "TEXT", "STRING", "VARCHAR2", "NVARCHAR2", "CHARACTER", "CLOB")
_TIME_TYPES = ("TIMESTAMP", "DATE", "TIME")


def votable_datatype(sql_type: str) -> tuple[str, str | None, str | None]:
    """The VOTable ``(datatype, arraysize, xtype)`` of an engine's SQL column type.

    >>> votable_datatype("DOUBLE"), votable_datatype("VARCHAR(12)"), votable_datatype("TIMESTAMP")
    (('double', None, None), ('char', '*', None), ('char', '*', 'timestamp'))
    """
    base = re.sub(r"\(.*\)", "", sql_type).strip().upper()
    if base in _VOTABLE_TYPES:
        return _VOTABLE_TYPES[base], None, None
    if base.startswith(_TIME_TYPES):
        return "char", "*", "timestamp"
    if base.startswith(_TEXT_TYPES):
        return "char", "*", None
    return "char", "*", None


# --- TAP_SCHEMA -------------------------------------------------------------------------------

_TAP_SCHEMA_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    # table: (column, SQL type, description)
    "schemas": (
        ("schema_name", "VARCHAR", "schema name for reference to tables"),
        ("utype", "VARCHAR", "lists the utypes of schemas"),
        ("description", "VARCHAR", "describes the schemas"),
        ("schema_index", "INTEGER", "recommended sort order when listing schemas"),
    ),
    "tables": (
        ("schema_name", "VARCHAR", "the schema this table belongs to"),
        ("table_name", "VARCHAR", "the fully qualified table name"),
        ("table_type", "VARCHAR", "one of: table, view"),
        ("utype", "VARCHAR", "lists the utype of tables"),
        ("description", "VARCHAR", "describes the tables"),
        ("table_index", "INTEGER", "recommended sort order when listing tables"),
    ),
    "columns": (
        ("table_name", "VARCHAR", "the table this column belongs to"),
        ("column_name", "VARCHAR", "the column name"),
        ("datatype", "VARCHAR", "lists the ADQL datatype of columns"),
        ("arraysize", "VARCHAR", "lists the size of variable-length columns"),
        ("xtype", "VARCHAR", "a DALI or custom extended type annotation"),
        ("size", "INTEGER", "deprecated: use arraysize"),
        ("utype", "VARCHAR", "lists the utypes of columns"),
        ("unit", "VARCHAR", "lists the unit used for column values"),
        ("ucd", "VARCHAR", "lists the UCDs of columns"),
        ("description", "VARCHAR", "describes the columns"),
        ("principal", "INTEGER", "a principal column; 1 means 1, 0 means 0"),
        ("indexed", "INTEGER", "an indexed column; 1 means 1, 0 means 0"),
        ("std", "INTEGER", "a standard column; 1 means 1, 0 means 0"),
        ("column_index", "INTEGER", "recommended sort order when listing columns"),
    ),
    "keys": (
        ("key_id", "VARCHAR", "unique key to join to TAP_SCHEMA.key_columns"),
        ("from_table", "VARCHAR", "the table with the foreign key"),
        ("target_table", "VARCHAR", "the table with the primary key"),
        ("utype", "VARCHAR", "lists the utype of keys"),
        ("description", "VARCHAR", "describes keys"),
    ),
    "key_columns": (
        ("key_id", "VARCHAR", "key to join to TAP_SCHEMA.keys"),
        ("from_column", "VARCHAR", "column in the from_table"),
        ("target_column", "VARCHAR", "column in the target_table"),
    ),
}
_TAP_SCHEMA_DESCRIPTIONS = {
    "schemas": "the schemas of this service",
    "tables": "the tables of this service",
    "columns": "the columns of the tables of this service",
    "keys": "foreign keys between the tables of this service",
    "key_columns": "the columns of the foreign keys",
}
#: Columns of the release that are indexed or principal when TAP_SCHEMA does not say.
_ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32()}


def _rows_to_table(name: str, rows: Sequence[tuple[object, ...]]) -> pa.Table:
    columns = _TAP_SCHEMA_COLUMNS[name]
    return pa.table(
        {
            column: pa.array([row[i] for row in rows], type=_ARROW_TYPES[sql_type])
            for i, (column, sql_type, _) in enumerate(columns)
        }
    )


#: The foreign keys between the TAP_SCHEMA tables (TAP 1.1, 4.6): id, from table, to table, from
#: column, to column, description.
_TAP_SCHEMA_KEYS = (
    ("tables_schema", "tables", "schemas", "schema_name", "schema_name", "a table's schema"),
    ("columns_table", "columns", "tables", "table_name", "table_name", "a column's table"),
    ("keys_from", "keys", "tables", "from_table", "table_name", "a key's table"),
    ("keys_target", "keys", "tables", "target_table", "table_name", "a key's target table"),
    ("key_columns_key", "key_columns", "keys", "key_id", "key_id", "a key column's key"),
)
#: Column names of TAP_SCHEMA that are ADQL reserved words, listed delimited (TAP 1.1, 4.3).
_RESERVED = frozenset({"size"})


def _delimited(name: str) -> str:
    return f'"{name}"' if name in _RESERVED else name


def tap_schema(survey: Described) -> dict[str, pa.Table]:
    """The five TAP_SCHEMA tables of TAP 1.1, by qualified upper-case name
    (``TAP_SCHEMA.COLUMNS``), describing the release's tables and themselves."""
    release = survey.release
    schemas = [
        (RELEASE_SCHEMA, None, f"{release}: the tables of the data release", 0),
        (TAP_SCHEMA_NAME, None, "IVOA TAP_SCHEMA: the tables and columns of this service", 1),
    ]
    tables: list[tuple[object, ...]] = []
    columns: list[tuple[object, ...]] = []
    for index, table in enumerate(survey.tables()):
        tables.append((RELEASE_SCHEMA, table.name, "table", None, table.description, index))
        for position, column in enumerate(survey.columns(table.name)):
            datatype, arraysize, xtype = votable_datatype(column.datatype)
            columns.append(
                (
                    table.name, column.name, datatype, arraysize, xtype, None, None,
                    column.unit or None, column.ucd or None, column.description or None,
                    1 if position < 8 else 0, 0, 0, position,
                )
            )  # fmt: skip
    offset = len(tables)
    for index, (name, described) in enumerate(_TAP_SCHEMA_COLUMNS.items()):
        qualified = f"{TAP_SCHEMA_NAME}.{name}"
        tables.append(
            (
                TAP_SCHEMA_NAME,
                qualified,
                "table",
                None,
                _TAP_SCHEMA_DESCRIPTIONS[name],
                offset + index,
            )
        )
        for position, (column_name, sql_type, description) in enumerate(described):
            datatype, arraysize, xtype = votable_datatype(sql_type)
            columns.append(
                (
                    qualified, _delimited(column_name), datatype, arraysize, xtype,
                    None, None, None, None, description, 1, 0, 1, position,
                )
            )  # fmt: skip
    keys = [
        (key, f"{TAP_SCHEMA_NAME}.{source}", f"{TAP_SCHEMA_NAME}.{target}", None, description)
        for key, source, target, _, _, description in _TAP_SCHEMA_KEYS
    ]
    key_columns = [(key, source, target) for key, _, _, source, target, _ in _TAP_SCHEMA_KEYS]
    return {
        f"{TAP_SCHEMA_NAME}.SCHEMAS": _rows_to_table("schemas", schemas),
        f"{TAP_SCHEMA_NAME}.TABLES": _rows_to_table("tables", tables),
        f"{TAP_SCHEMA_NAME}.COLUMNS": _rows_to_table("columns", columns),
        f"{TAP_SCHEMA_NAME}.KEYS": _rows_to_table("keys", keys),
        f"{TAP_SCHEMA_NAME}.KEY_COLUMNS": _rows_to_table("key_columns", key_columns),
    }

"""The release's IVOA ``TAP_SCHEMA`` merged into what an engine's dictionary says of its tables.

Every backend reads its tables and columns (names, types, comments) from its own dictionary,
and units, UCDs and descriptions from ``TAP_SCHEMA.tables`` and ``TAP_SCHEMA.columns`` when the
catalog has them; these functions do the merge the same way for all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..models import ColumnInfo

__all__ = [
    "ColumnMetadata",
    "merge_tap_columns",
    "tap_column_metadata",
    "tap_table_descriptions",
]

#: TAP_SCHEMA's ``(unit, ucd, description)`` of a column.
ColumnMetadata = tuple[str, str, str]


def tap_table_descriptions(rows: Iterable[Sequence[object]]) -> dict[str, str]:
    """``TAP_SCHEMA.tables`` rows ``(table_name, description)`` by upper-case table name.

    A schema-qualified name (``des.DR1_MAIN``) counts as the bare name.

    Examples
    --------
    >>> tap_table_descriptions([("des.dr1_main", "Objects"), ("DR1_TILE_INFO", None)])
    {'DR1_MAIN': 'Objects', 'DR1_TILE_INFO': ''}
    """
    return {str(name).rsplit(".", 1)[-1].upper(): str(text or "") for name, text in rows}


def tap_column_metadata(rows: Iterable[Sequence[object]]) -> dict[str, ColumnMetadata]:
    """``TAP_SCHEMA.columns`` rows ``(column_name, unit, ucd, description)`` by upper-case name."""
    return {
        str(name).upper(): (str(unit or ""), str(ucd or ""), str(text or ""))
        for name, unit, ucd, text in rows
    }


def merge_tap_columns(
    found: Iterable[tuple[str, str, str]], metadata: Mapping[str, ColumnMetadata]
) -> list[ColumnInfo]:
    """Columns ``(name, datatype, comment)`` from the engine's dictionary, with TAP_SCHEMA's
    unit, UCD and description (matched ignoring case); the database's comment is the
    description of a column TAP_SCHEMA does not describe.

    Examples
    --------
    >>> merge_tap_columns(
    ...     [("RA", "DOUBLE", "right ascension"), ("FLAG", "INTEGER", "")],
    ...     {"RA": ("deg", "pos.eq.ra;meta.main", "Right ascension (J2000)")},
    ... )  # doctest: +NORMALIZE_WHITESPACE
    [ColumnInfo(name='RA', datatype='DOUBLE', unit='deg', ucd='pos.eq.ra;meta.main',
                description='Right ascension (J2000)'),
     ColumnInfo(name='FLAG', datatype='INTEGER', unit='', ucd='', description='')]
    """
    columns = []
    for name, datatype, comment in found:
        unit, ucd, description = metadata.get(name.upper(), ("", "", ""))
        columns.append(ColumnInfo(name, datatype, unit, ucd, description or comment))
    return columns

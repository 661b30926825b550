"""Catalog backends: where the survey's tables live and how a query reaches them.

A backend opens one catalog, lists its tables with their metadata and streams the result of a
query as Arrow record batches, so that memory stays bounded whatever the result size. Backends are
chosen by the scheme of the catalog URL (``duckdb:///path/catalog.duckdb``).

Table and column metadata (descriptions, units, UCDs) is read from an IVOA ``TAP_SCHEMA`` inside
the catalog when it has one, and from the engine's own information schema otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import duckdb
import pyarrow as pa

from .errors import CatalogNotFoundError, CatalogUnavailableError, QueryError
from .models import ColumnInfo, TableInfo

__all__ = ["Catalog", "DuckDBCatalog", "open_catalog"]

#: Rows per Arrow record batch when streaming a result.
DEFAULT_BATCH_ROWS = 65_536


class Catalog(Protocol):
    """What every catalog backend provides."""

    #: Short engine name shown to users, e.g. ``"duckdb"``.
    backend: str

    def release_name(self) -> str | None:
        """The release's own name if the catalog records one."""

    def tables(self) -> list[TableInfo]:
        """The user-visible tables, with descriptions and row counts."""

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` with types, units and descriptions."""

    def stream(self, sql: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> pa.RecordBatchReader:
        """Run ``sql`` and stream its result as Arrow record batches."""

    def close(self) -> None:
        """Release the connection."""


class DuckDBCatalog:
    """The embedded catalog: a DuckDB file opened read-only.

    Parameters
    ----------
    path : Path
        The DuckDB database file, e.g. the demo survey's ``catalog.duckdb``.
    """

    backend = "duckdb"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise CatalogNotFoundError(
                f"no catalog at {path}: generate the demo survey with "
                "'surveylab demo-data' or set SURVEYLAB_CATALOG_URL"
            )
        self.path = path
        try:
            self._con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as err:
            raise CatalogUnavailableError(f"cannot open the catalog {path}: {err}") from err

    def release_name(self) -> str | None:
        """The ``release`` field of the ``release.json`` written beside the catalog, if any."""
        release_file = self.path.with_name("release.json")
        if not release_file.is_file():
            return None
        name = json.loads(release_file.read_text()).get("release")
        return str(name) if name else None

    def _has_tap_schema(self) -> bool:
        rows = self._fetch(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE lower(table_schema) = 'tap_schema' AND lower(table_name) = 'columns'"
        )
        return bool(rows[0][0])

    def tables(self) -> list[TableInfo]:
        """The tables of the main schema, described from ``TAP_SCHEMA`` when present."""
        descriptions: dict[str, str] = {}
        if self._has_tap_schema():
            descriptions = {
                str(name).upper(): str(text or "")
                for name, text in self._fetch(
                    "SELECT table_name, description FROM tap_schema.tables"
                )
            }
        infos = []
        for (found,) in self._fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ):
            name = str(found)
            rows = int(str(self._fetch(f'SELECT count(*) FROM "{name}"')[0][0]))
            infos.append(
                TableInfo(name=name, description=descriptions.get(name.upper(), ""), rows=rows)
            )
        return infos

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table``, in table order, with TAP_SCHEMA units and descriptions."""
        found = self._fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND upper(table_name) = upper(?) "
            "ORDER BY ordinal_position",
            [table],
        )
        if not found:
            raise QueryError(f"no table named {table!r}")
        meta: dict[str, tuple[str, str, str]] = {}
        if self._has_tap_schema():
            meta = {
                str(name).upper(): (str(unit or ""), str(ucd or ""), str(text or ""))
                for name, unit, ucd, text in self._fetch(
                    "SELECT column_name, unit, ucd, description FROM tap_schema.columns "
                    "WHERE upper(table_name) = upper(?)",
                    [table],
                )
            }
        return [
            ColumnInfo(str(name), str(datatype), *meta.get(str(name).upper(), ("", "", "")))
            for name, datatype in found
        ]

    def stream(self, sql: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> pa.RecordBatchReader:
        """Run ``sql`` on a fresh cursor and stream the result in batches of ``batch_rows``."""
        cursor = self._con.cursor()
        try:
            return cursor.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as err:
            cursor.close()
            raise QueryError(str(err)) from err

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def _fetch(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        cursor = self._con.cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        finally:
            cursor.close()


def open_catalog(url: str) -> Catalog:
    """Open the catalog named by ``url``.

    Parameters
    ----------
    url : str
        ``duckdb:///absolute/path.duckdb`` (or a bare path to a ``.duckdb`` file).

    Raises
    ------
    CatalogUnavailableError
        If the scheme names no known backend.
    """
    parsed = urlparse(url)
    if parsed.scheme in ("", "duckdb") or url.endswith(".duckdb"):
        path = parsed.path if parsed.scheme == "duckdb" else url
        return DuckDBCatalog(Path(path).expanduser())
    raise CatalogUnavailableError(
        f"unknown catalog URL scheme {parsed.scheme!r} in SURVEYLAB_CATALOG_URL; known: 'duckdb'"
    )

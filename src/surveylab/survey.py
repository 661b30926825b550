"""``Survey``: the one entry point to a data release, shared by the server extension, the widgets
and the CLI."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

import numpy as np
import pyarrow as pa

from ._version import __version__
from .catalog import Catalog, open_catalog
from .errors import QueryError
from .models import ColumnInfo, ReleaseInfo, TableInfo
from .settings import Settings

if TYPE_CHECKING:
    from astropy.table import MaskedColumn, Table

__all__ = ["Survey", "arrow_to_table"]

#: Shown when neither the settings nor the catalog name the release.
UNNAMED_RELEASE = "unnamed release"


class Survey:
    """A survey data release: its catalog, and later its images, jobs and footprint.

    Parameters
    ----------
    settings : Settings, optional
        Where the release lives; read from ``SURVEYLAB_*`` environment variables by default.
    catalog : Catalog, optional
        An already opened catalog backend (tests, embedding); overrides ``settings``.

    Examples
    --------
    >>> from surveylab import Survey
    >>> survey = Survey()  # doctest: +SKIP
    >>> survey.query("SELECT COUNT(*) AS N FROM DR1_MAIN")  # doctest: +SKIP
    <Table length=1>
    """

    def __init__(self, settings: Settings | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings or Settings()
        self._catalog = catalog

    @property
    def catalog(self) -> Catalog:
        """The catalog backend, opened on first use."""
        if self._catalog is None:
            self._catalog = open_catalog(self.settings.catalog_location)
        return self._catalog

    @property
    def release(self) -> str:
        """The release name: from the settings, else from the catalog."""
        return self.settings.release_name or self.catalog.release_name() or UNNAMED_RELEASE

    def info(self) -> ReleaseInfo:
        """Version, release name, backend and tables, as the Survey panel shows them."""
        return ReleaseInfo(
            release=self.release,
            version=__version__,
            backend=self.catalog.backend,
            tables=tuple(self.tables()),
        )

    def tables(self) -> list[TableInfo]:
        """The release's tables with descriptions and row counts."""
        return self.catalog.tables()

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` with types, units and descriptions."""
        return self.catalog.columns(table)

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        """Run ``sql`` and return at most ``limit`` rows as an Arrow table."""
        reader = self.catalog.stream(sql)
        batches = []
        rows = 0
        try:
            for batch in reader:
                if limit is not None and rows + batch.num_rows >= limit:
                    batches.append(batch.slice(0, limit - rows))
                    break
                batches.append(batch)
                rows += batch.num_rows
        except pa.ArrowException as err:
            raise QueryError(str(err)) from err
        finally:
            reader.close()
        return pa.Table.from_batches(batches, schema=reader.schema)

    def query(self, sql: str, limit: int | None = None) -> Table:
        """Run ``sql`` and return the result as an astropy Table with units.

        Parameters
        ----------
        sql : str
            A SELECT query in the catalog's SQL.
        limit : int, optional
            Return at most this many rows.

        Returns
        -------
        astropy.table.Table
            Columns that match a catalog column by name carry its unit and description.
        """
        table = arrow_to_table(self.query_arrow(sql, limit))
        known = self._known_columns
        for name in table.colnames:
            column = known.get(name.upper())
            if column is not None:
                table[name].unit = column.unit or None
                table[name].description = column.description
        table.meta["release"] = self.release
        table.meta["query"] = sql
        return table

    @cached_property
    def _known_columns(self) -> dict[str, ColumnInfo]:
        """Column metadata by upper-case name, where the name is unambiguous across tables."""
        seen: dict[str, ColumnInfo] = {}
        ambiguous: set[str] = set()
        for table in self.tables():
            for column in self.columns(table.name):
                key = column.name.upper()
                if key in seen and seen[key].unit != column.unit:
                    ambiguous.add(key)
                seen.setdefault(key, column)
        return {key: value for key, value in seen.items() if key not in ambiguous}

    def close(self) -> None:
        """Close the catalog connection."""
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def arrow_to_table(data: pa.Table) -> Table:
    """Convert an Arrow table to an astropy Table, keeping NULLs as masked values."""
    from astropy.table import MaskedColumn, Table  # astropy is slow to import; load on use

    columns: list[MaskedColumn | np.ndarray] = []
    for chunked in data.columns:
        mask = chunked.is_null().to_numpy(zero_copy_only=False) if chunked.null_count else None
        if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type):
            values = np.asarray(chunked.fill_null("").to_pylist(), dtype=str)
        elif mask is not None and (
            pa.types.is_integer(chunked.type) or pa.types.is_boolean(chunked.type)
        ):
            values = chunked.fill_null(pa.scalar(0).cast(chunked.type)).to_numpy()
        else:
            values = chunked.to_numpy(zero_copy_only=False)
        columns.append(values if mask is None else MaskedColumn(values, mask=mask))
    return Table(columns, names=data.column_names, copy=False)

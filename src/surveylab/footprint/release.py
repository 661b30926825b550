"""A release's footprint from its catalog: the tile table, object counts, HEALPix counts.

The tile table (DES ``*_TILE_INFO``: ``TILENAME, RA_CENT, DEC_CENT, RAC1..4, DECC1..4`` and, if
present, ``URAMIN, URAMAX, UDECMIN, UDECMAX`` and ``FITS_<BAND>`` image paths) gives the tiles.
Counts come from the object table in the database (``GROUP BY``), so they work on every backend
and move no rows into Python. Image paths are resolved under the release folder and kept only when
the file exists there: a path in the catalog can never point outside it.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..errors import FootprintError, NsideError
from ..sql import prepare
from .core import Footprint
from .tiles import TileInfo

if TYPE_CHECKING:
    from astropy.table import Table

    from ..catalog import Catalog

__all__ = [
    "DEFAULT_NSIDE",
    "MAIN_TABLE",
    "TILE_TABLE",
    "check_nside",
    "healpix_columns",
    "healpix_counts",
    "release_footprint",
    "tile_counts",
]

#: The object table and the tile table of a DES-like release.
MAIN_TABLE = "DR1_MAIN"
TILE_TABLE = "DR1_TILE_INFO"
#: NSIDE of HEALPix counts by default.
DEFAULT_NSIDE = 32
#: Band names as DES writes them (``FITS_Y`` is band ``Y``; the others are lower case).
_BAND_NAMES = {"G": "g", "R": "r", "I": "i", "Z": "z", "Y": "Y", "U": "u"}
_HPIX_COLUMN = re.compile(r"^HPIX_(\d+)$", re.IGNORECASE)
_CORNERS = tuple(f"{axis}C{k}" for k in range(1, 5) for axis in ("RA", "DEC"))
_REQUIRED = ("TILENAME", "RA_CENT", "DEC_CENT", *_CORNERS)
_UNIQUE = ("URAMIN", "URAMAX", "UDECMIN", "UDECMAX")


def _run(catalog: Catalog, sql: str) -> pa.Table:
    """The whole result of a (small) query, written in DES's Oracle SQL."""
    prepared = prepare(sql, catalog.dialect)
    with catalog.execute(prepared.sql) as handle:
        return pa.Table.from_batches(list(handle.batches()), schema=handle.schema)


def _column_names(catalog: Catalog, table: str) -> dict[str, str]:
    """Upper-case column name -> the catalog's spelling, for ``table``."""
    known = {info.name.upper() for info in catalog.tables()}
    if table.upper() not in known:
        raise FootprintError(f"the catalog has no table {table}; its tables: {', '.join(known)}")
    return {column.name.upper(): column.name for column in catalog.columns(table)}


def _image_paths(row: dict[str, Any], columns: dict[str, str], root: Path) -> dict[str, Path]:
    images: dict[str, Path] = {}
    for upper, spelled in columns.items():
        if not upper.startswith("FITS_") or not row.get(spelled):
            continue
        # normalised, not resolved: '..' cannot leave the release folder, while a symlink that
        # the release itself holds (e.g. images/ on another volume) still works
        path = Path(os.path.normpath(root / str(row[spelled])))
        if path.is_relative_to(root) and path.is_file():
            band = upper.removeprefix("FITS_")
            images[_BAND_NAMES.get(band, band.lower())] = path
    return images


def release_footprint(
    catalog: Catalog, data_dir: Path | None = None, *, table: str = TILE_TABLE, name: str = ""
) -> Footprint:
    """The footprint of a release from its catalog's tile table.

    Parameters
    ----------
    catalog : Catalog
        The release's catalog.
    data_dir : Path, optional
        The release folder: image paths of the tile table are relative to it. Without it, tiles
        have no images.
    table : str
        The tile table.
    name : str
        What the footprint is called in messages (default: the table's name).

    Raises
    ------
    FootprintError
        If the table or one of its geometry columns is missing.
    """
    columns = _column_names(catalog, table)
    missing = [column for column in _REQUIRED if column not in columns]
    if missing:
        raise FootprintError(f"the tile table {table} has no column(s) {', '.join(missing)}")
    data = _run(catalog, f"SELECT * FROM {table} ORDER BY {columns['TILENAME']}")
    root = None if data_dir is None else Path(os.path.normpath(data_dir.expanduser().absolute()))
    has_unique = all(column in columns for column in _UNIQUE)
    tiles = []
    for row in data.to_pylist():
        get = {upper: row[spelled] for upper, spelled in columns.items()}
        corners = [(float(get[f"RAC{k}"]), float(get[f"DECC{k}"])) for k in range(1, 5)]
        unique = None
        if has_unique:
            uramin, uramax, udecmin, udecmax = (float(get[column]) for column in _UNIQUE)
            unique = (uramin, uramax, udecmin, udecmax)
        tile = TileInfo.from_corners(
            str(get["TILENAME"]), float(get["RA_CENT"]), float(get["DEC_CENT"]), corners, unique
        )
        if root is not None:
            images = _image_paths(row, columns, root)
            if images:
                tile = replace(tile, images=images)
        tiles.append(tile)
    return Footprint(tiles, name=name or table)


def tile_counts(catalog: Catalog, table: str = MAIN_TABLE) -> dict[str, int]:
    """Objects per tile, counted in the database (``GROUP BY TILENAME``)."""
    columns = _column_names(catalog, table)
    if "TILENAME" not in columns:
        raise FootprintError(f"the table {table} has no TILENAME column")
    tilename = columns["TILENAME"]
    data = _run(catalog, f"SELECT {tilename} AS T, COUNT(*) AS N FROM {table} GROUP BY {tilename}")
    names = data.column(0).to_pylist()
    counts = data.column(1).to_pylist()
    return {str(name): int(count) for name, count in zip(names, counts, strict=True) if name}


def healpix_columns(catalog: Catalog, table: str = MAIN_TABLE) -> dict[int, str]:
    """The table's nested HEALPix index columns (``HPIX_<nside>``) by NSIDE."""
    found = {}
    for upper, spelled in _column_names(catalog, table).items():
        match = _HPIX_COLUMN.match(upper)
        if match:
            nside = int(match.group(1))
            if nside > 0 and nside & (nside - 1) == 0:
                found[nside] = spelled
    return dict(sorted(found.items()))


def check_nside(nside: Any, available: dict[int, str], table: str = MAIN_TABLE) -> int:
    """``nside`` as an int, if it is a power of 2 no finer than the finest stored column."""
    if not available:
        raise NsideError(f"the table {table} has no HEALPix column (HPIX_<nside>)")
    finest = max(available)
    rule = f"nside must be a power of 2 from 1 to {finest}"
    if isinstance(nside, bool) or not isinstance(nside, int | np.integer):
        raise NsideError(f"{rule}, not {nside!r}")
    value = int(nside)
    if value < 1 or value > finest or value & (value - 1):
        raise NsideError(f"{rule}, not {value}")
    return value


def healpix_counts(catalog: Catalog, nside: int = DEFAULT_NSIDE, table: str = MAIN_TABLE) -> Table:
    """Objects per HEALPix pixel (NESTED ordering), counted in the database.

    The catalog stores nested indices at some NSIDEs (the demo: ``HPIX_32`` and ``HPIX_1024``).
    A coarser power of 2 is got from the nearest finer column: in the nested scheme the parent of
    pixel ``p`` at NSIDE ``n`` is ``p // (n / nside)**2``.

    Parameters
    ----------
    catalog : Catalog
        The release's catalog.
    nside : int
        A power of 2, at most the finest NSIDE stored.
    table : str
        The object table.

    Returns
    -------
    astropy.table.Table
        Columns ``HPIX`` (nested pixel index) and ``COUNT``, one row per pixel holding objects,
        in pixel order; ``meta`` has ``NSIDE``, ``ORDERING`` and the column used.

    Raises
    ------
    NsideError
        If ``nside`` is not a power of 2, or finer than any stored column.
    """
    from astropy.table import Table

    available = healpix_columns(catalog, table)
    nside = check_nside(nside, available, table)
    stored = min(n for n in available if n >= nside)
    column = available[stored]
    factor = (stored // nside) ** 2
    pixel = column if factor == 1 else f"FLOOR({column} / {factor})"
    data = _run(
        catalog,
        f"SELECT {pixel} AS HPIX, COUNT(*) AS N FROM {table} "
        f"WHERE {column} IS NOT NULL GROUP BY {pixel} ORDER BY 1",
    )
    pixels = np.asarray(data.column(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = np.asarray(data.column(1).to_numpy(zero_copy_only=False), dtype=np.int64)
    result = Table([pixels, counts], names=("HPIX", "COUNT"))
    result.meta.update(NSIDE=nside, ORDERING="NESTED", COLUMN=column, TABLE=table)
    result["HPIX"].description = f"HEALPix pixel index, NESTED ordering, NSIDE {nside}"
    result["COUNT"].description = f"Objects of {table} in the pixel"
    return result

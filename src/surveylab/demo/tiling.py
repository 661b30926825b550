"""The DES coadd tiling, reproduced from its published geometry.

DES coadd tiles are 10000 x 10000 pixels of 0.263 arcsec (2630 arcsec, 0.7306 deg, on a side),
each a gnomonic (TAN) projection about its centre. Tile centres lie on rows of constant
declination spaced 2570 arcsec apart, so that neighbouring tiles overlap by one arcminute; the
first row is centred at Dec +1 arcmin. Along a row the centres are spaced 2570 arcsec / cos(Dec)
in RA, counted from RA 275 deg. Each tile owns a *unique area*, its centre plus or minus half a
spacing in RA and Dec, so that every position on the sky belongs to exactly one tile.

These rules reproduce the name and corners of every one of the 10,169 DES DR2 tiles (to 1e-5 deg).
Names are ``DESHHMM±DDMM`` from the centre, truncated: RA in hours and minutes, Dec in degrees
and arcminutes, the sign always shown (e.g. ``DES2134-0041``, the tile holding M2).

RA is always *wrapped* into [0, 360), never mirrored: the unique area of a tile straddling RA 0
runs from ``URAMIN`` = 359.6 to ``URAMAX`` = 0.31, and ``URAMIN > URAMAX`` says that it wraps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = [
    "DES_PIXEL_SCALE",
    "DES_TILE_PIXELS",
    "FOOTPRINT_RA_END",
    "FOOTPRINT_RA_START",
    "FOOTPRINT_ROWS",
    "ROW_DEC_ORIGIN",
    "ROW_RA_ORIGIN",
    "TILE_SIZE",
    "TILE_SPACING",
    "Tile",
    "Tiling",
    "demo_tiling",
    "row_dec",
    "row_ra_spacing",
    "tan_to_sky",
    "tile_name",
    "wrap_ra",
]

#: Pixels on a side of a DES coadd tile.
DES_TILE_PIXELS = 10_000
#: Arcseconds per pixel of a DES coadd tile.
DES_PIXEL_SCALE = 0.263
#: Side of a tile in degrees (2630 arcsec).
TILE_SIZE = DES_TILE_PIXELS * DES_PIXEL_SCALE / 3600.0
#: Spacing of tile centres in degrees (2570 arcsec): tiles overlap by 60 arcsec.
TILE_SPACING = 2570.0 / 3600.0
#: Dec of the row with index 0, in degrees (+1 arcmin).
ROW_DEC_ORIGIN = 1.0 / 60.0
#: RA from which tile centres are counted along every row, in degrees.
ROW_RA_ORIGIN = 275.0

#: First and last row index of the demo footprint (Dec -3.91 .. +1.80 deg unique area).
FOOTPRINT_ROWS = (-5, 2)
#: RA range of the demo footprint's tile centres, unwrapped: 310 deg -> 360 -> 20 deg.
FOOTPRINT_RA_START = 310.0
FOOTPRINT_RA_END = 380.0

#: Tolerance when truncating a coordinate to whole minutes, against float round-off.
_NAME_EPSILON = 1e-6

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def wrap_ra(ra: float) -> float:
    """RA wrapped into [0, 360) degrees (``-0.4`` becomes ``359.6``; never ``360 - ra``)."""
    wrapped = math.fmod(ra, 360.0)
    if wrapped < 0.0:
        wrapped += 360.0
    return 0.0 if wrapped >= 360.0 else wrapped


def row_dec(row: int) -> float:
    """Dec of the centres of tile row ``row``, in degrees."""
    return ROW_DEC_ORIGIN + row * TILE_SPACING


def row_ra_spacing(row: int) -> float:
    """RA spacing in degrees between neighbouring tile centres of row ``row``."""
    return TILE_SPACING / math.cos(math.radians(row_dec(row)))


def tile_name(ra: float, dec: float) -> str:
    """The DES name of the tile centred at (``ra``, ``dec``) degrees.

    Examples
    --------
    >>> tile_name(323.548039, -0.697222)
    'DES2134-0041'
    >>> tile_name(359.952781, 0.016667)
    'DES2359+0001'
    """
    minutes_ra = math.floor(wrap_ra(ra) / 15.0 * 60.0 + _NAME_EPSILON)
    hours, minutes = divmod(minutes_ra, 60)
    sign = "+" if dec >= 0.0 else "-"
    arcmin = math.floor(abs(dec) * 60.0 + _NAME_EPSILON)
    degrees, arcminutes = divmod(arcmin, 60)
    return f"DES{hours % 24:02d}{minutes:02d}{sign}{degrees:02d}{arcminutes:02d}"


def tan_to_sky(
    ra0: float, dec0: float, xi: FloatArray, eta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Inverse gnomonic projection about (``ra0``, ``dec0``).

    Parameters
    ----------
    ra0, dec0 : float
        Tangent point in degrees.
    xi, eta : ndarray
        Standard coordinates in degrees, ``xi`` towards east (increasing RA), ``eta`` north.

    Returns
    -------
    ra, dec : ndarray
        Sky positions in degrees, RA wrapped into [0, 360).
    """
    d0 = math.radians(dec0)
    x = np.radians(xi)
    y = np.radians(eta)
    denominator = math.cos(d0) - y * math.sin(d0)
    ra = np.degrees(np.arctan2(x, denominator)) + ra0
    dec = np.degrees(np.arctan2(math.sin(d0) + y * math.cos(d0), np.hypot(x, denominator)))
    return np.mod(ra, 360.0), dec


@dataclass(frozen=True)
class Tile:
    """One coadd tile of the tiling.

    Attributes
    ----------
    name : str
        ``DESHHMM±DDMM``.
    row, column : int
        Row index (Dec) and index along the row (RA, counted from RA 275 deg).
    ra, dec : float
        Centre in degrees.
    ra_spacing : float
        Width of the unique area in RA, degrees (2570 arcsec / cos Dec).
    corners : tuple of (ra, dec)
        Outer corners of the nominal 10000 x 10000 x 0.263" tile, in the order of DES
        ``RAC1..RAC4``: pixel (1, 1) (south-east), (NAXIS1, 1) (south-west),
        (NAXIS1, NAXIS2) (north-west), (1, NAXIS2) (north-east). RA increases to the left.
    """

    name: str
    row: int
    column: int
    ra: float
    dec: float
    ra_spacing: float
    corners: tuple[tuple[float, float], ...] = field(repr=False)

    @property
    def uramin(self) -> float:
        """West edge of the unique area (wrapped RA, degrees)."""
        return wrap_ra(self.ra - self.ra_spacing / 2.0)

    @property
    def uramax(self) -> float:
        """East edge of the unique area (wrapped RA, degrees); below ``uramin`` if it wraps."""
        return wrap_ra(self.ra + self.ra_spacing / 2.0)

    @property
    def udecmin(self) -> float:
        """South edge of the unique area, degrees."""
        return self.dec - TILE_SPACING / 2.0

    @property
    def udecmax(self) -> float:
        """North edge of the unique area, degrees."""
        return self.dec + TILE_SPACING / 2.0

    @property
    def crosses_ra0(self) -> bool:
        """Whether the tile's outer area straddles RA 0 (``CROSSRA0 = 'Y'``)."""
        offsets = [((ra - self.ra + 180.0) % 360.0) - 180.0 for ra, _ in self.corners]
        return self.ra + min(offsets) < 0.0 or self.ra + max(offsets) >= 360.0

    def contains(self, ra: FloatArray, dec: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether positions (degrees) lie in this tile's unique area (RA compared wrapped)."""
        offset = np.mod(np.asarray(ra) - self.ra + 180.0, 360.0) - 180.0
        return (
            (offset >= -self.ra_spacing / 2.0)
            & (offset < self.ra_spacing / 2.0)
            & (np.asarray(dec) >= self.udecmin)
            & (np.asarray(dec) < self.udecmax)
        )


def make_tile(row: int, column: int) -> Tile:
    """The tile at ``row``, ``column`` of the DES tiling."""
    spacing = row_ra_spacing(row)
    ra = wrap_ra(ROW_RA_ORIGIN + column * spacing)
    dec = row_dec(row)
    half = TILE_SIZE / 2.0
    xi = np.array([half, -half, -half, half])
    eta = np.array([-half, -half, half, half])
    corner_ra, corner_dec = tan_to_sky(ra, dec, xi, eta)
    corners = tuple(
        (float(a), float(d)) for a, d in zip(corner_ra.tolist(), corner_dec.tolist(), strict=True)
    )
    return Tile(tile_name(ra, dec), row, column, ra, dec, spacing, corners)


@dataclass(frozen=True, eq=False)
class Tiling:
    """A set of whole rows of DES tiles: the footprint of a release.

    Parameters
    ----------
    columns : dict
        ``{row: (first_column, last_column)}``, inclusive, for every row of the footprint.
    """

    columns: dict[int, tuple[int, int]]

    @cached_property
    def tiles(self) -> tuple[Tile, ...]:
        """All tiles, row by row from south to north, west to east."""
        return tuple(
            make_tile(row, column)
            for row in sorted(self.columns)
            for column in range(self.columns[row][0], self.columns[row][1] + 1)
        )

    @cached_property
    def _index(self) -> dict[str, int]:
        return {tile.name: i for i, tile in enumerate(self.tiles)}

    @cached_property
    def _row_offsets(self) -> dict[int, int]:
        offsets, start = {}, 0
        for row in sorted(self.columns):
            offsets[row] = start
            start += self.columns[row][1] - self.columns[row][0] + 1
        return offsets

    def __len__(self) -> int:
        return len(self.tiles)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        """Position of the tile called ``name`` in :attr:`tiles`; ``KeyError`` if absent."""
        return self._index[name]

    def tile(self, name: str) -> Tile:
        """The tile called ``name``; ``KeyError`` if absent."""
        return self.tiles[self._index[name]]

    def locate(self, ra: FloatArray, dec: FloatArray) -> IntArray:
        """Index in :attr:`tiles` of the tile whose unique area holds each position, or -1.

        Parameters
        ----------
        ra, dec : ndarray
            Positions in degrees; RA in any turn (it is wrapped, not mirrored).
        """
        ra = np.asarray(ra, dtype=np.float64)
        dec = np.asarray(dec, dtype=np.float64)
        rows = np.rint((dec - ROW_DEC_ORIGIN) / TILE_SPACING).astype(np.int64)
        result = np.full(ra.shape, -1, dtype=np.int64)
        for row, (first, last) in self.columns.items():
            in_row = rows == row
            if not in_row.any():
                continue
            column = np.rint(np.mod(ra[in_row] - ROW_RA_ORIGIN, 360.0) / row_ra_spacing(row))
            column = column.astype(np.int64)
            inside = (column >= first) & (column <= last)
            result[np.flatnonzero(in_row)[inside]] = self._row_offsets[row] + column[inside] - first
        return result

    def neighbours(self, name: str) -> list[Tile]:
        """The 8 tiles around ``name`` (fewer at the edge of the footprint).

        Same row: the previous and next tile. Rows above and below: the three tiles whose centres
        are nearest in RA, which covers every tile whose outer area touches this one.
        """
        centre = self.tile(name)
        found: list[Tile] = []
        for row, count in ((centre.row - 1, 3), (centre.row, 3), (centre.row + 1, 3)):
            in_row = [tile for tile in self.tiles if tile.row == row]
            in_row.sort(key=lambda tile: abs(((tile.ra - centre.ra + 180.0) % 360.0) - 180.0))
            found.extend(tile for tile in in_row[:count] if tile is not centre)
        return found

    def row_ra_range(self, row: int) -> tuple[float, float]:
        """Unique-area RA edges of ``row``, unwrapped from the first tile's west edge."""
        first, last = self.columns[row]
        spacing = row_ra_spacing(row)
        return (
            ROW_RA_ORIGIN + (first - 0.5) * spacing,
            ROW_RA_ORIGIN + (last + 0.5) * spacing,
        )


def rows_columns(rows: Iterable[int], ra_start: float, ra_end: float) -> dict[int, tuple[int, int]]:
    """Columns of each row whose centres lie in [``ra_start``, ``ra_end``) (unwrapped degrees)."""
    columns = {}
    for row in rows:
        spacing = row_ra_spacing(row)
        first = math.ceil((ra_start - ROW_RA_ORIGIN) / spacing)
        last = math.ceil((ra_end - ROW_RA_ORIGIN) / spacing) - 1
        columns[row] = (first, last)
    return columns


def demo_tiling(
    rows: Sequence[int] = FOOTPRINT_ROWS,
    ra_start: float = FOOTPRINT_RA_START,
    ra_end: float = FOOTPRINT_RA_END,
) -> Tiling:
    """The DEMO DR1 footprint: a stripe of DES tiles crossing RA 0.

    Parameters
    ----------
    rows : (int, int)
        First and last row index (inclusive).
    ra_start, ra_end : float
        Unwrapped RA range of tile centres, degrees (``ra_end`` may exceed 360).

    Examples
    --------
    >>> tiling = demo_tiling()
    >>> "DES2134-0041" in tiling, "DES2359+0001" in tiling
    (True, True)
    """
    first_row, last_row = rows
    return Tiling(rows_columns(range(first_row, last_row + 1), ra_start, ra_end))

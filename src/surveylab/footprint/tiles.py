"""Tiles of a footprint: their geometry, and where a list of them comes from.

A tile has a *centre*, four *corners* and an *outer area*: the RA/Dec box of its corners, which
is what DES's tile lists give as ``rall, decll, raur, decur`` (lower-left and upper-right
corners). Outer areas of neighbouring DES tiles overlap by about 1 arcmin. A tile may also have
a *unique area* (DES ``URAMIN, URAMAX, UDECMIN, UDECMAX``): the part of the sky that belongs to
it alone, so that every position inside the footprint belongs to exactly one tile.

RA conventions, as in DES:

- The outer area runs from ``ra_min`` in [0, 360) to ``ra_max > ra_min``; a tile across RA 0
  has ``ra_max > 360`` (``DES2359+0001``: 359.63 .. 360.37).
- The unique area's ``uramin``/``uramax`` are wrapped into [0, 360): ``uramin > uramax`` says
  that it crosses RA 0.

An external DES tile list (``tilename;rall;decll;raur;decur[;more columns]``) has no unique
areas. :func:`derive_unique_areas` rebuilds them with DES's own rule: tile centres lie on rows of
constant Dec, and a tile's unique area reaches halfway to its neighbours, in Dec to the next row
and in RA to the next centre of its row. On the real DES DR2 list this gives DES's unique areas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TileListError
from .positions import FloatArray

if TYPE_CHECKING:
    from astropy.coordinates import SkyCoord

    from ..demo.tiling import Tiling

__all__ = [
    "DES_TILE_LIST_COLUMNS",
    "TileInfo",
    "derive_unique_areas",
    "read_tile_list",
    "tiles_from_tiling",
]

#: The columns of a DES tile list, in their default order (a header may reorder them).
DES_TILE_LIST_COLUMNS = ("tilename", "rall", "decll", "raur", "decur")
#: Gaps between row centres up to this many spacings count as neighbours.
_NEIGHBOUR_GAP = 1.5
#: Decimal places of Dec that group tile centres into rows.
_ROW_DECIMALS = 4


def _offset(ra: float, centre: float) -> float:
    """``ra - centre`` wrapped into [-180, 180) degrees."""
    return (ra - centre + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class TileInfo:
    """One tile of a footprint.

    Attributes
    ----------
    name : str
        The tile's name, e.g. ``DES2134-0041``.
    ra, dec : float
        Centre in degrees, RA in [0, 360).
    corners : tuple of (ra, dec)
        Four corners in degrees (RA wrapped), in DES's ``RAC1..RAC4`` order: south-east,
        south-west, north-west, north-east.
    ra_min, ra_max, dec_min, dec_max : float
        The outer area, degrees: ``ra_min`` in [0, 360), ``ra_max > 360`` across RA 0.
    unique : tuple of float or None
        ``(uramin, uramax, udecmin, udecmax)`` in degrees, RA wrapped (``uramin > uramax``
        across RA 0); None when unknown.
    objects : int or None
        Catalog objects whose ``TILENAME`` is this tile, when counted.
    images : mapping of str to Path
        The image file of each band that exists in the release.
    """

    name: str
    ra: float
    dec: float
    corners: tuple[tuple[float, float], ...] = field(repr=False)
    ra_min: float = field(repr=False)
    ra_max: float = field(repr=False)
    dec_min: float = field(repr=False)
    dec_max: float = field(repr=False)
    unique: tuple[float, float, float, float] | None = field(default=None, repr=False)
    objects: int | None = None
    images: Mapping[str, Path] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def crosses_ra0(self) -> bool:
        """Whether the outer area straddles RA 0 (DES ``CROSSRA0 = 'Y'``)."""
        return self.ra_max >= 360.0

    @property
    def center(self) -> SkyCoord:
        """The centre as an ICRS SkyCoord."""
        from astropy.coordinates import SkyCoord

        return SkyCoord(self.ra, self.dec, unit="deg", frame="icrs")

    @property
    def bands(self) -> tuple[str, ...]:
        """Bands that have an image of this tile."""
        return tuple(self.images)

    def contains(self, ra: float, dec: float) -> bool:
        """Whether (``ra``, ``dec``) degrees lie in the outer area (RA compared wrapped).

        Examples
        --------
        >>> tile = TileInfo.from_bounds("DES2359+0001", 359.631, -0.348, 360.369, 0.382)
        >>> tile.contains(0.1, 0.0), tile.contains(359.9, 0.0), tile.contains(0.5, 0.0)
        (True, True, False)
        """
        offset = _offset(ra, self.ra)
        west = _offset(self.ra_min, self.ra)
        return west <= offset <= west + (self.ra_max - self.ra_min) and (
            self.dec_min <= dec <= self.dec_max
        )

    @classmethod
    def from_bounds(
        cls,
        name: str,
        rall: float,
        decll: float,
        raur: float,
        decur: float,
        unique: tuple[float, float, float, float] | None = None,
    ) -> TileInfo:
        """A tile from its outer corners as a DES tile list gives them.

        The centre is the middle of the box; the corners are the box's corners. ``raur`` above
        360 (or ``rall`` below 0) marks a tile across RA 0.
        """
        shift = 360.0 * math.floor(rall / 360.0)
        rall, raur = rall - shift, raur - shift
        ra = ((rall + raur) / 2.0) % 360.0
        west, east = rall % 360.0, raur % 360.0
        corners = ((east, decll), (west, decll), (west, decur), (east, decur))
        return cls(
            name=name,
            ra=ra,
            dec=(decll + decur) / 2.0,
            corners=corners,
            ra_min=rall,
            ra_max=raur,
            dec_min=decll,
            dec_max=decur,
            unique=unique,
        )

    @classmethod
    def from_corners(
        cls,
        name: str,
        ra: float,
        dec: float,
        corners: Sequence[tuple[float, float]],
        unique: tuple[float, float, float, float] | None = None,
    ) -> TileInfo:
        """A tile from its centre and corners; the outer area is the box of the corners."""
        ra = ra % 360.0
        offsets = [_offset(corner_ra, ra) for corner_ra, _ in corners]
        decs = [corner_dec for _, corner_dec in corners]
        ra_min = ra + min(offsets)
        shift = 360.0 * math.floor(ra_min / 360.0)
        return cls(
            name=name,
            ra=ra,
            dec=dec,
            corners=tuple((corner_ra % 360.0, corner_dec) for corner_ra, corner_dec in corners),
            ra_min=ra_min - shift,
            ra_max=ra + max(offsets) - shift,
            dec_min=min(decs),
            dec_max=max(decs),
            unique=unique,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: name, centre, corners, outer and unique areas, objects, bands."""
        unique = None
        if self.unique is not None:
            uramin, uramax, udecmin, udecmax = self.unique
            unique = {"ra_min": uramin, "ra_max": uramax, "dec_min": udecmin, "dec_max": udecmax}
        return {
            "name": self.name,
            "ra": self.ra,
            "dec": self.dec,
            "corners": [[corner_ra, corner_dec] for corner_ra, corner_dec in self.corners],
            "bounds": {
                "ra_min": self.ra_min,
                "ra_max": self.ra_max,
                "dec_min": self.dec_min,
                "dec_max": self.dec_max,
            },
            "unique_area": unique,
            "crosses_ra0": self.crosses_ra0,
            "objects": self.objects,
            "bands": list(self.bands),
        }


def derive_unique_areas(
    ra: FloatArray, dec: FloatArray, height: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Unique areas of tiles laid out in rows of constant Dec, by DES's rule.

    Tiles whose centres share a Dec (to 1e-4 deg) form a row. A tile's unique area reaches
    halfway to the neighbouring rows in Dec and halfway to its neighbours in the row in RA. At
    the edge of the footprint, or at a gap, it reaches half of the usual spacing instead.

    Parameters
    ----------
    ra, dec : ndarray
        Tile centres, degrees.
    height : float
        Typical tile height in degrees, used only when there is a single row.

    Returns
    -------
    uramin, uramax, udecmin, udecmax : ndarray
        RA wrapped into [0, 360) (``uramin > uramax`` across RA 0), degrees.
    """
    keys = np.round(dec, _ROW_DECIMALS)
    rows = np.unique(keys)
    dec_step = float(np.diff(rows).min()) if rows.size > 1 else height
    row_of = np.searchsorted(rows, keys)
    row_dec = np.array([dec[row_of == k].mean() for k in range(rows.size)])
    gap_below = np.diff(row_dec, prepend=-np.inf)
    gap_above = np.diff(row_dec, append=np.inf)
    half_below = np.where(gap_below <= _NEIGHBOUR_GAP * dec_step, gap_below, dec_step) / 2.0
    half_above = np.where(gap_above <= _NEIGHBOUR_GAP * dec_step, gap_above, dec_step) / 2.0
    udecmin = row_dec[row_of] - half_below[row_of]
    udecmax = row_dec[row_of] + half_above[row_of]

    west = np.empty_like(ra)
    east = np.empty_like(ra)
    for k in range(rows.size):
        members = np.flatnonzero(row_of == k)
        order = members[np.argsort(ra[members], kind="stable")]
        centres = ra[order]
        if order.size == 1:
            step = dec_step / math.cos(math.radians(float(row_dec[k])))
            gap_next = gap_previous = np.array([np.inf])
        else:
            gap_next = np.mod(np.roll(centres, -1) - centres, 360.0)
            gap_previous = np.roll(gap_next, 1)
            step = float(gap_next[gap_next > 0].min())
        west[order] = (
            centres - np.where(gap_previous <= _NEIGHBOUR_GAP * step, gap_previous, step) / 2
        )
        east[order] = centres + np.where(gap_next <= _NEIGHBOUR_GAP * step, gap_next, step) / 2
    return np.mod(west, 360.0), np.mod(east, 360.0), udecmin, udecmax


def _header_columns(fields: list[str]) -> dict[str, int] | None:
    """Column positions from a header line, or None if the line is data."""
    lowered = [value.strip().lower() for value in fields]
    if lowered[0] not in DES_TILE_LIST_COLUMNS:
        return None
    return {name: lowered.index(name) for name in DES_TILE_LIST_COLUMNS if name in lowered}


def _number(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TileListError(f"{where}: {column} is not a number: {text.strip()!r}") from None
    if not math.isfinite(value):
        raise TileListError(f"{where}: {column} is not finite: {text.strip()!r}")
    return value


def read_tile_list(path: str | Path, delimiter: str = ";") -> list[TileInfo]:
    """Read a DES tile list: ``tilename;rall;decll;raur;decur[;more columns]``.

    ``rall, decll`` is the lower-left and ``raur, decur`` the upper-right corner of each tile's
    outer area, in degrees; ``raur > 360`` marks a tile across RA 0. Blank lines and lines
    starting with ``#`` are skipped. A first line starting with ``tilename`` is a header, which
    may put the five columns in any order; extra columns are ignored. Unique areas are derived
    with :func:`derive_unique_areas`.

    Parameters
    ----------
    path : str or Path
        The file.
    delimiter : str
        The column separator (DES uses ``;``).

    Returns
    -------
    list of TileInfo

    Raises
    ------
    TileListError
        If the file cannot be read, or a line is malformed; the message names the file, the
        line and what is wrong.

    Examples
    --------
    >>> tiles = read_tile_list("../shared/data/des_dr2_tiles.csv")  # doctest: +SKIP
    >>> len(tiles), tiles[0].name  # doctest: +SKIP
    (10169, 'DES0001-0541')
    """
    source = Path(path)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TileListError(f"cannot read the tile list {source}: {err}") from None
    columns = {name: k for k, name in enumerate(DES_TILE_LIST_COLUMNS)}
    bounds: list[tuple[str, float, float, float, float]] = []
    seen: dict[str, int] = {}
    header_allowed = True
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source}:{number}"
        fields = line.split(delimiter)
        if header_allowed:
            header_allowed = False
            named = _header_columns(fields)
            if named is not None:
                missing = [name for name in DES_TILE_LIST_COLUMNS if name not in named]
                if missing:
                    raise TileListError(f"{where}: the header has no column {', '.join(missing)}")
                columns = named
                continue
        if len(fields) <= max(columns.values()):
            raise TileListError(
                f"{where}: expected {delimiter.join(DES_TILE_LIST_COLUMNS)}, got {len(fields)} "
                f"field(s): {line.strip()[:80]!r}"
            )
        name = fields[columns["tilename"]].strip()
        if not name:
            raise TileListError(f"{where}: the tile name is empty")
        rall, decll, raur, decur = (
            _number(fields[columns[column]], column, where) for column in DES_TILE_LIST_COLUMNS[1:]
        )
        for column, value in (("decll", decll), ("decur", decur)):
            if not -90.0 <= value <= 90.0:
                raise TileListError(f"{where}: {column} {value} is outside -90..+90 deg")
        if decll >= decur:
            raise TileListError(f"{where}: decll {decll} is not below decur {decur}")
        if not 0.0 < raur - rall < 180.0:
            raise TileListError(
                f"{where}: raur {raur} must exceed rall {rall} by less than 180 deg "
                "(a tile across RA 0 has raur > 360)"
            )
        if name in seen:
            raise TileListError(
                f"{where}: tile {name} is listed twice (first on line {seen[name]})"
            )
        seen[name] = number
        bounds.append((name, rall, decll, raur, decur))
    if not bounds:
        raise TileListError(f"{source}: the tile list has no tiles")
    tiles = [TileInfo.from_bounds(*row) for row in bounds]
    return _with_unique_areas(tiles)


def _with_unique_areas(tiles: list[TileInfo]) -> list[TileInfo]:
    ra = np.array([tile.ra for tile in tiles])
    dec = np.array([tile.dec for tile in tiles])
    height = float(np.median([tile.dec_max - tile.dec_min for tile in tiles]))
    uramin, uramax, udecmin, udecmax = derive_unique_areas(ra, dec, height)
    return [
        TileInfo(
            name=tile.name,
            ra=tile.ra,
            dec=tile.dec,
            corners=tile.corners,
            ra_min=tile.ra_min,
            ra_max=tile.ra_max,
            dec_min=tile.dec_min,
            dec_max=tile.dec_max,
            unique=(float(uramin[k]), float(uramax[k]), float(udecmin[k]), float(udecmax[k])),
        )
        for k, tile in enumerate(tiles)
    ]


def tiles_from_tiling(tiling: Tiling) -> list[TileInfo]:
    """The tiles of a :class:`surveylab.demo.Tiling`, with their corners and unique areas."""
    return [
        TileInfo.from_corners(
            tile.name,
            tile.ra,
            tile.dec,
            tile.corners,
            (tile.uramin, tile.uramax, tile.udecmin, tile.udecmax),
        )
        for tile in tiling.tiles
    ]

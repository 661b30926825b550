"""``Footprint``: the tiles of a release, looked up by position through a spatial index."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import FootprintError, TileNotFoundError
from ..limits import MOC_ORDER_MAX, MOC_ORDER_MIN
from .index import TileIndex
from .positions import IntArray, sky_positions
from .tiles import TileInfo, read_tile_list, tiles_from_tiling

if TYPE_CHECKING:
    from mocpy import MOC  # type: ignore[import-untyped]  # mocpy ships no type hints

    from ..demo.tiling import Tiling

__all__ = ["DEFAULT_MOC_ORDER", "MAX_MOC_ORDER", "MIN_MOC_ORDER", "Footprint"]

#: HEALPix order of the footprint's MOC by default (cells of 3.4 arcmin).
DEFAULT_MOC_ORDER = 10
#: MOC orders accepted (order 13: cells of 26 arcsec, finer than the 1 arcmin tile overlaps).
MIN_MOC_ORDER = MOC_ORDER_MIN
MAX_MOC_ORDER = MOC_ORDER_MAX


class Footprint:
    """The tiles of a survey footprint, with position look-ups through a spatial index.

    Parameters
    ----------
    tiles : sequence of TileInfo
        The tiles; names must be unique.
    name : str
        What the footprint is called in messages (e.g. the release, or the tile list's file).

    Examples
    --------
    >>> from surveylab.demo import demo_tiling
    >>> footprint = Footprint.from_tiling(demo_tiling())
    >>> footprint.tile_at(323.36, -0.82)  # M2
    'DES2134-0041'
    >>> footprint.tile_at([359.9, 0.1, 100.0], [0.0, 0.0, 0.0]).tolist()
    ['DES2359+0001', 'DES2359+0001', None]
    >>> sorted(footprint.tiles_at(323.5480, -0.3425))  # on the 1' overlap of two rows
    ['DES2134+0001', 'DES2134-0041']
    """

    def __init__(self, tiles: Sequence[TileInfo], name: str = "footprint") -> None:
        if not tiles:
            raise FootprintError(f"{name}: a footprint needs at least one tile")
        self.name = name
        self.tiles: tuple[TileInfo, ...] = tuple(tiles)
        self._by_name: dict[str, int] = {}
        for k, tile in enumerate(self.tiles):
            key = tile.name.upper()
            if key in self._by_name:
                raise FootprintError(f"{name}: tile {tile.name} is given twice")
            self._by_name[key] = k
        self._names = np.array([tile.name for tile in self.tiles] + [None], dtype=object)
        self._moc_lock = threading.Lock()
        self._mocs: dict[int, MOC] = {}

    # --- construction --------------------------------------------------------------------------

    @classmethod
    def from_tile_list(cls, path: str | Path, delimiter: str = ";") -> Footprint:
        """A footprint from a DES tile list file (``tilename;rall;decll;raur;decur[;...]``).

        See :func:`surveylab.footprint.read_tile_list` for the format and its checks.
        """
        return cls(read_tile_list(path, delimiter), name=Path(path).name)

    @classmethod
    def from_tiling(cls, tiling: Tiling, name: str = "demo tiling") -> Footprint:
        """A footprint from a :class:`surveylab.demo.Tiling` (the demo release's tiles)."""
        return cls(tiles_from_tiling(tiling), name=name)

    # --- the tiles -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.tiles)

    def __iter__(self) -> Iterator[TileInfo]:
        return iter(self.tiles)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().upper() in self._by_name

    def __repr__(self) -> str:
        return f"<Footprint {self.name!r}: {len(self)} tiles>"

    @property
    def names(self) -> list[str]:
        """Names of the tiles, in order."""
        return [tile.name for tile in self.tiles]

    def tile(self, name: str) -> TileInfo:
        """The tile called ``name`` (case-insensitive).

        Raises
        ------
        TileNotFoundError
            If there is none; the message suggests close names.
        """
        key = name.strip().upper() if isinstance(name, str) else name
        index = self._by_name.get(key)
        if index is None:
            close = difflib.get_close_matches(str(key), self._by_name, n=3)
            suggestions = ", ".join(self.tiles[self._by_name[match]].name for match in close)
            hint = f"; did you mean {suggestions}?" if close else ""
            example = self.tiles[0].name
            raise TileNotFoundError(
                f"no tile named {name!r} in {self.name} ({len(self)} tiles, named like "
                f"{example!r}){hint}"
            )
        return self.tiles[index]

    @cached_property
    def index(self) -> TileIndex:
        """The spatial index of the tiles' boxes (built on first use)."""
        return TileIndex(
            np.array([tile.ra for tile in self.tiles]),
            np.array([tile.dec for tile in self.tiles]),
            np.array([tile.ra_min for tile in self.tiles]),
            np.array([tile.ra_max for tile in self.tiles]),
            np.array([tile.dec_min for tile in self.tiles]),
            np.array([tile.dec_max for tile in self.tiles]),
            np.array([tile.unique or (np.nan,) * 4 for tile in self.tiles], dtype=np.float64),
        )

    # --- look-ups ------------------------------------------------------------------------------

    def locate(self, ra: Any, dec: Any = None) -> IntArray:
        """Index in :attr:`tiles` of the tile owning each position, -1 outside the footprint.

        Parameters
        ----------
        ra : SkyCoord, Quantity, float or array_like
            A SkyCoord, or right ascensions (degrees if plain numbers).
        dec : Quantity, float or array_like, optional
            Declinations, when ``ra`` is not a SkyCoord.

        Returns
        -------
        ndarray of int64
            The shape of the positions (0-d for a single position). The owner is the tile
            whose unique area holds the position; where none does (the 30" rim at the edge of
            the footprint), the tile whose centre is nearest among those whose outer area
            holds it.

        Raises
        ------
        PositionError
            For non-numbers, NaN, or Dec outside ±90 deg.
        """
        ra_deg, dec_deg, shape = sky_positions(ra, dec)
        return self.index.locate(ra_deg, dec_deg).reshape(shape)

    def tile_at(self, ra: Any, dec: Any = None) -> str | npt.NDArray[np.object_] | None:
        """The name of the one tile owning each position.

        Vectorised: arrays of positions (or an array SkyCoord) give an object array of names of
        the same shape, with None outside the footprint; a single position gives a name or None.

        Parameters
        ----------
        ra : SkyCoord, Quantity, float or array_like
            A SkyCoord, or right ascensions (degrees if plain numbers; wrapped, never mirrored).
        dec : Quantity, float or array_like, optional
            Declinations, when ``ra`` is not a SkyCoord.

        Examples
        --------
        >>> from astropy.coordinates import SkyCoord
        >>> from surveylab.demo import demo_tiling
        >>> footprint = Footprint.from_tiling(demo_tiling())
        >>> footprint.tile_at(SkyCoord("21h33m27s -00d49m24s"))
        'DES2134-0041'
        """
        ra_deg, dec_deg, shape = sky_positions(ra, dec)
        located = self.index.locate(ra_deg, dec_deg)
        names: npt.NDArray[np.object_] = self._names[located]  # index -1 is the trailing None
        if not shape:
            value: str | None = names[0]
            return value
        return names.reshape(shape)

    def tiles_at(self, ra: Any, dec: Any = None) -> list[str] | list[list[str]]:
        """Every tile whose outer area holds each position (2 or more on overlaps).

        The owner (:meth:`tile_at`) comes first, then the others by name. A single position
        gives a list of names; arrays give one list per position, in flattened order.
        """
        ra_deg, dec_deg, shape = sky_positions(ra, dec)
        positions, tiles = self.index.matches(ra_deg, dec_deg)
        owners = self.index.locate(ra_deg, dec_deg)
        found: list[list[str]] = [[] for _ in range(ra_deg.size)]
        for position, tile in zip(positions.tolist(), tiles.tolist(), strict=True):
            found[position].append(self.tiles[tile].name)
        for position, owner in enumerate(owners.tolist()):
            if owner >= 0 and len(found[position]) > 1:
                owner_name = self.tiles[owner].name
                others = sorted(name for name in found[position] if name != owner_name)
                found[position] = [owner_name, *others]
        return found if shape else found[0]

    def matches(self, ra: Any, dec: Any = None) -> tuple[IntArray, IntArray]:
        """All (flat position index, tile index) pairs whose tile's outer area holds it."""
        ra_deg, dec_deg, _shape = sky_positions(ra, dec)
        return self.index.matches(ra_deg, dec_deg)

    # --- overlays ------------------------------------------------------------------------------

    def geojson(self) -> dict[str, Any]:
        """All tile outlines as a GeoJSON FeatureCollection, for map overlays.

        Each tile is a Polygon of its four corners, counter-clockwise, with ``lon`` = RA wrapped
        into [-180, 180) at the tile's centre and kept continuous across the tile (the
        d3-celestial convention), ``lat`` = Dec. Properties: ``name``, centre ``ra`` (in [0, 360))
        and ``dec``, ``crosses_ra0``.
        """
        features = []
        for tile in self.tiles:
            lon0 = (tile.ra + 180.0) % 360.0 - 180.0
            ring = [
                [lon0 + ((corner_ra - tile.ra + 180.0) % 360.0 - 180.0), corner_dec]
                for corner_ra, corner_dec in tile.corners
            ]
            if _signed_area(ring) < 0:
                ring.reverse()
            ring.append(list(ring[0]))
            features.append(
                {
                    "type": "Feature",
                    "id": tile.name,
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "name": tile.name,
                        "ra": tile.ra,
                        "dec": tile.dec,
                        "crosses_ra0": tile.crosses_ra0,
                    },
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def moc(self, order: int = DEFAULT_MOC_ORDER) -> MOC:
        """The footprint as a MOC (mocpy): the union of the tiles' outlines at HEALPix ``order``.

        A tile's edges are great circles between its corners (exact for DES's gnomonic tiles).
        MOCs are cached per order.

        Raises
        ------
        FootprintError
            If ``order`` is not an integer from 0 to 13.
        """
        if isinstance(order, bool) or not isinstance(order, int | np.integer):
            raise FootprintError(f"the MOC order must be an integer, not {order!r}")
        order = int(order)
        if not MIN_MOC_ORDER <= order <= MAX_MOC_ORDER:
            raise FootprintError(
                f"the MOC order must be from {MIN_MOC_ORDER} to {MAX_MOC_ORDER}, not {order}"
            )
        with self._moc_lock:
            if order not in self._mocs:
                self._mocs[order] = self._build_moc(order)
            return self._mocs[order]

    def _build_moc(self, order: int) -> MOC:
        from mocpy import MOC

        vertices: list[npt.NDArray[np.float64]] = []
        for tile in self.tiles:
            corners = np.array(tile.corners, dtype=np.float64)
            vertices.append(corners[:, 0])
            vertices.append(corners[:, 1])
        parts = MOC.from_polygons(vertices, max_depth=order, n_threads=1)
        moc: MOC = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        return moc


def _signed_area(ring: list[list[float]]) -> float:
    """Twice the signed area of a ring in the plane (positive: counter-clockwise)."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return total

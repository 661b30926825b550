"""The footprint of a release: its tiles, which tile holds a position, coverage maps.

- :class:`Footprint`: tiles with a spatial index; :meth:`Footprint.tile_at` (vectorised, the one
  owning tile), :meth:`Footprint.tiles_at` (every tile whose outer area holds a position: 2 or
  more on the 1 arcmin overlaps), GeoJSON outlines and a MOC (mocpy).
- Built from a release's tile table (:func:`release_footprint`), from an external DES tile list
  ``tilename;rall;decll;raur;decur`` (:meth:`Footprint.from_tile_list`) or from the demo tiling.
- :func:`healpix_counts` and :func:`tile_counts` count objects in the database.

RA is always wrapped into [0, 360), never mirrored.

Examples
--------
>>> from surveylab.demo import demo_tiling
>>> from surveylab.footprint import Footprint
>>> footprint = Footprint.from_tiling(demo_tiling())
>>> footprint.tile_at(-0.1, 0.2), footprint.tile_at(359.9, 0.2)
('DES2359+0001', 'DES2359+0001')
"""

from .core import DEFAULT_MOC_ORDER, MAX_MOC_ORDER, MIN_MOC_ORDER, Footprint
from .index import TileIndex
from .positions import sky_positions, wrap_ra
from .release import (
    DEFAULT_NSIDE,
    MAIN_TABLE,
    TILE_TABLE,
    check_nside,
    healpix_columns,
    healpix_counts,
    release_footprint,
    tile_counts,
)
from .tiles import TileInfo, derive_unique_areas, read_tile_list, tiles_from_tiling

__all__ = [
    "DEFAULT_MOC_ORDER",
    "DEFAULT_NSIDE",
    "MAIN_TABLE",
    "MAX_MOC_ORDER",
    "MIN_MOC_ORDER",
    "TILE_TABLE",
    "Footprint",
    "TileIndex",
    "TileInfo",
    "check_nside",
    "derive_unique_areas",
    "healpix_columns",
    "healpix_counts",
    "read_tile_list",
    "release_footprint",
    "sky_positions",
    "tile_counts",
    "tiles_from_tiling",
    "wrap_ra",
]

"""DEMO DR1: a deterministic, offline, self-consistent DES-like data release.

:func:`generate_demo` writes a release folder::

    catalog.duckdb   DR1_MAIN (objects), DR1_TILE_INFO (tiles), tap_schema.* (metadata)
    images/<TILE>/<TILE>_<band>.fits.fz   RICE-compressed coadd images
    release.json     what was generated, with which seed

The footprint is a stripe of real DES tiles (same names and corners as DES DR2) from RA 310 deg
through 0 to 20 deg, Dec -3.9 to +1.8 deg, holding field stars and galaxies and the globular
cluster M2, which DES's example query (:data:`M2_EXAMPLE_QUERY`) finds.

Examples
--------
>>> from surveylab.demo import generate_demo, M2_EXAMPLE_QUERY
>>> release = generate_demo("/tmp/demo", objects=50_000)  # doctest: +SKIP
>>> release.release, release.rows  # doctest: +SKIP
('DEMO DR1', 54000)
"""

from .generate import M2_EXAMPLE_QUERY, RELEASE_NAME, DemoRelease, generate_demo
from .population import M2_DEC, M2_RA, M2_STARS
from .tiling import Tile, Tiling, demo_tiling, tile_name

__all__ = [
    "M2_DEC",
    "M2_EXAMPLE_QUERY",
    "M2_RA",
    "M2_STARS",
    "RELEASE_NAME",
    "DemoRelease",
    "Tile",
    "Tiling",
    "demo_tiling",
    "generate_demo",
    "tile_name",
]

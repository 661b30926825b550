"""Named example queries, written in the Oracle-flavoured SQL of DES documentation.

They run unchanged on every backend: the query service transpiles them with sqlglot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .demo import M2_EXAMPLE_QUERY

__all__ = ["EXAMPLES", "ExampleQuery", "example"]


@dataclass(frozen=True)
class ExampleQuery:
    """One example: a short name to pick it by, a title, what it shows, and the SQL."""

    name: str
    title: str
    description: str
    sql: str

    def to_json(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return asdict(self)


EXAMPLES: tuple[ExampleQuery, ...] = (
    ExampleQuery(
        name="m2-stars",
        title="Stars around the centre of globular cluster M2",
        description="DES's own example: point sources with clean flags in a 0.24° box on M2.",
        sql=M2_EXAMPLE_QUERY,
    ),
    ExampleQuery(
        name="star-galaxy",
        title="Star/galaxy separation by spread model",
        description=(
            "Counts of point-like and extended sources with the WAVG_SPREAD_MODEL_I criterion, "
            "and their median i magnitude."
        ),
        sql="""\
SELECT CASE WHEN WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005
            THEN 'star' ELSE 'galaxy' END AS CLASS,
       COUNT(*) AS N,
       MEDIAN(MAG_AUTO_I) AS MEDIAN_MAG_I
FROM DR1_MAIN
WHERE FLAGS_I < 4 AND MAG_AUTO_I < 23
GROUP BY CASE WHEN WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005
              THEN 'star' ELSE 'galaxy' END""",
    ),
    ExampleQuery(
        name="colour-magnitude",
        title="Colour-magnitude selection of blue stars",
        description="Point sources with 18 < r < 22 and 0.2 < g-r < 0.6, brightest first.",
        sql="""\
SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_R, MAG_AUTO_G - MAG_AUTO_R AS G_R
FROM DR1_MAIN
WHERE MAG_AUTO_R BETWEEN 18 AND 22
  AND MAG_AUTO_G - MAG_AUTO_R BETWEEN 0.2 AND 0.6
  AND EXTENDED_CLASS_COADD <= 1
  AND FLAGS_G < 4 AND FLAGS_R < 4
ORDER BY MAG_AUTO_R
FETCH FIRST 1000 ROWS ONLY""",
    ),
    ExampleQuery(
        name="healpix-counts",
        title="Object counts per HEALPix pixel (nside 32)",
        description="The survey's density map: objects per nested HEALPix pixel at nside 32.",
        sql="""\
SELECT HPIX_32, COUNT(*) AS N, AVG(RA) AS RA, AVG(DEC) AS DEC
FROM DR1_MAIN
GROUP BY HPIX_32
ORDER BY N DESC""",
    ),
    ExampleQuery(
        name="bright-galaxies",
        title="The brightest galaxies",
        description="Extended sources brighter than i = 18, for cutouts.",
        sql="""\
SELECT COADD_OBJECT_ID, RA, DEC, TILENAME, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I
FROM DR1_MAIN
WHERE EXTENDED_CLASS_COADD >= 2 AND MAG_AUTO_I < 18 AND FLAGS_I = 0
ORDER BY MAG_AUTO_I
FETCH FIRST 100 ROWS ONLY""",
    ),
    ExampleQuery(
        name="tiles-across-ra0",
        title="Tiles that cross RA 0",
        description="Tile geometry where the RA range wraps through 0/360.",
        sql="""\
SELECT TILENAME, RA_CENT, DEC_CENT, URAMIN, URAMAX, NOBJECTS
FROM DR1_TILE_INFO
WHERE CROSSRA0 = 'Y'
ORDER BY DEC_CENT""",
    ),
    ExampleQuery(
        name="tile-summary",
        title="Objects and depth per tile",
        description="Per tile: objects, and the faintest i magnitude measured at S/N ≥ 10.",
        sql="""\
SELECT TILENAME, COUNT(*) AS N,
       MAX(CASE WHEN MAGERR_AUTO_I < 0.1086 THEN MAG_AUTO_I END) AS MAG_I_SN10
FROM DR1_MAIN
GROUP BY TILENAME
ORDER BY N DESC
FETCH FIRST 20 ROWS ONLY""",
    ),
)


def example(name: str) -> ExampleQuery:
    """The example called ``name``.

    Raises
    ------
    KeyError
        With the known names, if there is no such example.
    """
    for candidate in EXAMPLES:
        if candidate.name == name:
            return candidate
    known = ", ".join(candidate.name for candidate in EXAMPLES)
    raise KeyError(f"no example query {name!r}; known: {known}")

"""The tables of DEMO DR1 and their metadata: one list of columns drives both the DDL and the
IVOA ``TAP_SCHEMA`` written beside the tables.

Column names are DES's, upper case, unquoted (DuckDB is case-insensitive). Magnitudes are FLOAT
(float32) as in DES; positions DOUBLE; flags SMALLINT.
"""

from __future__ import annotations

from dataclasses import dataclass

from .photometry import BANDS

__all__ = [
    "MAIN_COLUMNS",
    "MAIN_TABLE",
    "SCHEMA_DESCRIPTIONS",
    "TABLE_DESCRIPTIONS",
    "TAP_DATATYPES",
    "TILE_COLUMNS",
    "TILE_TABLE",
    "TRUTH_COLUMNS",
    "TRUTH_TABLE",
    "ColumnSpec",
    "band_ucd",
]

MAIN_TABLE = "DR1_MAIN"
TILE_TABLE = "DR1_TILE_INFO"
TRUTH_TABLE = "DR1_ANOMALY_TRUTH"

#: VOTable datatype (TAP_SCHEMA.columns.datatype) of each SQL type used.
TAP_DATATYPES = {
    "BIGINT": "long",
    "INTEGER": "int",
    "SMALLINT": "short",
    "DOUBLE": "double",
    "FLOAT": "float",
    "VARCHAR": "char",
}

#: UCD1+ spectral words of the DES bands (g ~ B, r ~ R, i and z ~ I, Y ~ J).
_BAND_UCD = {
    "g": "em.opt.B",
    "r": "em.opt.R",
    "i": "em.opt.I",
    "z": "em.opt.I",
    "Y": "em.IR.J",
}


def band_ucd(band: str) -> str:
    """The UCD1+ word for the spectral range of ``band``."""
    return _BAND_UCD[band]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its SQL type and the TAP_SCHEMA metadata that describes it."""

    name: str
    sql_type: str
    unit: str
    ucd: str
    description: str
    principal: bool = False
    indexed: bool = False

    @property
    def datatype(self) -> str:
        """The VOTable datatype for ``TAP_SCHEMA.columns.datatype``."""
        return TAP_DATATYPES[self.sql_type]

    @property
    def arraysize(self) -> str | None:
        """``'*'`` for strings, else ``None``."""
        return "*" if self.sql_type == "VARCHAR" else None


def _per_band(
    template: str, sql_type: str, unit: str, ucd: str, description: str, principal: bool = False
) -> list[ColumnSpec]:
    return [
        ColumnSpec(
            template.format(band=band.upper()),
            sql_type,
            unit,
            ucd.format(band=band_ucd(band)),
            description.format(band=band),
            principal,
        )
        for band in BANDS
    ]


MAIN_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "COADD_OBJECT_ID",
        "BIGINT",
        "",
        "meta.id;meta.main",
        "Unique identifier of the object in the coadd catalog",
        principal=True,
        indexed=True,
    ),
    ColumnSpec(
        "RA",
        "DOUBLE",
        "deg",
        "pos.eq.ra;meta.main",
        "Right ascension (J2000, ICRS) of the object's windowed centroid",
        principal=True,
        indexed=True,
    ),
    ColumnSpec(
        "DEC",
        "DOUBLE",
        "deg",
        "pos.eq.dec;meta.main",
        "Declination (J2000, ICRS) of the object's windowed centroid",
        principal=True,
        indexed=True,
    ),
    ColumnSpec(
        "TILENAME",
        "VARCHAR",
        "",
        "meta.id;obs.field",
        "Coadd tile whose unique area holds the object (see DR1_TILE_INFO)",
        principal=True,
    ),
    ColumnSpec(
        "HPIX_32",
        "BIGINT",
        "",
        "pos.healpix",
        "HEALPix pixel of the object, NSIDE = 32, NESTED ordering",
    ),
    ColumnSpec(
        "HPIX_1024",
        "BIGINT",
        "",
        "pos.healpix",
        "HEALPix pixel of the object, NSIDE = 1024, NESTED ordering; rows are stored in this order",
        indexed=True,
    ),
    *_per_band(
        "MAG_AUTO_{band}",
        "FLOAT",
        "mag",
        "phot.mag;{band}",
        "{band}-band magnitude in a Kron-like elliptical aperture (MAG_AUTO), AB, not corrected "
        "for extinction; 99 if not measured",
        principal=True,
    ),
    *_per_band(
        "MAGERR_AUTO_{band}",
        "FLOAT",
        "mag",
        "stat.error;phot.mag;{band}",
        "Uncertainty of MAG_AUTO in the {band} band; 99 if not measured",
    ),
    *_per_band(
        "WAVG_MAG_PSF_{band}",
        "FLOAT",
        "mag",
        "phot.mag;{band};stat.mean",
        "Weighted average over single epochs of the {band}-band PSF magnitude, AB, not "
        "corrected for extinction; 99 if not detected in single epochs",
    ),
    ColumnSpec(
        "SPREAD_MODEL_I",
        "FLOAT",
        "",
        "src.morph.param;em.opt.I",
        "Star/galaxy classifier from the i-band coadd: about 0 for point sources, positive for "
        "extended ones",
    ),
    ColumnSpec(
        "WAVG_SPREAD_MODEL_I",
        "FLOAT",
        "",
        "src.morph.param;em.opt.I;stat.mean",
        "Weighted average over single i-band epochs of SPREAD_MODEL; -99 if not measured. "
        "WAVG_SPREAD_MODEL_I + 3 * WAVG_SPREADERR_MODEL_I < 0.005 selects stars",
        principal=True,
    ),
    ColumnSpec(
        "WAVG_SPREADERR_MODEL_I",
        "FLOAT",
        "",
        "stat.error;src.morph.param;em.opt.I",
        "Uncertainty of WAVG_SPREAD_MODEL_I; -99 if not measured",
    ),
    ColumnSpec(
        "CLASS_STAR_I",
        "FLOAT",
        "",
        "src.class.starGalaxy",
        "SExtractor neural-network stellarity in the i band: 1 star-like, 0 galaxy-like",
    ),
    ColumnSpec(
        "EXTENDED_CLASS_COADD",
        "SMALLINT",
        "",
        "src.class.starGalaxy",
        "Morphological class from the coadd SPREAD_MODEL_I: 0 high-confidence star, 1 likely "
        "star, 2 likely galaxy, 3 high-confidence galaxy",
        principal=True,
    ),
    *_per_band(
        "FLAGS_{band}",
        "SMALLINT",
        "",
        "meta.code.qual;{band}",
        "SExtractor extraction flags in the {band} band (1 neighbours, 2 deblended, "
        "4 saturated); FLAGS < 4 is a usual quality cut",
    ),
    *_per_band(
        "IMAFLAGS_ISO_{band}",
        "SMALLINT",
        "",
        "meta.code.qual;{band}",
        "Flags of masked image pixels within the object's isophote in the {band} band; 0 if clean",
    ),
    *_per_band(
        "FLUX_RADIUS_{band}",
        "FLOAT",
        "pix",
        "phys.size.radius;{band}",
        "Half-light radius of the object in the {band}-band coadd (SExtractor FLUX_RADIUS), "
        "pixels of 0.263 arcsec",
    ),
    ColumnSpec(
        "A_IMAGE",
        "FLOAT",
        "pix",
        "phys.size.smajAxis",
        "Profile rms along the major axis, pixels of 0.263 arcsec",
    ),
    ColumnSpec(
        "B_IMAGE",
        "FLOAT",
        "pix",
        "phys.size.sminAxis",
        "Profile rms along the minor axis, pixels of 0.263 arcsec; 1 - B_IMAGE / A_IMAGE is "
        "the ellipticity",
    ),
    ColumnSpec(
        "THETA_J2000",
        "FLOAT",
        "deg",
        "pos.posAng",
        "Position angle of the major axis, east of north, -90..90",
    ),
    ColumnSpec(
        "EBV_SFD98",
        "FLOAT",
        "mag",
        "phot.color.excess",
        "Reddening E(B-V) at the object's position from the SFD98-like dust map; A_band = "
        "R_band * EBV_SFD98 with R = 3.186, 2.140, 1.569, 1.196, 1.048 for g, r, i, z, Y",
    ),
)

_CORNER_NOTE = (
    "corner {k} of the tile: 1 = pixel (1,1) south-east, 2 = (NAXIS1,1) south-west, "
    "3 = (NAXIS1,NAXIS2) north-west, 4 = (1,NAXIS2) north-east"
)

TILE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "TILENAME",
        "VARCHAR",
        "",
        "meta.id;obs.field;meta.main",
        "Tile name DESHHMM+DDMM from its centre (RA hours and minutes, Dec degrees and "
        "arcminutes, truncated)",
        principal=True,
        indexed=True,
    ),
    ColumnSpec(
        "RA_CENT",
        "DOUBLE",
        "deg",
        "pos.eq.ra;meta.main",
        "Right ascension of the tile centre",
        principal=True,
    ),
    ColumnSpec(
        "DEC_CENT",
        "DOUBLE",
        "deg",
        "pos.eq.dec;meta.main",
        "Declination of the tile centre",
        principal=True,
    ),
    *(
        ColumnSpec(
            f"RAC{k}",
            "DOUBLE",
            "deg",
            "pos.eq.ra",
            "Right ascension of " + _CORNER_NOTE.format(k=k),
        )
        for k in range(1, 5)
    ),
    *(
        ColumnSpec(
            f"DECC{k}", "DOUBLE", "deg", "pos.eq.dec", "Declination of " + _CORNER_NOTE.format(k=k)
        )
        for k in range(1, 5)
    ),
    ColumnSpec(
        "URAMIN",
        "DOUBLE",
        "deg",
        "pos.eq.ra;stat.min",
        "West edge of the tile's unique area, RA wrapped into [0, 360): above URAMAX when the "
        "unique area crosses RA 0",
        principal=True,
    ),
    ColumnSpec(
        "URAMAX",
        "DOUBLE",
        "deg",
        "pos.eq.ra;stat.max",
        "East edge of the tile's unique area, RA wrapped into [0, 360)",
        principal=True,
    ),
    ColumnSpec(
        "UDECMIN",
        "DOUBLE",
        "deg",
        "pos.eq.dec;stat.min",
        "South edge of the tile's unique area",
        principal=True,
    ),
    ColumnSpec(
        "UDECMAX",
        "DOUBLE",
        "deg",
        "pos.eq.dec;stat.max",
        "North edge of the tile's unique area",
        principal=True,
    ),
    ColumnSpec(
        "CROSSRA0",
        "VARCHAR",
        "",
        "meta.code",
        "'Y' if the tile straddles RA 0 (its corners' RAs wrap), else 'N'",
    ),
    ColumnSpec(
        "NOBJECTS",
        "BIGINT",
        "",
        "meta.number",
        "Number of DR1_MAIN objects in the tile's unique area",
        principal=True,
    ),
    *(
        ColumnSpec(
            f"FITS_{band.upper()}",
            "VARCHAR",
            "",
            "meta.ref.url;meta.file",
            f"Path of the {band}-band coadd image, relative to the release folder; NULL if the "
            "tile has no image in this release",
        )
        for band in BANDS
    ),
)

TRUTH_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "COADD_OBJECT_ID",
        "BIGINT",
        "",
        "meta.id;meta.main",
        "The DR1_MAIN row of the anomaly (for a lens, its deflector galaxy)",
        principal=True,
        indexed=True,
    ),
    ColumnSpec(
        "ANOMALY_TYPE",
        "VARCHAR",
        "",
        "meta.code.class",
        "lens, red_compact, trail or saturated_artefact",
        principal=True,
    ),
    ColumnSpec("RA", "DOUBLE", "deg", "pos.eq.ra;meta.main", "Right ascension", principal=True),
    ColumnSpec("DEC", "DOUBLE", "deg", "pos.eq.dec;meta.main", "Declination", principal=True),
    ColumnSpec(
        "TILENAME", "VARCHAR", "", "meta.id;obs.field", "Imaged tile of the anomaly", principal=True
    ),
)

TABLE_DESCRIPTIONS = {
    MAIN_TABLE: "DEMO DR1 coadd object catalog: positions, photometry in g, r, i, z, Y, "
    "morphology and flags of every detected object, one row per object, stored in HEALPix "
    "(HPIX_1024) order",
    TILE_TABLE: "DEMO DR1 coadd tiles: DES tiling geometry (0.7306 deg tiles overlapping by "
    "1 arcmin), unique areas, object counts and image paths",
    TRUTH_TABLE: "DEMO DR1 truth table of the anomalies injected into the imaged tiles: strong "
    "lenses, very red compact sources, satellite trails and saturated-star artefacts, one "
    "DR1_MAIN row each",
}

SCHEMA_DESCRIPTIONS = {
    "main": "DEMO DR1: a synthetic, DES-like data release generated by surveylab.demo",
    "tap_schema": "IVOA TAP_SCHEMA: descriptions of the schemas, tables and columns",
}

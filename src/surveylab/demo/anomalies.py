"""Known anomalies injected into the imaged tiles of DEMO DR1, and their truth table.

Each anomaly is one ``DR1_MAIN`` row whose measured columns are outliers in colour, size,
ellipticity or SPREAD_MODEL, and whose signature is drawn into the pixels
(:mod:`surveylab.demo.images`):

``lens``
    A strong lens: a red, compact elliptical deflector (its row) inside a blue arc and a fainter
    counter-image at the Einstein radius (2-3″). Every lens follows the same recipe, so that
    lenses look alike. The row's magnitudes hold the arc's light too: blue in g - r (~0.2), red
    in r - i (~1.1), i - z (~0.9) and z - Y, unlike any normal galaxy; its FLUX_RADIUS is large
    in g (the arc's light).
``red_compact``
    A point source with extreme colours (g - r ~ 2.8, r - i ~ 2.4, i - z ~ 1.4), far beyond
    the stellar locus.
``trail``
    A satellite trail: a straight streak a few arcminutes long in one band. Its row is the
    detection at the streak's middle: very elongated (B/A ~ 0.01), bright in that band only.
``saturated_artefact``
    A spurious detection on the bleed trail of a saturated star (a normal row of its own, with
    four diffraction spikes): elongated along the columns, flagged saturated, with odd colours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from .photometry import BANDS, DEPTH_10SIGMA
from .population import SIGMA_PER_HALF_LIGHT, Population, from_colours, sample_tile
from .tiling import Tile

__all__ = [
    "ANOMALY_CODES",
    "ANOMALY_TYPES",
    "ARC_SHARE",
    "LENS",
    "RED_COMPACT",
    "SATURATED_ARTEFACT",
    "TRAIL",
    "TRAIL_BANDS",
    "anomaly_sources",
    "artefact_star_offset",
    "lens_deflector_half_light",
    "lens_half_light",
    "truth_table",
]

FloatArray = npt.NDArray[np.float64]

#: Codes of ``Population.anomaly`` (0: none) and the ANOMALY_TYPE of each.
LENS, RED_COMPACT, TRAIL, SATURATED_ARTEFACT = 1, 2, 3, 4
ANOMALY_TYPES = {
    LENS: "lens",
    RED_COMPACT: "red_compact",
    TRAIL: "trail",
    SATURATED_ARTEFACT: "saturated_artefact",
}
ANOMALY_CODES = {name: code for code, name in ANOMALY_TYPES.items()}
#: Anomalies of each type per imaged tile.
PER_TILE = {LENS: 12, RED_COMPACT: 8, TRAIL: 3, SATURATED_ARTEFACT: 5}
#: Share of a lens row's flux, per band, in the arc (the rest is the deflector's).
ARC_SHARE = {"g": 0.9, "r": 0.35, "i": 0.15, "z": 0.05, "Y": 0.05}
#: Deflector half-light radius as a fraction of the Einstein radius.
LENS_DEFLECTOR_FRACTION = 0.3
#: Bands that may carry a trail (the imaged ones by default), taken in turn.
TRAIL_BANDS = ("g", "r", "i")
#: Magnitude of a trail's row in the bands without the trail: this much brighter than the
#: band's 10-sigma depth (faint, but detected).
TRAIL_FAINT_DEPTH_OFFSET = 1.0
#: Width (Gaussian sigma, arcsec) of a bleed trail across the columns.
BLEED_SIGMA = 0.35


def lens_deflector_half_light(einstein_radius: FloatArray) -> FloatArray:
    """Half-light radius (arcsec) of a lens's deflector for its Einstein radius."""
    return LENS_DEFLECTOR_FRACTION * np.asarray(einstein_radius)


def lens_half_light(einstein: FloatArray, band: str) -> FloatArray:
    """Half-light radius (arcsec) of a lens's deflector and arc together in ``band``, roughly:
    the light-weighted quadrature mean of the deflector's radius and the ring's."""
    share = ARC_SHARE[band]
    deflector = lens_deflector_half_light(einstein)
    return np.sqrt((1.0 - share) * deflector**2 + share * np.asarray(einstein) ** 2)


def artefact_star_offset(half_length: FloatArray) -> FloatArray:
    """How far (arcsec) north of its saturated star a bleed-trail detection lies."""
    return 0.6 * np.asarray(half_length)


def _rows(
    ra: FloatArray,
    dec: FloatArray,
    code: int,
    mags: dict[str, FloatArray],
    *,
    is_star: bool,
    size: FloatArray,
    axis_ratio: FloatArray,
    position_angle: FloatArray,
    scale: FloatArray,
    bulge: float = 0.0,
) -> Population:
    n = ra.size
    return Population(
        ra=ra,
        dec=dec,
        is_star=np.full(n, is_star),
        member=np.zeros(n, dtype=bool),
        size=size,
        axis_ratio=axis_ratio,
        position_angle=position_angle,
        ebv=np.zeros(n),
        mags=mags,
        bulge_fraction=np.full(n, bulge),
        anomaly=np.full(n, code, dtype=np.int8),
        anomaly_scale=scale,
    )


def _lenses(rng: np.random.Generator, tile: Tile, n: int) -> Population:
    ra, dec = sample_tile(rng, n, tile)
    einstein = rng.uniform(2.0, 3.0, n)
    # the deflector: a distant LRG (g-r 2.2, r-i 1.4, i-z 1.0); the arc makes g much bluer
    deflector = from_colours(
        rng.uniform(19.0, 20.0, n),
        np.array([2.2, 1.4, 1.0, 0.6]) + rng.normal(0.0, 0.03, (n, 4)),
    )
    mags = {b: deflector[b] + 2.5 * math.log10(1.0 - ARC_SHARE[b]) for b in BANDS}
    # the i-band light: the deflector's and the ring's (FLUX_RADIUS per band: lens_half_light)
    return _rows(
        ra,
        dec,
        LENS,
        mags,
        is_star=False,
        size=SIGMA_PER_HALF_LIGHT * lens_half_light(einstein, "i"),
        axis_ratio=rng.uniform(0.8, 0.95, n),
        position_angle=rng.uniform(0.0, 180.0, n),
        scale=einstein,
        bulge=1.0,
    )


def _red_compact(rng: np.random.Generator, tile: Tile, n: int) -> Population:
    ra, dec = sample_tile(rng, n, tile)
    mags = from_colours(
        rng.uniform(18.5, 19.5, n),
        np.array([2.8, 2.4, 1.4, 0.6]) + rng.normal(0.0, 0.08, (n, 4)),
    )
    zeros = np.zeros(n)
    return _rows(
        ra,
        dec,
        RED_COMPACT,
        mags,
        is_star=True,
        size=zeros,
        axis_ratio=np.ones(n),
        position_angle=zeros,
        scale=zeros,
    )


def _trails(rng: np.random.Generator, tile: Tile, n: int, first: int) -> Population:
    ra, dec = sample_tile(rng, n, tile)
    length = rng.uniform(240.0, 600.0, n)
    bright = rng.uniform(16.5, 17.5, n)
    mags = {
        b: DEPTH_10SIGMA[b] - TRAIL_FAINT_DEPTH_OFFSET + rng.normal(0.0, 0.05, n) for b in BANDS
    }
    for k in range(n):
        band = TRAIL_BANDS[(first + k) % len(TRAIL_BANDS)]
        mags[band][k] = bright[k]
    # a uniform line of length L has an rms length L / sqrt(12); across, a fraction of the PSF
    major, minor = length / math.sqrt(12.0), np.full(n, 0.1)
    return _rows(
        ra,
        dec,
        TRAIL,
        mags,
        is_star=False,
        size=np.sqrt(major * minor),
        axis_ratio=minor / major,
        position_angle=rng.uniform(0.0, 180.0, n),
        scale=length,
    )


def _saturated(rng: np.random.Generator, tile: Tile, n: int) -> tuple[Population, Population]:
    """The bleed-trail detections and their saturated stars (normal rows)."""
    star_ra, star_dec = sample_tile(rng, n, tile)
    half = rng.uniform(15.0, 30.0, n)
    offset = artefact_star_offset(half) / 3600.0
    # keep the detection inside the tile's unique area
    star_dec = np.minimum(star_dec, tile.udecmax - 1.2 * offset)
    dec = star_dec + offset
    star_mags = from_colours(
        rng.uniform(14.2, 14.8, n), np.array([0.45, 0.15, 0.05, 0.02]) + rng.normal(0, 0.02, (n, 4))
    )
    stars = _rows(
        star_ra,
        star_dec,
        0,
        star_mags,
        is_star=True,
        size=np.zeros(n),
        axis_ratio=np.ones(n),
        position_angle=np.zeros(n),
        scale=np.zeros(n),
    )
    # bleeding fills the deep wells of the red bands most: blue in g - r, red in r - i, i - z
    detections = from_colours(
        rng.uniform(17.5, 18.3, n), np.array([-0.4, 1.0, 0.7, 0.3]) + rng.normal(0, 0.03, (n, 4))
    )
    major, minor = half / math.sqrt(3.0), np.full(n, BLEED_SIGMA)
    artefacts = _rows(
        star_ra,
        dec,
        SATURATED_ARTEFACT,
        detections,
        is_star=False,
        size=np.sqrt(major * minor),
        axis_ratio=minor / major,
        position_angle=np.zeros(n),
        scale=half,
    )
    return artefacts, stars


def anomaly_sources(rng: np.random.Generator, tile: Tile, tile_number: int) -> Population:
    """The anomalies of one imaged tile (and the saturated stars of its artefacts)."""
    artefacts, stars = _saturated(rng, tile, PER_TILE[SATURATED_ARTEFACT])
    return Population.concatenate(
        [
            _lenses(rng, tile, PER_TILE[LENS]),
            _red_compact(rng, tile, PER_TILE[RED_COMPACT]),
            _trails(rng, tile, PER_TILE[TRAIL], tile_number),
            artefacts,
            stars,
        ]
    )


def truth_table(columns: dict[str, Any]) -> dict[str, Any]:
    """``DR1_ANOMALY_TRUTH`` from ``DR1_MAIN``'s columns (with the hidden ``ANOMALY`` codes)."""
    rows = np.flatnonzero(columns["ANOMALY"] > 0)
    names = np.array(list(ANOMALY_TYPES.values()))
    return {
        "COADD_OBJECT_ID": columns["COADD_OBJECT_ID"][rows],
        "ANOMALY_TYPE": names[columns["ANOMALY"][rows].astype(np.int64) - 1].tolist(),
        "RA": columns["RA"][rows],
        "DEC": columns["DEC"][rows],
        "TILENAME": columns["TILENAME"][rows].tolist(),
    }

"""The sources of DEMO DR1 before they are observed: positions, true magnitudes, shapes.

Three populations:

* field stars, denser towards the Galactic plane (as 1 / sin|b|), on the stellar locus: a blue
  halo turn-off peak, disk G/K dwarfs and a red M-dwarf branch;
* field galaxies, with a smoothly varying density, a red sequence and a blue cloud, and sizes
  that shrink with magnitude; red galaxies are bulge-dominated (de Vaucouleurs), blue ones discs
  (exponential), and both are smaller at fixed magnitude when red;
* in the imaged tiles only, a *deep* population (:func:`deep_sources`) that brings the density
  to DES's, tens of thousands of objects per tile to i ~ 24.5;
* the globular cluster M2 (NGC 7089): ``M2_STARS`` stars in a Plummer profile (scale radius
  ``M2_SCALE_RADIUS``, cut at ``M2_MAX_RADIUS``) with a metal-poor CMD: main sequence, turn-off
  at g ~ 19.35, subgiant and red giant branches, a blue horizontal branch at g ~ 16.1, a few AGB
  stars and blue stragglers.

Magnitudes here are *true*: extinction included, no noise. :mod:`surveylab.demo.observe` turns
them into catalog measurements, and :mod:`surveylab.demo.images` into pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from .photometry import (
    BANDS,
    EXTINCTION_COEFFICIENTS,
    MAG_BRIGHT,
    ebv_sfd98,
    galactic_latitude,
    locus_position_of_gr,
    stellar_locus,
)
from .tiling import TILE_SPACING, Tile, Tiling, row_dec

__all__ = [
    "M2_DEC",
    "M2_MAX_RADIUS",
    "M2_RA",
    "M2_SCALE_RADIUS",
    "M2_STARS",
    "STAR_FRACTION",
    "Population",
    "deep_sources",
    "field_galaxies",
    "field_stars",
    "m2_cluster",
    "sample_footprint",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Centre of the globular cluster M2 (NGC 7089), degrees.
M2_RA = 323.36
M2_DEC = -0.82
#: Stars of M2 added to every release, whatever its size.
M2_STARS = 4000
#: Plummer scale radius (about the core radius) and outer cut of M2, degrees.
M2_SCALE_RADIUS = 1.0 / 60.0
M2_MAX_RADIUS = 10.0 / 60.0
#: Fractions of M2's stars on each sequence of its CMD.
M2_SEQUENCE_FRACTIONS = {"ms": 0.76, "sgb": 0.06, "rgb": 0.11, "hb": 0.04, "agb": 0.01, "bs": 0.02}

#: Fraction of the field objects that are stars.
STAR_FRACTION = 0.2
#: Intrinsic i-band magnitude range and log-slope of the number counts (dN/dm ~ 10**(slope m)).
STAR_I_RANGE, STAR_COUNT_SLOPE = (14.3, 24.5), 0.12
GALAXY_I_RANGE, GALAXY_COUNT_SLOPE = (15.5, 24.3), 0.32
#: Brightest true magnitude allowed in any band, so that reported magnitudes stay >= MAG_BRIGHT.
BRIGHTEST_TRUE = MAG_BRIGHT + 0.05
#: Galaxy sizes: Gaussian sigma in arcsec, lognormal about a median that shrinks with magnitude.
GALAXY_SIZE_AT_I20, GALAXY_SIZE_SCATTER, GALAXY_SIZE_RANGE = 0.55, 0.45, (0.2, 4.0)
#: Fraction of red-sequence galaxies.
RED_GALAXY_FRACTION = 0.35
#: Intrinsic g - r above which a galaxy counts as red (bulge-dominated, smaller).
RED_GALAXY_G_R = 0.95
#: Size of red galaxies relative to blue ones of the same magnitude.
RED_GALAXY_SIZE_RATIO = 0.7
#: Deep population of an imaged tile: fraction of stars, and the i-band range of its galaxies.
DEEP_STAR_FRACTION = 0.06
DEEP_GALAXY_I_RANGE = (17.0, 24.8)
#: Gaussian sigma of a profile of half-light radius 1.
SIGMA_PER_HALF_LIGHT = 1.0 / math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True, eq=False)
class Population:
    """Sources with their true properties; all arrays have one entry per source.

    Attributes
    ----------
    ra, dec : ndarray
        Positions, degrees (RA in [0, 360)).
    is_star, member : ndarray of bool
        Point source; member of M2.
    size : ndarray
        Intrinsic size in arcsec (0 for stars): the sigma of the Gaussian of the same half-light
        radius (the profile's half-light radius is ``size / SIGMA_PER_HALF_LIGHT``).
    axis_ratio, position_angle : ndarray
        Minor/major axis ratio and position angle (degrees east of north) of galaxies.
    bulge_fraction : ndarray
        Share of a galaxy's light in a de Vaucouleurs bulge, the rest in an exponential disc.
    anomaly : ndarray of int8
        0, or the code of an injected anomaly (see :mod:`surveylab.demo.anomalies`).
    anomaly_scale : ndarray
        The anomaly's size in arcsec (a lens's Einstein radius, a trail's or spike's length).
    ebv : ndarray
        E(B-V) at the source.
    mags : dict of ndarray
        True magnitude in each band, extinction included.
    """

    ra: FloatArray
    dec: FloatArray
    is_star: BoolArray
    member: BoolArray
    size: FloatArray
    axis_ratio: FloatArray
    position_angle: FloatArray
    ebv: FloatArray
    mags: dict[str, FloatArray]
    bulge_fraction: FloatArray
    anomaly: npt.NDArray[np.int8]
    anomaly_scale: FloatArray

    def __len__(self) -> int:
        return len(self.ra)

    @staticmethod
    def concatenate(parts: list[Population]) -> Population:
        """One population holding ``parts`` one after the other."""
        arrays: dict[str, Any] = {
            item.name: np.concatenate([getattr(part, item.name) for part in parts])
            for item in fields(Population)
            if item.name != "mags"
        }
        mags = {band: np.concatenate([part.mags[band] for part in parts]) for band in BANDS}
        return Population(**arrays, mags=mags)


def exponential_counts(
    rng: np.random.Generator, n: int, low: float, high: float, slope: float
) -> FloatArray:
    """``n`` magnitudes in [``low``, ``high``] with dN/dm proportional to ``10**(slope * m)``."""
    k = slope * math.log(10.0)
    u = rng.random(n)
    return low + np.log1p(u * math.expm1(k * (high - low))) / k


def sample_footprint(
    rng: np.random.Generator,
    n: int,
    tiling: Tiling,
    weight: Callable[[FloatArray, FloatArray], FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """``n`` positions spread over the unique areas of ``tiling`` with density ``weight``.

    Positions are uniform on the sphere within each row's band, then kept with probability
    ``weight(ra, dec)``, which must lie in (0, 1].

    Returns
    -------
    ra, dec : ndarray
        Degrees, RA wrapped into [0, 360).
    """
    rows = sorted(tiling.columns)
    ra_edges = np.array([tiling.row_ra_range(row) for row in rows])
    dec_centres = np.array([row_dec(row) for row in rows])
    half = TILE_SPACING / 2.0
    sin_low = np.sin(np.radians(dec_centres - half))
    sin_high = np.sin(np.radians(dec_centres + half))
    areas = (ra_edges[:, 1] - ra_edges[:, 0]) * (sin_high - sin_low)
    probabilities = areas / areas.sum()
    ra_parts: list[FloatArray] = []
    dec_parts: list[FloatArray] = []
    found = 0
    while found < n:
        batch = max(1024, int((n - found) * 1.3))
        row = rng.choice(len(rows), size=batch, p=probabilities)
        u_ra, u_dec, u_keep = rng.random((3, batch))
        ra = ra_edges[row, 0] + u_ra * (ra_edges[row, 1] - ra_edges[row, 0])
        dec = np.degrees(np.arcsin(sin_low[row] + u_dec * (sin_high[row] - sin_low[row])))
        ra = np.mod(ra, 360.0)
        keep = u_keep < weight(ra, dec)
        ra_parts.append(ra[keep])
        dec_parts.append(dec[keep])
        found += int(keep.sum())
    return np.concatenate(ra_parts)[:n], np.concatenate(dec_parts)[:n]


def star_density(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """Relative density of field stars in (0, 1]: a thin disk plus a halo, ~1 / sin|b|."""
    sin_b = np.abs(np.sin(np.radians(galactic_latitude(ra, dec))))
    return np.clip(0.25 / np.maximum(sin_b, 0.25), 0.0, 1.0)


def galaxy_density(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """Relative density of field galaxies in (0, 1]: smooth large-scale ripples of +-25%,
    fewer behind more dust."""
    ripples = 0.75 + 0.12 * np.sin(np.radians(ra) * 11.0 + 1.3) * np.cos(np.radians(dec) * 19.0)
    ripples += 0.08 * np.cos(np.radians(ra - 3.0 * dec) * 29.0 + 0.4)
    dimming = 10.0 ** (-0.6 * ebv_sfd98(ra, dec))
    return np.clip(ripples * dimming, 0.05, 1.0)


def apply_extinction(intrinsic: dict[str, FloatArray], ebv: FloatArray) -> dict[str, FloatArray]:
    """Magnitudes dimmed by the dust column ``ebv``."""
    return {band: intrinsic[band] + EXTINCTION_COEFFICIENTS[band] * ebv for band in BANDS}


def from_colours(i_mag: FloatArray, colours: FloatArray) -> dict[str, FloatArray]:
    """Magnitudes in every band from ``i`` and colours (g-r, r-i, i-z, z-Y), shape (n, 4)."""
    g_r, r_i, i_z, z_y = colours.T
    r_mag = i_mag + r_i
    z_mag = i_mag - i_z
    return {"g": r_mag + g_r, "r": r_mag, "i": i_mag, "z": z_mag, "Y": z_mag - z_y}


def _redraw_too_bright(
    rng: np.random.Generator,
    ebv: FloatArray,
    draw: Callable[[np.random.Generator, int], dict[str, FloatArray]],
) -> dict[str, FloatArray]:
    """True magnitudes from ``draw``, drawn again wherever a band would be brighter than
    ``BRIGHTEST_TRUE``, so that every reported magnitude lies in the catalog's range."""
    n = len(ebv)
    mags = apply_extinction(draw(rng, n), ebv)
    while True:
        bad = np.flatnonzero(np.min(np.stack([mags[b] for b in BANDS]), axis=0) < BRIGHTEST_TRUE)
        if bad.size == 0:
            return mags
        again = apply_extinction(draw(rng, bad.size), ebv[bad])
        for band in BANDS:
            mags[band][bad] = again[band]


def _field_star_photometry(rng: np.random.Generator, n: int) -> dict[str, FloatArray]:
    i_mag = exponential_counts(rng, n, *STAR_I_RANGE, STAR_COUNT_SLOPE)
    kind = rng.random(n)
    # halo turn-off stars dominate faint counts; disk dwarfs the bright ones
    halo_share = 0.35 + 0.3 * np.clip((i_mag - 17.0) / 5.0, 0.0, 1.0)
    halo = kind < halo_share
    m_dwarf = kind > 1.0 - 0.3
    g_r = np.where(
        halo,
        rng.normal(0.32, 0.09, n),
        rng.uniform(0.45, 1.3, n),
    )
    position = locus_position_of_gr(np.clip(g_r, -0.1, 1.34))
    position = np.where(m_dwarf, rng.uniform(7.5, 10.0, n), position)
    colours = stellar_locus(position) + rng.normal(0.0, 0.03, (n, 4))
    return from_colours(i_mag, colours)


def _stars(
    rng: np.random.Generator,
    ra: FloatArray,
    dec: FloatArray,
    *,
    member: bool,
    photometry: Callable[[np.random.Generator, int], dict[str, FloatArray]],
) -> Population:
    """Point sources at ``ra``, ``dec`` (M2 members or not) with magnitudes from ``photometry``."""
    n = ra.size
    ebv = ebv_sfd98(ra, dec)
    return Population(
        ra=ra,
        dec=dec,
        is_star=np.ones(n, dtype=bool),
        member=np.full(n, member),
        size=np.zeros(n),
        axis_ratio=np.ones(n),
        position_angle=np.zeros(n),
        ebv=ebv,
        mags=_redraw_too_bright(rng, ebv, photometry),
        bulge_fraction=np.zeros(n),
        anomaly=np.zeros(n, dtype=np.int8),
        anomaly_scale=np.zeros(n),
    )


def field_stars(rng: np.random.Generator, n: int, tiling: Tiling) -> Population:
    """``n`` field stars over the footprint of ``tiling``."""
    ra, dec = sample_footprint(rng, n, tiling, star_density)
    return _stars(rng, ra, dec, member=False, photometry=_field_star_photometry)


def _galaxy_photometry(
    rng: np.random.Generator, n: int, i_range: tuple[float, float] = GALAXY_I_RANGE
) -> dict[str, FloatArray]:
    i_mag = exponential_counts(rng, n, *i_range, GALAXY_COUNT_SLOPE)
    faintness = (i_mag - 20.0) / 4.0
    red = rng.random(n) < RED_GALAXY_FRACTION
    g_r = np.where(red, rng.normal(1.25 + 0.25 * faintness, 0.18, n), rng.normal(0.55, 0.22, n))
    r_i = np.where(red, rng.normal(0.48 + 0.25 * faintness, 0.12, n), rng.normal(0.30, 0.15, n))
    i_z = np.where(red, rng.normal(0.30, 0.10, n), rng.normal(0.14, 0.10, n))
    z_y = rng.normal(0.08, 0.08, n)
    colours = np.stack([np.clip(g_r, -0.3, 2.2), np.clip(r_i, -0.3, 1.4), i_z, z_y], axis=1)
    return from_colours(i_mag, colours)


def _galaxies(
    rng: np.random.Generator,
    ra: FloatArray,
    dec: FloatArray,
    photometry: Callable[[np.random.Generator, int], dict[str, FloatArray]],
) -> Population:
    """Galaxies at ``ra``, ``dec``: magnitudes from ``photometry``, then shapes by type."""
    n = ra.size
    ebv = ebv_sfd98(ra, dec)
    mags = _redraw_too_bright(rng, ebv, photometry)
    intrinsic = {band: mags[band] - EXTINCTION_COEFFICIENTS[band] * ebv for band in ("g", "r", "i")}
    red = intrinsic["g"] - intrinsic["r"] > RED_GALAXY_G_R
    median = GALAXY_SIZE_AT_I20 * 10.0 ** (-0.1 * (intrinsic["i"] - 20.0))
    median = np.where(red, RED_GALAXY_SIZE_RATIO * median, median)
    size = np.clip(
        median * np.exp(GALAXY_SIZE_SCATTER * rng.standard_normal(n)), *GALAXY_SIZE_RANGE
    )
    bulge = np.where(red, rng.uniform(0.6, 1.0, n), rng.uniform(0.0, 0.35, n))
    # bulges are rounder than discs seen at random inclinations
    axis_ratio = np.where(red, rng.uniform(0.55, 1.0, n), rng.uniform(0.25, 1.0, n))
    return Population(
        ra=ra,
        dec=dec,
        is_star=np.zeros(n, dtype=bool),
        member=np.zeros(n, dtype=bool),
        size=size,
        axis_ratio=axis_ratio,
        position_angle=rng.uniform(0.0, 180.0, n),
        ebv=ebv,
        mags=mags,
        bulge_fraction=bulge,
        anomaly=np.zeros(n, dtype=np.int8),
        anomaly_scale=np.zeros(n),
    )


def field_galaxies(rng: np.random.Generator, n: int, tiling: Tiling) -> Population:
    """``n`` field galaxies over the footprint of ``tiling``."""
    ra, dec = sample_footprint(rng, n, tiling, galaxy_density)
    return _galaxies(rng, ra, dec, _galaxy_photometry)


def _deep_galaxy_photometry(rng: np.random.Generator, n: int) -> dict[str, FloatArray]:
    return _galaxy_photometry(rng, n, DEEP_GALAXY_I_RANGE)


def sample_tile(rng: np.random.Generator, n: int, tile: Tile) -> tuple[FloatArray, FloatArray]:
    """``n`` positions uniform on the sphere within ``tile``'s unique area (RA wrapped)."""
    sin_low, sin_high = np.sin(np.radians([tile.udecmin, tile.udecmax]))
    u_ra, u_dec = rng.random((2, n))
    ra = np.mod(tile.ra + (u_ra - 0.5) * tile.ra_spacing, 360.0)
    dec = np.degrees(np.arcsin(sin_low + u_dec * (sin_high - sin_low)))
    return ra, np.minimum(dec, np.nextafter(tile.udecmax, -np.inf))


def deep_sources(rng: np.random.Generator, tile: Tile, n: int) -> Population:
    """The deep population of one imaged tile: ``n`` faint galaxies and stars, which bring the
    tile to DES's density (galaxies to i ~ 24.5, a few per cent stars)."""
    stars = round(n * DEEP_STAR_FRACTION)
    ra, dec = sample_tile(rng, n, tile)
    return Population.concatenate(
        [
            _stars(rng, ra[:stars], dec[:stars], member=False, photometry=_field_star_photometry),
            _galaxies(rng, ra[stars:], dec[stars:], _deep_galaxy_photometry),
        ]
    )


# M2's CMD in intrinsic (dereddened) g and g-r, as (g, g-r) knots along each sequence.
_M2_MS = (
    np.array([19.15, 19.6, 20.3, 21.3, 22.3, 23.3, 24.3]),
    np.array([0.22, 0.23, 0.29, 0.40, 0.54, 0.72, 0.90]),
)
_M2_RGB = (
    np.array([13.9, 14.3, 15.0, 16.0, 17.0, 18.0, 18.55]),
    np.array([0.90, 0.82, 0.70, 0.60, 0.53, 0.47, 0.44]),
)
_M2_TURNOFF = (19.15, 0.22)
_M2_RGB_BASE = (18.55, 0.44)
_M2_HB_G = 15.95
_M2_CMD_SCATTER = 0.02


def _m2_cmd(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Intrinsic (g, g-r) of ``n`` M2 stars, each on a sequence drawn by its share."""
    names = list(M2_SEQUENCE_FRACTIONS)
    shares = np.array([M2_SEQUENCE_FRACTIONS[name] for name in names])
    sequence = rng.choice(len(names), size=n, p=shares / shares.sum())
    g = np.empty(n)
    g_r = np.empty(n)
    for k, name in enumerate(names):
        sel = np.flatnonzero(sequence == k)
        m = sel.size
        if name == "ms":
            g[sel] = exponential_counts(rng, m, _M2_MS[0][0], _M2_MS[0][-1], 0.22)
            g_r[sel] = np.interp(g[sel], *_M2_MS)
        elif name == "sgb":
            # from the turn-off the subgiants first redden, then brighten towards the RGB
            t = rng.random(m)
            g[sel] = _M2_TURNOFF[0] + t**1.5 * (_M2_RGB_BASE[0] - _M2_TURNOFF[0])
            g_r[sel] = _M2_TURNOFF[1] + t**0.7 * (_M2_RGB_BASE[1] - _M2_TURNOFF[1])
        elif name == "rgb":
            g[sel] = exponential_counts(rng, m, _M2_RGB[0][0], _M2_RGB[0][-1], 0.28)
            g_r[sel] = np.interp(g[sel], *_M2_RGB)
        elif name == "hb":
            g_r[sel] = rng.uniform(-0.30, 0.15, m)
            g[sel] = _M2_HB_G + 4.0 * np.maximum(-0.05 - g_r[sel], 0.0) ** 1.5
        elif name == "agb":
            t = rng.random(m)
            g[sel] = 15.6 - 1.3 * t
            g_r[sel] = 0.55 + 0.15 * t
        else:  # blue stragglers, above the turn-off
            g[sel] = rng.uniform(17.6, 19.1, m)
            g_r[sel] = 0.12 * (g[sel] - 17.6)
    return g, g_r + _M2_CMD_SCATTER * rng.standard_normal(n)


def _m2_photometry(rng: np.random.Generator, n: int) -> dict[str, FloatArray]:
    g, g_r = _m2_cmd(rng, n)
    colours = stellar_locus(locus_position_of_gr(g_r)) + rng.normal(0.0, 0.015, (n, 4))
    colours[:, 0] = g_r
    return from_colours(g - g_r - colours[:, 1], colours)


def m2_cluster(rng: np.random.Generator, n: int = M2_STARS) -> Population:
    """The ``n`` stars of M2 around (``M2_RA``, ``M2_DEC``), in a truncated Plummer profile."""
    # projected Plummer: the fraction within R is R^2 / (R^2 + a^2)
    a = M2_SCALE_RADIUS
    u_max = M2_MAX_RADIUS**2 / (M2_MAX_RADIUS**2 + a**2)
    u = rng.uniform(0.0, u_max, n)
    radius = a * np.sqrt(u / (1.0 - u))
    angle = rng.uniform(0.0, 2.0 * math.pi, n)
    dec = M2_DEC + radius * np.cos(angle)
    ra = np.mod(M2_RA + radius * np.sin(angle) / np.cos(np.radians(dec)), 360.0)
    return _stars(rng, ra, dec, member=True, photometry=_m2_photometry)

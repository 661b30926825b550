"""From true sources to the rows of ``DR1_MAIN``: noise, flags, tiles, HEALPix, spatial order.

Measurement conventions follow DES DR1: ``MAG_AUTO`` and ``WAVG_MAG_PSF`` are *not* corrected for
extinction (``EBV_SFD98`` is given to do so); a band that does not measure a source reports 99
for its magnitude and error; ``WAVG_`` quantities (weighted averages of single-epoch
measurements) need a single-epoch detection, else ``WAVG_MAG_PSF`` is 99 and
``WAVG_SPREAD_MODEL_I`` and ``WAVG_SPREADERR_MODEL_I`` are -99.

Star/galaxy separation works as in DES: ``WAVG_SPREAD_MODEL_I + 3 * WAVG_SPREADERR_MODEL_I <
0.005`` selects point sources, and ``EXTENDED_CLASS_COADD`` (0..3) is the DES Y3 classifier on the
coadd's ``SPREAD_MODEL_I``. Members of M2 are clean (``FLAGS`` and ``IMAFLAGS_ISO`` 0).
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import numpy.typing as npt
from astropy_healpix import lonlat_to_healpix

from .anomalies import LENS, SATURATED_ARTEFACT, lens_half_light
from .photometry import (
    BANDS,
    N_EPOCHS,
    NOT_DETECTED,
    SEEING_FWHM,
    WAVG_MIN_EPOCH_SNR,
    WAVG_MISSING,
    WAVG_SPREADERR_RATIO,
    class_star,
    extended_class,
    measure_magnitudes,
    point_snr,
    psf_magnitude_offset,
    spread_model_error,
    spread_model_true,
)
from .population import SIGMA_PER_HALF_LIGHT, Population
from .tiling import Tiling

__all__ = [
    "FLAG_BLENDED",
    "FLAG_NEIGHBOURS",
    "FLAG_SATURATED",
    "HPIX_NSIDES",
    "ID_OFFSET",
    "healpix_nested",
    "main_table",
    "measure",
]

ArrayDict = dict[str, npt.NDArray[np.generic]]

#: COADD_OBJECT_ID of the first row (in spatial order); the rest follow one by one.
ID_OFFSET = 100_000_001
#: HEALPix columns and their NSIDE (NESTED ordering).
HPIX_NSIDES = {"HPIX_32": 32, "HPIX_1024": 1024}
#: SExtractor FLAGS bits used here.
FLAG_NEIGHBOURS = 1
FLAG_BLENDED = 2
FLAG_SATURATED = 4
#: Bands brighter than this (measured MAG_AUTO) are flagged saturated.
SATURATION_MAG = 16.0
#: Probability that a field source has bright neighbours (1), was deblended (2) or both (3).
BLEND_PROBABILITIES = {
    FLAG_NEIGHBOURS: 0.02,
    FLAG_BLENDED: 0.025,
    FLAG_NEIGHBOURS | FLAG_BLENDED: 0.01,
}
#: Probability, per band, that a field source touches a masked pixel (IMAFLAGS_ISO = 1).
IMAFLAGS_PROBABILITY = 0.01
#: Gaussian sigma of a PSF of FWHM 1.
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
#: Pixel scale (arcsec) of DES's coadds, the unit of FLUX_RADIUS, A_IMAGE and B_IMAGE.
DES_PIXEL_SCALE = 0.263
#: Half-light radius of the Moffat PSF (beta 3.5) per unit FWHM.
PSF_HALF_LIGHT_PER_FWHM = math.sqrt(2.0 ** (1.0 / 2.5) - 1.0) / (
    2.0 * math.sqrt(2.0 ** (1.0 / 3.5) - 1.0)
)
#: Relative scatter of measured sizes: SIZE_NOISE_PER_SNR / S/N + SIZE_NOISE_FLOOR.
SIZE_NOISE_PER_SNR, SIZE_NOISE_FLOOR = 0.6, 0.02


def _shapes(
    population: Population, snr: npt.NDArray[np.float64], rng: np.random.Generator
) -> ArrayDict:
    """FLUX_RADIUS per band, A_IMAGE, B_IMAGE (pixels of 0.263″) and THETA_J2000 (degrees) of
    the PSF-convolved true profiles, with noise that shrinks with ``snr``, the S/N in the band
    that detects the source best.

    An elliptical source of Gaussian-equivalent size ``s`` and axis ratio ``q`` has rms axes
    ``s / sqrt(q)`` and ``s sqrt(q)``; the PSF adds in quadrature (as a Gaussian of the Moffat's
    half-light radius). FLUX_RADIUS is the half-light radius of the circularised profile.
    """
    n = len(population)
    q = np.clip(population.axis_ratio, 1e-3, 1.0)
    major = population.size / np.sqrt(q)
    minor = population.size * np.sqrt(q)
    relative = SIZE_NOISE_PER_SNR / np.maximum(snr, 1.0) + SIZE_NOISE_FLOOR
    columns: ArrayDict = {}
    lens = np.flatnonzero(population.anomaly == LENS)
    for band in BANDS:
        psf = PSF_HALF_LIGHT_PER_FWHM * SEEING_FWHM[band] * SIGMA_PER_HALF_LIGHT
        mean_square = (major**2 + minor**2) / 2.0
        # a lens's light is the deflector's and the arc's, in shares that change with the band
        mean_square[lens] = (
            SIGMA_PER_HALF_LIGHT * lens_half_light(population.anomaly_scale[lens], band)
        ) ** 2
        radius = np.sqrt(mean_square + psf**2) / SIGMA_PER_HALF_LIGHT
        radius = radius * np.exp(relative * rng.standard_normal(n))
        columns[f"FLUX_RADIUS_{band.upper()}"] = (radius / DES_PIXEL_SCALE).astype(np.float32)
    psf_i = PSF_HALF_LIGHT_PER_FWHM * SEEING_FWHM["i"] * SIGMA_PER_HALF_LIGHT
    a = np.sqrt(major**2 + psf_i**2) * np.exp(relative * rng.standard_normal(n))
    b = np.sqrt(minor**2 + psf_i**2) * np.exp(relative * rng.standard_normal(n))
    a, b = np.maximum(a, b), np.minimum(a, b)
    elongation = 1.0 - b / a
    theta_noise = np.minimum(60.0, 30.0 * relative / np.maximum(elongation, 0.01))
    theta = population.position_angle + theta_noise * rng.standard_normal(n)
    columns["A_IMAGE"] = (a / DES_PIXEL_SCALE).astype(np.float32)
    columns["B_IMAGE"] = (b / DES_PIXEL_SCALE).astype(np.float32)
    columns["THETA_J2000"] = (np.mod(theta + 90.0, 180.0) - 90.0).astype(np.float32)
    return columns


def healpix_nested(
    ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64], nside: int
) -> npt.NDArray[np.int64]:
    """HEALPix NESTED pixel index of positions in degrees (astropy_healpix)."""
    pixels = lonlat_to_healpix(ra * u.deg, dec * u.deg, nside, order="nested")
    return np.asarray(pixels, dtype=np.int64)


def _blend_flags(rng: np.random.Generator, n: int) -> npt.NDArray[np.int16]:
    draw = rng.random(n)
    flags = np.zeros(n, dtype=np.int16)
    start = 0.0
    for value, probability in BLEND_PROBABILITIES.items():
        flags[(draw >= start) & (draw < start + probability)] = value
        start += probability
    return flags


def measure(population: Population, rng: np.random.Generator) -> ArrayDict:
    """The measured columns of ``DR1_MAIN`` (all but IDs, positions, tiles and HEALPix).

    Parameters
    ----------
    population : Population
        True sources.
    rng : numpy.random.Generator
        Source of every noise draw, consumed in a fixed order.
    """
    n = len(population)
    size = population.size
    columns: ArrayDict = {}
    psf_snr_i = np.zeros(n)
    auto_snr_i = np.zeros(n)
    best_snr = np.zeros(n)
    auto_mags: dict[str, npt.NDArray[np.float64]] = {}
    for band in BANDS:
        psf_sigma = SEEING_FWHM[band] / _FWHM_PER_SIGMA
        area = 1.0 + (size / psf_sigma) ** 2
        mag, err, snr = measure_magnitudes(population.mags[band], band, area, rng)
        auto_mags[band] = mag
        best_snr = np.maximum(best_snr, snr)
        columns[f"MAG_AUTO_{band.upper()}"] = mag.astype(np.float32)
        columns[f"MAGERR_AUTO_{band.upper()}"] = err.astype(np.float32)
        psf_true = population.mags[band] + psf_magnitude_offset(size, psf_sigma)
        psf_mag, _, psf_snr = measure_magnitudes(psf_true, band, np.ones(n), rng)
        single_epoch = psf_snr / math.sqrt(N_EPOCHS) >= WAVG_MIN_EPOCH_SNR
        columns[f"WAVG_MAG_PSF_{band.upper()}"] = np.where(
            single_epoch, psf_mag, NOT_DETECTED
        ).astype(np.float32)
        if band == "i":
            psf_snr_i = point_snr(psf_true, band)
            auto_snr_i = snr

    psf_sigma_i = SEEING_FWHM["i"] / _FWHM_PER_SIGMA
    spread_true = spread_model_true(size, psf_sigma_i)
    spread_err = spread_model_error(psf_snr_i)
    spread = spread_true + spread_err * rng.standard_normal(n)
    wavg_err = WAVG_SPREADERR_RATIO * spread_err * (1.0 + 0.1 * rng.standard_normal(n))
    wavg_err = np.maximum(wavg_err, 0.5 * spread_err)
    wavg = spread_true + wavg_err * rng.standard_normal(n)
    wavg_measured = psf_snr_i / math.sqrt(N_EPOCHS) >= WAVG_MIN_EPOCH_SNR
    columns["SPREAD_MODEL_I"] = spread.astype(np.float32)
    columns["WAVG_SPREAD_MODEL_I"] = np.where(wavg_measured, wavg, WAVG_MISSING).astype(np.float32)
    columns["WAVG_SPREADERR_MODEL_I"] = np.where(wavg_measured, wavg_err, WAVG_MISSING).astype(
        np.float32
    )
    columns["CLASS_STAR_I"] = class_star(population.is_star, auto_snr_i, spread_true, rng).astype(
        np.float32
    )
    columns["EXTENDED_CLASS_COADD"] = extended_class(spread, spread_err)

    clean = population.member
    blend = np.where(clean, 0, _blend_flags(rng, n)).astype(np.int16)
    for band in BANDS:
        saturated = (auto_mags[band] < SATURATION_MAG) & ~clean
        columns[f"FLAGS_{band.upper()}"] = (blend | np.where(saturated, FLAG_SATURATED, 0)).astype(
            np.int16
        )
    for band in BANDS:
        masked = (rng.random(n) < IMAFLAGS_PROBABILITY) & ~clean
        columns[f"IMAFLAGS_ISO_{band.upper()}"] = masked.astype(np.int16)
    artefact = population.anomaly == SATURATED_ARTEFACT
    for band in BANDS:
        flags = columns[f"FLAGS_{band.upper()}"].astype(np.int16)
        columns[f"FLAGS_{band.upper()}"] = np.where(
            artefact, flags | np.int16(FLAG_SATURATED), flags
        ).astype(np.int16)
    columns["EBV_SFD98"] = population.ebv.astype(np.float32)
    columns.update(_shapes(population, best_snr, rng))
    columns["ANOMALY"] = population.anomaly
    return columns


def main_table(
    population: Population, tiling: Tiling, rng: np.random.Generator
) -> tuple[ArrayDict, npt.NDArray[np.int64]]:
    """Every column of ``DR1_MAIN``, rows in spatial order (HPIX_1024, then RA, Dec).

    Returns
    -------
    columns : dict
        Column name to array, in spatial order; ``COADD_OBJECT_ID`` counts up from
        ``ID_OFFSET`` in that order. ``ANOMALY`` (not a column of the table) holds each row's
        injected anomaly code, 0 for none.
    tile_index : ndarray
        For each row, its tile's index in ``tiling.tiles``.

    Raises
    ------
    RuntimeError
        If a source lies outside the footprint (a bug: sources are drawn inside it).
    """
    measured = measure(population, rng)
    tile_index = tiling.locate(population.ra, population.dec)
    if (tile_index < 0).any():
        raise RuntimeError("a demo source fell outside the footprint's tiles")
    hpix = {
        name: healpix_nested(population.ra, population.dec, nside)
        for name, nside in HPIX_NSIDES.items()
    }
    order = np.lexsort((population.dec, population.ra, hpix["HPIX_1024"]))
    names = np.array([tile.name for tile in tiling.tiles])
    columns: ArrayDict = {
        "COADD_OBJECT_ID": np.arange(ID_OFFSET, ID_OFFSET + len(order), dtype=np.int64),
        "RA": population.ra[order],
        "DEC": population.dec[order],
        "TILENAME": names[tile_index[order]],
        "HPIX_32": hpix["HPIX_32"][order],
        "HPIX_1024": hpix["HPIX_1024"][order],
    }
    columns.update({name: values[order] for name, values in measured.items()})
    return columns, tile_index[order]

"""The photometric model of DEMO DR1: depths, noise, colours, extinction, morphology.

Everything here is a small pure function of numpy arrays (and, where noise is drawn, a numpy
``Generator``), so that each piece can be tested on its own.

Noise model
-----------
Coadds are sky-limited: a point source of magnitude ``DEPTH_10SIGMA[band]`` has S/N = 10 in an
optimal aperture. Fluxes are measured in units of that aperture's sky noise; an extended source's
aperture holds ``1 + (size / psf_sigma)**2`` times more sky. The source's own photon noise adds
``flux / SOURCE_GAIN``. A band whose measured S/N is below ``MIN_SNR``, or whose magnitude falls
outside [``MAG_BRIGHT``, ``MAG_FAINT``], reports ``99`` for both magnitude and error, as DES does
for non-detections.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "BANDS",
    "DEPTH_10SIGMA",
    "EXTINCTION_COEFFICIENTS",
    "MAGZERO",
    "MAG_BRIGHT",
    "MAG_FAINT",
    "MIN_SNR",
    "NOT_DETECTED",
    "N_EPOCHS",
    "SEEING_FWHM",
    "WAVG_MISSING",
    "class_star",
    "ebv_sfd98",
    "extended_class",
    "galactic_latitude",
    "measure_magnitudes",
    "point_snr",
    "psf_magnitude_offset",
    "spread_model_error",
    "spread_model_true",
    "stellar_locus",
]

FloatArray = npt.NDArray[np.float64]

#: The DES bands, in wavelength order, as they appear in column and file names.
BANDS = ("g", "r", "i", "z", "Y")
#: Photometric zero point of the images: counts = 10 ** (-0.4 * (mag - MAGZERO)).
MAGZERO = 30.0
#: Magnitude of a point source at S/N = 10 in the coadd (about DES DR2 MAG_AUTO depths).
DEPTH_10SIGMA = {"g": 24.5, "r": 24.2, "i": 23.6, "z": 22.9, "Y": 21.7}
#: A_band / E(B-V) for the DES bands (DES DR1, Schlafly & Finkbeiner 2011 recalibration).
EXTINCTION_COEFFICIENTS = {"g": 3.186, "r": 2.140, "i": 1.569, "z": 1.196, "Y": 1.048}
#: Median seeing FWHM (arcsec) of the coadds per band.
SEEING_FWHM = {"g": 1.05, "r": 0.97, "i": 0.92, "z": 0.90, "Y": 0.95}
#: Source photon-noise scale, in sky-noise units: an i = 17 star has S/N ~ 400, i = 14 ~ 1600.
SOURCE_GAIN = 40.0
#: Brightest and faintest magnitudes reported; outside them a band reports ``NOT_DETECTED``.
MAG_BRIGHT = 14.0
MAG_FAINT = 26.0
#: Minimum measured S/N for a band to report a magnitude.
MIN_SNR = 1.0
#: DES's value for a magnitude (and its error) that was not measured.
NOT_DETECTED = 99.0
#: DES's value for a weighted-average (``WAVG_``) spread model that was not measured.
WAVG_MISSING = -99.0
#: Single epochs per band in the coadd; ``WAVG_`` quantities need a detection in single epochs.
N_EPOCHS = 8
#: Single-epoch S/N needed for the ``WAVG_`` (weighted average of single epochs) measurements.
WAVG_MIN_EPOCH_SNR = 5.0
#: 2.5 / ln(10): magnitude error of a unit relative flux error.
MAGERR_PER_RELATIVE_FLUX = 2.5 / math.log(10.0)
#: SPREAD_MODEL of a galaxy as large as the PSF is SPREAD_MODEL_SCALE / sqrt(2).
SPREAD_MODEL_SCALE = 0.025
#: SPREADERR_MODEL = SPREADERR_PER_SNR / S/N + SPREADERR_FLOOR (i band, point-source S/N).
SPREADERR_PER_SNR = 0.05
SPREADERR_FLOOR = 0.0003
#: Ratio of the WAVG_SPREADERR_MODEL of averaged single epochs to the coadd's SPREADERR_MODEL.
WAVG_SPREADERR_RATIO = 1.2

#: Galactic north pole (J2000), degrees.
_NGP_RA, _NGP_DEC = 192.85948, 27.12825

#: The stellar locus in intrinsic colours, sampled along its length (blue HB stars to M dwarfs):
#: columns g-r, r-i, i-z, z-Y. Indexing by position along the locus lets the M-dwarf branch,
#: where g-r saturates while r-i keeps growing, be sampled as easily as the rest.
STELLAR_LOCUS = np.array(
    [
        [-0.35, -0.20, -0.15, -0.07],
        [-0.10, -0.08, -0.06, -0.03],
        [0.20, 0.05, 0.00, 0.00],
        [0.40, 0.12, 0.03, 0.01],
        [0.60, 0.19, 0.07, 0.02],
        [0.80, 0.27, 0.11, 0.04],
        [1.00, 0.36, 0.17, 0.06],
        [1.20, 0.52, 0.26, 0.09],
        [1.35, 0.80, 0.42, 0.14],
        [1.45, 1.15, 0.62, 0.20],
        [1.52, 1.60, 0.85, 0.28],
    ]
)


def stellar_locus(position: FloatArray) -> FloatArray:
    """Intrinsic colours (g-r, r-i, i-z, z-Y) at ``position`` along the stellar locus.

    Parameters
    ----------
    position : ndarray
        0 (blue horizontal branch) .. ``len(STELLAR_LOCUS) - 1`` (late M dwarf), fractional.

    Returns
    -------
    ndarray, shape (n, 4)
    """
    knots = np.arange(len(STELLAR_LOCUS), dtype=np.float64)
    return np.stack(
        [np.interp(position, knots, STELLAR_LOCUS[:, k]) for k in range(STELLAR_LOCUS.shape[1])],
        axis=-1,
    )


def locus_position_of_gr(g_r: FloatArray) -> FloatArray:
    """Position along the locus's monotonic (g-r < 1.35) part that has colour ``g_r``."""
    knots = np.arange(len(STELLAR_LOCUS), dtype=np.float64)
    monotonic = STELLAR_LOCUS[:9, 0]
    return np.interp(g_r, monotonic, knots[:9])


def galactic_latitude(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """Galactic latitude in degrees of equatorial (J2000) positions in degrees."""
    d = np.radians(dec)
    sin_b = np.sin(d) * math.sin(math.radians(_NGP_DEC)) + np.cos(d) * math.cos(
        math.radians(_NGP_DEC)
    ) * np.cos(np.radians(ra - _NGP_RA))
    return np.degrees(np.arcsin(np.clip(sin_b, -1.0, 1.0)))


def ebv_sfd98(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """A smooth stand-in for the SFD98 reddening map, E(B-V) in magnitudes.

    A plane-parallel dust layer (proportional to 1 / sin|b|) plus gentle cirrus-like ripples;
    about 0.06 at M2 (the real value is 0.06). It depends on position only, not on the seed.
    """
    sin_b = np.maximum(np.abs(np.sin(np.radians(galactic_latitude(ra, dec)))), 0.2)
    ripples = (
        1.0
        + 0.20 * np.sin(np.radians(ra) * 23.0 + 0.7) * np.cos(np.radians(dec) * 31.0 - 0.3)
        + 0.10 * np.sin(np.radians(ra + 2.0 * dec) * 57.0)
    )
    return (0.018 + 0.026 / sin_b) * ripples


def point_snr(mag: FloatArray, band: str) -> FloatArray:
    """Sky-limited S/N of a point source of magnitude ``mag`` in the coadd of ``band``."""
    return 10.0 * 10.0 ** (-0.4 * (np.asarray(mag) - DEPTH_10SIGMA[band]))


def measure_magnitudes(
    mag_true: FloatArray,
    band: str,
    aperture_area: FloatArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Measured magnitudes and errors of sources of true magnitude ``mag_true``.

    Parameters
    ----------
    mag_true : ndarray
        Noise-free magnitudes (extinction included).
    band : str
        One of :data:`BANDS`.
    aperture_area : ndarray
        Aperture area relative to a point source's (1 for stars).
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    mag, magerr, snr : ndarray
        ``mag`` and ``magerr`` are ``NOT_DETECTED`` where the band does not detect the source;
        ``snr`` is the measured S/N (possibly negative).
    """
    flux = point_snr(mag_true, band)
    sigma = np.sqrt(aperture_area + flux / SOURCE_GAIN)
    measured = flux + sigma * rng.standard_normal(flux.shape)
    snr = measured / sigma
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = DEPTH_10SIGMA[band] - 2.5 * np.log10(measured / 10.0)
        magerr = MAGERR_PER_RELATIVE_FLUX / snr
    detected = (snr >= MIN_SNR) & (mag >= MAG_BRIGHT) & (mag <= MAG_FAINT)
    mag = np.where(detected, mag, NOT_DETECTED)
    magerr = np.where(detected, magerr, NOT_DETECTED)
    return mag, magerr, snr


def psf_magnitude_offset(size: FloatArray, psf_sigma: float) -> FloatArray:
    """How much fainter a PSF-fit magnitude is than the total, for a Gaussian source.

    A PSF fit (PSF sigma ``p``) to a Gaussian source of intrinsic sigma ``s`` (both arcsec)
    recovers about ``2 p^2 / (2 p^2 + s^2)`` of its flux: ``2.5 log10(1 + s^2 / (2 p^2))``
    magnitudes, 0 for point sources.
    """
    return 2.5 * np.log10(1.0 + np.asarray(size) ** 2 / (2.0 * psf_sigma**2))


def spread_model_true(size: FloatArray, psf_sigma: float) -> FloatArray:
    """Noise-free SPREAD_MODEL of a Gaussian source of sigma ``size`` arcsec (0 for stars).

    Grows as ``(size / psf_sigma)**2`` for small sources and as ``size / psf_sigma`` for large ones.
    """
    ratio = (np.asarray(size) / psf_sigma) ** 2
    return SPREAD_MODEL_SCALE * ratio / np.sqrt(1.0 + ratio)


def spread_model_error(snr_psf: FloatArray) -> FloatArray:
    """Coadd SPREADERR_MODEL for a point-source S/N ``snr_psf`` (large for faint sources)."""
    return SPREADERR_PER_SNR / np.maximum(snr_psf, 1.0) + SPREADERR_FLOOR


def extended_class(spread: FloatArray, spread_error: FloatArray) -> npt.NDArray[np.int16]:
    """DES Y3 ``EXTENDED_CLASS_COADD`` (0: high-confidence star ... 3: high-confidence galaxy)."""
    total = (
        (spread + 3.0 * spread_error > 0.005).astype(np.int16)
        + (spread + spread_error > 0.003).astype(np.int16)
        + (spread - spread_error > 0.003).astype(np.int16)
    )
    return total.astype(np.int16)


def class_star(
    is_star: npt.NDArray[np.bool_],
    snr: FloatArray,
    spread: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """SExtractor-like CLASS_STAR: near 1 for bright stars, near 0 for bright resolved
    galaxies, tending to 0.5 for everything at low S/N."""
    confidence = np.tanh(np.maximum(snr, 0.0) / 15.0)
    resolved = np.clip(spread / 0.01, 0.0, 1.0)
    value = np.where(is_star, 0.5 + 0.48 * confidence, 0.5 - 0.47 * confidence * resolved)
    value = value + 0.02 * rng.standard_normal(value.shape)
    return np.clip(value, 0.0, 1.0)

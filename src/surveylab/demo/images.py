"""Coadd images of DEMO DR1: sky noise plus every catalog source, PSF-convolved, RICE-compressed.

Each image is a TAN projection centred on its tile (``CRVAL`` = tile centre, ``CRPIX`` at the
middle of the array), with a CD matrix for ``pixel_scale`` arcsec per pixel and RA increasing to
the left (``CD1_1 < 0``), as on the sky and in DES coadds. Pixel values are counts with
``MAGZERO`` = 30: a source of magnitude ``m`` holds ``10 ** (-0.4 * (m - 30))`` counts.

The PSF is a Moffat profile (beta = ``MOFFAT_BETA``) with the image's seeing (0.9-1.1 arcsec
FWHM in steps of ``SEEING_STEP``, drawn per tile and band around
:data:`~surveylab.demo.photometry.SEEING_FWHM`). Stars are that profile, each drawn by numpy into
a postage stamp just large enough for its wings to fall below a tenth of the sky noise; stamps of
similar size are evaluated together and added into the image with ``np.add.at``. Galaxies are
bulge + disc profiles rendered by GalSim into a template library and placed by numpy
(:mod:`surveylab.demo.templates`). Injected anomalies (:mod:`surveylab.demo.anomalies`) add a
lens's arc, a satellite trail, or a saturated star's bleed trail and diffraction spikes. When
the PSF is undersampled (FWHM < 3 px) star profiles are averaged over 3 x 3 sub-pixels. The sky
noise is Gaussian with the sigma that gives the catalog's 10-sigma depths, generated in chunks of
rows so that a full 10000 x 10000 tile needs little more memory than its float32 array.

Files are written like DES's ``.fits.fz``: an empty primary HDU and a RICE_1 tile-compressed
``SCI`` image HDU, float32 quantised to 1/``QUANTIZE_LEVEL`` of the noise with subtractive
dithering (a fixed dither seed, so files are reproducible). Compression tiles are
``COMPRESSION_TILE`` = 100 x 100 pixels rather than fpack's default of one row per tile: a cutout
then decompresses only the tiles it touches (~1.4 ms instead of ~25 ms for a 228 x 228 cutout).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from astropy.io import fits
from astropy.wcs import WCS

from .anomalies import (
    ARC_SHARE,
    BLEED_SIGMA,
    LENS,
    SATURATED_ARTEFACT,
    TRAIL,
    artefact_star_offset,
    lens_deflector_half_light,
)
from .photometry import DEPTH_10SIGMA, MAGZERO, SEEING_FWHM
from .population import SIGMA_PER_HALF_LIGHT
from .templates import library, place_galaxies, template_keys

__all__ = [
    "COMPRESSION_TILE",
    "EXPTIME",
    "MOFFAT_BETA",
    "QUANTIZE_LEVEL",
    "STAMP_RADII",
    "SURVEY",
    "ImageResult",
    "ImageSources",
    "ImageSpec",
    "image_header",
    "make_image",
    "moffat_alpha",
    "render_image",
    "render_sources",
    "sky_sigma",
    "stamp_radius",
]

FloatArray = npt.NDArray[np.float64]

#: Survey name written into every image header.
SURVEY = "DEMO DR1"
#: Total exposure time of a coadd (10 x 90 s), seconds.
EXPTIME = 900.0
#: Moffat beta of the PSF.
MOFFAT_BETA = 3.5
#: Stamps extend until the profile falls below this fraction of the sky noise.
STAMP_NOISE_FRACTION = 0.1
#: Stamp radii (pixels) are rounded up to one of these, to evaluate stamps in groups.
STAMP_RADII = (3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
#: Stamp values evaluated at once, at most (bounds temporary memory).
STAMP_BATCH_VALUES = 4_000_000
#: Below this PSF FWHM in pixels, profiles are averaged over SUPERSAMPLE x SUPERSAMPLE sub-pixels.
SUPERSAMPLE_BELOW_FWHM = 3.0
SUPERSAMPLE = 3
#: Rows of sky noise generated at once.
NOISE_CHUNK_ROWS = 512
#: RICE compression tile shape (rows, columns) and quantisation (fpack's default q = 4).
COMPRESSION_TILE = (100, 100)
QUANTIZE_LEVEL = 4.0
#: Per-image seeing scatter (lognormal sigma), the FWHM range it is clipped to and the step it
#: is rounded to (one GalSim template library per step), arcsec.
SEEING_SCATTER = 0.05
SEEING_RANGE = (0.9, 1.1)
SEEING_STEP = 0.1
#: Diffraction spikes of a saturated star: their length relative to the bleed trail's half
#: length, and the magnitude of each in every band (white, as the star's light).
SPIKE_LENGTH, SPIKE_MAG = 1.5, 17.5

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True)
class ImageSpec:
    """What to render for one (tile, band).

    Attributes
    ----------
    tile, band : str
        Tile name and band.
    ra, dec : float
        Tile centre (the projection's tangent point), degrees.
    pixels : int
        Side of the square image in pixels.
    pixel_scale : float
        Arcsec per pixel.
    fwhm : float
        Seeing FWHM, arcsec.
    seed : tuple of int
        Entropy of this image's random stream (noise and dither seed).
    path : str
        Absolute path of the ``.fits.fz`` file to write.
    """

    tile: str
    band: str
    ra: float
    dec: float
    pixels: int
    pixel_scale: float
    fwhm: float
    seed: tuple[int, ...]
    path: str

    @property
    def fwhm_pixels(self) -> float:
        """Seeing FWHM in pixels."""
        return self.fwhm / self.pixel_scale

    @property
    def sky_sigma(self) -> float:
        """Sky noise per pixel, counts."""
        return sky_sigma(self.band, self.fwhm, self.pixel_scale)


@dataclass(frozen=True, eq=False)
class ImageSources:
    """The sources that may show in one image (true magnitudes in its band).

    ``size`` is the Gaussian-equivalent size in arcsec (0 for point sources); ``axis_ratio``,
    ``position_angle`` (degrees east of north) and ``bulge_fraction`` shape galaxies;
    ``anomaly`` and ``anomaly_scale`` describe injected anomalies.
    """

    ra: FloatArray
    dec: FloatArray
    mag: FloatArray
    size: FloatArray
    axis_ratio: FloatArray
    position_angle: FloatArray
    is_star: npt.NDArray[np.bool_]
    bulge_fraction: FloatArray
    anomaly: npt.NDArray[np.int8]
    anomaly_scale: FloatArray

    def __len__(self) -> int:
        return len(self.ra)


@dataclass(frozen=True)
class ImageResult:
    """One written image: where, how many sources were drawn, how long it took."""

    tile: str
    band: str
    path: str
    sources: int
    seconds: float


def draw_seeing(band: str, rng: np.random.Generator) -> float:
    """Seeing FWHM (arcsec) of one coadd in ``band``, a multiple of ``SEEING_STEP``."""
    fwhm = SEEING_FWHM[band] * math.exp(SEEING_SCATTER * float(rng.standard_normal()))
    stepped = round(float(np.clip(fwhm, *SEEING_RANGE)) / SEEING_STEP) * SEEING_STEP
    return round(stepped, 3)


def sky_sigma(band: str, fwhm: float, pixel_scale: float) -> float:
    """Sky noise per pixel (counts) that gives S/N = 10 at the band's depth for a point source.

    The optimal aperture of a Gaussian PSF of sigma ``p`` pixels holds the noise of
    ``4 pi p**2`` pixels.
    """
    flux_at_depth = math.pow(10.0, -0.4 * (DEPTH_10SIGMA[band] - MAGZERO))
    psf_sigma_pixels = fwhm / pixel_scale / _FWHM_PER_SIGMA
    return flux_at_depth / 10.0 / math.sqrt(4.0 * math.pi * psf_sigma_pixels**2)


def moffat_alpha(fwhm_pixels: float, beta: float = MOFFAT_BETA) -> float:
    """Moffat core width alpha (pixels) for a FWHM in pixels."""
    return fwhm_pixels / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))


def stamp_radius(
    flux: FloatArray, alpha: float, noise: float, stretch: FloatArray, beta: float = MOFFAT_BETA
) -> npt.NDArray[np.int64]:
    """Stamp half-size (pixels, one of :data:`STAMP_RADII`) for sources of total ``flux``.

    The radius where a Moffat profile of total ``flux`` falls to ``STAMP_NOISE_FRACTION *
    noise``, times ``stretch`` (a galaxy's size relative to the PSF), rounded up.
    """
    peak = np.maximum(flux, 0.0) * (beta - 1.0) / (math.pi * alpha**2)
    ratio = np.maximum(peak / (STAMP_NOISE_FRACTION * noise), 1.0)
    radius = alpha * np.sqrt(ratio ** (1.0 / beta) - 1.0) * stretch
    radius = np.maximum(radius, 2.0 * alpha)
    radii = np.array(STAMP_RADII)
    chosen = np.searchsorted(radii, radius)
    return radii[np.minimum(chosen, len(radii) - 1)].astype(np.int64)


def _profiles(
    dx: FloatArray,
    dy: FloatArray,
    sigma_major: FloatArray,
    sigma_minor: FloatArray,
    position_angle: FloatArray,
    psf_sigma: float,
    alpha: float,
) -> FloatArray:
    """Unnormalised elliptical Moffat values at pixel offsets ``dx``, ``dy`` (n, W, W)."""
    theta = np.radians(position_angle)[:, None, None]
    # major axis towards position angle, from north (+y) through east (-x)
    along = -dx * np.sin(theta) + dy * np.cos(theta)
    across = dx * np.cos(theta) + dy * np.sin(theta)
    u2 = (along / sigma_major[:, None, None]) ** 2 + (across / sigma_minor[:, None, None]) ** 2
    result: FloatArray = (1.0 + u2 * (psf_sigma / alpha) ** 2) ** (-MOFFAT_BETA)
    return result


def render_sources(
    image: npt.NDArray[np.float32],
    x: FloatArray,
    y: FloatArray,
    flux: FloatArray,
    size: FloatArray,
    axis_ratio: FloatArray,
    position_angle: FloatArray,
    fwhm_pixels: float,
    noise: float,
) -> int:
    """Add sources into ``image`` (in place), each through its own postage stamp.

    Parameters
    ----------
    image : ndarray, float32, (rows, columns)
        Pixel ``[j, i]`` is centred at ``x = i``, ``y = j``.
    x, y : ndarray
        Source centres in 0-based pixel coordinates.
    flux : ndarray
        Total counts of each source.
    size : ndarray
        Intrinsic Gaussian sigma in pixels (0 for point sources).
    axis_ratio, position_angle : ndarray
        Shape of extended sources (position angle in degrees, north through east).
    fwhm_pixels : float
        PSF FWHM in pixels.
    noise : float
        Sky noise per pixel, which sets the stamp sizes.

    Returns
    -------
    int
        How many sources touched the image.
    """
    rows, columns = image.shape
    psf_sigma = fwhm_pixels / _FWHM_PER_SIGMA
    alpha = moffat_alpha(fwhm_pixels)
    q = np.clip(axis_ratio, 0.05, 1.0)
    sigma_major = np.sqrt(psf_sigma**2 + size**2 / q)
    sigma_minor = np.sqrt(psf_sigma**2 + size**2 * q)
    radius = stamp_radius(flux, alpha, noise, sigma_major / psf_sigma)
    centre_x = np.floor(x + 0.5).astype(np.int64)
    centre_y = np.floor(y + 0.5).astype(np.int64)
    touches = (
        (centre_x + radius >= 0)
        & (centre_x - radius < columns)
        & (centre_y + radius >= 0)
        & (centre_y - radius < rows)
        & (flux > 0)
    )
    supersample = SUPERSAMPLE if fwhm_pixels < SUPERSAMPLE_BELOW_FWHM else 1
    sub = (np.arange(supersample) + 0.5) / supersample - 0.5
    flat = image.reshape(-1)
    for r in np.unique(radius[touches]):
        members = np.flatnonzero(touches & (radius == r))
        width = 2 * int(r) + 1
        batch = max(1, STAMP_BATCH_VALUES // (width * width * supersample * supersample))
        offsets = np.arange(-r, r + 1)
        for start in range(0, members.size, batch):
            sel = members[start : start + batch]
            gx = (centre_x[sel][:, None, None] + offsets[None, None, :]).astype(np.int64)
            gy = (centre_y[sel][:, None, None] + offsets[None, :, None]).astype(np.int64)
            stamp = np.zeros((sel.size, width, width))
            for sy in sub:
                for sx in sub:
                    stamp += _profiles(
                        gx + sx - x[sel][:, None, None],
                        gy + sy - y[sel][:, None, None],
                        sigma_major[sel],
                        sigma_minor[sel],
                        position_angle[sel],
                        psf_sigma,
                        alpha,
                    )
            stamp *= (flux[sel] / stamp.sum(axis=(1, 2)))[:, None, None]
            gx_full = np.broadcast_to(gx, stamp.shape)
            gy_full = np.broadcast_to(gy, stamp.shape)
            inside = (gx_full >= 0) & (gx_full < columns) & (gy_full >= 0) & (gy_full < rows)
            index = gy_full[inside] * columns + gx_full[inside]
            np.add.at(flat, index, stamp[inside].astype(np.float32))
    return int(touches.sum())


def image_header(spec: ImageSpec) -> fits.Header:
    """The FITS header of an image: TAN WCS about the tile centre and the DES-like keywords."""
    scale = spec.pixel_scale / 3600.0
    centre = (spec.pixels + 1) / 2.0
    header = fits.Header()
    cards: list[tuple[str, object, str]] = [
        ("EXTNAME", "SCI", "science image"),
        ("SURVEY", SURVEY, "survey and release"),
        ("TILENAME", spec.tile, "coadd tile"),
        ("BAND", spec.band, "filter band"),
        ("FILTER", f"{spec.band} DECam", "filter"),
        ("MAGZERO", MAGZERO, "zero point: mag = MAGZERO - 2.5 log10(counts)"),
        ("EXPTIME", EXPTIME, "[s] total exposure time of the coadd"),
        ("FWHM", round(spec.fwhm, 4), "[arcsec] seeing FWHM (Moffat PSF)"),
        ("MOFFBETA", MOFFAT_BETA, "Moffat beta of the PSF"),
        ("SKYSIGMA", round(spec.sky_sigma, 5), "[counts] sky noise per pixel"),
        ("PIXSCAL1", spec.pixel_scale, "[arcsec/pixel] pixel scale, axis 1"),
        ("PIXSCAL2", spec.pixel_scale, "[arcsec/pixel] pixel scale, axis 2"),
        ("RA_CENT", spec.ra, "[deg] RA of the tile centre"),
        ("DEC_CENT", spec.dec, "[deg] Dec of the tile centre"),
        ("RADESYS", "ICRS", "celestial reference frame"),
        ("EQUINOX", 2000.0, "equinox of the coordinates"),
        ("CTYPE1", "RA---TAN", "gnomonic projection"),
        ("CTYPE2", "DEC--TAN", "gnomonic projection"),
        ("CUNIT1", "deg", ""),
        ("CUNIT2", "deg", ""),
        ("CRVAL1", spec.ra, "[deg] RA at the reference pixel"),
        ("CRVAL2", spec.dec, "[deg] Dec at the reference pixel"),
        ("CRPIX1", centre, "reference pixel, axis 1"),
        ("CRPIX2", centre, "reference pixel, axis 2"),
        ("CD1_1", -scale, "[deg/pixel] RA increases to the left"),
        ("CD1_2", 0.0, ""),
        ("CD2_1", 0.0, ""),
        ("CD2_2", scale, "[deg/pixel]"),
        ("BUNIT", "counts", "pixel unit"),
        ("GENERATR", "surveylab.demo", "software that made the image"),
    ]
    for key, value, comment in cards:
        header[key] = (value, comment)
    return header


def _noise(image: npt.NDArray[np.float32], sigma: float, rng: np.random.Generator) -> None:
    """Fill ``image`` with Gaussian noise of ``sigma``, a chunk of rows at a time."""
    for start in range(0, image.shape[0], NOISE_CHUNK_ROWS):
        chunk = image[start : start + NOISE_CHUNK_ROWS]
        rng.standard_normal(dtype=np.float32, out=chunk)
        chunk *= np.float32(sigma)


def _add_segments(
    image: npt.NDArray[np.float32],
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    flux: float,
    sigma: float,
) -> None:
    """Add a straight streak from (x0, y0) to (x1, y1) (pixels), Gaussian across with
    ``sigma`` pixels, holding ``flux`` counts in all (as much inside the image as falls in it)."""
    rows, columns = image.shape
    pad = 4.0 * sigma + 1.0
    i0 = max(math.floor(min(x0, x1) - pad), 0)
    i1 = min(math.ceil(max(x0, x1) + pad) + 1, columns)
    j0 = max(math.floor(min(y0, y1) - pad), 0)
    j1 = min(math.ceil(max(y0, y1) + pad) + 1, rows)
    if i0 >= i1 or j0 >= j1:
        return
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    per_length = flux / length / (math.sqrt(2.0 * math.pi) * sigma)
    for start in range(j0, j1, NOISE_CHUNK_ROWS):
        yy, xx = np.mgrid[start : min(start + NOISE_CHUNK_ROWS, j1), i0:i1].astype(np.float64)
        along = (xx - x0) * ux + (yy - y0) * uy
        across = -(xx - x0) * uy + (yy - y0) * ux
        inside = np.clip(along + 0.5, 0.0, 1.0) * np.clip(length - along + 0.5, 0.0, 1.0)
        values = per_length * inside * np.exp(-0.5 * (across / sigma) ** 2)
        image[start : start + values.shape[0], i0:i1] += values.astype(np.float32)


def _direction(position_angle: float) -> tuple[float, float]:
    """Pixel direction (dx, dy) of a position angle east of north (east is -x, north +y)."""
    theta = math.radians(position_angle)
    return -math.sin(theta), math.cos(theta)


def _draw_arc(
    image: npt.NDArray[np.float32],
    x: float,
    y: float,
    flux: float,
    einstein: float,
    orientation: float,
    spec: ImageSpec,
) -> None:
    """Add a lens's arc at ``einstein`` arcsec from its deflector at pixel (x, y): seven knots
    stretched along the ring over 200 degrees about ``orientation``, and a counter-image.

    Each knot is an elliptical Gaussian (sigma 0.35″ along the ring, 0.12″ across) convolved
    with the PSF taken as a Gaussian of the same FWHM: the covariances add.
    """
    scale = spec.pixel_scale
    psf_var = (spec.fwhm / _FWHM_PER_SIGMA / scale) ** 2
    radius = math.ceil((einstein + 3.0 * spec.fwhm) / scale)
    centre_x, centre_y = math.floor(x + 0.5), math.floor(y + 0.5)
    rows, columns = image.shape
    j0, j1 = max(centre_y - radius, 0), min(centre_y + radius + 1, rows)
    i0, i1 = max(centre_x - radius, 0), min(centre_x + radius + 1, columns)
    if j0 >= j1 or i0 >= i1:
        return
    yy, xx = np.mgrid[j0:j1, i0:i1].astype(np.float64)
    stamp = np.zeros_like(xx)
    angles = orientation + np.linspace(-100.0, 100.0, 7)
    knots = [(float(a), 0.8 / len(angles), 0.35) for a in angles]
    knots.append((orientation + 180.0, 0.2, 0.2))
    for angle, share, along_sigma in knots:
        dx, dy = _direction(angle)
        kx, ky = x + dx * einstein / scale, y + dy * einstein / scale
        # tangent (-dy, dx) and radial (dx, dy) axes
        var_t = (along_sigma / scale) ** 2 + psf_var
        var_r = (0.12 / scale) ** 2 + psf_var
        t = -(xx - kx) * dy + (yy - ky) * dx
        r = (xx - kx) * dx + (yy - ky) * dy
        norm = share / (2.0 * math.pi * math.sqrt(var_t * var_r))
        stamp += norm * np.exp(-0.5 * (t * t / var_t + r * r / var_r))
    image[j0:j1, i0:i1] += (flux * stamp).astype(np.float32)


def _draw_anomalies(
    image: npt.NDArray[np.float32],
    sources: ImageSources,
    x: FloatArray,
    y: FloatArray,
    flux: FloatArray,
    spec: ImageSpec,
) -> None:
    """Add the pixels of the injected anomalies that are not plain stars or galaxies."""
    psf_sigma = spec.fwhm_pixels / _FWHM_PER_SIGMA
    for k in np.flatnonzero(sources.anomaly > 0):
        code, scale = int(sources.anomaly[k]), float(sources.anomaly_scale[k])
        if code == LENS:
            arc_flux = flux[k] * ARC_SHARE[spec.band]
            _draw_arc(image, x[k], y[k], arc_flux, scale, float(sources.position_angle[k]), spec)
        elif code == TRAIL:
            dx, dy = _direction(float(sources.position_angle[k]))
            half = scale / 2.0 / spec.pixel_scale
            _add_segments(
                image,
                x[k] - dx * half,
                y[k] - dy * half,
                x[k] + dx * half,
                y[k] + dy * half,
                flux[k],
                psf_sigma,
            )
        elif code == SATURATED_ARTEFACT:
            half = scale / spec.pixel_scale
            star_y = y[k] - float(artefact_star_offset(np.array(scale))) / spec.pixel_scale
            bleed = max(BLEED_SIGMA / spec.pixel_scale, 0.3)
            _add_segments(image, x[k], star_y - half, x[k], star_y + half, 2.0 * flux[k], bleed)
            for angle in (45.0, 135.0, 225.0, 315.0):
                dx, dy = _direction(angle)
                reach = SPIKE_LENGTH * half
                _add_segments(
                    image,
                    x[k],
                    star_y,
                    x[k] + dx * reach,
                    star_y + dy * reach,
                    10.0 ** (-0.4 * (SPIKE_MAG - MAGZERO)),
                    max(psf_sigma * 0.6, 0.3),
                )


def render_image(spec: ImageSpec, sources: ImageSources) -> tuple[npt.NDArray[np.float32], int]:
    """The float32 pixels of one image, and how many sources touch it."""
    rng = np.random.default_rng(np.random.SeedSequence(list(spec.seed)))
    image = np.empty((spec.pixels, spec.pixels), dtype=np.float32)
    noise = spec.sky_sigma
    _noise(image, noise, rng)
    if len(sources) == 0:
        return image, 0
    wcs = WCS(image_header(spec))
    x, y = wcs.wcs_world2pix(sources.ra, sources.dec, 0)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    flux = 10.0 ** (-0.4 * (sources.mag - MAGZERO))
    point = sources.is_star
    drawn = render_sources(
        image,
        x[point],
        y[point],
        flux[point],
        np.zeros(int(point.sum())),
        sources.axis_ratio[point],
        sources.position_angle[point],
        spec.fwhm_pixels,
        noise,
    )
    # galaxies, and the deflectors of lenses (compact, bulge-only, without the arc's light)
    lens = sources.anomaly == LENS
    galaxy = (~point & (sources.anomaly == 0)) | lens
    half_light = np.where(
        lens,
        lens_deflector_half_light(sources.anomaly_scale),
        sources.size / SIGMA_PER_HALF_LIGHT,
    )
    galaxy_flux = np.where(lens, flux * (1.0 - ARC_SHARE[spec.band]), flux)
    keys = template_keys(
        sources.bulge_fraction[galaxy],
        half_light[galaxy],
        sources.axis_ratio[galaxy],
        sources.position_angle[galaxy],
    )
    drawn += place_galaxies(
        image,
        library(spec.fwhm, spec.pixel_scale),
        x[galaxy],
        y[galaxy],
        galaxy_flux[galaxy],
        keys,
    )
    _draw_anomalies(image, sources, x, y, flux, spec)
    return image, drawn


def dither_seed(spec: ImageSpec) -> int:
    """The FITS quantisation dither seed (1..10000) of an image, fixed by its random stream."""
    return int(np.random.SeedSequence(list(spec.seed)).generate_state(1)[0] % 10000) + 1


def make_image(spec: ImageSpec, sources: ImageSources) -> ImageResult:
    """Render one image and write it to ``spec.path`` (the folder must exist).

    This is the unit of work of the process pool; it is a pure function of its arguments.
    """
    started = time.perf_counter()
    image, drawn = render_image(spec, sources)
    hdu = fits.CompImageHDU(
        data=image,
        header=image_header(spec),
        compression_type="RICE_1",
        tile_shape=COMPRESSION_TILE,
        quantize_level=QUANTIZE_LEVEL,
        quantize_method=1,
        dither_seed=dither_seed(spec),
    )
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(Path(spec.path))
    return ImageResult(spec.tile, spec.band, spec.path, drawn, time.perf_counter() - started)

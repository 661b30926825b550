"""Galaxies drawn from a library of GalSim templates, placed with numpy.

Drawing each of the ~60,000 galaxies of a DES-density tile with GalSim costs ~3 ms a galaxy and
band, some 10 minutes for the demo's 30 images on 2 cores. Instead, GalSim renders a *library*
per PSF: bulge + disc galaxies (a de Vaucouleurs bulge holding a fraction ``TEMPLATE_BULGE`` of
the light, an exponential disc the rest) on a grid of half-light radius, axis ratio and position
angle, convolved with the Moffat PSF, on a grid ``oversampling`` times finer than the image.
Each galaxy then takes its nearest template: binning the fine grid at the galaxy's sub-pixel
phase (its position rounded to the nearest half pixel) gives its pixel stamp, which numpy scales
by the flux and adds into the image.

The PSF is round, so a galaxy turned by an angle is its template at angle 0 turned by that
angle: GalSim draws the 108 unturned profiles, and ``scipy.ndimage`` turns them on the fine grid.
Seeing is rounded to ``SEEING_STEP`` (see :func:`surveylab.demo.images.draw_seeing`), so a few
libraries serve every image; each process keeps the libraries it has built (a few seconds each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import galsim
import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = [
    "TEMPLATE_ANGLES",
    "TEMPLATE_AXIS_RATIOS",
    "TEMPLATE_BULGE",
    "TEMPLATE_HALF_LIGHT",
    "TemplateLibrary",
    "library",
    "place_galaxies",
]

FloatArray = npt.NDArray[np.float64]

#: Template grid: bulge fractions, half-light radii (arcsec, geometric), axis ratios (1: round,
#: one angle), position angles (degrees east of north).
TEMPLATE_BULGE = (0.0, 0.5, 1.0)
TEMPLATE_HALF_LIGHT = tuple(round(0.2 * 1.45**k, 4) for k in range(9))
TEMPLATE_AXIS_RATIOS = (0.3, 0.55, 0.8, 1.0)
TEMPLATE_ANGLES = tuple(22.5 * k for k in range(8))
#: Sub-pixel positions per axis a galaxy can take (its position is rounded to the nearest).
PHASES = 2
#: Largest side of a fine-grid sub-pixel, arcsec.
MAX_SUBPIXEL = 0.5
#: Moffat beta of the PSF (as the stars', drawn by numpy).
PSF_BETA = 3.5
#: Stamp radius: this many half-light radii (of the major axis) or PSF FWHMs, whichever is larger.
STAMP_HALF_LIGHTS, STAMP_FWHMS = 4.5, 2.5
#: A galaxy whose flattest major-axis half-light radius is below this many pixels is drawn from
#: its round template whatever its axis ratio and angle.
UNRESOLVED_PIXELS = 0.5
#: Largest stamp radius, pixels.
MAX_STAMP_RADIUS = 48
#: Stamp values placed at once, at most (bounds temporary memory).
STAMP_BATCH_VALUES = 4_000_000
#: Bulge half-light radius relative to the disc's, in a mixed galaxy.
BULGE_TO_DISC_SIZE = 0.5
_GSPARAMS = galsim.GSParams(maximum_fft_size=8192, folding_threshold=1e-2, maxk_threshold=3e-3)


def _oversampling(pixel_scale: float) -> int:
    """Sub-pixels per pixel of the library's fine grid: at least ``PHASES``, and fine enough
    (``MAX_SUBPIXEL``) for GalSim to draw the profiles quickly and well on coarse pixels."""
    return max(PHASES, math.ceil(pixel_scale / MAX_SUBPIXEL - 1e-9))


def _phase_offset(phase: int, k: int) -> int:
    """The sub-pixel shift (of ``k`` per pixel) of phase ``phase``: the source sits at
    ``(phase + 0.5) / PHASES - 0.5`` pixel from its pixel's centre, as near as the grid allows."""
    return round((phase + 0.5) * k / PHASES - 0.5)


def _galaxy(bulge: float, half_light: float) -> galsim.GSObject:
    if bulge >= 1.0:
        return galsim.DeVaucouleurs(half_light_radius=half_light, gsparams=_GSPARAMS)
    disc = galsim.Exponential(half_light_radius=half_light, gsparams=_GSPARAMS)
    if bulge <= 0.0:
        return disc
    core = galsim.DeVaucouleurs(
        half_light_radius=BULGE_TO_DISC_SIZE * half_light, gsparams=_GSPARAMS
    )
    return galsim.Add([bulge * core, (1.0 - bulge) * disc])


@dataclass(frozen=True, eq=False)
class TemplateLibrary:
    """The templates of one PSF and pixel scale.

    ``stamps[key]`` is a fine-grid image of unit flux, ``(2R + 2) * k`` sub-pixels a side for a
    stamp radius ``R`` and oversampling ``k``, the profile centred half a sub-pixel up and right
    of the grid's centre, so that binning from sub-pixel ``k - s`` shifts the source by ``s``
    sub-pixels.
    """

    fwhm: float
    pixel_scale: float
    oversampling: int
    stamps: dict[tuple[int, int, int, int], npt.NDArray[np.float32]]
    radii: dict[tuple[int, int, int, int], int]
    _banks: dict[int, tuple[npt.NDArray[np.float32], dict[tuple[int, int, int, int], int]]] = field(
        default_factory=dict, repr=False
    )

    def binned(self, key: tuple[int, int, int, int], phase_x: int, phase_y: int) -> FloatArray:
        """The pixel stamp (2R + 1 a side) of template ``key`` at phase (x, y)."""
        k = self.oversampling
        width = 2 * self.radii[key] + 1
        sx, sy = _phase_offset(phase_x, k), _phase_offset(phase_y, k)
        fine = self.stamps[key][k - sy : k - sy + width * k, k - sx :]
        fine = fine[:, : width * k]
        binned: FloatArray = fine.reshape(width, k, width, k).sum(axis=(1, 3), dtype=np.float64)
        return binned

    def bank(
        self, radius: int
    ) -> tuple[npt.NDArray[np.float32], dict[tuple[int, int, int, int], int]]:
        """Every pixel stamp of radius ``radius``, all phases, stacked: ``stack[row + phase_y *
        PHASES + phase_x]`` for the ``row`` that ``rows[key]`` gives (built once, then kept)."""
        if radius not in self._banks:
            keys = [key for key, r in self.radii.items() if r == radius]
            phases = [(px, py) for py in range(PHASES) for px in range(PHASES)]
            stack = np.stack(
                [self.binned(key, px, py) for key in keys for px, py in phases]
            ).astype(np.float32)
            self._banks[radius] = (stack, {key: n * PHASES**2 for n, key in enumerate(keys)})
        return self._banks[radius]


def _turned(fine: npt.NDArray[np.float32], angle: float) -> npt.NDArray[np.float32]:
    """``fine`` turned by ``angle`` degrees from north through east about its profile centre
    (array index ``(S/2, S/2)``; rows run north, columns west to east reversed)."""
    theta = math.radians(angle)
    matrix = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    centre = np.full(2, fine.shape[0] // 2, dtype=np.float64)
    turned: npt.NDArray[np.float32] = ndimage.affine_transform(
        fine, matrix, offset=centre - matrix @ centre, order=1, mode="constant"
    )
    return turned


@lru_cache(maxsize=8)
def library(fwhm: float, pixel_scale: float) -> TemplateLibrary:
    """The template library of a Moffat PSF of ``fwhm`` arcsec on ``pixel_scale`` pixels."""
    fwhm_pixels = fwhm / pixel_scale
    k = _oversampling(pixel_scale)
    psf = galsim.Moffat(beta=PSF_BETA, fwhm=fwhm, gsparams=_GSPARAMS)
    stamps: dict[tuple[int, int, int, int], npt.NDArray[np.float32]] = {}
    radii: dict[tuple[int, int, int, int], int] = {}
    flattest = min(TEMPLATE_AXIS_RATIOS)
    for b, bulge in enumerate(TEMPLATE_BULGE):
        for h, half_light in enumerate(TEMPLATE_HALF_LIGHT):
            galaxy = _galaxy(bulge, half_light)
            # a galaxy far smaller than a pixel looks the same whatever its shape: one template
            unresolved = half_light / math.sqrt(flattest) / pixel_scale < UNRESOLVED_PIXELS
            # the round template first: unresolved flattened ones are aliases of it
            for q, ratio in sorted(enumerate(TEMPLATE_AXIS_RATIOS), key=lambda item: -item[1]):
                angles = TEMPLATE_ANGLES if ratio < 1.0 else TEMPLATE_ANGLES[:1]
                if unresolved and ratio < 1.0:
                    round_key = (b, h, TEMPLATE_AXIS_RATIOS.index(1.0), 0)
                    for a in range(len(angles)):
                        stamps[b, h, q, a] = stamps[round_key]
                        radii[b, h, q, a] = radii[round_key]
                    continue
                major = half_light / math.sqrt(ratio) / pixel_scale
                radius = math.ceil(max(STAMP_HALF_LIGHTS * major, STAMP_FWHMS * fwhm_pixels, 2.0))
                radius = min(radius, MAX_STAMP_RADIUS)
                shaped = galaxy
                if ratio < 1.0:
                    # major axis north: GalSim's beta runs from +x (west) counter-clockwise
                    shaped = galaxy.shear(q=ratio, beta=90.0 * galsim.degrees)
                side = (2 * radius + 2) * k
                image = galsim.ImageF(side, side, scale=pixel_scale / k)
                galsim.Convolve(shaped, psf, gsparams=_GSPARAMS).drawImage(
                    image=image, method="no_pixel", offset=(0.5, 0.5)
                )
                fine = image.array.astype(np.float32)
                for a, angle in enumerate(angles):
                    turned = _turned(fine, angle) if a else fine
                    stamps[b, h, q, a] = turned / np.float32(turned.sum())
                    radii[b, h, q, a] = radius
    return TemplateLibrary(fwhm, pixel_scale, k, stamps, radii)


def _nearest(
    values: FloatArray, grid: tuple[float, ...], log: bool = False
) -> npt.NDArray[np.int64]:
    points = np.log(np.asarray(grid)) if log else np.asarray(grid)
    target = np.log(np.maximum(values, 1e-6)) if log else values
    index: npt.NDArray[np.int64] = np.abs(target[:, None] - points[None, :]).argmin(axis=1)
    return index


def template_keys(
    bulge: FloatArray, half_light: FloatArray, axis_ratio: FloatArray, position_angle: FloatArray
) -> npt.NDArray[np.int64]:
    """Each galaxy's template as rows ``(bulge, half-light, axis ratio, angle)`` indices."""
    b = _nearest(bulge, TEMPLATE_BULGE)
    h = _nearest(half_light, TEMPLATE_HALF_LIGHT, log=True)
    q = _nearest(axis_ratio, TEMPLATE_AXIS_RATIOS)
    step = TEMPLATE_ANGLES[1]
    a = np.round(np.mod(position_angle, 180.0) / step).astype(np.int64) % len(TEMPLATE_ANGLES)
    a = np.where(np.asarray(TEMPLATE_AXIS_RATIOS)[q] >= 1.0, 0, a)
    return np.stack([b, h, q, a], axis=1)


def place_galaxies(
    image: npt.NDArray[np.float32],
    lib: TemplateLibrary,
    x: FloatArray,
    y: FloatArray,
    flux: FloatArray,
    keys: npt.NDArray[np.int64],
) -> int:
    """Add galaxies into ``image`` (pixel ``[j, i]`` centred at ``x = i``, ``y = j``) from their
    templates ``keys``; returns how many touched the image."""
    rows, columns = image.shape
    centre_x = np.floor(x + 0.5).astype(np.int64)
    centre_y = np.floor(y + 0.5).astype(np.int64)
    phase_x = np.clip(np.floor((x - centre_x + 0.5) * PHASES).astype(np.int64), 0, PHASES - 1)
    phase_y = np.clip(np.floor((y - centre_y + 0.5) * PHASES).astype(np.int64), 0, PHASES - 1)
    radius = np.array([lib.radii[tuple(key)] for key in keys.tolist()], dtype=np.int64)
    flat = image.reshape(-1)
    drawn = 0
    for r in np.unique(radius):
        members = np.flatnonzero(radius == r)
        stack, rows_of = lib.bank(int(r))
        row = np.array([rows_of[tuple(key)] for key in keys[members].tolist()], dtype=np.int64)
        row += phase_y[members] * PHASES + phase_x[members]
        width = 2 * int(r) + 1
        offsets = np.arange(-r, r + 1)
        batch = max(1, STAMP_BATCH_VALUES // (width * width))
        for start in range(0, members.size, batch):
            sel = members[start : start + batch]
            gx = centre_x[sel][:, None, None] + offsets[None, None, :]
            gy = centre_y[sel][:, None, None] + offsets[None, :, None]
            inside = (gx >= 0) & (gx < columns) & (gy >= 0) & (gy < rows)
            drawn += int(inside.any(axis=(1, 2)).sum())
            gx_full, gy_full = np.broadcast_arrays(gx, gy)
            values = stack[row[start : start + batch]] * flux[sel].astype(np.float32)[:, None, None]
            np.add.at(flat, gy_full[inside] * columns + gx_full[inside], values[inside])
    return drawn

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
libraries serve every image; each process draws a template the first time a galaxy needs it,
then keeps it (a whole library is about a second of GalSim at 0.6″ pixels).
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


Key = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class TemplateLibrary:
    """The templates of one PSF and pixel scale, each drawn the first time a galaxy needs it.

    A template's fine-grid image has unit flux, ``(2R + 2) * k`` sub-pixels a side for a stamp
    radius ``R`` and oversampling ``k``, the profile centred half a sub-pixel up and right of the
    grid's centre, so that binning from sub-pixel ``k - s`` shifts the source by ``s``
    sub-pixels.
    """

    fwhm: float
    pixel_scale: float
    oversampling: int
    _fine: dict[Key, npt.NDArray[np.float32]] = field(default_factory=dict, repr=False)
    _phases: dict[Key, npt.NDArray[np.float32]] = field(default_factory=dict, repr=False)

    def unresolved(self, h: int) -> bool:
        """Whether templates of half-light radius ``h`` are all drawn as the round one (a galaxy
        far smaller than a pixel looks the same whatever its shape)."""
        flattest = min(TEMPLATE_AXIS_RATIOS)
        major = TEMPLATE_HALF_LIGHT[h] / math.sqrt(flattest) / self.pixel_scale
        return major < UNRESOLVED_PIXELS

    def drawn_key(self, key: Key) -> Key:
        """The template actually drawn for ``key`` (the round one where shape cannot show)."""
        b, h, q, _ = key
        if TEMPLATE_AXIS_RATIOS[q] >= 1.0 or self.unresolved(h):
            return (b, h, TEMPLATE_AXIS_RATIOS.index(1.0), 0)
        return key

    def radius(self, key: Key) -> int:
        """Stamp radius (pixels) of template ``key``."""
        _, h, q, _ = self.drawn_key(key)
        major = TEMPLATE_HALF_LIGHT[h] / math.sqrt(TEMPLATE_AXIS_RATIOS[q]) / self.pixel_scale
        fwhm_pixels = self.fwhm / self.pixel_scale
        radius = math.ceil(max(STAMP_HALF_LIGHTS * major, STAMP_FWHMS * fwhm_pixels, 2.0))
        return min(radius, MAX_STAMP_RADIUS)

    def fine(self, key: Key) -> npt.NDArray[np.float32]:
        """The fine-grid image of template ``key``: GalSim draws it at angle 0, scipy turns it."""
        key = self.drawn_key(key)
        if key not in self._fine:
            b, h, q, a = key
            if a:
                turned = _turned(self.fine((b, h, q, 0)), TEMPLATE_ANGLES[a])
                self._fine[key] = turned / np.float32(turned.sum())
            else:
                self._fine[key] = self._draw(key)
        return self._fine[key]

    def _draw(self, key: Key) -> npt.NDArray[np.float32]:
        b, h, q, _ = key
        ratio = TEMPLATE_AXIS_RATIOS[q]
        galaxy = _galaxy(TEMPLATE_BULGE[b], TEMPLATE_HALF_LIGHT[h])
        if ratio < 1.0:
            # major axis north: GalSim's beta runs from +x (west) counter-clockwise
            galaxy = galaxy.shear(q=ratio, beta=90.0 * galsim.degrees)
        k = self.oversampling
        side = (2 * self.radius(key) + 2) * k
        image = galsim.ImageF(side, side, scale=self.pixel_scale / k)
        psf = galsim.Moffat(beta=PSF_BETA, fwhm=self.fwhm, gsparams=_GSPARAMS)
        galsim.Convolve(galaxy, psf, gsparams=_GSPARAMS).drawImage(
            image=image, method="no_pixel", offset=(0.5, 0.5)
        )
        fine: npt.NDArray[np.float32] = image.array.astype(np.float32)
        return fine / np.float32(fine.sum())

    def binned(self, key: Key, phase_x: int, phase_y: int) -> FloatArray:
        """The pixel stamp (2R + 1 a side) of template ``key`` at phase (x, y)."""
        k = self.oversampling
        width = 2 * self.radius(key) + 1
        sx, sy = _phase_offset(phase_x, k), _phase_offset(phase_y, k)
        fine = self.fine(key)[k - sy : k - sy + width * k, k - sx :]
        fine = fine[:, : width * k]
        binned: FloatArray = fine.reshape(width, k, width, k).sum(axis=(1, 3), dtype=np.float64)
        return binned

    def phases(self, key: Key) -> npt.NDArray[np.float32]:
        """The pixel stamps of ``key`` at every phase: ``[phase_y * PHASES + phase_x]``."""
        key = self.drawn_key(key)
        if key not in self._phases:
            self._phases[key] = np.stack(
                [self.binned(key, px, py) for py in range(PHASES) for px in range(PHASES)]
            ).astype(np.float32)
        return self._phases[key]

    def fill(self) -> int:
        """Draw every template now (as the benchmark does, to time GalSim); returns how many."""
        for key in _keys():
            self.fine(key)
        return len({self.drawn_key(key) for key in _keys()})


def _keys() -> list[Key]:
    keys: list[Key] = []
    for b in range(len(TEMPLATE_BULGE)):
        for h in range(len(TEMPLATE_HALF_LIGHT)):
            for q, ratio in enumerate(TEMPLATE_AXIS_RATIOS):
                angles = len(TEMPLATE_ANGLES) if ratio < 1.0 else 1
                keys.extend((b, h, q, a) for a in range(angles))
    return keys


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
    """The template library of a Moffat PSF of ``fwhm`` arcsec on ``pixel_scale`` pixels (its
    templates are drawn as galaxies need them, then kept)."""
    return TemplateLibrary(fwhm, pixel_scale, _oversampling(pixel_scale))


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
    key_list = [(int(b), int(h), int(q), int(a)) for b, h, q, a in keys.tolist()]
    radius = np.array([lib.radius(key) for key in key_list], dtype=np.int64)
    flat = image.reshape(-1)
    drawn = 0
    for r in np.unique(radius):
        members = np.flatnonzero(radius == r)
        # the stamps of the templates these galaxies use, every phase, stacked
        used = sorted({key_list[m] for m in members.tolist()})
        stack = np.concatenate([lib.phases(key) for key in used])
        first = {key: n * PHASES**2 for n, key in enumerate(used)}
        row = np.array([first[key_list[m]] for m in members.tolist()], dtype=np.int64)
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

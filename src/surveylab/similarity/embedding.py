"""The embedding of one tile's objects: stamps cut from its images, normalised, projected.

This module is what runs in the worker processes (or on Dask workers): it imports no job store.
:func:`embed_tile` opens each band's image of one tile once, cuts a stamp of
``StampSpec.arcsec`` on a side around every object, resampled to ``StampSpec.pixels`` squared
(each output pixel the mean of ``s x s`` bilinear samples when it spans more than one image
pixel, so that DES's 0.263″ pixels are averaged down rather than aliased), and normalises it:

1. each band is divided by its tile's sky noise (``SKYSIGMA`` in the header, else a robust
   estimate from the pixels) and compressed with ``arcsinh``, so that faint structure (an arc
   around a lens) counts and bright cores do not swamp it;
2. the bands are concatenated and the whole vector is scaled to unit length, so that the
   embedding keeps shape and colour and drops brightness.

Given a PCA basis (``mean`` and ``components``), the task returns each object's coordinates in
it and never holds more than one band's stamps of ``CHUNK`` objects: the projection is linear,
so it is summed band by band, and the unit scaling, a number per object, is applied at the end
(``(x / |x| - mean) · W = (x · W) / |x| - mean · W``). Without a basis it returns the
normalised stamps themselves (the sample the basis is fitted on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CHUNK", "EmbedResult", "EmbedTask", "StampSpec", "embed_tile", "sky_noise"]

#: Objects resampled at a time per band (bounds a worker's memory).
CHUNK = 512
#: Pixels read to estimate a tile's sky noise when its header has no SKYSIGMA.
_NOISE_SAMPLE = 200_000

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class StampSpec:
    """The stamp each object is embedded from.

    Attributes
    ----------
    arcsec : float
        Side of the stamp on the sky, arcsec.
    pixels : int
        Side of the resampled stamp, pixels (the embedding has ``pixels**2`` values per band).
    bands : tuple of str
        Bands concatenated, in this order.
    """

    arcsec: float
    pixels: int
    bands: tuple[str, ...]

    @property
    def size(self) -> int:
        """Values of one object's normalised stamp (all bands)."""
        return self.pixels * self.pixels * len(self.bands)


@dataclass(frozen=True)
class EmbedTask:
    """One tile's objects to embed, its image per band, and the basis to project on (if any)."""

    tile: str
    images: dict[str, str]
    ids: npt.NDArray[np.int64]
    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    stamp: StampSpec
    mean: Floats | None = None
    components: Floats | None = None  # (n_components, stamp.size)


@dataclass
class EmbedResult:
    """The vectors of one tile's objects (projected, or whole normalised stamps)."""

    tile: str
    ids: npt.NDArray[np.int64]
    vectors: Floats
    seconds: float = 0.0
    noise: dict[str, float] = field(default_factory=dict)


def sky_noise(image: Floats, header_sigma: object = None) -> float:
    """A band's noise per pixel: the header's ``SKYSIGMA`` if positive, else 1.4826 times the
    median absolute deviation of a strided sample of finite pixels."""
    usable = isinstance(header_sigma, int | float) and not isinstance(header_sigma, bool)
    if usable and math.isfinite(header_sigma) and header_sigma > 0:  # type: ignore[arg-type,operator]
        return float(header_sigma)  # type: ignore[arg-type]
    flat = image.ravel()
    step = max(1, flat.size // _NOISE_SAMPLE)
    sample = flat[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 1.0
    mad = float(np.median(np.abs(sample - np.median(sample))))
    return 1.4826 * mad if mad > 0 else 1.0


def _grid(spec: StampSpec, pixel_arcsec: float) -> tuple[npt.NDArray[np.floating[Any]], int]:
    """Offsets (image pixels) of the samples along one axis from the stamp's centre, and the
    supersampling factor ``s`` (samples per output pixel per axis)."""
    step = spec.arcsec / spec.pixels / pixel_arcsec  # image pixels per output pixel
    supersample = max(1, math.ceil(step))
    count = spec.pixels * supersample
    offsets = (np.arange(count) + 0.5) * (step / supersample) - spec.arcsec / 2 / pixel_arcsec
    return offsets, supersample


def _stamps(
    image: Floats,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    spec: StampSpec,
    pixel_arcsec: float,
) -> Floats:
    """``(len(x), pixels * pixels)`` stamps of ``image`` centred on pixel positions ``x, y``
    (0-based); samples off the image are 0."""
    from scipy.ndimage import map_coordinates

    offsets, s = _grid(spec, pixel_arcsec)
    rows = y[:, None, None] + offsets[None, :, None]
    columns = x[:, None, None] + offsets[None, None, :]
    rows, columns = np.broadcast_arrays(rows, columns)
    values = map_coordinates(
        image, [rows.ravel(), columns.ravel()], order=1, mode="constant", cval=0.0
    ).astype(np.float32)
    values = values.reshape(len(x), spec.pixels, s, spec.pixels, s).mean(axis=(2, 4))
    stamps: Floats = values.reshape(len(x), spec.pixels * spec.pixels)
    return stamps


def embed_tile(task: EmbedTask) -> EmbedResult:
    """Embed every object of ``task`` (see the module's docstring); raises on a broken image."""
    import time

    from astropy.io import fits
    from astropy.wcs import WCS
    from astropy.wcs.utils import proj_plane_pixel_scales

    started = time.perf_counter()
    n = len(task.ids)
    spec = task.stamp
    per_band = spec.pixels * spec.pixels
    project = task.components is not None and task.mean is not None
    width = task.components.shape[0] if task.components is not None else spec.size
    vectors = np.zeros((n, width), dtype=np.float32)
    norm2 = np.zeros(n, dtype=np.float64)
    noise: dict[str, float] = {}
    for k, band in enumerate(spec.bands):
        with fits.open(task.images[band]) as hdul:
            hdu = next(h for h in hdul if h.is_image and h.header.get("NAXIS") == 2)
            header = hdu.header
            image = np.asarray(hdu.data, dtype=np.float32)
        wcs = WCS(header).celestial
        pixel_arcsec = float(np.mean(proj_plane_pixel_scales(wcs))) * 3600.0
        x, y = wcs.wcs_world2pix(task.ra, task.dec, 0)
        sigma = sky_noise(image, header.get("SKYSIGMA"))
        noise[band] = sigma
        for first in range(0, n, CHUNK):
            last = min(n, first + CHUNK)
            cut = _stamps(image, x[first:last], y[first:last], spec, pixel_arcsec)
            stamps = np.arcsinh(cut / sigma)
            stamps = np.nan_to_num(stamps, copy=False)
            norm2[first:last] += np.einsum("ij,ij->i", stamps, stamps, dtype=np.float64)
            if project:
                assert task.components is not None
                basis = task.components[:, k * per_band : (k + 1) * per_band]
                vectors[first:last] += stamps @ basis.T
            else:
                vectors[first:last, k * per_band : (k + 1) * per_band] = stamps
        del image
    norm = np.sqrt(norm2).astype(np.float32)
    norm[norm == 0] = 1.0
    vectors /= norm[:, None]
    if project:
        assert task.components is not None and task.mean is not None
        vectors -= task.mean @ task.components.T
    return EmbedResult(task.tile, task.ids, vectors, time.perf_counter() - started, noise)


def image_paths(images: dict[str, Path | str]) -> dict[str, str]:
    """Image paths as strings (what crosses to a worker)."""
    return {band: str(path) for band, path in images.items()}

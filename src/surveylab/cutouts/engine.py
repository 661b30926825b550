"""The work of one tile: read the rows its cutouts need once, cut, stitch parts, write files.

A :class:`TileTask` holds the cutouts (:class:`Item`) that touch one tile. :func:`run_tile_task`
opens each band's image of that tile once and sweeps down its rows: items are sorted by their
first row, and a buffer of rows moves down the image, so every needed row is decompressed once
(RICE ``.fits.fz`` tiles included: :attr:`astropy.io.fits.CompImageHDU.section` decompresses
only the compression tiles a section touches) and memory stays bounded by the buffer
(``BLOCK_ROWS`` plus the tallest cutout, per band).

Geometry. A cutout is cut on the pixel grid of its *owner* tile (the tile whose unique area
holds the position), so a cutout inside one tile is an exact slice of it, with the tile's WCS
shifted by the slice's origin (as :class:`astropy.nddata.Cutout2D` does). Where the cutout runs
over the owner's edge, its grid simply extends past the tile, and the pixels beyond are filled
from the neighbouring tiles: each target pixel centre is mapped through the cutout's WCS to the
sky and through the neighbour's WCS to its pixels, and the value is interpolated bilinearly there
(DES tiles each have their own tangent point, so the grids do not align). Neighbours fill only
pixels the owner does not cover, the nearest neighbour first. When the neighbour shares the
owner's projection (same tangent point and scale), the mapping lands on whole pixels and the
values are copied exactly.

This module is what runs in the worker processes (or on Dask workers): it imports no job store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .writers import Card, lupton_rgb, preview_image, write_fits, write_jpeg, write_png

__all__ = [
    "BLOCK_ROWS",
    "CutoutSpec",
    "Item",
    "OutputFile",
    "Partial",
    "TaskResult",
    "TileTask",
    "finish_cutout",
    "run_tile_task",
    "stitch",
]

#: Rows decompressed ahead at a time when sweeping down a tile.
BLOCK_ROWS = 512
#: Cutouts made between two checks of a task's stop file.
STOP_CHECK_ITEMS = 16

FloatImage = npt.NDArray[np.float32]
Role = Literal["own", "part", "help"]


@dataclass(frozen=True)
class OutputFile:
    """One file a cutout makes: its final name, the temporary path it is written to, its kind."""

    name: str
    temp: str
    kind: str  # "fits", "png", "jpeg"
    band: str  # a band, or the colour image's bands joined, e.g. "irg"


@dataclass(frozen=True)
class CutoutSpec:
    """Everything needed to make one cutout's files, wherever that happens.

    Attributes
    ----------
    index : int
        Position in the job (0-based).
    x0, y0 : int
        The cutout's first column and row in the owner tile's pixels (0-based; may be negative
        or run past the tile for stitched cutouts).
    nx, ny : int
        Width and height in pixels.
    owner_shape : (int, int)
        The owner tile's (rows, columns).
    wcs_cards : list of Card
        The cutout's WCS: the owner's, with CRPIX shifted to the cutout.
    cards : list of Card
        Provenance: position, request, tile(s), release.
    bands : tuple of str
        Bands to write as FITS.
    rgb : tuple of str or None
        The colour image's bands (red, green, blue).
    lupton : (float, float, float)
        minimum, stretch, Q.
    previews : bool
        Write a PNG preview per FITS band.
    files : list of OutputFile
        What to write.
    """

    index: int
    x0: int
    y0: int
    nx: int
    ny: int
    owner_shape: tuple[int, int]
    wcs_cards: list[Card]
    cards: list[Card]
    bands: tuple[str, ...]
    rgb: tuple[str, ...] | None
    lupton: tuple[float, float, float]
    previews: bool
    files: list[OutputFile] = field(default_factory=list)

    @property
    def all_bands(self) -> tuple[str, ...]:
        """Every band read for this cutout."""
        return tuple(dict.fromkeys((*self.bands, *(self.rgb or ()))))

    @property
    def inside_owner(self) -> bool:
        """Whether the cutout lies wholly inside its owner tile (an exact slice)."""
        rows, columns = self.owner_shape
        return (
            self.x0 >= 0
            and self.y0 >= 0
            and self.x0 + self.nx <= columns
            and self.y0 + self.ny <= rows
        )


@dataclass(frozen=True)
class Item:
    """One cutout's business with one tile: cut it whole (``own``), cut the owner's part of a
    stitched cutout (``part``), or fill a stitched cutout's pixels from a neighbour (``help``)."""

    spec: CutoutSpec
    role: Role
    source_cards: dict[str, list[Card]] = field(default_factory=dict)


@dataclass(frozen=True)
class TileTask:
    """The items of one tile, and its image file per band.

    ``stop``: a file whose existence tells the task to stop (the job was cancelled); it is
    checked every ``STOP_CHECK_ITEMS`` cutouts, and the task then returns what it has made.
    """

    tile: str
    images: dict[str, str]
    items: list[Item]
    stop: str | None = None


@dataclass(frozen=True)
class Partial:
    """A part of a stitched cutout: values per band where ``mask`` is true."""

    index: int
    tile: str
    role: Role
    arrays: dict[str, FloatImage]
    mask: npt.NDArray[np.bool_]


@dataclass
class TaskResult:
    """What a task made: finished cutouts (index -> files), parts to stitch, errors."""

    tile: str
    done: dict[int, list[OutputFile]] = field(default_factory=dict)
    partials: list[Partial] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    band_cards: dict[str, list[Card]] = field(default_factory=dict)
    rows_read: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    stopped: bool = False


# --- headers ---------------------------------------------------------------------------------

#: Keywords copied from the tile's header into every cutout of a band.
BAND_KEYWORDS = (
    "SURVEY",
    "BAND",
    "FILTER",
    "MAGZERO",
    "EXPTIME",
    "FWHM",
    "SKYSIGMA",
    "BUNIT",
)


def band_cards(header: Any, path: str) -> list[Card]:
    """The cards a cutout takes from its band's tile image: band, photometry, source file."""
    cards: list[Card] = []
    for key in BAND_KEYWORDS:
        if key in header:
            value = header[key]
            if isinstance(value, bool | int | float | str):
                cards.append((key, value, str(header.comments[key])))
    cards.append(("SRCFILE", Path(path).name, "tile image the pixels come from"))
    return cards


def image_hdu(hdul: Any) -> Any:
    """The first 2-D image HDU of an open FITS file (the SCI extension of a ``.fits.fz``)."""
    for hdu in hdul:
        if hdu.is_image and hdu.header.get("NAXIS") == 2:
            return hdu
    raise ValueError("no 2-D image in the file")


# --- the worker --------------------------------------------------------------------------------


@dataclass
class _Need:
    """The rows and columns of a tile one item needs, and how to map its pixels."""

    item: Item
    r0: int
    r1: int
    c0: int
    c1: int
    u: npt.NDArray[np.float64] | None = None  # helper: tile x of each covered target pixel
    v: npt.NDArray[np.float64] | None = None
    mask: npt.NDArray[np.bool_] | None = None


def _cutout_wcs(spec: CutoutSpec) -> Any:
    from astropy.io import fits
    from astropy.wcs import WCS

    header = fits.Header()
    header["NAXIS"] = 2
    header["NAXIS1"] = spec.nx
    header["NAXIS2"] = spec.ny
    for key, value, _comment in spec.wcs_cards:
        header[key] = value
    return WCS(header)


def _owner_coverage(spec: CutoutSpec) -> npt.NDArray[np.bool_]:
    rows, columns = spec.owner_shape
    x = spec.x0 + np.arange(spec.nx)
    y = spec.y0 + np.arange(spec.ny)
    return ((y >= 0) & (y < rows))[:, None] & ((x >= 0) & (x < columns))[None, :]


def _need(item: Item, tile_wcs: Any, shape: tuple[int, int]) -> _Need | None:
    spec = item.spec
    rows, columns = shape
    if item.role != "help":
        r0, r1 = max(spec.y0, 0), min(spec.y0 + spec.ny, rows)
        c0, c1 = max(spec.x0, 0), min(spec.x0 + spec.nx, columns)
        return _Need(item, r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None
    jj, ii = np.mgrid[0 : spec.ny, 0 : spec.nx]
    ra, dec = _cutout_wcs(spec).wcs_pix2world(ii.ravel(), jj.ravel(), 0)
    u, v = tile_wcs.wcs_world2pix(ra, dec, 0)
    u = u.reshape(spec.ny, spec.nx)
    v = v.reshape(spec.ny, spec.nx)
    mask = (u >= -0.5) & (u < columns - 0.5) & (v >= -0.5) & (v < rows - 0.5)
    mask &= ~_owner_coverage(spec)
    if not mask.any():
        return None
    uc, vc = u[mask], v[mask]
    r0 = max(0, math.floor(float(vc.min())))
    r1 = min(rows, math.floor(float(vc.max())) + 2)
    c0 = max(0, math.floor(float(uc.min())))
    c1 = min(columns, math.floor(float(uc.max())) + 2)
    return _Need(item, r0, r1, c0, c1, uc, vc, mask)


def _bilinear(buffer: FloatImage, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Any:
    """Values of ``buffer`` at fractional pixel positions, bilinear (scipy), clamped to its edge."""
    from scipy.ndimage import map_coordinates

    # exact where the mapping lands on whole pixels (a shared projection): no blending
    x = np.where(np.abs(x - np.rint(x)) < 1e-6, np.rint(x), x)
    y = np.where(np.abs(y - np.rint(y)) < 1e-6, np.rint(y), y)
    return map_coordinates(buffer, [y, x], order=1, mode="nearest", output=np.float32)


class _Sweep:
    """A buffer of rows ``[start, stop)`` (columns ``[c0, c1)``) moving down one image.

    The buffer is allocated once (``BLOCK_ROWS`` plus the tallest item's rows); rows still
    needed are moved up when it fills, and new rows are decompressed straight into it.
    """

    def __init__(self, section: Any, rows: int, c0: int, c1: int, limit: int, tallest: int) -> None:
        self.section = section
        self.rows = rows
        self.c0, self.c1 = c0, c1
        self.limit = limit  # no item needs rows past this one
        self.start = self.stop = 0
        self.offset = 0  # buffer row of image row ``start``
        capacity = min(rows, BLOCK_ROWS + tallest)
        self.buffer: FloatImage = np.empty((capacity, c1 - c0), dtype=np.float32)
        self.read = 0

    def cover(self, r0: int, r1: int) -> None:
        """Make sure rows ``[r0, r1)`` are in the buffer; drop rows above ``r0``."""
        if r0 >= self.stop:
            self.start = self.stop = r0
            self.offset = 0
        elif r0 > self.start:
            self.offset += r0 - self.start
            self.start = r0
        if r1 <= self.stop:
            return
        capacity = len(self.buffer)
        kept = self.stop - self.start
        end = min(max(r1, self.stop + BLOCK_ROWS), self.limit, self.rows, self.start + capacity)
        if self.offset + kept + (end - self.stop) > capacity:
            self.buffer[:kept] = self.buffer[self.offset : self.offset + kept]  # move up
            self.offset = 0
        first = self.offset + kept
        self.buffer[first : first + end - self.stop] = self.section[
            self.stop : end, self.c0 : self.c1
        ]
        self.read += end - self.stop
        self.stop = end

    def rect(self, r0: int, r1: int, c0: int, c1: int) -> FloatImage:
        top = self.offset + r0 - self.start
        return self.buffer[top : top + r1 - r0, c0 - self.c0 : c1 - self.c0]


def run_tile_task(task: TileTask) -> TaskResult:
    """Cut every item of ``task`` from its tile; write the cutouts that lie inside it.

    Returns the files of finished cutouts, the parts of stitched ones, and per-cutout errors
    (e.g. a band the tile has no image in); it raises only on a broken tile file.
    """
    import time

    from astropy.io import fits
    from astropy.wcs import WCS

    result = TaskResult(task.tile)
    clock: dict[str, float] = {"read": 0.0, "write": 0.0}
    bands = list(dict.fromkeys(b for i in task.items for b in i.spec.all_bands))
    missing = [band for band in bands if band not in task.images]
    opened = {}
    with_files = [band for band in bands if band in task.images]
    handles = []
    try:
        for band in with_files:
            hdul = fits.open(task.images[band], lazy_load_hdus=True)
            handles.append(hdul)
            opened[band] = image_hdu(hdul)
        if not opened:
            for item in task.items:
                if item.role == "help":
                    result.partials.append(_empty(item, task.tile))
                else:
                    result.errors[item.spec.index] = (
                        f"tile {task.tile} has no image in band(s) {', '.join(missing)}"
                    )
            return result
        first = next(iter(opened.values()))
        header = first.header
        shape = (int(header["NAXIS2"]), int(header["NAXIS1"]))
        tile_wcs = WCS(header).celestial
        for band, hdu in opened.items():
            result.band_cards[band] = band_cards(hdu.header, task.images[band])
        needs = []
        for item in task.items:
            lacking = [band for band in item.spec.all_bands if band not in opened]
            if lacking and item.role != "help":
                result.errors[item.spec.index] = (
                    f"tile {task.tile} has no image in band(s) {', '.join(lacking)}"
                )
                continue
            need = _need(item, tile_wcs, shape)
            if need is not None:
                needs.append(need)
            elif item.role != "own":  # this tile adds nothing: say so, so the merge goes on
                result.partials.append(_empty(item, task.tile))
        if not needs:
            return result
        needs.sort(key=lambda n: (n.r0, n.r1))
        c0 = min(n.c0 for n in needs)
        c1 = max(n.c1 for n in needs)
        limit = max(n.r1 for n in needs)
        tallest = max(n.r1 - n.r0 for n in needs)
        sweeps = {
            band: _Sweep(hdu.section, shape[0], c0, c1, limit, tallest)
            for band, hdu in opened.items()
        }
        for count, need in enumerate(needs):
            if task.stop is not None and count % STOP_CHECK_ITEMS == 0 and Path(task.stop).exists():
                result.stopped = True
                break
            spec = need.item.spec
            started = time.perf_counter()
            arrays: dict[str, FloatImage] = {}
            for band in spec.all_bands:
                sweep = sweeps.get(band)
                if sweep is None:
                    continue
                sweep.cover(need.r0, need.r1)
                if need.item.role == "help":
                    assert need.u is not None and need.v is not None and need.mask is not None
                    values = _bilinear(
                        sweep.rect(need.r0, need.r1, need.c0, need.c1),
                        need.u - need.c0,
                        need.v - need.r0,
                    )
                    full = np.full((spec.ny, spec.nx), np.nan, dtype=np.float32)
                    full[need.mask] = values
                    arrays[band] = full
                elif need.item.role == "own":
                    arrays[band] = np.array(
                        sweep.rect(need.r0, need.r1, need.c0, need.c1), dtype=np.float32
                    )
                else:
                    full = np.full((spec.ny, spec.nx), np.nan, dtype=np.float32)
                    y, x = need.r0 - spec.y0, need.c0 - spec.x0
                    full[y : y + need.r1 - need.r0, x : x + need.c1 - need.c0] = sweep.rect(
                        need.r0, need.r1, need.c0, need.c1
                    )
                    arrays[band] = full
            clock["read"] += time.perf_counter() - started
            if need.item.role == "own":
                started = time.perf_counter()
                finish_cutout(spec, arrays, result.band_cards, stitched=False)
                result.done[spec.index] = spec.files
                clock["write"] += time.perf_counter() - started
            else:
                mask = need.mask if need.mask is not None else _owner_coverage(spec)
                result.partials.append(Partial(spec.index, task.tile, need.item.role, arrays, mask))
        result.rows_read = sum(sweep.read for sweep in sweeps.values())
    finally:
        for hdul in handles:
            hdul.close()
    result.seconds = clock
    return result


def _empty(item: Item, tile: str) -> Partial:
    spec = item.spec
    return Partial(spec.index, tile, item.role, {}, np.zeros((spec.ny, spec.nx), dtype=bool))


def stitch(
    spec: CutoutSpec, parts: list[Partial], priority: Sequence[str]
) -> tuple[dict[str, FloatImage], float]:
    """One image per band from the tiles' parts of a cutout, the tiles earlier in ``priority``
    winning where they overlap; and the fraction of pixels the least covered band has (0: no
    tile image covers the cutout)."""
    order = {tile: k for k, tile in enumerate(priority)}
    ranked = sorted(parts, key=lambda part: order.get(part.tile, len(order)))
    arrays: dict[str, FloatImage] = {}
    coverage = 1.0
    for band in spec.all_bands:
        image = np.full((spec.ny, spec.nx), np.nan, dtype=np.float32)
        filled = np.zeros((spec.ny, spec.nx), dtype=bool)
        for part in ranked:
            if band in part.arrays:
                take = part.mask & ~filled
                image[take] = part.arrays[band][take]
                filled |= take
        arrays[band] = image
        coverage = min(coverage, float(filled.mean()))
    return arrays, coverage


def finish_cutout(
    spec: CutoutSpec,
    arrays: dict[str, FloatImage],
    band_cards: dict[str, list[Card]],
    *,
    stitched: bool,
    coverage: float = 1.0,
) -> list[OutputFile]:
    """Write a cutout's files (FITS per band, previews, colour PNG and JPEG) from its pixels."""
    extra: list[Card] = [
        ("STITCHED", stitched, "pixels come from more than one tile"),
        ("COVERAGE", round(float(coverage), 6), "fraction of pixels with data"),
    ]
    for output in spec.files:
        if output.kind == "fits":
            cards = [
                *spec.wcs_cards,
                *band_cards.get(output.band, []),
                *spec.cards,
                *extra,
            ]
            write_fits(output.temp, arrays[output.band], cards)
        elif output.kind == "preview":
            write_png(output.temp, preview_image(arrays[output.band]))
    colour = [f for f in spec.files if f.kind in ("png", "jpeg")]
    if colour and spec.rgb is not None:
        minimum, stretch, q = spec.lupton
        red, green, blue = (arrays[band] for band in spec.rgb)
        image = lupton_rgb(red, green, blue, minimum, stretch, q)
        for output in colour:
            if output.kind == "png":
                write_png(output.temp, image)
            else:
                write_jpeg(output.temp, image)
    return spec.files

"""Cutouts made at once, in this process: one position, one or more bands, images in memory.

SODA's ``sync`` (:mod:`surveylab.vo.soda`) and the finding charts
(:mod:`surveylab.finding_chart`) cut through here, with the same engine, plan and stitching as
a cutout job, so their pixels and headers are those of every other cutout.

Examples
--------
>>> from surveylab import Survey
>>> survey = Survey()  # doctest: +SKIP
>>> footprint, release = survey.footprint, survey.release  # doctest: +SKIP
>>> [image] = cut_now(footprint, release, 323.36, -0.82, 1.0, 1.0, ["i"])  # doctest: +SKIP
>>> image.data.shape  # doctest: +SKIP
(229, 229)
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import PositionError, RequestError
from .engine import OutputFile, Partial, TileTask, finish_cutout, run_tile_task, stitch
from .plan import PlannedCutout, TileGrid, plan_cutouts, read_grid
from .request import CutoutOptions, Target

if TYPE_CHECKING:
    from astropy.io import fits

    from ..footprint import Footprint, TileInfo
    from .writers import Card

__all__ = ["CutImage", "clip_to_image", "cut_now", "imaged_tile"]


@dataclass
class CutImage:
    """One band of a finished cutout: its pixels, its FITS header (WCS and the engine's
    provenance cards) and the file name a cutout job would give it."""

    band: str
    data: npt.NDArray[np.float32]
    header: fits.Header
    name: str


def imaged_tile(footprint: Footprint, ra: float, dec: float, label: str) -> TileInfo:
    """The tile owning a position, which has images.

    Raises
    ------
    PositionError
        If the position is outside the footprint, or its tile has no images; the message
        starts with ``label`` and gives the position.
    """
    index = int(footprint.locate(ra, dec))
    if index < 0:
        raise PositionError(
            f"{label}: its centre (RA {ra:.6f}, Dec {dec:.6f}) is outside the survey's footprint"
        )
    tile = footprint.tiles[index]
    if not tile.images:
        raise PositionError(
            f"{label}: its centre (RA {ra:.6f}, Dec {dec:.6f}) is outside the imaged footprint: "
            f"tile {tile.name} has no images"
        )
    return tile


def cut_now(
    footprint: Footprint,
    release: str,
    ra: float,
    dec: float,
    width: float,
    height: float,
    bands: Sequence[str],
    *,
    label: str = "position",
    tile: TileInfo | None = None,
    grid: TileGrid | None = None,
) -> list[CutImage]:
    """Cut ``width`` x ``height`` arcmin around (``ra``, ``dec``) in ``bands``, from
    ``footprint``'s tile images (stitched across tile edges), here and now.

    Parameters
    ----------
    footprint : Footprint
        The tiles to cut from (the survey's, or one tile's to cut from its image alone).
    release : str
        The release's name, for the headers.
    ra, dec : float
        The centre, degrees.
    width, height : float
        Sides in arcmin (checked by the caller against the cutout size limits).
    bands : sequence of str
        Bands as the release spells them.
    label : str
        What the position is, for messages (e.g. ``"POS 'CIRCLE ...'"``).
    tile : TileInfo, optional
        The tile whose pixel grid the cutout is cut on (by default the one owning the centre).
    grid : TileGrid, optional
        That tile's pixel grid, when the caller has read it already.

    Raises
    ------
    PositionError
        If the position is outside the imaged footprint.
    RequestError
        If the engine cannot cut it (e.g. a band the tile lacks); the message starts with
        ``label``.
    """
    if tile is None:
        tile = imaged_tile(footprint, ra, dec, label)
    if grid is None:
        grid = read_grid(next(iter(tile.images.values())))
    options = CutoutOptions(xsize=width, ysize=height, bands=tuple(bands), previews=False)
    with tempfile.TemporaryDirectory(prefix="surveylab-cut-") as folder:
        plan = plan_cutouts(
            footprint,
            [(Target(1, ra, dec), options)],
            temp_path=lambda name: Path(folder) / name,
            release=release,
            grids={tile.name: grid},
        )
        cutout = plan.cutouts[0]
        if cutout.error:
            raise RequestError(f"{label}: {cutout.error}")
        files = _run(plan.tasks, cutout, plan.priority.get(cutout.index, []), label)
        return [_read(output) for output in files if output.kind == "fits"]


def _run(
    tasks: Sequence[TileTask], cutout: PlannedCutout, priority: Sequence[str], label: str
) -> list[OutputFile]:
    """Run a one-cutout plan's tile tasks here; stitch the parts if there are several."""
    spec = cutout.spec
    assert spec is not None
    parts: list[Partial] = []
    band_cards: dict[str, dict[str, list[Card]]] = {}
    finished = False
    for task in tasks:
        result = run_tile_task(task)
        if cutout.index in result.errors:
            raise RequestError(f"{label}: {result.errors[cutout.index]}")
        band_cards[result.tile] = result.band_cards
        parts += result.partials
        finished = finished or cutout.index in result.done
    if finished:
        return spec.files
    arrays, coverage = stitch(spec, parts, priority)
    if coverage == 0.0:
        raise PositionError(f"{label}: outside the imaged footprint: no tile image covers it")
    cards = band_cards.get(cutout.tile or "", {})
    return finish_cutout(spec, arrays, cards, stitched=cutout.stitched, coverage=coverage)


def _read(output: OutputFile) -> CutImage:
    from astropy.io import fits

    with fits.open(output.temp, memmap=False) as hdul:
        hdu = hdul[0]
        return CutImage(output.band, np.asarray(hdu.data), hdu.header.copy(), output.name)


def clip_to_image(image: CutImage, image_shape: tuple[int, int], label: str) -> CutImage:
    """``image`` trimmed to the pixels of the tile image (of ``image_shape``, rows and columns)
    it was cut from, its WCS shifted.

    Raises
    ------
    PositionError
        If the cutout misses that image.
    """
    rows, columns = image_shape
    header = image.header
    x0, y0 = int(header["CUT_X0"]) - 1, int(header["CUT_Y0"]) - 1
    ny, nx = image.data.shape
    left, right = max(0, -x0), min(nx, columns - x0)
    bottom, top = max(0, -y0), min(ny, rows - y0)
    if right <= left or top <= bottom:
        raise PositionError(f"{label}: the region misses the image")
    if (left, bottom, right, top) == (0, 0, nx, ny):
        return image
    header["CRPIX1"] = float(header["CRPIX1"]) - left
    header["CRPIX2"] = float(header["CRPIX2"]) - bottom
    header["CUT_X0"] = x0 + left + 1
    header["CUT_Y0"] = y0 + bottom + 1
    header["COVERAGE"] = 1.0
    data = np.ascontiguousarray(image.data[bottom:top, left:right])
    return CutImage(image.band, data, header, image.name)

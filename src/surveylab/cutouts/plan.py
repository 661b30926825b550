"""Planning a cutout job: which tile owns each position, its pixel box, which tiles to read.

:func:`plan_cutouts` is pure apart from reading tile headers (once per tile): it turns targets
with positions into :class:`~surveylab.cutouts.engine.CutoutSpec` objects and groups them into
:class:`~surveylab.cutouts.engine.TileTask` objects, one tile (and a range of its rows) each, so
that every tile image is opened once per task and its rows read once.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..footprint import Footprint
from .engine import CutoutSpec, Item, OutputFile, TileTask, image_hdu
from .request import CutoutOptions, Target
from .writers import Card

__all__ = ["Plan", "PlannedCutout", "TileGrid", "des_name", "plan_cutouts", "wcs_cards"]

#: WCS keywords copied from a tile into its cutouts (CRPIX shifted).
_WCS_PREFIXES = (
    "WCSAXES", "CTYPE", "CUNIT", "CRVAL", "CRPIX", "CDELT", "CROTA", "CD1_", "CD2_", "PC1_",
    "PC2_", "PV1_", "PV2_", "LONPOLE", "LATPOLE", "RADESYS", "RADECSYS", "EQUINOX",
)  # fmt: skip
#: Positions per task at least (fewer tasks for small jobs: less overhead).
MIN_TASK_ITEMS = 64


def des_name(ra: float, dec: float) -> str:
    """The DES-style name of a position, ``DESJhhmmss.ss±ddmmss.s`` (truncated, as DES does).

    Examples
    --------
    >>> des_name(323.36, -0.82)
    'DESJ213326.40-004912.0'
    >>> des_name(0.0, 0.0)
    'DESJ000000.00+000000.0'
    """
    hundredths = math.floor(ra / 15.0 * 360_000.0 + 1e-6) % (24 * 360_000)
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    sign = "-" if dec < 0 else "+"
    tenths = math.floor(abs(dec) * 36_000.0 + 1e-6)
    degrees, rest_dec = divmod(tenths, 36_000)
    arcmin, rest_dec = divmod(rest_dec, 600)
    return (
        f"DESJ{hours:02d}{minutes:02d}{rest // 100:02d}.{rest % 100:02d}"
        f"{sign}{degrees:02d}{arcmin:02d}{rest_dec // 10:02d}.{rest_dec % 10}"
    )


@dataclass
class TileGrid:
    """A tile image's pixel grid: its header's WCS cards, its WCS and its shape."""

    cards: list[Card]
    wcs: Any
    shape: tuple[int, int]

    @cached_property
    def scale_arcsec(self) -> float:
        """Pixel side in arcsec."""
        from astropy.wcs.utils import proj_plane_pixel_scales

        return float(np.mean(proj_plane_pixel_scales(self.wcs))) * 3600.0


def wcs_cards(header: Any) -> list[Card]:
    """The WCS cards of a header, in order."""
    cards: list[Card] = []
    for key in header:
        if key.startswith(_WCS_PREFIXES):
            value = header[key]
            if isinstance(value, bool | int | float | str):
                cards.append((key, value, str(header.comments[key])))
    return cards


def read_grid(path: Path) -> TileGrid:
    """The grid of a tile image file (reads its header only)."""
    from astropy.io import fits
    from astropy.wcs import WCS

    with fits.open(path, lazy_load_hdus=True) as hdul:
        header = image_hdu(hdul).header
        return TileGrid(
            wcs_cards(header),
            WCS(header).celestial,
            (int(header["NAXIS2"]), int(header["NAXIS1"])),
        )


@dataclass
class PlannedCutout:
    """One position of the job, as planned: where it is cut, or why it cannot be."""

    index: int
    target: Target
    options: CutoutOptions
    name: str = ""
    tile: str | None = None
    tiles: list[str] = field(default_factory=list)
    spec: CutoutSpec | None = None
    error: str | None = None
    stitched: bool = False
    parts: int = 0  # items of a cutout not wholly inside its owner tile

    def summary(self) -> dict[str, Any]:
        """The position's entry in ``summary.json`` (files and status are added later)."""
        target = self.target
        return {
            "row": target.row,
            "ra": target.ra,
            "dec": target.dec,
            "id": target.object_id,
            "name": self.name or None,
            "tile": self.tile,
            "tiles": self.tiles,
            "xsize": self.options.xsize,
            "ysize": self.options.ysize,
            "stitched": self.stitched,
        }


@dataclass
class Plan:
    """The positions of a job and the tasks that make them."""

    cutouts: list[PlannedCutout]
    tasks: list[TileTask]
    priority: dict[int, list[str]]  # index -> tiles whose parts fill it, in order


def plan_cutouts(
    footprint: Footprint,
    targets: Sequence[tuple[Target, CutoutOptions]],
    *,
    temp_path: Callable[[str], Path | str],
    release: str,
    workers: int = 1,
    grids: dict[str, TileGrid] | None = None,
) -> Plan:
    """Plan the cutouts of ``targets`` (each with its options) over ``footprint``'s tile images.

    Parameters
    ----------
    footprint : Footprint
        The release's tiles with their image files.
    targets : sequence of (Target, CutoutOptions)
        Positions (RA, Dec resolved) and their options.
    temp_path : callable
        ``temp_path(name)``: the temporary path a result called ``name`` is written to.
    release : str
        The release's name, for the headers.
    workers : int
        Workers that will run the tasks (to cut the work in enough pieces).
    grids : dict, optional
        A cache of tile grids by tile name.

    Returns
    -------
    Plan
        Positions outside the imaged footprint, or whose tile lacks a band, carry an ``error``.
    """
    grids = {} if grids is None else grids
    cutouts = [PlannedCutout(k, target, options) for k, (target, options) in enumerate(targets)]
    if not cutouts:
        return Plan([], [], {})
    ra = np.array([c.target.ra for c in cutouts], dtype=np.float64)
    dec = np.array([c.target.dec for c in cutouts], dtype=np.float64)
    owners = footprint.locate(ra, dec)
    # pixel positions in each owner tile, one WCS call per tile
    pixel_x = np.full(ra.shape, np.nan)
    pixel_y = np.full(ra.shape, np.nan)
    for owner in np.unique(owners[owners >= 0]).tolist():
        tile = footprint.tiles[owner]
        if tile.images:
            grid = grids.get(tile.name)
            if grid is None:
                grid = grids[tile.name] = read_grid(next(iter(tile.images.values())))
            mine = owners == owner
            pixel_x[mine], pixel_y[mine] = grid.wcs.wcs_world2pix(ra[mine], dec[mine], 0)
    names_seen: dict[str, int] = {}
    items: dict[str, list[Item]] = defaultdict(list)
    priority: dict[int, list[str]] = {}
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    for cutout, owner in zip(cutouts, owners.tolist(), strict=True):
        target = cutout.target
        assert target.ra is not None and target.dec is not None
        if owner < 0:
            cutout.error = "outside the footprint: no tile holds this position"
            continue
        tile = footprint.tiles[owner]
        cutout.tile = tile.name
        stem = (
            str(target.object_id)
            if target.object_id is not None
            else des_name(target.ra, target.dec)
        )
        cutout.name = _unique(f"{tile.name}_{stem}", names_seen)
        if not tile.images:
            cutout.error = f"outside the imaged footprint: tile {tile.name} has no images"
            continue
        if cutout.options.list_only:
            holding = footprint.tiles_at(target.ra, target.dec)
            cutout.tiles = [name for name in holding if isinstance(name, str)]
            continue
        lacking = [band for band in cutout.options.all_bands if band not in tile.images]
        if lacking:
            cutout.error = (
                f"tile {tile.name} has no image in band(s) {', '.join(lacking)} "
                f"(it has {', '.join(tile.images)})"
            )
            continue
        grid = grids[tile.name]
        xy = (float(pixel_x[cutout.index]), float(pixel_y[cutout.index]))
        spec, inside = _spec(cutout, grid, xy, release, temp_path, created)
        cutout.spec = spec
        if inside:
            cutout.tiles = [tile.name]
            items[tile.name].append(Item(spec, "own"))
            continue
        helpers = _neighbours(footprint, grid, spec, tile.name, target.ra, target.dec)
        cutout.tiles = [tile.name, *helpers]
        cutout.stitched = bool(helpers)
        cutout.parts = 1 + len(helpers)
        priority[cutout.index] = cutout.tiles
        items[tile.name].append(Item(spec, "part"))
        for helper in helpers:
            items[helper].append(Item(spec, "help"))
        spec.cards.append(("TILES", ",".join(cutout.tiles)[:68], "tiles the pixels come from"))
    tasks = _tasks(footprint, items, workers)
    return Plan(cutouts, tasks, priority)


def _unique(name: str, seen: dict[str, int]) -> str:
    count = seen.get(name, 0) + 1
    seen[name] = count
    return name if count == 1 else f"{name}-{count}"


def _spec(
    cutout: PlannedCutout,
    grid: TileGrid,
    xy: tuple[float, float],
    release: str,
    temp_path: Callable[[str], Path | str],
    created: str,
) -> tuple[CutoutSpec, bool]:
    target, options = cutout.target, cutout.options
    x, y = xy
    scale = grid.scale_arcsec
    # half a pixel rounds down, whatever the float round-off of the scale
    nx = max(1, math.floor(options.xsize * 60.0 / scale + 0.5 - 1e-6))
    ny = max(1, math.floor(options.ysize * 60.0 / scale + 0.5 - 1e-6))
    x0 = math.floor(x + 0.5) - nx // 2
    y0 = math.floor(y + 0.5) - ny // 2
    shifted: list[Card] = []
    for key, value, comment in grid.cards:
        if key == "CRPIX1":
            value = float(value) - x0
        elif key == "CRPIX2":
            value = float(value) - y0
        shifted.append((key, value, comment))
    cards: list[Card] = [
        ("RELEASE", release[:68], "data release"),
        ("TILENAME", cutout.tile or "", "tile owning the position"),
        ("CUTNAME", cutout.name[:68], "cutout name"),
        ("OBJ_RA", float(target.ra or 0.0), "[deg] requested RA (ICRS)"),
        ("OBJ_DEC", float(target.dec or 0.0), "[deg] requested Dec (ICRS)"),
    ]
    if target.object_id is not None:
        cards.append(("OBJ_ID", int(target.object_id), "COADD_OBJECT_ID"))
    cards += [
        ("REQROW", int(target.row), "row (CSV line) of the request"),
        ("XSIZE", float(options.xsize), "[arcmin] requested width"),
        ("YSIZE", float(options.ysize), "[arcmin] requested height"),
        ("CUT_X0", int(x0 + 1), "first column in the tile (1-based)"),
        ("CUT_Y0", int(y0 + 1), "first row in the tile (1-based)"),
        ("DATE", created, "UTC time the job was planned"),
        ("ORIGIN", f"surveylab {__version__}", "software that made the cutout"),
    ]
    files: list[OutputFile] = []

    def add(name: str, kind: str, band: str) -> None:
        files.append(OutputFile(name, os.fspath(temp_path(name)), kind, band))

    for band in options.bands:
        add(f"{cutout.name}_{band}.fits", "fits", band)
        if options.previews:
            add(f"{cutout.name}_{band}.png", "preview", band)
    if options.rgb:
        colours = "".join(options.rgb)
        add(f"{cutout.name}_{colours}.png", "png", colours)
        add(f"{cutout.name}_{colours}.jpg", "jpeg", colours)
    spec = CutoutSpec(
        index=cutout.index,
        x0=x0,
        y0=y0,
        nx=nx,
        ny=ny,
        owner_shape=grid.shape,
        wcs_cards=shifted,
        cards=cards,
        bands=options.bands,
        rgb=options.rgb,
        lupton=(options.rgb_minimum, options.rgb_stretch, options.rgb_q),
        previews=options.previews,
        files=files,
    )
    return spec, spec.inside_owner


def _neighbours(
    footprint: Footprint, grid: TileGrid, spec: CutoutSpec, owner: str, ra: float, dec: float
) -> list[str]:
    """Tiles with images, other than the owner, whose outer area meets the cutout's box."""
    xs = spec.x0 - 0.5 + np.array([0.0, 0.5, 1.0]) * spec.nx
    ys = spec.y0 - 0.5 + np.array([0.0, 0.5, 1.0]) * spec.ny
    gx, gy = np.meshgrid(xs, ys)
    sample_ra, sample_dec = grid.wcs.wcs_pix2world(gx.ravel(), gy.ravel(), 0)
    _positions, found = footprint.matches(np.mod(sample_ra, 360.0), sample_dec)
    names = {footprint.tiles[k].name for k in found.tolist()} - {owner}
    tiles = [footprint.tile(name) for name in names if footprint.tile(name).images]
    cos_dec = math.cos(math.radians(dec))

    def distance(tile: Any) -> float:
        d_ra = ((tile.ra - ra + 180.0) % 360.0 - 180.0) * cos_dec
        return math.hypot(d_ra, tile.dec - dec)

    return [tile.name for tile in sorted(tiles, key=distance)]


def _tasks(footprint: Footprint, items: dict[str, list[Item]], workers: int) -> list[TileTask]:
    """One task per tile, split into row ranges so that every worker has work."""
    total = sum(len(group) for group in items.values())
    per_task = max(MIN_TASK_ITEMS, math.ceil(total / max(1, 3 * workers)))
    tasks = []
    for name, group in items.items():
        tile = footprint.tile(name)
        images = {band: str(path) for band, path in tile.images.items()}
        group.sort(key=lambda item: item.spec.y0)
        pieces = max(1, round(len(group) / per_task))
        size = math.ceil(len(group) / pieces)
        for start in range(0, len(group), size):
            tasks.append(TileTask(name, images, group[start : start + size]))
    tasks.sort(key=lambda task: -len(task.items))
    return tasks

"""A HiPS (IVOA Hierarchical Progressive Survey) of the release's colour images.

:func:`build_hips` turns the coadd tiles of a release into a colour HiPS that Aladin (Lite) and
ipyaladin display offline, under the footprint's tile outlines:

1. For each image tile, its three bands (default i, r, g as red, green, blue) become one Lupton
   et al. (2004) colour image (astropy ``make_lupton_rgb``) on the tile's own pixel grid, with the
   same ``minimum``, ``stretch`` and ``Q`` for every tile (DESaccess's defaults, as the cutouts'
   colour images), so colours match across tile edges. It is saved as a PNG carrying the tile's
   TAN WCS as AVM metadata (pyavm).
2. ``reproject.hips.reproject_to_hips`` resamples that image (bilinear, ``reproject_interp``) into
   HiPS tiles at the deepest order and averages them down to order 0. Each image tile is done in
   its own worker process: the work is bound by WCS transforms and interpolation, which hold
   the GIL, so threads do not help.
3. ``reproject.hips.coadd_hips`` merges the per-tile HiPS; where neighbouring tiles overlap
   (1 arcmin) the later tile covers the earlier one. Pixels no image covers are transparent
   (PNG) or black (JPEG).
4. The folder gets an IVOA HiPS 1.0 ``properties`` file naming the release, a ``Moc.fits`` of the
   tiles at the deepest order (so clients never ask for tiles that do not exist) and reproject's
   ``index.html``.

Everything is written in a hidden sibling folder and renamed to ``<data_dir>/hips`` only when
complete, so a failure (or an interrupt) never leaves a partial HiPS behind. Memory is bounded
by one tile's three bands per worker (~0.3 GB at 2630² pixels).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._version import __version__
from .errors import ErrorCategory, SurveylabError

if TYPE_CHECKING:
    from astropy.wcs import WCS

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_LUPTON",
    "HIPS_DIR",
    "TILE_FORMATS",
    "HiPSBuild",
    "HiPSNotFoundError",
    "build_hips",
    "default_order",
    "hips_dir",
    "hips_file",
    "hips_properties",
]

#: Folder of the HiPS inside a release folder.
HIPS_DIR = "hips"
#: Bands mapped to red, green and blue by default.
DEFAULT_BANDS = ("i", "r", "g")
#: Lupton et al. (2004) parameters: minimum, stretch, Q (DESaccess's, as the cutouts').
DEFAULT_LUPTON = (1.0, 50.0, 10.0)
#: Tile formats and their file extensions.
TILE_FORMATS = {"png": "png", "jpeg": "jpg"}
#: Tile side in pixels by default (the HiPS standard's usual 512).
DEFAULT_TILE_WIDTH = 512
#: Deepest HiPS order accepted (order 13 with 512-pixel tiles is 0.05″ a pixel).
MAX_ORDER = 13
#: Image pixels are averaged in blocks while a HiPS pixel still spans this many of the blocks.
HIPS_BIN_SAMPLING = 2.0
#: Most worker processes (each holds one tile's three bands).
MAX_WORKERS = 4
#: Files of a HiPS folder that may be served, relative to it.
SERVABLE = re.compile(
    r"^(properties|Moc\.fits|index\.html"
    r"|Norder\d{1,2}/Allsky\.(png|jpg)"
    r"|Norder\d{1,2}/Dir\d{1,9}/Npix\d{1,12}\.(png|jpg|fits))$"
)
#: Content type of each servable file by suffix (``properties`` has none).
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".fits": "application/fits",
    ".html": "text/html; charset=utf-8",
    "": "text/plain; charset=utf-8",
}

_PROPERTIES = "properties"
_RELEASE_FILE = "release.json"
_JPEG_QUALITY = 90

ProgressCallback = Callable[[str, float], None]


class HiPSNotFoundError(SurveylabError):
    """No HiPS has been built for the release, or it has no such file."""

    category = ErrorCategory.NOT_FOUND


@dataclass(frozen=True)
class HiPSBuild:
    """What :func:`build_hips` wrote.

    Attributes
    ----------
    path : Path
        The HiPS folder.
    release : str
        The release's name (``obs_title``).
    order : int
        The deepest order (``hips_order``).
    tile_width : int
        Tile side in pixels.
    tile_format : str
        ``"png"`` or ``"jpeg"``.
    bands : tuple of str
        Bands shown as red, green, blue.
    tiles : int
        HiPS tiles at the deepest order.
    seconds : float
        Time the build took.
    """

    path: Path
    release: str
    order: int
    tile_width: int
    tile_format: str
    bands: tuple[str, ...]
    tiles: int
    seconds: float


def hips_dir(data_dir: str | Path) -> Path:
    """Where the HiPS of the release in ``data_dir`` is (whether or not it was built)."""
    return Path(data_dir).expanduser().absolute() / HIPS_DIR


def _existing(data_dir: str | Path) -> Path:
    path = hips_dir(data_dir)
    if not (path / _PROPERTIES).is_file():
        raise HiPSNotFoundError(
            f"no HiPS has been built for the release in {Path(data_dir)}: "
            "run `surveylab hips build`"
        )
    return path


def hips_properties(data_dir: str | Path) -> dict[str, str]:
    """The ``properties`` of the release's HiPS, as strings (IVOA HiPS 1.0 ``key = value``).

    Raises
    ------
    HiPSNotFoundError
        If no HiPS has been built.
    """
    return _parse_properties((_existing(data_dir) / _PROPERTIES).read_text(encoding="utf-8"))


def _parse_properties(text: str) -> dict[str, str]:
    properties: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        properties[key.strip()] = value.strip()
    return properties


def hips_file(data_dir: str | Path, relative: str) -> tuple[Path, str]:
    """A file of the release's HiPS and its content type, from a path relative to the HiPS.

    Only the files a HiPS holds (``properties``, ``Moc.fits``, ``index.html``,
    ``Norder<k>/Dir<d>/Npix<n>.<ext>``, ``Norder<k>/Allsky.<ext>``) are found, and only when the
    resolved file lies inside the HiPS folder: ``..``, absolute paths and symbolic links that
    lead out of it are refused as missing.

    Raises
    ------
    HiPSNotFoundError
        If no HiPS has been built, or it has no such file.
    """
    root = _existing(data_dir).resolve()
    missing = HiPSNotFoundError(f"the HiPS has no file {relative!r}")
    if not SERVABLE.match(relative):
        raise missing
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise missing
    return path, CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def default_order(pixel_scale: float, tile_width: int = DEFAULT_TILE_WIDTH) -> int:
    """The order whose HiPS pixels are closest to ``pixel_scale`` (arcsec), as reproject picks it.

    Examples
    --------
    >>> default_order(1.0), default_order(4.0), default_order(0.263)
    (9, 7, 11)
    """
    import astropy.units as u
    from astropy_healpix import nside_to_level, pixel_resolution_to_nside

    nside = pixel_resolution_to_nside(pixel_scale * tile_width * u.arcsec)
    return int(nside_to_level(nside))


def _pixel_degrees(order: int, tile_width: int) -> float:
    """The side of a HiPS pixel (a HEALPix cell of NSIDE ``2**order * tile_width``), degrees."""
    return math.degrees(math.sqrt(4 * math.pi / (12 * (2**order * tile_width) ** 2)))


@dataclass(frozen=True)
class _TileJob:
    """One image tile to turn into a HiPS: the work of one worker process."""

    tile: str
    images: tuple[str, ...]
    work: str
    order: int
    tile_width: int
    lupton: tuple[float, float, float]


def _colour_png(job: _TileJob) -> Path:
    """The tile's colour image as a PNG with its WCS in AVM metadata (north up, as PNGs are)."""
    from astropy.io import fits
    from astropy.visualization import make_lupton_rgb
    from astropy.wcs import WCS
    from PIL import Image
    from pyavm import AVM

    planes = []
    header = None
    for path in job.images:
        with fits.open(path) as hdul:
            hdu = next(h for h in hdul if h.is_image and h.data is not None)
            planes.append(np.nan_to_num(np.asarray(hdu.data, dtype=np.float32)))
            header = header if header is not None else hdu.header
    if len({plane.shape for plane in planes}) != 1:
        raise ValueError(f"the bands of tile {job.tile} differ in size")
    wcs = WCS(header).celestial
    planes, wcs = _binned(planes, wcs, _pixel_degrees(job.order, job.tile_width))
    minimum, stretch, q = job.lupton
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 where all bands are <= 0
        rgb = make_lupton_rgb(*planes, minimum=minimum, stretch=stretch, Q=q)
    del planes
    plain = Path(job.work) / f"{job.tile}.plain.png"
    tagged = Path(job.work) / f"{job.tile}.png"
    Image.fromarray(np.ascontiguousarray(rgb[::-1])).save(plain, compress_level=1)
    avm = AVM.from_wcs(wcs, shape=rgb.shape[:2])
    avm.Spatial.Equinox = 2000.0
    avm.embed(str(plain), str(tagged))
    plain.unlink()
    return tagged


def _binned(
    planes: list[npt.NDArray[np.float32]], wcs: WCS, hips_pixel: float
) -> tuple[list[npt.NDArray[np.float32]], WCS]:
    """The planes averaged in blocks of ``b x b`` pixels, and their WCS, where the HiPS pixels
    (``hips_pixel`` degrees) are at least twice as large as ``b`` image pixels: reprojection
    then reads ``b**2`` times fewer pixels and loses nothing it would show."""
    from astropy.wcs.utils import proj_plane_pixel_scales

    scale = float(np.mean(np.abs(proj_plane_pixel_scales(wcs))))
    b = max(1, math.floor(hips_pixel / (HIPS_BIN_SAMPLING * scale)))
    if b == 1:
        return planes, wcs
    rows, columns = (planes[0].shape[0] // b) * b, (planes[0].shape[1] // b) * b
    binned = [
        plane[:rows, :columns].reshape(rows // b, b, columns // b, b).mean(axis=(1, 3))
        for plane in planes
    ]
    coarse = wcs.deepcopy()
    if coarse.wcs.has_cd():
        coarse.wcs.cd = coarse.wcs.cd * b
    else:
        coarse.wcs.cdelt = coarse.wcs.cdelt * b
    coarse.wcs.crpix = (coarse.wcs.crpix - 0.5) / b + 0.5
    return binned, coarse


def _tile_hips(job: _TileJob) -> str:
    """Build the HiPS of one image tile; returns its folder."""
    from reproject import reproject_interp
    from reproject.hips import reproject_to_hips

    image = _colour_png(job)
    out = Path(job.work) / f"{job.tile}.hips"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyavm and reproject chatter about defaults
        reproject_to_hips(
            str(image),
            coord_system_out="equatorial",
            reproject_function=reproject_interp,
            output_directory=str(out),
            level=job.order,
            tile_size=job.tile_width,
        )
    image.unlink()
    return str(out)


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pool_context() -> multiprocessing.context.BaseContext:
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _run_jobs(
    jobs: list[_TileJob], workers: int, done: Callable[[_TileJob, int], None]
) -> list[str]:
    """Run every tile job, in a process pool when there are several cores and jobs."""
    folders: list[str] = []
    if workers <= 1 or len(jobs) <= 1 or multiprocessing.current_process().daemon:
        for job in jobs:
            folders.append(_tile_hips(job))
            done(job, len(folders))
        return folders
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in a multi-threaded process; the workers touch no
        # lock of the parent's threads.
        warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            futures = {pool.submit(_tile_hips, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    folders.append(future.result())
                    done(futures[future], len(folders))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return sorted(folders)  # the same merge order whatever order the workers finished in


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """A fresh hidden sibling path of ``out_dir`` (not yet created), renamed to it on success
    and removed on failure."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".tmp-{out_dir.name}-{secrets.token_hex(6)}"
    try:
        yield staging
        if out_dir.exists():
            raise FileExistsError(f"{out_dir} appeared while the HiPS was being built")
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _read_release(data_dir: Path) -> dict[str, Any]:
    path = data_dir / _RELEASE_FILE
    try:
        release: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SurveylabError(
            f"{data_dir} holds no release ({_RELEASE_FILE} is missing): "
            "run `surveylab demo-data` first"
        ) from None
    except ValueError as err:
        raise SurveylabError(f"{path} is not valid JSON: {err}") from None
    return release


def _check_bands(bands: Sequence[str] | None, available: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(DEFAULT_BANDS if bands is None else bands)
    if isinstance(bands, str):
        chosen = tuple(bands)
    if len(chosen) != 3:
        raise ValueError(f"bands must be three bands (red, green, blue), not {list(chosen)}")
    unknown = [band for band in chosen if band not in available]
    if unknown:
        raise ValueError(
            f"the release has no images in band(s) {', '.join(unknown)}; "
            f"its bands: {', '.join(available)}"
        )
    return chosen


def _check_order(order: int | None, pixel_scale: float, tile_width: int) -> int:
    if order is None:
        return min(default_order(pixel_scale, tile_width), MAX_ORDER)
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ValueError(f"order must be an integer from 1 to {MAX_ORDER}, not {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be an integer from 1 to {MAX_ORDER}, not {order}")
    return int(order)


def _check_format(tile_format: str) -> str:
    if tile_format not in TILE_FORMATS:
        raise ValueError(
            f"tile_format must be one of {', '.join(TILE_FORMATS)}, not {tile_format!r}"
        )
    return tile_format


def _check_width(tile_width: int) -> int:
    if (
        isinstance(tile_width, bool)
        or not isinstance(tile_width, int)
        or tile_width < 64
        or tile_width > 1024
        or tile_width & (tile_width - 1)
    ):
        raise ValueError(f"tile_width must be a power of 2 from 64 to 1024, not {tile_width!r}")
    return tile_width


def _tile_indices(root: Path, order: int, extension: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    names = (root / f"Norder{order}").glob(f"Dir*/Npix*.{extension}")
    return np.array(sorted(int(path.stem.removeprefix("Npix")) for path in names), dtype=np.int64)


def _write_moc(root: Path, order: int, indices: np.ndarray[Any, np.dtype[np.int64]]) -> float:
    """``Moc.fits`` of the tiles at ``order``; returns the sky fraction it covers."""
    from mocpy import MOC  # type: ignore[import-untyped]  # mocpy ships no type hints

    moc = MOC.from_healpix_cells(indices, np.full(indices.shape, order, dtype=np.uint8), order)
    moc.serialize("fits", v1_compatible=True).writeto(root / "Moc.fits")
    return float(moc.sky_fraction)


def _to_jpeg(root: Path) -> None:
    """Replace every PNG tile by a JPEG, transparent pixels black."""
    from PIL import Image

    for path in root.glob("Norder*/Dir*/Npix*.png"):
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (0, 0, 0))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        flat.save(path.with_suffix(".jpg"), quality=_JPEG_QUALITY)
        path.unlink()


def _properties_text(properties: dict[str, Any]) -> str:
    width = max(len(key) for key in properties)
    lines = ["# HiPS properties (IVOA HiPS 1.0), written by surveylab"]
    lines += [f"{key:<{width}} = {value}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "release"


def build_hips(
    data_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    bands: Sequence[str] | None = None,
    order: int | None = None,
    tile_format: str = "png",
    tile_width: int = DEFAULT_TILE_WIDTH,
    lupton: tuple[float, float, float] = DEFAULT_LUPTON,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> HiPSBuild:
    """Build a colour HiPS of the release in ``data_dir`` from its coadd tiles.

    Parameters
    ----------
    data_dir : str or Path
        The release folder (``release.json``, ``images/<TILE>/<TILE>_<band>.fits.fz``).
    out_dir : str or Path, optional
        The HiPS folder to create; it must not exist. Default ``<data_dir>/hips``, where
        :func:`hips_dir` and the server look.
    bands : sequence of 3 str, optional
        The bands shown as red, green and blue; default i, r, g.
    order : int, optional
        The deepest HiPS order, 1 to 13. Default: the order whose pixels are closest to the
        images' (9 for 1″ pixels, 7 for 4″).
    tile_format : {"png", "jpeg"}
        PNG tiles are transparent where nothing is imaged; JPEG tiles are black there.
    tile_width : int
        Tile side in pixels, a power of 2 from 64 to 1024.
    lupton : (minimum, stretch, Q)
        The colour stretch (astropy ``make_lupton_rgb``), the same for every tile.
    workers : int, optional
        Worker processes; default one per available core, at most 4.
    progress : callable, optional
        ``progress(message, fraction)`` as tiles complete; an exception it raises aborts the
        build, leaving nothing behind.

    Returns
    -------
    HiPSBuild

    Raises
    ------
    FileExistsError
        If the output folder exists.
    SurveylabError
        If ``data_dir`` holds no release, or an image is missing.
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> build = build_hips(release_dir, order=5)  # doctest: +SKIP
    >>> hips_properties(release_dir)["obs_title"]  # doctest: +SKIP
    'DEMO DR1'
    """
    from reproject.hips import coadd_hips

    started = time.perf_counter()
    data = Path(data_dir).expanduser().absolute()
    release = _read_release(data)
    name = str(release.get("release", data.name))
    chosen = _check_bands(bands, [str(band) for band in release.get("bands", [])])
    tile_width = _check_width(tile_width)
    pixel_scale = float(release.get("pixel_scale", 1.0))
    level = _check_order(order, pixel_scale, tile_width)
    tile_format = _check_format(tile_format)
    minimum, stretch, q = (float(value) for value in lupton)
    if not all(math.isfinite(v) for v in (minimum, stretch, q)) or stretch <= 0 or q < 0:
        raise ValueError(f"lupton must be (minimum, stretch > 0, Q >= 0), not {lupton!r}")
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable progress(message, fraction) or None")
    tiles = [str(tile) for tile in release.get("image_tiles", [])]
    if not tiles:
        raise SurveylabError(f"the release in {data} has no image tiles to build a HiPS from")
    images = {
        tile: tuple(str(data / "images" / tile / f"{tile}_{band}.fits.fz") for band in chosen)
        for tile in tiles
    }
    missing = [path for paths in images.values() for path in paths if not Path(path).is_file()]
    if missing:
        raise SurveylabError(f"image(s) missing from the release: {', '.join(missing)}")
    out = hips_dir(data) if out_dir is None else Path(out_dir).expanduser().absolute()
    if out.exists():
        raise FileExistsError(f"{out} exists already; remove it or choose another folder")

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, min(max(fraction, 0.0), 1.0))

    n_workers = workers if workers is not None else min(_available_cores(), MAX_WORKERS)
    work = out.parent / f".tmp-{out.name}-work-{secrets.token_hex(6)}"
    try:
        with _staging(out) as staging:
            work.mkdir(parents=True)
            jobs = [
                _TileJob(tile, images[tile], str(work), level, tile_width, (minimum, stretch, q))
                for tile in tiles
            ]
            report(f"Building HiPS order {level} of {len(jobs)} image tiles", 0.0)

            def done(job: _TileJob, count: int) -> None:
                report(f"HiPS of tile {count}/{len(jobs)} ({job.tile})", 0.9 * count / len(jobs))

            folders = _run_jobs(jobs, n_workers, done)
            report("Merging the tiles' HiPS", 0.9)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                coadd_hips(folders, str(staging))
            first = _parse_properties((Path(folders[0]) / _PROPERTIES).read_text())
            shutil.rmtree(work)
            indices = _tile_indices(staging, level, "png")
            if indices.size == 0:
                raise SurveylabError("the images cover no HiPS tile")
            sky_fraction = _write_moc(staging, level, indices)
            if tile_format == "jpeg":
                report("Converting tiles to JPEG", 0.95)
                _to_jpeg(staging)
            m2 = release.get("m2") or {}
            properties: dict[str, Any] = {
                "creator_did": f"ivo://surveylab/P/{_slug(name)}/colour",
                "obs_title": name,
                "obs_description": (
                    f"{name} coadd tiles as colour images: {chosen[0]}, {chosen[1]}, {chosen[2]} "
                    f"as red, green, blue (Lupton et al. 2004: minimum {minimum:g}, "
                    f"stretch {stretch:g}, Q {q:g})"
                ),
                "obs_regime": "Optical",
                "dataproduct_type": "image",
                "hips_version": "1.4",
                "hips_builder": f"surveylab {__version__} (astropy/reproject)",
                "hips_release_date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                "hips_status": "public master clonableOnce",
                "hips_frame": "equatorial",
                "hips_order": level,
                "hips_order_min": 0,
                "hips_tile_width": tile_width,
                "hips_tile_format": tile_format,
                "hips_pixel_scale": f"{_pixel_degrees(level, tile_width):.6g}",
                "s_pixel_scale": f"{pixel_scale / 3600.0:.6g}",
                "hips_initial_ra": float(m2.get("ra", 0.0)),
                "hips_initial_dec": float(m2.get("dec", 0.0)),
                "hips_initial_fov": 2.0,
                "hips_rgb_red": chosen[0],
                "hips_rgb_green": chosen[1],
                "hips_rgb_blue": chosen[2],
                "moc_sky_fraction": f"{sky_fraction:.6g}",
            }
            if not m2:  # no M2: start on the first image tile
                properties["hips_initial_ra"] = float(first.get("hips_initial_ra", 0.0))
                properties["hips_initial_dec"] = float(first.get("hips_initial_dec", 0.0))
            (staging / _PROPERTIES).write_text(_properties_text(properties), encoding="utf-8")
            report(f"HiPS of {name} written", 1.0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return HiPSBuild(
        path=out,
        release=name,
        order=level,
        tile_width=tile_width,
        tile_format=tile_format,
        bands=chosen,
        tiles=int(indices.size),
        seconds=time.perf_counter() - started,
    )

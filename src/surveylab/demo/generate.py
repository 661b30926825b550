"""``generate_demo``: write the whole DEMO DR1 release, atomically.

Everything is built in a hidden sibling folder (``.tmp-<name>-<random>``) and renamed into place
only when complete, so a crash, an interrupt or an exception raised by the progress callback
never leaves a half-written release (nor the temporary folder) behind.

Randomness comes from one ``numpy.random.SeedSequence`` per purpose, keyed by the seed and a
stream number (and, for images, the tile and band), so that the same seed gives the same catalog
and the same pixels whatever the number of worker processes or the order they finish in.

Images are rendered by a pool of worker processes, one per available core (at most
``MAX_WORKERS``), started with ``fork`` where the platform has it: unlike ``spawn``, ``fork``
never re-runs the caller's ``__main__`` (a script without an ``if __name__ == "__main__"`` guard
would otherwise start generating again in every worker), and the workers start at once with
numpy and astropy already imported. If the pool breaks, the remaining images are rendered in the
calling process.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import numbers
import os
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .anomalies import anomaly_sources, truth_table
from .database import write_catalog
from .images import (
    STAMP_RADII,
    SURVEY,
    ImageResult,
    ImageSources,
    ImageSpec,
    draw_seeing,
    make_image,
)
from .observe import main_table
from .photometry import BANDS
from .population import (
    M2_DEC,
    M2_RA,
    M2_STARS,
    STAR_FRACTION,
    Population,
    deep_sources,
    field_galaxies,
    field_stars,
    m2_cluster,
)
from .tiling import TILE_SIZE, Tiling, demo_tiling

__all__ = [
    "CATALOG_FILE",
    "DEEP_OBJECTS",
    "IMAGES_DIR",
    "M2_EXAMPLE_QUERY",
    "RELEASE_FILE",
    "RELEASE_NAME",
    "DemoRelease",
    "Progress",
    "default_image_tiles",
    "generate_demo",
]

#: Name of the release, in ``release.json`` and image headers.
RELEASE_NAME = SURVEY
#: Files and folders inside a release folder.
CATALOG_FILE = "catalog.duckdb"
RELEASE_FILE = "release.json"
IMAGES_DIR = "images"
#: Tile side in arcsec, which fixes the default image size for a pixel scale.
TILE_SIZE_ARCSEC = TILE_SIZE * 3600.0
#: Largest image side accepted, pixels (a 20000^2 float32 image is 1.6 GB).
MAX_TILE_PIXELS = 20_000
#: Smallest image side accepted, pixels.
MIN_TILE_PIXELS = 16

#: Most image worker processes (each holds one float32 image: 400 MB at full resolution).
MAX_WORKERS = 4
#: cgroup v2 CPU quota of this process ("max" or "<quota> <period>").
_CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"

#: Random streams, one per purpose (see the module docstring).
_STREAM_STARS = 1
_STREAM_GALAXIES = 2
_STREAM_M2 = 3
_STREAM_MEASURE = 4
_STREAM_IMAGE_NOISE = 5
_STREAM_SEEING = 6
_STREAM_DEEP = 7
_STREAM_ANOMALIES = 8

#: Objects of the deep population added to each imaged tile by default: with the field's, about
#: DES's 68,000 a tile.
DEEP_OBJECTS = 60_000
#: Image sources farther than this from an image's edge are not drawn (arcsec): the longest
#: satellite trail's half length.
ANOMALY_MARGIN = 300.0

#: DES's example query for M2's stars, which the demo release answers with thousands of rows.
M2_EXAMPLE_QUERY = (
    "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G G, MAG_AUTO_R R, "
    "WAVG_MAG_PSF_G G_PSF, WAVG_MAG_PSF_R R_PSF\n"
    """FROM DR1_MAIN
WHERE RA between 323.36-0.12 and 323.36+0.12 and DEC between -0.82-0.12 and -0.82+0.12
  and WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005 and WAVG_SPREAD_MODEL_I > -1
  and IMAFLAGS_ISO_G = 0 and IMAFLAGS_ISO_R = 0 and FLAGS_G < 4 and FLAGS_R < 4"""
)

#: Rough cost of each stage on one core, seconds per unit, to weight the progress bar.
_SECONDS_PER_OBJECT = 3.3e-6
_SECONDS_PER_PIXEL = 1e-7
_SECONDS_PER_PLACEMENT = 2e-5


@dataclass(frozen=True)
class DemoRelease:
    """What :func:`generate_demo` wrote.

    Attributes
    ----------
    path : Path
        The release folder.
    release : str
        ``"DEMO DR1"``.
    objects : int
        Field objects requested (the ``objects`` argument).
    rows : int
        Rows of ``DR1_MAIN``: ``objects``, ``cluster_stars``, and the deep population and
        injected anomalies of the imaged tiles.
    cluster_stars : int
        Stars of the globular cluster M2, added whatever ``objects``.
    seed : int
        The random seed: the same seed gives the same tables and pixels.
    deep_objects : int
        Objects of the deep population of each imaged tile.
    anomalies : int
        Rows of ``DR1_ANOMALY_TRUTH``.
    bands : tuple of str
        Bands with images (the catalog always has all of g, r, i, z, Y).
    pixel_scale : float
        Image pixel scale, arcsec.
    tile_pixels : int
        Image side, pixels.
    tiles : int
        Tiles in ``DR1_TILE_INFO``.
    image_tiles : tuple of str
        Tiles with images.
    created : str
        ISO 8601 UTC time of creation (the one thing that differs between identical runs).
    """

    path: Path
    release: str
    objects: int
    rows: int
    cluster_stars: int
    seed: int
    deep_objects: int
    anomalies: int
    bands: tuple[str, ...]
    pixel_scale: float
    tile_pixels: int
    tiles: int
    image_tiles: tuple[str, ...]
    created: str
    generator: str = field(default="surveylab.demo")

    @property
    def catalog(self) -> Path:
        """The DuckDB file."""
        return self.path / CATALOG_FILE

    def image_path(self, tile: str, band: str) -> Path:
        """Where the image of ``tile`` in ``band`` is (whether or not it was made)."""
        return self.path / image_relative_path(tile, band)

    def to_json(self) -> dict[str, Any]:
        """The contents of ``release.json``."""
        data = asdict(self)
        del data["path"]
        data["bands"] = list(self.bands)
        data["image_tiles"] = list(self.image_tiles)
        data["m2"] = {"ra": M2_RA, "dec": M2_DEC}
        return data


def image_relative_path(tile: str, band: str) -> str:
    """``images/<TILE>/<TILE>_<band>.fits.fz``, relative to the release folder."""
    return f"{IMAGES_DIR}/{tile}/{tile}_{band}.fits.fz"


ProgressCallback = Callable[[str, float], None]


class Progress:
    """Maps stage-local progress onto one 0..1 fraction and reports it to a callback.

    Parameters
    ----------
    callback : callable or None
        ``callback(message, fraction)``; exceptions it raises propagate (and abort the run).
    weights : dict
        Relative cost of each stage, in the order the stages run.
    """

    def __init__(self, callback: ProgressCallback | None, weights: dict[str, float]) -> None:
        self._callback = callback
        total = sum(weights.values()) or 1.0
        self._starts: dict[str, float] = {}
        self._spans: dict[str, float] = {}
        start = 0.0
        for stage, weight in weights.items():
            self._starts[stage] = start
            self._spans[stage] = weight / total
            start += weight / total
        self._last = 0.0

    def __call__(self, stage: str, message: str, done: float = 0.0) -> None:
        """Report ``done`` (0..1) of ``stage`` with ``message``."""
        fraction = self._starts[stage] + self._spans[stage] * min(max(done, 0.0), 1.0)
        self._last = max(self._last, min(fraction, 1.0))
        if self._callback is not None:
            self._callback(message, self._last)

    def finish(self, message: str) -> None:
        """Report completion."""
        self._last = 1.0
        if self._callback is not None:
            self._callback(message, 1.0)


def default_image_tiles(tiling: Tiling) -> tuple[str, ...]:
    """M2's tile, its 8 neighbours, and the tile holding (RA, Dec) = (0, 0), which crosses RA 0."""
    m2 = tiling.tiles[int(tiling.locate(np.array([M2_RA]), np.array([M2_DEC]))[0])]
    origin = tiling.tiles[int(tiling.locate(np.array([0.0]), np.array([0.0]))[0])]
    names = [m2.name, *(tile.name for tile in tiling.neighbours(m2.name)), origin.name]
    return tuple(dict.fromkeys(names))


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_bands(bands: Sequence[str]) -> tuple[str, ...]:
    by_lower = {band.lower(): band for band in BANDS}
    checked: list[str] = []
    for band in bands:
        canonical = by_lower.get(str(band).lower())
        if canonical is None:
            raise ValueError(f"unknown band {band!r}: the bands are {', '.join(BANDS)}")
        if canonical in checked:
            raise ValueError(f"band {canonical!r} given twice")
        checked.append(canonical)
    return tuple(checked)


def _check_tiles(tiling: Tiling, image_tiles: Sequence[str] | None) -> tuple[str, ...]:
    if image_tiles is None:
        return default_image_tiles(tiling)
    if isinstance(image_tiles, str):
        image_tiles = [image_tiles]
    unknown = [name for name in image_tiles if name not in tiling]
    if unknown:
        raise ValueError(
            f"unknown image tile(s) {', '.join(map(repr, unknown))}: DEMO DR1 tiles are named "
            f"like 'DES2134-0041' and cover RA 310..360..20 deg, Dec -3.9..+1.8 deg"
        )
    return tuple(dict.fromkeys(image_tiles))


def _image_pixels(pixel_scale: float, tile_pixels: int | None) -> int:
    if isinstance(pixel_scale, bool) or not isinstance(pixel_scale, numbers.Real):
        raise ValueError(f"pixel_scale must be a number of arcsec, got {pixel_scale!r}")
    if not math.isfinite(float(pixel_scale)) or pixel_scale <= 0:
        raise ValueError(f"pixel_scale must be a positive number of arcsec, got {pixel_scale!r}")
    if tile_pixels is None:
        pixels = round(TILE_SIZE_ARCSEC / pixel_scale)
        if pixels > MAX_TILE_PIXELS:
            raise ValueError(
                f"pixel_scale {pixel_scale} arcsec makes {pixels} x {pixels} images; the largest "
                f"is {MAX_TILE_PIXELS}: choose a larger scale or set tile_pixels"
            )
        return max(pixels, MIN_TILE_PIXELS)
    pixels = _positive_int("tile_pixels", tile_pixels)
    if not MIN_TILE_PIXELS <= pixels <= MAX_TILE_PIXELS:
        raise ValueError(
            f"tile_pixels must lie between {MIN_TILE_PIXELS} and {MAX_TILE_PIXELS}, got {pixels}"
        )
    return pixels


def _available_cores() -> int:
    """Cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (as in a
    Kubernetes pod, which sees all of the node's cores)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = Path(_CGROUP_CPU_MAX).read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


def _workers(jobs: int) -> int:
    """Worker processes for ``jobs`` images: one per available core up to ``MAX_WORKERS``, or
    none (render in this process) for a single image, a single core, or where a pool cannot run
    (a daemon process cannot have children)."""
    if jobs <= 1 or multiprocessing.current_process().daemon:
        return 0
    cores = _available_cores()
    return min(cores, jobs, MAX_WORKERS) if cores > 1 else 0


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """A temporary sibling of ``out_dir``, renamed to it on success and removed on failure."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # not tempfile.mkdtemp: its 0o700 mode would stay on the release, which other users
        # (every JupyterHub user) must be able to read; mkdir honours the umask instead
        staging = out_dir.parent / f".tmp-{out_dir.name}-{secrets.token_hex(6)}"
        try:
            staging.mkdir()
            break
        except FileExistsError:
            continue
    try:
        yield staging
        if out_dir.exists():
            raise FileExistsError(f"{out_dir} appeared while the demo release was being written")
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _population(
    objects: int, seed: int, tiling: Tiling, image_tiles: Sequence[str], deep_objects: int
) -> Population:
    def rng(*key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))

    stars = round(objects * STAR_FRACTION)
    parts = [
        field_stars(rng(_STREAM_STARS), stars, tiling),
        field_galaxies(rng(_STREAM_GALAXIES), objects - stars, tiling),
        m2_cluster(rng(_STREAM_M2), M2_STARS),
    ]
    for name in image_tiles:
        index = tiling.index(name)
        if deep_objects:
            parts.append(deep_sources(rng(_STREAM_DEEP, index), tiling.tile(name), deep_objects))
        parts.append(anomaly_sources(rng(_STREAM_ANOMALIES, index), tiling.tile(name), index))
    return Population.concatenate(parts)


def _tile_table(
    tiling: Tiling, counts: np.ndarray[Any, Any], images: set[tuple[str, str]]
) -> dict[str, Any]:
    tiles = tiling.tiles
    table: dict[str, Any] = {
        "TILENAME": [t.name for t in tiles],
        "RA_CENT": [t.ra for t in tiles],
        "DEC_CENT": [t.dec for t in tiles],
    }
    for k in range(4):
        table[f"RAC{k + 1}"] = [t.corners[k][0] for t in tiles]
        table[f"DECC{k + 1}"] = [t.corners[k][1] for t in tiles]
    table.update(
        URAMIN=[t.uramin for t in tiles],
        URAMAX=[t.uramax for t in tiles],
        UDECMIN=[t.udecmin for t in tiles],
        UDECMAX=[t.udecmax for t in tiles],
        CROSSRA0=["Y" if t.crosses_ra0 else "N" for t in tiles],
        NOBJECTS=counts.astype(np.int64),
    )
    for band in BANDS:
        table[f"FITS_{band.upper()}"] = pa.array(
            [
                image_relative_path(t.name, band) if (t.name, band) in images else None
                for t in tiles
            ],
            type=pa.string(),
        )
    return table


def _image_sources(population: Population, spec: ImageSpec, margin_pixels: int) -> ImageSources:
    """The sources whose stamps may reach the image of ``spec`` (a generous box around it)."""
    half = (spec.pixels / 2.0 + margin_pixels) * spec.pixel_scale / 3600.0
    d_dec = np.abs(population.dec - spec.dec)
    d_ra = np.abs(np.mod(population.ra - spec.ra + 180.0, 360.0) - 180.0)
    reach = np.where(population.anomaly > 0, half + ANOMALY_MARGIN / 3600.0, half) * 1.01
    near = (d_dec <= reach) & (d_ra * np.cos(np.radians(population.dec)) <= reach)
    index = np.flatnonzero(near)
    return ImageSources(
        ra=population.ra[index],
        dec=population.dec[index],
        mag=population.mags[spec.band][index],
        size=population.size[index],
        axis_ratio=population.axis_ratio[index],
        position_angle=population.position_angle[index],
        is_star=population.is_star[index],
        bulge_fraction=population.bulge_fraction[index],
        anomaly=population.anomaly[index],
        anomaly_scale=population.anomaly_scale[index],
    )


def _image_specs(
    tiling: Tiling,
    names: Sequence[str],
    bands: Sequence[str],
    seed: int,
    pixels: int,
    pixel_scale: float,
    root: Path,
) -> list[ImageSpec]:
    specs = []
    for name in names:
        tile = tiling.tile(name)
        tile_index = tiling.index(name)
        for band in bands:
            band_index = BANDS.index(band)
            seeing_rng = np.random.default_rng(
                np.random.SeedSequence(seed, spawn_key=(_STREAM_SEEING, tile_index, band_index))
            )
            specs.append(
                ImageSpec(
                    tile=name,
                    band=band,
                    ra=tile.ra,
                    dec=tile.dec,
                    pixels=pixels,
                    pixel_scale=pixel_scale,
                    fwhm=draw_seeing(band, seeing_rng),
                    seed=(seed, _STREAM_IMAGE_NOISE, tile_index, band_index),
                    path=str(root / image_relative_path(name, band)),
                )
            )
    return specs


def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` where available: workers start at once and, unlike ``spawn``, never re-run an
    unguarded ``__main__`` script. The workers only run numpy and astropy on their arguments."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _render_all(
    specs: list[ImageSpec],
    population: Population,
    progress: Progress,
) -> list[ImageResult]:
    """Render every image, in a process pool when there are several cores and images.

    At most two tasks per worker are in flight, so that source lists are cut lazily. If the
    pool breaks (a worker killed, e.g. by the out-of-memory killer), the images not yet made
    are rendered in this process.
    """
    margin = max(STAMP_RADII)
    results: list[ImageResult] = []

    def done(result: ImageResult) -> None:
        results.append(result)
        progress(
            "images",
            f"Rendered image {len(results)}/{len(specs)} ({result.tile} {result.band})",
            len(results) / len(specs),
        )

    def sources(spec: ImageSpec) -> ImageSources:
        return _image_sources(population, spec, margin)

    # images of one seeing in a row, so that each worker builds few template libraries
    remaining = sorted(specs, key=lambda spec: spec.fwhm)
    workers = _workers(len(specs))
    if workers:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
        in_flight: dict[Future[ImageResult], ImageSpec] = {}
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns about fork() in a multi-threaded process; the workers
                # touch no lock of the parent's threads.
                warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
                while remaining or in_flight:
                    while remaining and len(in_flight) < 2 * workers:
                        spec = remaining.pop(0)
                        in_flight[pool.submit(make_image, spec, sources(spec))] = spec
                    finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        del in_flight[future]
                        done(future.result())
        except BrokenProcessPool:
            made = {(result.tile, result.band) for result in results}
            remaining = [spec for spec in specs if (spec.tile, spec.band) not in made]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    for spec in remaining:
        Path(spec.path).unlink(missing_ok=True)
        done(make_image(spec, sources(spec)))
    return results


def generate_demo(
    out_dir: str | Path,
    *,
    objects: int = 1_000_000,
    seed: int = 20261121,
    image_tiles: Sequence[str] | None = None,
    pixel_scale: float = 0.6,
    tile_pixels: int | None = None,
    bands: Sequence[str] = ("g", "r", "i"),
    deep_objects: int = DEEP_OBJECTS,
    progress: Callable[[str, float], None] | None = None,
) -> DemoRelease:
    """Generate the DEMO DR1 release into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Release folder to create; it must not exist. Its parent is created if needed.
    objects : int
        Field objects (stars and galaxies) over the footprint; M2's ``M2_STARS`` stars, and the
        deep population and anomalies of the imaged tiles, come on top.
    seed : int
        Random seed (>= 0): the same seed gives identical tables and pixels.
    image_tiles : sequence of str, optional
        Tiles to make images of. Default: M2's tile, its 8 neighbours, and the tile at
        (0, 0) that crosses RA 0. An empty sequence makes no images.
    pixel_scale : float
        Image pixel scale in arcsec (0.6: 4383 x 4383 images; DES's 0.263: 10000 x 10000).
    tile_pixels : int, optional
        Image side in pixels, centred on the tile; default ``round(2630 / pixel_scale)``,
        the whole tile.
    bands : sequence of str
        Bands to make images in (the catalog always has all five); default g, r, i.
    deep_objects : int
        Faint objects (6% stars) added to each imaged tile, which brings it to DES's density;
        0 for none. Each imaged tile also gets its injected anomalies (``DR1_ANOMALY_TRUTH``).
    progress : callable, optional
        ``progress(message, fraction)``, called as work proceeds with ``fraction`` rising from
        0 to 1. An exception it raises aborts the run, leaving nothing behind.

    Returns
    -------
    DemoRelease

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists.
    ValueError
        If an argument is out of range: ``objects`` or ``pixel_scale`` not positive, an unknown
        band or image tile, an image too large.

    Examples
    --------
    >>> release = generate_demo(tmp / "demo", objects=10_000, image_tiles=[])  # doctest: +SKIP
    >>> release.rows
    14000
    """
    started = time.perf_counter()
    out = Path(out_dir).expanduser().absolute()
    objects = _positive_int("objects", objects)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    pixels = _image_pixels(pixel_scale, tile_pixels)
    if isinstance(deep_objects, bool) or not isinstance(deep_objects, int | np.integer):
        raise ValueError(f"deep_objects must be a non-negative integer, got {deep_objects!r}")
    if deep_objects < 0:
        raise ValueError(f"deep_objects must be a non-negative integer, got {deep_objects!r}")
    band_list = _check_bands(bands)
    tiling = demo_tiling()
    tile_names = _check_tiles(tiling, image_tiles)
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable progress(message, fraction) or None")
    if out.exists():
        raise FileExistsError(f"{out} exists already; remove it or choose another folder")

    n_images = len(tile_names) * len(band_list)
    workers = max(1, _workers(n_images))
    rows = objects + len(tile_names) * deep_objects
    report = Progress(
        progress,
        {
            "sources": rows * _SECONDS_PER_OBJECT * 0.75,
            "catalog": rows * _SECONDS_PER_OBJECT * 0.25,
            "images": n_images
            * (pixels**2 * _SECONDS_PER_PIXEL + deep_objects * _SECONDS_PER_PLACEMENT)
            / workers,
        },
    )
    with _staging(out) as staging:
        report("sources", f"Drawing {objects:,} objects and M2 over {len(tiling)} tiles")
        population = _population(objects, seed, tiling, tile_names, deep_objects)
        measure_rng = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(_STREAM_MEASURE,))
        )
        report("sources", "Measuring magnitudes, shapes and flags", 0.6)
        columns, tile_index = main_table(population, tiling, measure_rng)

        report("catalog", f"Writing {len(population):,} rows to {CATALOG_FILE}")
        images = {(name, band) for name in tile_names for band in band_list}
        counts = np.bincount(tile_index, minlength=len(tiling))
        truth = truth_table(columns)
        write_catalog(staging / CATALOG_FILE, columns, _tile_table(tiling, counts, images), truth)
        del columns

        specs = _image_specs(
            tiling, tile_names, band_list, seed, pixels, float(pixel_scale), staging
        )
        (staging / IMAGES_DIR).mkdir()
        for name in dict.fromkeys(spec.tile for spec in specs):
            (staging / IMAGES_DIR / name).mkdir()
        if specs:
            report("images", f"Rendering {len(specs)} images of {pixels} x {pixels} pixels")
            _render_all(specs, population, report)

        release = DemoRelease(
            path=out,
            release=RELEASE_NAME,
            objects=objects,
            rows=len(population),
            cluster_stars=M2_STARS,
            seed=seed,
            deep_objects=deep_objects,
            anomalies=len(truth["COADD_OBJECT_ID"]),
            bands=band_list,
            pixel_scale=float(pixel_scale),
            tile_pixels=pixels,
            tiles=len(tiling),
            image_tiles=tile_names,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        (staging / RELEASE_FILE).write_text(json.dumps(release.to_json(), indent=2) + "\n")
        report.finish(f"{RELEASE_NAME} written in {time.perf_counter() - started:.1f} s")
    return release

"""Cutout jobs on full-resolution DES-like tiles, against the naive way and the limit.

Usage::

    .venv/bin/python benchmarks/bench_cutouts.py [--positions 10000] [--tiles 4] [--quick]
        [--keep DIR]

It renders ``--tiles`` DEMO DR1 tiles around M2 at DES resolution (10000 x 10000 pixels of
0.263") in g, r and i with the demo's image functions (noise, PSF-convolved sources), and writes
them RICE-compressed with DES's row tiling (one compression tile per row, as fpack does), into a
temporary folder (or ``--keep DIR``, reused when it already holds them). It then puts
``--positions`` random 1' positions over those tiles and times, in the same run:

- **our job**: ``Survey.cutouts(..., bands="i")`` from submit to COMPLETED (files published),
  FITS only, then FITS plus PNG previews;
- **the naive way**: per position, open the tile and ``Cutout2D`` its ``section`` then write the
  FITS file with astropy (on a subset, scaled to all positions);
- **the limit**: decompress each needed tile once, then slice every cutout (one core), no files.

The FITS ratio (limit time / our time, target >= 0.5) is printed, with the ratio to the limit
plus writing each slice's bytes to a file of its own (file creation is part of any job), then a
colour-image rate (``rgb="irg"`` on a subset) with its breakdown per image: reading,
``make_lupton_rgb``, PNG and JPEG encoding, and the peak memory of the main process and of the
largest worker.

``--quick``: 2 tiles, 2,000 positions.
"""

from __future__ import annotations

import argparse
import io
import math
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS

from surveylab import Settings, Survey
from surveylab.cutouts.writers import lupton_rgb, write_jpeg, write_png
from surveylab.demo import M2_DEC, M2_RA, demo_tiling
from surveylab.demo.images import (
    QUANTIZE_LEVEL,
    ImageSources,
    ImageSpec,
    dither_seed,
    draw_seeing,
    image_header,
    render_image,
)
from surveylab.demo.tiling import DES_PIXEL_SCALE, DES_TILE_PIXELS, Tile
from surveylab.footprint import Footprint

BANDS = ("g", "r", "i")
#: DES's fpack row tiling: one compression tile per image row.
ROW_TILING = (1, DES_TILE_PIXELS)
#: Sources drawn per tile (stars and compact galaxies, magnitudes 17..25).
SOURCES_PER_TILE = 30_000
#: Target: FITS cutouts at this fraction of the limit's rate, at least.
TARGET_RATIO = 0.5
SIZE_ARCMIN = 1.0


def pick_tiles(count: int) -> list[Tile]:
    """M2's tile and the nearest tiles around it, ``count`` in all."""
    tiling = demo_tiling()
    m2 = tiling.tiles[int(tiling.locate(np.array([M2_RA]), np.array([M2_DEC]))[0])]
    around = sorted(
        tiling.neighbours(m2.name),
        key=lambda t: math.hypot((t.ra - m2.ra + 180) % 360 - 180, t.dec - m2.dec),
    )
    return [m2, *around][:count]


def render_tile(tile: Tile, band: str, path: Path, seed: int) -> float:
    """Render one full-resolution image and write it with row tiling; return seconds."""
    started = time.perf_counter()
    rng = np.random.default_rng([seed, tile.row + 100, tile.column + 1000, BANDS.index(band)])
    spec = ImageSpec(
        tile=tile.name,
        band=band,
        ra=tile.ra,
        dec=tile.dec,
        pixels=DES_TILE_PIXELS,
        pixel_scale=DES_PIXEL_SCALE,
        fwhm=draw_seeing(band, rng),
        seed=(seed, tile.row + 100, tile.column + 1000, BANDS.index(band)),
        path=str(path),
    )
    half = DES_TILE_PIXELS * DES_PIXEL_SCALE / 3600.0 / 2.0
    n = SOURCES_PER_TILE
    source_rng = np.random.default_rng(
        [seed, tile.row + 100, tile.column + 1000]
    )  # same sources per band
    sources = ImageSources(
        ra=tile.ra + source_rng.uniform(-half, half, n) / math.cos(math.radians(tile.dec)),
        dec=tile.dec + source_rng.uniform(-half, half, n),
        mag=source_rng.uniform(17.0, 25.0, n) + rng.normal(0.0, 0.3, n),
        size=np.where(source_rng.random(n) < 0.5, 0.0, source_rng.uniform(0.2, 1.0, n)),
        axis_ratio=source_rng.uniform(0.4, 1.0, n),
        position_angle=source_rng.uniform(0.0, 180.0, n),
    )
    image, _drawn = render_image(spec, sources)
    hdu = fits.CompImageHDU(
        data=image,
        header=image_header(spec),
        compression_type="RICE_1",
        tile_shape=ROW_TILING,
        quantize_level=QUANTIZE_LEVEL,
        quantize_method=1,
        dither_seed=dither_seed(spec),
    )
    temp = path.with_name(f".{path.name}.part")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(temp, overwrite=True)
    temp.rename(path)
    return time.perf_counter() - started


def make_tiles(folder: Path, tiles: list[Tile], workers: int) -> dict[tuple[str, str], Path]:
    """The tile images (rendered unless ``folder`` already has them)."""
    paths = {(t.name, b): folder / t.name / f"{t.name}_{b}.fits.fz" for t in tiles for b in BANDS}
    todo = [(t, b) for t in tiles for b in BANDS if not paths[(t.name, b)].is_file()]
    if todo:
        for tile in tiles:
            (folder / tile.name).mkdir(parents=True, exist_ok=True)
        print(f"rendering {len(todo)} images of 10000^2 px (row-tiled RICE) ...", flush=True)
        started = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            futures = [
                pool.submit(render_tile, t, b, paths[(t.name, b)], 20261122) for t, b in todo
            ]
            for future in futures:
                future.result()
        print(f"  rendered in {time.perf_counter() - started:.0f} s", flush=True)
    return paths


def random_positions(tiles: list[Tile], n: int, seed: int) -> SkyCoord:
    """``n`` positions uniform over the unique areas of ``tiles`` (a 1' cutout fits its tile)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(tiles), n)
    ra = np.empty(n)
    dec = np.empty(n)
    for k, tile in enumerate(tiles):
        mine = picks == k
        ra[mine] = tile.ra + rng.uniform(-0.5, 0.5, mine.sum()) * tile.ra_spacing
        dec[mine] = rng.uniform(tile.udecmin, tile.udecmax, mine.sum())
    return SkyCoord(np.mod(ra, 360.0), dec, unit="deg")


def limit_seconds(
    footprint: Footprint, positions: SkyCoord, band: str, out: Path | None = None
) -> tuple[float, float]:
    """Decompress each needed tile once, then slice every cutout; (total, per tile) seconds.

    With ``out``, each slice's bytes are also written to a file there (the same bytes a FITS
    cutout holds, without a header): the limit of a job that must write files.
    """
    owners = footprint.tile_at(positions)
    started = time.perf_counter()
    decompress = []
    for name in sorted(set(owners.tolist())):
        t0 = time.perf_counter()
        with fits.open(footprint.tile(name).images[band]) as hdul:
            data = hdul[1].data
            wcs = WCS(hdul[1].header)
        decompress.append(time.perf_counter() - t0)
        mine = positions[owners == name]
        x, y = wcs.world_to_pixel(mine)
        side = round(SIZE_ARCMIN * 60 / DES_PIXEL_SCALE)
        for k, (cx, cy) in enumerate(
            zip(np.floor(x + 0.5).astype(int), np.floor(y + 0.5).astype(int), strict=True)
        ):
            x0, y0 = max(cx - side // 2, 0), max(cy - side // 2, 0)
            cut = np.array(data[y0 : y0 + side, x0 : x0 + side])
            if out is not None:
                (out / f"{name}-{k}.raw").write_bytes(cut.astype(">f4").tobytes())
        del data
    return time.perf_counter() - started, float(np.mean(decompress))


def naive_rate(footprint: Footprint, positions: SkyCoord, band: str, out: Path) -> float:
    """Cutouts per second the naive way: open the tile, Cutout2D its section, write FITS."""
    owners = footprint.tile_at(positions)
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    side = round(SIZE_ARCMIN * 60 / DES_PIXEL_SCALE)
    for k, (position, owner) in enumerate(zip(positions, owners, strict=True)):
        with fits.open(footprint.tile(owner).images[band]) as hdul:
            hdu = hdul[1]
            cut = Cutout2D(hdu.section, position, (side, side), wcs=WCS(hdu.header))
            fits.PrimaryHDU(cut.data, cut.wcs.to_header()).writeto(out / f"{k}.fits")
    return len(positions) / (time.perf_counter() - started)


def run_job(survey: Survey, positions: SkyCoord, **options: object) -> tuple[float, dict]:
    started = time.perf_counter()
    job = survey.cutouts(positions, size=SIZE_ARCMIN, **options)
    record = job.wait()
    seconds = time.perf_counter() - started
    if record.error:
        raise SystemExit(f"the cutout job failed: {record.error}")
    return seconds, job.summary()


def colour_breakdown(footprint: Footprint, positions: SkyCoord, out: Path) -> dict[str, float]:
    """Milliseconds per colour image for each step, on ``positions`` in the first tile."""
    name = footprint.tile_at(positions[0])
    mine = positions[footprint.tile_at(positions) == name]
    side = round(SIZE_ARCMIN * 60 / DES_PIXEL_SCALE)
    planes = {}
    for band in ("i", "r", "g"):
        with fits.open(footprint.tile(name).images[band]) as hdul:
            wcs = WCS(hdul[1].header)
            x, y = wcs.world_to_pixel(mine)
            rows = (int(np.min(y)) - side, int(np.max(y)) + side)
            planes[band] = (hdul[1].section[max(rows[0], 0) : rows[1], :], max(rows[0], 0))
    steps = {"slice": 0.0, "lupton": 0.0, "png": 0.0, "png-level6": 0.0, "jpeg": 0.0}
    for cx, cy in zip(np.floor(x + 0.5).astype(int), np.floor(y + 0.5).astype(int), strict=True):
        t0 = time.perf_counter()
        cut = [
            np.array(planes[b][0][cy - planes[b][1] - side // 2 : cy - planes[b][1] + side // 2,
                                  max(cx - side // 2, 0) : cx + side // 2])
            for b in ("i", "r", "g")
        ]  # fmt: skip
        t1 = time.perf_counter()
        image = lupton_rgb(*cut, 1.0, 50.0, 10.0)
        t2 = time.perf_counter()
        write_png(out / "c.png", image)
        t3 = time.perf_counter()
        from PIL import Image

        Image.fromarray(image).save(io.BytesIO(), format="PNG")
        t4 = time.perf_counter()
        write_jpeg(out / "c.jpg", image)
        t5 = time.perf_counter()
        for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            steps[key] += value
    return {key: value / len(x) * 1000 for key, value in steps.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--positions", type=int, default=10_000)
    parser.add_argument("--tiles", type=int, default=4)
    parser.add_argument("--naive", type=int, default=200, help="positions cut the naive way")
    parser.add_argument("--colour", type=int, default=2_000, help="positions of the colour job")
    parser.add_argument("--keep", type=Path, help="folder for the tiles, kept and reused")
    parser.add_argument("--quick", action="store_true", help="2 tiles, 2,000 positions")
    args = parser.parse_args(argv)
    if args.quick:
        args.tiles, args.positions, args.naive, args.colour = 2, 2_000, 100, 500

    work = Path(tempfile.mkdtemp(prefix="bench-cutouts-"))
    try:
        tiles = pick_tiles(args.tiles)
        folder = args.keep or work / "tiles"
        paths = make_tiles(folder, tiles, workers=2)
        footprint = Footprint.from_tiling(demo_tiling(), name="bench")
        footprint = Footprint(
            [
                replace(t, images={b: paths[(t.name, b)] for b in BANDS})
                if any(t.name == tile.name for tile in tiles)
                else t
                for t in footprint.tiles
            ],
            name="bench",
        )
        positions = random_positions(tiles, args.positions, 7)
        n = len(positions)
        settings = Settings(data_dir=work, jobs_dir=work / "jobs", release_name="BENCH")
        print(
            f"{n:,} random {SIZE_ARCMIN:g}' positions over {len(tiles)} full-resolution tiles "
            f"({', '.join(t.name for t in tiles)}), RICE row-tiled, bands {', '.join(BANDS)}"
        )

        with Survey(settings, footprint=footprint) as survey:
            workers = survey.cutout_executor.workers
            ours, summary = run_job(survey, positions, bands="i", previews=False)
            with_previews, _summary = run_job(survey, positions, bands="i", previews=True)
            subset = positions[: args.colour]
            colour, _summary = run_job(survey, subset, bands=(), rgb="irg")
        one_worker = Settings(
            data_dir=work, jobs_dir=work / "jobs1", release_name="BENCH", cutout_workers=1
        )
        with Survey(one_worker, footprint=footprint) as survey:
            single, _summary = run_job(survey, positions, bands="i", previews=False)
        # the job's memory: this process, and the largest worker (ended with the Survey)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        limit, per_tile = limit_seconds(footprint, positions, "i")
        (work / "raw").mkdir()
        limit_writing, _per_tile = limit_seconds(footprint, positions, "i", work / "raw")
        shutil.rmtree(work / "raw")
        naive = naive_rate(footprint, positions[: args.naive], "i", work / "naive")
        steps = colour_breakdown(footprint, subset, work)

        ok = summary["counts"]["ok"]
        tiles_cut = len({p["tile"] for p in summary["positions"]})
        print(
            f"  limit  (decompress each tile once, ~{per_tile:.2f} s/band, then slice): "
            f"{limit:6.2f} s = {n / limit:7,.0f} cutouts/s (1 core)"
        )
        print(
            f"  limit + writing each slice's bytes to its own file:          "
            f"{limit_writing:6.2f} s = {n / limit_writing:7,.0f} cutouts/s (1 core)"
        )
        print(
            f"  naive  (open + Cutout2D(section) + writeto, per position): {naive:7,.1f} cutouts/s"
            f" -> {n / naive:,.0f} s for all (measured on {min(args.naive, n):,})"
        )
        print(
            f"  ours   (the job, FITS i, {workers} worker processes):       {ours:6.2f} s = "
            f"{ok / ours:7,.0f} cutouts/s; {summary['rows_decompressed']:,} rows of 10,000 "
            f"decompressed for {tiles_cut} tiles"
        )
        print(
            f"  ours   (the job, FITS i, 1 worker process):               {single:6.2f} s = "
            f"{ok / single:7,.0f} cutouts/s ({limit / single:.2f} x the limit, "
            f"{limit_writing / single:.2f} x the limit with the files written)"
        )
        print(
            f"  ours with PNG previews too:                            {with_previews:6.2f} s = "
            f"{n / with_previews:7,.0f} cutouts/s"
        )
        ratio = limit / ours
        print(
            f"FITS cutouts: {ok / ours:,.0f}/s = {ratio:.2f} x the limit ({n / limit:,.0f}/s; "
            f"target >= {TARGET_RATIO}); {limit_writing / ours:.2f} x the limit plus writing "
            f"each slice to its own file ({n / limit_writing:,.0f}/s: file creation is part of "
            f"any job); {(ok / ours) / naive:.0f} x the naive way"
        )
        total = steps["slice"] + steps["lupton"] + steps["png"] + steps["jpeg"]
        print(
            f"colour images (i,r,g -> make_lupton_rgb -> PNG + JPEG thumbnail): "
            f"{len(subset) / colour:,.0f} images/s in the job ({colour:.2f} s for "
            f"{len(subset):,}, 3 bands of {tiles_cut} tiles decompressed, {workers} workers)"
        )
        print(
            f"  per image, one core: slice {steps['slice']:.2f} ms, lupton {steps['lupton']:.2f}"
            f" ms, PNG {steps['png']:.2f} ms (zlib level 1; level 6: {steps['png-level6']:.2f}"
            f" ms), JPEG {steps['jpeg']:.2f} ms; total {total:.2f} ms"
        )
        print(f"peak RSS of the jobs: {own:.0f} MB main process, {child:.0f} MB largest worker")
        return 0 if ratio >= TARGET_RATIO else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

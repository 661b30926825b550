"""Benchmark the DEMO DR1 generator.

Usage::

    .venv/bin/python benchmarks/bench_demo.py [--objects N] [--full-res]

Without ``--full-res`` it generates the default release (``--objects`` field objects, default one
million, the deep population of the 10 imaged tiles, and their images in g, r, i at 0.6"/px) into
a temporary folder and prints the time of each stage, the total, objects per second, GalSim's
share of the CPU time (its template libraries; the rest is numpy, DuckDB and RICE compression)
and the total as a fraction of the 120 s limit.

With ``--full-res`` it generates one tile at DES resolution (10000 x 10000 pixels of 0.263") in
g, r and i and prints its time and the peak resident memory of the main process and of the
largest worker process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

from surveylab.demo import M2_DEC, M2_RA, demo_tiling, generate_demo, templates

#: The most the default release (``make demo``'s data step) may take on 2 cores.
LIMIT_SECONDS = 120.0
#: Stage of each progress message, by its first word.
STAGES = {
    "Drawing": "draw sources",
    "Measuring": "measure catalog",
    "Writing": "write DuckDB",
    "Rendering": "render images",
    "Rendered": "render images",
}
#: The stages that make the catalog (not the images).
CATALOG_STAGES = ("draw sources", "measure catalog", "write DuckDB")


class StageClock:
    """A progress callback that times the stages named by the messages it receives."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._since = self.start

    def __call__(self, message: str, fraction: float) -> None:
        stage = STAGES.get(message.split(" ", 1)[0], "finish")
        if stage != self._stage:
            self._close()
            self._stage = stage
        print(f"\r{fraction:6.1%} {message:<70}", end="", file=sys.stderr, flush=True)

    def _close(self) -> None:
        now = time.perf_counter()
        if self._stage is not None:
            self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + now - self._since
        self._since = now

    def stop(self) -> float:
        """End timing; return the total seconds."""
        self._close()
        print(file=sys.stderr)
        return time.perf_counter() - self.start


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return own, child


def report_line(total: float) -> str:
    """``generation: X s = 0.YY of the 300 s limit``."""
    ratio = total / LIMIT_SECONDS
    return f"generation: {total:.1f} s = {ratio:.2f} of the {LIMIT_SECONDS:.0f} s limit"


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def galsim_seconds(fwhms: set[float], pixel_scale: float) -> float:
    """Seconds to build the GalSim template libraries of ``fwhms`` once each, here."""
    templates.library.cache_clear()
    started = time.perf_counter()
    for fwhm in sorted(fwhms):
        templates.library(fwhm, pixel_scale).fill()
    templates.library.cache_clear()
    return time.perf_counter() - started


def bench_default(objects: int) -> None:
    """Generate the default release and print stage times and the ratio to the limit."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        clock = StageClock()
        cpu_before = cpu_seconds()
        release = generate_demo(Path(tmp) / "demo", objects=objects, progress=clock)
        total = clock.stop()
        cpu = cpu_seconds() - cpu_before
        size = sum(p.stat().st_size for p in release.path.rglob("*") if p.is_file())
        fwhms = set()
        for path in (release.path / "images").rglob("*.fz"):
            with fits.open(path) as hdus:
                fwhms.add(float(hdus[1].header["FWHM"]))
    print(
        f"DEMO DR1: {release.rows:,} rows, {len(release.image_tiles)} tiles x "
        f"{len(release.bands)} bands of {release.tile_pixels}^2 px, {size / 1e6:,.0f} MB"
    )
    for stage, seconds in clock.seconds.items():
        print(f"  {stage:<16} {seconds:8.2f} s")
    catalog = sum(clock.seconds.get(k, 0.0) for k in CATALOG_STAGES)
    print(f"  objects/s        {release.rows / catalog:12,.0f} (catalog stages)")
    print(f"  objects/s        {release.rows / total:12,.0f} (whole release)")
    galsim = galsim_seconds(fwhms, release.pixel_scale)
    # each worker builds each library it needs once: at most workers x libraries
    workers = min(4, len(release.image_tiles) * len(release.bands), os.cpu_count() or 1)
    print(
        f"  GalSim           {galsim:8.2f} s for {len(fwhms)} template libraries, at most "
        f"{workers * galsim / cpu:.0%} of {cpu:.0f} CPU s"
    )
    print(report_line(total))


def bench_full_res(objects: int) -> None:
    """One 10000 x 10000 tile at 0.263"/px in g, r, i: time and peak memory."""
    tiling = demo_tiling()
    m2_tile = tiling.tiles[int(tiling.locate(np.array([M2_RA]), np.array([M2_DEC]))[0])].name
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        clock = StageClock()
        release = generate_demo(
            Path(tmp) / "demo",
            objects=objects,
            image_tiles=[m2_tile],
            bands=("g", "r", "i"),
            pixel_scale=0.263,
            progress=clock,
        )
        total = clock.stop()
        size = sum(p.stat().st_size for p in (release.path / "images").rglob("*.fz"))
    own, child = peak_rss_mb()
    images = clock.seconds.get("render images", 0.0)
    print(
        f"full resolution: {m2_tile}, {release.tile_pixels} x {release.tile_pixels} px of "
        f'{release.pixel_scale}" in g, r, i ({size / 1e6:,.0f} MB compressed)'
    )
    for stage, seconds in clock.seconds.items():
        print(f"  {stage:<16} {seconds:8.2f} s")
    print(f"  images           {images:8.2f} s for 3 images")
    print(f"  peak RSS         {own:8.0f} MB main process, {child:.0f} MB largest worker")
    print(report_line(total))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark chosen on the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--objects", type=int, default=1_000_000, help="field objects")
    parser.add_argument(
        "--full-res", action="store_true", help='one 10000^2 0.263"/px tile in g, r, i'
    )
    args = parser.parse_args(argv)
    if args.full_res:
        bench_full_res(args.objects)
    else:
        bench_default(args.objects)
    return 0


if __name__ == "__main__":
    sys.exit(main())

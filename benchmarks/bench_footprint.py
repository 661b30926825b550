"""Tile look-up: 1,000,000 positions over the real DES DR2 tile list, against a 1 s limit.

Usage: ``python benchmarks/bench_footprint.py [--positions 1000000] [--scan 10000]
[--tiles ../shared/data/des_dr2_tiles.csv] [--quick]`` (``--quick``: 200,000 positions, a scan
of 2,000, figures still scaled to 1M).

Two sets of positions: uniform over the sky band Dec -70..+8 (a quarter falls in DES), and all
inside tiles (drawn in random tiles' boxes, so every look-up has candidates to test). The limit is
1 s for 1M positions. The comparison in the same run is a naive scan that tests every tile's box
for each position (vectorised over positions), on a subset, scaled to the same number.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from surveylab.footprint import Footprint

HERE = Path(__file__).resolve().parent
DES_TILES = HERE.parent.parent / "shared" / "data" / "des_dr2_tiles.csv"
#: The limit: seconds for 1,000,000 positions.
LIMIT_SECONDS = 1.0


def best_of(repeat: int, function: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs of ``function``, seconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return min(runs)


def sky_band(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions uniform on the sphere between Dec -70 and +8."""
    low, high = np.sin(np.radians(-70.0)), np.sin(np.radians(8.0))
    return rng.uniform(0.0, 360.0, n), np.degrees(np.arcsin(rng.uniform(low, high, n)))


def in_tiles(rng: np.random.Generator, footprint: Footprint, n: int) -> tuple[np.ndarray, ...]:
    """Positions inside the boxes of random tiles."""
    picks = rng.integers(0, len(footprint), n)
    ra_min = np.array([tile.ra_min for tile in footprint])[picks]
    ra_max = np.array([tile.ra_max for tile in footprint])[picks]
    dec_min = np.array([tile.dec_min for tile in footprint])[picks]
    dec_max = np.array([tile.dec_max for tile in footprint])[picks]
    return rng.uniform(ra_min, ra_max) % 360.0, rng.uniform(dec_min, dec_max)


def naive_locate(footprint: Footprint, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """The owning tile by scanning every tile (unique area, else nearest containing centre)."""
    best = np.full(ra.size, -1, dtype=np.int64)
    score = np.full(ra.size, np.inf)
    cos_dec = np.cos(np.radians(dec))
    for k, tile in enumerate(footprint.tiles):
        offset = (ra - tile.ra + 180.0) % 360.0 - 180.0
        west = (tile.ra_min - tile.ra + 180.0) % 360.0 - 180.0
        east = west + tile.ra_max - tile.ra_min
        inside = (offset >= west) & (offset <= east) & (dec >= tile.dec_min) & (dec <= tile.dec_max)
        candidate = np.hypot(offset * cos_dec, dec - tile.dec)
        if tile.unique is not None:
            uramin, uramax, udecmin, udecmax = tile.unique
            uwest = (uramin - tile.ra + 180.0) % 360.0 - 180.0
            ueast = uwest + (uramax - uramin) % 360.0
            unique = (offset >= uwest) & (offset < ueast) & (dec >= udecmin) & (dec < udecmax)
            candidate = np.where(unique, -1.0, candidate)
        better = inside & (candidate < score)
        score[better] = candidate[better]
        best[better] = k
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--scan", type=int, default=10_000, help="positions for the naive scan")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tiles", type=Path, default=DES_TILES)
    parser.add_argument("--quick", action="store_true", help="fewer positions, for a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.positions, args.scan, args.repeat = 200_000, 2_000, 2

    started = time.perf_counter()
    footprint = Footprint.from_tile_list(args.tiles)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    index = footprint.index
    built = time.perf_counter() - started
    print(
        f"{len(footprint):,} tiles from {args.tiles.name}: read {loaded:.2f} s, index built in "
        f"{built:.2f} s ({index.nbytes / 1e6:.1f} MB, cells of {index.cell:.3f} deg, "
        f"at most {index.depth} tiles per cell)"
    )

    rng = np.random.default_rng(20261122)
    n = args.positions
    worst = 0.0
    for label, (ra, dec) in (
        ("uniform over Dec -70..+8", sky_band(rng, n)),
        ("all inside tiles", in_tiles(rng, footprint, n)),
    ):
        footprint.tile_at(ra[:1000], dec[:1000])  # warm-up: imports, caches
        names_time = best_of(args.repeat, lambda: footprint.tile_at(ra, dec))  # noqa: B023
        index_time = best_of(args.repeat, lambda: footprint.locate(ra, dec))  # noqa: B023
        located = footprint.locate(ra, dec)
        per_million = names_time * 1e6 / n
        worst = max(worst, per_million)
        print(
            f"  {label:<26} tile_at {names_time:.3f} s ({n / names_time / 1e6:.1f} M/s; "
            f"locate {index_time:.3f} s), {np.mean(located >= 0):.0%} in a tile; "
            f"1M: {per_million:.3f} s = {per_million / LIMIT_SECONDS:.2f} of the 1 s limit"
        )
        subset = slice(0, min(args.scan, n))
        scan_time = best_of(1, lambda: naive_locate(footprint, ra[subset], dec[subset]))  # noqa: B023
        agree = np.array_equal(naive_locate(footprint, ra[subset], dec[subset]), located[subset])
        scan_million = scan_time * 1e6 / (subset.stop - subset.start)
        print(
            f"  {'':<26} naive scan of every tile: {scan_million:.1f} s per 1M "
            f"(on {subset.stop:,}); the index is {scan_million / per_million:,.0f}x faster; "
            f"same tiles: {agree}"
        )
        if not agree:
            print("  the index and the scan disagree", file=sys.stderr)
            return 1

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tile_at, 1M positions: {worst:.3f} s = {worst / LIMIT_SECONDS:.2f} of the 1 s limit "
        f"(peak RSS {peak:.0f} MB)"
    )
    return 0 if worst < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Quick-query latency: DES's M2 box query on a large demo catalog, p50 and p95.

Usage: ``python benchmarks/bench_query.py [--objects 10000000] [--repeat 50]``.

The limit measured in the same run is the same query on a copy of DR1_MAIN in random row order:
the demo stores rows in HEALPix order so that a box query reads few row groups.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY, generate_demo


def timings(survey: Survey, sql: str, repeat: int) -> list[float]:
    """Seconds per run of ``sql`` as a quick query, after one warm-up run."""
    survey.quick(sql)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        survey.quick(sql)
        runs.append(time.perf_counter() - started)
    return runs


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values``."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-query-") as folder:
        data = Path(folder) / "dr1"
        started = time.perf_counter()
        generate_demo(data, objects=args.objects, image_tiles=[])
        print(f"generated {args.objects:,} objects in {time.perf_counter() - started:.1f} s")
        shuffled = Path(folder) / "shuffled.duckdb"
        with duckdb.connect(str(shuffled)) as con:
            con.execute(f"ATTACH '{data / 'catalog.duckdb'}' AS src (READ_ONLY)")
            con.execute("CREATE TABLE DR1_MAIN AS SELECT * FROM src.DR1_MAIN ORDER BY random()")

        results = {}
        for label, settings in (
            ("HEALPix order (ours)", Settings(data_dir=data)),
            ("random order (limit)", Settings(data_dir=data, catalog_url=f"duckdb://{shuffled}")),
        ):
            with Survey(settings) as survey:
                rows = len(survey.quick(M2_EXAMPLE_QUERY).rows)
                runs = timings(survey, M2_EXAMPLE_QUERY, args.repeat)
            results[label] = (percentile(runs, 0.5), percentile(runs, 0.95))
            p50, p95 = results[label]
            print(
                f"  {label:<22} p50 {p50 * 1e3:7.1f} ms   p95 {p95 * 1e3:7.1f} ms   ({rows:,} rows)"
            )
        ours, limit = results["HEALPix order (ours)"], results["random order (limit)"]
        print(f"M2 quick query p50: {limit[0] / ours[0]:.1f}x faster than on random row order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A TAP sync query against the REST API's quick query: DES's M2 query, the same rows.

Usage: ``python benchmarks/bench_tap.py [--objects 1000000] [--repeat 30]``.

Both run in this process on the same ``Survey`` (the HTTP layer in front of them is the same
tornado server): the REST quick query is ``Survey.quick`` plus the JSON the handler writes; the
TAP sync query is ``VOService.handle`` on ``tap/sync`` with ``LANG=SQL`` (the same SQL) and
with ``LANG=ADQL`` (the cone written in ADQL), its VOTable BINARY2 read to the end. It prints the
p50 of each and the ratio of TAP to REST (target: at most 2x: the VOTable costs no more than the
JSON rows).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY, generate_demo
from surveylab.vo.protocol import Params, VORequest
from surveylab.vo.service import VOService

M2_ADQL = (
    "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G AS G, MAG_AUTO_R AS R FROM DR1_MAIN "
    "WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', 323.36, -0.82, 0.12)) = 1"
)
TARGET = 2.0


def p50(run: Callable[[], object], repeat: int) -> float:
    """The median seconds of ``run``, after one warm-up call."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="100,000 objects, 10 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.objects, args.repeat = 100_000, 10
    with tempfile.TemporaryDirectory(prefix="bench-tap-") as folder:
        data = Path(folder) / "dr1"
        generate_demo(data, objects=args.objects, image_tiles=[])
        with Survey(Settings(data_dir=data, jobs_dir=Path(folder) / "jobs")) as survey:
            service = VOService(survey)

            def rest() -> int:
                return len(json.dumps(survey.quick(M2_EXAMPLE_QUERY).to_json()))

            def tap(lang: str, query: str) -> Callable[[], int]:
                def run() -> int:
                    params = Params({"LANG": [lang], "QUERY": [query]})
                    answer = service.handle(VORequest("GET", "tap/sync", params, "http://b/s"))
                    body = answer.body
                    assert answer.status == 200, body
                    return len(body) if isinstance(body, bytes) else sum(map(len, body))

                return run

            rows = len(survey.quick(M2_EXAMPLE_QUERY).rows)
            rest_s = p50(rest, args.repeat)
            sql_s = p50(tap("SQL", M2_EXAMPLE_QUERY), args.repeat)
            adql_s = p50(tap("ADQL", M2_ADQL), args.repeat)
    print(f"{args.objects:,} objects; the M2 query returns {rows:,} rows")
    print(f"  REST quick query (JSON)        p50 {rest_s * 1e3:7.1f} ms")
    for label, seconds in (("LANG=SQL", sql_s), ("ADQL cone", adql_s)):
        print(
            f"  TAP sync, {label + ' (VOTable)':<21}p50 {seconds * 1e3:7.1f} ms "
            f"= {seconds / rest_s:.2f}x REST"
        )
    worst = max(sql_s, adql_s) / rest_s
    print(f"TAP sync: {worst:.2f}x the REST quick query (target <= {TARGET:.0f}x)")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

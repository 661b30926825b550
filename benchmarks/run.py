"""Run every benchmark (``benchmarks/bench_*.py``), or the ones named, one after another.

Usage: ``python benchmarks/run.py [NAME ...] [-- extra args for each benchmark]``, where NAME is
a benchmark's file name without ``bench_`` and ``.py``: ``anomaly`` (a million rows scored,
Dask's 2 workers vs 1), ``cone`` (an ADQL cone vs a box),
``cutouts``, ``demo``, ``export``, ``footprint``, ``hub`` (hub logins and spawns), ``lab`` (the
panels in headless Chromium), ``plots`` (the notebook plots on a million rows), ``query``,
``similarity`` (recall, latency and lens purity of the similarity index), ``tap`` (a TAP sync
query vs the REST quick query), ``votable`` (the VOTable writer vs the FITS
writer). For example ``python benchmarks/run.py hub -- --quick``.
Each benchmark prints its figures and its ratio against the limit it measures in the same run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names, extra = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        known = {script.stem.removeprefix("bench_"): script for script in scripts}
        unknown = [name for name in names if name not in known]
        if unknown:
            print(
                f"unknown benchmark {', '.join(map(repr, unknown))}; choose from "
                f"{', '.join(sorted(known))}",
                file=sys.stderr,
            )
            return 2
        scripts = [known[name] for name in names]
    failed = 0
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

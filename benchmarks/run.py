"""Run every benchmark (``benchmarks/bench_*.py``), or the ones named, one after another.

Usage: ``python benchmarks/run.py [demo ...] [-- extra args for each benchmark]``.
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
        scripts = [HERE / f"bench_{name}.py" for name in names]
    failed = 0
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

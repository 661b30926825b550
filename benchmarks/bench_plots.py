"""The notebook plots on a million rows: what the kernel computes and what the browser receives.

Usage: ``python benchmarks/bench_plots.py [--rows 1000000] [--repeat 3] [--quick]``
(``--quick``: 200,000 rows, two repeats). The first run of each, which pays for imports, counts
only when it is the fastest.

For ``plots.colour_magnitude`` (HoloViews hex tiles, binned with numpy first) and
``plots.linked_scatter`` (bqplot, a capped sample) it measures the seconds from the Table to the
rendered Bokeh document (or the widget) and the bytes of plot data sent to the browser. The limits
are 1 s and 1 MB: what keeps a notebook responsive. The comparisons in the same run are the plain
ways of drawing the same table: HoloViews' own ``HexTiles`` on every row, and a Bokeh scatter of
every row (the glyphs a browser would have to draw).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import holoviews as hv
import numpy as np
from astropy.table import Table
from bokeh.embed import json_item
from bokeh.plotting import figure

from surveylab_widgets import plots

#: The limits: seconds to a rendered plot, bytes of plot data.
LIMIT_SECONDS = 1.0
LIMIT_BYTES = 1_000_000


def best_of(repeat: int, make: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``make`` (seconds) and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = make()
        best = min(best, time.perf_counter() - started)
    return best, result


def bokeh_bytes(model: Any) -> int:
    """The size of a Bokeh document as the notebook sends it."""
    return len(json.dumps(json_item(model)))


def widget_bytes(widget: Any) -> int:
    """The size of a bqplot figure's marks' state (their arrays), as the comm sends it."""
    total = 0
    for mark in widget.figure.marks:
        for name in ("x", "y", "color", "size"):
            value = getattr(mark, name, None)
            total += 0 if value is None else np.asarray(value).nbytes
    return total


def catalog(rows: int) -> Table:
    """A DES-like table: magnitudes in g, r and i with a main sequence and a field spread."""
    rng = np.random.default_rng(20261122)
    r = rng.uniform(16.0, 24.0, rows)
    g = r + 0.2 + 0.08 * (r - 16.0) + rng.normal(0.0, 0.15, rows)
    i = r - 0.1 - 0.03 * (r - 16.0) + rng.normal(0.0, 0.1, rows)
    return Table({"MAG_AUTO_G": g, "MAG_AUTO_R": r, "MAG_AUTO_I": i})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200,000 rows, two repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 200_000, 2
    hv.extension("bokeh", logo=False)
    table = catalog(args.rows)
    colour = np.asarray(table["MAG_AUTO_G"] - table["MAG_AUTO_R"])
    mag = np.asarray(table["MAG_AUTO_R"])

    def ours() -> Any:
        return hv.render(plots.colour_magnitude(table), backend="bokeh")

    def holoviews_hextiles() -> Any:
        tiles = hv.HexTiles((colour, mag), ["g - r", "r"]).opts(gridsize=plots.GRIDSIZE)
        return hv.render(tiles, backend="bokeh")

    def bokeh_scatter() -> Any:
        plot = figure(width=480, height=420)
        plot.scatter(colour, mag, size=2)
        return plot

    rows = [
        ("colour_magnitude (ours)", *best_of(args.repeat, ours)),
        ("HoloViews HexTiles, every row", *best_of(args.repeat, holoviews_hextiles)),
        ("Bokeh scatter, every row", *best_of(args.repeat, bokeh_scatter)),
    ]
    print(f"{args.rows:,} rows; limits {LIMIT_SECONDS:.0f} s and {LIMIT_BYTES / 1e6:.0f} MB")
    print(f"{'plot':<32}{'seconds':>9}{'MB sent':>10}")
    sizes = {}
    for label, seconds, model in rows:
        sizes[label] = bokeh_bytes(model)
        print(f"{label:<32}{seconds:>9.3f}{sizes[label] / 1e6:>10.2f}")
    scatter_seconds, scatter = best_of(args.repeat, lambda: plots.linked_scatter(table, "g-r", "r"))
    scatter_bytes = widget_bytes(scatter)
    label = "linked_scatter (ours, bqplot)"
    print(f"{label:<32}{scatter_seconds:>9.3f}{scatter_bytes / 1e6:>10.2f}")

    our_seconds, our_bytes = rows[0][1], sizes[rows[0][0]]
    print(
        f"colour_magnitude: {our_seconds / LIMIT_SECONDS:.2f} of the time limit, "
        f"{our_bytes / LIMIT_BYTES:.2f} of the size limit; "
        f"{our_seconds / rows[1][1]:.2f}x the time of HoloViews' own binning; "
        f"{sizes[rows[2][0]] / our_bytes:.0f}x less data than a scatter of every row"
    )
    print(
        f"linked_scatter: {scatter_seconds / LIMIT_SECONDS:.2f} of the time limit, "
        f"{scatter_bytes / LIMIT_BYTES:.2f} of the size limit"
    )
    worst = max(our_seconds, scatter_seconds) / LIMIT_SECONDS
    biggest = max(our_bytes, scatter_bytes) / LIMIT_BYTES
    return 0 if worst < 1 and biggest < 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

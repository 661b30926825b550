"""The ``surveylab`` command.

Core subcommands live here; adapter packages add theirs (``surveylab hub``, ...) through the
``surveylab.commands`` entry-point group: each entry point is a ``register(subparsers)`` function
that adds a subparser whose ``func(args) -> int`` runs it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TextIO

from ._version import __version__
from .errors import SurveylabError
from .settings import Settings
from .survey import Survey

__all__ = ["build_parser", "main"]

#: Entry-point group through which adapter packages add subcommands.
COMMANDS_GROUP = "surveylab.commands"


class ProgressBar:
    """A one-line text progress bar for long work, drawn on a terminal stream."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._last = ""

    def __call__(self, stage: str, fraction: float) -> None:
        """Show ``stage`` at ``fraction`` (0 to 1) of the whole work."""
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(self.width * fraction)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {stage}"
        if line != self._last:
            self.stream.write("\r" + line.ljust(len(self._last)))
            self.stream.flush()
            self._last = line

    def close(self) -> None:
        """End the bar's line."""
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


def _demo_data(args: argparse.Namespace) -> int:
    from .demo import generate_demo  # the generator is heavy; import it only when asked

    out = Path(args.out) if args.out else Settings().data_dir
    if out.exists():
        if not args.force:
            print(f"demo survey already present at {out} (use --force to regenerate)")
            return 0
        shutil.rmtree(out)
    bar = ProgressBar()
    try:
        release = generate_demo(
            out, objects=args.objects, seed=args.seed, pixel_scale=args.pixel_scale, progress=bar
        )
    finally:
        bar.close()
    print(f"{release.release}: {release.rows:,} objects, written to {out}")
    return 0


def _info(args: argparse.Namespace) -> int:
    with Survey() as survey:
        info = survey.info()
    print(f"{info.release} (surveylab {info.version}, backend {info.backend})")
    for table in info.tables:
        rows = "?" if table.rows is None else f"{table.rows:,}"
        print(f"  {table.name:<24} {rows:>12} rows  {table.description}")
    return 0


def _query(args: argparse.Namespace) -> int:
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    with Survey() as survey:
        table = survey.query(sql, limit=args.limit)
    table.pprint(max_lines=-1 if args.all else None, max_width=-1)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with the core subcommands and every registered adapter's."""
    parser = argparse.ArgumentParser(
        prog="surveylab", description="A science platform for a survey's data release."
    )
    parser.add_argument("--version", action="version", version=f"surveylab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo-data", help="generate the embedded demo survey (DEMO DR1)")
    demo.add_argument("--objects", type=int, default=1_000_000, help="catalog size")
    demo.add_argument("--out", help="output folder (default: SURVEYLAB_DATA_DIR)")
    demo.add_argument("--seed", type=int, default=20261121, help="random seed")
    demo.add_argument("--pixel-scale", type=float, default=1.0, help="arcsec per image pixel")
    demo.add_argument("--force", action="store_true", help="replace an existing demo survey")
    demo.set_defaults(func=_demo_data)

    info = commands.add_parser("info", help="show the release, its backend and tables")
    info.set_defaults(func=_info)

    query = commands.add_parser("query", help="run a SQL query and print the result")
    query.add_argument("sql", help="the query, or - to read it from standard input")
    query.add_argument("--limit", type=int, default=1000, help="print at most this many rows")
    query.add_argument("--all", action="store_true", help="print every row, not a summary")
    query.set_defaults(func=_query)

    for entry_point in entry_points(group=COMMANDS_GROUP):
        entry_point.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``surveylab`` command; bad input prints a message and exits with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (SurveylabError, ValueError, FileExistsError) as err:
        print(f"surveylab {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"surveylab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

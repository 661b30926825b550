"""The ``surveylab`` command.

Core subcommands live here; adapter packages add theirs (``surveylab hub``, ...) through the
``surveylab.commands`` entry-point group: each entry point is a ``register(subparsers)`` function
that adds a subparser whose ``func(args) -> int`` runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import shutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._version import __version__
from .errors import SurveylabError
from .settings import Settings
from .sqlshell import add_sql_command
from .survey import Survey

if TYPE_CHECKING:
    from .demo import DemoRelease

__all__ = ["build_parser", "main"]

#: Entry-point group through which adapter packages add subcommands.
COMMANDS_GROUP = "surveylab.commands"


class ProgressBar:
    """A one-line text progress bar for long work, drawn on a terminal stream (by default
    ``sys.stderr`` as it is when the bar is made)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
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
    from .demo.folder import FolderKind, inspect_release_folder

    out = (Path(args.out) if args.out else Settings().data_dir).expanduser().absolute()
    state = inspect_release_folder(out)
    if state.kind is FolderKind.OTHER:
        raise SurveylabError(
            f"{out} holds no demo survey ({'; '.join(state.problems)}). Nothing was written: "
            "choose another folder (an empty or new one)"
        )
    if state.kind is FolderKind.SURVEY and not args.force:
        print(f"demo survey already present at {out} (use --force to regenerate)")
        return 0
    if state.kind is FolderKind.PARTIAL and not args.force:
        raise SurveylabError(
            f"{out} holds part of a demo survey, not a usable one: {'; '.join(state.problems)}. "
            "Nothing was written; remove the folder, or pass --force to replace what is in it "
            "with a new demo survey"
        )
    bar = ProgressBar()
    try:
        if state.kind is FolderKind.MISSING:
            release = _generate(out, args, bar)
        else:  # empty, or replaced with --force
            release = _generate_into(out, args, bar)
    finally:
        bar.close()
    print(f"{release.release}: {release.rows:,} objects, written to {out}")
    return 0


def _generate(out: Path, args: argparse.Namespace, bar: ProgressBar) -> DemoRelease:
    from .demo import generate_demo  # the generator is heavy; import it only when asked

    return generate_demo(
        out,
        objects=args.objects,
        seed=args.seed,
        pixel_scale=args.pixel_scale,
        deep_objects=args.deep_objects,
        progress=bar,
    )


def _generate_into(out: Path, args: argparse.Namespace, bar: ProgressBar) -> DemoRelease:
    """Generate a survey inside the existing folder ``out``, then move it into place.

    The folder itself stays (it may be a mounted volume, with its owner and mode); what it held
    stays until the new survey is complete, and ``release.json`` arrives last, so an interrupted
    run leaves a folder that the next run reports as partial, never one that passes for whole.
    """
    from .demo.folder import IGNORED_ENTRIES, RELEASE_FILE

    staging = out / f".demo-data-{secrets.token_hex(4)}"
    try:
        release = _generate(staging, args, bar)
        old = [
            entry
            for entry in out.iterdir()
            if not entry.name.startswith(".") and entry.name not in IGNORED_ENTRIES
        ]
        old.sort(key=lambda entry: entry.name != RELEASE_FILE)  # the record goes first
        for entry in old:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        new = sorted(staging.iterdir(), key=lambda entry: entry.name == RELEASE_FILE)
        for entry in new:  # the record comes last
            entry.rename(out / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(release, path=out)


def _hips_build(args: argparse.Namespace) -> int:
    from .hips import build_hips, hips_dir  # reproject is heavy; import it only when asked

    data_dir = Path(args.data_dir) if args.data_dir else Settings().data_dir
    out = Path(args.out) if args.out else hips_dir(data_dir)
    target = out
    if out.exists():
        if not args.force:
            print(f"HiPS already present at {out} (use --force to rebuild)")
            return 0
        # the old HiPS stays until the new one is complete (and stays if the build fails)
        target = out.with_name(f".{out.name}-rebuild-{secrets.token_hex(4)}")
    bar = ProgressBar()
    try:
        build = build_hips(
            data_dir,
            target,
            bands=list(args.bands) if args.bands else None,
            order=args.order,
            tile_format=args.format,
            tile_width=args.tile_width,
            progress=bar,
        )
    finally:
        bar.close()
    if target != out:
        old = out.with_name(f".{out.name}-old-{secrets.token_hex(4)}")
        out.rename(old)
        target.rename(out)
        shutil.rmtree(old)
    print(
        f"HiPS of {build.release}: order {build.order}, {build.tiles} tiles of "
        f"{build.tile_width} px ({build.tile_format}) in {build.seconds:.1f} s, written to {out}"
    )
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


def _anomaly_model(reference: str) -> Any:
    """The anomaly model of a job id of the user's store, or of a folder holding one."""
    from .anomaly import MODEL_META, AnomalyModel

    folder = Path(reference).expanduser()
    if (folder / MODEL_META).is_file():
        return AnomalyModel.load(folder)
    with Survey() as survey:
        job = survey.job_service.get(reference)
        if job.type != "anomaly":
            raise SurveylabError(f"job {reference} is a {job.type} job, not an anomaly job")
        return AnomalyModel.load(survey.runner.store.job_dir(reference))


def _anomaly_score(args: argparse.Namespace) -> int:
    from .anomaly import score_csv

    model = _anomaly_model(args.model)
    if args.table is None or args.table == "-":
        score_csv(model, sys.stdin, sys.stdout, batch=args.batch)
        return 0
    from astropy.table import Table

    path = Path(args.table).expanduser()
    if not path.is_file():
        raise SurveylabError(f"--table: no file {path}")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8") as lines:
            score_csv(model, lines, sys.stdout, batch=max(args.batch, 10_000))
        return 0
    table = Table.read(path)
    data = {name.upper(): table[name].data for name in table.colnames}
    lacking = [c for c in model.columns if c not in data]
    if lacking:
        raise SurveylabError(f"{path.name} has no column(s) {', '.join(lacking)}")
    table["ANOMALY_SCORE"] = model.score(data)
    table.write(sys.stdout, format="ascii.csv")
    return 0


def _similarity_build(args: argparse.Namespace) -> int:
    from .similarity import IndexParameters, build_similarity_index

    given = {
        "bands": args.bands,
        "stamp_arcsec": args.stamp_arcsec,
        "pixels": args.pixels,
        "mag_limit": args.mag_limit,
        "components": args.components,
        "pca_sample": args.pca_sample,
        "seed": args.seed,
        "kind": args.kind,
    }
    parameters = IndexParameters.from_parameters({k: v for k, v in given.items() if v is not None})
    settings = Settings(data_dir=Path(args.data_dir)) if args.data_dir else Settings()
    bar = ProgressBar()
    with Survey(settings) as survey:
        try:
            manifest = build_similarity_index(
                survey,
                survey.cutout_executor,
                parameters,
                progress=lambda fraction, message: bar(message, fraction),
            )
        finally:
            bar.close()
        where = survey.similarity_dir
    print(
        f"similarity index of {manifest['release']}: {manifest['objects']:,} objects, "
        f"{manifest['kind']} (recall@50 {manifest['recall']}), {manifest['seconds']:.1f} s, "
        f"written to {where}"
    )
    return 0


def _similarity_query(args: argparse.Namespace) -> int:
    target = args.target
    with Survey() as survey:
        table = survey.similar(int(target) if target.isdigit() else target, k=args.k)
    table.pprint(max_lines=-1, max_width=-1)
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with the core subcommands and every registered adapter's.

    When ``command`` names a core subcommand the adapters' are left out: loading them imports
    their frameworks (JupyterHub's for ``surveylab hub``), which ``surveylab sql`` need not load.
    """
    parser = argparse.ArgumentParser(
        prog="surveylab", description="A science platform for a survey's data release."
    )
    parser.add_argument("--version", action="version", version=f"surveylab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo-data", help="generate the embedded demo survey (DEMO DR1)")
    demo.add_argument("--objects", type=int, default=1_000_000, help="catalog size")
    demo.add_argument("--out", help="output folder (default: SURVEYLAB_DATA_DIR)")
    demo.add_argument("--seed", type=int, default=20261121, help="random seed")
    demo.add_argument("--pixel-scale", type=float, default=0.6, help="arcsec per image pixel")
    demo.add_argument(
        "--deep-objects",
        type=int,
        default=60_000,
        help="faint objects added to each imaged tile (DES's density; 0 for none)",
    )
    demo.add_argument(
        "--force",
        action="store_true",
        help="replace an existing or partial demo survey (a folder of other files is kept)",
    )
    demo.set_defaults(func=_demo_data)

    hips = commands.add_parser("hips", help="the release's HiPS (colour sky tiles for Aladin)")
    hips_commands = hips.add_subparsers(dest="hips_command", required=True, metavar="ACTION")
    hips_build = hips_commands.add_parser(
        "build", help="build a colour HiPS of the release's coadd tiles into <data-dir>/hips"
    )
    hips_build.add_argument("--data-dir", help="the release folder (default: SURVEYLAB_DATA_DIR)")
    hips_build.add_argument("--out", help="output folder (default: <data-dir>/hips)")
    hips_build.add_argument(
        "--order", type=int, help="deepest HiPS order (default: matched to the pixel scale)"
    )
    hips_build.add_argument(
        "--format", choices=("png", "jpeg"), default="png", help="tile format (default png)"
    )
    hips_build.add_argument(
        "--bands", help="red, green and blue bands as three letters (default irg)"
    )
    hips_build.add_argument("--tile-width", type=int, default=512, help="tile side, pixels")
    hips_build.add_argument("--force", action="store_true", help="replace an existing HiPS")
    hips_build.set_defaults(func=_hips_build)

    similarity = commands.add_parser("similarity", help="the release's similarity index")
    similarity_commands = similarity.add_subparsers(
        dest="similarity_command", required=True, metavar="ACTION"
    )
    similarity_build = similarity_commands.add_parser(
        "build", help="embed the imaged objects and index them into <data-dir>/similarity"
    )
    similarity_build.add_argument(
        "--data-dir", help="the release folder (default: SURVEYLAB_DATA_DIR)"
    )
    similarity_build.add_argument("--bands", help="bands, e.g. gri (default: every imaged band)")
    similarity_build.add_argument("--stamp-arcsec", type=float, help="stamp side (default 8)")
    similarity_build.add_argument("--pixels", type=int, help="resampled side (default 32)")
    similarity_build.add_argument(
        "--mag-limit", type=float, help="index objects with MAG_AUTO_I below this (default 23.5)"
    )
    similarity_build.add_argument("--components", type=int, help="PCA components (default 64)")
    similarity_build.add_argument("--pca-sample", type=int, help="PCA sample (default 8192)")
    similarity_build.add_argument("--seed", type=int, help="random seed (default 0)")
    similarity_build.add_argument(
        "--kind", choices=("auto", "flat", "ivf"), help="faiss index (default auto)"
    )
    similarity_build.set_defaults(func=_similarity_build)
    similarity_query = similarity_commands.add_parser(
        "query", help="print the objects most like one (an id, a name or 'ra dec')"
    )
    similarity_query.add_argument("target", help="a COADD_OBJECT_ID, a DES name or 'ra dec'")
    similarity_query.add_argument("-k", type=int, default=50, help="neighbours (default 50)")
    similarity_query.set_defaults(func=_similarity_query)

    info = commands.add_parser("info", help="show the release, its backend and tables")
    info.set_defaults(func=_info)

    query = commands.add_parser("query", help="run a SQL query and print the result")
    query.add_argument("sql", help="the query, or - to read it from standard input")
    query.add_argument("--limit", type=int, default=1000, help="print at most this many rows")
    query.add_argument("--all", action="store_true", help="print every row, not a summary")
    query.set_defaults(func=_query)

    anomaly = commands.add_parser("anomaly", help="anomaly models of anomaly jobs")
    anomaly_commands = anomaly.add_subparsers(
        dest="anomaly_command", required=True, metavar="ACTION"
    )
    score = anomaly_commands.add_parser(
        "score",
        help="score rows with a saved model: CSV on standard input (each row as it arrives) "
        "or a table file; CSV with ANOMALY_SCORE on standard output",
    )
    score.add_argument("--model", required=True, help="an anomaly job's id, or its folder")
    score.add_argument(
        "--table", help="a table file (CSV, FITS, Parquet, VOTable...); default stdin"
    )
    score.add_argument("--batch", type=int, default=1, help="rows scored at once (default 1)")
    score.set_defaults(func=_anomaly_score)

    add_sql_command(commands)

    if command not in commands.choices:  # an adapter's command, or none yet (--help)
        for entry_point in entry_points(group=COMMANDS_GROUP):
            entry_point.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``surveylab`` command; bad input prints a message and exits with status 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
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

"""``surveylab sql``: the subcommand's arguments, and how it starts (interactive or one-shot).

Exit status: 0 everything ran; 1 a SQL or runtime error (syntax error, database error, a file
that cannot be written, a catalog that cannot be opened); 2 a usage error (unknown command or
suffix, wrong arguments, a script that cannot be read); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_sql_command", "run_sql"]

DESCRIPTION = """\
The terminal SQL shell of the release, in the manner of DES's easyaccess. Statements end
with ';'. After it: '> FILE' writes every row (.csv .csv.gz .tab .fits .fits.gz .h5
.parquet), '< check' checks the syntax, '< explain' shows the plan. Type 'help' in the
shell for its commands. Exit status: 0 ok, 1 SQL or runtime error, 2 usage error,
130 interrupted."""


def add_sql_command(commands: Any) -> None:
    """Add ``sql`` to the ``surveylab`` command's subparsers."""
    sql = commands.add_parser(
        "sql",
        help="the terminal SQL shell (easyaccess-style)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    given = sql.add_mutually_exclusive_group()
    given.add_argument(
        "-c", "--command", metavar="TEXT", help='run TEXT and exit, e.g. -c "SELECT ...; > out.csv"'
    )
    given.add_argument(
        "-f", "--file", metavar="FILE", help="run the statements of FILE (- for standard input)"
    )
    sql.set_defaults(func=run_sql)


def run_sql(args: argparse.Namespace) -> int:
    """Run the shell as ``args`` say; return the exit status."""
    from ..errors import SurveylabError
    from ..survey import Survey
    from .config import ShellConfig, ShellSettings
    from .console import Console
    from .interpreter import EXIT_CANCELLED, EXIT_SQL_ERROR, EXIT_USAGE, ExitShellError, Interpreter

    text: str | None = args.command
    if args.file is not None:
        try:
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        except OSError as err:
            print(f"surveylab sql: cannot read {args.file}: {err.strerror}", file=sys.stderr)
            return EXIT_USAGE
    interactive = text is None and sys.stdin.isatty()
    if text is None and not interactive:
        text = sys.stdin.read()
    settings = ShellSettings()
    console = Console(interactive=interactive)
    with Survey() as survey:
        try:  # hiding the launcher item is a convenience: the shell itself refuses
            if survey.settings.lab_role is not None:
                survey.settings.lab_role.require("sql_terminal")
        except SurveylabError as err:
            console.error(f"surveylab sql: {err}")
            return EXIT_SQL_ERROR
        try:
            survey.catalog  # noqa: B018  # open it now: a missing catalog is the first thing said
        except SurveylabError as err:
            console.error(f"surveylab sql: {err}")
            return EXIT_SQL_ERROR
        shell = Interpreter(
            survey,
            console,
            settings,
            ShellConfig.load(settings.config_file),
            history=lambda: _saved_history(settings.history_file),
        )
        try:
            if text is None:
                from .app import run_interactive

                status = run_interactive(shell)
            else:
                try:
                    status = shell.run_text(text, final=True)
                except ExitShellError:
                    status = 0
            shell.wait_for_jobs()
        except KeyboardInterrupt:
            console.error("surveylab sql: interrupted")
            return EXIT_CANCELLED
    return status


def _saved_history(path: Path) -> list[str]:
    """The inputs of earlier interactive sessions, oldest first."""
    if not path.is_file():
        return []
    from prompt_toolkit.history import FileHistory

    return list(reversed(list(FileHistory(str(path)).load_history_strings())))

"""The shell's commands (``describe_table``, ``config``, ``load_table``, ...), one function each.

Each takes the shell (a :class:`Shell`: what the interpreter offers its commands) and the
command's arguments and prints its answer; it raises :class:`ShellUsageError` for wrong arguments
and a :class:`SurveylabError` for what fails. The interpreter imports this module, never the
other way round.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import QueryError, TableNotFoundError
from ..models import ColumnInfo, TableInfo
from ..usertables import UserTableError
from .parse import COMMANDS, ShellUsageError
from .render import render_rows

if TYPE_CHECKING:
    from ..survey import Survey
    from ..usertables import UserTables
    from .config import ShellConfig, ShellSettings
    from .console import Console

__all__ = ["COMMAND_HANDLERS", "Shell", "wildcard"]


class Shell(Protocol):
    """What a command uses of the shell (:class:`~surveylab.sqlshell.interpreter.Interpreter`)."""

    survey: Survey
    console: Console
    settings: ShellSettings
    #: The current ``config``; ``config NAME VALUE`` replaces it.
    config: ShellConfig
    #: The statements typed before, oldest first.
    history: Callable[[], list[str]]
    #: Called after a user table is loaded or dropped.
    on_tables_changed: Callable[[], None]

    def user_tables(self) -> UserTables:
        """The user's tables beside the release."""
        ...

    def run_text(self, text: str, *, final: bool = True) -> int:
        """Run every action in ``text``; return the exit status."""
        ...


Handler = Callable[[Shell, Sequence[str]], int | None]


def wildcard(pattern: str) -> re.Pattern[str]:
    """A case-insensitive regex for a pattern with ``%``/``*`` (any) and ``_``/``?`` (one).

    A pattern without wildcards matches names that contain it.

    Examples
    --------
    >>> bool(wildcard("dr1%").match("DR1_MAIN")), bool(wildcard("tile").match("DR1_TILE_INFO"))
    (True, True)
    """
    if not any(char in pattern for char in "%*?_"):
        return re.compile(f".*{re.escape(pattern)}.*", re.IGNORECASE)
    parts = []
    for char in pattern:
        if char in "%*":
            parts.append(".*")
        elif char in "_?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts) + "$", re.IGNORECASE)


def _args(name: str, args: Sequence[str], least: int, most: int, usage: str) -> None:
    if not least <= len(args) <= most:
        raise ShellUsageError(f"{name} takes {usage}")


def _rows_text(rows: int | None) -> str:
    return "?" if rows is None else f"{rows:,}"


def _tables_table(shell: Shell, tables: Sequence[TableInfo]) -> None:
    if not tables:
        shell.console.error("no tables found")
        return
    rows = [(t.name, _rows_text(t.rows), t.description) for t in tables]
    shell.console.show(render_rows(["TABLE", "ROWS", "DESCRIPTION"], rows, [False, True, False]))


def _user_tables_or_none(shell: Shell) -> list[TableInfo]:
    """The user's tables, or none where the backend has no place for them or they are busy."""
    try:
        return shell.user_tables().tables()
    except UserTableError:
        return []


def help_command(shell: Shell, args: Sequence[str]) -> None:
    """``help [COMMAND]``."""
    _args("help", args, 0, 1, "at most one command name")
    if args:
        name = args[0].lower()
        if name not in COMMANDS:
            raise ShellUsageError(f"no command {args[0]!r}; type help for the list")
        shell.console.print(f"{name}: {COMMANDS[name]}")
        return
    shell.console.print(
        "Type SQL ending with ';' (Oracle-flavoured, as in DES's documentation). After the ';':\n"
        "  > FILE   write every row to FILE (.csv .csv.gz .tab .fits .fits.gz .h5 .parquet)\n"
        "  < check  check the syntax      < explain  show the plan\n"
        "Commands:"
    )
    width = max(len(name) for name in COMMANDS)
    for name, description in COMMANDS.items():
        shell.console.print(f"  {name:<{width}}  {description}")


def history_command(shell: Shell, args: Sequence[str]) -> None:
    """``history [N]``: the last N (default 20) inputs, numbered."""
    _args("history", args, 0, 1, "at most a number")
    count = _count(args[0]) if args else 20
    entries = shell.history()
    first = max(len(entries) - count, 0)
    for number, entry in enumerate(entries[first:], start=first + 1):
        lines = entry.splitlines() or [""]
        shell.console.print(f"{number:5d}  {lines[0]}")
        for line in lines[1:]:
            shell.console.print(f"       {line}")


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ShellUsageError(f"expected a positive whole number, not {text!r}")
    return int(text)


def config_command(shell: Shell, args: Sequence[str]) -> None:
    """``config`` shows the settings; ``config NAME VALUE`` sets and saves one."""
    if len(args) == 2:
        shell.config = shell.config.set(args[0].lower(), args[1])
        shell.console.paging = shell.config.pager
        shell.config.save(shell.settings.config_file)
    elif len(args) == 1:
        known = [name for name, _ in shell.config.describe()]
        if args[0].lower() not in known:
            raise ShellUsageError(f"unknown setting {args[0]!r}; settings: {', '.join(known)}")
    elif args:
        raise ShellUsageError("config takes no arguments, a setting's name, or NAME VALUE")
    wanted = args[0].lower() if args else None
    for name, value in shell.config.describe():
        if wanted is None or name == wanted:
            shell.console.print(f"{name:<10} {value}")


def prefetch_command(shell: Shell, args: Sequence[str]) -> None:
    """``prefetch [N]``: show or set the rows printed on screen."""
    _args("prefetch", args, 0, 1, "at most a number")
    if args:
        config_command(shell, ["prefetch", args[0]])
    else:
        shell.console.print(f"prefetch   {shell.config.prefetch}")


def whoami_command(shell: Shell, args: Sequence[str]) -> None:
    """Who the shell queries as."""
    _args("whoami", args, 0, 0, "no arguments")
    settings = shell.survey.settings
    catalog = shell.survey.catalog
    user = getattr(catalog, "user", None) or settings.db_user
    who = f"database user {user}" if user else f"{getpass.getuser()} (no database login)"
    shell.console.print(f"{who} on {catalog.backend}, release {shell.survey.release}")
    shell.console.print(f"job store: {settings.jobs_dir}")


def show_db_command(shell: Shell, args: Sequence[str]) -> None:
    """The release, its backend and where it is (never a password)."""
    _args("show_db", args, 0, 0, "no arguments")
    survey = shell.survey
    try:
        mine = shell.user_tables().location
    except UserTableError as err:
        mine = str(err)
    rows = [
        ("release", survey.release),
        ("backend", survey.catalog.backend),
        ("catalog", survey.settings.catalog_location),
        ("tables", str(len(survey.tables()))),
        ("your tables", mine),
        ("history", str(shell.settings.history_file)),
    ]
    for name, value in rows:
        shell.console.print(f"{name:<12} {value}")


def describe_table_command(shell: Shell, args: Sequence[str]) -> None:
    """``describe_table TABLE``: columns with types, units and descriptions."""
    _args("describe_table", args, 1, 1, "one table name")
    name = args[0]
    columns: list[ColumnInfo]
    bare = name.split(".", 1)[1] if name.upper().startswith("MYDB.") else name
    if bare != name:
        columns, title = shell.user_tables().columns(bare), f"{bare.upper()}: your table"
    else:
        try:
            table = shell.survey.table(name)
            columns = list(table.columns)
            title = f"{table.name}: {table.description}".rstrip(": ")
        except (TableNotFoundError, QueryError) as release_error:
            try:
                columns = shell.user_tables().columns(bare)
            except UserTableError:
                raise release_error from None
            title = f"{bare.upper()}: your table"
    shell.console.print(title)
    rows = [(c.name, c.datatype, c.unit, c.description) for c in columns]
    shell.console.show(render_rows(["COLUMN", "TYPE", "UNIT", "DESCRIPTION"], rows))


def find_tables_command(shell: Shell, args: Sequence[str]) -> None:
    """``find_tables PATTERN``: release and user tables whose names match."""
    _args("find_tables", args, 0, 1, "one pattern, e.g. find_tables DR1%")
    pattern = wildcard(args[0] if args else "%")
    tables = [*shell.survey.tables(), *_user_tables_or_none(shell)]
    _tables_table(shell, [t for t in tables if pattern.match(t.name)])


def find_tables_with_column_command(shell: Shell, args: Sequence[str]) -> None:
    """``find_tables_with_column COLUMN``: tables with a column of that name (or pattern)."""
    _args("find_tables_with_column", args, 1, 1, "one column name or pattern, e.g. MAG_AUTO%")
    pattern = wildcard(args[0]) if any(c in args[0] for c in "%*?") else None
    found: list[TableInfo] = []
    if pattern is None:
        found = shell.survey.tables(column=args[0])
    else:
        for table in shell.survey.tables():
            if any(pattern.match(c.name) for c in shell.survey.columns(table.name)):
                found.append(table)
    try:
        mine = shell.user_tables()
        for table in mine.tables():
            names = [c.name for c in mine.columns(table.name)]
            if any(pattern.match(n) if pattern else n.upper() == args[0].upper() for n in names):
                found.append(table)
    except UserTableError:
        pass
    _tables_table(shell, found)


def loadsql_command(shell: Shell, args: Sequence[str]) -> int:
    """``loadsql FILE``: run a file's statements; stop at the first that fails."""
    _args("loadsql", args, 1, 1, "one file name")
    path = Path(args[0]).expanduser()
    try:
        text = path.read_text()
    except OSError as err:
        raise ShellUsageError(f"cannot read {path}: {err.strerror}") from None
    return shell.run_text(text, final=True)


def load_table_command(shell: Shell, args: Sequence[str]) -> None:
    """``load_table FILE [NAME]``: upload a file as a user table."""
    _args("load_table", args, 1, 2, "a file and optionally a table name")
    tables = shell.user_tables()
    info = tables.load(Path(args[0]).expanduser(), args[1] if len(args) > 1 else None)
    shell.on_tables_changed()
    shell.console.print(
        f"{info.name}: {_rows_text(info.rows)} rows loaded; query it as "
        f"{tables.query_name(info.name)}"
    )


def mytables_command(shell: Shell, args: Sequence[str]) -> None:
    """``mytables``: the user's tables."""
    _args("mytables", args, 0, 0, "no arguments")
    tables = shell.user_tables()
    found = tables.tables()
    if not found:
        shell.console.error(f"you have no tables yet ({tables.location}): see load_table")
        return
    rows = [(t.name, _rows_text(t.rows), tables.query_name(t.name)) for t in found]
    shell.console.show(render_rows(["TABLE", "ROWS", "QUERY AS"], rows, [False, True, False]))


def drop_table_command(shell: Shell, args: Sequence[str]) -> None:
    """``drop_table NAME``: remove one of the user's tables."""
    _args("drop_table", args, 1, 1, "one table name")
    name = args[0].split(".", 1)[1] if args[0].upper().startswith("MYDB.") else args[0]
    shell.user_tables().drop(name)
    shell.on_tables_changed()
    shell.console.print(f"{name.upper()} dropped")


COMMAND_HANDLERS: dict[str, Handler] = {
    "config": config_command,
    "describe_table": describe_table_command,
    "drop_table": drop_table_command,
    "find_tables": find_tables_command,
    "find_tables_with_column": find_tables_with_column_command,
    "help": help_command,
    "history": history_command,
    "load_table": load_table_command,
    "loadsql": loadsql_command,
    "mytables": mytables_command,
    "prefetch": prefetch_command,
    "show_db": show_db_command,
    "whoami": whoami_command,
}

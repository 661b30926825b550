"""What the user typed, as actions: SQL statements with their suffixes, and shell commands.

Pure functions, no database: the interactive shell, ``-c`` and ``-f`` all go through
:func:`parse_input`. A statement ends with ``;`` (outside quotes and comments); easyaccess's
suffixes may follow on the same line: ``; > out.fits`` exports the full result, ``; < check``
checks the syntax, ``; < explain`` shows the plan. A line whose first word is a shell command
(``describe_table DR1_MAIN``) is that command; ``submit`` takes the statement that follows.

Examples
--------
>>> [type(a).__name__ for a in parse_input("SELECT 1; > one.csv\\nhelp")]
['Statement', 'Command']
>>> parse_input("SELECT 1;")[0].suffix is None
True
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field

from ..errors import SurveylabError
from ..sql import STATEMENT_KEYWORDS, skip_literal

__all__ = [
    "COMMANDS",
    "EXPORT_FORMATS",
    "Action",
    "Check",
    "Command",
    "Explain",
    "Export",
    "IncompleteInputError",
    "ShellUsageError",
    "Statement",
    "Submit",
    "export_format",
    "is_complete",
    "parse_input",
    "suggest_command",
]

#: The shell's commands and a one-line description of each (``help`` lists them).
COMMANDS: dict[str, str] = {
    "config": "show the settings, or set one: config NAME VALUE (format, timeout, null, ...)",
    "describe_table": "the columns of a table: describe_table TABLE",
    "drop_table": "remove one of your tables: drop_table NAME",
    "exit": "leave the shell (also quit, or Ctrl-D)",
    "find_tables": "tables whose name matches: find_tables PATTERN (% or * wildcards)",
    "find_tables_with_column": "tables having a column: find_tables_with_column COLUMN",
    "help": "this list, or help COMMAND",
    "history": "the statements typed before: history [N]",
    "load_table": "upload a CSV, FITS or Parquet file as your table: load_table FILE [NAME]",
    "loadsql": "run the statements of a SQL file: loadsql FILE",
    "mytables": "list your tables",
    "prefetch": "show or set the rows printed on screen: prefetch [N]",
    "quit": "leave the shell",
    "show_db": "the release, its backend and where it is",
    "submit": "run a statement as a job of the job store: submit SELECT ...; [> name.fits]",
    "whoami": "who you are connected as",
}

#: Words that start SQL rather than a command: queries, and statements the core refuses with
#: a clear message.
SQL_WORDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "FROM", *STATEMENT_KEYWORDS})

#: File endings of ``; > FILE`` and the (format, compression) each writes.
EXPORT_FORMATS: dict[str, tuple[str, str | None]] = {
    ".csv": ("csv", None),
    ".csv.gz": ("csv", "gzip"),
    ".tab": ("tab", None),
    ".tsv": ("tab", None),
    ".fits": ("fits", None),
    ".fit": ("fits", None),
    ".fits.gz": ("fits", "gzip"),
    ".h5": ("hdf5", None),
    ".hdf5": ("hdf5", None),
    ".parquet": ("parquet", None),
    ".pq": ("parquet", None),
}

_SUFFIX = re.compile(r"[ \t]*([<>])[ \t]*(.*?)[ \t]*(?:\n|$)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ShellUsageError(SurveylabError):
    """Input the shell cannot understand: an unknown command or suffix, missing arguments."""


class IncompleteInputError(ShellUsageError):
    """A statement without its ending ``;`` where more input may follow."""


@dataclass(frozen=True)
class Export:
    """``; > PATH``: write the full result to a file."""

    path: str
    format: str
    compression: str | None


@dataclass(frozen=True)
class Check:
    """``; < check``: check the syntax only."""


@dataclass(frozen=True)
class Explain:
    """``; < explain``: show the execution plan."""


Suffix = Export | Check | Explain


@dataclass(frozen=True)
class Statement:
    """One SQL statement (without its ``;``) and what to do with it.

    ``text`` keeps the user's characters from the statement's first one, so that a syntax
    error's line and column point into it.
    """

    text: str
    suffix: Suffix | None = None


@dataclass(frozen=True)
class Submit:
    """``submit <statement>;``: run it as a job; ``> name.fits`` names the job and format."""

    statement: Statement


@dataclass(frozen=True)
class Command:
    """A shell command and its arguments (split as a shell splits them)."""

    name: str
    args: tuple[str, ...] = field(default_factory=tuple)


Action = Statement | Submit | Command


def export_format(path: str) -> tuple[str, str | None]:
    """The (format, compression) written for ``path``, from its ending.

    Examples
    --------
    >>> export_format("m2.fits.gz"), export_format("OUT.CSV")
    (('fits', 'gzip'), ('csv', None))
    """
    lower = path.lower()
    for ending in sorted(EXPORT_FORMATS, key=len, reverse=True):
        if lower.endswith(ending) and len(lower) > len(ending):
            return EXPORT_FORMATS[ending]
    known = ", ".join(EXPORT_FORMATS)
    raise ShellUsageError(f"cannot tell the format of {path!r}: end the file name with {known}")


def suggest_command(word: str) -> str | None:
    """The command (or SQL word) nearest to ``word``, if one is near enough."""
    candidates = [*COMMANDS, "select", "with"]
    found = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    if not found:
        return None
    return found[0].upper() if found[0] in ("select", "with") else found[0]


def _first_word(text: str) -> str:
    match = _WORD.match(text.lstrip())
    return match.group(0) if match else ""


def _is_sql_start(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith("(") or _first_word(stripped).upper() in SQL_WORDS


def _statement_end(text: str, start: int) -> int | None:
    """Offset of the ``;`` that ends the statement starting at ``start``; None if none yet."""
    index = start
    while index < len(text):
        after = skip_literal(text, index)
        if after is None:
            return None
        if after > index:
            index = after
        elif text[index] == ";":
            return index
        else:
            index += 1
    return None


def _suffix(kind: str, value: str) -> Suffix:
    if kind == ">":
        if not value:
            raise ShellUsageError("'; >' needs a file name, e.g. '; > result.fits'")
        path = value.strip("'\"")
        format, compression = export_format(path)
        return Export(path, format, compression)
    mode = value.lower()
    if mode == "check":
        return Check()
    if mode == "explain":
        return Explain()
    raise ShellUsageError(f"unknown '; <' mode {value!r}: write '; < check' or '; < explain'")


def _read_statement(text: str, start: int, final: bool) -> tuple[Statement | None, int]:
    """The statement starting at ``start`` and where the input goes on after it.

    Returns ``(None, start)`` if it has no ``;`` yet and the input may go on (not ``final``).
    """
    end = _statement_end(text, start)
    if end is None:
        if not final:
            return None, start
        return Statement(text[start:].rstrip()), len(text)
    body = text[start:end]
    after = end + 1
    match = _SUFFIX.match(text, after)
    if match:
        return Statement(body, _suffix(match.group(1), match.group(2))), match.end()
    return Statement(body), after


def _command_end(text: str, start: int) -> int:
    """Where the command starting at ``start`` ends: a newline or a ``;`` outside quotes."""
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in ";\n":
            return index
    return len(text)


def _command(line: str) -> Command:
    word = _first_word(line)
    name = word.lower()
    rest = line.lstrip()[len(word) :].strip().rstrip(";").strip()
    if name not in COMMANDS:
        near = suggest_command(word)
        hint = f": did you mean {near}?" if near else "; type help for the commands"
        raise ShellUsageError(f"unknown command {word or line.strip()!r}{hint}")
    try:
        args = tuple(shlex.split(rest))
    except ValueError as err:
        raise ShellUsageError(f"{name}: {err}") from None
    return Command(name, args)


def parse_input(text: str, *, final: bool = True) -> list[Action]:
    """Split ``text`` into actions, in order.

    Parameters
    ----------
    text : str
        What the user typed (one or more lines), or a SQL file's contents.
    final : bool
        Whether the input ends here (``-c``, ``-f``): a last statement without ``;`` is then
        taken as complete. Otherwise :func:`is_complete` decides when to run.

    Raises
    ------
    ShellUsageError
        An unknown command (with the nearest one), an unknown suffix, or a statement that never
        ends while ``final`` is False.
    """
    actions: list[Action] = []
    index = 0
    while index < len(text):
        rest = text[index:]
        stripped = rest.lstrip()
        if not stripped:
            break
        index += len(rest) - len(stripped)
        if stripped.startswith(("--", "/*")):
            end = text.find("\n" if stripped.startswith("--") else "*/", index)
            index = len(text) if end < 0 else end + (1 if stripped.startswith("--") else 2)
            continue
        if stripped.startswith(";"):
            index += 1
            continue
        word = _first_word(stripped).lower()
        if word == "submit":
            start = index + len(word)
            statement, index = _read_statement(text, start, final)
            if statement is None:
                raise IncompleteInputError("the statement does not end: finish it with ';'")
            if not statement.text.strip():
                raise ShellUsageError("submit needs a statement: submit SELECT ...; [> name.fits]")
            actions.append(Submit(Statement(statement.text.lstrip(), statement.suffix)))
        elif _is_sql_start(stripped):
            statement, index = _read_statement(text, index, final)
            if statement is None:
                raise IncompleteInputError("the statement does not end: finish it with ';'")
            actions.append(statement)
        else:
            end = _command_end(text, index)
            actions.append(_command(text[index:end]))
            index = end + 1
    return actions


def is_complete(text: str) -> bool:
    """Whether the shell should run ``text`` now (Enter) rather than start a new line.

    Empty input, commands and unknown words are complete at the end of their line; SQL and
    ``submit`` once every statement has its ``;``.
    """
    try:
        parse_input(text, final=False)
    except IncompleteInputError:
        return False
    except ShellUsageError:
        return True
    return True

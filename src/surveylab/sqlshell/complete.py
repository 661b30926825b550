"""Tab completion: SQL keywords, shell commands, table names and column names, the columns of
the tables in the statement being typed first.

:func:`suggest` is pure (text in, candidates out) over a :class:`SchemaCache`;
:class:`SqlCompleter` is the thin prompt_toolkit adapter.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType
from sqlglot.tokens import Tokenizer

from .parse import COMMANDS

__all__ = ["KEYWORDS", "SchemaCache", "SqlCompleter", "statement_tables", "suggest"]

#: The SQL words offered: queries in DES's Oracle-flavoured SQL.
KEYWORDS = (
    *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "IS", "NULL"),
    *("AS", "DISTINCT", "GROUP BY", "ORDER BY", "HAVING", "ASC", "DESC", "JOIN", "LEFT"),
    *("RIGHT", "INNER", "OUTER", "FULL", "CROSS", "ON", "USING", "UNION", "ALL", "INTERSECT"),
    *("MINUS", "EXCEPT", "WITH", "CASE", "WHEN", "THEN", "ELSE", "END", "EXISTS", "FETCH FIRST"),
    *("ROWS ONLY", "OFFSET", "ROWNUM", "SAMPLE", "DUAL", "COUNT", "SUM", "AVG", "MIN", "MAX"),
    *("NVL", "COALESCE", "CAST", "ABS", "ROUND", "FLOOR", "CEIL", "SQRT", "POWER", "MOD", "LOG"),
    *("SIN", "COS", "RADIANS", "DEGREES", "UPPER", "LOWER", "SUBSTR", "LENGTH", "TRIM"),
)
#: Tokens after which table names are wanted.
_TABLE_CONTEXT = {TokenType.FROM, TokenType.JOIN}
#: Commands whose argument is a table.
_TABLE_COMMANDS = {"describe_table", "drop_table"}
_WORD = re.compile(r"[A-Za-z0-9_$.]*$")


class SchemaCache:
    """Table and column names, read once through the given functions (errors give none)."""

    def __init__(
        self,
        tables: Callable[[], Iterable[str]],
        columns: Callable[[str], Iterable[str]],
        user_tables: Callable[[], Iterable[str]] = lambda: (),
    ) -> None:
        self._tables_source = tables
        self._columns_source = columns
        self._user_source = user_tables
        self._lock = threading.Lock()
        self._tables: list[str] | None = None
        self._user: list[str] | None = None
        self._columns: dict[str, list[str]] = {}

    def tables(self) -> list[str]:
        """The release's table names."""
        with self._lock:
            if self._tables is None:
                self._tables = _safely(self._tables_source)
            return self._tables

    def user_tables(self) -> list[str]:
        """The user's table names, as queries write them (``MYDB.NAME`` on DuckDB)."""
        with self._lock:
            if self._user is None:
                self._user = _safely(self._user_source)
            return self._user

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` (none if it is unknown)."""
        key = table.upper()
        with self._lock:
            if key not in self._columns:
                self._columns[key] = _safely(lambda: self._columns_source(table))
            return self._columns[key]

    def forget(self) -> None:
        """Read everything anew next time (after load_table or drop_table)."""
        with self._lock:
            self._tables = self._user = None
            self._columns.clear()


def _safely(source: Callable[[], Iterable[str]]) -> list[str]:
    try:
        return list(source())
    except Exception:  # completion must never break typing: no names is the answer
        return []


def _tokens(text: str) -> list[Token]:
    try:
        return Tokenizer().tokenize(text)
    except TokenError:
        return []


def statement_tables(statement: str) -> dict[str, str]:
    """The tables named in ``statement``'s FROM and JOIN clauses, by alias (and by name).

    Examples
    --------
    >>> statement_tables("SELECT m.RA FROM DR1_MAIN m JOIN DR1_TILE_INFO t ON m.ID = ")["T"]
    'DR1_TILE_INFO'
    """
    found: dict[str, str] = {}
    tokens = _tokens(statement)
    index = 0
    while index < len(tokens):
        if tokens[index].token_type not in _TABLE_CONTEXT:
            index += 1
            continue
        index += 1
        while index < len(tokens) and tokens[index].token_type == TokenType.VAR:
            name = tokens[index].text
            index += 1
            while (
                index + 1 < len(tokens)
                and tokens[index].token_type == TokenType.DOT
                and tokens[index + 1].token_type == TokenType.VAR
            ):
                name += "." + tokens[index + 1].text
                index += 2
            name = name.upper()
            found.setdefault(name, name)
            if index < len(tokens) and tokens[index].token_type == TokenType.ALIAS:
                index += 1
            if index < len(tokens) and tokens[index].token_type == TokenType.VAR:
                found[tokens[index].text.upper()] = name
                index += 1
            if index < len(tokens) and tokens[index].token_type == TokenType.COMMA:
                index += 1
                continue
            break
    return found


def _wants_tables(before: str) -> bool:
    """Whether the word being typed follows FROM, JOIN or a comma of a FROM list."""
    tokens = _tokens(before)
    for token in reversed(tokens):
        if token.token_type in _TABLE_CONTEXT:
            return True
        if token.token_type not in (TokenType.VAR, TokenType.COMMA, TokenType.DOT, TokenType.ALIAS):
            return False
    return False


def _matching(candidates: Iterable[str], word: str) -> list[str]:
    lower = word.lower()
    seen: dict[str, None] = {}
    for candidate in candidates:
        if candidate.lower().startswith(lower) and candidate not in seen:
            seen[candidate] = None
    return list(seen)


def suggest(text: str, schema: SchemaCache, after: str = "") -> tuple[str, list[str]]:
    """The word being typed at the end of ``text`` and its completions, best first.

    ``after`` is the input after the cursor: a FROM clause there names tables too.
    """
    word = _WORD.search(text).group(0)  # type: ignore[union-attr]  # the pattern always matches
    statement = text[: len(text) - len(word)].rsplit(";", 1)[-1]
    head = statement.lstrip()
    if not head:  # the first word: a command or the start of a query
        return word, _matching([*COMMANDS, "SELECT", "WITH", "submit"], word)
    first = head.split(None, 1)[0].lower()
    if first in COMMANDS and first != "submit":
        if first in _TABLE_COMMANDS:
            return word, _matching([*schema.tables(), *schema.user_tables()], word)
        return word, []
    tables = statement_tables(statement + " " + after.split(";", 1)[0])
    if "." in word:
        qualifier, _, part = word.rpartition(".")
        if qualifier.upper() == "MYDB":
            return word, _matching(schema.user_tables(), word)
        table = tables.get(qualifier.upper(), qualifier.upper())
        columns = [f"{qualifier}.{column}" for column in schema.columns(table)]
        return word, _matching(columns, word) if part or columns else []
    named = list(dict.fromkeys(tables.values()))
    in_statement = [c for table in named for c in schema.columns(table)]
    if _wants_tables(statement):
        order = [*schema.tables(), *schema.user_tables(), *KEYWORDS]
    else:
        others = [
            c for table in schema.tables() if table not in named for c in schema.columns(table)
        ]
        order = [*in_statement, *KEYWORDS, *schema.tables(), *schema.user_tables(), *others]
    return word, _matching(order, word)


class SqlCompleter(Completer):
    """prompt_toolkit's view of :func:`suggest`."""

    def __init__(self, schema: SchemaCache) -> None:
        self.schema = schema

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        word, candidates = suggest(
            document.text_before_cursor, self.schema, document.text_after_cursor
        )
        for candidate in candidates:
            yield Completion(candidate, start_position=-len(word))

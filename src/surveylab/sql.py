"""Users' SQL: checked, explained and translated before it reaches a database.

Users write the Oracle-flavoured SQL of the DES documentation (``FROM DR1_MAIN SAMPLE(25)``,
``ROWNUM``, ``NVL``, ``||``, ``FETCH FIRST n ROWS ONLY``, ``SELECT ... FROM dual``).
:func:`prepare` parses it with sqlglot, refuses anything but one read-only query, reports syntax
errors with the line and column in the user's text, and translates the query to the dialect of the
catalog backend (``'duckdb'``, ``'postgres'`` or ``'oracle'``). A query already written in the
backend's own dialect (``LIMIT 10`` on DuckDB or PostgreSQL) is accepted too.

The module is pure: it never touches a database. Refusing writes, file readers and every function
not on the backend's allowlist (:mod:`surveylab.sql_functions`: maths, strings, dates, aggregates
and window functions, nothing that reads files, settings, the environment or the network) is a
first line of defence; the backends add their own (DuckDB opened read-only, PostgreSQL and Oracle
sessions in read-only transactions under a read-only account).

Examples
--------
>>> query = "SELECT RA, NVL(MAG_AUTO_G, 99) FROM DR1_MAIN SAMPLE(25) WHERE ROWNUM <= 5;"
>>> prepare(query, "duckdb").sql
'SELECT RA, COALESCE(MAG_AUTO_G, 99) FROM DR1_MAIN TABLESAMPLE BERNOULLI (25 PERCENT) LIMIT 5'
>>> prepare("SELECT 1 AS ONE FROM dual", "postgres").sql
'SELECT 1 AS ONE'
>>> prepare("DELETE FROM DR1_MAIN", "duckdb")
Traceback (most recent call last):
...
surveylab.errors.ReadOnlyQueryError: only read-only queries (SELECT or WITH) are allowed; \
this is a DELETE statement
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError

from .errors import FunctionNotAllowedError, QueryError, ReadOnlyQueryError, SQLSyntaxError
from .sql_functions import ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, SESSION_PSEUDO_COLUMNS

__all__ = [
    "DIALECTS",
    "SOURCE_DIALECT",
    "PreparedQuery",
    "check",
    "parse_query",
    "prepare",
    "query_tables",
    "skip_literal",
    "text_position",
]

#: The dialects a query can be translated to, as sqlglot names them.
DIALECTS = ("duckdb", "postgres", "oracle")
#: The dialect users write: DES's Oracle SQL.
SOURCE_DIALECT = "oracle"

#: What a refused statement is told.
READ_ONLY_MESSAGE = "only read-only queries (SELECT or WITH) are allowed"
#: Said when there is nothing to run.
EMPTY_MESSAGE = "the query is empty: write a SELECT statement"

#: Statement roots that are read-only queries.
_QUERY_ROOTS: tuple[type[exp.Expr], ...] = (exp.Select, exp.SetOperation, exp.Subquery)

#: The statement kind shown to users, by sqlglot node type.
_STATEMENT_KINDS: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.Create: "CREATE",
    exp.Drop: "DROP",
    exp.Alter: "ALTER",
    exp.TruncateTable: "TRUNCATE",
    exp.Copy: "COPY",
    exp.Set: "SET",
    exp.Pragma: "PRAGMA",
    exp.Attach: "ATTACH",
    exp.Detach: "DETACH",
    exp.Grant: "GRANT",
    exp.Revoke: "REVOKE",
    exp.Transaction: "BEGIN",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
    exp.Use: "USE",
    exp.Install: "INSTALL",
    exp.Describe: "DESCRIBE",
    exp.Show: "SHOW",
    exp.Analyze: "ANALYZE",
    exp.Export: "EXPORT",
    exp.Values: "VALUES",
}

#: First words of statements that are not queries. A query that starts with one of these and does
#: not parse is refused as that statement rather than reported as a syntax error.
STATEMENT_KEYWORDS = frozenset(
    {
        *("ALTER", "ANALYZE", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "CLUSTER", "COMMENT"),
        *("COMMIT", "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DESCRIBE", "DETACH"),
        *("DISCARD", "DO", "DROP", "EXEC", "EXECUTE", "EXPLAIN", "EXPORT", "FORCE", "GRANT"),
        *("IMPORT", "INSERT", "INSTALL", "LISTEN", "LOAD", "LOCK", "MERGE", "NOTIFY", "PRAGMA"),
        *("PREPARE", "PURGE", "REFRESH", "REINDEX", "RENAME", "REPLACE", "RESET", "REVOKE"),
        *("ROLLBACK", "SAVEPOINT", "SET", "SHOW", "SUMMARIZE", "TRUNCATE", "UNLISTEN", "UPDATE"),
        *("UPSERT", "USE", "VACUUM"),
    }
)

#: Function nodes of sqlglot that are operators when no function name was written.
_OPERATORS = (exp.Connector, exp.Binary, exp.Exists)
#: The backends as users know them, by dialect.
_BACKEND_NAMES = {"duckdb": "DuckDB", "postgres": "PostgreSQL", "oracle": "Oracle"}
#: Characters that never occur in a table name but do in file paths and URLs.
_PATH_CHARACTERS = re.compile(r"[./\\:~]")
#: A valid unquoted Oracle identifier in upper case: Oracle treats ``"RA"`` and ``RA`` alike.
_UPPER_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_$#]*$")
#: Leading whitespace and comments, to find a statement's first word.
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_FIRST_WORD = re.compile(r"[A-Za-z_]+")
#: Oracle's one-row table.
_DUAL = "DUAL"
#: Names given to unnamed derived tables for PostgreSQL (``subquery_1``, ...).
_SUBQUERY = "subquery_"
#: Oracle's row counter.
_ROWNUM = "ROWNUM"
#: sqlglot's wording of some parse errors, made readable.
_REQUIRED_KEYWORD = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]*\.(\w+)'>")
_TOKEN_REPR = re.compile(r"\s*but got <Token [^>]*>")


@dataclass(frozen=True)
class PreparedQuery:
    """A checked query, ready to run on one backend.

    Attributes
    ----------
    text : str
        What the user wrote, without surrounding whitespace and trailing ``;``.
    sql : str
        The query in the backend's dialect.
    tables : tuple of str
        The tables it reads (upper case, schema-qualified where the user qualified them), in order
        of first mention; common table expressions and ``DUAL`` are not tables.
    """

    text: str
    sql: str
    tables: tuple[str, ...]


def prepare(text: str, dialect: str, *, source: str = SOURCE_DIALECT) -> PreparedQuery:
    """Check ``text`` and translate it to ``dialect``.

    Parameters
    ----------
    text : str
        The user's query. One statement; a trailing ``;`` is allowed.
    dialect : str
        The backend's sqlglot dialect: ``'duckdb'``, ``'postgres'`` or ``'oracle'``.
    source : str, optional
        The dialect users write, ``'oracle'`` by default. A query that does not parse in it but
        parses in ``dialect`` is taken as written in ``dialect``.

    Returns
    -------
    PreparedQuery

    Raises
    ------
    SQLSyntaxError
        The query is empty or does not parse; ``line`` and ``column`` (1-based) point into
        ``text``.
    ReadOnlyQueryError
        It is not exactly one read-only query, or it reads files or the network.
    FunctionNotAllowedError
        It calls a function that is not on ``dialect``'s allowlist
        (:data:`surveylab.sql_functions.ALLOWED_FUNCTIONS`); ``function``, ``line`` and
        ``column`` say which and where.
    QueryError
        It uses an Oracle feature that has no translation to ``dialect`` (e.g. ``(+)`` joins).
    """
    for name in (dialect, source):
        if name not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {name!r}; known: {', '.join(DIALECTS)}")
    body = _strip(text)
    try:
        statements, read = _parse(body, dialect, source)
        tree = _one_read_only_query(
            statements,
            body,
            ALLOWED_FUNCTIONS[dialect],
            ALLOWED_TABLE_FUNCTIONS,
            f"on {_BACKEND_NAMES[dialect]}, which may call only known maths, string, date, "
            "aggregate and window functions",
        )
        tables = query_tables(tree)
        if read == dialect:
            return PreparedQuery(text=body.strip(), sql=body.strip(), tables=tables)
        return PreparedQuery(text=body.strip(), sql=_translate(tree, dialect), tables=tables)
    except RecursionError:
        raise _too_deep(body) from None


def check(text: str, dialect: str, *, source: str = SOURCE_DIALECT) -> PreparedQuery:
    """Validate ``text`` as :func:`prepare` does, without running anything.

    It is :func:`prepare` under the name the query panel's *Check* button uses.
    """
    return prepare(text, dialect, source=source)


def parse_query(
    text: str,
    dialect: sqlglot.Dialect,
    *,
    functions: frozenset[str],
    table_functions: frozenset[str] = frozenset(),
    language: str,
) -> tuple[str, exp.Expr]:
    """Parse ``text`` in a query language of its own (ADQL) and check it as :func:`prepare` does.

    Parameters
    ----------
    text : str
        The user's query; a trailing ``;`` is allowed.
    dialect : sqlglot.Dialect
        The language's sqlglot dialect.
    functions, table_functions : frozenset of str
        The upper-case names of the functions and table functions the query may call.
    language : str
        Ends the refusal of any other function: "the function f() is not allowed in a read-only
        survey query {language}".

    Returns
    -------
    tuple of (str, sqlglot.exp.Expr)
        ``text`` without trailing ``;`` (the positions of errors point into it) and the query.

    Raises
    ------
    SQLSyntaxError, ReadOnlyQueryError, FunctionNotAllowedError
        As :func:`prepare`.
    """
    body = _strip(text)
    try:
        statements = _parse_as(body, dialect)
        return body, _one_read_only_query(statements, body, functions, table_functions, language)
    except (ParseError, TokenError) as error:
        raise _parse_failure(body, error) from None
    except RecursionError:
        raise _too_deep(body) from None


# --- parsing ---------------------------------------------------------------------------------


def _strip(text: str) -> str:
    """``text`` without trailing whitespace and semicolons; earlier characters keep their place."""
    return text.rstrip().rstrip(";").rstrip()


def _first_word(text: str) -> str:
    """The first word of ``text`` after whitespace and comments, upper case (``''`` if none)."""
    rest = text[_LEADING_NOISE.match(text).end() :]  # type: ignore[union-attr]
    word = _FIRST_WORD.match(rest)
    return word.group(0).upper() if word else ""


def _parse(body: str, dialect: str, source: str) -> tuple[list[exp.Expr], str]:
    """Parse ``body`` as ``source``, else as ``dialect``; the statements and the dialect used."""
    try:
        return _parse_as(body, source), source
    except (ParseError, TokenError) as first:
        if dialect != source:
            try:
                return _parse_as(body, dialect), dialect
            except (ParseError, TokenError):
                pass
        raise _parse_failure(body, first) from None


def _parse_failure(body: str, error: ParseError | TokenError) -> QueryError:
    """The refusal of a statement that is not a query, else the syntax error sqlglot found."""
    word = _first_word(body)
    if word in STATEMENT_KEYWORDS:
        return ReadOnlyQueryError(_refusal(word))
    return _syntax_error(body, error)


def _parse_as(body: str, dialect: str | sqlglot.Dialect) -> list[exp.Expr]:
    # A context as long as the text makes ``start_context`` the exact prefix before the error.
    parsed = sqlglot.Dialect.get_or_raise(dialect).parse(body, error_message_context=len(body) + 1)
    return [statement for statement in parsed if statement is not None]


def _syntax_error(body: str, error: ParseError | TokenError) -> SQLSyntaxError:
    """A :class:`SQLSyntaxError` pointing at the first error sqlglot found in ``body``."""
    if isinstance(error, TokenError):
        offset = _unterminated_at(body)
        line, column = text_position(body, offset) if offset is not None else (None, None)
        return SQLSyntaxError("syntax error: unterminated quoted string or comment", line, column)
    if not error.errors:
        return SQLSyntaxError(f"syntax error: {error}")
    first = error.errors[0]
    offset = len(first.get("start_context") or "")
    highlight = str(first.get("highlight") or "").strip()
    line, column = text_position(body, offset)
    near = f" near {highlight!r}" if highlight else ""
    return SQLSyntaxError(
        f"syntax error{near}: {_describe(str(first.get('description')))}",
        line,
        column,
        token=highlight or None,
    )


def _too_deep(body: str) -> SQLSyntaxError:
    """The refusal of a query nested deeper than the parser can follow (about 50 parentheses or
    subqueries), pointing at its deepest parenthesis."""
    depth = deepest = 0
    deepest_at: int | None = None
    index = 0
    while index < len(body):
        after = skip_literal(body, index)
        if after is not None and after > index:
            index = after
            continue
        if body[index] == "(":
            depth += 1
            if depth > deepest:
                deepest, deepest_at = depth, index
        elif body[index] == ")":
            depth -= 1
        index += 1
    line, column = text_position(body, deepest_at) if deepest_at is not None else (None, None)
    levels = f" ({deepest} levels of parentheses)" if deepest else ""
    return SQLSyntaxError(
        f"the query is nested too deeply to check{levels}: flatten it, e.g. with a WITH clause "
        "or fewer parentheses",
        line,
        column,
    )


def _describe(description: str) -> str:
    """sqlglot's description of a parse error in words a user can act on."""
    required = _REQUIRED_KEYWORD.search(description)
    if required:
        return f"incomplete {required.group(1).upper()} expression"
    description = _TOKEN_REPR.sub("", description)
    if description.startswith("Invalid expression / Unexpected token"):
        return "unexpected word or symbol"
    return description[:1].lower() + description[1:]


def text_position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (a tab counts as one column)."""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


def skip_literal(text: str, index: int) -> int | None:
    """The offset just past the comment or quoted string that starts at ``text[index]``;
    ``index`` itself if none starts there; None if it is never closed."""
    if text.startswith("--", index):
        end = text.find("\n", index)
        return len(text) if end < 0 else end + 1
    if text.startswith("/*", index):
        end = text.find("*/", index + 2)
        return None if end < 0 else end + 2
    quote = text[index]
    if quote in "'\"":
        end = text.find(quote, index + 1)
        while end >= 0 and text.startswith(quote * 2, end):  # a doubled quote is escaped
            end = text.find(quote, end + 2)
        return None if end < 0 else end + 1
    return index


def _unterminated_at(text: str) -> int | None:
    """Offset of the quote or comment opener that ``text`` never closes, if any."""
    index = 0
    while index < len(text):
        after = skip_literal(text, index)
        if after is None:
            return index
        index = after if after > index else index + 1
    return None


# --- what a query may do ------------------------------------------------------------------------


def _refusal(kind: str) -> str:
    return f"{READ_ONLY_MESSAGE}; this is {_article(kind)} {kind} statement"


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _statement_kind(node: exp.Expr, first_word: str) -> str:
    for node_type, kind in _STATEMENT_KINDS.items():
        if isinstance(node, node_type):
            return kind
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return first_word or type(node).__name__.upper()


def _one_read_only_query(
    statements: list[exp.Expr],
    body: str,
    functions: frozenset[str],
    table_functions: frozenset[str],
    context: str,
) -> exp.Expr:
    """The one statement of ``statements`` if it is a read-only query that calls only
    ``functions`` (and ``table_functions`` in FROM); else the refusal, ``context`` ending its
    message about a function."""
    if not statements:
        raise SQLSyntaxError(EMPTY_MESSAGE)
    for index, statement in enumerate(statements):
        _check_read_only(statement, _first_word(body) if index == 0 else "")
    if len(statements) > 1:
        raise ReadOnlyQueryError(
            f"one statement at a time, please: this query has {len(statements)} statements"
        )
    tree = statements[0]
    _check_sources(tree, body, functions, table_functions, context)
    return tree


def _check_read_only(statement: exp.Expr, first_word: str) -> None:
    """Refuse ``statement`` unless it is a query that writes nothing anywhere in its tree."""
    root = statement.unnest() if isinstance(statement, exp.Subquery) else statement
    if not isinstance(root, _QUERY_ROOTS):
        raise ReadOnlyQueryError(_refusal(_statement_kind(root, first_word)))
    for node in statement.walk():
        if isinstance(node, exp.Lock):
            raise ReadOnlyQueryError(
                f"{READ_ONLY_MESSAGE}; SELECT ... FOR UPDATE locks rows and is not allowed"
            )
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            raise ReadOnlyQueryError(
                f"{READ_ONLY_MESSAGE}; SELECT ... INTO creates a table and is not allowed"
            )
        if not isinstance(node, _QUERY_ROOTS) and any(
            isinstance(node, node_type) for node_type in _STATEMENT_KINDS
        ):
            if isinstance(node, exp.Values):
                continue  # VALUES lists inside a query are data, not a statement
            raise ReadOnlyQueryError(_refusal(_statement_kind(node, "")))


def _function_name(node: exp.Func) -> str:
    """The upper-case name of a function call, package-qualified (``UTL_HTTP.REQUEST``)."""
    name = str(node.this) if isinstance(node, exp.Anonymous) else node.sql_name()
    package = _package(node)
    return f"{package}.{name}".upper() if package else name.upper()


def _package(node: exp.Expr) -> str:
    """The package of a qualified call (``UTL_HTTP`` of ``UTL_HTTP.REQUEST(...)``), or ``''``."""
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        return str(parent.this.sql())
    return ""


def _written_name(node: exp.Expr, body: str) -> str | None:
    """The name a call was written with (``NVL`` for sqlglot's ``COALESCE``), if sqlglot kept
    where it was; package-qualified."""
    start, end = node.meta.get("start"), node.meta.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    name = body[start : end + 1]
    package = _package(node)
    return f"{package}.{name}".upper() if package else name.upper()


def _location(node: exp.Expr, name: str, body: str) -> tuple[int | None, int | None]:
    """1-based line and column of the call ``node`` (of its package, if qualified) in ``body``."""
    anchor = node.parent.this if _package(node) else node  # type: ignore[union-attr]
    start = anchor.meta.get("start") if isinstance(anchor, exp.Expr) else None
    if not isinstance(start, int):
        found = re.search(rf"(?<![\w$#]){re.escape(name.split('.')[0])}(?![\w$#])", body, re.I)
        if found is None:
            return None, None
        start = found.start()
    return text_position(body, start)


def _refuse_function(name: str, node: exp.Expr, body: str, context: str) -> FunctionNotAllowedError:
    line, column = _location(node, name, body)
    return FunctionNotAllowedError(
        f"the function {name.lower()}() is not allowed in a read-only survey query {context}",
        function=name,
        line=line,
        column=column,
    )


def _check_sources(
    tree: exp.Expr,
    body: str,
    allowed: frozenset[str],
    table_functions: frozenset[str],
    context: str,
) -> None:
    """Refuse file and network readers (table functions, file-like table names) and every call
    to a function not in ``allowed`` (a backend's allowlist, :mod:`surveylab.sql_functions`)."""
    for node in tree.walk():
        if isinstance(node, exp.Table):
            source = node.this
            if isinstance(source, exp.Func):
                name = _function_name(source)
                if name not in table_functions:
                    raise ReadOnlyQueryError(
                        f"the table function {name.lower()}() is not allowed: queries read the "
                        "catalog's tables only, not files or other databases"
                    )
            elif _PATH_CHARACTERS.search(node.name):
                raise ReadOnlyQueryError(
                    f"{node.name!r} looks like a file or URL: queries read the catalog's tables "
                    "only"
                )
        elif isinstance(node, exp.Func) and not isinstance(node.parent, exp.Table):
            written = _written_name(node, body)
            if written is None and isinstance(node, _OPERATORS):
                continue  # AND, ||, ->, EXISTS (...): an operator on its operands, not a call
            canonical = None if isinstance(node, exp.Anonymous) else _function_name(node)
            if not {written, canonical} & allowed:
                raise _refuse_function(written or _function_name(node), node, body, context)
        elif isinstance(node, exp.Column) and _is_session_pseudo_column(node):
            raise _refuse_function(node.name.upper(), node.this, body, context)


def _is_session_pseudo_column(node: exp.Column) -> bool:
    """Whether ``node`` is a bare ``USER``, ``CURRENT_SCHEMA``, ...: a session function."""
    identifier = node.this
    return (
        not node.table
        and isinstance(identifier, exp.Identifier)
        and not identifier.quoted
        and identifier.name.upper() in SESSION_PSEUDO_COLUMNS
    )


def query_tables(tree: exp.Expr) -> tuple[str, ...]:
    """Upper-case names of the tables ``tree`` reads, in order, without CTEs and ``DUAL``."""
    ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    found: dict[str, None] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        name = table.name.upper()
        if (not table.db and name in ctes) or name == _DUAL:
            continue
        qualified = ".".join(part.upper() for part in (table.catalog, table.db, name) if part)
        found.setdefault(qualified, None)
    return tuple(found)


# --- translation from Oracle -------------------------------------------------------------------


def _translate(tree: exp.Expr, dialect: str) -> str:
    """Rewrite the Oracle idioms sqlglot leaves alone, then generate ``dialect`` SQL."""
    tree = tree.copy()
    if dialect != "oracle":
        _drop_dual(tree)
        _sample_rows(tree)
        _rownum_to_limit(tree)
    if dialect == "postgres":
        _unquote_upper_identifiers(tree)
        _alias_subqueries(tree)
    try:
        return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as err:
        raise QueryError(f"this query cannot be translated to {dialect}: {err}") from None


def _drop_dual(tree: exp.Expr) -> None:
    """``SELECT ... FROM dual`` becomes ``SELECT ...``: DuckDB and PostgreSQL need no table."""
    for select in list(tree.find_all(exp.Select)):
        source = select.args.get("from_")
        if source is None or select.args.get("joins"):
            continue
        table = source.this
        if isinstance(table, exp.Table) and not table.db and table.name.upper() == _DUAL:
            select.set("from_", None)


def _sample_rows(tree: exp.Expr) -> None:
    """Oracle's ``SAMPLE(p)`` picks rows (Bernoulli); ``SAMPLE BLOCK(p)`` picks blocks (system)."""
    for sample in tree.find_all(exp.TableSample):
        if not isinstance(sample.parent, exp.Table):
            continue  # a query-level sample (DuckDB's USING SAMPLE) is not Oracle's
        method = sample.args.get("method")
        if method is None:
            sample.set("method", exp.var("BERNOULLI"))
        elif method.name.upper() == "BLOCK":
            sample.set("method", exp.var("SYSTEM"))


def _is_rownum(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == _ROWNUM


def _rownum_cap(condition: exp.Expr) -> int | None:
    """The row cap of ``ROWNUM <= n``, ``< n``, ``n >= ROWNUM`` or ``ROWNUM = 1``; else None."""
    if not isinstance(condition, exp.LTE | exp.LT | exp.GTE | exp.GT | exp.EQ):
        return None
    left, right = condition.this, condition.expression
    if _is_rownum(right) and isinstance(left, exp.Literal):
        flipped = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.EQ: exp.EQ}.get(type(condition))
        if flipped is None:
            return None
        condition, left, right = flipped(this=right, expression=left), right, left
    if not (_is_rownum(left) and isinstance(right, exp.Literal) and right.is_int):
        return None
    value = int(right.name)
    if isinstance(condition, exp.LTE):
        return max(value, 0)
    if isinstance(condition, exp.LT):
        return max(value - 1, 0)
    if isinstance(condition, exp.EQ) and value == 1:
        return 1
    return None


def _rownum_to_limit(tree: exp.Expr) -> None:
    """``WHERE ... AND ROWNUM <= n`` becomes ``LIMIT n``; ``ROWNUM`` in a select list a row number.

    Oracle applies the ROWNUM filter before ORDER BY, to rows in no defined order; ``LIMIT n``
    returns n of the same rows, so the translation is one of the answers Oracle could give.
    """
    for select in list(tree.find_all(exp.Select)):
        where = select.args.get("where")
        if where is None:
            continue
        kept: list[exp.Expr] = []
        cap: int | None = None
        for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            found = _rownum_cap(condition)
            if found is None:
                kept.append(condition)
            else:
                cap = found if cap is None else min(cap, found)
        if cap is None:
            continue
        if select.args.get("group") or select.args.get("distinct") or _has_aggregate(select):
            raise QueryError(
                "ROWNUM with GROUP BY, DISTINCT or an aggregate cannot be translated: filter "
                "ROWNUM in a subquery, or use FETCH FIRST n ROWS ONLY"
            )
        select.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)
        cap = min(cap, _existing_limit(select) or cap)
        select.set("limit", exp.Limit(expression=exp.Literal.number(cap)))
    for column in list(tree.find_all(exp.Column)):
        if not _is_rownum(column):
            continue
        if column.find_ancestor(exp.Where, exp.Having, exp.Join) is not None:
            raise QueryError(
                "ROWNUM is translated only as 'ROWNUM <= n' (or '< n', '= 1') combined with AND "
                "in WHERE, or as a column of the select list"
            )
        column.replace(exp.Window(this=exp.RowNumber()))


def _has_aggregate(select: exp.Select) -> bool:
    return any(
        expression.find(exp.AggFunc) is not None and expression.find(exp.Window) is None
        for expression in select.expressions
    )


def _existing_limit(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal):
        return int(limit.expression.name) if limit.expression.is_int else None
    if isinstance(limit, exp.Fetch) and isinstance(limit.args.get("count"), exp.Literal):
        count = limit.args["count"]
        return int(count.name) if count.is_int else None
    return None


def _alias_subqueries(tree: exp.Expr) -> None:
    """Name every derived table: Oracle allows ``FROM (SELECT ...)``, PostgreSQL 15 does not."""
    for number, subquery in enumerate(
        [s for s in tree.find_all(exp.Subquery) if isinstance(s.parent, exp.From | exp.Join)],
        start=1,
    ):
        if not subquery.alias:
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"{_SUBQUERY}{number}")))


def _unquote_upper_identifiers(tree: exp.Expr) -> None:
    """Oracle's ``"RA"`` is its unquoted ``RA``; PostgreSQL folds unquoted names to lower case."""
    for identifier in tree.find_all(exp.Identifier):
        if identifier.quoted and _UPPER_IDENTIFIER.match(identifier.name):
            identifier.set("quoted", False)

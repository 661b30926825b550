"""``surveylab.sql``: users' Oracle-flavoured SQL checked, located and translated, with no database.

Running the translations on real DuckDB and PostgreSQL is in test_catalog_postgres.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.errors import (
    FunctionNotAllowedError,
    QueryError,
    ReadOnlyQueryError,
    SQLSyntaxError,
)
from surveylab.examples import EXAMPLES
from surveylab.sql import DIALECTS, PreparedQuery, check, prepare
from surveylab.sql_functions import ALLOWED_FUNCTIONS

READ_ONLY = "only read-only queries (SELECT or WITH) are allowed"

# --- translation --------------------------------------------------------------------------------

TRANSLATIONS = [
    # (id, user's text, dialect, SQL to run)
    (
        "sample-duckdb",
        "SELECT RA FROM DR1_MAIN sample(25)",
        "duckdb",
        "SELECT RA FROM DR1_MAIN TABLESAMPLE BERNOULLI (25 PERCENT)",
    ),
    (
        "sample-postgres",
        "SELECT RA FROM DR1_MAIN sample(25)",
        "postgres",
        "SELECT RA FROM DR1_MAIN TABLESAMPLE BERNOULLI (25)",
    ),
    (
        "sample-alias-seed",
        "SELECT m.RA FROM DR1_MAIN SAMPLE(10) SEED(7) m",
        "postgres",
        "SELECT m.RA FROM DR1_MAIN AS m TABLESAMPLE BERNOULLI (10) REPEATABLE (7)",
    ),
    (
        "sample-block",
        "SELECT RA FROM DR1_MAIN SAMPLE BLOCK (10)",
        "postgres",
        "SELECT RA FROM DR1_MAIN TABLESAMPLE SYSTEM (10)",
    ),
    (
        "rownum-le",
        "SELECT RA FROM DR1_MAIN WHERE ROWNUM <= 10",
        "duckdb",
        "SELECT RA FROM DR1_MAIN LIMIT 10",
    ),
    (
        "rownum-lt-with-filter",
        "SELECT RA FROM DR1_MAIN WHERE RA > 10 AND ROWNUM < 6",
        "postgres",
        "SELECT RA FROM DR1_MAIN WHERE RA > 10 LIMIT 5",
    ),
    (
        "rownum-reversed",
        "SELECT RA FROM DR1_MAIN WHERE 3 >= ROWNUM",
        "postgres",
        "SELECT RA FROM DR1_MAIN LIMIT 3",
    ),
    (
        "rownum-top-n",
        "SELECT * FROM (SELECT RA FROM DR1_MAIN ORDER BY RA) WHERE ROWNUM <= 3",
        "postgres",
        "SELECT * FROM (SELECT RA FROM DR1_MAIN ORDER BY RA) AS subquery_1 LIMIT 3",
    ),
    (
        "derived-tables-get-names",
        "SELECT a.N FROM (SELECT 1 AS N FROM dual) a JOIN (SELECT 1 AS N FROM dual) ON 1 = 1",
        "postgres",
        "SELECT a.N FROM (SELECT 1 AS N) AS a JOIN (SELECT 1 AS N) AS subquery_2 ON 1 = 1",
    ),
    (
        "rownum-column",
        "SELECT ROWNUM AS N, RA FROM DR1_MAIN WHERE ROWNUM = 1",
        "duckdb",
        "SELECT ROW_NUMBER() OVER () AS N, RA FROM DR1_MAIN LIMIT 1",
    ),
    (
        "nvl",
        "SELECT NVL(MAG_AUTO_G, 99) AS G FROM DR1_MAIN",
        "duckdb",
        "SELECT COALESCE(MAG_AUTO_G, 99) AS G FROM DR1_MAIN",
    ),
    (
        "decode",
        "SELECT DECODE(FLAGS_G, 0, 'ok', 'bad') F FROM DR1_MAIN",
        "postgres",
        "SELECT CASE WHEN FLAGS_G = 0 THEN 'ok' ELSE 'bad' END AS F FROM DR1_MAIN",
    ),
    (
        "fetch-first-duckdb",
        "SELECT RA FROM DR1_MAIN ORDER BY RA FETCH FIRST 5 ROWS ONLY",
        "duckdb",
        "SELECT RA FROM DR1_MAIN ORDER BY RA LIMIT 5",
    ),
    (
        "fetch-first-postgres",
        "SELECT RA FROM DR1_MAIN ORDER BY RA FETCH FIRST 5 ROWS ONLY",
        "postgres",
        "SELECT RA FROM DR1_MAIN ORDER BY RA FETCH FIRST 5 ROWS ONLY",
    ),
    (
        "concat",
        "SELECT TILENAME || '_' || 'g' AS F FROM DR1_TILE_INFO",
        "postgres",
        "SELECT TILENAME || '_' || 'g' AS F FROM DR1_TILE_INFO",
    ),
    ("dual", "SELECT 1 AS ONE FROM dual", "duckdb", "SELECT 1 AS ONE"),
    (
        "dual-union",
        "SELECT 1 AS N FROM DUAL UNION ALL SELECT 2 FROM DUAL",
        "postgres",
        "SELECT 1 AS N UNION ALL SELECT 2",
    ),
    (
        "quoted-upper-is-unquoted",
        'SELECT "RA" AS "G", "MixedCase" FROM "DR1_MAIN"',
        "postgres",
        'SELECT RA AS G, "MixedCase" FROM DR1_MAIN',
    ),
    (
        "desc-nulls-first",
        "SELECT RA FROM DR1_MAIN ORDER BY MAG_AUTO_G DESC",
        "duckdb",
        "SELECT RA FROM DR1_MAIN ORDER BY MAG_AUTO_G DESC NULLS FIRST",
    ),
    (
        "limit-is-fine-too",
        "SELECT RA FROM DR1_MAIN LIMIT 10",
        "duckdb",
        "SELECT RA FROM DR1_MAIN LIMIT 10",
    ),
    (
        "postgres-native-regex",
        "SELECT RA FROM DR1_MAIN WHERE TILENAME ~ '^DES'",
        "postgres",
        "SELECT RA FROM DR1_MAIN WHERE TILENAME ~ '^DES'",
    ),
    (
        "duckdb-native-columns",
        "SELECT COLUMNS('MAG_AUTO_.*') FROM DR1_MAIN",
        "duckdb",
        "SELECT COLUMNS('MAG_AUTO_.*') FROM DR1_MAIN",
    ),
    (
        "oracle-runs-as-written",
        "SELECT RA FROM DR1_MAIN sample(25) WHERE ROWNUM <= 10",
        "oracle",
        "SELECT RA FROM DR1_MAIN sample(25) WHERE ROWNUM <= 10",
    ),
    (
        "generate-series",
        "SELECT * FROM generate_series(1, 3)",
        "postgres",
        "SELECT * FROM GENERATE_SERIES(1, 3)",
    ),
    ("postgres-own-function", "SELECT sind(30)", "postgres", "SELECT SIND(30)"),
]


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [case[1:] for case in TRANSLATIONS],
    ids=[case[0] for case in TRANSLATIONS],
)
def test_translation(text: str, dialect: str, expected: str) -> None:
    assert prepare(text, dialect).sql == expected


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_m2_example_translates_to_itself(dialect: str) -> None:
    prepared = prepare(M2_EXAMPLE_QUERY, dialect)
    assert prepared.tables == ("DR1_MAIN",)
    # The same query, normalised: only aliases gain their AS.
    assert "MAG_AUTO_G AS G" in prepared.sql
    assert "WHERE RA BETWEEN 323.36 - 0.12 AND 323.36 + 0.12" in prepared.sql


def test_text_is_stripped_and_tables_listed() -> None:
    text = (
        "\n  WITH bright AS (SELECT * FROM DR1_MAIN WHERE MAG_AUTO_G < 20)\n"
        "  SELECT b.RA, t.RA_CENT FROM bright b JOIN dr1_tile_info t USING (TILENAME)\n"
        "  JOIN tap_schema.columns c ON c.column_name = 'RA' ;  \n"
    )
    prepared = prepare(text, "duckdb")
    assert prepared.text.startswith("WITH bright AS")
    assert prepared.text.endswith("c.column_name = 'RA'")
    assert prepared.tables == ("DR1_TILE_INFO", "TAP_SCHEMA.COLUMNS", "DR1_MAIN")


def test_check_is_prepare() -> None:
    assert check("SELECT 1 AS ONE FROM dual", "postgres") == PreparedQuery(
        text="SELECT 1 AS ONE FROM dual", sql="SELECT 1 AS ONE", tables=()
    )


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unknown SQL dialect 'mysql'"):
        prepare("SELECT 1", "mysql")


UNTRANSLATABLE = [
    (
        "outer-join-plus",
        "SELECT a.RA FROM DR1_MAIN a, DR1_TILE_INFO b WHERE a.TILENAME = b.TILENAME(+)",
        "cannot be translated to duckdb: Outer join syntax using the \\(\\+\\) operator",
    ),
    (
        "rownum-with-aggregate",
        "SELECT COUNT(*) FROM DR1_MAIN WHERE ROWNUM <= 5",
        "ROWNUM with GROUP BY, DISTINCT or an aggregate cannot be translated",
    ),
    (
        "rownum-greater",
        "SELECT RA FROM DR1_MAIN WHERE ROWNUM > 5",
        "ROWNUM is translated only as 'ROWNUM <= n'",
    ),
    (
        "rownum-or",
        "SELECT RA FROM DR1_MAIN WHERE RA > 3 OR ROWNUM < 5",
        "ROWNUM is translated only as 'ROWNUM <= n'",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"),
    [case[1:] for case in UNTRANSLATABLE],
    ids=[case[0] for case in UNTRANSLATABLE],
)
def test_untranslatable_oracle_is_a_clear_query_error(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as raised:
        prepare(text, "duckdb")
    assert not isinstance(raised.value, SQLSyntaxError | ReadOnlyQueryError)


# --- read-only --------------------------------------------------------------------------------

STATEMENTS = [
    # (id, text, statement kind named in the message)
    ("delete", "DELETE FROM DR1_MAIN WHERE RA > 3", "a DELETE"),
    ("insert", "INSERT INTO DR1_MAIN (RA) VALUES (1)", "an INSERT"),
    ("update", "UPDATE DR1_MAIN SET RA = 0", "an UPDATE"),
    (
        "merge",
        "MERGE INTO t USING s ON (t.a = s.a) WHEN MATCHED THEN UPDATE SET t.b = s.b",
        "a MERGE",
    ),
    ("create", "CREATE TABLE mine AS SELECT * FROM DR1_MAIN", "a CREATE"),
    ("drop", "DROP TABLE DR1_MAIN", "a DROP"),
    ("alter", "ALTER TABLE DR1_MAIN ADD x INT", "an ALTER"),
    ("grant", "GRANT SELECT ON DR1_MAIN TO PUBLIC", "a GRANT"),
    ("truncate", "TRUNCATE TABLE DR1_MAIN", "a TRUNCATE"),
    ("copy", "COPY DR1_MAIN TO '/tmp/all.csv'", "a COPY"),
    ("copy-query", "COPY (SELECT * FROM DR1_MAIN) TO '/tmp/all.parquet'", "a COPY"),
    ("attach", "ATTACH '/tmp/other.duckdb' AS other", "an ATTACH"),
    ("pragma", "PRAGMA table_info('DR1_MAIN')", "a PRAGMA"),
    ("set", "SET statement_timeout = 0", "a SET"),
    ("call", "CALL dbms_stats.gather_table_stats('X', 'Y')", "a CALL"),
    ("export", "EXPORT DATABASE '/tmp/everything'", "an EXPORT"),
    ("install", "INSTALL httpfs", "an INSTALL"),
    ("load", "LOAD httpfs", "a LOAD"),
    ("begin", "BEGIN", "a BEGIN"),
    ("vacuum", "VACUUM", "a VACUUM"),
    ("explain", "EXPLAIN SELECT * FROM DR1_MAIN", "an EXPLAIN"),
    ("values", "VALUES (1), (2)", "a VALUES"),
    (
        "writing-cte",
        "WITH gone AS (DELETE FROM DR1_MAIN RETURNING *) SELECT * FROM gone",
        "a DELETE",
    ),
    ("lower-case", "  -- tidy up\n  delete from dr1_main", "a DELETE"),
]


@pytest.mark.parametrize(
    ("text", "kind"), [case[1:] for case in STATEMENTS], ids=[case[0] for case in STATEMENTS]
)
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_only_read_only_queries(text: str, kind: str, dialect: str) -> None:
    with pytest.raises(ReadOnlyQueryError) as raised:
        prepare(text, dialect)
    assert str(raised.value) == f"{READ_ONLY}; this is {kind} statement"


REFUSED = [
    # (id, text, message)
    ("two-statements", "SELECT 1 FROM dual; SELECT 2 FROM dual", "this query has 2 statements"),
    ("query-then-drop", "SELECT 1 FROM dual; DROP TABLE DR1_MAIN", "this is a DROP statement"),
    ("select-into", "SELECT * INTO mine FROM DR1_MAIN", "SELECT ... INTO creates a table"),
    ("for-update", "SELECT RA FROM DR1_MAIN FOR UPDATE", "SELECT ... FOR UPDATE locks rows"),
    ("read-csv", "SELECT * FROM read_csv('/etc/passwd')", "table function read_csv\\(\\)"),
    (
        "read-parquet-url",
        "SELECT * FROM read_parquet('https://example.org/x.parquet')",
        "table function read_parquet\\(\\)",
    ),
    ("file-as-table", "SELECT * FROM '/home/ann/data.parquet'", "looks like a file or URL"),
    ("quoted-file", 'SELECT * FROM "data.csv"', "'data.csv' looks like a file or URL"),
    ("glob", "SELECT * FROM glob('/home/*')", "table function glob\\(\\)"),
    ("sql-as-text", "SELECT * FROM query('SELECT 1')", "table function query\\(\\)"),
    (
        "nested-reader",
        "SELECT * FROM (SELECT * FROM read_json('x.json')) AS j",
        "table function read_json\\(\\)",
    ),
    ("pg-read-file", "SELECT pg_read_file('/etc/passwd')", "function pg_read_file\\(\\)"),
    ("lo-import", "SELECT lo_import('/etc/passwd')", "function lo_import\\(\\)"),
    (
        "dblink",
        "SELECT * FROM dblink('host=x', 'SELECT 1') AS t(a INT)",
        "table function dblink\\(\\)",
    ),
    (
        "set-config",
        "SELECT set_config('statement_timeout', '0', false)",
        "function set_config\\(\\)",
    ),
    ("getenv", "SELECT getenv('HOME')", "function getenv\\(\\)"),
    (
        "utl-http",
        "SELECT UTL_HTTP.REQUEST('http://example.org') FROM dual",
        "function utl_http.request\\(\\)",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_refused_queries(text: str, message: str) -> None:
    with pytest.raises(ReadOnlyQueryError, match=message):
        prepare(text, "duckdb")


@pytest.mark.parametrize(
    "text",
    ["SELECT DBMS_RANDOM.VALUE AS R FROM dual", "SELECT * FROM range(3)", "(SELECT 1 FROM dual)"],
    ids=["dbms-random", "range", "parenthesised"],
)
def test_harmless_functions_and_forms_pass(text: str) -> None:
    prepare(text, "duckdb")


# --- the function allowlist -----------------------------------------------------------------

#: Calls that read settings, files, the environment or the network, or change something: refused
#: on every backend, whatever the dialect they are written in.
REFUSED_FUNCTIONS = [
    # (id, text, the function named)
    ("current-setting", "SELECT current_setting('home_directory')", "current_setting"),
    (
        "current-setting-in-where",
        "SELECT RA FROM DR1_MAIN WHERE current_setting('x') = 'y'",
        "current_setting",
    ),
    ("set-config", "SELECT set_config('statement_timeout', '0', false)", "set_config"),
    ("read-csv", "SELECT read_csv('/etc/passwd')", "read_csv"),
    (
        "read-parquet",
        "SELECT COUNT(*) FROM DR1_MAIN WHERE RA < read_parquet('x.parquet')",
        "read_parquet",
    ),
    ("read-text", "SELECT read_text('/etc/passwd')", "read_text"),
    ("read-blob", "SELECT read_blob('/etc/passwd')", "read_blob"),
    ("getenv", "SELECT getenv('HOME')", "getenv"),
    ("pg-read-file", "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("pg-ls-dir", "SELECT pg_ls_dir('.')", "pg_ls_dir"),
    ("pg-stat-file", "SELECT pg_stat_file('postgresql.conf')", "pg_stat_file"),
    ("lo-import", "SELECT lo_import('/etc/passwd')", "lo_import"),
    ("dblink", "SELECT dblink('host=x', 'SELECT 1')", "dblink"),
    ("query-to-xml", "SELECT query_to_xml('SELECT 1', true, true, '')", "query_to_xml"),
    ("version", "SELECT version()", "version"),
    ("inet-server-addr", "SELECT inet_server_addr()", "inet_server_addr"),
    ("current-database", "SELECT current_database()", "current_database"),
    ("nextval", "SELECT nextval('s')", "nextval"),
    ("pg-sleep", "SELECT pg_sleep(60)", "pg_sleep"),
    ("utl-http", "SELECT UTL_HTTP.REQUEST('http://example.org') FROM dual", "utl_http.request"),
    ("utl-file", "SELECT UTL_FILE.FOPEN('DIR', 'f', 'r') FROM dual", "utl_file.fopen"),
    ("dbms-lob", "SELECT DBMS_LOB.GETLENGTH(BFILENAME('D', 'f')) FROM dual", "dbms_lob.getlength"),
    ("httpuritype", "SELECT HTTPURITYPE('http://example.org').getclob() FROM dual", "httpuritype"),
    ("sys-context", "SELECT SYS_CONTEXT('USERENV', 'SESSION_USER') FROM dual", "sys_context"),
    ("current-schema", "SELECT current_schema FROM dual", "current_schema"),
    ("current-catalog", "SELECT current_catalog FROM dual", "current_catalog"),
    ("unknown", "SELECT frobnicate(RA) FROM DR1_MAIN", "frobnicate"),
]


@pytest.mark.parametrize(
    ("text", "function"),
    [case[1:] for case in REFUSED_FUNCTIONS],
    ids=[case[0] for case in REFUSED_FUNCTIONS],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_functions_off_the_allowlist_are_refused(text: str, function: str, dialect: str) -> None:
    with pytest.raises(FunctionNotAllowedError) as raised:
        prepare(text, dialect)
    error = raised.value
    assert isinstance(error, ReadOnlyQueryError)  # the API and the lab map it as before
    assert error.function == function.upper()
    assert str(error).startswith(
        f"the function {function}() is not allowed in a read-only survey query"
    )
    assert error.line == 1
    assert error.column is not None
    # the column points at the function's name (or its package) in the user's text
    assert text.upper()[error.column - 1 :].startswith(function.upper().split(".")[0])
    assert str(error).endswith(f"(line 1, column {error.column})")


def test_a_refused_function_is_located_in_the_users_text() -> None:
    text = "SELECT RA,\n       DEC,\n  NVL(current_setting('x'), 'y') AS H\nFROM DR1_MAIN"
    with pytest.raises(FunctionNotAllowedError) as raised:
        prepare(text, "postgres")
    assert (raised.value.line, raised.value.column) == (3, 7)
    assert str(raised.value).endswith("(line 3, column 7)")


#: Pure functions astronomers call, by the backends that allow them (as written: DES's Oracle
#: SQL, or the backend's own).
ALLOWED_CALLS = [
    # (id, text, dialects)
    ("sqrt-abs-round", "SELECT SQRT(ABS(RA)), ROUND(DEC, 3) FROM DR1_MAIN", DIALECTS),
    ("aggregates", "SELECT COUNT(*), AVG(RA), MIN(DEC), MAX(DEC), SUM(RA) FROM DR1_MAIN", DIALECTS),
    ("spread", "SELECT STDDEV(MAG_AUTO_G), VARIANCE(MAG_AUTO_G) FROM DR1_MAIN", DIALECTS),
    ("median", "SELECT MEDIAN(MAG_AUTO_I) FROM DR1_MAIN", DIALECTS),
    (
        "percentile",
        "SELECT PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY MAG_AUTO_I) FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "coalesce-nvl",
        "SELECT COALESCE(MAG_AUTO_G, 99), NVL(MAG_AUTO_R, 99) FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "nvl2-decode",
        "SELECT NVL2(RA, 1, 0), DECODE(FLAGS_G, 0, 'ok', 'bad') FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "cast-case",
        "SELECT CAST(RA AS INTEGER), CASE WHEN RA > 1 THEN 1 END FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "trigonometry",
        "SELECT ACOS(SIN(RADIANS(DEC)) * SIN(RADIANS(-0.82)) + COS(RADIANS(DEC)) "
        "* COS(RADIANS(-0.82)) * COS(RADIANS(RA - 323.36))) FROM DR1_MAIN",
        ("duckdb", "postgres"),
    ),
    (
        "atan2-degrees",
        "SELECT DEGREES(ATAN2(DEC, RA)), POWER(RA, 2), EXP(LN(RA)) FROM DR1_MAIN",
        ("duckdb", "postgres"),
    ),
    (
        "trigonometry-in-radians",  # Oracle has no RADIANS or DEGREES
        "SELECT ACOS(SIN(DEC * ACOS(-1) / 180)), ATAN2(DEC, RA) * 180 / ACOS(-1), TANH(RA) "
        "FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "floor-mod",
        "SELECT FLOOR(HPIX_32 / 4), MOD(HPIX_32, 4), GREATEST(RA, DEC) FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "strings",
        "SELECT SUBSTR(TILENAME, 1, 3), UPPER(TILENAME), LENGTH(TILENAME), "
        "INSTR(TILENAME, '-'), TILENAME || 'x' FROM DR1_TILE_INFO",
        DIALECTS,
    ),
    (
        "window",
        "SELECT RA, ROW_NUMBER() OVER (PARTITION BY TILENAME ORDER BY MAG_AUTO_I), "
        "LAG(RA) OVER (ORDER BY RA) FROM DR1_MAIN",
        DIALECTS,
    ),
    (
        "dates",
        "SELECT TO_CHAR(SYSDATE, 'YYYY'), EXTRACT(YEAR FROM CURRENT_DATE) FROM dual",
        DIALECTS,
    ),
    ("duckdb-quantile", "SELECT quantile_cont(MAG_AUTO_I, 0.5) FROM DR1_MAIN", ("duckdb",)),
    ("duckdb-log10", "SELECT log10(RA), isnan(RA) FROM DR1_MAIN", ("duckdb",)),
    ("postgres-degree-trig", "SELECT sind(DEC), atan2d(DEC, RA) FROM DR1_MAIN", ("postgres",)),
    ("postgres-scale", "SELECT scale(RA), char_length(TILENAME) FROM DR1_MAIN", ("postgres",)),
    ("oracle-bitand", "SELECT BITAND(FLAGS_G, 4) FROM DR1_MAIN", ("oracle",)),
    ("oracle-random", "SELECT DBMS_RANDOM.NORMAL() FROM dual", ("oracle",)),
    ("quoted-column", 'SELECT t."CURRENT_SCHEMA" FROM MYDB.T t', DIALECTS),
    ("own-login", "SELECT CURRENT_USER AS WHO, USER, COUNT(*) AS N FROM DR1_TILE_INFO", DIALECTS),
]


@pytest.mark.parametrize(
    ("text", "dialects"),
    [case[1:] for case in ALLOWED_CALLS],
    ids=[case[0] for case in ALLOWED_CALLS],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_pure_functions_pass(text: str, dialects: tuple[str, ...], dialect: str) -> None:
    if dialect in dialects:
        prepare(text, dialect)
    else:  # another backend's own function: not on this backend's list
        with pytest.raises(FunctionNotAllowedError):
            prepare(text, dialect)


def _notebook_queries() -> list[str]:
    """The SQL in the shipped example notebooks' code cells (triple-quoted strings)."""
    examples = Path(__file__).parents[2] / "examples"
    found = []
    for notebook in sorted(examples.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                found += re.findall(r'"""\s*((?:SELECT|WITH)\b.*?)"""', source, re.S | re.I)
    return found


SHIPPED_QUERIES = [
    *((example.name, example.sql) for example in EXAMPLES),
    ("m2", M2_EXAMPLE_QUERY),
    *((f"notebook-{number}", sql) for number, sql in enumerate(_notebook_queries(), start=1)),
]


def test_the_shipped_notebooks_have_queries() -> None:
    assert len(_notebook_queries()) >= 2


@pytest.mark.parametrize(
    "text", [case[1] for case in SHIPPED_QUERIES], ids=[case[0] for case in SHIPPED_QUERIES]
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_shipped_example_passes_the_guard(text: str, dialect: str) -> None:
    prepare(text, dialect)


def test_the_allowlists_share_the_standard_functions() -> None:
    duckdb, postgres, oracle = (ALLOWED_FUNCTIONS[dialect] for dialect in DIALECTS)
    shared = duckdb & postgres & oracle
    assert {"SQRT", "ABS", "ROUND", "COUNT", "AVG", "COALESCE", "CAST", "NVL"} <= shared
    assert not {"CURRENT_SETTING", "GETENV", "READ_CSV", "PG_READ_FILE", "SYS_CONTEXT"} & (
        duckdb | postgres | oracle
    )


# --- syntax errors ----------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # (id, text, message, line, column) - 1-based positions in the user's text
    ("typo-keyword", "SELEC 1", "syntax error near '1': unexpected word or symbol", 1, 7),
    (
        "multi-line",
        "SELECT RA,\n  DEC\nFROM DR1_MAIN\nWHERE RA > 3 AND\n  DEC FROMM 2",
        "syntax error near 'FROMM': unexpected word or symbol",
        5,
        7,
    ),
    (
        "incomplete-where",
        "SELECT RA\nFROM DR1_MAIN\nWHERE",
        "syntax error near 'WHERE': incomplete WHERE expression",
        3,
        1,
    ),
    (
        "unclosed-parenthesis",
        "SELECT RA FROM DR1_MAIN WHERE FLAGS_G IN (1, 2",
        "syntax error near '2': expecting )",
        1,
        46,
    ),
    (
        "double-operator",
        "SELECT RA\n  FROM DR1_MAIN\n  WHERE RA = = 1",
        "syntax error near '=': incomplete EQ expression",
        3,
        14,
    ),
    (
        "tab-counts-one-column",
        "SELECT\n\tRA DEC MAG FROM DR1_MAIN",
        "syntax error near 'MAG': unexpected word or symbol",
        2,
        9,
    ),
    (
        "leading-blank-lines",
        "\n\n   SELECT RA FROM DR1_MAIN ORDER RA",
        "syntax error near 'RA': unexpected word or symbol",
        3,
        34,
    ),
    (
        "unterminated-string",
        "SELECT RA\nFROM DR1_MAIN\nWHERE TILENAME = 'DES0001",
        "syntax error: unterminated quoted string or comment",
        3,
        18,
    ),
    (
        "unterminated-comment",
        "SELECT RA /* the position\nFROM DR1_MAIN",
        "syntax error: unterminated quoted string or comment",
        1,
        11,
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [case[1:] for case in SYNTAX_ERRORS],
    ids=[case[0] for case in SYNTAX_ERRORS],
)
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_syntax_error_location(
    text: str, message: str, line: int, column: int, dialect: str
) -> None:
    with pytest.raises(SQLSyntaxError) as raised:
        prepare(text, dialect)
    error = raised.value
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(message)
    assert str(error).endswith(f"(line {line}, column {column})")


@pytest.mark.parametrize("text", ["", "   ", " ;\n", "-- just a comment", "/* nothing */ ;"])
def test_empty_query(text: str) -> None:
    with pytest.raises(SQLSyntaxError, match="the query is empty") as raised:
        prepare(text, "duckdb")
    assert raised.value.line is None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_query_nested_too_deeply_is_refused_where_it_is_deepest(dialect: str) -> None:
    depth = 400  # the parser gives up near 50 levels; Python's recursion limit near 1,000
    query = "SELECT\n  " + "(" * depth + "1" + ")" * depth + " AS X FROM DR1_MAIN"
    with pytest.raises(SQLSyntaxError, match=r"nested too deeply to check \(400 levels") as err:
        prepare(query, dialect)
    assert (err.value.line, err.value.column) == (2, 3 + depth - 1)
    prepare("SELECT " + "(" * 20 + "1" + ")" * 20 + " FROM DR1_MAIN", dialect)  # still fine

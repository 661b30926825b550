"""The functions a survey query may call, for each backend: an allowlist.

:func:`surveylab.sql.prepare` refuses a call to any function that is not listed here for the
backend that will run the query. Every function listed is pure: it computes from its arguments
(and, for aggregates and window functions, from the rows) and reads no file, setting, session
state, environment variable or network address, and changes nothing. A function that is not
listed is refused even if it is harmless: add it here, to the set of the backends that have it,
after checking what it does.

Names are upper case. A call is allowed when the name it is written with, or the name sqlglot
gives the function it recognises (its canonical name, e.g. ``COALESCE`` for ``NVL``), is in the
backend's set. A package function is listed with its package (``DBMS_RANDOM.NORMAL``).

The sets:

* :data:`SQL_FORMS`: sqlglot's names of SQL forms that are not written as a call (``CASE``,
  ``CAST``, ``EXTRACT``) and of functions it translates between dialects.
* :data:`COMMON`: functions of standard SQL (maths, strings, dates, aggregates and window
  functions) that DuckDB, PostgreSQL and Oracle all have.
* :data:`ORACLE_SPELLINGS`: the Oracle names of the DES documentation (``NVL``, ``DECODE``,
  ``INSTR``), which sqlglot translates for DuckDB and PostgreSQL.
* :data:`DUCKDB`, :data:`POSTGRES`, :data:`ORACLE`: each backend's own pure functions. The DuckDB
  and PostgreSQL sets are checked against the functions the real databases have.

ADQL queries (:mod:`surveylab.vo.adql`) call ADQL's own functions, :data:`ADQL`, whatever the
backend: the translation turns each into what the backend has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ADQL",
    "ADQL_GEOMETRY",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_TABLE_FUNCTIONS",
    "COMMON",
    "DUCKDB",
    "ORACLE",
    "ORACLE_SPELLINGS",
    "POSTGRES",
    "SESSION_PSEUDO_COLUMNS",
    "SQL_FORMS",
]

#: sqlglot's names of forms and translated functions (``exp.Func.sql_name()``).
SQL_FORMS = frozenset(
    {
        # syntax, not calls
        *("CASE", "IF", "CAST", "TRY_CAST", "EXTRACT", "TRIM", "ARRAY", "STRUCT", "INTERVAL"),
        *("DATE_STR_TO_DATE", "TIME_STR_TO_TIME"),
        "COLUMNS",  # DuckDB's COLUMNS('regex') star expression
        # the login the query runs as: the user's own name, which tells whose account a lab uses
        *("CURRENT_USER", "SESSION_USER"),
        # functions sqlglot recognises under a canonical name of its own
        *("DECODE_CASE", "STR_POSITION", "GROUP_CONCAT", "STR_TO_DATE", "STR_TO_TIME"),
        *("TIME_TO_STR", "TIMESTAMP_TRUNC", "DATE_TRUNC", "APPROX_DISTINCT", "REGEXP_EXTRACT"),
        *("RAND", "ARRAY_AGG", "ARRAY_SIZE", "NUMBER_TO_STR", "TO_NUMBER", "SAFE_DIVIDE"),
        *("LOGICAL_AND", "LOGICAL_OR", "COUNT_IF", "ARG_MAX", "ARG_MIN", "DATE_DIFF"),
        *("DATE_ADD", "DATE_SUB", "TIMESTAMP_ADD", "TIMESTAMP_SUB", "TIMESTAMP_DIFF"),
        *("STDDEV", "VARIANCE", "VARIANCE_POP", "CONCAT", "CONCAT_WS", "SUBSTRING", "LENGTH"),
        *("INITCAP", "REGEXP_LIKE", "REGEXP_REPLACE", "POWER", "TO_CHAR", "SYSTIMESTAMP"),
    }
)

#: Standard SQL that every backend has.
COMMON = frozenset(
    {
        # aggregates
        *("COUNT", "SUM", "AVG", "MIN", "MAX", "STDDEV_POP", "STDDEV_SAMP", "VAR_POP"),
        *("VAR_SAMP", "CORR", "COVAR_POP", "COVAR_SAMP", "REGR_SLOPE", "REGR_INTERCEPT"),
        *("REGR_R2", "REGR_COUNT", "REGR_AVGX", "REGR_AVGY", "PERCENTILE_CONT"),
        *("PERCENTILE_DISC", "MODE"),
        # window functions
        *("ROW_NUMBER", "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST", "NTILE", "LAG"),
        *("LEAD", "FIRST_VALUE", "LAST_VALUE", "NTH_VALUE"),
        # maths
        *("ABS", "SIGN", "SQRT", "EXP", "LN", "LOG", "FLOOR", "CEIL", "ROUND", "TRUNC", "MOD"),
        *("SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "ATAN2", "SINH", "COSH", "TANH"),
        *("GREATEST", "LEAST"),
        # conditionals
        *("COALESCE", "NULLIF"),
        # strings
        *("UPPER", "LOWER", "LTRIM", "RTRIM", "LPAD", "RPAD", "REPLACE", "TRANSLATE", "ASCII"),
        *("CHR", "REVERSE"),
        # dates and times
        *("CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"),
    }
)

#: The Oracle names of DES's documentation, translated by sqlglot for the other backends.
ORACLE_SPELLINGS = frozenset(
    {
        *("NVL", "NVL2", "DECODE", "INSTR", "SUBSTR", "TO_DATE", "TO_TIMESTAMP", "SYSDATE"),
        *("LISTAGG", "MEDIAN", "VARIANCE", "STDDEV", "CEIL", "POWER", "DBMS_RANDOM.VALUE"),
    }
)

#: DuckDB's own pure functions.
DUCKDB = frozenset(
    {
        # maths
        *("CBRT", "POW", "LOG10", "LOG2", "CEILING", "TRUNC", "PI", "DEGREES", "RADIANS", "COT"),
        *("ISNAN", "ISINF", "ISFINITE", "EVEN", "FACTORIAL", "GAMMA", "LGAMMA", "BIT_COUNT"),
        *("XOR", "FDIV", "FMOD", "RANDOM"),
        # aggregates
        *("MEDIAN", "QUANTILE", "QUANTILE_CONT", "QUANTILE_DISC", "APPROX_QUANTILE"),
        *("APPROX_COUNT_DISTINCT", "ARG_MAX", "ARG_MIN", "ARGMAX", "ARGMIN", "MAX_BY", "MIN_BY"),
        *("ANY_VALUE", "FIRST", "LAST", "LIST", "STRING_AGG", "BOOL_AND", "BOOL_OR"),
        *("BIT_AND", "BIT_OR", "BIT_XOR", "PRODUCT", "KURTOSIS", "SKEWNESS", "ENTROPY"),
        *("HISTOGRAM", "FAVG", "FSUM", "SUMKAHAN", "COUNT_STAR"),
        # strings
        *("CONCAT", "CONCAT_WS", "LENGTH", "SUBSTRING", "SUBSTR", "LEFT", "RIGHT", "STRPOS"),
        *("POSITION", "INSTR", "CONTAINS", "STARTS_WITH", "ENDS_WITH", "PREFIX", "SUFFIX"),
        *("SPLIT_PART", "STRING_SPLIT", "REPEAT", "REGEXP_MATCHES", "REGEXP_REPLACE"),
        *("REGEXP_EXTRACT", "REGEXP_FULL_MATCH", "LIKE_ESCAPE", "FORMAT", "PRINTF", "LCASE"),
        *("UCASE", "MD5", "HASH", "TRIM", "LEVENSHTEIN", "STRLEN", "ORD", "UNICODE"),
        # dates and times
        *("NOW", "TODAY", "DATE_PART", "DATEPART", "DATE_TRUNC", "DATETRUNC", "DATE_DIFF"),
        *("DATEDIFF", "DATE_ADD", "DATE_SUB", "MAKE_DATE", "MAKE_TIMESTAMP", "STRFTIME"),
        *("STRPTIME", "EPOCH", "EPOCH_MS", "TO_TIMESTAMP", "YEAR", "MONTH", "DAY", "HOUR"),
        *("MINUTE", "SECOND", "DAYOFYEAR", "DAYOFWEEK", "LAST_DAY", "AGE", "JULIAN"),
        # conditionals and lists
        *("LIST_VALUE", "LIST_EXTRACT", "ARRAY_LENGTH", "LEN", "UNNEST", "TYPEOF"),
    }
)

#: PostgreSQL's own pure functions.
POSTGRES = frozenset(
    {
        # maths, with the degree-based trigonometry astronomers like
        *("CBRT", "POWER", "LOG10", "CEILING", "TRUNC", "PI", "DEGREES", "RADIANS", "COT", "DIV"),
        *(
            "SCALE",
            "RANDOM",
            "WIDTH_BUCKET",
            "FACTORIAL",
            "GCD",
            "LCM",
            "SIND",
            "COSD",
            "TAND",
            "COTD",
            "ASIND",
        ),
        *("ACOSD", "ATAND", "ATAN2D"),
        # aggregates
        *("STRING_AGG", "ARRAY_AGG", "BOOL_AND", "BOOL_OR", "EVERY", "BIT_AND", "BIT_OR"),
        *("STDDEV", "VARIANCE"),
        # strings
        *("CONCAT", "CONCAT_WS", "LENGTH", "CHAR_LENGTH", "SUBSTRING", "SUBSTR", "LEFT", "RIGHT"),
        *("STRPOS", "POSITION", "SPLIT_PART", "REPEAT", "INITCAP", "STARTS_WITH", "BTRIM"),
        *("REGEXP_REPLACE", "REGEXP_MATCH", "REGEXP_MATCHES", "FORMAT", "MD5", "TO_CHAR"),
        *("TO_NUMBER", "TO_DATE", "TO_TIMESTAMP", "OCTET_LENGTH"),
        # dates and times
        *("NOW", "DATE_PART", "DATE_TRUNC", "MAKE_DATE", "MAKE_TIMESTAMP", "AGE", "ISFINITE"),
        # arrays
        *("ARRAY_LENGTH", "CARDINALITY", "UNNEST"),
    }
)

#: Oracle's own pure functions (not checked against a database here: none runs in the tests).
ORACLE = frozenset(
    {
        # maths
        *("POWER", "CEIL", "REMAINDER", "BITAND", "NANVL", "LOG", "TRUNC", "WIDTH_BUCKET"),
        # conversions
        *("TO_CHAR", "TO_NUMBER", "TO_DATE", "TO_TIMESTAMP", "TO_BINARY_DOUBLE"),
        *("TO_BINARY_FLOAT", "NUMTODSINTERVAL", "NUMTOYMINTERVAL"),
        # strings
        *("CONCAT", "LENGTH", "SUBSTR", "INSTR", "INITCAP", "REGEXP_LIKE", "REGEXP_REPLACE"),
        *("REGEXP_SUBSTR", "REGEXP_INSTR", "REGEXP_COUNT"),
        # dates
        *("ADD_MONTHS", "MONTHS_BETWEEN", "LAST_DAY", "NEXT_DAY", "SYSDATE", "SYSTIMESTAMP"),
        # aggregates
        *("MEDIAN", "STDDEV", "VARIANCE", "LISTAGG", "STATS_MODE", "RATIO_TO_REPORT"),
        "APPROX_COUNT_DISTINCT",
        # random numbers
        *("DBMS_RANDOM.VALUE", "DBMS_RANDOM.NORMAL"),
    }
)

#: ADQL 2.1's geometry functions (``REGION``, ``AREA``, ``CENTROID`` and ``IN_UNIT`` are ADQL's
#: too, listed so that the translation can say that it does not offer them).
ADQL_GEOMETRY = frozenset(
    {
        *("POINT", "CIRCLE", "BOX", "POLYGON", "REGION", "CONTAINS", "INTERSECTS", "DISTANCE"),
        *("COORD1", "COORD2", "COORDSYS", "AREA", "CENTROID"),
    }
)

#: The functions of ADQL 2.1 (maths, trigonometry, strings, aggregates, conversions, geometry),
#: by the names ADQL writes and the names sqlglot gives the ones it recognises.
ADQL = frozenset(
    {
        # maths
        *("ABS", "CEILING", "CEIL", "DEGREES", "EXP", "FLOOR", "LOG", "LN", "LOG10", "MOD"),
        *("PI", "POWER", "RADIANS", "SQRT", "RAND", "ROUND", "TRUNCATE", "TRUNC"),
        # trigonometry
        *("SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "ATAN2", "COT"),
        # strings and conversions (optional features of ADQL 2.1)
        *("LOWER", "UPPER", "COALESCE", "CAST", "CASE", "IN_UNIT"),
        # aggregates
        *("COUNT", "SUM", "AVG", "MIN", "MAX"),
        *ADQL_GEOMETRY,
    }
)

#: The functions a query may call, by backend (sqlglot's dialect name).
ALLOWED_FUNCTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "duckdb": SQL_FORMS | COMMON | ORACLE_SPELLINGS | DUCKDB,
        "postgres": SQL_FORMS | COMMON | ORACLE_SPELLINGS | POSTGRES,
        "oracle": SQL_FORMS | COMMON | ORACLE_SPELLINGS | ORACLE,
    }
)

#: Table functions a query may read from (``FROM range(10)``): they make rows from their
#: arguments and touch no file or network.
ALLOWED_TABLE_FUNCTIONS = frozenset({"GENERATE_SERIES", "RANGE", "UNNEST"})

#: Session functions written without parentheses, which sqlglot may take for column names:
#: they read the session's settings and the server's names (``SELECT current_schema``), and are
#: refused as unqualified, unquoted columns. (``USER``, ``CURRENT_USER`` and ``SESSION_USER``, the
#: login the query runs as, are allowed.)
SESSION_PSEUDO_COLUMNS = frozenset(
    {
        *("CURRENT_SCHEMA", "CURRENT_CATALOG", "CURRENT_ROLE", "SYSTEM_USER", "UID"),
        *("ORA_DATABASE_NAME", "ORA_LOGIN_USER"),
    }
)

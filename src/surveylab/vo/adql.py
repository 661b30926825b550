"""ADQL 2.1 queries translated to the SQL of the catalog's backend (DuckDB, PostgreSQL, Oracle).

:func:`translate` parses ADQL with sqlglot (:class:`ADQL`, a small dialect: standard SQL plus
``SELECT TOP n``, ``LOG`` the natural logarithm and ADQL's geometry kept as plain calls), puts it
through the guard of every survey query (:func:`surveylab.sql.parse_query`: one read-only query,
syntax errors with line, column and token, only ADQL's functions,
:data:`surveylab.sql_functions.ADQL`), rewrites what the backends lack and generates the
backend's SQL. Nothing here touches a database.

Geometry becomes plain arithmetic on the positions' columns, in degrees:

* ``CONTAINS(POINT(...), CIRCLE(...)) = 1`` (or ``1 = CONTAINS(...)``, ``INTERSECTS`` with a
  point, ``DISTANCE(...) < r``) becomes a *prefilter* the database can use plus the *exact* test.
  For a literal centre the prefilter is a Dec band and an RA range (widened by the circle's
  extent in RA at its Dec, split in two across RA 0, dropped when the circle reaches a pole),
  which DuckDB's zone maps prune (``DR1_MAIN`` is stored in HEALPix order); for a centre from
  another table (a cross-match with an upload) it is a Dec band join condition. The exact test
  is the haversine formula. ``= 0`` is the exact test negated.
* ``POLYGON``: a convex spherical polygon (great-circle edges, vertices in either order): one
  dot product per edge, with the edges' normals computed here; the prefilter is the cone around
  its vertices. A non-convex polygon is refused.
* ``BOX(ra, dec, width, height)`` is a coordinate range: ``|Dec - dec| <= height / 2`` and
  ``|RA - ra| <= width / 2`` (RA difference wrapped into [-180, 180); the width is in degrees of
  RA, not of arc).
* ``DISTANCE`` (two POINTs, or ADQL 2.1's four numbers) is in degrees; ``COORD1``, ``COORD2``,
  ``COORDSYS`` give a POINT's parts. Coordinate systems: ``'ICRS'`` (with a reference position
  such as ``'ICRS GEOCENTER'``) or ``''``; RAs are taken to be in [0, 360), as the catalog's are.

``TAP_UPLOAD.name`` reads ``uploads[name]``, an Arrow table, as a common table expression of
literal rows built as sqlglot nodes and typed by the Arrow schema (a ``VALUES`` list on DuckDB
and PostgreSQL, ``SELECT ... FROM DUAL UNION ALL ...`` on Oracle): nothing is written to the
database.

Why not a library: ``queryparser-python3`` (AIP) translates ADQL to PostgreSQL only, into calls
of the pg_sphere extension, which our PostgreSQL servers do not have, and knows neither DuckDB
nor Oracle; ``adql`` (IPAC, last released in 2020) rewrites geometry onto spatial-index columns
that its own C library adds to the tables. We already parse users' SQL with sqlglot, so ADQL
goes through the same parser, guard and generators.

Examples
--------
>>> translate("SELECT TOP 3 RA, DEC FROM DR1_MAIN ORDER BY RA", "oracle").sql
'SELECT "RA", "DEC" FROM "DR1_MAIN" ORDER BY "RA" FETCH FIRST 3 ROWS ONLY'
>>> translate("SELECT LOG10(RA) FROM DR1_MAIN OFFSET 5", "duckdb").sql
'SELECT LOG10(RA) FROM DR1_MAIN OFFSET 5'
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.tokenizer_core import TokenType

from ..errors import QueryError, RequestError, SQLSyntaxError
from ..sql import DIALECTS, PreparedQuery, parse_query, query_tables, text_position
from ..sql_functions import ADQL as ADQL_FUNCTIONS
from ..sql_functions import ADQL_GEOMETRY

__all__ = [
    "ADQL",
    "UPLOAD_ROW_LIMIT",
    "UPLOAD_SCHEMA",
    "ADQLTranslationError",
    "translate",
]

#: The schema of uploaded tables in ADQL (``TAP_UPLOAD.name``).
UPLOAD_SCHEMA = "TAP_UPLOAD"
#: The schema of the service's own description, read from the tables the caller gives.
TAP_SCHEMA = "TAP_SCHEMA"
#: The most rows an upload may have: each becomes a row of literals in the query's text.
UPLOAD_ROW_LIMIT = 100_000

#: Ends the refusal of a function that is not ADQL's.
_LANGUAGE = (
    "written in ADQL, which offers only ADQL 2.1's maths, trigonometry, string, aggregate and "
    "geometry functions"
)
#: Degrees to radians.
_DEG = math.pi / 180
#: Widens the prefilters (degrees) so that rounding never drops a row the exact test keeps.
_MARGIN = 1e-9
#: Reference positions and flavour an ICRS coordinate system may name (STC-S words).
_ICRS_QUALIFIERS = frozenset(
    {
        *("GEOCENTER", "BARYCENTER", "HELIOCENTER", "TOPOCENTER", "LSR", "LSRK", "LSRD"),
        *("GALACTIC_CENTER", "LOCAL_GROUP_CENTER", "EMBARYCENTER", "UNKNOWNREFPOS"),
        *("RELOCATABLE", "SPHERICAL2"),
    }
)
#: Geometry functions translated where they are called; the constructors are their arguments.
_SHAPES = frozenset({"POINT", "CIRCLE", "BOX", "POLYGON"})
#: Geometry functions whose value is a region, not a number.
_REGIONS = _SHAPES | {"REGION", "CENTROID"}
#: ADQL functions this service does not offer, and what to do instead.
_NOT_OFFERED = {
    "REGION": "write the region with POINT, CIRCLE, BOX or POLYGON",
    "AREA": "compute the area of a literal region outside the query",
    "CENTROID": "use the region's centre coordinates directly",
    "IN_UNIT": "convert units with arithmetic (e.g. RA * 3600 for arcseconds)",
}
#: An identifier the backends fold to one case when it is not quoted.
_REGULAR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: The longest string Oracle's VARCHAR2 holds in SQL, in bytes.
_ORACLE_VARCHAR_BYTES = 4000


class ADQLTranslationError(SQLSyntaxError):
    """ADQL that parses but that this service cannot translate: a geometry where no SQL value
    can stand, a coordinate system other than ICRS, a non-convex polygon, an upload that was not
    sent, an optional ADQL feature not offered. ``line``, ``column`` and ``token`` say where."""


def _plain_call(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A sqlglot function builder that keeps ``name(args)`` as written."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        return exp.Anonymous(this=name, expressions=args)

    return build


class ADQL(Dialect):
    """sqlglot's reading of ADQL 2.1: standard SQL with ``SELECT [ALL | DISTINCT] TOP n``,
    ``LOG`` the natural logarithm, NULLs sorted as the largest values, and the geometry
    functions (and ``IN_UNIT``) kept as plain calls for :func:`translate` to rewrite."""

    NULL_ORDERING = "nulls_are_large"

    class Tokenizer(tokens.Tokenizer):
        KEYWORDS: ClassVar[dict[str, TokenType]] = {
            **tokens.Tokenizer.KEYWORDS,
            "TOP": TokenType.TOP,
        }

    class Parser(parser.Parser):
        LOG_DEFAULTS_TO_LN = True
        FUNCTIONS: ClassVar[dict[str, Callable[..., Any]]] = {
            **parser.Parser.FUNCTIONS,
            **{name: _plain_call(name) for name in (*ADQL_GEOMETRY, "IN_UNIT")},
        }


_ADQL_DIALECT = ADQL()


def translate(
    adql: str,
    dialect: str,
    *,
    uploads: Mapping[str, pa.Table] | None = None,
    tap_schema: Mapping[str, pa.Table] | None = None,
) -> PreparedQuery:
    """Check the ADQL query ``adql`` and translate it to ``dialect``.

    Parameters
    ----------
    adql : str
        One ADQL 2.1 query; a trailing ``;`` is allowed.
    dialect : str
        The backend's sqlglot dialect: ``'duckdb'``, ``'postgres'`` or ``'oracle'``.
    uploads : mapping of str to pyarrow.Table, optional
        The tables the query may read as ``TAP_UPLOAD.<name>`` (names compared ignoring case),
        at most :data:`UPLOAD_ROW_LIMIT` rows each.
    tap_schema : mapping of str to pyarrow.Table, optional
        The service's TAP_SCHEMA tables (``SCHEMAS``, ``TABLES``, ``COLUMNS``, ...), read the
        same way as ``TAP_SCHEMA.<name>``: the catalog's own TAP_SCHEMA, if it has one, is not
        what TAP describes (:func:`surveylab.vo.tap_schema.tap_schema`).

    Returns
    -------
    PreparedQuery
        ``text`` is the ADQL, ``sql`` the backend's SQL, ``tables`` the catalog tables it reads
        (upper case; uploads are not among them).

    Raises
    ------
    SQLSyntaxError
        The query does not parse; ``line``, ``column`` and ``token`` say where.
    ReadOnlyQueryError, FunctionNotAllowedError
        It is not one read-only query, or it calls a function ADQL does not have.
    ADQLTranslationError
        It parses, but something in it has no translation here (see the class).
    RequestError
        An upload has a name that is not an ADQL identifier, too many rows, or a column of a
        type with no SQL literal.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    body, tree = parse_query(adql, _ADQL_DIALECT, functions=ADQL_FUNCTIONS, language=_LANGUAGE)
    virtual = {UPLOAD_SCHEMA: dict(uploads or {})}
    if tap_schema is not None:
        virtual[TAP_SCHEMA] = dict(tap_schema)
    tables = tuple(name for name in query_tables(tree) if name.partition(".")[0] not in virtual)
    located = _Located(body)
    used = {schema: _use_uploads(tree, schema, given, located) for schema, given in virtual.items()}
    _Geometry(located).rewrite(tree)
    _rewrite_functions(tree, dialect, located)
    for schema, names in used.items():
        if names:
            _add_upload_tables(tree, schema, names, virtual[schema], dialect)
    if dialect != "duckdb":
        _fold_identifiers(tree, upper=dialect == "oracle")
    try:
        # the tree is this call's own: no copy (a copy of a large upload's rows takes a second)
        sql = Dialect.get_or_raise(dialect).generate(
            tree, copy=False, unsupported_level=ErrorLevel.RAISE
        )
    except UnsupportedError as err:
        raise QueryError(f"this ADQL query cannot be translated to {dialect}: {err}") from None
    return PreparedQuery(text=body.strip(), sql=sql, tables=tables)


# --- where things are --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    """The user's text, to say where a node of its tree was written."""

    body: str

    def error(self, message: str, node: exp.Expr) -> ADQLTranslationError:
        """An :class:`ADQLTranslationError` pointing at ``node`` (its first located part)."""
        for part in node.walk():
            start = part.meta.get("start")
            if isinstance(start, int):
                line, column = text_position(self.body, start)
                end = part.meta.get("end")
                token = self.body[start : end + 1] if isinstance(end, int) else None
                return ADQLTranslationError(message, line, column, token=token)
        return ADQLTranslationError(message)


def _call_name(node: exp.Expr) -> str:
    """The upper-case name of a plain call (``POINT``), else ``''``."""
    return str(node.this).upper() if isinstance(node, exp.Anonymous) else ""


# --- constants and small SQL builders ----------------------------------------------------------


def _constant(node: exp.Expr) -> float | None:
    """The value of a numeric expression of literals (``323.36-0.12``), else None."""
    if isinstance(node, exp.Literal) and not node.is_string:
        return float(node.name)
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Neg):
        value = _constant(node.this)
        return None if value is None else -value
    operations: dict[type[exp.Expr], Callable[[float, float], float]] = {
        exp.Add: lambda a, b: a + b,
        exp.Sub: lambda a, b: a - b,
        exp.Mul: lambda a, b: a * b,
        exp.Div: lambda a, b: a / b if b else math.nan,
    }
    operation = operations.get(type(node))
    if operation is None:
        return None
    left, right = _constant(node.this), _constant(node.expression)
    return None if left is None or right is None else operation(left, right)


def _number(value: float) -> exp.Expr:
    """A numeric literal (negative numbers as a negation, which every backend reads alike)."""
    text = repr(float(value))
    literal = exp.Literal(this=text.lstrip("-"), is_string=False)
    return exp.Neg(this=literal) if text.startswith("-") else literal


def _value(node: exp.Expr) -> exp.Expr:
    """``node`` ready to be an operand: a copy, in parentheses unless it is atomic."""
    atomic = (exp.Column, exp.Literal, exp.Func, exp.Paren, exp.Null)
    copied = node.copy()
    return copied if isinstance(copied, atomic) else exp.Paren(this=copied)


def _term(node: exp.Expr | float) -> exp.Expr:
    """An operand: a number as a literal, an expression as :func:`_value` makes it."""
    return _number(node) if isinstance(node, float | int) else _value(node)


def _times(node: exp.Expr, factor: float) -> exp.Expr:
    """``node * factor``, folded when ``node`` is a constant."""
    constant = _constant(node)
    if constant is not None:
        return _number(constant * factor)
    return exp.Mul(this=_value(node), expression=_number(factor))


def _minus(left: exp.Expr, right: exp.Expr | float) -> exp.Expr:
    """``left - right``, with a literal ``right`` folded into its sign."""
    constant = float(right) if isinstance(right, float | int) else _constant(right)
    if constant is not None:
        if constant < 0:
            return exp.Add(this=_value(left), expression=_number(-constant))
        return exp.Sub(this=_value(left), expression=_number(constant))
    return exp.Sub(this=_value(left), expression=_term(right))


def _between(node: exp.Expr, low: exp.Expr | float, high: exp.Expr | float) -> exp.Expr:
    """``node BETWEEN low AND high``."""
    return exp.Between(this=_value(node), low=_term(low), high=_term(high))


def _false() -> exp.Expr:
    """A false condition every backend reads (Oracle has no FALSE)."""
    return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))


def _all_of(conditions: Sequence[exp.Expr]) -> exp.Expr:
    """The conditions joined with AND (an OR among them in parentheses)."""
    wrapped = [exp.Paren(this=c) if isinstance(c, exp.Or) else c for c in conditions]
    return exp.and_(*wrapped, copy=False) if len(wrapped) > 1 else wrapped[0]


def _cos_degrees(node: exp.Expr) -> exp.Expr:
    """``COS(node * pi / 180)``, a number when ``node`` is a constant."""
    constant = _constant(node)
    if constant is not None:
        return _number(math.cos(math.radians(constant)))
    return exp.Cos(this=_times(node, _DEG))


def _sin_degrees(node: exp.Expr) -> exp.Expr:
    """``SIN(node * pi / 180)``, a number when ``node`` is a constant."""
    constant = _constant(node)
    if constant is not None:
        return _number(math.sin(math.radians(constant)))
    return exp.Sin(this=_times(node, _DEG))


def _weighted_sum(terms: Sequence[tuple[float, exp.Expr]]) -> exp.Expr | None:
    """``a * x + b * y + ...`` without the terms whose weight is 0; None if none is left."""
    products: list[exp.Expr] = [
        term if weight == 1 else exp.Mul(this=_number(weight), expression=term)
        for weight, term in terms
        if weight
    ]
    if not products:
        return None
    total = products[0]
    for product in products[1:]:
        total = exp.Add(this=total, expression=product)
    return total


def _unit_vector(ra: float, dec: float) -> npt.NDArray[np.float64]:
    """The unit vector of (``ra``, ``dec``) in degrees."""
    a, d = math.radians(ra), math.radians(dec)
    return np.array([math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)])


# --- geometry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    """A POINT: its coordinates (SQL expressions, degrees), its system and the call."""

    ra: exp.Expr
    dec: exp.Expr
    system: str
    call: exp.Expr


@dataclass(frozen=True)
class _Circle:
    """A CIRCLE: its centre and radius (degrees)."""

    centre: _Point
    radius: exp.Expr
    call: exp.Expr


@dataclass(frozen=True)
class _Box:
    """A BOX: its centre, its width in RA and its height in Dec (degrees)."""

    centre: _Point
    width: exp.Expr
    height: exp.Expr
    call: exp.Expr


@dataclass(frozen=True)
class _Polygon:
    """A POLYGON: its vertices (RA, Dec in degrees), known when the query is translated."""

    vertices: tuple[tuple[float, float], ...]
    call: exp.Expr


_Shape = _Point | _Circle | _Box | _Polygon


@dataclass(frozen=True)
class _Condition:
    """A geometric test: conditions a database can use to skip rows, and the exact test."""

    prefilter: tuple[exp.Expr, ...]
    exact: exp.Expr

    def where(self) -> exp.Expr:
        """The prefilter and the exact test, joined with AND."""
        return _all_of([*self.prefilter, self.exact])


def _kind(shape: _Shape) -> str:
    """The ADQL name of ``shape`` (``CIRCLE``), for messages."""
    return _call_name(shape.call)


def _in_filter(node: exp.Expr) -> bool:
    """Whether ``node`` is a conjunct or disjunct of a WHERE, HAVING or JOIN ... ON condition,
    where a prefilter cannot change which rows pass (no NOT, no CASE around it)."""
    child, parent = node, node.parent
    while isinstance(parent, exp.And | exp.Or | exp.Paren):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.Where | exp.Having):
        return True
    return isinstance(parent, exp.Join) and child.arg_key == "on"


class _Geometry:
    """Rewrites ADQL's geometry functions in a tree into arithmetic on coordinates."""

    def __init__(self, located: _Located) -> None:
        self.located = located

    def rewrite(self, tree: exp.Expr) -> None:
        """Replace every geometry call of ``tree``, outermost first, in the order written (a
        call in a coordinate, ``POINT(COORD1(p), ...)``, is copied out with it, then replaced)."""
        while calls := [
            node
            for node in tree.find_all(exp.Anonymous)
            if _call_name(node) in ADQL_GEOMETRY | {"IN_UNIT"}
            and not any(_call_name(up) in ADQL_GEOMETRY for up in _ancestors(node))
        ]:
            calls.sort(key=lambda node: int(node.meta.get("start", 0)))
            for call in calls:
                self._rewrite_call(call)

    def _rewrite_call(self, call: exp.Anonymous) -> None:
        name = _call_name(call)
        if name in _NOT_OFFERED:
            raise self.located.error(
                f"{name} is not offered by this service: {_NOT_OFFERED[name]}", call
            )
        if name in _SHAPES:
            raise self.located.error(
                f"a {name} cannot stand here: geometries are translated only as arguments of "
                "CONTAINS, INTERSECTS, DISTANCE, COORD1, COORD2 and COORDSYS (select the "
                "coordinates instead)",
                call,
            )
        if name in ("CONTAINS", "INTERSECTS"):
            first, second = self._arguments(call, 2)
            a, b = self.shape(first), self.shape(second)
            test = self.contains(a, b, call) if name == "CONTAINS" else self.intersects(a, b, call)
            self._place_predicate(call, test)
        elif name == "DISTANCE":
            self._rewrite_distance(call)
        else:  # COORD1, COORD2, COORDSYS
            (argument,) = self._arguments(call, 1)
            point = self.shape(argument)
            if not isinstance(point, _Point):
                raise self.located.error(f"{name} takes a POINT, not a {_kind(point)}", call)
            if name == "COORDSYS":
                call.replace(exp.Literal.string(point.system))
            else:
                call.replace(_value(point.ra if name == "COORD1" else point.dec))

    def _arguments(self, call: exp.Anonymous, count: int) -> list[exp.Expr]:
        arguments = list(call.expressions)
        if len(arguments) != count:
            raise self.located.error(
                f"{_call_name(call)} takes {count} argument{'s' if count > 1 else ''}, "
                f"not {len(arguments)}",
                call,
            )
        return arguments

    # shapes -----------------------------------------------------------------------------------

    def shape(self, node: exp.Expr) -> _Shape:
        """The shape a POINT, CIRCLE, BOX or POLYGON call describes."""
        name = _call_name(node)
        if name not in _SHAPES:
            if name in _NOT_OFFERED:
                raise self.located.error(
                    f"{name} is not offered by this service: {_NOT_OFFERED[name]}", node
                )
            raise self.located.error(
                f"expected a POINT, CIRCLE, BOX or POLYGON written in the query, found "
                f"{node.sql()!r}: this catalog has no geometry columns",
                node,
            )
        assert isinstance(node, exp.Anonymous)
        system, arguments = self._system(node)
        if name == "POINT":
            return self._point(node, system, arguments)
        if name == "POLYGON":
            return self._polygon(node, system, arguments)
        sizes = 1 if name == "CIRCLE" else 2
        if len(arguments) == sizes + 1:
            centre = self.shape(arguments[0])
            if not isinstance(centre, _Point):
                raise self.located.error(f"the centre of a {name} must be a POINT", node)
        elif len(arguments) == sizes + 2:
            centre = self._point(node, system, arguments[:2])
        else:
            usage = "radius" if name == "CIRCLE" else "width, height"
            raise self.located.error(
                f"{name} takes ([system,] ra, dec, {usage}) or ([system,] POINT, {usage})", node
            )
        for size in arguments[-sizes:]:
            self._check_size(size, node)
        if name == "CIRCLE":
            return _Circle(centre, arguments[-1], node)
        return _Box(centre, arguments[-2], arguments[-1], node)

    def _system(self, call: exp.Anonymous) -> tuple[str, list[exp.Expr]]:
        """The coordinate system a shape names (``''`` if none) and its other arguments."""
        arguments = list(call.expressions)
        if not arguments or not (isinstance(arguments[0], exp.Literal) and arguments[0].is_string):
            return "", arguments
        system = arguments[0].name
        words = system.upper().split()
        if words and not (words[0] == "ICRS" and set(words[1:]) <= _ICRS_QUALIFIERS):
            raise self.located.error(
                f"coordinate system {system!r} is not supported: the catalog's positions are "
                "ICRS; write 'ICRS' or ''",
                call,
            )
        return system, arguments[1:]

    def _point(self, call: exp.Anonymous, system: str, arguments: list[exp.Expr]) -> _Point:
        if len(arguments) != 2:
            raise self.located.error("POINT takes ([system,] ra, dec)", call)
        for argument in arguments:
            if isinstance(argument, exp.Literal) and argument.is_string:
                raise self.located.error("a coordinate must be a number, not a string", call)
            if _call_name(argument) in _REGIONS:
                raise self.located.error(
                    f"a coordinate must be a number, not a {_call_name(argument)}", argument
                )
        dec = _constant(arguments[1])
        if dec is not None and not -90 <= dec <= 90:
            raise self.located.error(f"declination {dec:g} is outside [-90, 90]", call)
        return _Point(arguments[0], arguments[1], system, call)

    def _check_size(self, size: exp.Expr, call: exp.Expr) -> None:
        value = _constant(size)
        if value is not None and not value >= 0:
            raise self.located.error(
                f"the size of a {_call_name(call)} must be positive, not {value:g}", call
            )

    def _polygon(self, call: exp.Anonymous, system: str, arguments: list[exp.Expr]) -> _Polygon:
        if all(_call_name(argument) == "POINT" for argument in arguments):
            points = [self.shape(argument) for argument in arguments]
            coordinates = [c for p in points if isinstance(p, _Point) for c in (p.ra, p.dec)]
        elif len(arguments) % 2 == 0:
            coordinates = arguments
        else:
            raise self.located.error(
                "POLYGON takes ([system,] ra1, dec1, ra2, dec2, ...) or ([system,] POINT, ...)",
                call,
            )
        values = [_constant(coordinate) for coordinate in coordinates]
        if any(value is None for value in values):
            raise self.located.error(
                "the vertices of a POLYGON must be numbers: its edges are computed when the "
                "query is translated",
                call,
            )
        numbers = [float(value) for value in values if value is not None]
        vertices = tuple(zip(numbers[::2], numbers[1::2], strict=True))
        if len(vertices) < 3:
            raise self.located.error("a POLYGON needs at least 3 vertices", call)
        for _, dec in vertices:
            if not -90 <= dec <= 90:
                raise self.located.error(f"declination {dec:g} is outside [-90, 90]", call)
        return _Polygon(vertices, call)

    # predicates -------------------------------------------------------------------------------

    def contains(self, inner: _Shape, outer: _Shape, call: exp.Expr) -> _Condition:
        """The test that ``inner`` lies in ``outer``."""
        if isinstance(inner, _Point) and isinstance(outer, _Circle):
            return self.cone(inner, outer.centre, outer.radius)
        if isinstance(inner, _Point) and isinstance(outer, _Box):
            return self.box(inner, outer)
        if isinstance(inner, _Point) and isinstance(outer, _Polygon):
            return self.polygon(inner, outer)
        if isinstance(inner, _Circle) and isinstance(outer, _Circle):
            radius = exp.Sub(this=_value(outer.radius), expression=_value(inner.radius))
            test = self.cone(inner.centre, outer.centre, radius)
            if _constant(radius) is None:
                fits = exp.GTE(this=_value(outer.radius), expression=_value(inner.radius))
                return _Condition(test.prefilter, _all_of([fits, test.exact]))
            return test
        raise self.located.error(
            f"CONTAINS({_kind(inner)}, {_kind(outer)}) is not supported: the first argument "
            "must be a POINT (or a CIRCLE inside a CIRCLE), the second a CIRCLE, BOX or POLYGON",
            call,
        )

    def intersects(self, a: _Shape, b: _Shape, call: exp.Expr) -> _Condition:
        """The test that ``a`` and ``b`` overlap."""
        if isinstance(a, _Point) and not isinstance(b, _Point):
            return self.contains(a, b, call)
        if isinstance(b, _Point) and not isinstance(a, _Point):
            return self.contains(b, a, call)
        if isinstance(a, _Circle) and isinstance(b, _Circle):
            radius = exp.Add(this=_value(a.radius), expression=_value(b.radius))
            return self.cone(a.centre, b.centre, radius)
        raise self.located.error(
            f"INTERSECTS({_kind(a)}, {_kind(b)}) is not supported: one argument must be a "
            "POINT, or both CIRCLEs",
            call,
        )

    def cone(self, point: _Point, centre: _Point, radius: exp.Expr) -> _Condition:
        """The test that ``point`` is within ``radius`` degrees of ``centre``."""
        r = _constant(radius)
        if r is not None and r < 0:
            return _Condition((), _false())
        exact = exp.LTE(this=_haversine(point, centre), expression=_haversine_bound(radius))
        ends = [_constant(part) for part in (centre.ra, centre.dec, point.ra, point.dec)]
        if r is not None and ends[0] is not None and ends[1] is not None:
            prefilter = _cone_range(point, ends[0], ends[1], r)
        elif r is not None and ends[2] is not None and ends[3] is not None:
            prefilter = _cone_range(centre, ends[2], ends[3], r)
        else:
            reach = (
                _number(r + _MARGIN)
                if r is not None
                else exp.Paren(this=exp.Add(this=_value(radius), expression=_number(_MARGIN)))
            )
            prefilter = (
                _between(
                    point.dec,
                    exp.Sub(this=_value(centre.dec), expression=reach),
                    exp.Add(this=_value(centre.dec), expression=reach.copy()),
                ),
            )
        return _Condition(prefilter, exact)

    def box(self, point: _Point, box: _Box) -> _Condition:
        """The test that ``point`` lies in the coordinate range ``box``."""
        ra, dec = _constant(box.centre.ra), _constant(box.centre.dec)
        width, height = _constant(box.width), _constant(box.height)
        if None not in (ra, dec, width, height):
            assert ra is not None and dec is not None and width is not None and height is not None
            tests = [_between(point.dec, dec - height / 2, dec + height / 2)]
            tests += _ra_range(point.ra, ra % 360, width / 2)
            return _Condition((), _all_of(tests))
        half_height, half_width = _times(box.height, 0.5), _times(box.width, 0.5)
        difference = _minus(point.ra, box.centre.ra)
        wrapped = exp.Sub(
            this=exp.Paren(this=difference),
            expression=exp.Mul(
                this=_number(360.0),
                expression=exp.Floor(
                    this=exp.Div(
                        this=exp.Paren(
                            this=exp.Add(
                                this=exp.Paren(this=difference.copy()), expression=_number(180.0)
                            )
                        ),
                        expression=_number(360.0),
                    )
                ),
            ),
        )
        band = _between(
            point.dec,
            exp.Sub(this=_value(box.centre.dec), expression=half_height),
            exp.Add(this=_value(box.centre.dec), expression=half_height.copy()),
        )
        spread = exp.LTE(this=exp.Abs(this=wrapped), expression=half_width)
        return _Condition((band,), spread)

    def polygon(self, point: _Point, polygon: _Polygon) -> _Condition:
        """The test that ``point`` lies in the convex spherical ``polygon``."""
        corners = [_unit_vector(ra, dec) for ra, dec in polygon.vertices]
        normals = []
        for index, corner in enumerate(corners):
            following = corners[(index + 1) % len(corners)]
            normal = np.cross(corner, following)
            if np.linalg.norm(normal) < 1e-12:
                raise self.located.error(
                    f"POLYGON vertices {index + 1} and {(index + 1) % len(corners) + 1} are the "
                    "same point (or opposite points): an edge has no direction",
                    polygon.call,
                )
            normals.append(normal / np.linalg.norm(normal))
        sides = np.array([[normal @ corner for corner in corners] for normal in normals])
        sides[np.abs(sides) < 1e-12] = 0.0  # the edge's own ends, and vertices on its line
        if np.all(sides <= 0):
            normals = [-normal for normal in normals]
        elif not np.all(sides >= 0):
            raise self.located.error(
                "this POLYGON is not convex (or its edges cross): only convex polygons are "
                "supported; split it into convex ones joined with OR",
                polygon.call,
            )
        if not np.any(sides):
            raise self.located.error(
                "the vertices of this POLYGON lie on one great circle", polygon.call
            )
        cos_dec, sin_dec = _cos_degrees(point.dec), _sin_degrees(point.dec)
        cos_ra, sin_ra = _cos_degrees(point.ra), _sin_degrees(point.ra)
        edges = []
        for x, y, z in normals:
            # the point's unit vector (cos d cos a, cos d sin a, sin d) dotted with the normal
            across = _weighted_sum([(float(x), cos_ra.copy()), (float(y), sin_ra.copy())])
            terms = (
                []
                if across is None
                else [(1.0, exp.Mul(this=cos_dec.copy(), expression=exp.Paren(this=across)))]
            )
            plane = _weighted_sum([*terms, (float(z), sin_dec.copy())])
            assert plane is not None  # a normal is a unit vector
            edges.append(exp.GTE(this=plane, expression=_number(0.0)))
        middle = np.sum(corners, axis=0)
        middle /= np.linalg.norm(middle)
        reach = max(math.degrees(math.acos(min(1.0, float(middle @ c)))) for c in corners)
        ra = math.degrees(math.atan2(middle[1], middle[0])) % 360
        dec = math.degrees(math.asin(max(-1.0, min(1.0, float(middle[2])))))
        prefilter = _cone_range(point, ra, dec, reach) if reach < 90 else ()
        return _Condition(prefilter, _all_of(edges))

    # where the predicates go ------------------------------------------------------------------

    def _place_predicate(self, call: exp.Anonymous, test: _Condition) -> None:
        """Put ``test`` where ``call`` was: as a condition when compared with 0 or 1, else as
        the number 1 or 0."""
        parent = call.parent
        truth = _compared_truth(call)
        if truth is None or parent is None:
            call.replace(
                exp.Case(
                    ifs=[exp.If(this=test.exact, true=exp.Literal.number(1))],
                    default=exp.Literal.number(0),
                )
            )
        elif truth:
            parent.replace(exp.Paren(this=test.where() if _in_filter(parent) else test.exact))
        else:
            parent.replace(exp.Not(this=exp.Paren(this=test.exact)))

    def _rewrite_distance(self, call: exp.Anonymous) -> None:
        arguments = list(call.expressions)
        if len(arguments) == 4:
            points = [
                self._point(call, "", arguments[:2]),
                self._point(call, "", arguments[2:]),
            ]
        elif len(arguments) == 2:
            shapes = [self.shape(argument) for argument in arguments]
            points = [shape for shape in shapes if isinstance(shape, _Point)]
            if len(points) != 2:
                kinds = ", ".join(_kind(shape) for shape in shapes)
                raise self.located.error(f"DISTANCE takes two POINTs, not ({kinds})", call)
        else:
            raise self.located.error(
                "DISTANCE takes (POINT, POINT) or (ra1, dec1, ra2, dec2)", call
            )
        first, second = points
        parent = call.parent
        limit = _upper_bound(parent, call) if parent is not None else None
        bound = _constant(limit) if limit is not None else None
        call.replace(_distance(first, second))
        if parent is None or bound is None or bound < 0 or not _in_filter(parent):
            return
        cone = self.cone(first, second, _number(bound))
        parent.replace(exp.Paren(this=_all_of([*cone.prefilter, parent.copy()])))


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    """The nodes above ``node``, nearest first."""
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def _compared_truth(call: exp.Expr) -> bool | None:
    """True for ``call = 1`` (``1 = call``, ``call <> 0``), False for ``call = 0`` (``<> 1``),
    None when ``call`` is not compared with 0 or 1."""
    parent = call.parent
    if not isinstance(parent, exp.EQ | exp.NEQ):
        return None
    other = parent.expression if parent.this is call else parent.this
    value = _constant(other)
    if value not in (0.0, 1.0):
        return None
    return (value == 1.0) != isinstance(parent, exp.NEQ)


def _upper_bound(parent: exp.Expr, call: exp.Expr) -> exp.Expr | None:
    """``r`` of ``call < r``, ``call <= r``, ``r > call`` or ``r >= call``; else None."""
    bound: exp.Expr | None = None
    if isinstance(parent, exp.LT | exp.LTE) and parent.this is call:
        bound = parent.expression
    elif isinstance(parent, exp.GT | exp.GTE) and parent.expression is call:
        bound = parent.this
    return bound


def _haversine(point: _Point, centre: _Point) -> exp.Expr:
    """sin²(ΔDec/2) + cos Dec₁ cos Dec₂ sin²(ΔRA/2): the haversine of the two points' angle."""
    half = _DEG / 2

    def squared_sine(difference: exp.Expr) -> exp.Expr:
        return exp.Pow(this=exp.Sin(this=_times(difference, half)), expression=_number(2.0))

    cosines = exp.Mul(this=_cos_degrees(point.dec), expression=_cos_degrees(centre.dec))
    return exp.Add(
        this=squared_sine(_minus(point.dec, centre.dec)),
        expression=exp.Mul(this=cosines, expression=squared_sine(_minus(point.ra, centre.ra))),
    )


def _haversine_bound(radius: exp.Expr) -> exp.Expr:
    """sin²(r/2), the haversine of ``radius`` degrees (2, more than any, from 180 degrees on)."""
    r = _constant(radius)
    if r is not None:
        return _number(2.0 if r >= 180 else math.sin(math.radians(r) / 2) ** 2)
    return exp.Pow(this=exp.Sin(this=_times(radius, _DEG / 2)), expression=_number(2.0))


def _distance(first: _Point, second: _Point) -> exp.Expr:
    """The angle between two points, in degrees: 2 asin(√haversine)."""
    root = exp.Least(
        this=exp.Sqrt(this=_haversine(first, second)),
        expressions=[_number(1.0)],
        ignore_nulls=True,
    )
    return exp.Paren(this=exp.Mul(this=_number(360 / math.pi), expression=exp.Asin(this=root)))


def _cone_range(point: _Point, ra: float, dec: float, radius: float) -> tuple[exp.Expr, ...]:
    """Dec band and RA range of ``point`` around the circle (``ra``, ``dec``, ``radius``)."""
    low, high = dec - radius - _MARGIN, dec + radius + _MARGIN
    band = _between(point.dec, low, high)
    if low <= -90 or high >= 90:
        return (band,)  # the circle reaches a pole: every RA
    spread = math.sin(math.radians(radius)) / math.cos(math.radians(dec))
    half_width = math.degrees(math.asin(min(1.0, spread))) + _MARGIN
    return (band, *_ra_range(point.ra, ra % 360, half_width))


def _ra_range(ra: exp.Expr, centre: float, half_width: float) -> list[exp.Expr]:
    """RA within ``half_width`` of ``centre`` (in [0, 360)), split across RA 0 if need be."""
    if half_width >= 180:
        return []
    low, high = centre - half_width, centre + half_width
    if low < 0:
        return [exp.or_(exp.GTE(this=_value(ra), expression=_number(low + 360)),
                        exp.LTE(this=_value(ra), expression=_number(high)))]  # fmt: skip
    if high >= 360:
        return [exp.or_(exp.GTE(this=_value(ra), expression=_number(low)),
                        exp.LTE(this=_value(ra), expression=_number(high - 360)))]  # fmt: skip
    return [_between(ra, low, high)]


# --- functions ---------------------------------------------------------------------------------


def _rewrite_functions(tree: exp.Expr, dialect: str, located: _Located) -> None:
    """ADQL's functions as ``dialect`` has them (what sqlglot does not translate itself)."""
    for node in [node for node in tree.walk() if isinstance(node, exp.Func | exp.Mod)]:
        replacement = _backend_function(node, dialect, located)
        if replacement is not None:
            node.replace(replacement)


def _as_numeric(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=_value(node), to=exp.DataType.build("DECIMAL"))


def _as_double(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


def _backend_function(node: exp.Expr, dialect: str, located: _Located) -> exp.Expr | None:
    """What replaces ``node`` on ``dialect``, or None to keep it."""
    if isinstance(node, exp.Rand) and node.this is not None:
        raise located.error("RAND(seed) is not supported: call RAND() without a seed", node)
    if isinstance(node, exp.Log) and node.expression is not None:
        base, value = node.this, node.expression
        if dialect == "oracle":
            return None
        if _constant(base) == 10.0:
            return exp.Anonymous(this="LOG10", expressions=[value.copy()])
        return exp.Div(this=exp.Ln(this=value.copy()), expression=exp.Ln(this=base.copy()))
    if dialect == "postgres":
        # PostgreSQL rounds, truncates and takes remainders of NUMERIC, not of DOUBLE PRECISION.
        if isinstance(node, exp.Round | exp.Trunc) and node.args.get("decimals") is not None:
            rounded = type(node)(this=_as_numeric(node.this), decimals=node.args["decimals"].copy())
            return _as_double(rounded)
        if isinstance(node, exp.Mod):
            remainder = exp.Anonymous(
                this="MOD", expressions=[_as_numeric(node.this), _as_numeric(node.expression)]
            )
            return _as_double(remainder)
    if dialect == "oracle":
        if isinstance(node, exp.Cast) and node.to.is_type("VARCHAR") and not node.to.expressions:
            # Oracle's VARCHAR2 needs a length
            size = exp.DataType.build(f"VARCHAR({_ORACLE_VARCHAR_BYTES})")
            return exp.Cast(this=node.this.copy(), to=size)
        if isinstance(node, exp.Pi):
            return _number(math.pi)
        if isinstance(node, exp.Radians):
            return exp.Paren(this=_times(node.this, _DEG))
        if isinstance(node, exp.Degrees):
            return exp.Paren(this=_times(node.this, 1 / _DEG))
        if isinstance(node, exp.Cot):
            return exp.Paren(
                this=exp.Div(this=_number(1.0), expression=exp.Tan(this=node.this.copy()))
            )
    return None


# --- uploads -----------------------------------------------------------------------------------


def _upload_table_name(name: str, schema: str = UPLOAD_SCHEMA) -> str:
    """The common table expression that holds ``TAP_UPLOAD.name`` (or ``TAP_SCHEMA.name``)."""
    return f"{schema}_{name.upper()}"


def _use_uploads(
    tree: exp.Expr, schema: str, uploads: Mapping[str, pa.Table], located: _Located
) -> dict[str, str]:
    """Point every ``<schema>.name`` of ``tree`` (``TAP_UPLOAD``, ``TAP_SCHEMA``) at the common
    table expression that will hold it; the tables read, as upper-case name → name in
    ``uploads``."""
    known: dict[str, str] = {}
    for name in uploads:
        if not _REGULAR_NAME.match(name):
            raise RequestError(
                f"upload name {name!r} is not an ADQL identifier: use letters, digits and _, "
                "starting with a letter"
            )
        known[name.upper()] = name
    used: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        if table.db.upper() != schema:
            continue
        key = table.name.upper()
        if key not in known:
            sent = ", ".join(sorted(known.values())) or "none"
            if schema == UPLOAD_SCHEMA:
                message = f"no upload named {table.name!r}: the request uploads {sent}"
            else:
                message = f"no table {schema}.{table.name}: {schema} has {sent}"
            raise located.error(message, table)
        used[key] = known[key]
        alias = table.alias or table.name
        table.replace(
            exp.Table(
                this=exp.to_identifier(_upload_table_name(key, schema)),
                alias=exp.TableAlias(this=exp.to_identifier(alias)),
            )
        )
    for column in tree.find_all(exp.Column):
        if column.db.upper() == schema:
            column.set("db", None)
    ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    for key in used:
        if _upload_table_name(key, schema) in ctes:
            raise located.error(
                f"the query names a table {_upload_table_name(key, schema)}, which is where "
                f"{schema}.{used[key]} is put: rename it",
                tree,
            )
    return used


def _add_upload_tables(
    tree: exp.Expr,
    schema: str,
    names: Mapping[str, str],
    uploads: Mapping[str, pa.Table],
    dialect: str,
) -> None:
    """Put the tables read in ``names`` as common table expressions before ``tree``'s own."""
    ctes = [
        exp.CTE(
            this=_upload_query(name, uploads[name], dialect),
            alias=exp.TableAlias(this=exp.to_identifier(_upload_table_name(key, schema))),
        )
        for key, name in names.items()
    ]
    existing = tree.args.get("with_")
    if isinstance(existing, exp.With):
        existing.set("expressions", [*ctes, *existing.expressions])
    else:
        tree.set("with_", exp.With(expressions=ctes))


@dataclass(frozen=True)
class _UploadColumn:
    """A column of an upload: its name, its SQL type and its values as literals."""

    name: str
    type: exp.DataType
    values: list[exp.Expr]


def _upload_query(name: str, table: pa.Table, dialect: str) -> exp.Query:
    """The rows of ``table`` as a query of literals, typed by its schema."""
    if table.num_rows > UPLOAD_ROW_LIMIT:
        raise RequestError(
            f"upload {name!r} has {table.num_rows:,} rows; at most {UPLOAD_ROW_LIMIT:,} are allowed"
        )
    if table.num_columns == 0:
        raise RequestError(f"upload {name!r} has no columns")
    seen: set[str] = set()
    for field in table.schema:
        if field.name.upper() in seen:
            raise RequestError(f"upload {name!r} has two columns named {field.name!r}")
        seen.add(field.name.upper())
    columns = [
        _upload_column(name, field, table.column(index), dialect)
        for index, field in enumerate(table.schema)
    ]
    if dialect == "oracle":
        return _union_of_rows(columns, table.num_rows)
    return _values_query(columns, table.num_rows)


def _values_query(columns: list[_UploadColumn], rows: int) -> exp.Query:
    """``SELECT CAST(v.c1 AS type) AS name, ... FROM (VALUES (...), ...) AS v(c1, ...)``."""
    names = [f"c{index}" for index in range(1, len(columns) + 1)]
    if rows == 0:
        return exp.Select(
            expressions=[
                exp.Alias(
                    this=exp.Cast(this=exp.Null(), to=c.type), alias=exp.to_identifier(c.name)
                )
                for c in columns
            ],
            where=exp.Where(this=_false()),
        )
    values = exp.Values(
        expressions=[
            exp.Tuple(expressions=list(row))
            for row in zip(*(column.values for column in columns), strict=True)
        ],
        alias=exp.TableAlias(
            this=exp.to_identifier("v"), columns=[exp.to_identifier(n) for n in names]
        ),
    )
    return exp.Select(
        expressions=[
            exp.Alias(
                this=exp.Cast(this=exp.column(slot, "v"), to=column.type),
                alias=exp.to_identifier(column.name),
            )
            for slot, column in zip(names, columns, strict=True)
        ],
        from_=exp.From(this=values),
    )


def _union_of_rows(columns: list[_UploadColumn], rows: int) -> exp.Query:
    """Oracle's rows of literals: ``SELECT CAST(v AS type) AS name, ... FROM DUAL UNION ALL
    SELECT v, ... FROM DUAL ...`` (the first row gives the names and types)."""
    dual = exp.Table(this=exp.to_identifier("DUAL"))
    first = exp.Select(
        expressions=[
            exp.Alias(
                this=exp.Cast(this=column.values[0] if rows else exp.Null(), to=column.type),
                alias=exp.to_identifier(column.name),
            )
            for column in columns
        ],
        from_=exp.From(this=dual),
    )
    if rows == 0:
        first.set("where", exp.Where(this=_false()))
        return first
    query: exp.Query = first
    for index in range(1, rows):
        row = exp.Select(
            expressions=[column.values[index] for column in columns],
            from_=exp.From(this=exp.Table(this=exp.to_identifier("DUAL"))),
        )
        query = exp.Union(this=query, expression=row, distinct=False)
    return query


def _upload_column(
    upload: str, field: pa.Field, column: pa.ChunkedArray, dialect: str
) -> _UploadColumn:
    """``column``'s SQL type on ``dialect`` and its values as literals."""
    kind = field.type
    values = column.to_pylist()
    literal: Callable[[object], exp.Expr]
    if pa.types.is_boolean(kind):
        sql_type = "DECIMAL(1, 0)" if dialect == "oracle" else "BOOLEAN"
        literal = (
            (lambda v: exp.Literal.number(int(bool(v))))
            if dialect == "oracle"
            else (lambda v: exp.Boolean(this=bool(v)))
        )
    elif pa.types.is_integer(kind):
        sql_type = _integer_type(kind, dialect)
        literal = lambda v: exp.Literal(this=str(v), is_string=False)  # noqa: E731
    elif pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        # single precision stays single (a VOTable float comes back a float), the rest double
        single = pa.types.is_float32(kind) or pa.types.is_float16(kind)
        sql_type = "REAL" if single else "DOUBLE"
        literal = _float_literal
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        sql_type = "VARCHAR"
        if dialect == "oracle":
            longest = max((len(str(v).encode()) for v in values if v is not None), default=1)
            if longest > _ORACLE_VARCHAR_BYTES:
                raise RequestError(
                    f"upload {upload!r}: column {field.name!r} has strings longer than "
                    f"{_ORACLE_VARCHAR_BYTES} bytes"
                )
            sql_type = f"VARCHAR({max(longest, 1)})"
        literal = lambda v: exp.Literal.string(str(v))  # noqa: E731
    elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        sql_type = "TIMESTAMP" if pa.types.is_timestamp(kind) else "DATE"
        literal = _time_literal(sql_type, dialect)
    else:
        raise RequestError(
            f"upload {upload!r}: column {field.name!r} has type {kind}, which has no SQL literal "
            "here; send numbers, strings, booleans, dates or timestamps"
        )
    null = exp.Null()
    return _UploadColumn(
        field.name,
        exp.DataType.build(sql_type),
        [null.copy() if v is None else literal(v) for v in values],
    )


def _integer_type(kind: pa.DataType, dialect: str) -> str:
    """The SQL type that holds every value of the Arrow integer type ``kind``."""
    if dialect == "oracle":
        return "DECIMAL(20, 0)"
    bits = kind.bit_width + (1 if pa.types.is_unsigned_integer(kind) else 0)
    if bits <= 16:
        return "SMALLINT"
    if bits <= 32:
        return "INT"
    return "BIGINT" if bits <= 64 else "DECIMAL(20, 0)"


def _float_literal(value: object) -> exp.Expr:
    """A float as a literal every backend reads as exactly this double (``0.1e0``); NaN and
    infinities as NULL."""
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return exp.Null()
    text = repr(number)
    if "e" not in text:
        text = f"{text}e0"  # DuckDB reads 0.1 as a DECIMAL, 0.1e0 as a DOUBLE
    node = exp.Literal(this=text.lstrip("-"), is_string=False)
    return exp.Neg(this=node) if text.startswith("-") else node


def _time_literal(sql_type: str, dialect: str) -> Callable[[object], exp.Expr]:
    """How a date or timestamp becomes a literal: an ISO string (cast by the query), or on
    Oracle a ``TO_DATE``/``TO_TIMESTAMP`` call, which does not depend on the session's format."""

    def iso(value: object) -> str:
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.UTC).replace(tzinfo=None)
            return value.isoformat(sep=" ", timespec="microseconds")
        assert isinstance(value, datetime.date)
        return value.isoformat()

    if dialect != "oracle":
        return lambda value: exp.Literal.string(iso(value))
    function, pattern = (
        ("TO_TIMESTAMP", "YYYY-MM-DD HH24:MI:SS.FF6")
        if sql_type == "TIMESTAMP"
        else ("TO_DATE", "YYYY-MM-DD")
    )
    return lambda value: exp.Anonymous(
        this=function, expressions=[exp.Literal.string(iso(value)), exp.Literal.string(pattern)]
    )


# --- identifiers -------------------------------------------------------------------------------


def _fold_identifiers(tree: exp.Expr, *, upper: bool) -> None:
    """Quote every name in the case the backend folds unquoted names to (PostgreSQL lower,
    Oracle upper): a column named like a reserved word (``"size"``) then works, and ``"ra"``
    means ``RA`` as it does in the catalog. Names in mixed case stay as quoted."""
    for identifier in tree.find_all(exp.Identifier):
        name = identifier.name
        if _REGULAR_NAME.match(name) and (
            not identifier.quoted or name in (name.upper(), name.lower())
        ):
            identifier.set("this", name.upper() if upper else name.lower())
            identifier.set("quoted", True)

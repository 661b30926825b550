"""VOSI and DALI documents of the TAP service: availability, capabilities, tables, examples, and
the TAP_SCHEMA that ADQL queries read.

The TAP_SCHEMA served to ADQL (:func:`tap_schema`) is built from what the catalog says of its
tables (:meth:`surveylab.Survey.tables` and :meth:`~surveylab.Survey.columns`: the engine's
dictionary with the release's units, UCDs and descriptions), in the five standard tables of
TAP 1.1, and it describes itself. ``/tables`` is written from the same tables, so the two
always agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa

from ..errors import TableNotFoundError
from .protocol import VORequest, VOResponse

if TYPE_CHECKING:
    from ..survey import Survey

__all__ = [
    "ADQL_GEOMETRY",
    "TAP_SCHEMA_NAME",
    "availability",
    "capabilities",
    "examples",
    "tables",
    "tap_schema",
    "votable_datatype",
]

#: The schema of the TAP_SCHEMA tables, and the schema the release's tables are listed in.
TAP_SCHEMA_NAME = "TAP_SCHEMA"
RELEASE_SCHEMA = "main"
#: The ADQL geometry functions the service translates (TAPRegExt's adql-geo features).
ADQL_GEOMETRY = (
    "POINT",
    "CIRCLE",
    "BOX",
    "POLYGON",
    "CONTAINS",
    "INTERSECTS",
    "DISTANCE",
    "COORD1",
    "COORD2",
    "COORDSYS",
)
#: The result formats advertised: media type and alias.
OUTPUT_FORMATS = (
    ("application/x-votable+xml", "votable"),
    ("application/x-votable+xml;serialization=TABLEDATA", "votable/td"),
    ("text/csv", "csv"),
    ("application/fits", "fits"),
    ("application/vnd.apache.parquet", "parquet"),
)

#: VOTable datatypes of SQL column types (TAP_SCHEMA.columns.datatype).
_VOTABLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "short",
    "SMALLINT": "short",
    "INT2": "short",
    "INTEGER": "int",
    "INT": "int",
    "INT4": "int",
    "BIGINT": "long",
    "INT8": "long",
    "HUGEINT": "long",
    "NUMBER": "double",
    "REAL": "float",
    "FLOAT": "float",
    "FLOAT4": "float",
    "BINARY_FLOAT": "float",
    "DOUBLE": "double",
    "DOUBLE PRECISION": "double",
    "FLOAT8": "double",
    "BINARY_DOUBLE": "double",
    "DECIMAL": "double",
    "NUMERIC": "double",
}
_TEXT_TYPES = ("VARCHAR", "CHAR", "TEXT", "STRING", "VARCHAR2", "NVARCHAR2", "CHARACTER", "CLOB")
_TIME_TYPES = ("TIMESTAMP", "DATE", "TIME")

_NAMESPACES = (
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
    'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
    'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0"'
)


def votable_datatype(sql_type: str) -> tuple[str, str | None, str | None]:
    """The VOTable ``(datatype, arraysize, xtype)`` of an engine's SQL column type.

    >>> votable_datatype("DOUBLE"), votable_datatype("VARCHAR(12)"), votable_datatype("TIMESTAMP")
    (('double', None, None), ('char', '*', None), ('char', '*', 'timestamp'))
    """
    base = re.sub(r"\(.*\)", "", sql_type).strip().upper()
    if base in _VOTABLE_TYPES:
        return _VOTABLE_TYPES[base], None, None
    if base.startswith(_TIME_TYPES):
        return "char", "*", "timestamp"
    if base.startswith(_TEXT_TYPES):
        return "char", "*", None
    return "char", "*", None


# --- TAP_SCHEMA -------------------------------------------------------------------------------

_TAP_SCHEMA_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    # table: (column, SQL type, description)
    "schemas": (
        ("schema_name", "VARCHAR", "schema name for reference to tables"),
        ("utype", "VARCHAR", "lists the utypes of schemas"),
        ("description", "VARCHAR", "describes the schemas"),
        ("schema_index", "INTEGER", "recommended sort order when listing schemas"),
    ),
    "tables": (
        ("schema_name", "VARCHAR", "the schema this table belongs to"),
        ("table_name", "VARCHAR", "the fully qualified table name"),
        ("table_type", "VARCHAR", "one of: table, view"),
        ("utype", "VARCHAR", "lists the utype of tables"),
        ("description", "VARCHAR", "describes the tables"),
        ("table_index", "INTEGER", "recommended sort order when listing tables"),
    ),
    "columns": (
        ("table_name", "VARCHAR", "the table this column belongs to"),
        ("column_name", "VARCHAR", "the column name"),
        ("datatype", "VARCHAR", "lists the ADQL datatype of columns"),
        ("arraysize", "VARCHAR", "lists the size of variable-length columns"),
        ("xtype", "VARCHAR", "a DALI or custom extended type annotation"),
        ("size", "INTEGER", "deprecated: use arraysize"),
        ("utype", "VARCHAR", "lists the utypes of columns"),
        ("unit", "VARCHAR", "lists the unit used for column values"),
        ("ucd", "VARCHAR", "lists the UCDs of columns"),
        ("description", "VARCHAR", "describes the columns"),
        ("principal", "INTEGER", "a principal column; 1 means 1, 0 means 0"),
        ("indexed", "INTEGER", "an indexed column; 1 means 1, 0 means 0"),
        ("std", "INTEGER", "a standard column; 1 means 1, 0 means 0"),
        ("column_index", "INTEGER", "recommended sort order when listing columns"),
    ),
    "keys": (
        ("key_id", "VARCHAR", "unique key to join to TAP_SCHEMA.key_columns"),
        ("from_table", "VARCHAR", "the table with the foreign key"),
        ("target_table", "VARCHAR", "the table with the primary key"),
        ("utype", "VARCHAR", "lists the utype of keys"),
        ("description", "VARCHAR", "describes keys"),
    ),
    "key_columns": (
        ("key_id", "VARCHAR", "key to join to TAP_SCHEMA.keys"),
        ("from_column", "VARCHAR", "column in the from_table"),
        ("target_column", "VARCHAR", "column in the target_table"),
    ),
}
_TAP_SCHEMA_DESCRIPTIONS = {
    "schemas": "the schemas of this service",
    "tables": "the tables of this service",
    "columns": "the columns of the tables of this service",
    "keys": "foreign keys between the tables of this service",
    "key_columns": "the columns of the foreign keys",
}
#: Columns of the release that are indexed or principal when TAP_SCHEMA does not say.
_ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32()}


def _rows_to_table(name: str, rows: Sequence[tuple[object, ...]]) -> pa.Table:
    columns = _TAP_SCHEMA_COLUMNS[name]
    return pa.table(
        {
            column: pa.array([row[i] for row in rows], type=_ARROW_TYPES[sql_type])
            for i, (column, sql_type, _) in enumerate(columns)
        }
    )


#: The foreign keys between the TAP_SCHEMA tables (TAP 1.1, 4.6): id, from table, to table, from
#: column, to column, description.
_TAP_SCHEMA_KEYS = (
    ("tables_schema", "tables", "schemas", "schema_name", "schema_name", "a table's schema"),
    ("columns_table", "columns", "tables", "table_name", "table_name", "a column's table"),
    ("keys_from", "keys", "tables", "from_table", "table_name", "a key's table"),
    ("keys_target", "keys", "tables", "target_table", "table_name", "a key's target table"),
    ("key_columns_key", "key_columns", "keys", "key_id", "key_id", "a key column's key"),
)
#: Column names of TAP_SCHEMA that are ADQL reserved words, listed delimited (TAP 1.1, 4.3).
_RESERVED = frozenset({"size"})


def _delimited(name: str) -> str:
    return f'"{name}"' if name in _RESERVED else name


def tap_schema(survey: Survey) -> dict[str, pa.Table]:
    """The five TAP_SCHEMA tables of TAP 1.1, by qualified upper-case name
    (``TAP_SCHEMA.COLUMNS``), describing the release's tables and themselves."""
    release = survey.info().release
    schemas = [
        (RELEASE_SCHEMA, None, f"{release}: the tables of the data release", 0),
        (TAP_SCHEMA_NAME, None, "IVOA TAP_SCHEMA: the tables and columns of this service", 1),
    ]
    tables: list[tuple[object, ...]] = []
    columns: list[tuple[object, ...]] = []
    for index, table in enumerate(survey.tables()):
        tables.append((RELEASE_SCHEMA, table.name, "table", None, table.description, index))
        for position, column in enumerate(survey.columns(table.name)):
            datatype, arraysize, xtype = votable_datatype(column.datatype)
            columns.append(
                (
                    table.name, column.name, datatype, arraysize, xtype, None, None,
                    column.unit or None, column.ucd or None, column.description or None,
                    1 if position < 8 else 0, 0, 0, position,
                )
            )  # fmt: skip
    offset = len(tables)
    for index, (name, described) in enumerate(_TAP_SCHEMA_COLUMNS.items()):
        qualified = f"{TAP_SCHEMA_NAME}.{name}"
        tables.append(
            (
                TAP_SCHEMA_NAME,
                qualified,
                "table",
                None,
                _TAP_SCHEMA_DESCRIPTIONS[name],
                offset + index,
            )
        )
        for position, (column_name, sql_type, description) in enumerate(described):
            datatype, arraysize, xtype = votable_datatype(sql_type)
            columns.append(
                (
                    qualified, _delimited(column_name), datatype, arraysize, xtype,
                    None, None, None, None, description, 1, 0, 1, position,
                )
            )  # fmt: skip
    keys = [
        (key, f"{TAP_SCHEMA_NAME}.{source}", f"{TAP_SCHEMA_NAME}.{target}", None, description)
        for key, source, target, _, _, description in _TAP_SCHEMA_KEYS
    ]
    key_columns = [(key, source, target) for key, _, _, source, target, _ in _TAP_SCHEMA_KEYS]
    return {
        f"{TAP_SCHEMA_NAME}.SCHEMAS": _rows_to_table("schemas", schemas),
        f"{TAP_SCHEMA_NAME}.TABLES": _rows_to_table("tables", tables),
        f"{TAP_SCHEMA_NAME}.COLUMNS": _rows_to_table("columns", columns),
        f"{TAP_SCHEMA_NAME}.KEYS": _rows_to_table("keys", keys),
        f"{TAP_SCHEMA_NAME}.KEY_COLUMNS": _rows_to_table("key_columns", key_columns),
    }


# --- documents ----------------------------------------------------------------------------------


def availability(survey: Survey) -> VOResponse:
    """VOSI availability: whether the catalog answers, with a note saying why not."""
    try:
        survey.catalog  # noqa: B018  # opening the catalog is the check
    except Exception as exc:  # any failure to open means: not available, and why
        available, note = "false", f"the catalog cannot be opened: {exc}"
    else:
        available, note = "true", f"{survey.release} is served"
    return VOResponse.xml(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">\n'
        f"  <vosi:available>{available}</vosi:available>\n"
        f"  <vosi:note>{escape(note)}</vosi:note>\n"
        "</vosi:availability>\n"
    )


def _interface(url: str, *, role: str | None = None, version: str | None = None) -> str:
    attributes = ' xsi:type="vs:ParamHTTP"'
    if role:
        attributes += f" role={quoteattr(role)}"
    if version:
        attributes += f" version={quoteattr(version)}"
    return (
        f"    <interface{attributes}>\n"
        f'      <accessURL use="base">{escape(url)}</accessURL>\n'
        "    </interface>\n"
    )


def _vosi_capabilities(request: VORequest, service: str) -> str:
    """The VOSI and DALI capabilities every service has."""
    return (
        '  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities">\n'
        + _interface(request.url(f"{service}/capabilities"))
        + "  </capability>\n"
        '  <capability standardID="ivo://ivoa.net/std/VOSI#availability">\n'
        + _interface(request.url(f"{service}/availability"))
        + "  </capability>\n"
    )


def capabilities(request: VORequest, service: str, survey: Survey) -> VOResponse:
    """VOSI capabilities of ``service`` (``tap``, ``soda``, ``sia`` or ``datalink``)."""
    body = _vosi_capabilities(request, service)
    if service == "tap":
        body += _tap_capability(request, survey)
    elif service == "soda":
        body += (
            '  <capability standardID="ivo://ivoa.net/std/SODA#sync-1.0">\n'
            + _interface(request.url("soda/sync"), role="std", version="1.0")
            + "  </capability>\n"
            '  <capability standardID="ivo://ivoa.net/std/SODA#async-1.0">\n'
            + _interface(request.url("soda/async"), role="std", version="1.0")
            + "  </capability>\n"
        )
    elif service == "sia":
        body += (
            '  <capability standardID="ivo://ivoa.net/std/SIA#query-2.0">\n'
            + _interface(request.url("sia/query"), role="std", version="2.0")
            + "  </capability>\n"
        )
    elif service == "datalink":
        body += (
            '  <capability standardID="ivo://ivoa.net/std/DataLink#links-1.1">\n'
            + _interface(request.url("datalink/links"), role="std", version="1.1")
            + "  </capability>\n"
        )
    return VOResponse.xml(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
        f"{_NAMESPACES}>\n{body}</vosi:capabilities>\n"
    )


def _feature(form: str, description: str) -> str:
    return (
        f"        <feature><form>{escape(form)}</form>"
        f"<description>{escape(description)}</description></feature>\n"
    )


def _tap_capability(request: VORequest, survey: Survey) -> str:
    settings = survey.settings
    geometry = "".join(_feature(name, f"ADQL {name}, in ICRS") for name in ADQL_GEOMETRY)
    strings = (
        _feature("LOWER", "lower case")
        + _feature("UPPER", "upper case")
        + _feature("ILIKE", "case-insensitive LIKE")
    )
    formats = "".join(
        f"    <outputFormat><mime>{escape(mime)}</mime><alias>{alias}</alias></outputFormat>\n"
        for mime, alias in OUTPUT_FORMATS
    )
    lifetime = round(settings.job_lifetime_days * 86400)
    return (
        '  <capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">\n'
        + _interface(request.url("tap"), role="std", version="1.1")
        + "    <language>\n"
        "      <name>ADQL</name>\n"
        '      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>\n'
        '      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0</version>\n'
        "      <description>ADQL 2.1, translated for the release's database</description>\n"
        '      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo">\n'
        f"{geometry}"
        "      </languageFeatures>\n"
        '      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adql-sets">\n'
        + _feature("UNION", "union of two queries")
        + _feature("EXCEPT", "rows of one query not in another")
        + _feature("INTERSECT", "rows in both queries")
        + "      </languageFeatures>\n"
        '      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adql-common-table">\n'
        + _feature("WITH", "common table expressions")
        + "      </languageFeatures>\n"
        '      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adql-string">\n'
        f"{strings}"
        "      </languageFeatures>\n"
        "    </language>\n"
        "    <language>\n"
        "      <name>SQL</name>\n"
        "      <version>1</version>\n"
        "      <description>The release's SQL, as in the lab's query panel: DES's "
        "Oracle-flavoured SQL, or the database's own dialect</description>\n"
        "    </language>\n"
        f"{formats}"
        '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>\n'
        '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>\n'
        '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-https"/>\n'
        f"    <retentionPeriod><default>{lifetime}</default></retentionPeriod>\n"
        "    <executionDuration><default>0</default></executionDuration>\n"
        "    <outputLimit>\n"
        f'      <default unit="row">{settings.tap_default_maxrec}</default>\n'
        f'      <hard unit="row">{settings.tap_max_maxrec}</hard>\n'
        "    </outputLimit>\n"
        "    <uploadLimit>\n"
        f'      <default unit="byte">{settings.tap_upload_max_bytes}</default>\n'
        f'      <hard unit="byte">{settings.tap_upload_max_bytes}</hard>\n'
        "    </uploadLimit>\n"
        "  </capability>\n"
        '  <capability standardID="ivo://ivoa.net/std/VOSI#tables-1.1">\n'
        + _interface(request.url("tap/tables"), version="1.1")
        + "  </capability>\n"
        '  <capability standardID="ivo://ivoa.net/std/DALI#examples">\n'
        '    <interface xsi:type="vr:WebBrowser">\n'
        f'      <accessURL use="full">{escape(request.url("tap/examples"))}</accessURL>\n'
        "    </interface>\n"
        "  </capability>\n"
    )


def _text(tag: str, value: object) -> str:
    return "" if value is None or value == "" else f"<{tag}>{escape(str(value))}</{tag}>"


def _table_element(
    name: str,
    description: object,
    columns: Iterable[Mapping[str, object]],
    keys: Iterable[tuple[str, str, str]] = (),
) -> str:
    parts = [f'    <table type="output">\n      <name>{escape(name)}</name>']
    if description:
        parts.append(f"      {_text('description', description)}")
    for column in columns:
        arraysize = column.get("arraysize")
        xtype = column.get("xtype")
        attributes = f" arraysize={quoteattr(str(arraysize))}" if arraysize else ""
        attributes += f" extendedType={quoteattr(str(xtype))}" if xtype else ""
        flag = "<flag>indexed</flag>" if column.get("indexed") else ""
        flag += "<flag>primary</flag>" if column.get("principal") else ""
        flag += "<flag>std</flag>" if column.get("std") else ""
        parts.append(
            "      <column>"
            + _text("name", column["column_name"])
            + _text("description", column.get("description"))
            + _text("unit", column.get("unit"))
            + _text("ucd", column.get("ucd"))
            + f'<dataType xsi:type="vs:VOTableType"{attributes}>'
            + f"{escape(str(column['datatype']))}</dataType>"
            + flag
            + "</column>"
        )
    for target, from_column, target_column in keys:
        parts.append(
            f"      <foreignKey><targetTable>{escape(target)}</targetTable><fkColumn>"
            f"<fromColumn>{escape(from_column)}</fromColumn>"
            f"<targetColumn>{escape(target_column)}</targetColumn></fkColumn></foreignKey>"
        )
    parts.append("    </table>")
    return "\n".join(parts) + "\n"


def tables(survey: Survey, name: str | None = None) -> VOResponse:
    """VOSI tables (1.1): every table with its columns, from :func:`tap_schema`; with ``name``,
    the one table (``/tables/<name>``)."""
    schema = tap_schema(survey)
    listed = schema[f"{TAP_SCHEMA_NAME}.TABLES"].to_pylist()
    columns = schema[f"{TAP_SCHEMA_NAME}.COLUMNS"].to_pylist()
    by_table: dict[str, list[dict[str, object]]] = {}
    for column in columns:
        by_table.setdefault(str(column["table_name"]), []).append(column)
    key_columns = {
        str(row["key_id"]): (str(row["from_column"]), str(row["target_column"]))
        for row in schema[f"{TAP_SCHEMA_NAME}.KEY_COLUMNS"].to_pylist()
    }
    keys_of: dict[str, list[tuple[str, str, str]]] = {}
    for key in schema[f"{TAP_SCHEMA_NAME}.KEYS"].to_pylist():
        from_column, target_column = key_columns[str(key["key_id"])]
        keys_of.setdefault(str(key["from_table"]), []).append(
            (str(key["target_table"]), from_column, target_column)
        )
    namespace = f'xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" {_NAMESPACES}'
    if name is not None:
        found = [t for t in listed if str(t["table_name"]).upper() == name.upper()]
        if not found:
            raise TableNotFoundError(f"no table named {name!r}")
        table = found[0]
        element = _table_element(
            str(table["table_name"]),
            table["description"],
            by_table.get(str(table["table_name"]), []),
            keys_of.get(str(table["table_name"]), ()),
        ).replace('<table type="output">', f'<vosi:table {namespace} type="output">', 1)
        element = element.rstrip().removesuffix("</table>") + "</vosi:table>\n"
        return VOResponse.xml('<?xml version="1.0" encoding="UTF-8"?>\n' + element)
    body = []
    for schema_row in schema[f"{TAP_SCHEMA_NAME}.SCHEMAS"].to_pylist():
        schema_name = str(schema_row["schema_name"])
        body.append(f"  <schema>\n    <name>{escape(schema_name)}</name>")
        body.append(f"    {_text('description', schema_row['description'])}")
        for table in listed:
            if table["schema_name"] == schema_name:
                table_name = str(table["table_name"])
                element = _table_element(
                    table_name,
                    table["description"],
                    by_table.get(table_name, []),
                    keys_of.get(table_name, ()),
                )
                body.append(element.rstrip("\n"))
        body.append("  </schema>")
    return VOResponse.xml(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<vosi:tableset {namespace}>\n" + "\n".join(body) + "\n</vosi:tableset>\n"
    )


def examples(request: VORequest, queries: Iterable[tuple[str, str, str, str]]) -> VOResponse:
    """The DALI examples document (XHTML with RDFa): ``queries`` are (id, title, description,
    ADQL) of the release's example queries."""
    items = []
    for ident, title, description, adql in queries:
        items.append(
            f'  <div typeof="example" id={quoteattr(ident)} resource="#{escape(ident)}">\n'
            f'    <h2 property="name">{escape(title)}</h2>\n'
            f"    <p>{escape(description)}</p>\n"
            f'    <pre class="dachs-ex-tapquery" property="query">{escape(adql)}</pre>\n'
            "  </div>\n"
        )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" vocab="http://www.ivoa.net/rdf/examples#">\n'
        "<head><title>Example queries</title></head>\n"
        f"<body>\n  <h1>Example queries</h1>\n  <p>ADQL for the TAP service at "
        f"<a href={quoteattr(request.url('tap'))}>{escape(request.url('tap'))}</a>.</p>\n"
        + "".join(items)
        + "</body>\n</html>\n"
    )
    return VOResponse(200, "application/xhtml+xml; charset=utf-8", document.encode())

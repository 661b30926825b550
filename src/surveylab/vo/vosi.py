"""VOSI and DALI documents of the services: availability, capabilities, tables, examples.

``/tables`` is written from the TAP_SCHEMA that ADQL queries read
(:func:`surveylab.vo.tap_schema.tap_schema`), so the two always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from ..errors import TableNotFoundError
from .protocol import VORequest, VOResponse
from .tap_schema import TAP_SCHEMA_NAME, tap_schema

if TYPE_CHECKING:
    from ..survey import Survey

__all__ = ["ADQL_GEOMETRY", "availability", "capabilities", "examples", "tables"]

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

_NAMESPACES = (
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
    'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
    'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0"'
)


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

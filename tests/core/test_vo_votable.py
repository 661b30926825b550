"""VOTable out and in: results streamed as VOTable 1.4 (BINARY2 and TABLEDATA) read back with
astropy, with a BINARY2 decoder of our own (astropy ignores the NULL flags of strings) and
checked by STILTS ``votlint`` against the VOTable schema; job results in the ``votable``
format; and the reader of uploaded VOTables, its tables and its refusals."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import decimal
import gzip
import io
import struct
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from astropy.io.votable import parse
from astropy.io.votable.tree import VOTableFile
from astropy.table import Table

from surveylab import __version__
from surveylab.catalog import DuckDBCatalog
from surveylab.errors import RequestError, SurveylabError
from surveylab.models import ColumnInfo
from surveylab.vo.protocol import error_document
from surveylab.vo.votable import SERIALIZATIONS, read_votable, votable_chunks
from surveylab.writers import (
    ResultMetadata,
    UnsupportedColumnError,
    result_filename,
    write_result,
)
from surveylab.writers._votable import CHUNK_BYTES, NAMESPACE

V = f"{{{NAMESPACE}}}"
#: When the result was made: a month ago, to the second (relative to now: no test depends on
#: the calendar).
CREATED = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0)
QUERY = "SELECT *\nFROM DR1_MAIN\nWHERE RA < 10 AND TILENAME <> 'a&b' -- every column"
META = ResultMetadata(query=QUERY, release="DEMO DR1", created=CREATED)

# --- the columns of every type -----------------------------------------------------------------

#: Times and days of the typed columns, relative to now: a moment to the millisecond, a midnight
#: after it, a day long before it, and the last 29 February.
T0 = (dt.datetime.now(dt.UTC) - dt.timedelta(days=400)).replace(tzinfo=None, microsecond=123000)
T1 = dt.datetime.combine(T0.date() + dt.timedelta(days=365), dt.time())
D0 = T0.date() - dt.timedelta(days=9000)
LEAP_DAY = next(
    dt.date(year, 2, 29)
    for year in range(dt.date.today().year, 0, -1)
    if calendar.isleap(year) and dt.date(year, 2, 29) <= dt.date.today()
)

#: One column per Arrow type: (name, values with a NULL, VOTable datatype, xtype, unit, the
#: values a reader gets back). Every column has a NULL in a different row.
TYPES: list[tuple[str, pa.Array, str, str | None, str | None, list[Any]]] = [
    ("BOOL", pa.array([True, False, None, True]), "boolean", None, None, [True, False, None, True]),
    ("I8", pa.array([-128, None, 127, 0], pa.int8()), "short", None, None, [-128, None, 127, 0]),
    ("U8", pa.array([0, 255, 7, None], pa.uint8()), "unsignedByte", None, None, [0, 255, 7, None]),
    ("I16", pa.array([None, -32768, 32767, 1], pa.int16()), "short", None, None,
     [None, -32768, 32767, 1]),
    ("U16", pa.array([65535, None, 0, 2], pa.uint16()), "int", None, None, [65535, None, 0, 2]),
    ("I32", pa.array([-(2**31), 2**31 - 1, None, 3], pa.int32()), "int", None, None,
     [-(2**31), 2**31 - 1, None, 3]),
    ("U32", pa.array([2**32 - 1, None, 0, 4], pa.uint32()), "long", None, None,
     [2**32 - 1, None, 0, 4]),
    ("I64", pa.array([None, -(2**63), 2**63 - 1, 5], pa.int64()), "long", None, None,
     [None, -(2**63), 2**63 - 1, 5]),
    ("U64", pa.array([2**63 - 1, 0, None, 6], pa.uint64()), "long", None, None,
     [2**63 - 1, 0, None, 6]),
    ("F16", pa.array(np.array([0.5, -2.0, 1.0, 0.0], np.float16),
                     mask=np.array([False, False, False, True])),
     "float", None, None, [0.5, -2.0, 1.0, None]),
    ("F32", pa.array([0.1, None, -3.0e38, 1e-30], pa.float32()), "float", None, None,
     [np.float32(0.1), None, np.float32(-3.0e38), np.float32(1e-30)]),
    ("F64", pa.array([0.1, -1e300, None, 5e-324]), "double", None, None,
     [0.1, -1e300, None, 5e-324]),
    ("DEC", pa.array([decimal.Decimal("1.250"), None, decimal.Decimal("-2.5"), decimal.Decimal(0)],
                     pa.decimal128(10, 3)), "double", None, None, [1.25, None, -2.5, 0.0]),
    ("DEC0", pa.array([decimal.Decimal(12), decimal.Decimal(-7), decimal.Decimal(0), None],
                      pa.decimal128(12, 0)), "long", None, None, [12, -7, 0, None]),
    ("TEXT", pa.array(["DES0001+0001", "", None, "x y"]), "char", None, None,
     ["DES0001+0001", "", None, "x y"]),
    ("LARGE", pa.array([None, "a", "bb", "ccc"], pa.large_string()), "char", None, None,
     [None, "a", "bb", "ccc"]),
    ("VIEW", pa.array(["v1", None, "", "v4"], pa.string_view()), "char", None, None,
     ["v1", None, "", "v4"]),
    ("DICT", pa.array(["g", "r", None, "g"]).dictionary_encode(), "char", None, None,
     ["g", "r", None, "g"]),
    ("UNI", pa.array(["é", "日本語", "ascii", None]), "unicodeChar", None, None,
     ["é", "日本語", "ascii", None]),
    ("TS", pa.array([T0, None, T1, T0], pa.timestamp("ms")), "char",
     "timestamp", None,
     [f"{T0:%Y-%m-%dT%H:%M:%S}.123", None, f"{T1:%Y-%m-%dT%H:%M:%S}.000",
      f"{T0:%Y-%m-%dT%H:%M:%S}.123"]),
    ("TSZ", pa.array([T0, T0, None, T0], pa.timestamp("s", tz="Europe/Paris")), "char",
     "timestamp", None, [f"{T0:%Y-%m-%dT%H:%M:%S}"] * 2 + [None, f"{T0:%Y-%m-%dT%H:%M:%S}"]),
    ("DAY", pa.array([T0.date(), None, D0, LEAP_DAY]), "char", "timestamp", None,
     [T0.date().isoformat(), None, D0.isoformat(), LEAP_DAY.isoformat()]),
    ("CLOCK", pa.array([dt.time(1, 2, 3), None, dt.time(23, 59, 59, 500000), dt.time(0)]),
     "char", None, None, ["01:02:03.000000", None, "23:59:59.500000", "00:00:00.000000"]),
    ("DUR", pa.array([dt.timedelta(seconds=90), None, dt.timedelta(0), dt.timedelta(days=1)],
                     pa.duration("s")), "long", None, "s", [90, None, 0, 86400]),
    ("NOTHING", pa.nulls(4), "double", None, None, [None] * 4),
]  # fmt: skip
EVERY_TYPE = pa.table({name: values for name, values, *_ in TYPES})
STRING_TYPES = ("char", "unicodeChar")


# --- helpers -----------------------------------------------------------------------------------


def document(
    batches: Iterable[pa.RecordBatch] | pa.Table,
    schema: pa.Schema | None = None,
    *,
    serialization: str = "binary2",
    metadata: ResultMetadata = META,
    overflow: bool = False,
) -> bytes:
    """The whole document ``votable_chunks`` streams."""
    if isinstance(batches, pa.Table):
        schema, batches = batches.schema, batches.to_batches(max_chunksize=2)
    assert schema is not None
    chunks = votable_chunks(
        batches, schema, metadata=metadata, serialization=serialization, overflow=lambda: overflow
    )
    return b"".join(chunks)


def parsed(data: bytes) -> VOTableFile:
    return parse(io.BytesIO(data))


def astropy_values(data: bytes) -> dict[str, list[Any]]:
    """Each column as astropy reads it: masked values as None."""
    table = parsed(data).get_first_table().to_table()
    return {name: _cells(table[name]) for name in table.colnames}


def _cells(column: Any) -> list[Any]:
    """A column's values as Python objects, masked ones as None."""
    values = [v.item() if hasattr(v, "item") else v for v in np.ma.getdata(column)]
    mask = np.ma.getmaskarray(column)
    return [None if masked else value for value, masked in zip(values, mask, strict=True)]


def fields(data: bytes) -> list[dict[str, str]]:
    """The attributes of each FIELD, with its DESCRIPTION as ``description``."""
    found = []
    for element in ElementTree.fromstring(data).iter(f"{V}FIELD"):
        attributes = dict(element.attrib)
        description = element.find(f"{V}DESCRIPTION")
        if description is not None:
            attributes["description"] = description.text or ""
        found.append(attributes)
    return found


def resource_children(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """The children of the results RESOURCE: (tag, attributes)."""
    resource = ElementTree.fromstring(data).find(f"{V}RESOURCE")
    assert resource is not None and resource.get("type") == "results"
    return [(child.tag.removeprefix(V), dict(child.attrib)) for child in resource]


#: struct formats of the fixed-width BINARY2 values.
_STRUCT = {
    "boolean": ">c",
    "unsignedByte": ">B",
    "short": ">h",
    "int": ">i",
    "long": ">q",
    "float": ">f",
    "double": ">d",
}


def binary2_rows(data: bytes) -> list[list[Any]]:
    """Every row of a BINARY2 document, decoded here (NULL flags included: None)."""
    root = ElementTree.fromstring(data)
    columns = [(f.get("datatype"), f.get("arraysize")) for f in root.iter(f"{V}FIELD")]
    stream_element = root.find(f".//{V}BINARY2/{V}STREAM")
    assert stream_element is not None and stream_element.get("encoding") == "base64"
    stream = base64.b64decode(stream_element.text or "")
    flag_bytes, at, rows = (len(columns) + 7) // 8, 0, []
    while at < len(stream):
        flags = int.from_bytes(stream[at : at + flag_bytes], "big")
        at += flag_bytes
        row: list[Any] = []
        for index, (datatype, arraysize) in enumerate(columns):
            value: Any
            if arraysize == "*":
                (count,) = struct.unpack_from(">i", stream, at)
                size = count * (2 if datatype == "unicodeChar" else 1)
                raw = stream[at + 4 : at + 4 + size]
                value = raw.decode("utf-16-be" if datatype == "unicodeChar" else "utf-8")
                at += 4 + size
            else:
                assert datatype is not None
                (value,) = struct.unpack_from(_STRUCT[datatype], stream, at)
                at += struct.calcsize(_STRUCT[datatype])
                if datatype == "boolean":
                    value = {b"T": True, b"F": False}.get(value, value)
            null = flags >> (8 * flag_bytes - 1 - index) & 1
            row.append(None if null else value)
        rows.append(row)
    return rows


def votlint(data: bytes, folder: Path) -> str:
    """What STILTS ``votlint`` finds wrong with a document (schema and values); "" for nothing."""
    path = folder / "checked.vot"
    path.write_bytes(data)
    checked = subprocess.run(
        ["stilts", "votlint", f"votable={path}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return (checked.stdout + checked.stderr).strip()


def as_astropy_reads(value: Any, datatype: str) -> Any:
    """What astropy gives for ``value`` of a column of ``datatype``: it reads a NULL string as
    "" (BINARY2: it ignores the NULL flags of strings; TABLEDATA: a NULL and "" are both an
    empty TD)."""
    if datatype in STRING_TYPES and value is None:
        return ""
    return value


# --- every type, both serializations ----------------------------------------------------------


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_every_type_reads_back_in_astropy(serialization: str) -> None:
    data = document(EVERY_TYPE, serialization=serialization)

    assert [
        (f["name"], f["datatype"], f.get("arraysize"), f.get("xtype"), f.get("unit"))
        for f in fields(data)
    ] == [
        (name, datatype, "*" if datatype in STRING_TYPES else None, xtype, unit)
        for name, _, datatype, xtype, unit, _ in TYPES
    ]
    got = astropy_values(data)
    for name, _, datatype, _, _, values in TYPES:
        assert got[name] == [as_astropy_reads(v, datatype) for v in values], name


def test_binary2_flags_every_null_of_every_type() -> None:
    rows = binary2_rows(document(EVERY_TYPE))

    assert len(rows) == EVERY_TYPE.num_rows
    for index, (name, *_, values) in enumerate(TYPES):
        assert [row[index] for row in rows] == values, name


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_votlint_finds_nothing_wrong(serialization: str, tmp_path: Path) -> None:
    metadata = ResultMetadata(
        QUERY,
        "DEMO DR1",
        created=CREATED,
        columns={"F64": ColumnInfo("F64", "double", "deg", "pos.eq.ra;meta.main", "RA & <more>")},
    )
    data = document(EVERY_TYPE, serialization=serialization, metadata=metadata, overflow=True)

    assert votlint(data, tmp_path) == ""


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_empty_result_is_a_table_with_fields_and_no_rows(
    serialization: str, tmp_path: Path
) -> None:
    data = document([], EVERY_TYPE.schema, serialization=serialization)

    table = parsed(data).get_first_table()
    assert len(table.array) == 0
    assert [f.name for f in table.fields] == EVERY_TYPE.column_names
    assert [f.datatype for f in table.fields if f.name == "UNI"] == ["char"]  # no text seen
    assert table.to_table()["F32"].dtype == np.float32
    assert votlint(data, tmp_path) == ""


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_text_outside_ascii_is_unicode_char(serialization: str) -> None:
    names = ["Ångström", "日本語の星", "emoji 😀 outside the BMP", "tab\there", "ascii"]
    table = pa.table({"NAME": names, "PLAIN": ["a"] * 5})
    data = document(table, serialization=serialization)

    assert [(f["name"], f["datatype"]) for f in fields(data)] == [
        ("NAME", "unicodeChar"),
        ("PLAIN", "char"),
    ]
    assert astropy_values(data)["NAME"] == names
    if serialization == "binary2":
        assert [row[0] for row in binary2_rows(data)] == names


def test_unicode_char_declared_by_the_catalog_is_kept() -> None:
    metadata = ResultMetadata(
        "SELECT 1", "DEMO DR1", columns={"NAME": ColumnInfo("NAME", "unicodeChar")}
    )
    data = document(pa.table({"NAME": ["plain ascii"]}), metadata=metadata)

    assert fields(data)[0]["datatype"] == "unicodeChar"
    assert astropy_values(data)["NAME"] == ["plain ascii"]


def test_text_outside_ascii_after_the_first_batch_is_utf8_in_char() -> None:
    """The FIELDs go out before the rows: the first batch decides, and a later non-ASCII value
    in a char column is its UTF-8 bytes (char as VOTable 1.6 defines it)."""
    first = pa.record_batch({"NAME": ["ascii"]})
    later = pa.record_batch({"NAME": ["café", None]})
    data = document([first, later], first.schema)

    assert fields(data)[0]["datatype"] == "char"
    assert [row[0] for row in binary2_rows(data)] == ["ascii", "café", None]
    tabledata = document([first, later], first.schema, serialization="tabledata")
    assert astropy_values(tabledata)["NAME"] == ["ascii", "café", ""]


def test_tabledata_escapes_what_xml_cannot_hold_as_it_is() -> None:
    texts = ["a < b & c > d", "line\r\nbreak", "bell\x07 and nul\x00", "quote \" ' ok", "]]>"]
    data = document(pa.table({"TEXT": texts}), serialization="tabledata")

    assert astropy_values(data)["TEXT"] == [
        "a < b & c > d",
        "line\r\nbreak",  # CR written as &#13;, so no XML parser folds it away
        "bell\ufffd and nul\ufffd",  # XML 1.0 cannot hold control characters at all
        "quote \" ' ok",
        "]]>",
    ]


def test_floats_that_are_not_numbers_keep_their_votable_names() -> None:
    table = pa.table({"X": [float("inf"), float("-inf"), float("nan"), 1.5]})
    data = document(table, serialization="tabledata")

    cells = [td.text for td in ElementTree.fromstring(data).iter(f"{V}TD")]
    assert cells == ["+Inf", "-Inf", "NaN", "1.5"]
    values = astropy_values(data)["X"]
    assert values[:2] == [float("inf"), float("-inf")] and values[3] == 1.5


# --- the TAP layout: INFOs, metadata, overflow -------------------------------------------------


@pytest.fixture(scope="module")
def catalog(demo_data_dir: Path) -> Path:
    return demo_data_dir / "catalog.duckdb"


@pytest.fixture(scope="module")
def metadata(catalog: Path) -> ResultMetadata:
    """The demo release's column metadata, from its TAP_SCHEMA."""
    with duckdb.connect(str(catalog), read_only=True) as con:
        rows = con.sql(
            "SELECT column_name, datatype, unit, ucd, description FROM tap_schema.columns"
        ).fetchall()
    columns = {str(r[0]).upper(): ColumnInfo(*(str(v or "") for v in r)) for r in rows}
    return ResultMetadata(QUERY, "DEMO DR1", created=CREATED, columns=columns)


#: DR1_MAIN with NULLs in a BIGINT, a SMALLINT, a FLOAT, a DOUBLE and a VARCHAR column.
RESULT_QUERY = """SELECT COADD_OBJECT_ID,
       CASE WHEN COADD_OBJECT_ID % 7 = 0 THEN NULL ELSE RA END AS RA,
       DEC,
       CASE WHEN COADD_OBJECT_ID % 5 = 0 THEN NULL ELSE TILENAME END AS TILENAME,
       CASE WHEN COADD_OBJECT_ID % 3 = 0 THEN NULL ELSE HPIX_32 END AS HPIX_32,
       CASE WHEN COADD_OBJECT_ID % 4 = 0 THEN NULL ELSE MAG_AUTO_G END AS MAG_AUTO_G,
       CASE WHEN COADD_OBJECT_ID % 6 = 0 THEN NULL ELSE FLAGS_G END AS FLAGS_G,
       * EXCLUDE (COADD_OBJECT_ID, RA, DEC, TILENAME, HPIX_32, MAG_AUTO_G, FLAGS_G)
FROM DR1_MAIN
ORDER BY COADD_OBJECT_ID"""


def stream(catalog: Path, sql: str = RESULT_QUERY) -> pa.RecordBatchReader:
    """The result of ``sql`` as DuckDB streams it, in batches of 10,000 rows."""
    return duckdb.connect(str(catalog), read_only=True).cursor().sql(sql).to_arrow_reader(10_000)


@pytest.fixture(scope="module")
def expected(catalog: Path) -> pa.Table:
    with duckdb.connect(str(catalog), read_only=True) as con:
        table = con.sql(RESULT_QUERY).to_arrow_table()
    assert table.num_rows > 20_000 and table["TILENAME"].null_count > 1000
    return table


def assert_matches(expected: pa.Table, table: Table) -> None:
    """``table`` (astropy) holds the values and NULLs of ``expected``; a NULL string reads as
    "" (astropy ignores the NULL flags of strings)."""
    assert table.colnames == expected.column_names
    for name in expected.column_names:
        column = expected[name]
        mask = np.ma.getmaskarray(table[name])
        values = np.ma.getdata(table[name])
        nulls = column.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_string(column.type):
            want = np.asarray(column.fill_null("").to_pylist(), dtype=object)
            np.testing.assert_array_equal(values.astype(object), want, err_msg=name)
            continue
        np.testing.assert_array_equal(mask, nulls, err_msg=f"NULLs of {name}")
        want = column.fill_null(0).to_numpy() if column.null_count else column.to_numpy()
        np.testing.assert_array_equal(values[~nulls], want[~nulls], err_msg=name)
        assert values.dtype.itemsize == want.dtype.itemsize, f"{name} changed size"


def test_units_ucds_descriptions_and_infos(
    catalog: Path, metadata: ResultMetadata, expected: pa.Table
) -> None:
    reader = stream(catalog)
    data = document(reader, reader.schema, metadata=metadata)

    by_name = {f["name"]: f for f in fields(data)}
    ra, mag = by_name["RA"], by_name["MAG_AUTO_G"]
    assert (ra["datatype"], ra["unit"], ra["ucd"]) == ("double", "deg", "pos.eq.ra;meta.main")
    assert ra["description"] == metadata.columns["RA"].description
    assert (mag["datatype"], mag["unit"]) == ("float", "mag")
    assert by_name["TILENAME"]["datatype"] == "char"
    assert by_name["FLAGS_G"]["datatype"] == "short"
    assert "unit" not in by_name["COADD_OBJECT_ID"]

    children = resource_children(data)
    assert [tag for tag, _ in children] == ["INFO"] * 5 + ["TABLE"]
    infos = {attributes["name"]: attributes["value"] for _, attributes in children[:5]}
    assert next(iter(infos)) == "QUERY_STATUS"  # the first INFO
    assert infos == {
        "QUERY_STATUS": "OK",
        "QUERY": QUERY,  # line breaks and markup kept
        "QUERY_TIMESTAMP": f"{CREATED:%Y-%m-%dT%H:%M:%S}Z",
        "RELEASE": "DEMO DR1",
        "SURVEYLAB_VERSION": __version__,
    }
    table = parsed(data).get_first_table().to_table()
    assert table["RA"].unit == "deg"
    assert_matches(expected, table)


def test_a_renamed_column_says_so_in_its_description(
    catalog: Path, metadata: ResultMetadata
) -> None:
    sql = (
        "SELECT a.RA, b.RA FROM DR1_MAIN a JOIN DR1_MAIN b "
        "ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID LIMIT 5"
    )
    duck = DuckDBCatalog(catalog)
    try:
        with duck.execute(sql) as handle:
            data = document(handle.batches(), handle.schema, metadata=metadata)
    finally:
        duck.close()

    ra, ra_2 = fields(data)
    assert (ra["name"], ra_2["name"]) == ("RA", "RA_2")
    assert ra_2["unit"] == "deg" and ra_2["ucd"] == "pos.eq.ra;meta.main"
    assert ra_2["description"].endswith("(RA renamed RA_2: the result repeats the name RA)")


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
@pytest.mark.parametrize("overflow", [True, False], ids=["overflow", "complete"])
def test_overflow_info_follows_the_table_only_when_said(serialization: str, overflow: bool) -> None:
    data = document(EVERY_TYPE, serialization=serialization, overflow=overflow)

    children = resource_children(data)
    after_table = children[[tag for tag, _ in children].index("TABLE") + 1 :]
    assert after_table == (
        [("INFO", {"name": "QUERY_STATUS", "value": "OVERFLOW"})] if overflow else []
    )
    statuses = [info for info in parsed(data).resources[0].infos if info.name == "QUERY_STATUS"]
    assert [info.value for info in statuses] == ["OK", "OVERFLOW"] if overflow else ["OK"]


def test_overflow_is_asked_once_every_batch_is_read() -> None:
    read: list[int] = []
    asked_after: list[int] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in EVERY_TYPE.to_batches(max_chunksize=1):
            read.append(batch.num_rows)
            yield batch

    def overflow() -> bool:
        asked_after.append(len(read))
        return True

    chunks = votable_chunks(batches(), EVERY_TYPE.schema, metadata=META, overflow=overflow)
    data = b"".join(chunks)

    assert asked_after == [EVERY_TYPE.num_rows]
    assert data.endswith(b'<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n</RESOURCE>\n</VOTABLE>\n')


# --- streaming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_result_streams_in_chunks_of_about_a_megabyte(
    catalog: Path, metadata: ResultMetadata, expected: pa.Table, serialization: str
) -> None:
    pulled: list[int] = []

    def counted(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        for batch in reader:
            pulled.append(batch.num_rows)
            yield batch

    reader = stream(catalog)
    chunks = votable_chunks(
        counted(reader), reader.schema, metadata=metadata, serialization=serialization
    )
    header = next(chunks)
    assert header.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.4"')
    assert len(pulled) == 1  # the first batch decides the text types; nothing more is read
    first = next(chunks)
    assert len(pulled) < -(-expected.num_rows // 10_000)  # rows go out before all are read
    rest = list(chunks)

    body = [first, *rest[:-1]]  # the last chunk holds the rest of the rows and the end
    assert len(body) >= 3
    assert {len(chunk) // 1000 for chunk in body} == {CHUNK_BYTES // 1000}  # 1 MiB, to 4 bytes
    if serialization == "binary2":  # one line of base64 each
        assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in body)
    assert_matches(expected, parsed(header + first + b"".join(rest)).get_first_table().to_table())


def test_many_small_batches_are_gathered_into_few_chunks() -> None:
    table = pa.table({"ID": pa.array(range(50_000), pa.int64()), "X": np.arange(50_000) / 7})
    chunks = list(votable_chunks(table.to_batches(max_chunksize=10), table.schema, metadata=META))

    assert 2 <= len(chunks) <= 4  # header, 50,000 rows x 17 bytes (1.1 MB of text), end
    got = parsed(b"".join(chunks)).get_first_table().to_table()
    np.testing.assert_array_equal(got["ID"], np.arange(50_000))
    np.testing.assert_array_equal(got["X"], np.arange(50_000) / 7)


# --- job results in the votable format ---------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "gzip"], ids=["plain", "gzip"])
def test_write_result_writes_a_votable_file(
    catalog: Path,
    metadata: ResultMetadata,
    expected: pa.Table,
    tmp_path: Path,
    compression: str | None,
) -> None:
    reader = stream(catalog)
    path = tmp_path / result_filename("result", "votable", compression)
    written = write_result(
        reader, reader.schema, path, format="votable", compression=compression, metadata=metadata
    )

    assert path.name == ("result.vot.gz" if compression else "result.vot")
    assert (written.rows, written.format, written.compression) == (
        expected.num_rows,
        "votable",
        compression,
    )
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no scratch file left
    raw = gzip.decompress(path.read_bytes()) if compression else path.read_bytes()
    reader = stream(catalog)
    assert raw == document(reader, reader.schema, metadata=metadata)  # the streamed document
    assert_matches(expected, Table.read(path))  # what a job's result() reads
    assert resource_children(raw)[0] == ("INFO", {"name": "QUERY_STATUS", "value": "OK"})


def test_write_result_of_no_rows(catalog: Path, metadata: ResultMetadata, tmp_path: Path) -> None:
    reader = stream(catalog, "SELECT * FROM DR1_MAIN WHERE RA > 1000")
    path = tmp_path / "empty.vot"
    written = write_result(reader, reader.schema, path, format="votable", metadata=metadata)

    table = Table.read(path)
    assert written.rows == 0 and len(table) == 0
    assert table.colnames == reader.schema.names
    assert table["MAG_AUTO_G"].dtype == np.float32


# --- what a VOTable cannot hold ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "message"),
    [
        pytest.param(pa.array([[1, 2]], pa.list_(pa.int32())), "BANDS.*parquet", id="list"),
        pytest.param(pa.array([b"\x00"], pa.binary()), "BANDS.*binary", id="binary"),
        pytest.param(
            pa.array([pa.scalar((1, 2, 3), pa.month_day_nano_interval())]),
            "BANDS.*interval",
            id="interval",
        ),
    ],
)
def test_columns_a_votable_cannot_hold_are_refused_before_any_chunk(
    column: pa.Array, message: str
) -> None:
    schema = pa.schema([("BANDS", column.type)])
    with pytest.raises(UnsupportedColumnError, match=message):
        votable_chunks([], schema, metadata=META)  # at the call, not at the first chunk


@pytest.mark.parametrize(
    ("schema", "serialization", "message"),
    [
        pytest.param(
            pa.schema([("A", pa.int8())]), "fits", "choose binary2 or tabledata", id="ser"
        ),
        pytest.param(
            pa.schema([("ra", pa.int8()), ("RA", pa.int8())]), "binary2", "two columns", id="twice"
        ),
        pytest.param(pa.schema([]), "binary2", "at least one column", id="no-columns"),
    ],
)
def test_bad_requests_are_refused_before_any_chunk(
    schema: pa.Schema, serialization: str, message: str
) -> None:
    with pytest.raises(SurveylabError, match=message):
        votable_chunks([], schema, metadata=META, serialization=serialization)


def test_unsigned_64_bit_values_past_a_long_are_refused() -> None:
    table = pa.table({"BIG": pa.array([2**63], pa.uint64())})
    with pytest.raises(
        UnsupportedColumnError, match="column 'BIG' cannot be written as a VOTable long"
    ):
        document(table)


# --- uploads ------------------------------------------------------------------------------------


def upload(data: bytes, max_rows: int = 1000, max_bytes: int = 10**7) -> pa.Table:
    return read_votable(data, name="mine", max_rows=max_rows, max_bytes=max_bytes)


#: Arrow types of what comes back from each VOTable datatype of :data:`TYPES`.
UPLOADED_TYPES = {
    "boolean": pa.bool_(),
    "unsignedByte": pa.uint8(),
    "short": pa.int16(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "char": pa.string(),
    "unicodeChar": pa.string(),
}


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_uploaded_votable_of_every_type_reads_back(serialization: str) -> None:
    table = upload(document(EVERY_TYPE, serialization=serialization))

    assert table.column_names == EVERY_TYPE.column_names
    for name, _, datatype, xtype, _, values in TYPES:
        kind = pa.timestamp("us") if xtype == "timestamp" else UPLOADED_TYPES[datatype]
        assert table.schema.field(name).type == kind, name
        want: list[Any] = values
        if xtype == "timestamp":
            want = [None if v is None else dt.datetime.fromisoformat(v) for v in values]
        elif datatype in STRING_TYPES:
            want = ["" if v is None else v for v in values]  # NULL strings read back empty
        assert table[name].to_pylist() == want, name


def test_uploaded_votable_written_by_astropy_keeps_masked_values_as_nulls() -> None:
    source = Table(
        {
            "ra": np.ma.MaskedArray([10.5, 20.25, 0.0], mask=[False, False, True]),
            "id": np.ma.MaskedArray([1, 2, 3], mask=[False, True, False]),
            "name": ["a", "b", "c"],
        }
    )
    written = io.BytesIO()
    source.write(written, format="votable", tabledata_format="binary2")

    table = upload(written.getvalue())
    assert table.to_pydict() == {
        "ra": [10.5, 20.25, None],
        "id": [1, None, 3],
        "name": ["a", "b", "c"],
    }
    assert table.schema.field("id").type == pa.int64()


def votable_with(fields: str, cells: str) -> bytes:
    """A TABLEDATA VOTable of one row with ``fields`` (FIELD elements) and ``cells`` (TDs)."""
    return (
        f'<?xml version="1.0"?><VOTABLE version="1.4" xmlns="{NAMESPACE}"><RESOURCE><TABLE>'
        f"{fields}<DATA><TABLEDATA><TR>{cells}</TR></TABLEDATA></DATA></TABLE></RESOURCE>"
        "</VOTABLE>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "limits", "message"),
    [
        pytest.param(b"x" * 2001, (10, 2000), "the upload mine is 2,001 bytes: the limit is 2,000 "
                     "bytes", id="too-large"),
        pytest.param(document(pa.table({"A": range(11)})), (10, 10**6), "the upload mine has 11 "
                     "rows: the limit is 10 rows", id="too-many-rows"),
        pytest.param(b"RA,DEC\n1,2\n", (10, 10**6), "not a VOTable", id="csv"),
        pytest.param(b"", (10, 10**6), "not a VOTable", id="empty"),
        pytest.param(b"<html><body>hello</body></html>", (10, 10**6), "not a VOTable",
                     id="other-xml"),
        pytest.param(votable_with('<FIELD name="A" datatype="int"/>', "<TD>1</TD")[:-20],
                     (10, 10**6), "not a VOTable", id="cut-short"),
        pytest.param(error_document("the query failed"), (10, 10**6), "holds no table",
                     id="error-document"),
        pytest.param(votable_with('<FIELD name="A" datatype="int"/>', "<TD>one</TD>"),
                     (10, 10**6), "not a VOTable astropy can read.*one", id="bad-value"),
        pytest.param(votable_with('<FIELD name="RA DEC" datatype="int"/>', "<TD>1</TD>"),
                     (10, 10**6), "column named 'RA DEC': name each column with letters",
                     id="space-in-name"),
        pytest.param(votable_with('<FIELD name="1RA" datatype="int"/>', "<TD>1</TD>"),
                     (10, 10**6), "column named '1RA'", id="digit-first"),
        pytest.param(votable_with('<FIELD name="ra" datatype="int"/><FIELD name="RA" '
                                  'datatype="int"/>', "<TD>1</TD><TD>2</TD>"),
                     (10, 10**6), "two columns named 'ra' and 'RA'", id="repeated-name"),
        pytest.param(votable_with('<FIELD name="POS" datatype="double" arraysize="2"/>',
                                  "<TD>1 2</TD>"),
                     (10, 10**6), r"column 'POS' of the upload mine is double\[2\], which cannot "
                     "be queried", id="array"),
        pytest.param(votable_with('<FIELD name="IDS" datatype="int" arraysize="*"/>',
                                  "<TD>1 2 3</TD>"),
                     (10, 10**6), r"column 'IDS' .* is int\[\*\]", id="variable-array"),
        pytest.param(votable_with('<FIELD name="Z" datatype="doubleComplex"/>', "<TD>1 2</TD>"),
                     (10, 10**6), "column 'Z' .* is doubleComplex", id="complex"),
        pytest.param(votable_with('<FIELD name="T" datatype="char" arraysize="*" '
                                  'xtype="timestamp"/>', "<TD>yesterday</TD>"),
                     (10, 10**6), "column 'T' .* xtype timestamp .* not an ISO 8601 time",
                     id="bad-timestamp"),
    ],
)  # fmt: skip
def test_upload_refusals_say_what_is_wrong(
    data: bytes, limits: tuple[int, int], message: str
) -> None:
    max_rows, max_bytes = limits
    with pytest.raises(RequestError, match=message):
        upload(data, max_rows=max_rows, max_bytes=max_bytes)


def test_upload_limits_are_inclusive() -> None:
    data = document(pa.table({"A": range(10)}))
    assert upload(data, max_rows=10, max_bytes=len(data)).num_rows == 10

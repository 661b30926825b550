"""VOTable 1.4: a query result as the ``results`` RESOURCE of a TAP answer (DALI 1.1, TAP 1.1),
encoded a block of rows at a time, in the BINARY2 or the TABLEDATA serialization.

The document::

    <VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
      <RESOURCE type="results">
        <INFO name="QUERY_STATUS" value="OK"/>
        <INFO name="QUERY" .../> <INFO name="QUERY_TIMESTAMP" .../> <INFO name="RELEASE" .../>
        <INFO name="SURVEYLAB_VERSION" .../>
        <TABLE name="result"> <FIELD .../>... <DATA>...</DATA> </TABLE>
        <INFO name="QUERY_STATUS" value="OVERFLOW"/>   (only when the result was cut at MAXREC)
      </RESOURCE>
    </VOTABLE>

BINARY2 is built with numpy and pyarrow, never row by row: the fixed-width values between two
strings are packed into big-endian numpy records (as the FITS writer does), the runs of
records and the strings (each after its 4-byte length) are joined row by row by Arrow's
``binary_join_element_wise``, and the byte stream is base64-encoded (by pybase64's SIMD code,
4 times as fast as the standard library's) in pieces of a multiple of 3 bytes, one line of
1 MiB of text each. TABLEDATA text is made by Arrow's string kernels.

Text columns: a string column is ``char`` (``arraysize="*"``) when its values in the first
batch are all ASCII, and ``unicodeChar`` (UTF-16) when they are not or when the catalog
declares it ``unicodeChar``. The FIELDs are written before the rows, so the first batch decides:
a non-ASCII value that comes later in a ``char`` column is written as its UTF-8 bytes, which is
what ``char`` means from VOTable 1.6 on (older readers, astropy's among them, expect ASCII).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pybase64

from ..errors import SurveylabError
from ..models import ColumnInfo
from ._base import ResultMetadata, UnsupportedColumnError, check_column_names, plain_type
from ._gzip import OrderedPipeline, ParallelGzip, deflate_block

__all__ = [
    "CHUNK_BYTES",
    "NAMESPACE",
    "SERIALIZATIONS",
    "VOTableEncoder",
    "VOTableSink",
]

#: The serializations of the table data, the first the default.
SERIALIZATIONS: tuple[str, ...] = ("binary2", "tabledata")
#: The VOTable namespace: VOTable 1.4 documents keep the namespace of 1.3.
NAMESPACE = "http://www.ivoa.net/xml/VOTable/v1.3"
#: Bytes of document text per chunk handed on (a BINARY2 chunk is one line of base64).
CHUNK_BYTES = 1 << 20
#: Bytes of BINARY2 stream encoded into one chunk: 3 raw bytes make 4 base64 characters, and
#: the newline ends the line.
_RAW_CHUNK = (CHUNK_BYTES - 1) // 4 * 3
#: Encoded bytes aimed at per block of rows (memory stays a few times this), and the most rows
#: a block holds.
BLOCK_BYTES = 8 << 20
MAX_BLOCK_ROWS = 65_536

#: Characters that XML 1.0 cannot hold at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The same, for Arrow's (RE2) regular expressions.
_NOT_XML_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
#: Bytes after which text needs escaping in TABLEDATA: ``&``, ``<``, ``>``, CR (kept as
#: ``&#13;``), control characters (replaced by U+FFFD) and 0xEF (the lead byte of U+FFFE and
#: U+FFFF, replaced too).
_XML_SPECIAL = np.zeros(256, dtype=bool)
_XML_SPECIAL[[*b"&<>", 0xEF, *range(0x20)]] = True
_XML_SPECIAL[[*b"\t\n"]] = False

#: Integer columns: Arrow type -> (VOTable datatype, type stored). VOTable has no signed byte
#: and no unsigned types but unsignedByte: int8 and the unsigned types widen to the next signed
#: type; uint64 is stored as long (a value past its range is refused).
_INTEGERS = {
    pa.int8(): ("short", pa.int16()),
    pa.uint8(): ("unsignedByte", pa.uint8()),
    pa.int16(): ("short", pa.int16()),
    pa.uint16(): ("int", pa.int32()),
    pa.int32(): ("int", pa.int32()),
    pa.uint32(): ("long", pa.int64()),
    pa.int64(): ("long", pa.int64()),
    pa.uint64(): ("long", pa.int64()),
}
#: Big-endian numpy dtype of each fixed-width VOTable datatype.
_BIG_ENDIAN = {
    "boolean": "u1",
    "unsignedByte": "u1",
    "short": ">i2",
    "int": ">i4",
    "long": ">i8",
    "float": ">f4",
    "double": ">f8",
}


def xml_text(text: str) -> str:
    """``text`` as XML element content: ``& < >`` escaped, CR kept as ``&#13;``, characters XML
    cannot hold replaced by U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", text), {"\r": "&#13;"})


def xml_attribute(text: str) -> str:
    """``text`` as a quoted XML attribute value (line breaks and tabs kept as references)."""
    return quoteattr(_NOT_XML.sub("\ufffd", text))


@dataclass
class _Column:
    """How one result column is written.

    ``kind`` is ``fixed`` (a big-endian value of ``dtype`` in BINARY2), ``text`` (a string,
    ``char`` or ``unicodeChar``), ``timestamp``, ``date`` or ``time`` (text made from a
    temporal value).
    """

    name: str
    kind: str
    datatype: str
    stored: pa.DataType
    info: ColumnInfo | None
    unit: str = ""
    xtype: str = ""

    @property
    def is_text(self) -> bool:
        """Whether the column is written as a string (``arraysize="*"``)."""
        return self.kind != "fixed"

    @property
    def dtype(self) -> str:
        """The big-endian numpy dtype of a fixed-width value."""
        return _BIG_ENDIAN[self.datatype]

    def field_element(self) -> str:
        """The column's ``<FIELD>``."""
        attributes = f"name={xml_attribute(self.name)} datatype={quoteattr(self.datatype)}"
        if self.is_text:
            attributes += ' arraysize="*"'
        if self.xtype:
            attributes += f" xtype={quoteattr(self.xtype)}"
        unit = (self.info.unit if self.info else "") or self.unit
        if unit:
            attributes += f" unit={xml_attribute(unit)}"
        if self.info and self.info.ucd:
            attributes += f" ucd={xml_attribute(self.info.ucd)}"
        description = self.info.description if self.info else ""
        if not description:
            return f"<FIELD {attributes}/>\n"
        element = f"<DESCRIPTION>{xml_text(description)}</DESCRIPTION>"
        return f"<FIELD {attributes}>\n{element}\n</FIELD>\n"


def _plan(field_: pa.Field, info: ColumnInfo | None) -> _Column:
    """How ``field_`` is written; a string column is ``char`` until the first batch is seen."""
    kind = field_.type.value_type if pa.types.is_dictionary(field_.type) else field_.type
    name = field_.name
    if pa.types.is_timestamp(kind):
        return _Column(name, "timestamp", "char", pa.string(), info, xtype="timestamp")
    if pa.types.is_date(kind):
        return _Column(name, "date", "char", pa.string(), info, xtype="timestamp")
    if pa.types.is_time(kind):
        return _Column(name, "time", "char", pa.string(), info)
    if pa.types.is_duration(kind):
        return _Column(name, "fixed", "long", pa.int64(), info, unit=kind.unit)
    if pa.types.is_interval(kind):
        raise UnsupportedColumnError(
            f"column {name!r} is an interval ({kind}), which a VOTable cannot hold: select "
            "its parts, e.g. EXTRACT(DAY FROM ...)"
        )
    stored = plain_type(pa.field(name, kind), "VOTable")
    if pa.types.is_string(stored) or pa.types.is_large_string(stored):
        return _Column(name, "text", "char", pa.string(), info)
    if pa.types.is_boolean(stored):
        return _Column(name, "fixed", "boolean", stored, info)
    if pa.types.is_integer(stored):
        datatype, wide = _INTEGERS[stored]
        return _Column(name, "fixed", datatype, wide, info)
    return _Column(name, "fixed", "float" if stored == pa.float32() else "double", stored, info)


def _is_ascii(array: pa.Array) -> bool:
    """Whether every value of a string array is ASCII (NULLs are)."""
    data = _offsets_and_data(array)[1]
    return not len(data) or int(data.max()) < 0x80


def _offsets_and_data(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value offsets (from 0) and the value bytes of a string or binary array."""
    wide = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    buffers = array.buffers()
    if not len(array) or buffers[1] is None or buffers[2] is None:
        return np.zeros(len(array) + 1, np.int64), np.zeros(0, np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)[
        array.offset : array.offset + len(array) + 1
    ].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], data


def _binary(offsets: np.ndarray, data: np.ndarray | pa.Buffer) -> pa.Array:
    """A binary array of the values ``data[offsets[i]:offsets[i + 1]]``."""
    values = data if isinstance(data, pa.Buffer) else pa.py_buffer(data)
    return pa.Array.from_buffers(
        pa.binary(), len(offsets) - 1, [None, pa.py_buffer(offsets.astype(np.int32)), values]
    )


def _utf16(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 values (``offsets`` into ``data``) as UTF-16BE: new offsets and bytes."""
    if not len(data) or int(data.max()) < 0x80:  # ASCII: a zero byte before each
        wide = np.zeros(2 * len(data), dtype=np.uint8)
        wide[1::2] = data
        return offsets * 2, wide
    # The values end on character boundaries, so the whole buffer decodes at once; a UTF-8
    # lead byte counts one UTF-16 unit (two for the 4-byte sequences), a continuation none.
    wide = np.frombuffer(data.tobytes().decode("utf-8").encode("utf-16-be"), dtype=np.uint8)
    units = np.where((data & 0xC0) == 0x80, 0, np.where(data >= 0xF0, 2, 1))
    before = np.concatenate(([0], np.cumsum(units)))
    return before[offsets] * 2, wide


def _text_values(column: _Column, array: pa.Array) -> pa.Array:
    """A temporal column's values as DALI text (timestamps in UTC, ``T`` between date and time)."""
    if column.kind == "timestamp":
        if array.type.tz is not None:
            array = pc.cast(array, pa.timestamp(array.type.unit))  # the UTC time, no zone
        return pc.strftime(array, "%Y-%m-%dT%H:%M:%S")
    return pc.cast(array, pa.string())


#: A fixed-width part of a BINARY2 row: its numpy field name, format and values (one per row;
#: for a ``V<width>`` format, rows of ``width`` bytes).
_Field = tuple[str, str, np.ndarray]


def _void(values: np.ndarray) -> np.ndarray:
    """Rows of bytes (``rows`` x ``width``) as one opaque ``V<width>`` value per row: numpy
    copies those into a record field several times faster than a ``(width,)`` sub-array."""
    return np.ascontiguousarray(values).view(f"V{values.shape[1]}").reshape(len(values))


class VOTableEncoder:
    """Encodes one result as a VOTable 1.4 document, chunk by chunk.

    Call :meth:`start` with the first batch (it decides ``char`` or ``unicodeChar``), then
    :meth:`write` with every batch (the first included), then :meth:`finish`. Each returns the
    document's next bytes; :meth:`write` hands on text in chunks of about
    :data:`CHUNK_BYTES` and keeps the rest.

    Parameters
    ----------
    schema : pyarrow.Schema
        The result's columns.
    metadata : ResultMetadata
        The query, release, time and column metadata (unit, UCD, description).
    serialization : str
        ``"binary2"`` or ``"tabledata"``.

    Raises
    ------
    SurveylabError
        An unknown serialization, repeated column names, or a column a VOTable cannot hold
        (:class:`UnsupportedColumnError`).
    """

    def __init__(
        self, schema: pa.Schema, metadata: ResultMetadata, serialization: str = "binary2"
    ) -> None:
        if serialization not in SERIALIZATIONS:
            raise SurveylabError(
                f"unknown VOTable serialization {serialization!r}: choose "
                f"{' or '.join(SERIALIZATIONS)}"
            )
        check_column_names(schema)
        if not len(schema):
            raise UnsupportedColumnError("a VOTable needs at least one column")
        self.serialization = serialization
        self._metadata = metadata
        self._columns = [_plan(field_, metadata.column(field_)) for field_ in schema]
        self._pending = bytearray()
        self._piece = _RAW_CHUNK if serialization == "binary2" else CHUNK_BYTES
        self._started = False
        self._scratch: list[np.ndarray] = []
        self.rows = 0

    @property
    def started(self) -> bool:
        """Whether :meth:`start` has run."""
        return self._started

    # --- the document ---------------------------------------------------------------------

    def start(self, first: pa.RecordBatch | None = None) -> bytes:
        """The document up to the first row: XML declaration, INFOs, FIELDs, data start.

        ``first`` is the first batch of the result (``None`` for none): a string column whose
        values there are not all ASCII is declared ``unicodeChar``.
        """
        for index, column in enumerate(self._columns):
            if column.kind != "text":
                continue
            declared = (column.info.datatype if column.info else "").lower()
            if declared == "unicodechar" or (
                first is not None and not _is_ascii(self._stored(index, first.column(index)))
            ):
                column.datatype = "unicodeChar"
        self._started = True
        meta = self._metadata
        infos = {
            "QUERY": meta.query,
            "QUERY_TIMESTAMP": meta.created_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RELEASE": meta.release,
            "SURVEYLAB_VERSION": meta.version,
        }
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<VOTABLE version="1.4" xmlns="{NAMESPACE}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{NAMESPACE} http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd">\n',
            '<RESOURCE type="results">\n',
            '<INFO name="QUERY_STATUS" value="OK"/>\n',
            *(f"<INFO name={quoteattr(k)} value={xml_attribute(v)}/>\n" for k, v in infos.items()),
            '<TABLE name="result">\n',
            *(column.field_element() for column in self._columns),
            "<DATA>\n",
            '<BINARY2>\n<STREAM encoding="base64">\n'
            if self.serialization == "binary2"
            else "<TABLEDATA>\n",
        ]
        return "".join(head).encode("utf-8", "replace")

    def write(self, batch: pa.RecordBatch) -> list[bytes]:
        """Encode the rows of ``batch``; return the chunks of text now complete."""
        if not self._started:
            raise RuntimeError("VOTableEncoder.start must come before write")
        chunks: list[bytes] = []
        if not batch.num_rows:
            return chunks
        step = self._block_rows(batch)
        for start in range(0, batch.num_rows, step):
            block = batch.slice(start, step)
            encoded = (
                self._binary2(block) if self.serialization == "binary2" else self._tabledata(block)
            )
            chunks += self._add(encoded)
        self.rows += batch.num_rows
        return chunks

    def finish(self, *, overflow: bool = False) -> bytes:
        """The rest of the rows and the end of the document; with ``overflow`` (the result was
        cut at MAXREC) ``<INFO name="QUERY_STATUS" value="OVERFLOW"/>`` after the table."""
        rest = self._encode(memoryview(self._pending)) if self._pending else b""
        self._pending = bytearray()
        end = (
            "</STREAM>\n</BINARY2>\n" if self.serialization == "binary2" else "</TABLEDATA>\n"
        ) + "</DATA>\n</TABLE>\n"
        if overflow:
            end += '<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n'
        return rest + (end + "</RESOURCE>\n</VOTABLE>\n").encode()

    # --- chunks ---------------------------------------------------------------------------

    def _add(self, data: pa.Buffer) -> list[bytes]:
        """Take encoded rows; return the chunks of every whole piece gathered (the rest waits
        for the next rows)."""
        view = memoryview(data)
        chunks: list[bytes] = []
        if self._pending:
            needed = self._piece - len(self._pending)
            self._pending += view[:needed]
            view = view[needed:]
            if len(self._pending) < self._piece:
                return chunks
            chunks.append(self._encode(memoryview(self._pending)))
            self._pending = bytearray()
        whole = len(view) - len(view) % self._piece
        chunks += [
            self._encode(view[start : start + self._piece])
            for start in range(0, whole, self._piece)
        ]
        self._pending += view[whole:]
        return chunks

    def _encode(self, piece: memoryview) -> bytes:
        """One chunk of document text: a line of base64 for BINARY2, the text itself else."""
        if self.serialization == "binary2":
            return pybase64.b64encode(piece) + b"\n"
        return bytes(piece)

    def _block_rows(self, batch: pa.RecordBatch) -> int:
        """Rows per block of ``batch``, so that a block encodes to about :data:`BLOCK_BYTES`."""
        width = sum(np.dtype(c.dtype).itemsize if not c.is_text else 4 for c in self._columns)
        text_bytes = sum(
            batch.column(i).nbytes * (2 if c.datatype == "unicodeChar" else 1)
            for i, c in enumerate(self._columns)
            if c.is_text
        )
        per_row = int(width + text_bytes // max(batch.num_rows, 1) + 1)
        if self.serialization == "tabledata":
            per_row *= 3
        return max(1, min(MAX_BLOCK_ROWS, BLOCK_BYTES // per_row))

    # --- values ---------------------------------------------------------------------------

    def _decoded(self, array: pa.Array | pa.ChunkedArray) -> pa.Array:
        """``array`` as one plain (not dictionary-encoded) array."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        return array

    def _stored(self, index: int, array: pa.Array) -> pa.Array:
        """Column ``index`` of a block as the type it is written as (text for temporal
        columns)."""
        column = self._columns[index]
        array = self._decoded(array)
        try:
            if column.kind in ("timestamp", "date", "time"):
                return _text_values(column, array)
            if array.type == column.stored:
                return array
            return pc.cast(array, column.stored)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise UnsupportedColumnError(
                f"column {column.name!r} cannot be written as a VOTable {column.datatype}: {err}"
            ) from err

    def _fixed(self, column: _Column, array: pa.Array) -> np.ndarray:
        """The values of a fixed-width column as numpy (NULLs: 0, NaN or ``?``)."""
        if column.datatype == "boolean":
            truth = pc.fill_null(array, False).to_numpy(zero_copy_only=False)
            letters = np.where(truth, np.uint8(ord("T")), np.uint8(ord("F")))
            if array.null_count:
                letters[array.is_null().to_numpy(zero_copy_only=False)] = ord("?")
            return letters
        if array.null_count and column.datatype not in ("float", "double"):
            array = pc.fill_null(array, pa.scalar(0, array.type))
        values: np.ndarray = array.to_numpy(zero_copy_only=False)  # a float NULL is NaN
        return values

    # --- BINARY2 --------------------------------------------------------------------------

    def _binary2(self, batch: pa.RecordBatch) -> pa.Buffer:
        """The BINARY2 bytes of the rows of ``batch`` (valid until the next call: the records
        are packed into buffers kept from block to block).

        Each row is the NULL flags, then each value: fixed-width values big-endian, strings as
        their length (4 bytes) and bytes. Runs of fixed-width parts are packed as numpy
        records, and the runs and strings joined row by row by Arrow. A string column whose
        values in the block all have one length (e.g. tile names) is a fixed-width part too.
        """
        rows = batch.num_rows
        flags = np.zeros((rows, (len(self._columns) + 7) // 8), dtype=np.uint8)
        parts: list[list[_Field] | pa.Array] = [[("flags", f"V{flags.shape[1]}", flags)]]
        for index, column in enumerate(self._columns):
            array = self._stored(index, batch.column(index))
            if array.null_count:  # bit 7 - index % 8 of byte index // 8
                nulls = array.is_null().to_numpy(zero_copy_only=False).view(np.uint8)
                flags[:, index // 8] |= nulls << np.uint8(7 - index % 8)
            if not isinstance(parts[-1], list):
                parts.append([])
            run = parts[-1]
            assert isinstance(run, list)
            if not column.is_text:
                run.append((f"c{index}", column.dtype, self._fixed(column, array)))
                continue
            if array.null_count:
                array = pc.fill_null(array, "")
            offsets, data = _offsets_and_data(array)
            if column.datatype == "unicodeChar":
                offsets, data = _utf16(offsets, data)
            sizes = np.diff(offsets)
            unit = 2 if column.datatype == "unicodeChar" else 1
            run.append((f"n{index}", ">i4", sizes // unit))
            if (sizes == sizes[0]).all():  # one length: fixed width in this block
                if sizes[0]:
                    run.append((f"t{index}", f"V{sizes[0]}", data.reshape(rows, -1)))
            else:
                parts.append(_binary(offsets, data))
        pieces = []
        for number, part in enumerate(parts):
            if not isinstance(part, list):
                pieces.append(part)
                continue
            packed = self._records(number, part, rows)
            if len(parts) == 1:
                return pa.py_buffer(packed)
            width = len(packed) // rows
            offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64)
            pieces.append(_binary(offsets, packed))
        joined = pc.binary_join_element_wise(*pieces, b"")
        end = int(np.frombuffer(joined.buffers()[1], dtype=np.int32)[rows])
        buffer: pa.Buffer = joined.buffers()[2].slice(0, end)
        return buffer

    def _records(self, number: int, fields: list[_Field], rows: int) -> np.ndarray:
        """``fields`` packed into one record per row, as ``rows`` x record-size bytes, in the
        ``number``-th scratch buffer (kept from block to block: fresh memory each block costs
        its page faults)."""
        dtype = np.dtype([(name, form) for name, form, _ in fields])
        while len(self._scratch) <= number:
            self._scratch.append(np.empty(0, np.uint8))
        if len(self._scratch[number]) < rows * dtype.itemsize:
            self._scratch[number] = np.empty(rows * dtype.itemsize, np.uint8)
        space = self._scratch[number][: rows * dtype.itemsize]
        records = space.view(dtype)
        for name, form, values in fields:
            records[name] = _void(values) if str(form).startswith("V") else values
        return space

    # --- TABLEDATA ------------------------------------------------------------------------

    def _cells(self, index: int, array: pa.Array) -> pa.Array:
        """The TD text of each value of column ``index`` (NULL stays NULL: an empty TD)."""
        column = self._columns[index]
        array = self._stored(index, array)
        if column.is_text:
            return _escaped(array)
        if column.datatype == "boolean":
            return pc.if_else(array, "T", "F")
        text = pc.cast(array, pa.string())
        if column.datatype in ("float", "double"):
            special = pc.or_(pc.is_inf(array), pc.is_nan(array))
            if pc.any(special).as_py():  # Arrow writes inf, -inf, nan; VOTable +Inf, -Inf, NaN
                for arrow, votable in (("inf", "+Inf"), ("-inf", "-Inf"), ("nan", "NaN")):
                    text = pc.if_else(pc.equal(text, arrow), votable, text)
        return text

    def _tabledata(self, batch: pa.RecordBatch) -> pa.Buffer:
        """The ``<TR>`` elements of the rows of ``batch``."""
        pieces: list[pa.Array | str] = ["<TR><TD>"]
        for index in range(len(self._columns)):
            if index:
                pieces.append("</TD><TD>")
            pieces.append(self._cells(index, batch.column(index)))
        pieces.append("</TD></TR>\n")
        rows = pc.binary_join_element_wise(
            *pieces, "", null_handling="replace", null_replacement=""
        )
        end = int(np.frombuffer(rows.buffers()[1], dtype=np.int32)[batch.num_rows])
        buffer: pa.Buffer = rows.buffers()[2].slice(0, end)
        return buffer


def _escaped(array: pa.Array) -> pa.Array:
    """String values as XML element content (see :func:`xml_text`)."""
    data = _offsets_and_data(array)[1]
    if not len(data) or not _XML_SPECIAL[data].any():
        return array
    array = pc.replace_substring(array, "&", "&amp;")
    array = pc.replace_substring(array, "<", "&lt;")
    array = pc.replace_substring(array, ">", "&gt;")
    array = pc.replace_substring(array, "\r", "&#13;")
    return pc.replace_substring_regex(array, _NOT_XML_RE2, "\ufffd")


class VOTableSink:
    """Writes one VOTable file (``compression="gzip"``: a ``.vot.gz``) with
    :class:`VOTableEncoder`, in BINARY2 (the default) or TABLEDATA.

    NULLs are BINARY2 NULL flags (empty cells in TABLEDATA). The header is written when the
    first rows come (their text decides ``char`` or ``unicodeChar``), or at the end for an
    empty result.
    """

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        compression: str | None,
        metadata: ResultMetadata,
        serialization: str = "binary2",
    ) -> None:
        self._encoder = VOTableEncoder(schema, metadata, serialization)
        self._file: BinaryIO = path.open("wb")
        self._gzip = ParallelGzip(self._file) if compression == "gzip" else None
        self._pipeline: OrderedPipeline[tuple[bytes, bytes]] | None = (
            OrderedPipeline(self._emit) if self._gzip is not None else None
        )

    def _emit(self, block: tuple[bytes, bytes]) -> None:
        """Write one deflated chunk, in order."""
        assert self._gzip is not None
        self._gzip.add(*block)

    def _out(self, chunk: bytes) -> None:
        """Write ``chunk``, or queue it for deflating."""
        if self._pipeline is None:
            self._file.write(chunk)
        else:
            self._pipeline.submit(_deflate_job(chunk))

    def write(self, batch: pa.RecordBatch) -> None:
        """Encode the rows of ``batch`` and write them."""
        if not batch.num_rows:
            return
        if not self._encoder.started:
            self._out(self._encoder.start(batch))
        for chunk in self._encoder.write(batch):
            self._out(chunk)

    def finish(self, *, overflow: bool = False) -> None:
        """Write the end of the document (``overflow``: the OVERFLOW INFO) and close the file."""
        if not self._encoder.started:
            self._out(self._encoder.start(None))
        self._out(self._encoder.finish(overflow=overflow))
        if self._pipeline is not None and self._gzip is not None:
            self._pipeline.drain()
            self._gzip.finish()
        self._file.close()

    def abort(self) -> None:
        """Drop queued chunks and close the file."""
        if self._pipeline is not None:
            self._pipeline.cancel()
        self._file.close()


def _deflate_job(chunk: bytes) -> Callable[[], tuple[bytes, bytes]]:
    """The work of deflating one chunk, for the pipeline."""
    return lambda: (chunk, deflate_block(chunk))

"""FITS: one binary table (extension 1, ``EXTNAME = 'RESULT'``) written as a stream of
big-endian records, with a header astropy and cfitsio read back.

Why not fitsio's ``append``: cfitsio writes a table cell by cell, about 0.35 M rows/s for 30
columns here, where packing each batch into one numpy record array and writing its bytes runs
at several times that. The header's cards are formatted by astropy (``CONTINUE`` long strings).

Why no tile-compressed tables: the FITS 4.0 tiled table compression (``fpack -table``) is
written by cfitsio's ``fits_compress_table`` only, and neither astropy nor fitsio reads such a
table back as a table (astropy decompresses images only). A result users cannot open in astropy
is no use, so ``compression="gzip"`` (a whole-file ``.fits.gz``, read transparently by astropy,
fitsio and TOPCAT) is the one compression offered.

String columns: FITS needs their width (``TFORMn = 'wA'``) before the first row. The width is
the longest value (in UTF-8 bytes) of the first batch; when a later batch holds a longer value,
the rows written so far are copied once into records with room for it (and half as much again,
so that this stays rare). Likewise an int16 or int32 column in which a real value equals its
NULL sentinel (-32768, -2147483648) is widened to the next size; an int64 column holding
-9223372036854775808 is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..models import ColumnInfo
from ._base import (
    ResultMetadata,
    UnsupportedColumnError,
    plain_array,
    plain_type,
    remove_quietly,
    scratch_path,
)
from ._gzip import gzip_file

if TYPE_CHECKING:
    from astropy.io.fits import Card

__all__ = ["FitsSink"]

#: Bytes of a FITS block: headers and data are padded to a multiple of it.
BLOCK = 2880
#: Bytes copied per step when the rows written so far are re-laid out.
RELAYOUT_BYTES = 16 << 20
#: ASCII of the logical values; a NULL logical is a zero byte.
TRUE, FALSE = ord("T"), ord("F")
#: Integer storage: Arrow type -> (type stored, TFORM letter, big-endian dtype). A column's
#: ``TNULLn`` is the smallest value of its stored type. int8, uint8, uint16 and uint32 are
#: widened to the next signed type, where that value cannot occur; uint64 is stored as int64
#: (a larger value is refused).
_INTEGERS = {
    pa.int8(): (pa.int16(), "I", ">i2"),
    pa.uint8(): (pa.int16(), "I", ">i2"),
    pa.int16(): (pa.int16(), "I", ">i2"),
    pa.uint16(): (pa.int32(), "J", ">i4"),
    pa.int32(): (pa.int32(), "J", ">i4"),
    pa.uint32(): (pa.int64(), "K", ">i8"),
    pa.int64(): (pa.int64(), "K", ">i8"),
    pa.uint64(): (pa.int64(), "K", ">i8"),
}
#: The next wider storage of an int16 or int32 column, for when a value hits its sentinel.
_WIDER = {"I": (pa.int32(), "J", ">i4"), "J": (pa.int64(), "K", ">i8")}
_FLOATS = {pa.float32(): ("E", ">f4"), pa.float64(): ("D", ">f8")}


@dataclass
class _Column:
    """How one result column is stored: its FITS form, record dtype and NULL convention."""

    name: str
    kind: str  # "float", "int", "bool" or "string"
    stored: pa.DataType
    code: str = ""
    dtype: str = ""
    tnull: int | None = None
    width: int = 0

    @property
    def tform(self) -> str:
        """The ``TFORMn`` value."""
        return f"{max(self.width, 1)}A" if self.kind == "string" else self.code

    @property
    def record_dtype(self) -> np.dtype:
        """This column's field in the numpy record dtype: a string is ``width`` bytes."""
        if self.kind == "string":
            return np.dtype(("u1", (max(self.width, 1),)))
        return np.dtype(self.dtype)


def _plan(field_: pa.Field) -> _Column:
    """The storage of ``field_``."""
    stored = plain_type(field_, "FITS")
    if pa.types.is_boolean(stored):
        return _Column(field_.name, "bool", stored, "L", "u1")
    if pa.types.is_integer(stored):
        target, code, dtype = _INTEGERS[stored]
        tnull = int(np.iinfo(dtype).min) if field_.nullable else None
        return _Column(field_.name, "int", target, code, dtype, tnull)
    if pa.types.is_floating(stored):
        code, dtype = _FLOATS[stored]
        return _Column(field_.name, "float", stored, code, dtype)
    return _Column(field_.name, "string", stored)


def _ascii(text: str) -> str:
    """``text`` as a header value may hold it: printable ASCII, line breaks and tabs as
    spaces, other characters as backslash escapes."""
    flat = text.replace("\r\n", " ").translate({10: " ", 13: " ", 9: " "})
    flat = flat.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in flat)


def _card(key: str, value: object, comment: str = "") -> Card:
    """One header card; a comment too long for a one-card value is cut to fit."""
    from astropy.io.fits import Card

    if isinstance(value, str):
        value = _ascii(value)
    comment = _ascii(comment)
    if comment:
        image = Card(key, value).image
        if len(image) <= 80:  # one card: cut the comment to what is left of it
            comment = comment[: max(80 - max(len(image.rstrip()), 30) - 3, 0)]
    return Card(key, value, comment)


def _header(cards: list[Card], size: int | None = None) -> bytes:
    """Card images, END and padding: one header of ``size`` bytes (a whole block by default)."""
    text = "".join(card.image for card in cards) + "END".ljust(80)
    length = size if size is not None else -(-len(text) // BLOCK) * BLOCK
    if len(text) > length:
        raise RuntimeError("the FITS header outgrew the space reserved for it")
    return text.ljust(length).encode("ascii")


def _primary_header(metadata: ResultMetadata) -> bytes:
    """An empty primary HDU pointing at the table."""
    return _header(
        [
            _card("SIMPLE", True, "conforms to FITS standard"),
            _card("BITPIX", 8),
            _card("NAXIS", 0),
            _card("EXTEND", True, "the query result is in extension 1 (RESULT)"),
            _card("CREATOR", f"surveylab {metadata.version}", "software that wrote this file"),
            _card("DATE", metadata.created_utc.strftime("%Y-%m-%dT%H:%M:%S"), "UTC"),
        ]
    )


def _table_cards(
    columns: list[_Column], infos: list[ColumnInfo | None], rows: int, metadata: ResultMetadata
) -> list[Card]:
    """The binary table's header: structure, per-column metadata (``infos``, in column order),
    then provenance."""
    record = sum(column.record_dtype.itemsize for column in columns)
    cards = [
        _card("XTENSION", "BINTABLE", "binary table extension"),
        _card("BITPIX", 8),
        _card("NAXIS", 2),
        _card("NAXIS1", record, "bytes per row"),
        _card("NAXIS2", rows, "rows"),
        _card("PCOUNT", 0),
        _card("GCOUNT", 1),
        _card("TFIELDS", len(columns)),
    ]
    for number, (column, info) in enumerate(zip(columns, infos, strict=True), start=1):
        description = info.description if info else ""
        cards.append(_card(f"TTYPE{number}", column.name, description))
        cards.append(_card(f"TFORM{number}", column.tform))
        if info and info.unit:
            cards.append(_card(f"TUNIT{number}", info.unit))
        if column.tnull is not None:
            cards.append(_card(f"TNULL{number}", column.tnull, "NULL"))
        if info and info.ucd:
            cards.append(_card(f"TUCD{number}", info.ucd))
        if description:
            cards.append(_card(f"TCOMM{number}", description))
    cards += [
        _card("EXTNAME", "RESULT", "query result"),
        _card("LONGSTRN", "OGIP 1.0", "CONTINUE cards may hold long strings"),
        _card("CREATOR", f"surveylab {metadata.version}", "software that wrote this file"),
        _card("SLVERS", metadata.version, "surveylab version"),
        _card("RELEASE", metadata.release, "data release queried"),
        _card("DATE", metadata.created_utc.strftime("%Y-%m-%dT%H:%M:%S"), "UTC time of the result"),
        _card("QUERY", metadata.query, "the query (line breaks as spaces)"),
    ]
    return cards


def _string_lengths(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (from the array's first byte) and UTF-8 lengths of each value; NULL -> 0."""
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[
        array.offset : array.offset + len(array) + 1
    ]
    lengths = np.diff(offsets)
    if array.null_count:
        lengths = np.where(array.is_null().to_numpy(zero_copy_only=False), 0, lengths)
    return offsets[:-1].astype(np.int64), lengths.astype(np.int64)


def _string_bytes(
    array: pa.Array, starts: np.ndarray, lengths: np.ndarray, width: int
) -> np.ndarray:
    """The values of a string array as rows of ``width`` bytes, NUL-padded (NULL -> empty)."""
    rows = len(array)
    out = np.zeros((rows, max(width, 1)), dtype=np.uint8)
    data_buffer = array.buffers()[2]
    if rows == 0 or data_buffer is None or not lengths.any():
        return out
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    length = int(lengths[0])
    if array.null_count == 0 and (lengths == length).all():  # fixed-width values, e.g. TILENAME
        first = int(starts[0])
        out[:, :length] = data[first : first + rows * length].reshape(rows, length)
        return out
    row = np.repeat(np.arange(rows), lengths)
    ends = np.cumsum(lengths)
    position = np.arange(int(ends[-1])) - np.repeat(ends - lengths, lengths)
    out[row, position] = data[np.repeat(starts, lengths) + position]
    return out


def _holds_sentinel(column: _Column, array: pa.Array) -> bool:
    """Whether a (non-NULL) value of ``array`` equals the column's NULL sentinel."""
    if column.tnull is None:
        return False
    hit = pc.any(pc.equal(array, pa.scalar(column.tnull, column.stored))).as_py()
    return bool(hit)


def _values(column: _Column, array: pa.Array) -> np.ndarray:
    """The values of ``array`` for the record field of ``column``, NULLs as FITS has them."""
    if column.kind == "string":
        return _string_bytes(array, *_string_lengths(array), column.width)
    if column.kind == "bool":
        values = np.where(pc.fill_null(array, False).to_numpy(zero_copy_only=False), TRUE, FALSE)
        if array.null_count:
            values[array.is_null().to_numpy(zero_copy_only=False)] = 0
        return values
    if column.kind == "int" and array.null_count:
        array = pc.fill_null(array, pa.scalar(column.tnull, column.stored))
    filled: np.ndarray = array.to_numpy(zero_copy_only=False)  # a float NULL is NaN
    return filled


class FitsSink:
    """Writes one FITS file: an empty primary HDU and the result as a binary table.

    NULLs: a float is NaN, an integer the column's ``TNULLn`` (the smallest value of its
    stored type; astropy reads the column as masked), a string empty (astropy masks empty
    strings), a logical a zero byte (the FITS null; astropy reads it as False).

    Header of the table: ``TTYPEn`` (commented with the description), ``TFORMn``,
    ``TUNITn``, ``TNULLn``, ``TUCDn``, ``TCOMMn`` (the full description), ``EXTNAME``,
    ``CREATOR``, ``SLVERS`` (surveylab version), ``RELEASE``, ``DATE`` (UTC) and ``QUERY``
    (long-string ``CONTINUE`` cards; line breaks as spaces, non-ASCII as escapes).
    """

    def __init__(
        self, path: Path, schema: pa.Schema, compression: str | None, metadata: ResultMetadata
    ) -> None:
        self._columns = [_plan(field_) for field_ in schema]
        self._infos = [metadata.column(field_) for field_ in schema]
        self._metadata = metadata
        self._path = path
        self._data_path = scratch_path(path, ".fits") if compression == "gzip" else path
        self._rows = 0
        primary = _primary_header(metadata)
        header = _header(_table_cards(self._columns, self._infos, 0, metadata))
        self._table_offset = len(primary)
        self._header_size = len(header)
        self._dtype = self._record_dtype()
        self._file: BinaryIO = self._data_path.open("w+b")
        self._file.write(primary + header)

    def _record_dtype(self) -> np.dtype:
        """The numpy record of one row, fields named ``c0``, ``c1``... by position."""
        return np.dtype([(f"c{i}", c.record_dtype) for i, c in enumerate(self._columns)])

    def write(self, batch: pa.RecordBatch) -> None:
        """Pack ``batch`` into big-endian records and append them."""
        if not batch.num_rows:
            return
        arrays = self._fit([self._array(batch, i) for i in range(len(self._columns))], batch)
        records = np.empty(batch.num_rows, dtype=self._dtype)
        for i, (column, array) in enumerate(zip(self._columns, arrays, strict=True)):
            records[f"c{i}"] = _values(column, array)
        self._file.write(records.data)
        self._rows += batch.num_rows

    def _array(self, batch: pa.RecordBatch, index: int) -> pa.Array:
        """Column ``index`` of ``batch`` as the type it is stored as."""
        column = self._columns[index]
        try:
            return plain_array(batch.column(index), column.stored)
        except pa.ArrowInvalid as err:
            raise UnsupportedColumnError(f"column {column.name!r}: {err}") from err

    def _fit(self, arrays: list[pa.Array], batch: pa.RecordBatch) -> list[pa.Array]:
        """Widen the columns ``arrays`` do not fit in: longer strings, or an integer equal to its
        column's NULL sentinel (int16 and int32 columns are widened to the next size, which
        moves the sentinel out of their range). The rows written so far are copied over."""
        old = [replace(column) for column in self._columns]
        for i, (column, array) in enumerate(zip(self._columns, arrays, strict=True)):
            if column.kind == "string":
                needed = int(_string_lengths(array)[1].max())
                if needed > column.width:
                    grown = column.width + column.width // 2
                    column.width = needed if self._rows == 0 else max(needed, grown)
            elif column.kind == "int" and _holds_sentinel(column, array):
                if column.code not in _WIDER:
                    raise UnsupportedColumnError(
                        f"column {column.name!r} holds {column.tnull}, the value that marks "
                        "NULL in a 64-bit FITS integer column: choose another format"
                    )
                column.stored, column.code, column.dtype = _WIDER[column.code]
                column.tnull = int(np.iinfo(column.dtype).min)
                arrays[i] = self._array(batch, i)
        if old != self._columns:
            self._dtype = self._record_dtype()
            if self._rows:
                self._relayout(old)
        return arrays

    def _relayout(self, old: list[_Column]) -> None:
        """Copy the rows written so far from records of the ``old`` columns into records of the
        current (wider) ones; the NULLs of a widened integer column get its new sentinel."""
        old_dtype = np.dtype([(f"c{i}", c.record_dtype) for i, c in enumerate(old)])
        new_path = scratch_path(self._path, ".fits")
        self._file.seek(0)
        try:
            with new_path.open("w+b") as out:
                out.write(self._file.read(self._table_offset + self._header_size))
                step = max(1, RELAYOUT_BYTES // old_dtype.itemsize)
                for start in range(0, self._rows, step):
                    count = min(step, self._rows - start)
                    chunk = np.frombuffer(self._file.read(count * old_dtype.itemsize), old_dtype)
                    out.write(self._widened(chunk, old).data)
        except BaseException:
            remove_quietly(new_path)
            raise
        self._file.close()
        new_path.replace(self._data_path)
        self._file = self._data_path.open("r+b")
        self._file.seek(0, os.SEEK_END)

    def _widened(self, chunk: np.ndarray, old: list[_Column]) -> np.ndarray:
        """``chunk`` (records of the ``old`` columns) as records of the current columns."""
        wider = np.zeros(len(chunk), dtype=self._dtype)
        for i, (before, now) in enumerate(zip(old, self._columns, strict=True)):
            name = f"c{i}"
            if now.kind == "string":
                wider[name][:, : max(before.width, 1)] = chunk[name]
            else:
                wider[name] = chunk[name]
                if before.tnull != now.tnull:
                    wider[name][chunk[name] == before.tnull] = now.tnull
        return wider

    def finish(self) -> None:
        """Pad the data, write the final header (row count, string widths), gzip if asked."""
        self._file.write(bytes(-(self._rows * self._dtype.itemsize) % BLOCK))
        header = _header(
            _table_cards(self._columns, self._infos, self._rows, self._metadata), self._header_size
        )
        self._file.seek(self._table_offset)
        self._file.write(header)
        self._file.close()
        if self._data_path != self._path:
            with self._data_path.open("rb") as source, self._path.open("wb") as out:
                gzip_file(source, out)
            remove_quietly(self._data_path)

    def abort(self) -> None:
        """Close the file and remove the uncompressed scratch copy."""
        self._file.close()
        if self._data_path != self._path:
            remove_quietly(self._data_path)

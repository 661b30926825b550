"""VOTable in and out: a query result streamed as a VOTable 1.4 document (the answer of a TAP
query), and a VOTable a user sends with ``UPLOAD`` read into an Arrow table.

The document is the TAP 1.1 results layout: ``<RESOURCE type="results">`` holding
``<INFO name="QUERY_STATUS" value="OK"/>``, INFOs for the query, its time, the release and the
surveylab version, then the ``TABLE``, and, when the result was cut at MAXREC,
``<INFO name="QUERY_STATUS" value="OVERFLOW"/>`` after it (DALI 1.1). The encoding is
:class:`surveylab.writers._votable.VOTableEncoder` (job result files in the ``votable`` format
use it too, through :func:`surveylab.writers.write_result`).

Examples
--------
>>> import io, pyarrow as pa
>>> from astropy.io.votable import parse
>>> from surveylab.writers import ResultMetadata
>>> result = pa.table({"RA": [10.5, None], "TILENAME": ["DES0001+0001", "DES0002+0001"]})
>>> chunks = votable_chunks(
...     result.to_batches(), result.schema, metadata=ResultMetadata("SELECT ...", "DEMO DR1")
... )
>>> document = b"".join(chunks)
>>> table = parse(io.BytesIO(document)).get_first_table().to_table()
>>> list(table["TILENAME"]), bool(table["RA"].mask[1])
(['DES0001+0001', 'DES0002+0001'], True)
>>> read_votable(document, name="mine", max_rows=10, max_bytes=10**6).column_names
['RA', 'TILENAME']
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import RequestError
from ..writers._base import ResultMetadata
from ..writers._votable import SERIALIZATIONS, VOTableEncoder

__all__ = ["SERIALIZATIONS", "VOTableEncoder", "read_votable", "votable_chunks"]

#: A column name of an uploaded table: an ADQL regular identifier.
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: VOTable datatypes of an uploaded column that become Arrow columns as they are.
_SCALAR_TYPES = {
    "boolean": pa.bool_(),
    "bit": pa.bool_(),
    "unsignedByte": pa.uint8(),
    "short": pa.int16(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
}
_TEXT_TYPES = ("char", "unicodeChar")


def votable_chunks(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    metadata: ResultMetadata,
    serialization: str = "binary2",
    overflow: Callable[[], bool] = lambda: False,
) -> Iterator[bytes]:
    """A result as a VOTable 1.4 document, in chunks of about 1 MB, as ``batches`` are read.

    Memory stays bounded whatever the row count: each batch is encoded a block of rows at a
    time and handed on. The document's header waits for the first batch (whose text decides
    ``char`` or ``unicodeChar`` for each string column).

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        The result (e.g. a query handle's batches, cut at MAXREC); read once.
    schema : pyarrow.Schema
        The result's columns; a 0-row result is a document with an empty table.
    metadata : ResultMetadata
        The query, release and time (as INFOs), and each column's unit, UCD and description.
    serialization : str
        ``"binary2"`` (base64 of the BINARY2 stream) or ``"tabledata"`` (XML rows).
    overflow : callable
        Asked once every batch is read: whether the result was cut at MAXREC, in which case the
        document ends with ``<INFO name="QUERY_STATUS" value="OVERFLOW"/>``.

    Returns
    -------
    iterator of bytes
        The document, chunk by chunk (the first is the header).

    Raises
    ------
    SurveylabError
        At once, before any chunk: an unknown serialization, repeated column names, or a
        column type a VOTable cannot hold. Errors reading ``batches`` come through the
        iterator.
    """
    encoder = VOTableEncoder(schema, metadata, serialization)
    return _chunks(encoder, iter(batches), overflow)


def _chunks(
    encoder: VOTableEncoder, batches: Iterator[pa.RecordBatch], overflow: Callable[[], bool]
) -> Iterator[bytes]:
    """The chunks of :func:`votable_chunks`: the header once the first rows are in, then the
    rows, then the end."""
    waiting: list[pa.RecordBatch] = []
    for batch in batches:
        waiting.append(batch)
        if batch.num_rows:
            break
    yield encoder.start(waiting[-1] if waiting and waiting[-1].num_rows else None)
    for batch in waiting:
        yield from encoder.write(batch)
    for batch in batches:
        yield from encoder.write(batch)
    yield encoder.finish(overflow=overflow())


def read_votable(data: bytes, *, name: str, max_rows: int, max_bytes: int) -> pa.Table:
    """The first table of an uploaded VOTable, as an Arrow table.

    Parameters
    ----------
    data : bytes
        The document (any serialization astropy reads: TABLEDATA, BINARY, BINARY2, FITS).
    name : str
        The upload's table name, for messages.
    max_rows, max_bytes : int
        The largest table accepted, in rows and in bytes of document.

    Returns
    -------
    pyarrow.Table
        One column per FIELD, named as the FIELD is: booleans, integers and floats keep their
        type, ``char`` and ``unicodeChar`` are strings, ``xtype="timestamp"`` text is a
        timestamp; masked (NULL) values are Arrow NULLs.

    Raises
    ------
    RequestError
        The document is too large or has too many rows (the message gives the limit and what
        came), is not a VOTable or holds no table, a column name is not letters, digits and
        ``_`` (starting with a letter) or repeats, or a column holds arrays or complex numbers.
    """
    what = f"the upload {name}"
    if len(data) > max_bytes:
        raise RequestError(
            f"{what} is {len(data):,} bytes: the limit is {max_bytes:,} bytes of VOTable"
        )
    from astropy.io.votable import parse
    from astropy.io.votable.exceptions import VOWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VOWarning)
            document = parse(io.BytesIO(data), verify="ignore")
    except Exception as err:  # any failure to parse user data: not a (readable) VOTable
        raise RequestError(f"{what} is not a VOTable astropy can read: {err}") from err
    try:
        table = document.get_first_table()
    except IndexError:
        raise RequestError(f"{what} is a VOTable that holds no table (no TABLE element)") from None
    rows = len(table.array)
    if rows > max_rows:
        raise RequestError(f"{what} has {rows:,} rows: the limit is {max_rows:,} rows")
    columns: dict[str, pa.Array] = {}
    seen: dict[str, str] = {}
    for field_, key in zip(table.fields, table.array.dtype.names or (), strict=True):
        column_name = str(field_.name)
        if not _COLUMN_NAME.fullmatch(column_name):
            raise RequestError(
                f"{what} has a column named {column_name!r}: name each column with letters, "
                "digits and _, starting with a letter"
            )
        if column_name.upper() in seen:
            raise RequestError(
                f"{what} has two columns named {seen[column_name.upper()]!r} and "
                f"{column_name!r}: column names must differ (ignoring case)"
            )
        seen[column_name.upper()] = column_name
        columns[column_name] = _arrow_column(what, field_, table.array[key])
    return pa.table(columns) if columns else pa.table({})


def _arrow_column(what: str, field_: object, values: np.ma.MaskedArray) -> pa.Array:
    """One uploaded column (astropy ``Field`` ``field_``, its masked ``values``) as Arrow."""
    name = str(getattr(field_, "name", ""))
    datatype = str(getattr(field_, "datatype", ""))
    arraysize = getattr(field_, "arraysize", None)
    xtype = getattr(field_, "xtype", None)
    data = np.ma.getdata(values)
    mask = np.ma.getmaskarray(values)
    if datatype in _TEXT_TYPES and data.ndim == 1:
        text = pa.array(data.astype(object), mask=mask, type=pa.string(), from_pandas=False)
        return _timestamps(what, name, text) if xtype == "timestamp" else text
    if datatype in _SCALAR_TYPES and data.ndim == 1 and data.dtype != object:
        return pa.array(data, mask=mask, type=_SCALAR_TYPES[datatype])
    shape = f"{datatype}[{arraysize}]" if arraysize else datatype
    raise RequestError(
        f"column {name!r} of {what} is {shape}, which cannot be queried: upload one boolean, "
        "integer, float or string per cell"
    )


def _timestamps(what: str, name: str, text: pa.Array) -> pa.Array:
    """ISO 8601 text of a column with ``xtype="timestamp"`` (DALI: UTC, ``Z`` optional) as
    timestamps; an empty value is NULL (BINARY2 readers may give a NULL string as "")."""
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    try:
        return pc.cast(pc.replace_substring_regex(text, "Z$", ""), pa.timestamp("us"))
    except pa.ArrowInvalid as err:
        raise RequestError(
            f"column {name!r} of {what} has xtype timestamp but holds a value that is not "
            f"an ISO 8601 time (YYYY-MM-DDThh:mm:ss.sss): {err}"
        ) from err

"""Result writers: stream the Arrow record batches of a query into a CSV, FITS, HDF5, Parquet or
VOTable file, the formats of asynchronous query jobs.

Memory stays bounded whatever the result size: batches are written as they come, never
gathered. A file appears at its path only when complete: it is written under a hidden
temporary name beside it (``.{name}.part-{random}``) and renamed at the end; if the batches
stop with an error (the query was cancelled or timed out) or writing fails, the error
propagates and the temporary file is removed.

NULLs stay NULL in every format: an empty CSV field, NaN / ``TNULLn`` / empty string in FITS,
NaN or a ``/mask/<COLUMN>`` dataset in HDF5, a Parquet NULL, a VOTable BINARY2 NULL flag.
float32 columns stay float32.

Examples
--------
>>> import pyarrow as pa, tempfile
>>> from pathlib import Path
>>> table = pa.table({"RA": [10.5, None], "TILENAME": ["DES0001+0001", None]})
>>> folder = Path(tempfile.mkdtemp())
>>> name = result_filename("m2", "fits", "gzip")
>>> name
'm2.fits.gz'
>>> written = write_result(
...     table.to_batches(), table.schema, folder / name, format="fits", compression="gzip",
...     metadata=ResultMetadata(query="SELECT RA, TILENAME FROM DR1_MAIN", release="DEMO DR1"),
... )
>>> written.rows, written.path.name
(2, 'm2.fits.gz')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from ..errors import SurveylabError
from ._base import (
    ResultMetadata,
    ResultSink,
    UnsupportedColumnError,
    WrittenFile,
    check_column_names,
    remove_quietly,
    scratch_path,
)
from ._hdf5 import read_hdf5

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "ResultMetadata",
    "UnsupportedColumnError",
    "WrittenFile",
    "read_hdf5",
    "remove_quietly",
    "result_filename",
    "scratch_path",
    "validate_format",
    "write_result",
]

#: The result formats, as job parameters name them.
FORMATS: tuple[str, ...] = ("csv", "fits", "hdf5", "parquet", "votable")

#: The compressions of each format; ``None`` is none. CSV, FITS and VOTable compress the whole
#: file (``.csv.gz``, ``.fits.gz``, ``.vot.gz``); HDF5 and Parquet compress inside the file.
#: FITS offers no tile compression: see :mod:`surveylab.writers._fits` for why.
COMPRESSIONS: dict[str, tuple[str | None, ...]] = {
    "csv": (None, "gzip"),
    "fits": (None, "gzip"),
    "hdf5": (None, "gzip", "lzf"),
    "parquet": (None, "snappy", "zstd", "gzip"),
    "votable": (None, "gzip"),
}

#: Other names accepted for a format.
_FORMAT_ALIASES = {
    "h5": "hdf5",
    "hdf": "hdf5",
    "fit": "fits",
    "pq": "parquet",
    "vot": "votable",
}

#: File extension of each format; ``.gz`` follows for whole-file gzip.
_EXTENSIONS = {
    "csv": ".csv",
    "fits": ".fits",
    "hdf5": ".h5",
    "parquet": ".parquet",
    "votable": ".vot",
}

#: Formats whose compression is a gzip stream around the whole file.
_WHOLE_FILE_GZIP = ("csv", "fits", "votable")

SinkFactory = Callable[[Path, pa.Schema, "str | None", ResultMetadata], ResultSink]


def validate_format(format: str, compression: str | None) -> tuple[str, str | None]:
    """Check a format and compression, and return them in canonical form.

    Parameters
    ----------
    format : str
        One of :data:`FORMATS` (any case; ``h5``, ``fit`` and ``vot`` are accepted too).
    compression : str or None
        One of ``COMPRESSIONS[format]``; ``None``, ``""`` and ``"none"`` mean none.

    Returns
    -------
    tuple
        ``(format, compression)``, lower case, compression ``None`` for none.

    Raises
    ------
    SurveylabError
        The format or compression is unknown; the message lists what is allowed.

    Examples
    --------
    >>> validate_format("FITS", "none")
    ('fits', None)
    >>> validate_format("csv", "zstd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surveylab.errors.SurveylabError: compression 'zstd' is not available for csv: choose none...
    """
    if not isinstance(format, str):
        raise SurveylabError(f"the format must be a string, one of {', '.join(FORMATS)}")
    name = format.strip().lower()
    name = _FORMAT_ALIASES.get(name, name)
    if name not in FORMATS:
        raise SurveylabError(
            f"unknown result format {format!r}: choose one of {', '.join(FORMATS)}"
        )
    if compression is not None and not isinstance(compression, str):
        raise SurveylabError(f"the compression must be a string or null, not {compression!r}")
    codec = (compression or "").strip().lower()
    codec_or_none = None if codec in ("", "none") else codec
    allowed = COMPRESSIONS[name]
    if codec_or_none not in allowed:
        choices = " or ".join(c or "none" for c in allowed)
        message = f"compression {compression!r} is not available for {name}: choose {choices}"
        if name == "fits" and codec in ("rice", "hcompress", "plio", "tile", "fpack"):
            message += " (astropy cannot read tile-compressed FITS tables)"
        raise SurveylabError(message)
    return name, codec_or_none


def result_filename(stem: str, format: str, compression: str | None) -> str:
    """The file name of a result: ``stem``, the format's extension, ``.gz`` for whole-file gzip.

    Examples
    --------
    >>> [result_filename("m2", f, c) for f, c in [("csv", "gzip"), ("fits", None), ("hdf5", "lzf")]]
    ['m2.csv.gz', 'm2.fits', 'm2.h5']
    >>> result_filename("m2", "parquet", "zstd")
    'm2.parquet'
    """
    name, codec = validate_format(format, compression)
    if not stem or stem in (".", "..") or "/" in stem or "\\" in stem or "\0" in stem:
        raise SurveylabError(f"{stem!r} is not a file name")
    gz = ".gz" if codec == "gzip" and name in _WHOLE_FILE_GZIP else ""
    return f"{stem}{_EXTENSIONS[name]}{gz}"


def _sink_factory(format: str) -> SinkFactory:
    """The writer class of ``format``, VOTable aside (FITS and HDF5 import astropy / h5py on
    first use)."""
    if format == "csv":
        from ._csv import CsvSink

        return CsvSink
    if format == "fits":
        from ._fits import FitsSink

        return FitsSink
    if format == "hdf5":
        from ._hdf5 import Hdf5Sink

        return Hdf5Sink
    from ._parquet import ParquetSink

    return ParquetSink


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch``, checked to have the result's column types."""
    if batch.schema is schema or batch.schema.equals(schema):
        return batch
    if batch.schema.types != schema.types:
        raise SurveylabError(
            f"a result batch has columns {batch.schema} where {schema} was announced"
        )
    return batch


def write_result(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    path: Path,
    *,
    format: str,
    compression: str | None = None,
    metadata: ResultMetadata,
    progress: Callable[[int], None] | None = None,
    overflow: Callable[[], bool] | None = None,
    serialization: str | None = None,
) -> WrittenFile:
    """Stream ``batches`` into a result file at ``path``.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        The result, e.g. a ``pyarrow.RecordBatchReader``. It is read once, batch by batch.
    schema : pyarrow.Schema
        The result's schema (``reader.schema``); a 0-row result still makes a valid file.
    path : Path
        The file to write; its folder must exist. An existing file is replaced at the end.
    format : str
        One of :data:`FORMATS`.
    compression : str, optional
        One of ``COMPRESSIONS[format]``.
    metadata : ResultMetadata
        Query, release, version, time and column metadata recorded in the file.
    progress : callable, optional
        Called after each batch with the number of rows taken so far.
    overflow : callable, optional
        Asked once, after the last batch, whether the result was cut at a row limit (TAP's
        MAXREC); a VOTable then ends with ``<INFO name="QUERY_STATUS" value="OVERFLOW"/>``.
    serialization : str, optional
        A VOTable's serialization: ``"binary2"`` (the default) or ``"tabledata"``.

    Returns
    -------
    WrittenFile
        The complete file.

    Raises
    ------
    SurveylabError
        Bad format or compression, repeated column names, or a column type the format cannot
        hold (:class:`UnsupportedColumnError`). Nothing is written.
    Exception
        Whatever reading ``batches`` raises (e.g. ``QueryCancelledError``), or an I/O error;
        no file is left at ``path`` nor any temporary file.
    """
    format, compression = validate_format(format, compression)
    check_column_names(schema)
    path = Path(path)
    temporary = scratch_path(path)
    rows = 0
    sink: ResultSink | None = None
    try:
        if format == "votable":
            from ._votable import VOTableSink

            sink = VOTableSink(temporary, schema, compression, metadata, serialization or "binary2")
        else:
            sink = _sink_factory(format)(temporary, schema, compression, metadata)
        for batch in batches:
            sink.write(_conform(batch, schema))
            rows += batch.num_rows
            if progress is not None:
                progress(rows)
        if format == "votable":
            cut = overflow is not None and overflow()
            sink.finish(overflow=cut)  # type: ignore[call-arg]  # the VOTable sink's own
        else:
            sink.finish()
        temporary.replace(path)
    except BaseException:
        if sink is not None:
            sink.abort()
        remove_quietly(temporary)
        raise
    return WrittenFile(path, format, compression, rows, path.stat().st_size)

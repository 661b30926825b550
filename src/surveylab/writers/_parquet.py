"""Parquet: pyarrow's ParquetWriter, batches gathered into row groups of ~128 k rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ._base import GZIP_LEVEL, ResultMetadata

__all__ = ["ROW_GROUP_ROWS", "ParquetSink", "parquet_schema"]

#: Rows per row group (DuckDB writes 122,880): big enough for fast scans, small enough that
#: the rows waiting for their group stay a few tens of MB.
ROW_GROUP_ROWS = 131_072


def parquet_schema(schema: pa.Schema, metadata: ResultMetadata) -> pa.Schema:
    """``schema`` with the provenance as schema metadata and each catalog column's ``unit``,
    ``ucd`` and ``description`` as field metadata."""
    fields = []
    for field_ in schema:
        info = metadata.column(field_)
        if info is not None:
            extra = {"unit": info.unit, "ucd": info.ucd, "description": info.description}
            field_ = field_.with_metadata({**(field_.metadata or {}), **extra})
        fields.append(field_)
    return pa.schema(fields, metadata=metadata.as_strings())


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary encoding: strings, booleans, small integers and dictionaries.
    (Trying a dictionary on random floats costs 5x the write time for nothing.)"""
    return [
        field_.name
        for field_ in schema
        if pa.types.is_string(field_.type)
        or pa.types.is_large_string(field_.type)
        or pa.types.is_dictionary(field_.type)
        or pa.types.is_boolean(field_.type)
        or field_.type in (pa.int8(), pa.int16(), pa.uint8(), pa.uint16())
    ]


class ParquetSink:
    """Writes one Parquet file; ``compression`` is the codec (``None`` for none).

    NULLs are Parquet NULLs. The schema metadata holds ``query``, ``release``,
    ``surveylab_version`` and ``created``; each field's metadata its ``unit``, ``ucd`` and
    ``description`` (pyarrow reads them as ``schema.field(name).metadata``).
    """

    def __init__(
        self, path: Path, schema: pa.Schema, compression: str | None, metadata: ResultMetadata
    ) -> None:
        self._schema = parquet_schema(schema, metadata)
        self._writer = pq.ParquetWriter(
            path,
            self._schema,
            compression=compression or "none",
            compression_level=GZIP_LEVEL if compression == "gzip" else None,
            use_dictionary=_dictionary_columns(schema),
        )
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Gather ``batch``; write a row group once enough rows wait."""
        if batch.num_rows:
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            if self._pending_rows >= ROW_GROUP_ROWS:
                self._flush()

    def _flush(self) -> None:
        """Write the waiting rows as one row group."""
        if self._pending:
            table = pa.Table.from_batches(self._pending)  # the writer's schema adds the metadata
            self._writer.write_table(table, row_group_size=self._pending_rows)
            self._pending, self._pending_rows = [], 0

    def finish(self) -> None:
        """Write the last row group and the footer."""
        self._flush()
        self._writer.close()

    def abort(self) -> None:
        """Drop the waiting rows and close the file."""
        self._pending = []
        self._writer.close()

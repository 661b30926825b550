"""CSV: Arrow's CSV encoder, run on worker threads one batch at a time, the encoded batches
written in order (and deflated in parallel into one gzip stream for ``compression="gzip"``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ._base import ResultMetadata, UnsupportedColumnError
from ._gzip import OrderedPipeline, ParallelGzip, deflate_block

__all__ = ["CsvSink"]

_ROWS = pacsv.WriteOptions(include_header=False)


def _encode(batch: pa.RecordBatch | pa.Table, header: bool = False) -> bytes:
    """``batch`` as CSV text: NULL an empty field, strings quoted, floats in their shortest
    round-trip form."""
    out = pa.BufferOutputStream()
    pacsv.write_csv(batch, out, pacsv.WriteOptions(include_header=True) if header else _ROWS)
    encoded: bytes = out.getvalue().to_pybytes()
    return encoded


class CsvSink:
    """Writes one CSV (or gzipped CSV) file: a header row of column names, then one line per row.

    A NULL is an empty, unquoted field; an empty string is ``""``. Floats are written in the
    shortest form that reads back to the same value (float32 columns to float32 precision).
    CSV has no place for units or the query; those are in the job record.
    """

    def __init__(
        self, path: Path, schema: pa.Schema, compression: str | None, metadata: ResultMetadata
    ) -> None:
        try:
            header = _encode(schema.empty_table(), header=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise UnsupportedColumnError(
                f"CSV cannot hold this result ({err}): choose parquet, or cast the column "
                "to a scalar type"
            ) from err
        self._file = path.open("wb")
        self._gzip = ParallelGzip(self._file) if compression == "gzip" else None
        self._pipeline = OrderedPipeline(self._emit)
        self._pipeline.submit(self._job(header))

    def _job(self, data: pa.RecordBatch | bytes) -> Callable[[], tuple[bytes, bytes]]:
        """The work of one block: encode (unless ``data`` is text already) and deflate."""
        gzip = self._gzip is not None

        def run() -> tuple[bytes, bytes]:
            raw = data if isinstance(data, bytes) else _encode(data)
            return raw, deflate_block(raw) if gzip else raw

        return run

    def _emit(self, block: tuple[bytes, bytes]) -> None:
        """Write one finished block (raw text, bytes to write), in order."""
        if self._gzip is not None:
            self._gzip.add(*block)
        else:
            self._file.write(block[1])

    def write(self, batch: pa.RecordBatch) -> None:
        """Queue ``batch`` for encoding; its text is written after the earlier batches'."""
        if batch.num_rows:
            self._pipeline.submit(self._job(batch))

    def finish(self) -> None:
        """Write every queued batch, the gzip trailer, and close the file."""
        self._pipeline.drain()
        if self._gzip is not None:
            self._gzip.finish()
        self._file.close()

    def abort(self) -> None:
        """Drop queued batches and close the file."""
        self._pipeline.cancel()
        self._file.close()

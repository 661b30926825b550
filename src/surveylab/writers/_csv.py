"""CSV: Arrow's CSV encoder, run on worker threads a block of rows at a time, the blocks written
in order (and deflated in parallel into one gzip stream for ``compression="gzip"``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ._base import ResultMetadata, UnsupportedColumnError
from ._gzip import OrderedPipeline, ParallelGzip, deflate_block

__all__ = ["BLOCK_ROWS", "CsvSink"]

#: Rows encoded per job: a few MB of text, so that the blocks in flight stay small.
BLOCK_ROWS = 16_384

#: Arrow converts 1,024 rows at a time by default; a whole block at once is ~30 % faster.
_ROWS = pacsv.WriteOptions(include_header=False, batch_size=BLOCK_ROWS)
_HEADER = pacsv.WriteOptions(include_header=True)


def _encode(rows: pa.RecordBatch | pa.Table, header: bool = False) -> pa.Buffer:
    """``rows`` as CSV text: NULL an empty field, strings quoted, floats in their shortest
    round-trip form."""
    out = pa.BufferOutputStream()
    pacsv.write_csv(rows, out, _HEADER if header else _ROWS)
    return out.getvalue()


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
        self._pipeline: OrderedPipeline[tuple[pa.Buffer, bytes]] = OrderedPipeline(self._emit)
        self._pipeline.submit(self._job(header))

    def _job(self, data: pa.RecordBatch | pa.Buffer) -> Callable[[], tuple[pa.Buffer, bytes]]:
        """The work of one block: encode (unless ``data`` is text already) and deflate."""
        gzip = self._gzip is not None

        def run() -> tuple[pa.Buffer, bytes]:
            raw = data if isinstance(data, pa.Buffer) else _encode(data)
            return raw, deflate_block(raw) if gzip else b""

        return run

    def _emit(self, block: tuple[pa.Buffer, bytes]) -> None:
        """Write one finished block (its text, and the text deflated if gzip), in order."""
        raw, deflated = block
        if self._gzip is not None:
            self._gzip.add(raw, deflated)
        else:
            self._file.write(raw)

    def write(self, batch: pa.RecordBatch) -> None:
        """Queue ``batch`` for encoding, in blocks of :data:`BLOCK_ROWS` rows."""
        for start in range(0, batch.num_rows, BLOCK_ROWS):
            self._pipeline.submit(self._job(batch.slice(start, BLOCK_ROWS)))

    def finish(self) -> None:
        """Write every queued block, the gzip trailer, and close the file."""
        self._pipeline.drain()
        if self._gzip is not None:
            self._gzip.finish()
        self._file.close()

    def abort(self) -> None:
        """Drop queued blocks and close the file."""
        self._pipeline.cancel()
        self._file.close()

"""gzip written in parallel, as pigz does: blocks are deflated independently on worker threads
(zlib releases the GIL) and joined, in order, into one standard single-member gzip stream that
every gzip reader (gzip, Python, astropy, cfitsio, pandas) reads."""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO, Generic, TypeVar

from ._base import GZIP_LEVEL

__all__ = ["OrderedPipeline", "ParallelGzip", "deflate_block", "gzip_file", "worker_count"]

T = TypeVar("T")

#: Bytes read per block when compressing a finished file.
FILE_BLOCK_BYTES = 8 << 20


def worker_count() -> int:
    """Threads for encoding and compressing: one more than the cores (the writer thread mostly
    waits), between 2 and 8."""
    return max(2, min(8, (os.cpu_count() or 1) + 1))


def deflate_block(data: bytes | memoryview, level: int = GZIP_LEVEL) -> bytes:
    """Raw deflate of one block, ended by a sync flush so that blocks can be concatenated."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


class ParallelGzip:
    """The gzip framing around blocks deflated elsewhere (by :func:`deflate_block`).

    Parameters
    ----------
    out : binary file
        Where the gzip stream goes; the header is written at once.

    Call :meth:`add` with each block's raw bytes and deflated bytes, in order, then
    :meth:`finish` to write the last deflate block and the trailer (CRC-32 and size).
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._crc = 0
        self._size = 0
        # ID1 ID2 CM FLG MTIME XFL OS(255 = unknown)
        out.write(struct.pack("<BBBBIBB", 0x1F, 0x8B, 8, 0, int(time.time()), 0, 255))

    def add(self, raw: bytes | memoryview, deflated: bytes) -> None:
        """Append one block: ``deflated`` is :func:`deflate_block` of ``raw``."""
        self._crc = zlib.crc32(raw, self._crc)
        self._size += len(raw)
        self._out.write(deflated)

    def finish(self) -> None:
        """Write the final (empty) deflate block and the gzip trailer."""
        self._out.write(zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush())
        self._out.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))


class OrderedPipeline(Generic[T]):
    """Run jobs on a thread pool and hand their results, in submission order, to ``sink``,
    keeping at most as many jobs in flight as threads (so memory stays bounded).

    Parameters
    ----------
    sink : callable
        Receives each job's result, in order, on the calling thread.
    workers : int, optional
        Threads; :func:`worker_count` by default.
    """

    def __init__(self, sink: Callable[[T], None], workers: int | None = None) -> None:
        self._workers = workers or worker_count()
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="surveylab-writer")
        self._pending: deque[Future[T]] = deque()
        self._sink = sink

    def submit(self, job: Callable[[], T]) -> None:
        """Queue ``job``; first hand on the oldest results while too many are in flight."""
        while len(self._pending) >= self._workers:
            self._sink(self._pending.popleft().result())
        self._pending.append(self._pool.submit(job))

    def drain(self) -> None:
        """Wait for every queued job and hand its result on; then stop the threads."""
        while self._pending:
            self._sink(self._pending.popleft().result())
        self._pool.shutdown()

    def cancel(self) -> None:
        """Drop the queued jobs and stop the threads."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


def gzip_file(source: BinaryIO, out: BinaryIO, level: int = GZIP_LEVEL) -> None:
    """Compress everything readable from ``source`` into ``out`` as one gzip stream, deflating
    blocks in parallel."""
    gz = ParallelGzip(out)
    pipeline: OrderedPipeline[tuple[bytes, bytes]] = OrderedPipeline(lambda pair: gz.add(*pair))

    def job(raw: bytes) -> Callable[[], tuple[bytes, bytes]]:
        return lambda: (raw, deflate_block(raw, level))

    try:
        while raw := source.read(FILE_BLOCK_BYTES):
            pipeline.submit(job(raw))
        pipeline.drain()
    except BaseException:
        pipeline.cancel()
        raise
    gz.finish()

"""Benchmark the result writers (``surveylab.writers.write_result``) against their limits.

Usage::

    .venv/bin/python benchmarks/bench_export.py [--rows 5000000] [--rss-rows 1000000 5000000]
                                                 [--compressions] [--workdir DIR]

It builds a synthetic 30-column table shaped like DR1_MAIN (BIGINT ids and HEALPix pixels,
DOUBLE positions and fluxes, FLOAT magnitudes, SMALLINT flags, a VARCHAR tile name, NULLs in a
FLOAT and a BIGINT column) in a DuckDB file, then, for each format and the same query
``SELECT * FROM T WHERE COADD_OBJECT_ID < N``, times:

(a) ``write_result`` fed by DuckDB's Arrow reader (the job path);
(b) the limit, measured in the same run: DuckDB's own ``COPY (query) TO`` for CSV and Parquet;
    for FITS the raw fitsio streaming writer (numpy arrays appended with ``hdu.append``, no
    metadata); for HDF5 raw h5py (one resizable dataset per column, no metadata, no masks).
    Both are fed by the same DuckDB reader;
(c) the easyaccess path (``cursor.fetchmany`` -> pandas DataFrame -> ``to_csv`` with
    ``float_format='%.8f'``, appended chunk by chunk, as easyaccess's ``fileio.write_pandas``),
    on ``--easyaccess-rows`` rows (it is slow), as rows/s.

It prints rows/s, the ratio to the limit (targets: CSV and Parquet >= 0.7x COPY, FITS and HDF5
>= 0.8x the raw writer), the ratio to easyaccess (target >= 10x), and the peak resident memory
of a fresh process writing ``--rss-rows`` rows in each format (it must not grow with the row
count, and stay under 1 GB). DuckDB in that process has a 128 MB memory limit, as a job
runner's connection would, so that its block cache does not hide the writer's own memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from surveylab.writers import FORMATS, ResultMetadata, result_filename, write_result

#: Rows per Arrow batch read from DuckDB (the catalog's default).
BATCH_ROWS = 65_536
#: The compression each format is timed with by default (Parquet: DuckDB's COPY default).
DEFAULT_COMPRESSION: dict[str, str | None] = {
    "csv": None,
    "fits": None,
    "hdf5": None,
    "parquet": "snappy",
}
#: Extra (format, compression) runs with ``--compressions``; CSV gzip and Parquet zstd/gzip
#: are compared with COPY's own compression.
EXTRA_RUNS = [
    ("csv", "gzip"),
    ("fits", "gzip"),
    ("hdf5", "gzip"),
    ("hdf5", "lzf"),
    ("parquet", "zstd"),
    ("parquet", "gzip"),
    ("parquet", None),
]
#: Targets: the ratio to the limit each format must reach, and to easyaccess.
TARGETS = {"csv": 0.7, "parquet": 0.7, "fits": 0.8, "hdf5": 0.8}
EASYACCESS_TARGET = 10.0
RSS_LIMIT_MB = 1024.0
#: Run-to-run noise of a peak RSS (MB).
RSS_NOISE_MB = 32.0
BANDS = "GRIZY"


def synthetic_columns() -> list[str]:
    """30 select expressions shaped like DR1_MAIN, from DuckDB's ``range``."""
    columns = [
        "range AS COADD_OBJECT_ID",
        "random() * 360 AS RA",
        "random() * 60 - 65 AS DEC",
        "'DES' || lpad(CAST(range // 10000 % 10000 AS VARCHAR), 4, '0') || '-'"
        " || lpad(CAST(range % 9999 AS VARCHAR), 4, '0') AS TILENAME",
        "CASE WHEN random() < 0.02 THEN NULL ELSE CAST(random() * 12288 AS BIGINT) END AS HPIX_32",
        "CAST(random() * 12582912 AS BIGINT) AS HPIX_1024",
    ]
    for band in BANDS:
        columns += [
            f"CAST(18 + random() * 8 AS FLOAT) AS MAG_AUTO_{band}",
            f"CAST(random() * 0.2 AS FLOAT) AS MAGERR_AUTO_{band}",
            f"random() * 1e5 AS FLUX_AUTO_{band}",
            f"CAST(random() * 4 AS SMALLINT) AS FLAGS_{band}",
        ]
    columns += [
        "CAST(random() AS FLOAT) AS CLASS_STAR_I",
        "random() * 0.02 - 0.01 AS SPREAD_MODEL_I",
        "CASE WHEN random() < 0.05 THEN NULL ELSE CAST(random() * 0.1 AS FLOAT) END AS EBV_SFD98",
        "CAST(random() * 3 AS SMALLINT) AS EXTENDED_CLASS_COADD",
    ]
    return columns


def build_catalog(path: Path, rows: int) -> None:
    """A DuckDB file with table ``T`` of ``rows`` synthetic rows."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE T AS SELECT {', '.join(synthetic_columns())} FROM range({rows})")


def query(rows: int) -> str:
    return f"SELECT * FROM T WHERE COADD_OBJECT_ID < {rows}"


def metadata(sql: str) -> ResultMetadata:
    return ResultMetadata(query=sql, release="BENCH", version="bench")


# --- the writers ------------------------------------------------------------------------------


def ours(
    con: duckdb.DuckDBPyConnection, sql: str, out: Path, format: str, compression: str | None
) -> None:
    reader = con.cursor().sql(sql).to_arrow_reader(BATCH_ROWS)
    write_result(
        reader, reader.schema, out, format=format, compression=compression, metadata=metadata(sql)
    )


def duckdb_copy(
    con: duckdb.DuckDBPyConnection, sql: str, out: Path, format: str, compression: str | None
) -> None:
    if format == "csv":
        options = "FORMAT csv, HEADER" + (", COMPRESSION gzip" if compression == "gzip" else "")
    else:
        options = f"FORMAT parquet, COMPRESSION {compression or 'uncompressed'}"
    con.execute(f"COPY ({sql}) TO '{out}' ({options})")


def _filled(column: pa.Array) -> np.ndarray:
    """A column as numpy, as a plain script would do it (int NULL -> 0, float NULL -> NaN)."""
    if column.null_count and pa.types.is_integer(column.type):
        column = column.fill_null(0)
    return column.to_numpy(zero_copy_only=False)


def raw_fitsio(
    con: duckdb.DuckDBPyConnection, sql: str, out: Path, format: str, compression: str | None
) -> None:
    """fitsio's streaming writer: create the table, append numpy arrays per batch."""
    import fitsio

    reader = con.cursor().sql(sql).to_arrow_reader(BATCH_ROWS)
    with fitsio.FITS(str(out), "rw", clobber=True) as fits:
        table = None
        for batch in reader:
            arrays = []
            for column in batch.columns:
                values = _filled(column)
                arrays.append(values.astype("S12") if values.dtype == object else values)
            if table is None:
                dtype = [(n, a.dtype) for n, a in zip(batch.schema.names, arrays, strict=True)]
                fits.create_table_hdu(dtype=dtype, extname="RESULT")
                table = fits[-1]
            table.append(arrays, names=batch.schema.names)


def raw_h5py(
    con: duckdb.DuckDBPyConnection, sql: str, out: Path, format: str, compression: str | None
) -> None:
    """h5py: one resizable chunked dataset per column, grown per batch."""
    import h5py

    reader = con.cursor().sql(sql).to_arrow_reader(BATCH_ROWS)
    with h5py.File(out, "w") as file:
        datasets: list[h5py.Dataset] = []
        rows = 0
        for batch in reader:
            arrays = [_filled(column) for column in batch.columns]
            if not datasets:
                for name, values in zip(batch.schema.names, arrays, strict=True):
                    dtype = h5py.string_dtype() if values.dtype == object else values.dtype
                    datasets.append(
                        file.create_dataset(
                            name,
                            shape=(0,),
                            maxshape=(None,),
                            chunks=(BATCH_ROWS,),
                            dtype=dtype,
                            compression=compression,
                        )
                    )
            for dataset, values in zip(datasets, arrays, strict=True):
                dataset.resize((rows + len(values),))
                dataset[rows:] = values
            rows += batch.num_rows


LIMITS: dict[str, tuple[str, Callable[..., None]]] = {
    "csv": ("DuckDB COPY", duckdb_copy),
    "parquet": ("DuckDB COPY", duckdb_copy),
    "fits": ("raw fitsio", raw_fitsio),
    "hdf5": ("raw h5py", raw_h5py),
}


def easyaccess_rate(con: duckdb.DuckDBPyConnection, rows: int, out: Path) -> float:
    """Rows/s of easyaccess's export: fetchmany -> DataFrame -> to_csv('%.8f'), appended."""
    import pandas as pd

    cursor = con.cursor()
    start = time.perf_counter()
    cursor.execute(query(rows))
    names = [d[0] for d in cursor.description]
    mode, header = "w", True
    while chunk := cursor.fetchmany(30_000):
        frame = pd.DataFrame(chunk, columns=names)
        frame.to_csv(out, index=False, float_format="%.8f", sep=",", mode=mode, header=header)
        mode, header = "a", False
    return rows / (time.perf_counter() - start)


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Timing:
    seconds: float
    size: int


def timed_pair(
    first: Callable[[Path], None], second: Callable[[Path], None], out: Path, repeat: int
) -> tuple[Timing, Timing]:
    """The best of ``repeat`` runs of each writer, alternating which goes first. Each run
    starts after ``sync`` (no dirty pages of the previous run slowing it down); its file is
    removed afterwards."""
    best = [float("inf"), float("inf")]
    sizes = [0, 0]
    for round_ in range(repeat):
        order = [0, 1] if round_ % 2 == 0 else [1, 0]
        for index in order:
            os.sync()
            start = time.perf_counter()
            (first, second)[index](out)
            best[index] = min(best[index], time.perf_counter() - start)
            sizes[index] = out.stat().st_size
            out.unlink()
    return Timing(best[0], sizes[0]), Timing(best[1], sizes[1])


def high_water_mb() -> float:
    """Peak resident memory of this process (MB): VmHWM, which, unlike ``ru_maxrss``, does not
    carry over the parent's peak across ``exec``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_rss_mb(
    catalog: Path, workdir: Path, format: str, compression: str | None, rows: int
) -> dict[str, float]:
    """Peak RSS (MB) of a fresh process writing ``rows`` rows, and its RSS before writing."""
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(catalog),
            str(workdir),
            format,
            str(compression),
            str(rows),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def child(catalog: str, workdir: str, format: str, compression: str, rows: str) -> None:
    """The ``--child`` mode: write ``rows`` rows once, print peak RSS as JSON."""
    codec = None if compression == "None" else compression
    con = duckdb.connect(catalog, read_only=True, config={"memory_limit": "128MB", "threads": 2})
    import astropy.io.fits  # noqa: F401  (import what the writers load, before the baseline)
    import h5py  # noqa: F401

    before = high_water_mb()
    if format == "reader":  # the baseline: DuckDB's reader alone, batches dropped
        for _ in con.cursor().sql(query(int(rows))).to_arrow_reader(BATCH_ROWS):
            pass
    else:
        out = Path(workdir) / result_filename(f"rss-{rows}", format, codec)
        ours(con, query(int(rows)), out, format, codec)
        out.unlink()
    peak = high_water_mb()
    print(json.dumps({"before": before, "peak": peak}))


# --- the run ------------------------------------------------------------------------------------


def mrows(rate: float) -> str:
    return f"{rate / 1e6:6.2f} M rows/s"


@dataclass
class Bench:
    """What every measurement needs: the catalog, its connection and the scratch folder."""

    catalog: Path
    con: duckdb.DuckDBPyConnection
    workdir: Path
    rows: int
    repeat: int

    def easyaccess(self, rows: int) -> float:
        rate = easyaccess_rate(self.con, rows, self.workdir / "easy.csv")
        (self.workdir / "easy.csv").unlink()
        return rate

    def pair(self, format: str, compression: str | None) -> tuple[Timing, Timing]:
        """Timings of ``write_result`` and of the format's limit, same query, same run."""
        sql = query(self.rows)
        limit = LIMITS[format][1]
        return timed_pair(
            partial(ours, self.con, sql, format=format, compression=compression),
            partial(limit, self.con, sql, format=format, compression=compression),
            self.workdir / result_filename("bench", format, compression),
            self.repeat,
        )


HEADER = (
    f"{'format':<16}{'write_result':>18}{'limit':>30}{'ratio':>8}{'target':>8}"
    f"{'vs easyaccess':>15}{'size MB':>9}"
)


def throughput(bench: Bench, compressions: bool, easy_rows: int) -> list[str]:
    """Time every format against its limit and easyaccess; print a table; return failures."""
    failed: list[str] = []
    easy = bench.easyaccess(easy_rows)
    print(f"\n{bench.rows:,} rows, best of {bench.repeat}:\n{HEADER}\n{'-' * len(HEADER)}")
    timed = [f for f in FORMATS if f in LIMITS]  # VOTable: benchmarks/bench_votable.py
    runs = [(f, DEFAULT_COMPRESSION[f]) for f in timed] + (EXTRA_RUNS if compressions else [])
    for format, compression in runs:
        label = f"{format}{'+' + compression if compression else ''}"
        mine, limit = bench.pair(format, compression)
        if label == "csv":  # easyaccess again, beside its closest rival; the best is kept
            easy = max(easy, bench.easyaccess(easy_rows))
        rate, ratio = bench.rows / mine.seconds, limit.seconds / mine.seconds
        flag = ""
        if compression == DEFAULT_COMPRESSION[format] and (
            ratio < TARGETS[format] or rate / easy < EASYACCESS_TARGET
        ):
            flag = "  << below target"
            failed.append(label)
        limit_text = f"{LIMITS[format][0]} {mrows(bench.rows / limit.seconds)}"
        print(
            f"{label:<16}{mrows(rate):>18}{limit_text:>30}{ratio:>7.2f}x{TARGETS[format]:>7.1f}x"
            f"{rate / easy:>14.1f}x{mine.size / 1e6:>9.0f}{flag}",
            flush=True,
        )
    print(
        f"easyaccess path (fetchmany -> pandas -> to_csv('%.8f')): {mrows(easy)} on "
        f"{easy_rows:,} rows (best of a run before and one after the CSV runs)"
    )
    return failed


def memory(bench: Bench, counts: list[int]) -> list[str]:
    """Peak RSS of fresh processes writing each row count; print a table; return failures.

    A writer fails if its peak passes 1 GB, or if it grows with N by more than DuckDB's reader
    alone does (plus 32 MB of noise): that growth is the engine's block cache filling up.
    """
    failed: list[str] = []
    print(f"\npeak RSS of a process writing N rows (MB; limit {RSS_LIMIT_MB:.0f}):")
    columns = "".join(f"{f'N={n:,}':>18}" for n in counts)
    print(f"{'format':<16}{columns}{'growth':>10}{'beyond reader':>15}")
    reader_growth = 0.0
    for format in ("reader", *FORMATS):
        compression = DEFAULT_COMPRESSION.get(format)
        peaks = [peak_rss_mb(bench.catalog, bench.workdir, format, compression, n) for n in counts]
        growth = peaks[-1]["peak"] - peaks[0]["peak"]
        if format == "reader":
            reader_growth = growth
        own = growth - reader_growth
        cells = "".join(f"{p['peak']:>10.0f} (+{p['peak'] - p['before']:>4.0f})" for p in peaks)
        flag = ""
        if max(p["peak"] for p in peaks) > RSS_LIMIT_MB or own > RSS_NOISE_MB:
            flag = "  << grows or too large"
            failed.append(f"{format} memory")
        print(f"{format:<16}{cells}{growth:>+10.0f}{own:>+15.0f}{flag}", flush=True)
    print(
        "(in brackets: growth during the write over the process after its imports; 'reader' is "
        "DuckDB's Arrow reader alone,\n nothing written: its growth is its block cache filling "
        "up to the 128 MB memory limit)"
    )
    return failed


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-export-", dir=args.workdir))
    try:
        largest = max([args.rows, *args.rss_rows])
        catalog = workdir / "bench.duckdb"
        start = time.perf_counter()
        build_catalog(catalog, largest)
        print(
            f"synthetic table: {largest:,} rows x 30 columns, {time.perf_counter() - start:.1f} s"
        )
        import astropy.io.fits  # noqa: F401  (load what the writers load lazily, untimed)
        import fitsio  # noqa: F401
        import h5py  # noqa: F401

        with duckdb.connect(str(catalog), read_only=True) as con:
            bench = Bench(catalog, con, workdir, args.rows, args.repeat)
            failed = throughput(bench, args.compressions, min(args.easyaccess_rows, args.rows))
            if args.rss_rows:
                failed += memory(bench, args.rss_rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nbelow target: {', '.join(failed)}" if failed else "\nall targets met")
    return 1 if failed else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="rows exported (default 5,000,000)"
    )
    parser.add_argument(
        "--rss-rows",
        type=int,
        nargs="*",
        default=[1_000_000, 5_000_000],
        help="row counts of the memory runs (default 1,000,000 and 5,000,000; none to skip)",
    )
    parser.add_argument(
        "--easyaccess-rows", type=int, default=200_000, help="rows of the easyaccess run"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each writer, the best is kept (default 2)"
    )
    parser.add_argument("--compressions", action="store_true", help="also time every compression")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to write (default: a temp folder)"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(*argv[1:])
        return 0
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

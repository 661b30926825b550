"""Result writers: every format and compression, written from a DuckDB query over the demo
survey and read back with the format's own reader, row for row."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Table
from astropy.utils.exceptions import AstropyUserWarning

from surveylab import __version__
from surveylab.catalog import DuckDBCatalog
from surveylab.errors import QueryCancelledError, SurveylabError
from surveylab.models import ColumnInfo
from surveylab.writers import (
    COMPRESSIONS,
    FORMATS,
    ResultMetadata,
    UnsupportedColumnError,
    WrittenFile,
    read_hdf5,
    result_filename,
    validate_format,
    write_result,
)

#: DR1_MAIN with NULLs in a BIGINT, a SMALLINT, a FLOAT, a DOUBLE and a VARCHAR column, an
#: empty string, and every other column as it is; on several lines, with a comment.
QUERY = """-- every column, some made NULL
SELECT COADD_OBJECT_ID,
       CASE WHEN COADD_OBJECT_ID % 7 = 0 THEN NULL ELSE RA END AS RA,
       DEC,
       CASE WHEN COADD_OBJECT_ID % 5 = 0 THEN NULL
            WHEN COADD_OBJECT_ID % 5 = 1 THEN '' ELSE TILENAME END AS TILENAME,
       CASE WHEN COADD_OBJECT_ID % 3 = 0 THEN NULL ELSE HPIX_32 END AS HPIX_32,
       CASE WHEN COADD_OBJECT_ID % 4 = 0 THEN NULL ELSE MAG_AUTO_G END AS MAG_AUTO_G,
       CASE WHEN COADD_OBJECT_ID % 6 = 0 THEN NULL ELSE FLAGS_G END AS FLAGS_G,
       * EXCLUDE (COADD_OBJECT_ID, RA, DEC, TILENAME, HPIX_32, MAG_AUTO_G, FLAGS_G)
FROM DR1_MAIN
ORDER BY COADD_OBJECT_ID"""
EMPTY_QUERY = "SELECT * FROM DR1_MAIN WHERE RA > 1000"
NULL_COLUMNS = ("RA", "TILENAME", "HPIX_32", "MAG_AUTO_G", "FLAGS_G")

#: Every format x compression, with ids like ``csv-gzip``.
CASES = [
    pytest.param(format, compression, id=f"{format}-{compression or 'none'}")
    for format in FORMATS
    for compression in COMPRESSIONS[format]
]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog(demo_data_dir: Path) -> Path:
    return demo_data_dir / "catalog.duckdb"


@pytest.fixture(scope="module")
def metadata(catalog: Path) -> ResultMetadata:
    with duckdb.connect(str(catalog), read_only=True) as con:
        rows = con.sql(
            "SELECT column_name, datatype, unit, ucd, description FROM tap_schema.columns"
        ).fetchall()
    columns = {str(r[0]).upper(): ColumnInfo(*(str(v or "") for v in r)) for r in rows}
    return ResultMetadata(
        query=QUERY,
        release="DEMO DR1",
        version=__version__,
        created=dt.datetime(2026, 11, 2, 12, 30, 5, tzinfo=dt.UTC),
        columns=columns,
    )


@pytest.fixture(scope="module")
def expected(catalog: Path) -> pa.Table:
    """The query result, in memory, to compare the files with."""
    with duckdb.connect(str(catalog), read_only=True) as con:
        table = con.sql(QUERY).to_arrow_table()
    assert table.num_rows > 20_000
    for name in NULL_COLUMNS:
        assert table[name].null_count > 1000, name
    return table


def stream(catalog: Path, sql: str = QUERY) -> pa.RecordBatchReader:
    """The result of ``sql`` as DuckDB streams it, in batches of 10,000 rows."""
    return duckdb.connect(str(catalog), read_only=True).cursor().sql(sql).to_arrow_reader(10_000)


def write(
    catalog: Path,
    folder: Path,
    format: str,
    compression: str | None,
    metadata: ResultMetadata,
    sql: str = QUERY,
    **kwargs: Any,
) -> WrittenFile:
    reader = stream(catalog, sql)
    path = folder / result_filename("result", format, compression)
    return write_result(
        reader,
        reader.schema,
        path,
        format=format,
        compression=compression,
        metadata=metadata,
        **kwargs,
    )


# --- comparing a file with the query result ------------------------------------------------

#: A read-back column: its values and its NULL mask (``None``: no NULLs).
Column = tuple[np.ndarray, np.ndarray | None]


def assert_column_equal(
    name: str, expected: pa.ChunkedArray, values: np.ndarray, mask: Any, empty_is_null: bool
) -> None:
    """``values`` (with ``mask``) hold exactly the values and NULLs of ``expected``; with
    ``empty_is_null`` (FITS) an empty string reads as NULL too."""
    nulls = expected.is_null().to_numpy(zero_copy_only=False)
    if empty_is_null and pa.types.is_string(expected.type):
        nulls = nulls | (np.asarray(expected.fill_null("").to_pylist(), dtype=object) == "")
    got_mask = np.zeros(len(values), bool) if mask is None else np.asarray(mask, bool)
    assert len(values) == len(expected), name
    np.testing.assert_array_equal(got_mask, nulls, err_msg=f"NULLs of {name}")
    if pa.types.is_string(expected.type):
        want = np.asarray(expected.fill_null("").to_pylist(), dtype=object)
        got = np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in values], object)
    else:
        want = expected.fill_null(0).to_numpy() if expected.null_count else expected.to_numpy()
        got = np.asarray(values)
        if pa.types.is_floating(expected.type):
            assert got.dtype.itemsize == expected.type.bit_width // 8, f"{name} widened"
    np.testing.assert_array_equal(got[~nulls], want[~nulls], err_msg=name)


def assert_table_equal(
    expected: pa.Table, columns: dict[str, Column], empty_is_null: bool = False
) -> None:
    assert list(columns) == expected.column_names
    for name, (values, mask) in columns.items():
        assert_column_equal(name, expected[name], values, mask, empty_is_null)


def read_csv(path: Path, expected: pa.Table) -> dict[str, Column]:
    """With the standard csv module, which reads a NULL and an empty string both as ``""``;
    which is which comes from pyarrow's CSV reader (an unquoted empty field is NULL, ``""`` an
    empty string), which must read the whole file back equal to the result, types included."""
    typed = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=expected.schema,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    assert typed.equals(expected)
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as text:
        reader = csv.reader(text)
        header = next(reader)
        rows = list(reader)
    columns: dict[str, Column] = {}
    for index, name in enumerate(header):
        cells = [row[index] for row in rows]
        kind = expected.schema.field(name).type
        if pa.types.is_string(kind):
            nulls = typed[name].is_null().to_numpy(zero_copy_only=False)
            assert all(cells[i] == "" for i in np.flatnonzero(nulls))
            columns[name] = (np.asarray(cells, dtype=object), nulls)
            continue
        mask = np.asarray([c == "" for c in cells])
        numpy_type = np.dtype(kind.to_pandas_dtype())
        values = [c or "0" for c in cells]
        if numpy_type.kind == "f":
            # float32 columns are written to float32 precision: parse, then round to float32
            columns[name] = (np.asarray([float(v) for v in values]).astype(numpy_type), mask)
        else:
            columns[name] = (np.asarray([int(v) for v in values], dtype=numpy_type), mask)
    return columns


def read_fits(path: Path, expected: pa.Table) -> dict[str, Column]:
    table = Table.read(path)  # the first table HDU
    columns: dict[str, Column] = {}
    for name in table.colnames:
        column = table[name]
        mask = getattr(column, "mask", None)
        columns[name] = (np.asarray(column), None if mask is None else np.asarray(mask))
    return columns


def read_hdf5_with_h5py(path: Path, expected: pa.Table) -> dict[str, Column]:
    columns: dict[str, Column] = {}
    with h5py.File(path, "r") as file:
        for name in file.attrs["columns"]:
            dataset = file["data"][name]
            values = dataset.asstr()[()] if h5py.check_string_dtype(dataset.dtype) else dataset[()]
            if name in file["mask"]:
                mask = file["mask"][name][()]
            elif values.dtype.kind == "f":
                mask = np.isnan(values)
            else:
                mask = None
            columns[str(name)] = (values, mask)
    return columns


def read_parquet(path: Path, expected: pa.Table) -> dict[str, Column]:
    table = pq.read_table(path)
    assert table.schema.equals(expected.schema, check_metadata=False)
    assert table.equals(expected)
    return {
        name: (
            table[name].to_numpy(zero_copy_only=False)
            if not table[name].null_count
            else np.asarray(table[name].to_pylist(), dtype=object),
            table[name].is_null().to_numpy(zero_copy_only=False),
        )
        for name in table.column_names
    }


def read_votable_with_astropy(path: Path, expected: pa.Table) -> dict[str, Column]:
    """With astropy, which reads a NULL string as "" (it ignores BINARY2's NULL flags of
    strings): an empty string reads as NULL, as in FITS."""
    table = Table.read(path)
    columns: dict[str, Column] = {}
    for name in table.colnames:
        values, mask = np.ma.getdata(table[name]), np.ma.getmaskarray(table[name])
        columns[name] = (values, mask | (values == "") if values.dtype == object else mask)
    return columns


READERS: dict[str, Callable[[Path, pa.Table], dict[str, Column]]] = {
    "csv": read_csv,
    "fits": read_fits,
    "hdf5": read_hdf5_with_h5py,
    "parquet": read_parquet,
    "votable": read_votable_with_astropy,
}


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if ".part-" in p.name)


# --- every format and compression, row for row ----------------------------------------------


@pytest.mark.parametrize(("format", "compression"), CASES)
def test_result_reads_back_row_for_row(
    catalog: Path,
    metadata: ResultMetadata,
    expected: pa.Table,
    tmp_path: Path,
    format: str,
    compression: str | None,
) -> None:
    written = write(catalog, tmp_path, format, compression, metadata)

    assert written.rows == expected.num_rows
    assert written.format == format and written.compression == compression
    assert written.size == written.path.stat().st_size > 0
    assert leftovers(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == [written.path.name]
    if format == "parquet":
        # pyarrow compares the whole table at once; strings NULL vs "" included
        read_parquet(written.path, expected)
        return
    assert_table_equal(
        expected,
        READERS[format](written.path, expected),
        empty_is_null=format in ("fits", "votable"),
    )


@pytest.mark.parametrize(("format", "compression"), CASES)
def test_empty_result_writes_a_valid_file(
    catalog: Path, metadata: ResultMetadata, tmp_path: Path, format: str, compression: str | None
) -> None:
    written = write(catalog, tmp_path, format, compression, metadata, sql=EMPTY_QUERY)

    assert written.rows == 0
    names = stream(catalog, EMPTY_QUERY).schema.names
    if format == "csv":
        frame = pd.read_csv(written.path)
        assert list(frame.columns) == names and len(frame) == 0
    elif format in ("fits", "votable"):
        table = Table.read(written.path)
        assert table.colnames == names and len(table) == 0
        assert table["MAG_AUTO_G"].dtype.type is np.float32
    elif format == "hdf5":
        table = read_hdf5(written.path)
        assert table.column_names == names and table.num_rows == 0
    else:
        table = pq.read_table(written.path)
        assert table.column_names == names and table.num_rows == 0


# --- what each format records --------------------------------------------------------------


def test_fits_has_units_masked_nulls_and_the_query(
    catalog: Path, metadata: ResultMetadata, tmp_path: Path
) -> None:
    written = write(catalog, tmp_path, "fits", "gzip", metadata)
    table = Table.read(written.path)

    assert table["RA"].unit == u.deg and table["MAG_AUTO_G"].unit == u.mag
    assert table["COADD_OBJECT_ID"].unit is None
    assert table["MAG_AUTO_G"].dtype.type is np.float32 and table["RA"].dtype.type is np.float64
    assert table["FLAGS_G"].dtype.type is np.int16 and table["HPIX_32"].dtype.type is np.int64
    assert table["HPIX_32"].mask.sum() > 1000  # TNULL -> masked, not -9999
    assert table["TILENAME"].mask.sum() > 1000  # empty -> masked
    assert table.meta["QUERY"] == QUERY.replace("\n", " ")
    assert table.meta["RELEASE"] == "DEMO DR1"
    assert table.meta["SLVERS"] == __version__
    assert table.meta["DATE"] == "2026-11-02T12:30:05"
    assert table.meta["EXTNAME"] == "RESULT"

    with fits.open(written.path) as hdus:
        hdus.verify("exception")
        header = hdus[1].header
        index = table.colnames.index("RA") + 1
        assert header[f"TCOMM{index}"] == metadata.columns["RA"].description
        assert header[f"TUCD{index}"] == "pos.eq.ra;meta.main"
        assert header.comments[f"TTYPE{index}"] in metadata.columns["RA"].description


def test_fits_opens_in_cfitsio(catalog: Path, metadata: ResultMetadata, tmp_path: Path) -> None:
    import fitsio

    plain = write(catalog, tmp_path, "fits", None, metadata)
    gzipped = write(catalog, tmp_path, "fits", "gzip", metadata)
    for written in (plain, gzipped):
        data, header = fitsio.read(str(written.path), ext=1, header=True)
        assert len(data) == written.rows
        assert header["QUERY"] == QUERY.replace("\n", " ")
        assert data["MAG_AUTO_G"].dtype == np.dtype(">f4")
    with gzip.open(gzipped.path) as unzipped:
        assert unzipped.read() == plain.path.read_bytes()


def test_hdf5_layout(
    catalog: Path, metadata: ResultMetadata, expected: pa.Table, tmp_path: Path
) -> None:
    written = write(catalog, tmp_path, "hdf5", "gzip", metadata)

    with h5py.File(written.path, "r") as file:
        assert file.attrs["query"] == QUERY
        assert file.attrs["release"] == "DEMO DR1"
        assert file.attrs["surveylab_version"] == __version__
        assert file.attrs["created"] == "2026-11-02T12:30:05+00:00"
        assert file.attrs["rows"] == expected.num_rows
        assert list(file["data"]) == expected.column_names  # in column order
        # masks only for non-float columns that hold NULLs; float NULLs are NaN
        assert sorted(file["mask"]) == ["FLAGS_G", "HPIX_32", "TILENAME"]
        ra = file["data"]["RA"]
        assert ra.attrs["unit"] == "deg" and ra.attrs["ucd"] == "pos.eq.ra;meta.main"
        assert ra.attrs["description"] == metadata.columns["RA"].description
        assert ra.compression == "gzip" and ra.maxshape == (None,)
        assert file["data"]["MAG_AUTO_G"].dtype == np.float32
        assert h5py.check_string_dtype(file["data"]["TILENAME"].dtype).encoding == "utf-8"

    table = read_hdf5(written.path)
    assert table.equals(expected)
    assert table.schema.field("RA").metadata[b"unit"] == b"deg"
    assert table.schema.metadata[b"query"] == QUERY.encode()


def test_parquet_metadata(catalog: Path, metadata: ResultMetadata, tmp_path: Path) -> None:
    written = write(catalog, tmp_path, "parquet", "zstd", metadata)
    parquet = pq.ParquetFile(written.path)

    schema = parquet.schema_arrow
    assert schema.metadata[b"query"] == QUERY.encode()
    assert schema.metadata[b"release"] == b"DEMO DR1"
    assert schema.metadata[b"surveylab_version"] == __version__.encode()
    assert schema.metadata[b"created"] == b"2026-11-02T12:30:05+00:00"
    assert schema.field("MAG_AUTO_G").metadata[b"unit"] == b"mag"
    assert schema.field("MAG_AUTO_G").type == pa.float32()
    assert (
        schema.field("RA").metadata[b"description"] == metadata.columns["RA"].description.encode()
    )
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"


@pytest.mark.parametrize("compression", COMPRESSIONS["csv"], ids=["none", "gzip"])
def test_csv_reads_in_pandas(
    catalog: Path,
    metadata: ResultMetadata,
    expected: pa.Table,
    tmp_path: Path,
    compression: str | None,
) -> None:
    written = write(catalog, tmp_path, "csv", compression, metadata)
    frame = pd.read_csv(written.path, keep_default_na=False, na_values=[""])

    assert list(frame.columns) == expected.column_names
    assert len(frame) == expected.num_rows
    for name in ("RA", "HPIX_32", "MAG_AUTO_G", "FLAGS_G"):
        assert int(frame[name].isna().sum()) == expected[name].null_count, name
    np.testing.assert_array_equal(frame["DEC"].to_numpy(), expected["DEC"].to_numpy())
    np.testing.assert_array_equal(
        frame["MAG_AUTO_I"].to_numpy().astype(np.float32), expected["MAG_AUTO_I"].to_numpy()
    )


# --- failures leave nothing behind ----------------------------------------------------------


def cancelled_after(reader: pa.RecordBatchReader, batches: int) -> Iterator[pa.RecordBatch]:
    """The first ``batches`` batches of ``reader``, then the error of a cancelled query."""
    for index, batch in enumerate(reader):
        if index == batches:
            raise QueryCancelledError("the query was cancelled")
        yield batch


@pytest.mark.parametrize(("format", "compression"), CASES)
def test_failing_batches_leave_no_file(
    catalog: Path, metadata: ResultMetadata, tmp_path: Path, format: str, compression: str | None
) -> None:
    path = tmp_path / result_filename("result", format, compression)
    path.write_bytes(b"an earlier result")
    reader = stream(catalog)

    with pytest.raises(QueryCancelledError):
        write_result(
            cancelled_after(reader, 2),
            reader.schema,
            path,
            format=format,
            compression=compression,
            metadata=metadata,
        )

    assert path.read_bytes() == b"an earlier result"  # untouched
    assert leftovers(tmp_path) == []


def test_failing_progress_callback_leaves_no_file(
    catalog: Path, metadata: ResultMetadata, tmp_path: Path
) -> None:
    def progress(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write(catalog, tmp_path, "fits", "gzip", metadata, progress=progress)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("format", "compression", "message"),
    [
        pytest.param(
            "xlsx",
            None,
            "unknown result format 'xlsx': choose one of csv, fits, hdf5, parquet, votable",
            id="format",
        ),
        pytest.param("", None, "unknown result format", id="empty-format"),
        pytest.param(
            "csv",
            "zstd",
            "compression 'zstd' is not available for csv: choose none or gzip",
            id="csv-zstd",
        ),
        pytest.param(
            "fits", "rice", "astropy cannot read tile-compressed FITS tables", id="fits-rice"
        ),
        pytest.param("hdf5", "snappy", "choose none or gzip or lzf", id="hdf5-snappy"),
        pytest.param("parquet", "lz4", "choose none or snappy or zstd or gzip", id="parquet-lz4"),
        pytest.param("parquet", 3, "must be a string or null", id="not-a-string"),
    ],
)
def test_unknown_format_or_compression_is_refused(
    tmp_path: Path, format: str, compression: Any, message: str
) -> None:
    with pytest.raises(SurveylabError, match=message):
        validate_format(format, compression)
    table = pa.table({"A": [1]})
    with pytest.raises(SurveylabError, match=message):
        write_result(
            table.to_batches(),
            table.schema,
            tmp_path / "x",
            format=format,
            compression=compression,
            metadata=ResultMetadata("SELECT 1", "DEMO DR1"),
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("format", "compression", "canonical"),
    [
        pytest.param("FITS", "none", ("fits", None), id="fits"),
        pytest.param(" h5 ", "GZIP", ("hdf5", "gzip"), id="h5"),
        pytest.param("csv", "", ("csv", None), id="csv"),
        pytest.param("parquet", "Zstd", ("parquet", "zstd"), id="parquet"),
    ],
)
def test_validate_format_canonical_names(
    format: str, compression: str, canonical: tuple[str, str | None]
) -> None:
    assert validate_format(format, compression) == canonical


@pytest.mark.parametrize(
    ("format", "compression", "name"),
    [
        pytest.param("csv", None, "m2.csv", id="csv"),
        pytest.param("csv", "gzip", "m2.csv.gz", id="csv-gzip"),
        pytest.param("fits", None, "m2.fits", id="fits"),
        pytest.param("fits", "gzip", "m2.fits.gz", id="fits-gzip"),
        pytest.param("hdf5", "lzf", "m2.h5", id="hdf5-lzf"),
        pytest.param("parquet", "gzip", "m2.parquet", id="parquet-gzip"),
    ],
)
def test_result_filename(format: str, compression: str | None, name: str) -> None:
    assert result_filename("m2", format, compression) == name


@pytest.mark.parametrize("stem", ["", "..", "a/b", "../x"])
def test_result_filename_refuses_paths(stem: str) -> None:
    with pytest.raises(SurveylabError, match="not a file name"):
        result_filename(stem, "csv", None)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        pytest.param(
            ["ra", "RA"],
            "two columns named 'ra' and 'RA': give each column a distinct alias",
            id="repeated",
        ),
        pytest.param(["RA", ""], "has no name", id="unnamed"),
    ],
)
@pytest.mark.parametrize("format", FORMATS)
def test_bad_column_names_are_refused(
    tmp_path: Path, names: list[str], message: str, format: str
) -> None:
    table = pa.table([pa.array([1]), pa.array([2])], names=names)
    with pytest.raises(SurveylabError, match=message):
        write_result(
            table.to_batches(),
            table.schema,
            tmp_path / "x",
            format=format,
            metadata=ResultMetadata("SELECT 1", "DEMO DR1"),
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("format", ["csv", "fits", "hdf5"])
def test_nested_columns_are_refused_with_a_hint(tmp_path: Path, format: str) -> None:
    table = pa.table({"BANDS": pa.array([[1, 2]], pa.list_(pa.int32()))})
    with pytest.raises(UnsupportedColumnError, match="parquet"):
        write_result(
            table.to_batches(),
            table.schema,
            tmp_path / "x",
            format=format,
            metadata=ResultMetadata("SELECT 1", "DEMO DR1"),
        )
    assert list(tmp_path.iterdir()) == []


# --- progress, and values that arrive late --------------------------------------------------


@pytest.mark.parametrize("format", FORMATS)
def test_progress_reports_increasing_row_counts(
    catalog: Path, metadata: ResultMetadata, expected: pa.Table, tmp_path: Path, format: str
) -> None:
    seen: list[int] = []
    write(catalog, tmp_path, format, None, metadata, progress=seen.append)

    assert len(seen) == -(-expected.num_rows // 10_000)  # once per batch
    assert seen == sorted(set(seen)) and seen[0] == 10_000
    assert seen[-1] == expected.num_rows


def test_fits_string_columns_widen_when_longer_values_come_later(tmp_path: Path) -> None:
    names = ["a", "bb", None, "", "ccc" * 30, "d", "é-ünïcode"]
    ids = list(range(len(names)))
    table = pa.table({"ID": ids, "NAME": names, "NUM": [float(i) for i in ids]})
    metadata = ResultMetadata("SELECT 1", "DEMO DR1")
    path = tmp_path / "widths.fits"

    write_result(
        table.to_batches(max_chunksize=2), table.schema, path, format="fits", metadata=metadata
    )

    back = Table.read(path)
    assert [
        None if m else str(v) for v, m in zip(back["NAME"], back["NAME"].mask, strict=True)
    ] == [
        n or None
        for n in names  # "" and NULL both read as masked empty strings
    ]
    assert list(back["ID"]) == ids and list(back["NUM"]) == [float(i) for i in ids]
    assert back["NAME"].dtype.itemsize >= len("ccc" * 30)
    assert leftovers(tmp_path) == []


def masked_list(column: Any) -> list[Any]:
    """An astropy column as a list, masked values as None."""
    mask = getattr(column, "mask", np.zeros(len(column), bool))
    return [None if m else v for v, m in zip(column.tolist(), mask, strict=True)]


TYPED = pa.table(
    {
        "FLAG": pa.array([True, None, False]),
        "TINY": pa.array([-128, None, 127], pa.int8()),
        "BYTE": pa.array([255, None, 0], pa.uint8()),
        "U32": pa.array([4_000_000_000, None, 0], pa.uint32()),
        "DEC": pa.array(
            [decimal.Decimal("1.25"), None, decimal.Decimal("-2.5")], pa.decimal128(5, 2)
        ),
        "WHEN": pa.array(
            [dt.datetime(2026, 1, 2, 3, 4, 5), None, dt.datetime(2000, 1, 1)], pa.timestamp("us")
        ),
        "HALF": pa.array([1.5, None, -2.0], pa.float16()),
        "BAND": pa.array(["g", None, "r"]).dictionary_encode(),
        "LONG": pa.array(["x", None, "yz"], pa.large_string()),
        "NOTHING": pa.nulls(3),
    }
)


@pytest.mark.parametrize("format", ["fits", "hdf5"])
def test_numpy_formats_store_other_arrow_types(tmp_path: Path, format: str) -> None:
    path = tmp_path / result_filename("typed", format, None)
    write_result(
        TYPED.to_batches(),
        TYPED.schema,
        path,
        format=format,
        metadata=ResultMetadata("SELECT 1", "X"),
    )

    if format == "fits":
        # the file holds the FITS NULL logical (a zero byte); astropy reads it as False, and says so
        with pytest.warns(AstropyUserWarning, match="'FLAG' contains NULL"):
            back = Table.read(path)
            values = {name: masked_list(back[name]) for name in back.colnames}
        assert values["FLAG"] == [True, False, False]
    else:
        table = read_hdf5(path)
        values = {name: table[name].to_pylist() for name in table.column_names}
        assert values["FLAG"] == [True, None, False]
    assert values["TINY"] == [-128, None, 127]
    assert values["BYTE"] == [255, None, 0]
    assert values["U32"] == [4_000_000_000, None, 0]
    assert values["DEC"] == [1.25, None, -2.5]
    assert values["WHEN"] == ["2026-01-02 03:04:05.000000", None, "2000-01-01 00:00:00.000000"]
    assert values["HALF"] == [1.5, None, -2.0]
    assert values["BAND"] == ["g", None, "r"]
    assert values["LONG"] == ["x", None, "yz"]
    assert values["NOTHING"] == [None, None, None]


@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_text_and_parquet_keep_other_arrow_types(tmp_path: Path, format: str) -> None:
    path = tmp_path / result_filename("typed", format, None)
    write_result(
        TYPED.to_batches(),
        TYPED.schema,
        path,
        format=format,
        metadata=ResultMetadata("SELECT 1", "X"),
    )

    if format == "parquet":
        assert pq.read_table(path).equals(TYPED)
    else:
        with path.open(newline="") as text:
            rows = list(csv.reader(text))
        assert rows[0] == TYPED.column_names
        assert rows[1] == [
            "true",
            "-128",
            "255",
            "4000000000",
            "1.25",
            "2026-01-02 03:04:05.000000",
            "1.5",
            "g",
            "x",
            "",
        ]
        assert rows[2] == [""] * 10


def test_fits_integer_equal_to_its_null_sentinel_widens_the_column(tmp_path: Path) -> None:
    # the sentinel of int16 is -32768: it arrives in the second batch, after NULLs were written
    values = [1, None, 3, -32768, None, 6]
    table = pa.table({"FLAGS": pa.array(values, pa.int16()), "N": pa.array(values, pa.int32())})
    path = tmp_path / "sentinel.fits"

    write_result(
        table.to_batches(max_chunksize=3),
        table.schema,
        path,
        format="fits",
        metadata=ResultMetadata("SELECT 1", "DEMO DR1"),
    )

    back = Table.read(path)
    assert masked_list(back["FLAGS"]) == values
    assert masked_list(back["N"]) == values
    assert back["FLAGS"].dtype.type is np.int32  # widened: -32768 is a value, not NULL
    assert back["N"].dtype.type is np.int32  # -32768 is no sentinel of int32


def test_fits_refuses_an_int64_equal_to_its_null_sentinel(tmp_path: Path) -> None:
    table = pa.table({"ID": pa.array([1, None, -(2**63)], pa.int64())})
    with pytest.raises(UnsupportedColumnError, match="'ID' holds -9223372036854775808"):
        write_result(
            table.to_batches(),
            table.schema,
            tmp_path / "x.fits",
            format="fits",
            metadata=ResultMetadata("SELECT 1", "DEMO DR1"),
        )
    assert list(tmp_path.iterdir()) == []


# --- a result that repeats a column name -----------------------------------------------------

#: A self-join, as a cross-match writes it: RA, DEC and a computed column on both sides.
SELF_JOIN = (
    "SELECT a.COADD_OBJECT_ID, a.RA, a.DEC, b.RA, b.DEC, a.RA - b.RA AS ra, 1 AS dec "
    "FROM DR1_MAIN a JOIN DR1_MAIN b ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID "
    "ORDER BY a.COADD_OBJECT_ID"
)
#: Its columns as every file names them, and the name each had in the query.
SELF_JOIN_NAMES = ["COADD_OBJECT_ID", "RA", "DEC", "RA_2", "DEC_2", "ra_3", "dec_3"]
SELF_JOIN_ORIGINALS = ["COADD_OBJECT_ID", "RA", "DEC", "RA", "DEC", "ra", "dec"]


def read_names(path: Path, format: str) -> list[str]:
    """The column names of a result file, as the format's own reader sees them."""
    if format == "csv":
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", newline="") as text:
            return next(csv.reader(text))
    if format in ("fits", "votable"):
        return list(Table.read(path).colnames)
    if format == "hdf5":
        with h5py.File(path, "r") as file:
            return [str(name) for name in file.attrs["columns"]]
    return list(pq.read_schema(path).names)


@pytest.mark.parametrize(("format", "compression"), CASES)
def test_a_query_that_repeats_a_column_name_writes_unique_names(
    catalog: Path, metadata: ResultMetadata, tmp_path: Path, format: str, compression: str | None
) -> None:
    duck = DuckDBCatalog(catalog)
    with duck.execute(SELF_JOIN, batch_rows=5_000) as handle:
        written = write_result(
            handle.batches(),
            handle.schema,
            tmp_path / result_filename("pairs", format, compression),
            format=format,
            compression=compression,
            metadata=metadata,
        )
    duck.close()
    assert written.rows > 20_000
    assert read_names(written.path, format) == SELF_JOIN_NAMES
    if format == "hdf5":
        table = read_hdf5(written.path)
        assert table["RA_2"].equals(table["RA"])
        assert table.schema.field("RA_2").metadata[b"original_name"] == b"RA"
        assert "RA renamed RA_2" in table.schema.field("RA_2").metadata[b"description"].decode()
        assert table.schema.field("RA_2").metadata[b"unit"] == b"deg"
    if format == "parquet":
        schema = pq.read_schema(written.path)
        originals = [(f.metadata or {}).get(b"original_name", f.name.encode()) for f in schema]
        assert [name.decode() for name in originals] == SELF_JOIN_ORIGINALS
        assert schema.field("DEC_2").metadata[b"unit"] == b"deg"
        assert b"DEC renamed DEC_2" in schema.field("DEC_2").metadata[b"description"]
    if format == "fits":
        header = fits.getheader(written.path, 1)
        assert header["TTYPE4"] == "RA_2"
        assert header["TUNIT4"] == "deg"
        assert "RA renamed RA_2" in header["TCOMM4"]
        table = Table.read(written.path)
        assert np.array_equal(table["RA_2"], table["RA"])

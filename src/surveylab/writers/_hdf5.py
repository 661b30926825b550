"""HDF5 (h5py): one resizable, chunked dataset per column, grown batch by batch.

Layout of a result file::

    /                 attributes: query, release, surveylab_version, created (ISO 8601, UTC),
                      columns (the column names, in order), rows
    /data/<COLUMN>    one 1-D dataset per column, in column order; attributes unit, ucd,
                      description (empty when unknown), and original_name for a column
                      renamed because the query repeats its name
    /mask/<COLUMN>    boolean, True where the value is NULL; only for non-float columns that
                      hold a NULL (a float NULL is NaN)

Strings are variable-length UTF-8. In ``/data``, an integer or boolean NULL is stored as 0 or
False and a string NULL as ``""``, with the mask saying which they are. A column name holding
``/`` or ``%`` is percent-encoded in the dataset name (the ``columns`` attribute has the real
names). ``compression`` is ``"gzip"`` (level 1) or ``"lzf"``, with the byte-shuffle filter on
numeric columns; HDF5 does not compress the bytes of variable-length strings.

pandas' ``read_hdf`` reads only files laid out by PyTables, so read these with h5py, or with
:func:`read_hdf5` (an Arrow table with NULLs, units and descriptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..results import original_name
from ._base import GZIP_LEVEL, ResultMetadata, UnsupportedColumnError, plain_array, plain_type

__all__ = ["Hdf5Sink", "dataset_name", "read_hdf5"]

#: Rows per chunk at most; fewer when the first batch is smaller, so small results stay small.
CHUNK_ROWS = 65_536
#: Rows per chunk at least.
MIN_CHUNK_ROWS = 4_096


def dataset_name(column: str) -> str:
    """The dataset name of ``column``: ``%`` and ``/`` percent-encoded, ``.`` as ``%2E``."""
    name = column.replace("%", "%25").replace("/", "%2F")
    return "%2E" if name == "." else name


class Hdf5Sink:
    """Writes one HDF5 result file (see the module's description of the layout)."""

    def __init__(
        self, path: Path, schema: pa.Schema, compression: str | None, metadata: ResultMetadata
    ) -> None:
        import h5py  # type: ignore[import-untyped, unused-ignore]  # no type hints

        self._h5py = h5py
        self._stored = [plain_type(field_, "HDF5") for field_ in schema]
        self._schema = schema
        self._metadata = metadata
        self._compression = compression
        self._rows = 0
        self._file = h5py.File(path, "w")
        self._file.attrs.update(metadata.as_strings())
        self._file.attrs["columns"] = np.array(schema.names, dtype=h5py.string_dtype())
        self._data = self._file.create_group("data", track_order=True)
        self._masks = self._file.create_group("mask", track_order=True)
        self._datasets: list[Any] = []
        self._mask_datasets: dict[int, Any] = {}
        self._chunk = CHUNK_ROWS

    def _create_datasets(self, first_rows: int) -> None:
        """One empty resizable dataset per column, chunked to the first batch's size."""
        self._chunk = min(CHUNK_ROWS, max(MIN_CHUNK_ROWS, first_rows))
        for field_, stored in zip(self._schema, self._stored, strict=True):
            numeric = not (pa.types.is_string(stored) or pa.types.is_large_string(stored))
            dtype = np.dtype(stored.to_pandas_dtype()) if numeric else self._h5py.string_dtype()
            dataset = self._data.create_dataset(
                dataset_name(field_.name),
                dtype=dtype,
                shuffle=bool(self._compression) and numeric,
                **self._layout(dtype),
            )
            info = self._metadata.column(field_)
            dataset.attrs["unit"] = info.unit if info else ""
            dataset.attrs["ucd"] = info.ucd if info else ""
            dataset.attrs["description"] = info.description if info else ""
            if original_name(field_) != field_.name:
                dataset.attrs["original_name"] = original_name(field_)
            self._datasets.append(dataset)

    def _layout(self, dtype: np.dtype) -> dict[str, Any]:
        """Creation options shared by data and mask datasets: resizable, chunked, compressed,
        and a chunk cache of one chunk. (HDF5 2.0 caches 8 MB per dataset by default: 240 MB
        for 30 columns, for nothing, as each chunk is written once.)"""
        return {
            "shape": (0,),
            "maxshape": (None,),
            "chunks": (self._chunk,),
            "compression": self._compression,
            "compression_opts": GZIP_LEVEL if self._compression == "gzip" else None,
            # a variable-length string is a 16-byte heap reference in a chunk
            "rdcc_nbytes": self._chunk * (16 if dtype.kind == "O" else dtype.itemsize) + 4096,
        }

    def write(self, batch: pa.RecordBatch) -> None:
        """Grow every dataset by the rows of ``batch`` and write them."""
        if not self._datasets:
            if not batch.num_rows:
                return
            self._create_datasets(batch.num_rows)
        start, self._rows = self._rows, self._rows + batch.num_rows
        for i, (dataset, stored) in enumerate(zip(self._datasets, self._stored, strict=True)):
            try:
                array = plain_array(batch.column(i), stored)
            except pa.ArrowInvalid as err:
                raise UnsupportedColumnError(f"column {dataset.name!r}: {err}") from err
            dataset.resize((self._rows,))
            dataset[start:] = self._values(array)
            if array.null_count and not pa.types.is_floating(stored):
                self._mask(i)[start:] = array.is_null().to_numpy(zero_copy_only=False)
            elif i in self._mask_datasets:
                self._mask_datasets[i].resize((self._rows,))  # new rows read as False

    @staticmethod
    def _values(array: pa.Array) -> np.ndarray:
        """The numpy values of ``array``, NULLs replaced (float NaN, 0, False or "")."""
        if array.null_count and not pa.types.is_floating(array.type):
            if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
                array = pc.fill_null(array, "")
            else:
                array = pc.fill_null(array, pa.scalar(0).cast(array.type))
        values: np.ndarray = array.to_numpy(zero_copy_only=False)
        return values

    def _mask(self, column: int) -> Any:
        """The mask dataset of ``column``, created (all False so far) on its first NULL."""
        mask = self._mask_datasets.get(column)
        if mask is None:
            dataset = self._datasets[column]
            layout = {**self._layout(np.dtype(bool)), "shape": (self._rows,)}
            mask = self._masks.create_dataset(
                dataset.name.rsplit("/", 1)[1], dtype=bool, fillvalue=False, **layout
            )
            self._mask_datasets[column] = mask
        else:
            mask.resize((self._rows,))
        return mask

    def finish(self) -> None:
        """Record the row count and close the file."""
        if not self._datasets:
            self._create_datasets(0)
        self._file.attrs["rows"] = self._rows
        self._file.close()

    def abort(self) -> None:
        """Close the file."""
        self._file.close()


def read_hdf5(path: Path | str) -> pa.Table:
    """Read a result file written by :func:`~surveylab.writers.write_result` back into Arrow.

    Parameters
    ----------
    path : Path or str
        An ``.h5`` result file.

    Returns
    -------
    pyarrow.Table
        The columns in their order, NULLs restored from the masks (float NULLs are NaN, read
        as NULL), units, UCDs and descriptions as field metadata, and the file's attributes
        (query, release, surveylab_version, created) as schema metadata. The whole table is
        read into memory.
    """
    import h5py  # type: ignore[import-untyped, unused-ignore]  # no type hints

    with h5py.File(path, "r") as file:
        columns = [str(name) for name in file.attrs["columns"]]
        fields, arrays = [], []
        for name in columns:
            dataset = file["data"][dataset_name(name)]
            if h5py.check_string_dtype(dataset.dtype):
                values: np.ndarray = dataset.asstr()[()]
            else:
                values = dataset[()]
            mask_dataset = file["mask"].get(dataset_name(name))
            if mask_dataset is not None:
                mask: np.ndarray | None = mask_dataset[()]
            else:
                mask = np.isnan(values) if values.dtype.kind == "f" else None
            arrays.append(
                pa.array(values, mask=mask, type=pa.string() if values.dtype == object else None)
            )
            attrs = {key: str(dataset.attrs.get(key, "")) for key in ("unit", "ucd", "description")}
            if "original_name" in dataset.attrs:
                attrs["original_name"] = str(dataset.attrs["original_name"])
            fields.append(pa.field(name, arrays[-1].type, metadata=attrs))
        metadata = {
            key: str(file.attrs[key])
            for key in ("query", "release", "surveylab_version", "created")
            if key in file.attrs
        }
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata))

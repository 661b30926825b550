"""Reading an uploaded file (CSV, tab-separated, FITS, Parquet) into an Arrow table, and the
rules for the names of user tables and their columns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import SurveylabError

__all__ = [
    "UPLOAD_FORMATS",
    "UserTableError",
    "check_table_name",
    "clean_column_names",
    "default_table_name",
    "read_table_file",
]

#: File endings that can be uploaded, and how each is read.
UPLOAD_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tab": "tab",
    ".tsv": "tab",
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: A table name: a letter, then letters, digits or underscores (PostgreSQL's 63-byte limit).
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]+")


class UserTableError(SurveylabError):
    """An upload or a user table that cannot be used; the message says what and where."""


def check_table_name(name: str, taken: Iterable[str] = ()) -> str:
    """``name`` in upper case if it can name a user table; else a clear error.

    ``taken`` are the release's table names, which a user table may not hide.

    Examples
    --------
    >>> check_table_name("my_stars")
    'MY_STARS'
    >>> check_table_name("../etc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surveylab.usertables.files.UserTableError: '../etc' cannot name a table: ...
    """
    if not _TABLE_NAME.match(name):
        raise UserTableError(
            f"{name!r} cannot name a table: use a letter, then letters, digits or '_' "
            "(at most 63 characters)"
        )
    upper = name.upper()
    if upper in {t.upper() for t in taken}:
        raise UserTableError(f"{upper} is a table of the release: choose another name")
    return upper


def default_table_name(path: Path) -> str:
    """A table name from a file name: ``my-stars.fits.gz`` -> ``MY_STARS``."""
    stem = path.name
    for ending in sorted(UPLOAD_FORMATS, key=len, reverse=True):
        if stem.lower().endswith(ending):
            stem = stem[: -len(ending)]
            break
    name = _NOT_WORD.sub("_", stem).strip("_").upper()
    if not name or not name[0].isalpha():
        name = f"T_{name}" if name else "MYTABLE"
    return name[:63]


def clean_column_names(names: Iterable[str]) -> list[str]:
    """Column names usable unquoted in SQL: other characters become ``_``; repeats refused."""
    cleaned: list[str] = []
    seen: dict[str, str] = {}
    for index, name in enumerate(names, start=1):
        clean = _NOT_WORD.sub("_", str(name)).strip("_") or f"COL{index}"
        if not clean[0].isalpha():
            clean = f"C_{clean}"
        clean = clean[:63]
        if clean.upper() in seen:
            raise UserTableError(
                f"columns {seen[clean.upper()]!r} and {name!r} have the same name "
                f"({clean.upper()}) in SQL: rename one in the file"
            )
        seen[clean.upper()] = str(name)
        cleaned.append(clean)
    return cleaned


def _format_of(path: Path) -> str:
    lower = path.name.lower()
    for ending in sorted(UPLOAD_FORMATS, key=len, reverse=True):
        if lower.endswith(ending):
            return UPLOAD_FORMATS[ending]
    raise UserTableError(
        f"cannot upload {path.name!r}: the file name must end with {', '.join(UPLOAD_FORMATS)}"
    )


def read_table_file(path: Path) -> pa.Table:
    """The rows of the CSV, tab-separated, FITS or Parquet file at ``path``.

    Column names are cleaned (:func:`clean_column_names`); empty CSV fields and masked FITS
    values become NULL.

    Raises
    ------
    UserTableError
        The file is missing, of an unknown kind, malformed, empty, or has a column SQL cannot
        hold (e.g. a FITS array column); the message names the file.
    """
    format = _format_of(path)
    if not path.is_file():
        raise UserTableError(f"no file {str(path)!r}")
    try:
        if format in ("csv", "tab"):
            import pyarrow.csv as pacsv

            parse = pacsv.ParseOptions(delimiter="," if format == "csv" else "\t")
            table = pacsv.read_csv(path, parse_options=parse)
        elif format == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            table = _read_fits(path)
    except UserTableError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError) as err:
        raise UserTableError(f"cannot read {path.name}: {err}") from None
    if table.num_columns == 0:
        raise UserTableError(f"{path.name} has no columns")
    for field in table.schema:
        kind = field.type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            raise UserTableError(
                f"column {field.name!r} of {path.name} has type {kind}, which a table cannot "
                "hold here: keep numbers, text, booleans, dates and times"
            )
    return table.rename_columns(clean_column_names(table.column_names))


def _read_fits(path: Path) -> pa.Table:
    """The first table HDU of a FITS file, NULLs from masks."""
    from astropy.table import Table

    data = Table.read(path)
    arrays = []
    for name in data.colnames:
        column = data[name]
        if column.ndim > 1:
            raise UserTableError(
                f"column {name!r} of {path.name} holds arrays ({column.shape[1:]} per row): "
                "only one value per row can be uploaded"
            )
        values = np.asarray(column)
        mask = np.asarray(column.mask) if hasattr(column, "mask") else None
        if values.dtype.kind == "S":
            values = np.char.decode(values, "ascii", "replace")
        if values.dtype.byteorder not in ("=", "|"):
            values = values.astype(values.dtype.newbyteorder("="))
        arrays.append(pa.array(values, mask=mask if mask is not None and mask.any() else None))
    return pa.table(arrays, names=data.colnames)

"""Text for the screen: results as aligned tables (or CSV/tab lines) and syntax errors with a
caret under the place they point at."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SQLSyntaxError

__all__ = ["caret_lines", "render_rows", "render_table"]


def _cells(column: pa.ChunkedArray | pa.Array, null: str) -> list[str]:
    """Each value as text (floats in their shortest round-trip form, per their precision)."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    elif pa.types.is_boolean(kind):
        text = pc.if_else(column, "true", "false")
    else:
        try:
            text = pc.cast(column, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return [null if value is None else str(value) for value in column.to_pylist()]
    return [null if value is None else value for value in text.to_pylist()]


def _numeric(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    )


def render_table(data: pa.Table, *, null: str = "NULL", format: str = "table") -> str:
    """``data`` as text: an aligned table (numbers to the right), or CSV / tab-separated lines.

    Examples
    --------
    >>> print(render_table(pa.table({"RA": [1.5, None], "TILE": ["DES0001", "X"]})))
      RA TILE
    ---- -------
     1.5 DES0001
    NULL X
    """
    columns = [_cells(column, null) for column in data.columns]
    rows = list(zip(*columns, strict=True)) if columns else []
    return render_rows(
        data.column_names, rows, [_numeric(f.type) for f in data.schema], format=format
    )


def render_rows(
    names: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[bool] | None = None,
    *,
    format: str = "table",
) -> str:
    """Rows of text under ``names``: aligned (``right`` columns to the right), CSV or tab."""
    if format in ("csv", "tab"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if format == "csv" else "\t", lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    right = right or [False] * len(names)
    widths = [len(name) for name in names]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if is_right else cell.ljust(width)
            for cell, width, is_right in zip(cells, widths, right, strict=True)
        ]
        return " ".join(parts).rstrip()

    head = [
        name.rjust(w) if r else name.ljust(w)
        for name, w, r in zip(names, widths, right, strict=True)
    ]
    lines = [" ".join(head).rstrip(), " ".join("-" * width for width in widths)]
    lines.extend(line(row) for row in rows)
    return "\n".join(lines)


def caret_lines(text: str, error: SQLSyntaxError) -> list[str]:
    """The line of ``text`` the error points at, and a caret under its column."""
    if error.line is None or error.column is None:
        return []
    lines = text.splitlines() or [""]
    if not 1 <= error.line <= len(lines):
        return []
    source = lines[error.line - 1].expandtabs(1)
    return [f"  {source}", "  " + " " * (error.column - 1) + "^"]

"""``SELECT ...; > out.fits``: the full result into a file, through the query service's
streaming writers (:func:`surveylab.writers.write_result`), with progress.

The file's folder is checked before the query runs, so a path that cannot be written costs
no query time; the writers write under a hidden temporary name and rename at the end, so an
existing file is replaced only by a complete one and a failed export leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import SurveylabError
from ..sql import PreparedQuery
from ..survey import Survey
from ..writers import WrittenFile, remove_quietly, scratch_path, write_result
from .parse import Export
from .running import CancelScope

__all__ = ["EXPORT_BATCH_ROWS", "ExportError", "check_writable", "export_result"]

#: Rows per batch while exporting: progress is reported after each.
EXPORT_BATCH_ROWS = 50_000


class ExportError(SurveylabError):
    """The result file cannot be written where asked."""


def check_writable(path: Path) -> None:
    """Fail now, before any query, if a file cannot be created beside ``path``."""
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    probe = scratch_path(path)
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror}") from None
    os.close(fd)
    remove_quietly(probe)


def _write_tab(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    path: Path,
    progress: Callable[[int], None],
) -> WrittenFile:
    """Tab-separated text, easyaccess's ``.tab``: a header line, NULL as an empty field."""
    temporary = scratch_path(path)
    rows = 0
    options = pacsv.WriteOptions(delimiter="\t", quoting_style="none")
    try:
        with pacsv.CSVWriter(str(temporary), schema, write_options=options) as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
                progress(rows)
        temporary.replace(path)
    except pa.ArrowInvalid as err:
        remove_quietly(temporary)
        raise ExportError(f"cannot write {path.name} as tab-separated text: {err}") from None
    except BaseException:
        remove_quietly(temporary)
        raise
    return WrittenFile(path, "tab", None, rows, path.stat().st_size)


def export_result(
    survey: Survey,
    prepared: PreparedQuery,
    target: Export,
    scope: CancelScope,
    *,
    timeout: float | None,
    progress: Callable[[int], None],
) -> WrittenFile:
    """Run ``prepared`` and stream every row into ``target.path``; see the module's notes."""
    path = Path(target.path).expanduser().absolute()
    metadata = survey.result_metadata(prepared)
    with survey.catalog.execute(
        prepared.sql, timeout=timeout, batch_rows=EXPORT_BATCH_ROWS
    ) as handle:
        scope.on_cancel(handle.cancel)
        if target.format == "tab":
            return _write_tab(handle.batches(), handle.schema, path, progress)
        try:
            return write_result(
                handle.batches(),
                handle.schema,
                path,
                format=target.format,
                compression=target.compression,
                metadata=metadata,
                progress=progress,
            )
        except OSError as err:
            raise ExportError(f"cannot write {path}: {err.strerror or err}") from None

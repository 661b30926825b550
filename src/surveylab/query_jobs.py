"""The ``query`` job: run a query and write its full result into the job's folder.

The work function sees only a :class:`QuerySource` (a catalog, the release's name and column
metadata, a query checker), not the whole :class:`~surveylab.Survey`: the survey builds the job
runner and hands itself in as the source, so imports go one way, survey → query job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from .metrics import observe_query
from .results import CappedBatches, original_name
from .writers import ResultMetadata, result_filename, validate_format, write_result

if TYPE_CHECKING:
    import pyarrow as pa

    from .catalog import Catalog
    from .jobs import JobContext
    from .sql import PreparedQuery

__all__ = ["QUERY_JOB", "QuerySource", "query_work", "upload_input"]

#: The job type name of query jobs.
QUERY_JOB = "query"

#: Formats the engines' own bulk export (DuckDB COPY, PostgreSQL COPY) can write.
BULK_FORMATS = ("csv", "parquet")


class QuerySource(Protocol):
    """What a query job needs of the release (a :class:`~surveylab.Survey` is one)."""

    @property
    def catalog(self) -> Catalog:
        """The catalog backend the query runs on."""
        ...

    @property
    def release(self) -> str:
        """The release's name, written into the result file."""
        ...

    def result_metadata(self, prepared: PreparedQuery) -> ResultMetadata:
        """What a result file of ``prepared`` records: the query, the release, the version, the
        time and the columns' units, UCDs and descriptions."""
        ...

    def check(
        self, sql: str, *, lang: str = "SQL", uploads: Mapping[str, pa.Table] | None = None
    ) -> PreparedQuery:
        """``sql`` (in ``lang``: ``SQL`` or ``ADQL``) parsed and translated to the catalog's
        dialect, ``uploads`` joined as ``TAP_UPLOAD.<name>`` tables."""
        ...


def upload_input(table: str) -> str:
    """The name of the job input file holding upload ``table`` (Parquet)."""
    return f"upload-{table.upper()}.parquet"


def _uploads(context: JobContext) -> dict[str, pa.Table]:
    """The tables uploaded with the job (a TAP query's ``UPLOAD``), by name."""
    import pyarrow.parquet as pq

    names = context.job.parameters.get("uploads") or []
    return {str(name): pq.read_table(context.input_path(upload_input(str(name)))) for name in names}


def query_work(source: QuerySource, context: JobContext) -> None:
    """Run the job's query on ``source`` and publish its result file (see :func:`_run_query`),
    counted in the query metrics (:mod:`surveylab.metrics`)."""
    with observe_query("job"):
        _run_query(source, context)


def _run_query(source: QuerySource, context: JobContext) -> None:
    """Run the job's query on ``source`` and publish its result file.

    CSV and Parquet go through the engine's own bulk export where the backend has one and
    the query names each column once; every other case streams Arrow batches through
    surveylab's writers (a repeated name becomes ``RA_2``, as in every other result). Either
    way the file is written under a temporary name and appears under its final name only
    when complete.
    """
    parameters = context.job.parameters
    lang = str(parameters.get("lang") or "SQL")
    prepared = source.check(str(parameters["sql"]), lang=lang, uploads=_uploads(context))
    maxrec = parameters.get("maxrec")
    format, compression = validate_format(str(parameters["format"]), parameters.get("compression"))
    name = result_filename(file_stem(context.job.name), format, compression)
    temp = context.result_path(name)
    metadata = source.result_metadata(prepared)
    context.log(f"running the query on {source.catalog.backend}, writing {name}")
    context.progress(message="running the query")

    rows = None
    bulk = maxrec is None and not parameters.get("executionduration")
    if bulk and format in BULK_FORMATS and _names_are_unique(source, prepared.sql):
        rows = source.catalog.export(
            prepared.sql,
            temp,
            format,
            compression,
            metadata.as_strings(),
            on_start=context.on_cancel,
        )
    if rows is None:
        limit = float(parameters.get("executionduration") or 0) or None
        with source.catalog.execute(prepared.sql, timeout=limit) as handle:
            context.on_cancel(handle.cancel)
            batches = CappedBatches(handle.batches(), int(maxrec)) if maxrec is not None else None
            written = write_result(
                handle.batches() if batches is None else batches,
                handle.schema,
                temp,
                format=format,
                compression=compression,
                metadata=metadata,
                progress=lambda done: context.progress(rows=done, message=f"{done:,} rows"),
                overflow=None if batches is None else lambda: batches.truncated,
                serialization=parameters.get("serialization"),
            )
        rows = written.rows
        if batches is not None and batches.truncated:
            context.log(f"the result was cut at MAXREC={maxrec:,} rows")
    context.publish(temp, name, format=format, rows=rows)
    context.progress(rows=rows, fraction=1.0, message=f"{rows:,} rows written to {name}")
    context.log(f"wrote {rows:,} rows to {name}")


def _names_are_unique(source: QuerySource, sql: str) -> bool:
    """Whether the result of ``sql`` names each column once (the engines' bulk exports would
    write a repeated name as it is, or rename it their own way)."""
    with source.catalog.execute(sql) as handle:
        return all(original_name(field) == field.name for field in handle.schema)


def file_stem(job_name: str, fallback: str = "result") -> str:
    """A file-name stem from the job name: letters, digits, '-', '_' and '.' (``fallback`` if
    none is left)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", job_name).strip("._") or fallback

"""The ``anomaly`` job: query a sample, train a forest, score every row, publish the scores,
the top list, the model and a cutout gallery of the top rows.

Result files (``<stem>`` from the job's name, ``<ext>`` the chosen export format):

- ``<stem>_scores.<ext>``: every row of the sample with ``ANOMALY_SCORE`` (higher is more
  anomalous; about 0.5 for ordinary rows), ``ANOMALY_RANK`` (1 is the most anomalous; NULL for a
  row excluded by labels) and ``N_MISSING`` (features missing in the row);
- ``<stem>_top.<ext>``: the ``top`` highest-ranked rows, most anomalous first;
- ``model.isotree`` and ``model.json``: the model, to score new rows later
  (:meth:`AnomalyModel.load`, ``surveylab anomaly score --model JOB``);
- ``summary.json`` and the cutouts of the top rows: a gallery the lab opens, whose quick labels
  can be fed back (``exclude_ids`` of a new job: :meth:`Survey.anomalies` with ``retrain``).

The work function sees only an :class:`AnomalySource` (a query runner, the release's name and
column metadata, the footprint for the gallery) and the cutouts' executor, as the cutout job
does: imports go one way, survey → anomaly job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..cutouts.job import cutout_work, known_bands
from ..cutouts.request import CutoutOptions, CutoutRequest, Target
from ..errors import CutoutError, FootprintError, QueryCancelledError, RequestError
from ..jobs import JobContext
from ..query_jobs import file_stem
from ..writers import ResultMetadata, result_filename, validate_format, write_result
from .features import feature_matrix, parse_features
from .model import MODEL_FILE, MODEL_META, AnomalyParameters, score_matrix, train_model

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..cutouts.executors import CutoutExecutor
    from ..footprint import Footprint
    from ..sql import PreparedQuery

__all__ = [
    "ANOMALY_JOB",
    "GALLERY_SIZE_ARCMIN",
    "AnomalySource",
    "anomaly_work",
    "gallery_ids",
    "sample_columns",
]

#: The job type name of anomaly jobs.
ANOMALY_JOB = "anomaly"
#: The side of the gallery's cutouts, in arcmin.
GALLERY_SIZE_ARCMIN = 0.5
#: Columns added to the sample's.
SCORE, RANK, MISSING = "ANOMALY_SCORE", "ANOMALY_RANK", "N_MISSING"


class AnomalySource(Protocol):
    """What an anomaly job needs of the release (a :class:`~surveylab.Survey` is one)."""

    @property
    def release(self) -> str:
        """The release's name, written into the result files."""
        ...

    @property
    def footprint(self) -> Footprint:
        """The release's tiles and images (for the gallery)."""
        ...

    def check(self, sql: str, *, lang: str = "SQL") -> PreparedQuery:
        """``sql`` parsed and translated to the catalog's dialect."""
        ...

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        """Run ``sql`` on the catalog."""
        ...

    def result_metadata(self, prepared: PreparedQuery) -> ResultMetadata:
        """What the result files of ``prepared`` record (query, release, columns)."""
        ...


def sample_columns(data: pa.Table) -> dict[str, npt.NDArray[Any]]:
    """The numeric columns of a sample as float arrays (NULL as NaN), by upper-case name."""
    out: dict[str, npt.NDArray[Any]] = {}
    for name, column in zip(data.column_names, data.columns, strict=True):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            values = pc.cast(column, pa.float64()).fill_null(float("nan"))
            out.setdefault(name.upper(), values.to_numpy(zero_copy_only=False))
    return out


def _column(data: pa.Table, name: str) -> pa.ChunkedArray | None:
    for field_name in data.column_names:
        if field_name.upper() == name:
            return data.column(field_name)
    return None


def anomaly_work(source: AnomalySource, context: JobContext, executor: CutoutExecutor) -> None:
    """Run the job's anomaly search on ``source`` with ``executor`` and publish its results."""
    started = time.perf_counter()
    p = context.job.parameters
    parameters = AnomalyParameters.create(
        **{key: p.get(key) for key in ("trees", "sample_size", "ndim", "top", "seed")}
    )
    format, compression = validate_format(str(p.get("format") or "parquet"), p.get("compression"))
    context.progress(fraction=0.0, message="querying the sample")
    prepared = source.check(str(p["sql"]))
    data = source.query_arrow(str(p["sql"]))
    context.log(f"the sample has {data.num_rows:,} rows and {data.num_columns} columns")
    if context.cancelled():
        raise QueryCancelledError("the anomaly job was cancelled")
    columns = sample_columns(data)
    features = parse_features(p.get("features"), columns)
    matrix = feature_matrix(features, columns)
    missing = (~np.isfinite(matrix)).sum(axis=1)
    excluded = _excluded(data, p.get("exclude_ids") or [])
    context.log(
        f"features: {', '.join(f.name for f in features)}; {int((missing > 0).sum()):,} rows "
        f"miss some (scored by imputation, not trained on); {int(excluded.sum()):,} rows excluded "
        "by labels"
    )
    context.progress(fraction=0.05, message=f"training {parameters.trees} trees")
    model = train_model(
        matrix[~excluded], features, parameters, executor, cancelled=context.cancelled
    )
    context.log(
        f"trained {parameters.trees} trees (ndim={parameters.ndim}, sample_size="
        f"{parameters.sample_size}) on {type(executor).__name__} ({executor.workers} worker(s))"
    )
    hpix = columns.get("HPIX_32")
    total = data.num_rows

    def scored(done: int) -> None:
        context.progress(
            rows=done, fraction=0.1 + 0.6 * done / max(total, 1), message=f"{done:,} rows scored"
        )

    scores = score_matrix(
        model, matrix, executor, pixels=hpix, cancelled=context.cancelled, progress=scored
    )
    ranks = _ranks(scores, excluded)
    result = data.append_column(SCORE, pa.array(scores, pa.float64()))
    result = result.append_column(RANK, pa.array(ranks, pa.int64(), mask=ranks == 0))
    result = result.append_column(MISSING, pa.array(missing.astype(np.int16)))
    order = np.argsort(np.where(ranks > 0, ranks, np.iinfo(np.int64).max), kind="stable")
    top = result.take(pa.array(order[: min(parameters.top, int((ranks > 0).sum()))]))

    metadata = source.result_metadata(prepared)
    stem = file_stem(context.job.name, "anomalies")
    for table, suffix in ((result, "scores"), (top, "top")):
        name = result_filename(f"{stem}_{suffix}", format, compression)
        temp = context.result_path(name)
        written = write_result(
            table.to_batches(), table.schema, temp, format=format, compression=compression,
            metadata=metadata,
        )  # fmt: skip
        context.publish(temp, name, format=format, rows=written.rows)
    model.info = {
        "query": prepared.text,
        "release": source.release,
        "rows": total,
        "excluded": int(excluded.sum()),
        "score_quantiles": _quantiles(scores),
        "top_ids": _ids(top),
    }
    model_temp, meta_temp = context.result_path(MODEL_FILE), context.result_path(MODEL_META)
    model.save(model_temp, meta_temp)
    context.publish(model_temp, MODEL_FILE, format="isotree")
    context.publish(meta_temp, MODEL_META, format="json")
    context.progress(rows=total, fraction=0.75, message="making the gallery of the top rows")
    _gallery(source, context, executor, top)
    context.progress(rows=total, fraction=1.0, message=f"{total:,} rows scored")
    context.log(f"done in {time.perf_counter() - started:.1f} s")


def _excluded(data: pa.Table, ids: list[Any]) -> npt.NDArray[np.bool_]:
    """Rows whose ``COADD_OBJECT_ID`` is among ``ids`` (labelled not interesting)."""
    if not ids:
        return np.zeros(data.num_rows, dtype=bool)
    column = _column(data, "COADD_OBJECT_ID")
    if column is None:
        raise RequestError("rows can be excluded by label only if the sample has COADD_OBJECT_ID")
    return np.asarray(pc.is_in(column, pa.array([int(i) for i in ids], pa.int64())))


def _ranks(scores: npt.NDArray[np.float64], excluded: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    """1 for the highest score, 2 for the next...; 0 for excluded rows."""
    order = np.argsort(np.where(excluded, -np.inf, -scores), kind="stable")
    ranks = np.zeros(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    ranks[excluded] = 0
    return ranks


def _quantiles(scores: npt.NDArray[np.float64]) -> dict[str, float]:
    if not len(scores):
        return {}
    levels = (0.5, 0.9, 0.99, 0.999)
    values = np.quantile(scores, levels)
    return {f"{level:g}": round(float(v), 6) for level, v in zip(levels, values, strict=True)}


def _ids(top: pa.Table) -> list[int]:
    column = _column(top, "COADD_OBJECT_ID")
    return [] if column is None else [int(v) for v in column.to_pylist() if v is not None]


def _gallery(
    source: AnomalySource, context: JobContext, executor: CutoutExecutor, top: pa.Table
) -> None:
    """Cut the top rows (by position, with their object ids) into the job's folder, as a
    cutout job would; a gallery that cannot be made is logged, and the job goes on."""
    ra, dec = _column(top, "RA"), _column(top, "DEC")
    if ra is None or dec is None or top.num_rows == 0:
        context.log("no cutout gallery: the sample has no RA and DEC")
        return
    ids = _column(top, "COADD_OBJECT_ID")
    id_list = ids.to_pylist() if ids is not None else [None] * top.num_rows
    try:
        bands = known_bands(source.footprint)
    except FootprintError as err:
        context.log(f"no cutout gallery: {err}")
        return
    rgb = ("i", "r", "g") if {"g", "r", "i"} <= set(bands) else None
    first = "i" if "i" in bands else (bands[0] if bands else "i")
    try:
        options = CutoutOptions.create(
            bands, xsize=GALLERY_SIZE_ARCMIN, ysize=GALLERY_SIZE_ARCMIN, bands=(first,), rgb=rgb
        )
    except CutoutError as err:
        context.log(f"no cutout gallery: {err}")
        return
    places = zip(ra.to_pylist(), dec.to_pylist(), id_list, strict=True)
    targets = tuple(
        Target(row=rank, ra=float(r), dec=float(d), object_id=None if i is None else int(i))
        for rank, (r, d, i) in enumerate(places, start=1)
        if r is not None and d is not None  # a row without a position has no cutout
    )
    if not targets:
        context.log("no cutout gallery: the top rows have no RA and DEC")
        return
    parameters = CutoutRequest(targets, options).to_parameters()
    gallery = JobContext(context.store, replace(context.job, parameters=parameters))

    def cancel_gallery() -> None:
        for callback in gallery._cancel(context.cancel_reason or "cancelled"):
            gallery._call(callback)  # the gallery is a stage of this job

    context.on_cancel(cancel_gallery)
    try:
        cutout_work(_GallerySource(source), gallery, executor)
    except CutoutError as err:
        context.log(f"the cutout gallery is empty: {err}")
    if context.cancelled():
        raise QueryCancelledError("the anomaly job was cancelled")


class _GallerySource:
    """The source a gallery's cutouts need (positions are known: no catalog lookups)."""

    def __init__(self, source: AnomalySource) -> None:
        self._source = source

    @property
    def footprint(self) -> Footprint:
        return self._source.footprint

    @property
    def release(self) -> str:
        return self._source.release

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        return self._source.query_arrow(sql, limit)


def gallery_ids(
    summary: Mapping[str, Any], labels: Mapping[str, int], wanted: set[int]
) -> list[int]:
    """The object ids of the gallery's positions labelled with one of ``wanted``."""
    found = []
    for entry in summary.get("positions", []):
        name, object_id = entry.get("name"), entry.get("id")
        if name in labels and labels[name] in wanted and object_id is not None:
            found.append(int(object_id))
    return found

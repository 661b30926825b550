"""The ``cutout`` job: plan, run the tile tasks on the executor, stitch, publish, summarise.

Files appear in the job's folder only when complete (written under temporary names by the
workers, renamed in batches by :meth:`JobContext.publish_many`). Progress in the job record is
positions done out of the total (``rows`` is the number done). A position that cannot be cut
(outside the imaged footprint, an unknown object id, a tile without the band) gets its error in
``summary.json`` and the log, and the others go on; a job none of whose positions can be cut
ends in ERROR, with the summary still there to say why.

Files are published about once a second (``PUBLISH_INTERVAL``), each batch in one update of the
job record that also carries the progress. A cancelled job stops submitting tasks, tells the
running ones to stop through a stop file they check between cutouts, publishes the files
finished by then (each complete) and a ``summary.json`` in which the positions not cut say so,
and ends ABORTED; unfinished temporary files are removed.

The work function sees only a :class:`CutoutSource` (the footprint, the release's name, a query
runner) and a :class:`CutoutExecutor`, not the whole :class:`~surveylab.Survey`: the survey
builds the job runner and hands itself in as the source, so imports go one way, survey → cutouts.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._version import __version__
from ..errors import CutoutError, QueryCancelledError
from ..footprint import MAIN_TABLE
from ..metrics import CUTOUTS
from .engine import OutputFile, Partial, TaskResult, finish_cutout, run_tile_task, stitch
from .plan import Plan, PlannedCutout, plan_cutouts
from .request import CutoutOptions, CutoutRequest, Target

if TYPE_CHECKING:
    import pyarrow as pa

    from ..footprint import Footprint, TileInfo
    from ..jobs import JobContext
    from .executors import CutoutExecutor

__all__ = [
    "CUTOUT_JOB",
    "SUMMARY_NAME",
    "CutoutSource",
    "cutout_work",
    "known_bands",
    "resolve_ids",
]

#: The job type name of cutout jobs.
CUTOUT_JOB = "cutout"
#: The job's summary file.
SUMMARY_NAME = "summary.json"
#: Object ids resolved per catalog query.
_ID_CHUNK = 1000
#: Per-position errors written to the log at most (all are in the summary).
_LOGGED_ERRORS = 50
#: Seconds between publishing batches of finished files (each batch is one record update,
#: which carries the progress too).
PUBLISH_INTERVAL = 1.0
#: What the summary says of a position a cancelled job did not cut.
_CANCELLED = "not cut: the job was cancelled"


class CutoutSource(Protocol):
    """What a cutout job needs of the release (a :class:`~surveylab.Survey` is one)."""

    @property
    def footprint(self) -> Footprint:
        """The release's tiles and their images."""
        ...

    @property
    def release(self) -> str:
        """The release's name, written into ``summary.json``."""
        ...

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        """Run ``sql`` on the catalog (for the positions of object ids)."""
        ...


def resolve_ids(source: CutoutSource, ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """RA and Dec of catalog objects by ``COADD_OBJECT_ID`` (unknown ids are left out)."""
    found: dict[int, tuple[float, float]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), _ID_CHUNK):
        chunk = ",".join(str(int(i)) for i in unique[start : start + _ID_CHUNK])
        data = source.query_arrow(
            f"SELECT COADD_OBJECT_ID, RA, DEC FROM {MAIN_TABLE} WHERE COADD_OBJECT_ID IN ({chunk})"
        )
        for object_id, ra, dec in zip(*(c.to_pylist() for c in data.columns), strict=True):
            found[int(object_id)] = (float(ra), float(dec))
    return found


def known_bands(tiles: Iterable[TileInfo]) -> list[str]:
    """Bands the ``tiles`` (e.g. a :class:`Footprint`) have images in, in the order they first
    appear."""
    return list(dict.fromkeys(band for tile in tiles for band in tile.images))


class _Run:
    """The state of one running cutout job."""

    def __init__(self, context: JobContext, plan: Plan, total: int) -> None:
        self.context = context
        self.plan = plan
        self.total = total
        self.done = 0
        self.status: dict[int, dict[str, Any]] = {}
        self.partials: dict[int, list[Partial]] = defaultdict(list)
        self.band_cards: dict[str, dict[str, Any]] = {}
        self.rows_read = 0
        self.seconds: dict[str, float] = defaultdict(float)

    def finished(self, index: int, files: list[OutputFile], coverage: float = 1.0) -> None:
        CUTOUTS.labels(outcome="ok").inc()
        self.status[index] = {
            "status": "ok",
            "coverage": round(coverage, 6),
            "files": [f.name for f in files],
        }

    def failed(self, index: int, error: str) -> None:
        CUTOUTS.labels(outcome="error").inc()
        self.status[index] = {"status": "error", "error": error, "files": []}

    def absorb(self, result: TaskResult) -> list[tuple[Path | str, str, str | None]]:
        """Take a task's result; return the files now complete, to publish."""
        ready: list[tuple[Path | str, str, str | None]] = []
        self.band_cards[result.tile] = result.band_cards
        self.rows_read += result.rows_read
        for key, value in result.seconds.items():
            self.seconds[key] += value
        for index, files in result.done.items():
            self.finished(index, files)
            ready += [(f.temp, f.name, f.kind) for f in files]
        for index, error in result.errors.items():
            if index not in self.status:
                self.failed(index, error)
        for partial in result.partials:
            self.partials[partial.index].append(partial)
        for index in list(self.partials):
            cutout = self.plan.cutouts[index]
            if index in self.status:
                del self.partials[index]  # the owner's part failed
            elif len(self.partials[index]) == cutout.parts:
                ready += self._stitch(cutout, self.partials.pop(index))
        return ready

    def _stitch(
        self, cutout: PlannedCutout, parts: list[Partial]
    ) -> list[tuple[Path | str, str, str | None]]:
        spec = cutout.spec
        assert spec is not None
        arrays, coverage = stitch(spec, parts, self.plan.priority[cutout.index])
        if coverage == 0.0:
            self.failed(cutout.index, "outside the imaged footprint: no tile image covers it")
            return []
        started = time.perf_counter()
        cards = self.band_cards.get(cutout.tile or "", {})
        files = finish_cutout(spec, arrays, cards, stitched=cutout.stitched, coverage=coverage)
        self.seconds["write"] += time.perf_counter() - started
        self.finished(cutout.index, files, coverage)
        return [(f.temp, f.name, f.kind) for f in files]


def cutout_work(source: CutoutSource, context: JobContext, executor: CutoutExecutor) -> None:
    """Make the cutouts of the job's request from ``source``'s images on ``executor``, and
    publish them with ``summary.json``."""
    started = time.perf_counter()
    bands = known_bands(source.footprint)
    request = CutoutRequest.from_parameters(context.job.parameters, bands)
    for problem in request.problems:
        context.log(f"skipped: {problem.error}")
    targets, problems = _resolve(source, request, bands, context)
    total = len(targets) + len(problems)
    context.progress(rows=0, fraction=0.0, message=f"planning {len(targets):,} cutouts")
    planning = time.perf_counter()
    plan = plan_cutouts(
        source.footprint,
        targets,
        temp_path=context.result_namer(),
        release=source.release,
        workers=executor.workers,
    )
    run = _Run(context, plan, total)
    run.seconds["plan"] = time.perf_counter() - planning
    failed = [c for c in plan.cutouts if c.error]
    for cutout in failed:
        run.failed(cutout.index, cutout.error or "")
    listing = request.options.list_only
    if listing:
        for cutout in plan.cutouts:
            if cutout.error is None:
                run.status[cutout.index] = {
                    "status": "ok",
                    "files": [],
                    "images": _images(source, cutout),
                }
    else:
        context.log(
            f"cutting {len(plan.cutouts) - len(failed):,} positions from "
            f"{len({t.tile for t in plan.tasks}):,} tiles in {len(plan.tasks):,} task(s) on "
            f"{type(executor).__name__} ({executor.workers} worker(s))"
        )
        _cut(context, executor, plan, run, len(problems))
    if context.cancelled():
        for cutout in plan.cutouts:
            run.status.setdefault(
                cutout.index, {"status": "error", "error": _CANCELLED, "files": []}
            )
    summary = _summary(source, request, plan, run, problems, time.perf_counter() - started)
    temp = context.result_path(SUMMARY_NAME)
    temp.write_text(json.dumps(summary, indent=1) + "\n")
    context.publish(temp, SUMMARY_NAME, format="json")
    if context.cancelled():
        counts = summary["counts"]
        context.log(f"cancelled with {counts['ok']:,} of {total:,} positions cut")
        raise QueryCancelledError("the cutout job was cancelled")
    _log_errors(context, summary["positions"])
    counts = summary["counts"]
    context.progress(
        rows=total, fraction=1.0, message=f"{counts['ok']:,} of {total:,} positions cut"
    )
    context.log(
        f"{counts['ok']:,} positions done, {counts['error']:,} failed, {counts['files']:,} files, "
        f"{summary['seconds']:.2f} s"
    )
    if counts["ok"] == 0:
        raise CutoutError(
            f"no cutout could be made: all {total:,} position(s) failed; see {SUMMARY_NAME}"
        )


def _cut(
    context: JobContext, executor: CutoutExecutor, plan: Plan, run: _Run, problems: int
) -> None:
    """Run the plan's tasks; publish finished files in batches, with the progress.

    A cancel stops submitting tasks and, through a stop file the running tasks check between
    cutouts, stops those too; files finished by then are published (each one is complete).
    """
    stop = context.result_path("stop")  # hidden, removed with the job's temporary files
    running = True

    def tell_tasks() -> None:
        if running:  # not once the job is ending (its temporary files are being removed)
            stop.touch()

    context.on_cancel(tell_tasks)
    tasks = [replace(task, stop=str(stop)) for task in plan.tasks]
    ready: list[tuple[Path | str, str, str | None]] = []
    last = time.monotonic()

    def publish() -> None:
        nonlocal last
        publishing = time.perf_counter()
        done = len(run.status) + problems
        context.progress(
            rows=done,
            fraction=done / max(run.total, 1),
            message=f"{done:,}/{run.total:,} positions",
            defer=True,
        )  # written with the files, in one record update
        context.publish_many(ready)
        ready.clear()
        run.seconds["publish"] += time.perf_counter() - publishing
        last = time.monotonic()

    for result in executor.map_unordered(run_tile_task, tasks, context.cancelled):
        absorbing = time.perf_counter()
        ready += run.absorb(result)
        run.seconds["publish"] += time.perf_counter() - absorbing
        if time.monotonic() - last >= PUBLISH_INTERVAL:
            publish()
    running = False
    publish()
    if not context.cancelled():
        for index in list(run.partials):  # only if a task went missing
            if index not in run.status:
                run.failed(index, "internal error: a part of the stitched cutout is missing")


def _resolve(
    source: CutoutSource, request: CutoutRequest, bands: list[str], context: JobContext
) -> tuple[list[tuple[Target, CutoutOptions]], list[tuple[Target, str]]]:
    """Targets with positions and their options; the ones that fail, with why."""
    ids = [t.object_id for t in request.targets if t.ra is None and t.object_id is not None]
    found = resolve_ids(source, ids) if ids else {}
    if ids:
        context.log(f"resolved {len(found):,} of {len(set(ids)):,} object ids in {MAIN_TABLE}")
    good: list[tuple[Target, CutoutOptions]] = []
    bad: list[tuple[Target, str]] = []
    for target in request.targets:
        where = f"row {target.row}"
        if target.ra is None:
            if target.object_id not in found:
                bad.append(
                    (target, f"{where}: COADD_OBJECT_ID {target.object_id} is not in {MAIN_TABLE}")
                )
                continue
            ra, dec = found[target.object_id]
            target = Target(target.row, ra, dec, target.object_id, target.options)
        try:
            options = request.options_for(target, bands)
        except CutoutError as err:
            bad.append((target, str(err)))
            continue
        good.append((target, options))
    return good, bad


def _images(source: CutoutSource, cutout: PlannedCutout) -> dict[str, dict[str, str]]:
    """Image files (name per band) of every tile holding the position, the owner first."""
    found = {}
    for name in cutout.tiles:
        tile = source.footprint.tile(name)
        bands = [band for band in cutout.options.all_bands if band in tile.images]
        found[name] = {band: tile.images[band].name for band in bands}
    return found


def _summary(
    source: CutoutSource,
    request: CutoutRequest,
    plan: Plan,
    run: _Run,
    problems: list[tuple[Target, str]],
    seconds: float,
) -> dict[str, Any]:
    positions = []
    for cutout in plan.cutouts:
        entry = cutout.summary()
        status = run.status.get(cutout.index) or {
            "status": "error",
            "error": "not run",
            "files": [],
        }
        entry.update(status)
        if entry.get("error") and not str(entry["error"]).startswith(("row ", "line ")):
            entry["error"] = f"row {cutout.target.row}: {entry['error']}"
        positions.append(entry)
    for target, error in problems:
        positions.append(
            {"row": target.row, "ra": target.ra, "dec": target.dec, "id": target.object_id,
             "status": "error", "error": error, "files": []}
        )  # fmt: skip
    rejected = [p.to_json() for p in request.problems]
    positions.sort(key=lambda entry: entry["row"])
    ok = sum(entry["status"] == "ok" for entry in positions)
    return {
        "release": source.release,
        "version": __version__,
        "request": request.options.to_json(),
        "counts": {
            "positions": len(positions),
            "ok": ok,
            "error": len(positions) - ok,
            "stitched": sum(bool(e.get("stitched")) and e["status"] == "ok" for e in positions),
            "rejected_rows": len(rejected),
            "files": sum(len(e["files"]) for e in positions),
        },
        "seconds": round(seconds, 3),
        "timing": {key: round(value, 3) for key, value in run.seconds.items()},
        "rows_decompressed": run.rows_read,
        "rejected": rejected,
        "positions": positions,
    }


def _log_errors(context: JobContext, positions: list[dict[str, Any]]) -> None:
    errors = [entry["error"] for entry in positions if entry["status"] == "error"]
    for error in errors[:_LOGGED_ERRORS]:
        context.log(f"failed: {error}")
    if len(errors) > _LOGGED_ERRORS:
        context.log(f"... and {len(errors) - _LOGGED_ERRORS:,} more failures (see {SUMMARY_NAME})")

"""Handlers of the job store: ``/jobs`` and ``/jobs/{id}`` with its files, log and archive."""

from __future__ import annotations

import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.cutouts import CUTOUT_JOB
from surveylab.errors import SurveylabError
from surveylab.jobs import Phase
from surveylab.query_jobs import QUERY_JOB

from .base import SurveylabHandler, optional_str, positive

__all__ = [
    "MAX_PAGE",
    "ArchiveHandler",
    "CancelHandler",
    "FileHandler",
    "JobHandler",
    "JobsHandler",
    "LogHandler",
]

#: Most jobs in one page of ``GET /jobs``.
MAX_PAGE = 500


class JobsHandler(SurveylabHandler):
    """``GET /jobs``: the user's jobs, paged; ``POST /jobs``: start a job."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        phase = self.get_argument("phase", None)
        try:
            phase_filter = None if phase is None else Phase(phase)
        except ValueError:
            known = ", ".join(p.value for p in Phase)
            raise SurveylabError(f"unknown phase {phase!r}; phases: {known}") from None
        offset = self.int_argument("offset", 0)
        limit = self.int_argument("limit", 50, minimum=1, maximum=MAX_PAGE)
        jobs, total = await self.call(
            self.survey.runner.store.list,
            phase=phase_filter,
            type=self.get_argument("type", None),
            sort=self.get_argument("sort", "-created"),
            offset=offset,
            limit=limit,
        )
        self.write_json(
            {
                "jobs": [job.to_json() for job in jobs],
                "total": total,
                "offset": offset,
                "limit": limit,
            }
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body("type")
        if body["type"] == CUTOUT_JOB:
            job = await self.call(self._submit_cutouts, body)
            self.write_json((await self.call(lambda: job.record)).to_json(), HTTPStatus.CREATED)
            return
        if body["type"] != QUERY_JOB:
            raise SurveylabError(
                f"unknown job type {body['type']!r}; known: {QUERY_JOB}, {CUTOUT_JOB}"
            )
        if "sql" not in body:
            raise SurveylabError("a query job needs 'sql'")
        job = await self.call(
            self.survey.submit,
            str(body["sql"]),
            format=str(body.get("format", "csv")),
            compression=optional_str(body, "compression"),
            name=optional_str(body, "name"),
            email=optional_str(body, "email"),
        )
        self.write_json((await self.call(lambda: job.record)).to_json(), HTTPStatus.CREATED)

    def _submit_cutouts(self, body: dict[str, Any]) -> Any:
        """Start a cutout job from the JSON body (positions, ids or csv, and options)."""
        unknown = sorted(set(body) - _CUTOUT_FIELDS)
        if unknown:
            raise SurveylabError(f"unknown field(s) of a cutout job: {', '.join(unknown)}")
        options = {key: body[key] for key in _CUTOUT_OPTIONS if body.get(key) is not None}
        for key in ("positions", "ids"):
            if body.get(key) is not None and not isinstance(body[key], list):
                raise SurveylabError(f"{key} must be a list")
        positions = body.get("positions")
        if positions is not None and not all(isinstance(p, list | str) for p in positions):
            raise SurveylabError(
                "positions must be [ra, dec] pairs or position strings like '21:33:27 -0:49:24'; "
                "object ids go in 'ids'"
            )
        return self.survey.cutouts(
            positions=positions,
            ids=body.get("ids"),
            csv=optional_str(body, "csv"),
            name=optional_str(body, "name"),
            email=optional_str(body, "email"),
            **options,
        )


#: Options of a cutout job's body, passed to ``Survey.cutouts`` as they are.
_CUTOUT_OPTIONS = (
    "xsize",
    "ysize",
    "bands",
    "rgb",
    "rgb_minimum",
    "rgb_stretch",
    "rgb_q",
    "previews",
    "list_only",
)
_CUTOUT_FIELDS = {"type", "positions", "ids", "csv", "name", "email", *_CUTOUT_OPTIONS}


class JobHandler(SurveylabHandler):
    """``GET``, ``PATCH`` (rename, renew) and ``DELETE`` of one job."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        job = await self.call(self.survey.runner.store.get, job_id)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        body = self.body()
        store = self.survey.runner.store
        job = await self.call(store.get, job_id)
        if "name" in body:
            job = await self.call(store.rename, job_id, str(body["name"]))
        renew = body.get("renew")
        if renew:
            days = None if renew is True else positive(body, "renew", float)
            job = await self.call(store.renew, job_id, days)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        await self.call(self.survey.runner.delete, job_id)
        self.set_status(HTTPStatus.NO_CONTENT)
        await self.finish()


class CancelHandler(SurveylabHandler):
    """``POST /jobs/{id}/cancel``: stop the job (and its query in the database)."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        job = await self.call(self.survey.runner.cancel, job_id)
        self.write_json(job.to_json())


class FileHandler(SurveylabHandler):
    """``GET /jobs/{id}/files/{name}``: download one result file."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str, name: str) -> None:
        path = await self.call(self.survey.runner.store.file_path, job_id, name)
        await self.send_file(path, path.name)


class LogHandler(SurveylabHandler):
    """``GET /jobs/{id}/log``: the job's log as text."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        text = await self.call(self.survey.runner.store.read_log, job_id)
        # APIHandler.finish sets the Content-Type itself: JSON unless told otherwise.
        await self.finish(text, set_content_type="text/plain; charset=utf-8")


class ArchiveHandler(SurveylabHandler):
    """``GET /jobs/{id}/archive``: a zip of the job's files, record and log."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        store = self.survey.runner.store
        job = await self.call(store.get, job_id)
        with tempfile.TemporaryDirectory(prefix="surveylab-archive-") as folder:
            path = Path(folder) / f"{job.name}.zip"
            await self.call(store.archive, job_id, path)
            await self.send_file(path, path.name, "application/zip")

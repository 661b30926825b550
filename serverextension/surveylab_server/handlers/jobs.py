"""Handlers of the job store: ``/jobs`` and ``/jobs/{id}`` with its files, log and archive."""

from __future__ import annotations

import tempfile
from http import HTTPStatus
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.inputs import JobChanges, job_request, parse_phase
from surveylab.limits import JOB_PAGE_MAX

from .base import SurveylabHandler

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
MAX_PAGE = JOB_PAGE_MAX


class JobsHandler(SurveylabHandler):
    """``GET /jobs``: the user's jobs, paged; ``POST /jobs``: start a job."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        phase = parse_phase(self.get_argument("phase", None))
        offset = self.int_argument("offset", 0)
        limit = self.int_argument("limit", 50, minimum=1, maximum=MAX_PAGE)
        jobs, total = await self.call(
            self.survey.job_service.list,
            phase=phase,
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
        request = job_request(self.body())
        # under a hub with a platform service the job runs there (Survey.platform)
        job = await self.call(request.submit, self.survey)
        self.write_json((await self.call(lambda: job.record)).to_json(), HTTPStatus.CREATED)


class JobHandler(SurveylabHandler):
    """``GET``, ``PATCH`` (rename, renew) and ``DELETE`` of one job."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        job = await self.call(self.survey.job_service.get, job_id)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        changes = JobChanges.from_json(self.body())
        job = await self.call(changes.apply, self.survey.job_service, job_id)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        await self.call(self.survey.job_service.delete, job_id)
        self.set_status(HTTPStatus.NO_CONTENT)
        await self.finish()


class CancelHandler(SurveylabHandler):
    """``POST /jobs/{id}/cancel``: stop the job (and its query in the database)."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        platform = self.survey.platform
        if platform is not None:  # its runner is the service's: it stops the job at once
            status, reply = await self.call(platform.cancel, job_id)
            self.write_json(reply, HTTPStatus(status))
            return
        job = await self.call(self.survey.job_service.cancel, job_id)
        self.write_json(job.to_json())


class FileHandler(SurveylabHandler):
    """``GET /jobs/{id}/files/{name}``: download one result file."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str, name: str) -> None:
        path = await self.call(self.survey.job_service.file_path, job_id, name)
        await self.send_file(path, path.name)


class LogHandler(SurveylabHandler):
    """``GET /jobs/{id}/log``: the job's log as text."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        text = await self.call(self.survey.job_service.log, job_id)
        # APIHandler.finish sets the Content-Type itself: JSON unless told otherwise.
        await self.finish(text, set_content_type="text/plain; charset=utf-8")


class ArchiveHandler(SurveylabHandler):
    """``GET /jobs/{id}/archive``: a zip of the job's files, record and log."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        jobs = self.survey.job_service
        job = await self.call(jobs.get, job_id)
        with tempfile.TemporaryDirectory(prefix="surveylab-archive-") as folder:
            path = Path(folder) / f"{job.name}.zip"
            await self.call(jobs.archive, job_id, path)
            await self.send_file(path, path.name, "application/zip")

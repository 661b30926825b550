"""Handlers of cutout jobs' extras: ``/jobs/{id}/labels``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.inputs import labels_of

from .base import SurveylabHandler

__all__ = ["LabelsHandler"]


class LabelsHandler(SurveylabHandler):
    """``GET``/``PUT /jobs/{id}/labels``: a cutout job's quick labels, ``{"labels": {name: 0-9}}``.

    PUT replaces every label of the job (positions left out have none); the file is written
    atomically into the job's folder (see :mod:`surveylab.cutouts.labels`).
    """

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        labels = await self.call(self.survey.job_service.labels, job_id)  # errors as for PUT
        self.write_json({"labels": labels})

    @web.authenticated
    @authorized
    async def put(self, job_id: str) -> None:
        wanted = labels_of(self.body())
        labels = await self.call(self.survey.job_service.save_labels, job_id, wanted)
        self.write_json({"labels": labels})

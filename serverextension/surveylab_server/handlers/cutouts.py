"""Handlers of cutout jobs' extras: ``/jobs/{id}/labels``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.cutouts.labels import job_labels, label_keys, save_labels
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
        store = self.survey.runner.store
        await self.call(label_keys, store, job_id)  # 404 / 400 / 409 as for PUT
        labels = await self.call(job_labels, store, job_id)
        self.write_json({"labels": labels})

    @web.authenticated
    @authorized
    async def put(self, job_id: str) -> None:
        wanted = labels_of(self.body())
        labels = await self.call(save_labels, self.survey.runner.store, job_id, wanted)
        self.write_json({"labels": labels})

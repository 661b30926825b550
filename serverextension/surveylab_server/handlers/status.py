"""The handler of ``/status``: whether each part of the platform answers, checked live."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import SurveylabHandler

__all__ = ["StatusHandler"]


class StatusHandler(SurveylabHandler):
    """``GET /status``: the catalog, the job runner, the cutout executor, the hub and the
    platform service, each checked now (off the event loop, each with a time limit)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        report = await self.call(self.survey.status)
        self.write_json(report.to_json())

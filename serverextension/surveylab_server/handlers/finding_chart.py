"""Handler of finding charts: ``POST /finding-chart`` answers with a PNG or a PDF."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.inputs import FindingChartRequest

from .base import SurveylabHandler

__all__ = ["FindingChartHandler"]


class FindingChartHandler(SurveylabHandler):
    """``POST /finding-chart``: the finding chart(s) of one or more targets, made at once."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = FindingChartRequest.from_json(self.body())
        data, media_type = await self.call(request.render, self.survey)
        extension = "png" if media_type == "image/png" else "pdf"
        self.set_header("Content-Type", media_type)
        self.set_header("Content-Disposition", f'inline; filename="finding-chart.{extension}"')
        self.set_header("Content-Length", str(len(data)))
        self.write(data)
        await self.flush()  # the headers go now: APIHandler.finish would make them JSON's
        await self.finish()

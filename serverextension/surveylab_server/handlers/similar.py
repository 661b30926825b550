"""Handler of similarity search: ``POST /similar`` answers with an object's nearest neighbours."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.inputs import SimilarRequest

from .base import SurveylabHandler

__all__ = ["SimilarHandler"]


class SimilarHandler(SurveylabHandler):
    """``POST /similar``: the ``k`` imaged objects most like the target (itself first)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = SimilarRequest.from_json(self.body())
        self.write_json(await self.call(request.answer, self.survey))

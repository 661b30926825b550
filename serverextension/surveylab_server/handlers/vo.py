"""The IVOA services (TAP, SODA, SIA, DataLink) of the lab: one thin handler over the core's
:class:`surveylab.vo.service.VOService`.

The handler turns the tornado request into a :class:`~surveylab.vo.protocol.VORequest` (query
and form fields as DALI parameters, multipart file parts as uploads), calls the service in a
worker thread and writes the :class:`~surveylab.vo.protocol.VOResponse`, streaming a body that
comes as chunks. Authentication is the rest of the API's: ``Authorization: token ...`` works
with no XSRF cookie, so pyvo and scripts can call it.
"""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.vo.protocol import Params, UploadedFile, VORequest, VOResponse
from surveylab.vo.service import VOService

from .base import SurveylabHandler

__all__ = ["VOHandler"]


class VOHandler(SurveylabHandler):
    """``/surveylab/(tap|soda|sia|datalink)/...``: every request goes to the VO service."""

    @property
    def vo(self) -> VOService:
        """The VO service over the server's ``Survey``, made on first use."""
        service: VOService | None = self.settings.get("surveylab_vo")
        if service is None:
            service = self.settings["surveylab_vo"] = VOService(self.survey)
        return service

    def vo_request(self, path: str) -> VORequest:
        """The tornado request as the VO service takes it."""
        fields: dict[str, list[str]] = {}
        for name, values in self.request.arguments.items():
            fields[name] = [value.decode("utf-8", "replace") for value in values]
        files = {
            name: UploadedFile(part.filename, part.content_type, part.body)
            for name, parts in self.request.files.items()
            for part in parts[:1]
        }
        base = f"{self.request.protocol}://{self.request.host}{self.base_url}surveylab"
        return VORequest(self.request.method or "GET", path, Params(fields), base, files)

    async def answer(self, path: str) -> None:
        """Ask the service and write its answer."""
        response: VOResponse = await self.call(self.vo.handle, self.vo_request(path))
        self.set_status(response.status)
        self.set_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.set_header(name, value)
        if isinstance(response.body, bytes):
            await self.finish(response.body)
            return
        chunks: Iterator[bytes] = iter(response.body)
        try:
            while (chunk := await self.call(next, chunks, None)) is not None:
                self.write(chunk)
                await self.flush()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                await self.call(close)
        await self.finish()

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        await self.answer(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        await self.answer(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        await self.answer(path)

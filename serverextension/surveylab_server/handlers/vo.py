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
from tornado import httputil, iostream, web

from surveylab.vo.protocol import Params, UploadedFile, VORequest, VOResponse
from surveylab.vo.service import VOService

from .base import SurveylabHandler

__all__ = ["VOHandler"]


#: The largest request body read (an upload's VOTable and the form around it), in bytes.
MAX_VO_BODY_BYTES = 64 * 1024 * 1024


@web.stream_request_body
class VOHandler(SurveylabHandler):
    """``/surveylab/(tap|soda|sia|datalink)/...``: every request goes to the VO service.

    The body is read here, not by tornado: clients such as STILTS start a multipart body with a
    CRLF preamble (allowed by RFC 2046), which tornado's own parser refuses.
    """

    _body_parts: list[bytes]
    _body_size = 0

    def data_received(self, chunk: bytes) -> None:
        """Keep the body, up to :data:`MAX_VO_BODY_BYTES`."""
        self._body_size += len(chunk)
        if self._body_size > MAX_VO_BODY_BYTES:
            raise web.HTTPError(
                413, f"the request body is over {MAX_VO_BODY_BYTES:,} bytes, the limit"
            )
        if not hasattr(self, "_body_parts"):
            self._body_parts = []
        self._body_parts.append(chunk)

    def form(self) -> tuple[dict[str, list[bytes]], dict[str, list[httputil.HTTPFile]]]:
        """The query string's and the body's fields, and the body's file parts."""
        arguments = {name: list(values) for name, values in self.request.query_arguments.items()}
        files: dict[str, list[httputil.HTTPFile]] = {}
        body = b"".join(getattr(self, "_body_parts", []))
        content_type = self.request.headers.get("Content-Type", "")
        if body and content_type.startswith("multipart/form-data"):
            start = body.find(b"--")
            body = body[start:] if start > 0 else body  # the preamble, if any, is not a part
        if body:
            try:
                httputil.parse_body_arguments(
                    content_type, body, arguments, files, self.request.headers
                )
            except httputil.HTTPInputError as exc:
                raise web.HTTPError(400, f"the request body cannot be read: {exc}") from None
        return arguments, files

    @property
    def vo(self) -> VOService:
        """The VO service over this user's ``Survey``, made on first use."""
        services: dict[int, VOService] = self.settings.setdefault("surveylab_vo", {})
        survey = self.survey
        service = services.get(id(survey))
        if service is None:
            service = services[id(survey)] = VOService(survey)
        return service

    def vo_request(self, path: str) -> VORequest:
        """The tornado request as the VO service takes it."""
        arguments, parts = self.form()
        fields = {
            name: [value.decode("utf-8", "replace") for value in values]
            for name, values in arguments.items()
        }
        files = {
            name: UploadedFile(part.filename, part.content_type, part.body)
            for name, found in parts.items()
            for part in found[:1]
        }
        base = f"{self.request.protocol}://{self.request.host}{self.base_url}{self.mount}"
        base = base.rstrip("/")
        return VORequest(self.request.method or "GET", path, Params(fields), base, files)

    async def answer(self, path: str) -> None:
        """Ask the service and write its answer."""
        request = await self.call(self.vo_request, path)  # a large upload is parsed off the loop
        response: VOResponse = await self.call(self.vo.handle, request)
        self.set_status(response.status)
        self.set_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.set_header(name, value)
        if isinstance(response.body, bytes):
            await self.finish(response.body, set_content_type=response.content_type)
            return
        chunks: Iterator[bytes] = iter(response.body)
        try:
            while (chunk := await self.call(next, chunks, None)) is not None:
                self.write(chunk)
                await self.flush()
            await self.finish(set_content_type=response.content_type)
        except iostream.StreamClosedError:
            self.log.info("surveylab: %s %s: the client left", self.request.method, path)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                await self.call(close)  # stops the query if the client left

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

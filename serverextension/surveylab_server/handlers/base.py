"""The base of every surveylab handler.

Every handler authenticates through jupyter_server (token, cookie + XSRF, or the hub's OAuth) and
authorises against the ``surveylab`` resource. A handler parses the request, calls the core in a
worker thread (the core is blocking) and writes JSON. Domain errors become JSON error bodies in
one place, :meth:`SurveylabHandler.write_error`; no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from tornado import web

from surveylab import Survey
from surveylab.errors import ErrorCategory, PositionError, SurveylabError

__all__ = [
    "CATEGORY_STATUS",
    "CHUNK_BYTES",
    "MAX_BODY_BYTES",
    "SurveylabHandler",
    "optional_str",
    "positive",
]

#: Largest JSON request body accepted, in bytes.
MAX_BODY_BYTES = 1_000_000
#: Bytes per chunk when streaming a file to the client.
CHUNK_BYTES = 1 << 20

#: HTTP status of each category of domain error (see :class:`surveylab.errors.ErrorCategory`).
CATEGORY_STATUS: dict[ErrorCategory, HTTPStatus] = {
    ErrorCategory.INVALID_INPUT: HTTPStatus.BAD_REQUEST,
    ErrorCategory.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCategory.CONFLICT: HTTPStatus.CONFLICT,
    ErrorCategory.TIMEOUT: HTTPStatus.REQUEST_TIMEOUT,
    ErrorCategory.LIMIT_REACHED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCategory.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
}

T = TypeVar("T")


class SurveylabHandler(APIHandler):
    """Base of every surveylab handler: the shared ``Survey``, request parsing, error mapping."""

    auth_resource = "surveylab"

    @property
    def survey(self) -> Survey:
        """The server's one ``Survey``, created by :class:`surveylab_server.SurveylabApp`."""
        survey: Survey = self.settings["surveylab_survey"]
        return survey

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking core call in a worker thread."""
        return await asyncio.to_thread(function, *args, **kwargs)

    def body(self, *required: str) -> dict[str, Any]:
        """The JSON object of the request, with the ``required`` keys present."""
        if len(self.request.body) > MAX_BODY_BYTES:
            raise web.HTTPError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body has {len(self.request.body):,} bytes; "
                f"at most {MAX_BODY_BYTES:,} are accepted",
            )
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as err:
            raise web.HTTPError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {err}") from None
        if not isinstance(data, dict):
            raise web.HTTPError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        missing = [key for key in required if key not in data]
        if missing:
            raise web.HTTPError(HTTPStatus.BAD_REQUEST, f"missing field(s): {', '.join(missing)}")
        return data

    def int_argument(
        self, name: str, default: int, minimum: int = 0, maximum: int | None = None
    ) -> int:
        """An integer query argument between ``minimum`` and ``maximum``."""
        text = self.get_argument(name, str(default))
        try:
            value = int(text)
        except ValueError:
            raise web.HTTPError(HTTPStatus.BAD_REQUEST, f"{name} must be an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
            raise web.HTTPError(HTTPStatus.BAD_REQUEST, f"{name} must be {bounds}")
        return value

    def degrees_argument(self, name: str) -> float:
        """A required query argument that is a number of degrees."""
        text = self.get_argument(name, None)
        if text is None or not text.strip():
            raise PositionError(f"{name} is required: a number of degrees")
        try:
            return float(text)
        except ValueError:
            raise PositionError(f"{name} must be a number of degrees, not {text!r}") from None

    def write_json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        """Finish with ``data`` as JSON."""
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Write ``{"message", "reason"}`` plus the error's details (``line``/``column`` for SQL
        syntax errors); the status of a domain error is its category's."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        if not isinstance(exc, SurveylabError):
            super().write_error(status_code, **kwargs)
            return
        status = CATEGORY_STATUS[exc.category]
        reply = {"message": str(exc), "reason": status.phrase, **exc.details()}
        self.set_header("Content-Type", "application/json")
        self.set_status(status)
        self.finish(json.dumps(reply))

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this handler implements (for the ``Allow`` header of a 405)."""
        return [
            method
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
            if getattr(cls, method.lower()) is not getattr(APIHandler, method.lower())
        ]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log domain errors as one line; everything else with its traceback."""
        if isinstance(value, SurveylabError):
            self.log.info("surveylab: %s %s: %s", self.request.method, self.request.uri, value)
        else:
            super().log_exception(typ, value, tb)

    async def send_file(self, path: Path, filename: str, content_type: str | None = None) -> None:
        """Stream ``path`` to the client as a download, a chunk at a time."""
        guessed, encoding = mimetypes.guess_type(filename)
        self.set_header("Content-Type", content_type or guessed or "application/octet-stream")
        if encoding == "gzip" and content_type is None:
            self.set_header("Content-Type", "application/gzip")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.set_header("Content-Length", str(path.stat().st_size))
        with path.open("rb") as stream:  # reads go to a thread: results can be large
            while chunk := await self.call(stream.read, CHUNK_BYTES):
                self.write(chunk)
                await self.flush()
        await self.finish()


def positive(body: dict[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    """``body[key]`` as a positive ``kind``, or None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SurveylabError(f"{key} must be a positive number, not {value!r}")
    if kind is int and int(value) != value:
        raise SurveylabError(f"{key} must be a whole number, not {value!r}")
    return kind(value)


def optional_str(body: dict[str, Any], key: str) -> str | None:
    """``body[key]`` as a string, or None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SurveylabError(f"{key} must be a string, not {value!r}")
    return value

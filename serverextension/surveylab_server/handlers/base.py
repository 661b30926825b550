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
from surveylab.errors import HTTP_STATUS, ErrorCategory, SurveylabError
from surveylab.inputs import json_object, parse_int
from surveylab.limits import BODY_MAX_BYTES
from surveylab.surveys import Surveys

from .home import HOME_PATH

#: What a browser's Accept header has and a VO client's does not (Java's default Accept
#: starts with text/html too).
_BROWSER = "application/xhtml+xml"

__all__ = [
    "CATEGORY_STATUS",
    "CHUNK_BYTES",
    "MAX_BODY_BYTES",
    "SurveylabHandler",
]

#: Largest JSON request body accepted, in bytes.
MAX_BODY_BYTES = BODY_MAX_BYTES
#: Bytes per chunk when streaming a file to the client.
CHUNK_BYTES = 1 << 20

#: HTTP status of each category of domain error (the core's :data:`surveylab.errors.HTTP_STATUS`).
CATEGORY_STATUS: dict[ErrorCategory, HTTPStatus] = {
    category: HTTPStatus(status) for category, status in HTTP_STATUS.items()
}

T = TypeVar("T")


class SurveylabHandler(APIHandler):
    """Base of every surveylab handler: the shared ``Survey``, request parsing, error mapping."""

    auth_resource = "surveylab"

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """Authenticate, then open the user's ``Survey`` off the event loop: in the platform
        service its first opening asks the hub for the user's database login."""
        await super().prepare()
        if self.current_user is not None:
            surveys: Surveys = self.settings["surveylab_surveys"]
            await self.call(surveys.for_user, self.current_user.username)

    @property
    def survey(self) -> Survey:
        """The ``Survey`` that serves this request's user: the lab's one, or in the hub's
        platform service the user's own (:mod:`surveylab.surveys`)."""
        surveys: Surveys = self.settings["surveylab_surveys"]
        return surveys.for_user(self.current_user.username)

    @property
    def mount(self) -> str:
        """Where the surveylab routes are, below the server's base URL: ``surveylab/`` in a
        lab, nothing in the platform service (``/services/surveylab/tap``)."""
        prefix: str = self.settings.get("surveylab_prefix", "/surveylab")
        return prefix.strip("/") + "/" if prefix.strip("/") else ""

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking core call in a worker thread."""
        return await asyncio.to_thread(function, *args, **kwargs)

    def body(self) -> dict[str, Any]:
        """The JSON object of the request (its fields are checked by :mod:`surveylab.inputs`)."""
        if len(self.request.body) > MAX_BODY_BYTES:
            raise web.HTTPError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body has {len(self.request.body):,} bytes; "
                f"at most {MAX_BODY_BYTES:,} are accepted",
            )
        return json_object(self.request.body)

    def int_argument(
        self, name: str, default: int, minimum: int = 0, maximum: int | None = None
    ) -> int:
        """An integer query argument between ``minimum`` and ``maximum``."""
        return parse_int(name, self.get_argument(name, str(default)), minimum, maximum)

    def write_json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        """Finish with ``data`` as JSON."""
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Write ``{"message", "reason"}`` plus the error's details (``line``/``column`` for SQL
        syntax errors); the status of a domain error is its category's."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        challenge = self.settings.get("surveylab_auth_challenge")  # the platform service's
        if status_code == HTTPStatus.FORBIDDEN and challenge and self._sent_no_credentials():
            if _BROWSER in self.request.headers.get("Accept", ""):  # a browser: its page
                self.redirect(self.base_url.rstrip("/") + HOME_PATH)  # signs in by hub OAuth
                return
            self.set_header("WWW-Authenticate", challenge)  # no credentials: ask for them
            reply = {"message": "send your API token", "reason": "Unauthorized"}
            self.write_json(reply, HTTPStatus.UNAUTHORIZED)
            return
        if status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        if not isinstance(exc, SurveylabError):
            super().write_error(status_code, **kwargs)
            return
        status = CATEGORY_STATUS[exc.category]
        reply = {"message": str(exc), "reason": status.phrase, **exc.details()}
        if isinstance(reply.get("retry_after"), int):  # HTTP clients read the wait here
            self.set_header("Retry-After", str(reply["retry_after"]))
        self.set_header("Content-Type", "application/json")
        self.set_status(status)
        self.finish(json.dumps(reply))

    def _sent_no_credentials(self) -> bool:
        """Whether the request came with no token, no Basic password and no login."""
        user = getattr(self, "_jupyter_current_user", None)  # set once authentication ran
        return not user and "Authorization" not in self.request.headers

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

"""Thin REST handlers over the surveylab core.

Every handler authenticates through jupyter_server (token, cookie + XSRF, or the hub's OAuth) and
authorises against the ``surveylab`` resource. Domain errors become JSON error bodies in one
place, :meth:`SurveylabHandler.write_error`; no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from surveylab import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    QueryError,
    Survey,
    SurveylabError,
)

__all__ = ["OPENAPI_PATH", "default_handlers", "load_openapi"]

#: The REST contract, served as JSON at ``/surveylab/api/openapi.json``.
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")

#: HTTP status for each domain error; the first matching class wins.
ERROR_STATUS: tuple[tuple[type[Exception], HTTPStatus], ...] = (
    (CatalogNotFoundError, HTTPStatus.SERVICE_UNAVAILABLE),
    (CatalogUnavailableError, HTTPStatus.SERVICE_UNAVAILABLE),
    (QueryError, HTTPStatus.BAD_REQUEST),
    (SurveylabError, HTTPStatus.BAD_REQUEST),
)


@cache
def load_openapi() -> dict[str, Any]:
    """The OpenAPI document of the REST API, parsed once."""
    document: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text())
    return document


class SurveylabHandler(APIHandler):
    """Base of every surveylab handler: the shared ``Survey`` and error mapping."""

    auth_resource = "surveylab"

    @property
    def survey(self) -> Survey:
        """The server's one ``Survey``, created by :class:`surveylab_server.SurveylabApp`."""
        survey: Survey = self.settings["surveylab_survey"]
        return survey

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Write ``{"message", "reason"}``; domain errors get their own status and message."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        for error_class, status in ERROR_STATUS:
            if isinstance(exc, error_class):
                self.set_status(status)
                self.finish(json.dumps({"message": str(exc), "reason": status.phrase}))
                return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log domain errors as one line; everything else with its traceback."""
        if isinstance(value, SurveylabError):
            self.log.info("surveylab: %s %s: %s", self.request.method, self.request.uri, value)
        else:
            super().log_exception(typ, value, tb)


class InfoHandler(SurveylabHandler):
    """``GET /surveylab/api/info``: version, release name, backend and tables."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        info = await asyncio.to_thread(self.survey.info)
        self.finish(json.dumps(info.to_json()))


class OpenAPIHandler(SurveylabHandler):
    """``GET /surveylab/api/openapi.json``: the REST contract."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(json.dumps(load_openapi()))


class NotFoundHandler(SurveylabHandler):
    """Any other path under ``/surveylab/api``: a JSON 404 that names the path."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise web.HTTPError(HTTPStatus.NOT_FOUND, f"no surveylab endpoint /surveylab/api/{path}")


#: URL patterns (relative to the server's base URL) and their handlers.
default_handlers: list[tuple[str, type[SurveylabHandler]]] = [
    (r"/surveylab/api/info", InfoHandler),
    (r"/surveylab/api/openapi.json", OpenAPIHandler),
    (r"/surveylab/api/(.*)", NotFoundHandler),
]

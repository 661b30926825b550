"""Thin REST handlers over the surveylab core, one module per area, and their URL routes.

:mod:`.base` holds the one base handler (the shared ``Survey``, the request body, the mapping of
an error's category to an HTTP status); the other modules hold the handlers of one area each.
Request bodies and arguments are checked in the core, by :mod:`surveylab.inputs`.
"""

from __future__ import annotations

from http import HTTPStatus

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import MAX_BODY_BYTES, SurveylabHandler
from .cutouts import LabelsHandler
from .finding_chart import FindingChartHandler
from .footprint import (
    FootprintTileHandler,
    HealpixHandler,
    MOCHandler,
    TileImageHandler,
    TilesAtHandler,
    TilesGeoJSONHandler,
)
from .help import HelpHandler
from .hips import HiPSHandler
from .info import OPENAPI_PATH, InfoHandler, LabHandler, OpenAPIHandler, load_openapi
from .jobs import (
    ArchiveHandler,
    CancelHandler,
    FileHandler,
    JobHandler,
    JobsHandler,
    LogHandler,
)
from .query import CheckHandler, ExamplesHandler, ExplainHandler, QueryHandler
from .similar import SimilarHandler
from .status import StatusHandler
from .tables import TableHandler, TablesHandler
from .vo import VOHandler

__all__ = ["MAX_BODY_BYTES", "OPENAPI_PATH", "default_handlers", "load_openapi", "routes"]


class NotFoundHandler(SurveylabHandler):
    """Any other path under ``<mount>/api``: a JSON 404 that names the path."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise web.HTTPError(HTTPStatus.NOT_FOUND, f"no surveylab endpoint /{self.mount}api/{path}")

    post = patch = delete = get


_JOB = r"(?P<job_id>[^/]+)"
_TILE = r"(?P<tilename>[^/]+)"

#: URL patterns (relative to the server's base URL) and their handlers, as a lab mounts them.
default_handlers: list[tuple[str, type[SurveylabHandler]]] = [
    (r"/surveylab/api/info", InfoHandler),
    (r"/surveylab/api/lab", LabHandler),
    (r"/surveylab/api/openapi.json", OpenAPIHandler),
    (r"/surveylab/api/query", QueryHandler),
    (r"/surveylab/api/query/check", CheckHandler),
    (r"/surveylab/api/query/explain", ExplainHandler),
    (r"/surveylab/api/tables", TablesHandler),
    (r"/surveylab/api/tables/(?P<name>[^/]+)", TableHandler),
    (r"/surveylab/api/examples", ExamplesHandler),
    (r"/surveylab/api/jobs", JobsHandler),
    (rf"/surveylab/api/jobs/{_JOB}", JobHandler),
    (rf"/surveylab/api/jobs/{_JOB}/cancel", CancelHandler),
    (rf"/surveylab/api/jobs/{_JOB}/files/(?P<name>[^/]+)", FileHandler),
    (rf"/surveylab/api/jobs/{_JOB}/log", LogHandler),
    (rf"/surveylab/api/jobs/{_JOB}/archive", ArchiveHandler),
    (rf"/surveylab/api/jobs/{_JOB}/labels", LabelsHandler),
    (r"/surveylab/api/footprint/tiles", TilesAtHandler),
    (r"/surveylab/api/footprint/tiles.geojson", TilesGeoJSONHandler),
    (rf"/surveylab/api/footprint/tiles/{_TILE}", FootprintTileHandler),
    (rf"/surveylab/api/footprint/tiles/{_TILE}/images/(?P<band>[^/]+)", TileImageHandler),
    (r"/surveylab/api/footprint/healpix", HealpixHandler),
    (r"/surveylab/api/footprint/moc", MOCHandler),
    (r"/surveylab/api/hips/properties", HiPSHandler),
    (r"/surveylab/api/hips/(?P<path>.+)", HiPSHandler),
    (r"/surveylab/api/finding-chart", FindingChartHandler),
    (r"/surveylab/api/help", HelpHandler),
    (r"/surveylab/api/status", StatusHandler),
    (r"/surveylab/api/similar", SimilarHandler),
    (r"/surveylab/api/(.*)", NotFoundHandler),
    (r"/surveylab/(?P<path>(?:tap|soda|sia|datalink)(?:/.*)?)", VOHandler),
]


def routes(prefix: str = "/surveylab") -> list[tuple[str, type[SurveylabHandler]]]:
    """:data:`default_handlers` mounted at ``prefix`` instead of ``/surveylab`` (the platform
    service mounts them at its root: ``/services/surveylab/api/jobs``)."""
    prefix = prefix.rstrip("/")
    return [
        (prefix + pattern.removeprefix("/surveylab"), handler)
        for pattern, handler in default_handlers
    ]

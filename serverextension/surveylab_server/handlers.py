"""Thin REST handlers over the surveylab core.

Every handler authenticates through jupyter_server (token, cookie + XSRF, or the hub's OAuth) and
authorises against the ``surveylab`` resource. A handler parses the request, calls the core in a
worker thread (the core is blocking) and writes JSON. Domain errors become JSON error bodies in
one place, :meth:`SurveylabHandler.write_error`; no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import shlex
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import yaml
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from surveylab import Survey
from surveylab.cutouts import CUTOUT_JOB
from surveylab.cutouts.labels import job_labels, label_keys, save_labels
from surveylab.errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    FootprintError,
    ImageNotFoundError,
    JobLimitError,
    JobNotFoundError,
    NsideError,
    PositionError,
    QueryCancelledError,
    QueryError,
    QueryTimeoutError,
    SQLSyntaxError,
    SurveylabError,
    TableNotFoundError,
    TileNotFoundError,
)
from surveylab.examples import EXAMPLES
from surveylab.footprint import DEFAULT_MOC_ORDER, DEFAULT_NSIDE
from surveylab.hips import HiPSNotFoundError, hips_file
from surveylab.jobs import JobStateError, Phase, UnsafePathError
from surveylab.labenv import LabEnvironment
from surveylab.query_jobs import QUERY_JOB

__all__ = ["MAX_BODY_BYTES", "OPENAPI_PATH", "default_handlers", "load_openapi"]

#: The REST contract, served as JSON at ``/surveylab/api/openapi.json``.
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")

#: Largest JSON request body accepted, in bytes.
MAX_BODY_BYTES = 1_000_000

#: Most jobs in one page of ``GET /jobs``.
MAX_PAGE = 500

#: Bytes per chunk when streaming a file to the client.
CHUNK_BYTES = 1 << 20

#: HTTP status for each domain error; the first matching class wins.
ERROR_STATUS: tuple[tuple[type[Exception], HTTPStatus], ...] = (
    (CatalogNotFoundError, HTTPStatus.SERVICE_UNAVAILABLE),
    (CatalogUnavailableError, HTTPStatus.SERVICE_UNAVAILABLE),
    (JobNotFoundError, HTTPStatus.NOT_FOUND),
    (JobStateError, HTTPStatus.CONFLICT),
    (UnsafePathError, HTTPStatus.BAD_REQUEST),
    (TableNotFoundError, HTTPStatus.NOT_FOUND),
    (TileNotFoundError, HTTPStatus.NOT_FOUND),
    (ImageNotFoundError, HTTPStatus.NOT_FOUND),
    (HiPSNotFoundError, HTTPStatus.NOT_FOUND),
    (FootprintError, HTTPStatus.BAD_REQUEST),
    (JobLimitError, HTTPStatus.TOO_MANY_REQUESTS),
    (QueryTimeoutError, HTTPStatus.REQUEST_TIMEOUT),
    (QueryCancelledError, HTTPStatus.CONFLICT),
    (QueryError, HTTPStatus.BAD_REQUEST),
    (SurveylabError, HTTPStatus.BAD_REQUEST),
)

T = TypeVar("T")


@cache
def load_openapi() -> dict[str, Any]:
    """The OpenAPI document of the REST API, parsed once."""
    document: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text())
    return document


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
        """Write ``{"message", "reason"}`` (plus ``line``/``column`` for SQL syntax errors)."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        for error_class, status in ERROR_STATUS:
            if isinstance(exc, error_class):
                reply: dict[str, Any] = {"message": str(exc), "reason": status.phrase}
                if isinstance(exc, SQLSyntaxError):
                    reply.update(line=exc.line, column=exc.column)
                self.set_header("Content-Type", "application/json")
                self.set_status(status)
                self.finish(json.dumps(reply))
                return
        super().write_error(status_code, **kwargs)

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


class InfoHandler(SurveylabHandler):
    """``GET /info``: version, release name, backend and tables."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        info = await self.call(self.survey.info)
        self.write_json(info.to_json())


def sql_command() -> str:
    """The shell command that starts ``surveylab sql`` from this server's environment, by its
    full path: a terminal's login shell may reset ``PATH``."""
    script = Path(sys.executable).with_name("surveylab")
    if script.is_file():
        return f"{shlex.quote(str(script))} sql"
    return f"{shlex.quote(sys.executable)} -m surveylab.cli sql"


class LabHandler(SurveylabHandler):
    """``GET /lab``: what the lab front end needs about this server: its deadline (set by the
    hub for capped labs, e.g. GPU), where the job folders are in the file browser, and the
    command of the SQL shell."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        deadline = LabEnvironment.from_settings(self.survey.settings).deadline_text
        root = Path(self.settings.get("server_root_dir") or Path.cwd()).expanduser().resolve()
        jobs = self.survey.settings.jobs_dir.expanduser().resolve()
        folder = jobs.relative_to(root).as_posix() if jobs.is_relative_to(root) else None
        self.write_json({"deadline": deadline, "jobs_folder": folder, "sql_command": sql_command()})


class OpenAPIHandler(SurveylabHandler):
    """``GET /openapi.json``: the REST contract."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(load_openapi())


class QueryHandler(SurveylabHandler):
    """``POST /query``: a quick query, with a time limit and a row cap."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body("sql")
        result = await self.call(
            self.survey.quick,
            str(body["sql"]),
            timeout=_positive(body, "timeout", float),
            max_rows=_positive(body, "max_rows", int),
        )
        self.write_json(result.to_json())


class CheckHandler(SurveylabHandler):
    """``POST /query/check``: a syntax check; errors carry line and column."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        prepared = await self.call(self.survey.check, str(self.body("sql")["sql"]))
        self.write_json({"valid": True, "sql": prepared.sql, "tables": list(prepared.tables)})


class ExplainHandler(SurveylabHandler):
    """``POST /query/explain``: the execution plan as text."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        plan = await self.call(self.survey.explain, str(self.body("sql")["sql"]))
        self.write_json({"plan": plan})


class TablesHandler(SurveylabHandler):
    """``GET /tables`` (``?column=X``: the tables having column X)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        tables = await self.call(self.survey.tables, self.get_argument("column", None))
        self.write_json(
            {
                "tables": [
                    {"name": t.name, "description": t.description, "rows": t.rows} for t in tables
                ]
            }
        )


class TableHandler(SurveylabHandler):
    """``GET /tables/{name}``: a table with its columns."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        table = await self.call(self.survey.table, name)
        self.write_json(
            {
                "name": table.name,
                "description": table.description,
                "rows": table.rows,
                "columns": [column.__dict__ for column in table.columns],
            }
        )


class ExamplesHandler(SurveylabHandler):
    """``GET /examples``: named example queries."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"examples": [example.to_json() for example in EXAMPLES]})


class JobsHandler(SurveylabHandler):
    """``GET /jobs``: the user's jobs, paged; ``POST /jobs``: start a job."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        phase = self.get_argument("phase", None)
        try:
            phase_filter = None if phase is None else Phase(phase)
        except ValueError:
            known = ", ".join(p.value for p in Phase)
            raise SurveylabError(f"unknown phase {phase!r}; phases: {known}") from None
        offset = self.int_argument("offset", 0)
        limit = self.int_argument("limit", 50, minimum=1, maximum=MAX_PAGE)
        jobs, total = await self.call(
            self.survey.runner.store.list,
            phase=phase_filter,
            type=self.get_argument("type", None),
            sort=self.get_argument("sort", "-created"),
            offset=offset,
            limit=limit,
        )
        self.write_json(
            {
                "jobs": [job.to_json() for job in jobs],
                "total": total,
                "offset": offset,
                "limit": limit,
            }
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body("type")
        if body["type"] == CUTOUT_JOB:
            job = await self.call(self._submit_cutouts, body)
            self.write_json((await self.call(lambda: job.record)).to_json(), HTTPStatus.CREATED)
            return
        if body["type"] != QUERY_JOB:
            raise SurveylabError(
                f"unknown job type {body['type']!r}; known: {QUERY_JOB}, {CUTOUT_JOB}"
            )
        if "sql" not in body:
            raise SurveylabError("a query job needs 'sql'")
        job = await self.call(
            self.survey.submit,
            str(body["sql"]),
            format=str(body.get("format", "csv")),
            compression=_optional_str(body, "compression"),
            name=_optional_str(body, "name"),
            email=_optional_str(body, "email"),
        )
        self.write_json((await self.call(lambda: job.record)).to_json(), HTTPStatus.CREATED)

    def _submit_cutouts(self, body: dict[str, Any]) -> Any:
        """Start a cutout job from the JSON body (positions, ids or csv, and options)."""
        unknown = sorted(set(body) - _CUTOUT_FIELDS)
        if unknown:
            raise SurveylabError(f"unknown field(s) of a cutout job: {', '.join(unknown)}")
        options = {key: body[key] for key in _CUTOUT_OPTIONS if body.get(key) is not None}
        for key in ("positions", "ids"):
            if body.get(key) is not None and not isinstance(body[key], list):
                raise SurveylabError(f"{key} must be a list")
        positions = body.get("positions")
        if positions is not None and not all(isinstance(p, list | str) for p in positions):
            raise SurveylabError(
                "positions must be [ra, dec] pairs or position strings like '21:33:27 -0:49:24'; "
                "object ids go in 'ids'"
            )
        return self.survey.cutouts(
            positions=positions,
            ids=body.get("ids"),
            csv=_optional_str(body, "csv"),
            name=_optional_str(body, "name"),
            email=_optional_str(body, "email"),
            **options,
        )


#: Options of a cutout job's body, passed to ``Survey.cutouts`` as they are.
_CUTOUT_OPTIONS = (
    "xsize",
    "ysize",
    "bands",
    "rgb",
    "rgb_minimum",
    "rgb_stretch",
    "rgb_q",
    "previews",
    "list_only",
)
_CUTOUT_FIELDS = {"type", "positions", "ids", "csv", "name", "email", *_CUTOUT_OPTIONS}


class JobHandler(SurveylabHandler):
    """``GET``, ``PATCH`` (rename, renew) and ``DELETE`` of one job."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        job = await self.call(self.survey.runner.store.get, job_id)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        body = self.body()
        store = self.survey.runner.store
        job = await self.call(store.get, job_id)
        if "name" in body:
            job = await self.call(store.rename, job_id, str(body["name"]))
        renew = body.get("renew")
        if renew:
            days = None if renew is True else _positive(body, "renew", float)
            job = await self.call(store.renew, job_id, days)
        self.write_json(job.to_json())

    @web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        await self.call(self.survey.runner.delete, job_id)
        self.set_status(HTTPStatus.NO_CONTENT)
        await self.finish()


class CancelHandler(SurveylabHandler):
    """``POST /jobs/{id}/cancel``: stop the job (and its query in the database)."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        job = await self.call(self.survey.runner.cancel, job_id)
        self.write_json(job.to_json())


class FileHandler(SurveylabHandler):
    """``GET /jobs/{id}/files/{name}``: download one result file."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str, name: str) -> None:
        path = await self.call(self.survey.runner.store.file_path, job_id, name)
        await self.send_file(path, path.name)


class LogHandler(SurveylabHandler):
    """``GET /jobs/{id}/log``: the job's log as text."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        text = await self.call(self.survey.runner.store.read_log, job_id)
        # APIHandler.finish sets the Content-Type itself: JSON unless told otherwise.
        await self.finish(text, set_content_type="text/plain; charset=utf-8")


class ArchiveHandler(SurveylabHandler):
    """``GET /jobs/{id}/archive``: a zip of the job's files, record and log."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        store = self.survey.runner.store
        job = await self.call(store.get, job_id)
        with tempfile.TemporaryDirectory(prefix="surveylab-archive-") as folder:
            path = Path(folder) / f"{job.name}.zip"
            await self.call(store.archive, job_id, path)
            await self.send_file(path, path.name, "application/zip")


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
        body = self.body("labels")
        unknown = sorted(set(body) - {"labels"})
        if unknown:
            raise SurveylabError(f"unknown field(s) of a labels body: {', '.join(unknown)}")
        labels = await self.call(save_labels, self.survey.runner.store, job_id, body["labels"])
        self.write_json({"labels": labels})


class TilesAtHandler(SurveylabHandler):
    """``GET /footprint/tiles?ra=&dec=``: the tile owning a position, and every tile holding it."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        ra, dec = self.degrees_argument("ra"), self.degrees_argument("dec")
        tiles = await self.call(self.survey.tiles_at, ra, dec)
        self.write_json({"ra": ra, "dec": dec, "tile": tiles[0] if tiles else None, "tiles": tiles})


class FootprintTileHandler(SurveylabHandler):
    """``GET /footprint/tiles/{name}``: a tile's geometry, object count and image links."""

    @web.authenticated
    @authorized
    async def get(self, tilename: str) -> None:
        tile = await self.call(self.survey.tile, tilename)
        reply = tile.to_json()
        base = url_path_join(
            self.base_url, "surveylab/api/footprint/tiles", quote(tile.name, safe="")
        )
        reply["images"] = [
            {
                "band": band,
                "file": path.name,
                "size": path.stat().st_size,
                "url": url_path_join(base, "images", quote(band, safe="")),
            }
            for band, path in tile.images.items()
        ]
        self.write_json(reply)


class TileImageHandler(SurveylabHandler):
    """``GET /footprint/tiles/{name}/images/{band}``: download the tile's FITS image.

    Only files that the release's tile table names, and that lie inside the release folder, are
    served: the path comes from the tile and band, never from the request.
    """

    @web.authenticated
    @authorized
    async def get(self, tilename: str, band: str) -> None:
        path = await self.call(self.survey.tile_image, tilename, band)
        await self.send_file(path, path.name, "application/fits")


class TilesGeoJSONHandler(SurveylabHandler):
    """``GET /footprint/tiles.geojson``: every tile outline, for map overlays."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        footprint = await self.call(lambda: self.survey.footprint)
        text = await self.call(lambda: json.dumps(footprint.geojson()))
        await self.finish(text, set_content_type="application/geo+json")


class HealpixHandler(SurveylabHandler):
    """``GET /footprint/healpix?nside=32``: objects per HEALPix pixel (NESTED)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        text = self.get_argument("nside", str(DEFAULT_NSIDE))
        try:
            nside = int(text)
        except ValueError:
            raise NsideError(f"nside must be a power of 2, not {text!r}") from None
        counts = await self.call(self.survey.healpix_counts, nside)
        self.write_json(
            {
                "nside": counts.meta["NSIDE"],
                "ordering": "NESTED",
                "total": int(counts["COUNT"].sum()),
                "pixels": counts["HPIX"].tolist(),
                "counts": counts["COUNT"].tolist(),
            }
        )


class MOCHandler(SurveylabHandler):
    """``GET /footprint/moc?order=10&format=fits``: the footprint as a MOC (FITS or JSON)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        text = self.get_argument("order", str(DEFAULT_MOC_ORDER))
        try:
            order = int(text)
        except ValueError:
            raise FootprintError(f"order must be an integer HEALPix order, not {text!r}") from None
        kind = self.get_argument("format", "fits")
        if kind not in ("fits", "json"):
            raise FootprintError(f"format must be fits or json, not {kind!r}")
        moc = await self.call(self.survey.moc, order)
        if kind == "json":
            self.write_json(await self.call(moc.serialize, "json"))
            return
        data = await self.call(_moc_fits, moc)
        self.set_header("Content-Disposition", f'inline; filename="moc-order{order}.fits"')
        await self.finish(data, set_content_type="application/fits")


#: Browser caching of HiPS files: tiles change only when the HiPS is rebuilt.
HIPS_CACHE_CONTROL = "private, max-age=3600"


class HiPSHandler(SurveylabHandler):
    """``GET /hips/{path}``: a file of the release's HiPS (``properties``, ``Moc.fits``,
    ``Norder<k>/Dir<d>/Npix<n>.png``), so that Aladin Lite can load ``<base>/surveylab/api/hips``.

    Only files inside the HiPS folder are served (see :func:`surveylab.hips.hips_file`); without
    a HiPS, every path is a 404 saying how to build one.
    """

    @web.authenticated
    @authorized
    async def get(self, path: str = "properties") -> None:
        file, content_type = await self.call(hips_file, self.survey.settings.data_dir, path)
        data = await self.call(file.read_bytes)  # tiles are small (tens of kB)
        self.set_header("Cache-Control", HIPS_CACHE_CONTROL)
        await self.finish(data, set_content_type=content_type)


class NotFoundHandler(SurveylabHandler):
    """Any other path under ``/surveylab/api``: a JSON 404 that names the path."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise web.HTTPError(HTTPStatus.NOT_FOUND, f"no surveylab endpoint /surveylab/api/{path}")

    post = patch = delete = get


def _positive(body: dict[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    """``body[key]`` as a positive ``kind``, or None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SurveylabError(f"{key} must be a positive number, not {value!r}")
    if kind is int and int(value) != value:
        raise SurveylabError(f"{key} must be a whole number, not {value!r}")
    return kind(value)


def _moc_fits(moc: Any) -> bytes:
    """A MOC as FITS bytes, NUNIQ-encoded so that MOC 1.0 readers (old Aladin Lite) read it."""
    buffer = io.BytesIO()
    moc.serialize("fits", v1_compatible=True).writeto(buffer)
    return buffer.getvalue()


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    """``body[key]`` as a string, or None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SurveylabError(f"{key} must be a string, not {value!r}")
    return value


_JOB = r"(?P<job_id>[^/]+)"
_TILE = r"(?P<tilename>[^/]+)"

#: URL patterns (relative to the server's base URL) and their handlers.
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
    (r"/surveylab/api/(.*)", NotFoundHandler),
]

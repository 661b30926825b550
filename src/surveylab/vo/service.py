"""The IVOA services of one user's release: one object answers every VO request.

:class:`VOService` routes a :class:`~surveylab.vo.protocol.VORequest` by its path —

======================  ===============================================================
``tap``                 TAP 1.1: ``sync``, ``async`` (UWS), ``tables``, ``examples``
``soda``                SODA 1.0: ``sync``, ``async`` (UWS over cutout jobs)
``sia``                 SIA 2.0: ``query``, and ``files/<tile>/<band>`` (the images)
``datalink``            DataLink 1.1: ``links``
each of them            VOSI ``availability`` and ``capabilities``
======================  ===============================================================

— and answers with a :class:`~surveylab.vo.protocol.VOResponse`. Every error a user can cause
becomes a DALI error document with its category's status; nothing else is caught here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from ..errors import (
    JobLimitError,
    RequestError,
    ResourceNotFoundError,
    StorageQuotaError,
    SurveylabError,
)
from . import tap, vosi
from .protocol import VORequest, VOResponse, error_response
from .uws import UWSJobs

if TYPE_CHECKING:
    from ..survey import Survey

__all__ = ["ADQL_EXAMPLES", "SERVICES", "VOService"]

#: The services and what each one is.
SERVICES = {
    "tap": "TAP 1.1: ADQL and SQL queries, sync and async",
    "soda": "SODA 1.0: cutouts of the coadd images",
    "sia": "SIA 2.0: find the coadd images",
    "datalink": "DataLink 1.1: the files and services of an image",
}

#: The release's example queries in ADQL (the DALI ``examples`` document): id, title, what it
#: shows, the query.
ADQL_EXAMPLES = (
    (
        "m2-stars",
        "Stars around the centre of globular cluster M2",
        "DES's own example as a cone search: point sources with clean flags within 0.12° of M2.",
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R\n"
        "FROM DR1_MAIN\n"
        "WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', 323.36, -0.82, 0.12)) = 1\n"
        "  AND WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005\n"
        "  AND FLAGS_G < 4 AND FLAGS_R < 4",
    ),
    (
        "nearest-to-m2",
        "The objects nearest to M2, with their distance",
        "DISTANCE in degrees, sorted: the 20 objects closest to the cluster's centre.",
        "SELECT TOP 20 COADD_OBJECT_ID, RA, DEC,\n"
        "       DISTANCE(POINT('ICRS', RA, DEC), POINT('ICRS', 323.36, -0.82)) AS DIST\n"
        "FROM DR1_MAIN\n"
        "WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', 323.36, -0.82, 0.05)) = 1\n"
        "ORDER BY DIST",
    ),
    (
        "point-sources-by-magnitude",
        "Point sources per magnitude bin",
        "Counts of point-like sources (the WAVG_SPREAD_MODEL_I criterion) per whole i magnitude.",
        "SELECT MAG_I, COUNT(*) AS N\n"
        "FROM (SELECT FLOOR(MAG_AUTO_I) AS MAG_I FROM DR1_MAIN\n"
        "      WHERE WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005\n"
        "        AND FLAGS_I < 4 AND MAG_AUTO_I < 24) AS point_sources\n"
        "GROUP BY MAG_I\n"
        "ORDER BY MAG_I",
    ),
    (
        "bright-galaxies",
        "The brightest galaxies",
        "Extended sources brighter than i = 18, for cutouts.",
        "SELECT TOP 100 COADD_OBJECT_ID, RA, DEC, TILENAME, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I\n"
        "FROM DR1_MAIN\n"
        "WHERE EXTENDED_CLASS_COADD >= 2 AND MAG_AUTO_I < 18 AND FLAGS_I = 0\n"
        "ORDER BY MAG_AUTO_I",
    ),
    (
        "healpix-counts",
        "Object counts per HEALPix pixel (nside 32)",
        "The survey's density map: objects per nested HEALPix pixel at nside 32.",
        "SELECT HPIX_32, COUNT(*) AS N, AVG(RA) AS RA, AVG(DEC) AS DEC\n"
        "FROM DR1_MAIN\n"
        "GROUP BY HPIX_32\n"
        "ORDER BY N DESC",
    ),
    (
        "columns-of-dr1-main",
        "The columns of DR1_MAIN, from TAP_SCHEMA",
        "Names, units, UCDs and descriptions, as TOPCAT's table browser shows them.",
        "SELECT column_name, datatype, unit, ucd, description\n"
        "FROM TAP_SCHEMA.columns\n"
        "WHERE table_name = 'DR1_MAIN'\n"
        "ORDER BY column_index",
    ),
)


class VOService:
    """The VO services over ``survey``: call :meth:`handle` with each request (it blocks, so
    an adapter calls it off its event loop, and advances a streamed body there too)."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.tap_jobs = UWSJobs(survey.job_service, "query", "tap/async")
        self.soda_jobs = UWSJobs(survey.job_service, "cutout", "soda/async")

    def handle(self, request: VORequest) -> VOResponse:
        """The answer to ``request``; an error the user can fix is a DALI error document."""
        try:
            return self._route(request)
        except SurveylabError as exc:
            return error_response(exc)

    def _route(self, request: VORequest) -> VOResponse:
        parts = [part for part in request.path.strip("/").split("/") if part]
        if not parts or parts[0] not in SERVICES:
            known = ", ".join(SERVICES)
            raise ResourceNotFoundError(f"no VO service at {request.path!r}; the services: {known}")
        service, rest = parts[0], parts[1:]
        if not rest:
            return self._home(request, service)
        endpoint = rest[0].lower()
        if endpoint == "availability":
            return vosi.availability(self.survey)
        if endpoint == "capabilities":
            return vosi.capabilities(request, service, self.survey)
        route = getattr(self, f"_{service}")
        response: VOResponse = route(request, endpoint, rest[1:])
        return response

    def _tap(self, request: VORequest, endpoint: str, rest: list[str]) -> VOResponse:
        if endpoint == "sync":
            return tap.sync_query(self.survey, request)
        if endpoint == "async":
            if not rest and request.method == "POST":
                return self._tap_submit(request)
            return self.tap_jobs.handle(request, rest)
        if endpoint == "tables":
            return vosi.tables(self.survey, rest[0] if rest else None)
        if endpoint == "examples":
            return vosi.examples(request, ADQL_EXAMPLES)
        raise ResourceNotFoundError(f"TAP has no endpoint {endpoint!r}")

    def _tap_submit(self, request: VORequest) -> VOResponse:
        """A new async query job (UWS): PENDING, or queued at once with ``PHASE=RUN``. A query
        that cannot run makes a job too, in ERROR with the reason (UWS creates a job for every
        request); only a full job list or a bad ``PHASE`` is refused outright."""
        phase = (request.params.get("PHASE") or "").upper()
        if phase not in ("", "RUN"):
            raise RequestError(f"PHASE={phase} cannot start a job: give RUN, or no PHASE")
        try:
            job_id = self._tap_job(request, start=phase == "RUN")
        except (JobLimitError, StorageQuotaError):  # no new job, not even one in ERROR
            raise
        except SurveylabError as exc:
            params = request.params
            parameters = {
                "sql": params.get("QUERY") or "",
                "lang": (params.get("LANG") or "ADQL").upper(),
                "format": params.get("RESPONSEFORMAT") or "votable",
            }
            job_id = self.survey.job_service.reject(
                "query", name=params.get("RUNID") or None, parameters=parameters, error=str(exc)
            ).id
        return VOResponse.redirect(self.tap_jobs.job_url(request, job_id))

    def _tap_job(self, request: VORequest, *, start: bool) -> str:
        """The id of a new query job for the TAP request (checked first)."""
        query = tap.query_parameters(request, self.survey.settings)
        options: dict[str, object] = {}
        duration = request.params.get("EXECUTIONDURATION")
        if duration is not None:
            if not duration.isdigit():
                raise RequestError(f"EXECUTIONDURATION={duration} is not a whole number of seconds")
            options["executionduration"] = int(duration)
        if query.format == "votable" and query.serialization == "tabledata":
            options["serialization"] = "tabledata"
        job = self.survey.submit(
            query.query,
            format=query.format,
            name=request.params.get("RUNID") or None,
            lang=query.lang,
            maxrec=query.maxrec,
            uploads=query.uploads,
            start=start,
            options=options,
        )
        return job.id

    def _soda(self, request: VORequest, endpoint: str, rest: list[str]) -> VOResponse:
        if endpoint not in ("sync", "async"):
            raise ResourceNotFoundError(f"SODA has no endpoint {endpoint!r}")
        from . import soda

        if endpoint == "sync":
            return soda.soda_sync(self.survey, request)
        if not rest and request.method == "POST":  # soda/async: a new job
            job = soda.soda_submit(self.survey, request)
            return VOResponse.redirect(self.soda_jobs.job_url(request, job))
        return self.soda_jobs.handle(request, rest)

    def _sia(self, request: VORequest, endpoint: str, rest: list[str]) -> VOResponse:
        if endpoint == "query":
            from .sia import sia_query

            return sia_query(self.survey, request)
        if endpoint == "files" and len(rest) == 2:
            from .sia import sia_file

            return sia_file(self.survey, request, rest[0], rest[1])
        raise ResourceNotFoundError(f"SIA has no endpoint {endpoint!r}")

    def _datalink(self, request: VORequest, endpoint: str, rest: list[str]) -> VOResponse:
        if endpoint == "links":
            from .datalink import datalink_links

            return datalink_links(self.survey, request)
        raise ResourceNotFoundError(f"DataLink has no endpoint {endpoint!r}")

    def _home(self, request: VORequest, service: str) -> VOResponse:
        """A page naming the service and its endpoints, for a person who opens the URL."""
        endpoints = {
            "tap": ("sync", "async", "tables", "examples", "capabilities", "availability"),
            "soda": ("sync", "async", "capabilities", "availability"),
            "sia": ("query", "capabilities", "availability"),
            "datalink": ("links", "capabilities", "availability"),
        }[service]
        links = "".join(
            f"<li><a href={quoteattr(request.url(f'{service}/{name}'))}>{name}</a></li>"
            for name in endpoints
        )
        page = (
            f"<!DOCTYPE html><html><head><title>{escape(self.survey.release)} {service}</title>"
            f"</head><body><h1>{escape(self.survey.release)}: {escape(SERVICES[service])}</h1>"
            f"<ul>{links}</ul></body></html>"
        )
        return VOResponse(200, "text/html; charset=utf-8", page.encode())

"""UWS 1.1 over the user's job store: the job list, a job and its parts, and what may be changed.

A UWS job *is* a job of the store (:class:`surveylab.job_service.JobService`): TAP's async jobs
are the store's query jobs, SODA's are its cutout jobs. So a job submitted through TAP shows in
the lab's job browser, and a job started from the query panel shows in the TAP job list.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from ..errors import RequestError, ResourceNotFoundError, SurveylabError
from ..jobs import Job, Phase, format_time, parse_time
from .protocol import Params, VORequest, VOResponse, error_document, read_chunks

if TYPE_CHECKING:
    from ..job_service import JobService

__all__ = [
    "MAX_WAIT_SECONDS",
    "UWSJobs",
]

#: The longest a blocking ``WAIT`` holds a request, in seconds.
MAX_WAIT_SECONDS = 60.0
#: Result id of a query job's table, as TAP names it.
RESULT_ID = "result"
_HEADER = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1"'
)
_NIL = ' xsi:nil="true"/>'
#: How a query job's parameters are named in UWS (TAP's names).
_QUERY_PARAMETERS = {
    "sql": "QUERY",
    "lang": "LANG",
    "format": "RESPONSEFORMAT",
    "maxrec": "MAXREC",
    "uploads": "UPLOAD",
}
#: Parameters never shown (an e-mail address is the user's, not the job's).
_HIDDEN = frozenset({"email", "compression", "serialization"})


def _time(tag: str, value: datetime | None) -> str:
    if value is None:
        return f"  <uws:{tag}{_NIL}\n"
    return f"  <uws:{tag}>{format_time(value)}</uws:{tag}>\n"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


class UWSJobs:
    """The UWS face of the user's jobs of one type, mounted at ``path`` (``tap/async``)."""

    def __init__(self, jobs: JobService, job_type: str, path: str) -> None:
        self.jobs = jobs
        self.job_type = job_type
        self.path = path

    # --- documents ------------------------------------------------------------------------

    def job_url(self, request: VORequest, job_id: str, *parts: str) -> str:
        """The URL of job ``job_id`` (or one of its parts)."""
        return request.url("/".join((self.path, job_id, *parts)))

    def parameters(self, job: Job) -> dict[str, str]:
        """The job's parameters as UWS shows them (TAP's names for a query job)."""
        names = _QUERY_PARAMETERS if self.job_type == "query" else {}
        shown = {
            names.get(key, key.upper()): _value(value)
            for key, value in job.parameters.items()
            if key not in _HIDDEN and value is not None
        }
        if self.job_type == "query":
            shown.setdefault("LANG", "SQL")
            if job.parameters.get("serialization") == "tabledata":
                shown["RESPONSEFORMAT"] = "votable/td"
        return shown

    def result_ids(self, job: Job) -> list[tuple[str, str]]:
        """``(result id, file name)`` of each result of ``job``: a query job's table is
        ``result``, the other files keep their names."""
        pairs = []
        for index, result in enumerate(job.files):
            ident = RESULT_ID if index == 0 and self.job_type == "query" else result.name
            pairs.append((ident, result.name))
        return pairs

    def job_document(self, request: VORequest, job: Job) -> str:
        """The UWS job element."""
        duration = int(job.parameters.get("executionduration") or 0)
        parameters = "".join(
            f"    <uws:parameter id={quoteattr(name)}>{escape(value)}</uws:parameter>\n"
            for name, value in self.parameters(job).items()
        )
        results = "".join(
            f"    <uws:result id={quoteattr(ident)} "
            f"xlink:href={quoteattr(self.job_url(request, job.id, 'results', ident))}/>\n"
            for ident, _ in self.result_ids(job)
        )
        error = ""
        if job.phase is Phase.ERROR:
            error = (
                '  <uws:errorSummary type="fatal" hasDetail="true">\n'
                f"    <uws:message>{escape(job.error or 'the job failed')}</uws:message>\n"
                "  </uws:errorSummary>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<uws:job {_HEADER}>\n"
            f"  <uws:jobId>{escape(job.id)}</uws:jobId>\n"
            f"  <uws:runId>{escape(job.name)}</uws:runId>\n"
            f"  <uws:ownerId{_NIL}\n"
            f"  <uws:phase>{job.phase}</uws:phase>\n"
            f"  <uws:quote{_NIL}\n"
            + _time("creationTime", job.created)
            + _time("startTime", job.started)
            + _time("endTime", job.ended)
            + f"  <uws:executionDuration>{duration}</uws:executionDuration>\n"
            + _time("destruction", job.destruction)
            + f"  <uws:parameters>\n{parameters}  </uws:parameters>\n"
            + f"  <uws:results>\n{results}  </uws:results>\n"
            + error
            + "</uws:job>\n"
        )

    def list_document(self, request: VORequest) -> str:
        """The job list, filtered by ``PHASE`` (repeatable), ``AFTER`` and ``LAST`` (UWS 1.1);
        ARCHIVED jobs only when asked for by phase."""
        params = request.params
        phases = {_phase(value) for value in params.getall("PHASE")}
        after = _after(params)
        last = _last(params)
        page, _ = self.jobs.list(type=self.job_type, limit=None, sort="-created")
        chosen = [
            job
            for job in page
            if (job.phase in phases if phases else job.phase is not Phase.ARCHIVED)
            and (after is None or job.created > after)
        ]
        if last is not None:
            chosen = chosen[:last]
        refs = "".join(
            f"  <uws:jobref id={quoteattr(job.id)} "
            f"xlink:href={quoteattr(self.job_url(request, job.id))}>\n"
            f"    <uws:phase>{job.phase}</uws:phase>\n"
            f"    <uws:runId>{escape(job.name)}</uws:runId>\n"
            + _time("creationTime", job.created).replace("  <uws:", "    <uws:", 1)
            + "  </uws:jobref>\n"
            for job in chosen
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:jobs {_HEADER}>\n{refs}</uws:jobs>\n'

    # --- requests ---------------------------------------------------------------------------

    def handle(self, request: VORequest, rest: list[str]) -> VOResponse:
        """Answer a request below the job list; ``rest`` is the path after it, split at ``/``."""
        if not rest:
            if request.method == "GET":
                return VOResponse.xml(self.list_document(request))
            raise _method(request)
        job_id, *part = rest
        job = self.get(job_id)
        if not part:
            return self._job(request, job)
        name = part[0].lower()
        if name == "phase":
            return self._phase(request, job)
        if name == "destruction":
            return self._destruction(request, job)
        if name == "executionduration":
            return self._execution_duration(request, job)
        if name == "quote" and request.method == "GET":
            return VOResponse.text("")
        if name == "owner" and request.method == "GET":
            return VOResponse.text("")
        if name == "parameters" and request.method == "GET":
            return VOResponse.xml(self._section(request, job, "parameters"))
        if name == "parameters" and request.method == "POST":
            return self._set_parameters(request, job)
        if name == "results" and request.method == "GET":
            if len(part) == 1:
                return VOResponse.xml(self._section(request, job, "results"))
            return self._result(job, part[1])
        if name == "error" and request.method == "GET":
            if job.phase is not Phase.ERROR:
                raise ResourceNotFoundError(f"job {job.id} has no error: it is {job.phase}")
            return VOResponse(200, "application/x-votable+xml", error_document(job.error or ""))
        if name in ("quote", "owner", "parameters", "results", "error"):
            raise _method(request)
        raise ResourceNotFoundError(f"UWS jobs have no {part[0]!r}")

    def get(self, job_id: str) -> Job:
        """Job ``job_id`` of this type (another type's job is not found here)."""
        job = self.jobs.get(job_id)
        if job.type != self.job_type:
            raise ResourceNotFoundError(f"no {self.job_type} job {job_id}")
        return job

    def _job(self, request: VORequest, job: Job) -> VOResponse:
        params = request.params
        if request.method == "DELETE" or (
            request.method == "POST" and (params.get("ACTION") or "").upper() == "DELETE"
        ):
            self.jobs.delete(job.id)
            return VOResponse.redirect(request.url(self.path))
        if request.method == "POST":
            if "PHASE" in params:
                return self._phase(request, job)
            return self._set_parameters(request, job)
        if request.method != "GET":
            raise _method(request)
        wait = params.get("WAIT")
        if wait is not None:
            job = self._wait(job, wait, params.get("PHASE"))
        return VOResponse.xml(self.job_document(request, job))

    def _wait(self, job: Job, wait: str, phase: str | None) -> Job:
        """UWS blocking: hold the request until the job leaves its phase (or ``phase``, if
        given), for at most ``WAIT`` seconds (-1: the server's longest)."""
        try:
            seconds = float(wait)
        except ValueError:
            raise RequestError(f"WAIT={wait} is not a number of seconds") from None
        seconds = MAX_WAIT_SECONDS if seconds < 0 else min(seconds, MAX_WAIT_SECONDS)
        start_phase = _phase(phase) if phase else job.phase
        if job.phase is not start_phase or job.phase.is_final:
            return job
        deadline = time.monotonic() + seconds
        delay = 0.05
        while time.monotonic() < deadline:
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)
            job = self.jobs.get(job.id)
            if job.phase is not start_phase:
                break
        return job

    def _phase(self, request: VORequest, job: Job) -> VOResponse:
        if request.method == "GET":
            return VOResponse.text(str(job.phase))
        if request.method != "POST":
            raise _method(request)
        wanted = (request.params.get("PHASE") or "").upper()
        if wanted == "RUN":
            self.jobs.start(job.id)
        elif wanted == "ABORT":
            self.jobs.cancel(job.id)
        else:
            raise RequestError(f"PHASE={wanted or '(empty)'} cannot be asked for: use RUN or ABORT")
        return VOResponse.redirect(self.job_url(request, job.id))

    def _set_parameters(self, request: VORequest, job: Job) -> VOResponse:
        """UWS: change a PENDING job's parameters by POST (``RUNID`` renames any job). A query
        job takes TAP's ``QUERY``, ``LANG``, ``MAXREC`` and ``RESPONSEFORMAT``; other jobs and
        other names are refused."""
        changes: dict[str, Any] = {}
        for name, values in request.params.items():
            value = values[-1]
            if name == "RUNID":
                self.jobs.rename(job.id, value)
            elif name == "DESTRUCTION":
                self._destruction(request, job)
            elif name == "EXECUTIONDURATION":
                self._execution_duration(request, job)
            elif self.job_type == "query" and name == "RESPONSEFORMAT":
                changes["format"], changes["serialization"] = _response_format(value)
            elif self.job_type == "query" and name in _SETTABLE:
                changes[_SETTABLE[name]] = _checked_parameter(name, value)
            else:
                raise RequestError(f"{name} cannot be changed on a {self.job_type} job")
        for key, value in changes.items():
            self.jobs.set_parameter(job.id, key, value)
        return VOResponse.redirect(self.job_url(request, job.id))

    def _destruction(self, request: VORequest, job: Job) -> VOResponse:
        if request.method == "GET":
            return VOResponse.text(format_time(job.destruction))
        if request.method != "POST":
            raise _method(request)
        text = request.params.get("DESTRUCTION")
        if not text:
            raise RequestError("DESTRUCTION is missing: give an ISO 8601 time with its zone")
        try:
            when = parse_time(text.replace("Z", "+00:00"))
        except ValueError:
            raise RequestError(
                f"DESTRUCTION={text} is not an ISO 8601 time with a zone (e.g. "
                "2030-01-01T00:00:00Z)"
            ) from None
        self.jobs.set_destruction(job.id, when)
        return VOResponse.redirect(self.job_url(request, job.id))

    def _execution_duration(self, request: VORequest, job: Job) -> VOResponse:
        if request.method == "GET":
            return VOResponse.text(str(int(job.parameters.get("executionduration") or 0)))
        if request.method != "POST":
            raise _method(request)
        text = request.params.get("EXECUTIONDURATION") or ""
        try:
            seconds = int(text)
        except ValueError:
            raise RequestError(
                f"EXECUTIONDURATION={text} is not a whole number of seconds"
            ) from None
        if seconds < 0:
            raise RequestError(f"EXECUTIONDURATION={text} is negative; 0 means no limit")
        self.jobs.set_parameter(job.id, "executionduration", seconds)
        return VOResponse.redirect(self.job_url(request, job.id))

    def _section(self, request: VORequest, job: Job, name: str) -> str:
        document = self.job_document(request, job)
        start = document.index(f"<uws:{name}>")
        end = document.index(f"</uws:{name}>") + len(f"</uws:{name}>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + document[start:end].replace(f"<uws:{name}>", f"<uws:{name} {_HEADER}>", 1)
            + "\n"
        )

    def _result(self, job: Job, ident: str) -> VOResponse:
        names = dict(self.result_ids(job))
        if ident not in names:
            raise ResourceNotFoundError(f"job {job.id} has no result {ident!r}")
        path = self.jobs.file_path(job.id, names[ident])
        result = job.file(names[ident])
        media = _media_type(result.format if result else None, path)
        return VOResponse(
            200, media, read_chunks(path), {"Content-Length": str(path.stat().st_size)}
        )


#: The TAP parameters a PENDING query job may change, and the job parameter each one sets.
_SETTABLE = {"QUERY": "sql", "LANG": "lang", "MAXREC": "maxrec"}


def _checked_parameter(name: str, value: str) -> Any:
    """A TAP parameter's new value, checked as at creation."""
    from .tap import LANGUAGES

    if name == "MAXREC":
        if not value.isdigit():
            raise RequestError(f"MAXREC={value} is not a whole number, 0 or more")
        return int(value)
    if name == "LANG" and value.upper() not in LANGUAGES:
        raise RequestError(f"LANG={value} is not supported; use one of {', '.join(LANGUAGES)}")
    return value.upper() if name == "LANG" else value


def _response_format(value: str) -> tuple[str, str | None]:
    """A new ``RESPONSEFORMAT``: the job's result format, and its VOTable serialization if
    TABLEDATA (None: the default, BINARY2)."""
    from .tap import RESPONSE_FORMATS

    chosen = RESPONSE_FORMATS.get(value.strip().lower())
    if chosen is None:
        raise RequestError(f"RESPONSEFORMAT={value} is not supported")
    format, serialization = chosen
    return format, "tabledata" if serialization == "tabledata" else None


def _method(request: VORequest) -> SurveylabError:
    return RequestError(f"{request.method} is not allowed on {request.path}")


def _phase(value: str) -> Phase:
    try:
        return Phase(value.upper())
    except ValueError:
        known = ", ".join(phase.value for phase in Phase)
        raise RequestError(f"PHASE={value} is not a UWS phase; use one of {known}") from None


def _after(params: Params) -> datetime | None:
    text = params.get("AFTER")
    if text is None:
        return None
    try:
        return parse_time(text.replace("Z", "+00:00"))
    except ValueError:
        raise RequestError(f"AFTER={text} is not an ISO 8601 time with a zone") from None


def _last(params: Params) -> int | None:
    text = params.get("LAST")
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise RequestError(f"LAST={text} is not a whole number") from None
    if value <= 0:
        raise RequestError(f"LAST={text} must be greater than 0")
    return value


_MEDIA_TYPES: Mapping[str, str] = {
    "votable": "application/x-votable+xml",
    "csv": "text/csv",
    "fits": "application/fits",
    "parquet": "application/vnd.apache.parquet",
    "hdf5": "application/x-hdf5",
    "png": "image/png",
    "json": "application/json",
}


def _media_type(format: str | None, path: Path) -> str:
    if path.suffix == ".gz":
        return "application/gzip"
    return _MEDIA_TYPES.get(format or "", "application/octet-stream")

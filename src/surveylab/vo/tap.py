"""TAP 1.1 queries: the parameters of a query (sync or async), uploads, and the sync answer.

A TAP query is checked before anything runs (:func:`query_parameters`): its language (``ADQL``,
translated by :mod:`surveylab.vo.adql`, or ``SQL``, the release's own dialect as in the query
panel), ``MAXREC``, ``RESPONSEFORMAT`` and the ``UPLOAD`` tables. A sync query streams its
result as it is read (:func:`sync_query`); an async one becomes a query job of the user's job
store (:func:`job_parameters`), so the lab's job browser and the TAP job list show the same jobs.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa

from ..errors import RequestError
from ..results import CappedBatches
from .protocol import VOTABLE_TYPE, Params, VORequest, VOResponse, read_chunks

if TYPE_CHECKING:
    from ..catalog.base import QueryHandle
    from ..settings import Settings
    from ..survey import Survey
    from ..writers import ResultMetadata

__all__ = [
    "LANGUAGES",
    "RESPONSE_FORMATS",
    "TapQuery",
    "query_parameters",
    "read_uploads",
    "sync_query",
]

#: The query languages, as ``LANG`` names them: ADQL (2.0 and 2.1 alike) and the release's own
#: SQL (DES's Oracle-flavoured SQL, or the backend's dialect), as the query panel takes it.
LANGUAGES = ("ADQL", "ADQL-2.0", "ADQL-2.1", "SQL")

#: ``RESPONSEFORMAT`` values and what they mean: (result format, VOTable serialization).
RESPONSE_FORMATS: dict[str, tuple[str, str | None]] = {
    "votable": ("votable", "binary2"),
    "application/x-votable+xml": ("votable", "binary2"),
    "text/xml": ("votable", "binary2"),
    "votable/b2": ("votable", "binary2"),
    "application/x-votable+xml;serialization=binary2": ("votable", "binary2"),
    "votable/td": ("votable", "tabledata"),
    "application/x-votable+xml;serialization=tabledata": ("votable", "tabledata"),
    "csv": ("csv", None),
    "text/csv": ("csv", None),
    "fits": ("fits", None),
    "application/fits": ("fits", None),
    "parquet": ("parquet", None),
    "application/vnd.apache.parquet": ("parquet", None),
}
#: The media type of each result format.
MEDIA_TYPES = {
    "votable": VOTABLE_TYPE,
    "csv": "text/csv",
    "fits": "application/fits",
    "parquet": "application/vnd.apache.parquet",
}
#: A table name an upload may take (``TAP_UPLOAD.<name>``).
_UPLOAD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class TapQuery:
    """A checked TAP query: what it says and how its result is to be written."""

    query: str
    lang: str
    maxrec: int
    format: str
    serialization: str | None
    uploads: Mapping[str, pa.Table] = field(default_factory=dict)

    @property
    def is_adql(self) -> bool:
        """Whether the query is ADQL (else the release's own SQL)."""
        return self.lang.startswith("ADQL")

    @property
    def media_type(self) -> str:
        """The media type of the result."""
        return MEDIA_TYPES[self.format]


def _normalised_format(value: str) -> str:
    return re.sub(r"\s+", "", value).lower()


def query_parameters(request: VORequest, settings: Settings) -> TapQuery:
    """The TAP query a request asks for, checked (DALI and TAP 1.1 parameters).

    Raises
    ------
    RequestError
        For a missing ``QUERY``, an unknown ``LANG``, ``REQUEST`` or ``RESPONSEFORMAT``, a bad
        ``MAXREC``, or a bad upload (see :func:`read_uploads`).
    """
    params = request.params
    kind = params.get("REQUEST")
    if kind is not None and kind != "doQuery":
        raise RequestError(f"REQUEST={kind} is not known: TAP queries take REQUEST=doQuery")
    lang = (params.get("LANG") or "ADQL").upper()
    if lang not in LANGUAGES:
        raise RequestError(f"LANG={lang} is not supported; use one of {', '.join(LANGUAGES)}")
    query = (params.get("QUERY") or "").strip()
    if not query:
        raise RequestError("QUERY is missing: give the query to run")
    maxrec = _maxrec(params, settings)
    wanted = params.get("RESPONSEFORMAT") or params.get("FORMAT") or "votable"
    chosen = RESPONSE_FORMATS.get(_normalised_format(wanted))
    if chosen is None:
        known = "votable, votable/td, csv, fits, parquet (or their media types)"
        raise RequestError(f"RESPONSEFORMAT={wanted} is not supported; use one of {known}")
    if "UPLOAD" in params and not lang.startswith("ADQL"):
        raise RequestError("UPLOAD tables can be joined in ADQL queries only: use LANG=ADQL")
    uploads = read_uploads(request, settings)
    return TapQuery(query, lang, maxrec, chosen[0], chosen[1], uploads)


def _maxrec(params: Params, settings: Settings) -> int:
    text = params.get("MAXREC")
    if text is None:
        return settings.tap_default_maxrec
    try:
        value = int(text)
    except ValueError:
        raise RequestError(f"MAXREC={text} is not a whole number") from None
    if value < 0:
        raise RequestError(f"MAXREC={text} is negative; give 0 or more")
    return min(value, settings.tap_max_maxrec)


def read_uploads(request: VORequest, settings: Settings) -> dict[str, pa.Table]:
    """The tables of the ``UPLOAD`` parameter (``name,param:part``), read from the request's
    file parts, by upper-case table name.

    Raises
    ------
    RequestError
        For a malformed ``UPLOAD``, a table name used twice, a part that is missing, a URL (only
        tables sent with the request are read), or a VOTable that cannot be used or is past the
        size cap (``settings.tap_upload_max_rows``, ``tap_upload_max_bytes``).
    """
    from .votable import read_votable

    tables: dict[str, pa.Table] = {}
    for item in request.params.getall("UPLOAD"):
        for pair in filter(None, (part.strip() for part in item.split(";"))):
            name, _, source = pair.partition(",")
            name, source = name.strip(), source.strip()
            if not _UPLOAD_NAME.match(name) or not source:
                raise RequestError(
                    f"UPLOAD={pair} is malformed: write NAME,param:PART with a table NAME of "
                    "letters, digits and _ (then query it as TAP_UPLOAD.NAME)"
                )
            if name.upper() in tables:
                raise RequestError(f"UPLOAD names the table {name} twice")
            if source.startswith("param:"):
                part = source.removeprefix("param:")
                upload = request.files.get(part)
                if upload is None:
                    raise RequestError(f"UPLOAD {name} names the part {part!r}, which was not sent")
                data = upload.data
            elif source.startswith(("http://", "https://")):
                data = _fetch(name, source, settings)
            else:
                raise RequestError(
                    f"UPLOAD {name} comes from {source}: give param:PART (a part of this "
                    "request) or an http(s) URL"
                )
            tables[name.upper()] = read_votable(
                data,
                name=name,
                max_rows=settings.tap_upload_max_rows,
                max_bytes=settings.tap_upload_max_bytes,
            )
    return tables


def _fetch(name: str, url: str, settings: Settings) -> bytes:
    """The VOTable at ``url`` (TAP's http upload), at most ``settings.tap_upload_max_bytes``;
    a clear error if it cannot be read, redirects, or is on a private address (unless
    ``settings.tap_upload_private_urls``)."""
    import requests

    max_bytes = settings.tap_upload_max_bytes
    if not settings.tap_upload_private_urls:
        _refuse_private_host(name, url)
    try:
        with requests.get(url, stream=True, timeout=30, allow_redirects=False) as answer:
            if answer.is_redirect:
                raise RequestError(
                    f"UPLOAD {name}: {url} redirects to {answer.headers.get('Location')}; give "
                    "the address the table is at"
                )
            if answer.status_code != 200:
                raise RequestError(f"UPLOAD {name}: {url} answered {answer.status_code}")
            data = bytearray()
            for chunk in answer.iter_content(1 << 16):
                data += chunk
                if len(data) > max_bytes:
                    raise RequestError(
                        f"UPLOAD {name}: {url} has more than {max_bytes:,} bytes, the limit"
                    )
    except requests.RequestException as exc:
        raise RequestError(f"UPLOAD {name}: {url} cannot be read ({type(exc).__name__})") from None
    return bytes(data)


def _refuse_private_host(name: str, url: str) -> None:
    """Refuse an upload URL whose host is, or resolves to, a loopback, private, link-local or
    otherwise non-public address: the server must not be made to read its own network."""
    host = urlsplit(url).hostname
    if not host:
        raise RequestError(f"UPLOAD {name}: {url} names no host")
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        raise RequestError(f"UPLOAD {name}: the host of {url} is unknown") from None
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).partition("%")[0])
        if not ip.is_global:
            raise RequestError(
                f"UPLOAD {name}: {url} is on a {_address_kind(ip)} address ({ip}), which this "
                "service does not fetch from; send the table as a part of the request instead"
            )


def _address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


def sync_query(survey: Survey, request: VORequest) -> VOResponse:
    """Run a TAP sync query and answer with its result, streamed as it is read.

    The query is checked and started before the answer begins, so a bad query or an unknown
    column is an error document with status 400; a VOTable streams straight from the
    database, other formats are written to a scratch file first (FITS needs its row count in
    its header) and then sent.
    """
    tap = query_parameters(request, survey.settings)
    prepared = survey.check(tap.query, lang=tap.lang, uploads=tap.uploads)
    handle = survey.catalog.execute(prepared.sql, timeout=survey.settings.tap_sync_timeout)
    metadata = survey.result_metadata(prepared)
    try:
        capped = CappedBatches(handle.batches(), tap.maxrec)
        if tap.format == "votable":
            from .votable import votable_chunks

            chunks = votable_chunks(
                capped,
                handle.schema,
                metadata=metadata,
                serialization=tap.serialization or "binary2",
                overflow=lambda: capped.truncated,
            )
            body: Iterable[bytes] = _closing(chunks, handle)
        else:
            body = _written_file(capped, handle, tap.format, metadata)
    except BaseException:
        handle.close()
        raise
    media = tap.media_type + ("; charset=utf-8" if tap.format in ("votable", "csv") else "")
    return VOResponse(200, media, body)


def _closing(chunks: Iterable[bytes], handle: QueryHandle) -> Iterator[bytes]:
    """``chunks``, then the query handle closed (also when the client goes away)."""
    try:
        yield from chunks
    finally:
        handle.close()


def _written_file(
    capped: CappedBatches, handle: QueryHandle, format: str, metadata: ResultMetadata
) -> Iterator[bytes]:
    """The result written to a scratch file in ``format``, then read out in chunks."""
    from ..writers import write_result

    with tempfile.TemporaryDirectory(prefix="surveylab-tap-") as folder:
        path = Path(folder) / f"result.{format}"
        try:
            write_result(capped, handle.schema, path, format=format, metadata=metadata)
        finally:
            handle.close()
        yield from read_chunks(path)

"""What travels between an HTTP adapter and the VO service: requests, responses, DALI errors.

An adapter (the lab's server extension, the hub's platform service) turns its framework's request
into a :class:`VORequest` and writes the :class:`VOResponse` it gets back; nothing here knows
tornado or Jupyter. Parameters follow DALI: names are case-insensitive, values are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from ..errors import HTTP_STATUS, RequestError, SurveylabError

__all__ = [
    "VOTABLE_TYPE",
    "XML_TYPE",
    "Params",
    "UploadedFile",
    "VORequest",
    "VOResponse",
    "error_document",
    "error_infos",
    "error_response",
    "read_chunks",
]

#: Bytes per chunk of a file sent as a response body.
CHUNK_BYTES = 1 << 20
#: Media types of what the services return.
VOTABLE_TYPE = "application/x-votable+xml"
XML_TYPE = "text/xml"


class Params:
    """Request parameters by name, DALI style: names case-insensitive, values as sent.

    >>> params = Params({"LANG": ["ADQL"], "pos": ["CIRCLE 1 2 3", "RANGE 0 1 2 3"]})
    >>> params.get("lang"), params.get("MAXREC"), params.getall("POS")
    ('ADQL', None, ['CIRCLE 1 2 3', 'RANGE 0 1 2 3'])
    """

    def __init__(self, values: Mapping[str, Sequence[str]] | None = None) -> None:
        self._values: dict[str, list[str]] = {}
        for name, items in (values or {}).items():
            self._values.setdefault(name.upper(), []).extend(items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.upper() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def getall(self, name: str) -> list[str]:
        """Every value given for ``name``, in order (none: ``[]``)."""
        return list(self._values.get(name.upper(), []))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The one value of ``name``, or ``default``; two different values are an error."""
        values = self._values.get(name.upper())
        if not values:
            return default
        if len(set(values)) > 1:
            raise RequestError(f"{name.upper()} is given {len(values)} times; give it once")
        return values[0]

    def items(self) -> Iterator[tuple[str, list[str]]]:
        """``(NAME, values)`` pairs, names in upper case."""
        for name, values in self._values.items():
            yield name, list(values)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart POST (e.g. the VOTable of a ``TAP_UPLOAD``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class VORequest:
    """One request to the VO service.

    Attributes
    ----------
    method : str
        ``GET``, ``POST`` or ``DELETE``.
    path : str
        The path below the mount point, without a leading ``/``: ``tap/sync``,
        ``tap/async/3f9c0a1b2d4e/phase``, ``soda/sync``.
    params : Params
        The query string and form fields together.
    base_url : str
        The absolute URL of the mount point (``http://host/user/alice/surveylab``), for the
        links the documents carry.
    files : mapping
        The file parts of a multipart POST, by part name.
    """

    method: str
    path: str
    params: Params
    base_url: str
    files: Mapping[str, UploadedFile] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` below the mount point."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


@dataclass
class VOResponse:
    """What the adapter sends back: a status, a media type, headers and a body.

    The body is bytes, or an iterator of byte chunks for a result streamed as it is read (the
    adapter writes each chunk as it comes; the iterator does blocking work, so an adapter
    advances it off its event loop).
    """

    status: int
    content_type: str
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def redirect(cls, url: str, status: int = 303) -> VOResponse:
        """A redirect to ``url`` (UWS answers a job creation or a change with 303)."""
        return cls(status, "text/plain", b"", {"Location": url})

    @classmethod
    def xml(cls, document: str | bytes, status: int = 200) -> VOResponse:
        """An XML document (UWS, VOSI)."""
        data = document.encode() if isinstance(document, str) else document
        return cls(status, f"{XML_TYPE}; charset=utf-8", data)

    @classmethod
    def text(cls, text: str, status: int = 200) -> VOResponse:
        """Plain text (a UWS phase, a job's quote)."""
        return cls(status, "text/plain; charset=utf-8", text.encode())


def error_document(message: str, *, infos: Mapping[str, object] | None = None) -> bytes:
    """A DALI error document: a VOTable whose results ``RESOURCE`` holds
    ``<INFO name="QUERY_STATUS" value="ERROR">message</INFO>``, plus ``infos`` (e.g. the line,
    column and token of a syntax error) as further INFO elements."""
    extra = "".join(
        f"\n    <INFO name={quoteattr(name)} value={quoteattr(str(value))}/>"
        for name, value in (infos or {}).items()
        if value is not None
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
        '  <RESOURCE type="results">\n'
        f'    <INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO>{extra}\n'
        "  </RESOURCE>\n"
        "</VOTABLE>\n"
    ).encode()


def error_infos(exc: SurveylabError) -> dict[str, object]:
    """The facts of ``exc`` worth an INFO of their own: where a syntax error is, and which
    word it found there."""
    details = exc.details()
    infos: dict[str, object] = {}
    for key in ("line", "column", "token", "function"):
        if details.get(key) is not None:
            infos[key] = details[key]
    return infos


def error_response(exc: SurveylabError) -> VOResponse:
    """``exc`` as a DALI error document, with its category's HTTP status."""
    return VOResponse(
        HTTP_STATUS[exc.category],
        f"{VOTABLE_TYPE}; charset=utf-8",
        error_document(str(exc), infos=error_infos(exc)),
    )


def read_chunks(source: Path | IO[bytes]) -> Iterator[bytes]:
    """The bytes of a file in chunks of :data:`CHUNK_BYTES`, for a streamed response body:
    ``source`` is a path, or an open file (closed at the end, so a spooled temporary file goes
    away)."""
    with source.open("rb") if isinstance(source, Path) else source as stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk

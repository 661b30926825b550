"""Named errors of the surveylab core.

Every error a user can cause subclasses :class:`SurveylabError` (a ``ValueError``), so that the
server extension, the widgets and the CLI can turn it into a clear message in one place. Each
error class names its :class:`ErrorCategory` (bad input, not found, ...), inherited by its
subclasses: the server maps a category, never a class, to an HTTP status.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

__all__ = [
    "HTTP_STATUS",
    "CatalogNotFoundError",
    "CatalogUnavailableError",
    "CutoutError",
    "CutoutInputError",
    "CutoutLimitError",
    "CutoutSizeError",
    "ErrorCategory",
    "FootprintError",
    "FunctionNotAllowedError",
    "ImageNotFoundError",
    "JobLimitError",
    "JobNotFoundError",
    "NsideError",
    "ObjectNotFoundError",
    "PositionError",
    "QueryCancelledError",
    "QueryError",
    "QueryTimeoutError",
    "ReadOnlyQueryError",
    "RequestError",
    "ResourceNotFoundError",
    "RoleRefusedError",
    "SQLSyntaxError",
    "StorageQuotaError",
    "SurveylabError",
    "TableNotFoundError",
    "TileListError",
    "TileNotFoundError",
    "UnknownBandError",
]


class ErrorCategory(Enum):
    """What kind of failure an error is, i.e. what the user can do about it."""

    #: The request is malformed: fix it and send it again.
    INVALID_INPUT = "invalid input"
    #: The thing asked for (job, table, tile, file) does not exist.
    NOT_FOUND = "not found"
    #: The request is fine, but the current state forbids it (e.g. deleting a running job).
    CONFLICT = "conflict"
    #: The work ran past its time limit and was stopped.
    TIMEOUT = "timeout"
    #: The user has reached a limit (e.g. running jobs); try again later.
    LIMIT_REACHED = "limit reached"
    #: The service cannot work now (the catalog is missing or unreachable).
    UNAVAILABLE = "unavailable"
    #: The user's role does not allow it (see :mod:`surveylab.roles`).
    FORBIDDEN = "forbidden"


#: The HTTP status of each category, for every adapter that answers over HTTP (the REST API and
#: the IVOA services).
HTTP_STATUS: dict[ErrorCategory, int] = {
    ErrorCategory.INVALID_INPUT: 400,
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.TIMEOUT: 408,
    ErrorCategory.LIMIT_REACHED: 429,
    ErrorCategory.UNAVAILABLE: 503,
    ErrorCategory.FORBIDDEN: 403,
}


class SurveylabError(ValueError):
    """Base class of the errors a user can cause or fix.

    A subclass sets :attr:`category` when it is not bad input, and overrides :meth:`details`
    when it has facts beyond its message.
    """

    #: What kind of failure this is; subclasses inherit it.
    category: ClassVar[ErrorCategory] = ErrorCategory.INVALID_INPUT

    def details(self) -> dict[str, Any]:
        """Facts beyond the message, as JSON values (none by default)."""
        return {}


class RequestError(SurveylabError):
    """A request's JSON body or argument is malformed; the message names the field."""


class CatalogNotFoundError(SurveylabError):
    """The configured catalog does not exist (e.g. the demo survey was not generated)."""

    category = ErrorCategory.UNAVAILABLE


class CatalogUnavailableError(SurveylabError):
    """The catalog backend cannot be reached or opened."""

    category = ErrorCategory.UNAVAILABLE


class QueryError(SurveylabError):
    """A query failed in the database; the message says what is wrong."""


class SQLSyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` (1-based) say where, ``token`` what
    was found there (when known)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        token: str | None = None,
    ) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column
        self.token = token

    def details(self) -> dict[str, Any]:
        """``{"line": ..., "column": ...}`` (1-based; None when unknown), and ``token`` if
        known."""
        found = {"line": self.line, "column": self.column}
        return found if self.token is None else {**found, "token": self.token}


class ReadOnlyQueryError(QueryError):
    """The statement is not a read-only query (SELECT or WITH)."""


class FunctionNotAllowedError(ReadOnlyQueryError):
    """The query calls a function that a read-only survey query may not call.

    ``function`` is its upper-case name; ``line`` and ``column`` (1-based, None if unknown) say
    where it is called.
    """

    def __init__(
        self, message: str, *, function: str, line: int | None = None, column: int | None = None
    ) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.function = function
        self.line = line
        self.column = column

    def details(self) -> dict[str, Any]:
        """``{"line": ..., "column": ...}`` of the call (1-based; None when unknown)."""
        return {"line": self.line, "column": self.column}


class QueryTimeoutError(QueryError):
    """The query ran past its time limit and was cancelled in the database."""

    category = ErrorCategory.TIMEOUT


class QueryCancelledError(QueryError):
    """The query was cancelled on request."""

    category = ErrorCategory.CONFLICT


class JobNotFoundError(SurveylabError):
    """No job with that id in this user's job store."""

    category = ErrorCategory.NOT_FOUND


class JobLimitError(SurveylabError):
    """The user already runs as many jobs as allowed; a new one is refused."""

    category = ErrorCategory.LIMIT_REACHED


class StorageQuotaError(SurveylabError):
    """The user's job files fill their storage quota; a new job is refused."""

    category = ErrorCategory.LIMIT_REACHED


class TableNotFoundError(QueryError):
    """No table of that name in the release."""

    category = ErrorCategory.NOT_FOUND


class FootprintError(SurveylabError):
    """A footprint request is malformed (e.g. a MOC order out of range)."""


class PositionError(FootprintError):
    """A sky position is not usable: not a number, not finite, or Dec outside ±90 deg."""


class TileNotFoundError(FootprintError):
    """No tile of that name in the footprint."""

    category = ErrorCategory.NOT_FOUND


class ImageNotFoundError(FootprintError):
    """The tile has no image in that band in this release."""

    category = ErrorCategory.NOT_FOUND


class NsideError(FootprintError):
    """A HEALPix NSIDE that is not a power of 2 within the range the catalog stores."""


class TileListError(FootprintError):
    """An external tile list is malformed; the message names the file and line."""


class CutoutError(SurveylabError):
    """A cutout request is malformed; the message says what is wrong and where."""


class CutoutInputError(CutoutError):
    """The positions of a cutout request (e.g. an uploaded CSV) cannot be used at all."""


class CutoutLimitError(CutoutError):
    """A cutout request asks for more positions than a job may hold."""


class CutoutSizeError(CutoutError):
    """A cutout size outside the allowed range (0.1 to 12 arcmin by default)."""


class UnknownBandError(CutoutError):
    """A band the release has no images in."""


class ResourceNotFoundError(SurveylabError):
    """A path or part of a service that does not exist (an unknown VO endpoint, a job's result
    that is not there)."""

    category = ErrorCategory.NOT_FOUND


class ObjectNotFoundError(SurveylabError):
    """No catalog object with that ``COADD_OBJECT_ID`` in the release."""

    category = ErrorCategory.NOT_FOUND


class RoleRefusedError(SurveylabError):
    """The user's role (:mod:`surveylab.roles`) does not allow this; the message names the role,
    ``role`` and ``feature`` say which."""

    category = ErrorCategory.FORBIDDEN

    def __init__(self, message: str, *, role: str, feature: str) -> None:
        super().__init__(message)
        self.role = role
        self.feature = feature

    def details(self) -> dict[str, Any]:
        """``{"role": ..., "feature": ...}``."""
        return {"role": self.role, "feature": self.feature}

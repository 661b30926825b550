"""Named errors of the surveylab core.

Every error a user can cause subclasses :class:`SurveylabError` (a ``ValueError``), so that the
server extension, the widgets and the CLI can turn it into a clear message in one place.
"""

from __future__ import annotations

__all__ = [
    "CatalogNotFoundError",
    "CatalogUnavailableError",
    "CutoutError",
    "CutoutInputError",
    "CutoutLimitError",
    "CutoutSizeError",
    "FootprintError",
    "FunctionNotAllowedError",
    "ImageNotFoundError",
    "JobLimitError",
    "JobNotFoundError",
    "NsideError",
    "PositionError",
    "QueryCancelledError",
    "QueryError",
    "QueryTimeoutError",
    "ReadOnlyQueryError",
    "SQLSyntaxError",
    "SurveylabError",
    "TableNotFoundError",
    "TileListError",
    "TileNotFoundError",
    "UnknownBandError",
]


class SurveylabError(ValueError):
    """Base class of the errors a user can cause or fix."""


class CatalogNotFoundError(SurveylabError):
    """The configured catalog does not exist (e.g. the demo survey was not generated)."""


class CatalogUnavailableError(SurveylabError):
    """The catalog backend cannot be reached or opened."""


class QueryError(SurveylabError):
    """A query failed in the database; the message says what is wrong."""


class SQLSyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` (1-based) say where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


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


class QueryTimeoutError(QueryError):
    """The query ran past its time limit and was cancelled in the database."""


class QueryCancelledError(QueryError):
    """The query was cancelled on request."""


class JobNotFoundError(SurveylabError):
    """No job with that id in this user's job store."""


class JobLimitError(SurveylabError):
    """The user already runs as many jobs as allowed; a new one is refused."""


class TableNotFoundError(QueryError):
    """No table of that name in the release."""


class FootprintError(SurveylabError):
    """A footprint request is malformed (e.g. a MOC order out of range)."""


class PositionError(FootprintError):
    """A sky position is not usable: not a number, not finite, or Dec outside ±90 deg."""


class TileNotFoundError(FootprintError):
    """No tile of that name in the footprint."""


class ImageNotFoundError(FootprintError):
    """The tile has no image in that band in this release."""


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

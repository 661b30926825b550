"""Named errors of the surveylab core.

Every error a user can cause subclasses :class:`SurveylabError` (a ``ValueError``), so that the
server extension, the widgets and the CLI can turn it into a clear message in one place.
"""

from __future__ import annotations

__all__ = [
    "CatalogNotFoundError",
    "CatalogUnavailableError",
    "QueryError",
    "SurveylabError",
]


class SurveylabError(ValueError):
    """Base class of the errors a user can cause or fix."""


class CatalogNotFoundError(SurveylabError):
    """The configured catalog does not exist (e.g. the demo survey was not generated)."""


class CatalogUnavailableError(SurveylabError):
    """The catalog backend cannot be reached or opened."""


class QueryError(SurveylabError):
    """A query failed in the database; the message says what is wrong."""

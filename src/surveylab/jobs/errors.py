"""Errors of the job store that :mod:`surveylab.errors` does not name yet.

Each subclasses an error of :mod:`surveylab.errors`, so code that maps those to messages or HTTP
codes handles these too: a missing file is a :class:`~surveylab.errors.JobNotFoundError` (404),
the others are :class:`~surveylab.errors.SurveylabError` (400, or 409 for :class:`JobStateError`).
"""

from __future__ import annotations

from surveylab.errors import JobNotFoundError, SurveylabError

__all__ = ["JobFileNotFoundError", "JobStateError", "NotificationError", "UnsafePathError"]


class JobFileNotFoundError(JobNotFoundError):
    """The job exists but has no result file of that name."""


class JobStateError(SurveylabError):
    """The job's phase does not allow the request (e.g. deleting a job that still runs)."""


class UnsafePathError(SurveylabError):
    """A file name that would reach outside its job folder (``..``, ``/``, a symlink)."""


class NotificationError(SurveylabError):
    """A notification (e-mail) could not be sent; the job itself is not affected."""

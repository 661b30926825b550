"""Errors of the job store that :mod:`surveylab.errors` does not name yet.

Each subclasses an error of :mod:`surveylab.errors` and has its category: a missing file is a
:class:`~surveylab.errors.JobNotFoundError` (not found), a job in the wrong phase a conflict,
the others invalid input.
"""

from __future__ import annotations

from surveylab.errors import ErrorCategory, JobNotFoundError, SurveylabError

__all__ = ["JobFileNotFoundError", "JobStateError", "NotificationError", "UnsafePathError"]


class JobFileNotFoundError(JobNotFoundError):
    """The job exists but has no result file of that name."""


class JobStateError(SurveylabError):
    """The job's phase does not allow the request (e.g. deleting a job that still runs)."""

    category = ErrorCategory.CONFLICT


class UnsafePathError(SurveylabError):
    """A file name that would reach outside its job folder (``..``, ``/``, a symlink)."""


class NotificationError(SurveylabError):
    """A notification (e-mail) could not be sent; the job itself is not affected."""

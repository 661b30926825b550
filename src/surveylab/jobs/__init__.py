"""The job store: long queries (and later cutouts) that run off the server's event loop.

Jobs live in the user's home (``settings.jobs_dir``), one folder each, so their results show in
the JupyterLab file browser and survive a server restart. Phases follow IVOA UWS, so a TAP/UWS
face can sit on the same store.

- :class:`JobStore`: the records, logs and result files; paging, renewal, expiry, recovery.
- :class:`JobRunner`: submits jobs to an :class:`Executor`, enforces the per-user cap, cancels.
- :class:`JobContext`: what a :data:`WorkFunction` gets (progress, cancellation, results).
- :class:`EmailNotifier`: e-mail through SMTP when a job completes or fails.
"""

from __future__ import annotations

from .errors import JobFileNotFoundError, JobStateError, NotificationError, UnsafePathError
from .models import Job, Phase, ResultFile, format_time, parse_time, utcnow
from .notify import EmailNotifier, Notifier, job_email
from .runner import Executor, JobContext, JobRunner, LocalExecutor, WorkFunction
from .store import LOG_NAME, RECORD_NAME, SORT_KEYS, BinaryWriter, JobStore
from .validation import check_email, check_name, check_parameters, looks_like_secret

__all__ = [
    "LOG_NAME",
    "RECORD_NAME",
    "SORT_KEYS",
    "BinaryWriter",
    "EmailNotifier",
    "Executor",
    "Job",
    "JobContext",
    "JobFileNotFoundError",
    "JobRunner",
    "JobStateError",
    "JobStore",
    "LocalExecutor",
    "NotificationError",
    "Notifier",
    "Phase",
    "ResultFile",
    "UnsafePathError",
    "WorkFunction",
    "check_email",
    "check_name",
    "check_parameters",
    "format_time",
    "job_email",
    "looks_like_secret",
    "parse_time",
    "utcnow",
]

"""``JobService``: what the lab's REST API, the widgets and the shell do with the user's jobs.

One object answers every request about existing jobs (list, read, cancel, delete, rename, renew,
files, log, zip, a cutout job's labels), so the adapters never reach into the job runner or the
job store. :class:`~surveylab.Survey` builds it over its runner (``survey.job_service``); new jobs
start through :meth:`Survey.submit` and :meth:`Survey.cutouts`, which check the request first.

Examples
--------
>>> from surveylab import Survey
>>> jobs = Survey().job_service  # doctest: +SKIP
>>> page, total = jobs.list(phase="COMPLETED", limit=10)  # doctest: +SKIP
>>> jobs.rename(page[0].id, "bright stars")  # doctest: +SKIP
>>> jobs.log(page[0].id)  # doctest: +SKIP
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cutouts.labels import job_labels, label_keys, save_labels
from .errors import StorageQuotaError

if TYPE_CHECKING:
    from .jobs import BinaryWriter, Job, JobRunner, Phase

__all__ = ["JobService"]


class JobService:
    """The user's jobs, as the adapters (REST handlers, widgets, shell) use them.

    Parameters
    ----------
    runner : JobRunner
        The runner over the user's job store; cancel and delete go through it, so a job running
        in this process is stopped before its folder goes.
    """

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self._store = runner.store

    # --- records ------------------------------------------------------------------------------

    def list(
        self,
        *,
        phase: Phase | str | None = None,
        type: str | None = None,
        sort: str = "-created",
        offset: int = 0,
        limit: int | None = 50,
    ) -> tuple[builtins.list[Job], int]:
        """One page of jobs and the number that match; see :meth:`JobStore.list`."""
        return self._store.list(phase=phase, type=type, sort=sort, offset=offset, limit=limit)

    def tally(self) -> dict[tuple[str, str], int]:
        """How many jobs the store holds of each type and phase, ``{(type, phase): n}`` (the
        job metrics, :mod:`surveylab.metrics`)."""
        counts: dict[tuple[str, str], int] = {}
        for job in self._store.list(limit=None)[0]:
            key = (job.type, job.phase.value)
            counts[key] = counts.get(key, 0) + 1
        return counts

    def get(self, job_id: str) -> Job:
        """Job ``job_id``'s record (``JobNotFoundError`` for an unknown or malformed id)."""
        return self._store.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until job ``job_id`` ends (or ``timeout`` seconds pass); return its record."""
        return self._runner.wait(job_id, timeout)

    def cancel(self, job_id: str) -> Job:
        """Cancel job ``job_id``; a running query is stopped in the database."""
        return self._runner.cancel(job_id)

    def delete(self, job_id: str) -> None:
        """Delete job ``job_id`` and its files; a running job is cancelled first."""
        self._runner.delete(job_id)

    def start(self, job_id: str) -> Job:
        """Queue the PENDING job ``job_id`` (UWS ``PHASE=RUN``); others are returned as they
        are."""
        return self._runner.start(job_id)

    def reject(
        self, type: str, *, name: str | None, parameters: Mapping[str, Any], error: str
    ) -> Job:
        """A job of ``type`` that failed before it ran, in ERROR with ``error`` (a UWS job whose
        request could not be run)."""
        return self._runner.reject(type, name=name, parameters=parameters, error=error)

    def set_destruction(self, job_id: str, when: datetime) -> Job:
        """Set when job ``job_id`` is deleted (UWS ``DESTRUCTION``): at most the store's longest
        renewal from now; a time in the past is refused."""
        return self._store.set_destruction(job_id, when)

    def set_parameter(self, job_id: str, name: str, value: Any) -> Job:
        """Change parameter ``name`` of the PENDING job ``job_id`` (UWS lets a job's parameters
        change until it runs); ``JobStateError`` once it has started."""
        from .jobs import Phase

        job = self._store.get(job_id)
        return self._store.update(
            job_id, expect=(Phase.PENDING,), parameters={**job.parameters, name: value}
        )

    def rename(self, job_id: str, name: str) -> Job:
        """Give job ``job_id`` a new name (1-128 characters, no ``/``)."""
        return self._store.rename(job_id, name)

    def renew(self, job_id: str, days: float | None = None) -> Job:
        """Keep job ``job_id`` ``days`` more days from now (default: the store's lifetime)."""
        return self._store.renew(job_id, days)

    # --- files --------------------------------------------------------------------------------

    def folder(self, job_id: str) -> Path:
        """The folder holding job ``job_id``'s files."""
        return self._store.job_dir(job_id)

    def file_path(self, job_id: str, name: str) -> Path:
        """The path of result file ``name`` of job ``job_id`` (checked: no path escapes)."""
        return self._store.file_path(job_id, name)

    def storage_used(self) -> int:
        """Bytes the user's job store holds on disk: every job's files, inputs, records and
        logs, and files still being written."""
        total = 0
        for folder, _dirs, names in os.walk(self._store.root):
            for name in names:
                try:
                    total += (Path(folder) / name).lstat().st_size
                except OSError:  # a file deleted or renamed meanwhile
                    continue
        return total

    def check_storage(self, quota_gb: float | None) -> None:
        """Refuse a new job (:class:`~surveylab.errors.StorageQuotaError`) if the store holds
        ``quota_gb`` gigabytes or more; None: no quota. Nothing is deleted."""
        if quota_gb is None:
            return
        used = self.storage_used()
        if used >= quota_gb * 1e9:
            raise StorageQuotaError(
                f"your jobs hold {used / 1e9:.2f} GB of files and your quota is {quota_gb:g} GB: "
                "delete jobs you no longer need before starting another (nothing was deleted)"
            )

    def files(self, job_id: str) -> builtins.list[Path]:
        """The paths of job ``job_id``'s result files, in the order the job wrote them."""
        return [self._store.file_path(job_id, f.name) for f in self._store.get(job_id).files]

    def log(self, job_id: str) -> str:
        """Job ``job_id``'s log (its end, if it is long)."""
        return self._store.read_log(job_id)

    def archive(self, job_id: str, dest: BinaryWriter | Path | str) -> None:
        """Write a zip of job ``job_id``'s files, record and log to ``dest``."""
        self._store.archive(job_id, dest)

    # --- a cutout job's labels ----------------------------------------------------------------

    def labels(self, job_id: str) -> dict[str, int]:
        """The labels of cutout job ``job_id``, ``{cutout name: 0-9}``.

        Raises as :meth:`save_labels` does for a job that cannot have labels (not a cutout job,
        or not ended), so reading and writing answer alike.
        """
        label_keys(self._store, job_id)
        return job_labels(self._store, job_id)

    def save_labels(self, job_id: str, labels: Mapping[str, Any]) -> dict[str, int]:
        """Replace the labels of cutout job ``job_id`` (atomically) and return them.

        Raises
        ------
        LabelError
            For a label that is not 0-9 or a key that is not one of the job's positions.
        JobNotFoundError, JobStateError
            For an unknown job, or one with no ``summary.json`` yet.
        """
        return save_labels(self._store, job_id, labels)

    # --- upkeep -------------------------------------------------------------------------------

    def recover(self) -> builtins.list[str]:
        """Mark as ERROR the jobs a stopped process left running; return their ids."""
        return self._store.recover()

    def expire(self) -> builtins.list[str]:
        """Delete the jobs past their destruction time; return their ids."""
        return self._store.expire()

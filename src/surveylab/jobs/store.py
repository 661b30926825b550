"""The job store: one folder per job in the user's home, so results show in the file browser.

Layout of ``root`` (``settings.jobs_dir``, ``~/surveylab-jobs`` by default, mode 0700)::

    <root>/<id>/job.json              the record (a :class:`~surveylab.jobs.models.Job`)
    <root>/<id>/job.log               timestamped lines, appended
    <root>/<id>/<result files>        complete results only
    <root>/<id>/.<name>.part-<hex>    a result being written (hidden; renamed when complete)
    <root>/<id>/.lock, .cancel        lock file; a cancel request from another process
    <root>/<id>/.heartbeat            its runner's last sign of life, for other hosts

The record is rewritten atomically (temporary file and :func:`os.replace`), under a lock that
holds across threads (one lock per store) and processes (``flock`` on ``.lock``), so a kernel and
the server may share one store.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import fcntl
import json
import logging
import math
import os
import secrets
import shutil
import stat
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from surveylab.errors import JobNotFoundError, SurveylabError

from ._process import HEARTBEAT_STALE, runner_alive, runner_host, this_host
from .errors import JobFileNotFoundError, JobStateError, UnsafePathError
from .models import Job, Phase, ResultFile, format_time, parse_time, utcnow
from .validation import (
    check_file_name,
    check_job_id,
    check_name,
    check_parameters,
    check_type,
)

__all__ = ["LABELS_NAME", "LOG_NAME", "RECORD_NAME", "SORT_KEYS", "BinaryWriter", "JobStore"]

logger = logging.getLogger(__name__)

RECORD_NAME = "job.json"
LOG_NAME = "job.log"
#: A cutout job's quick labels (``surveylab.cutouts.labels``): in the archive, not a result file.
LABELS_NAME = "labels.json"
_LOCK_NAME = ".lock"
_CANCEL_NAME = ".cancel"
_HEARTBEAT_NAME = ".heartbeat"
_TEMP_MARK = ".part-"
#: Input files given at creation (``input-<name>``): what the work reads, not results.
_INPUT_PREFIX = "input-"
_STAGING_PREFIX = ".new-"
_TRASH_PREFIX = ".deleted-"
_STAGING_MAX_AGE = 600.0

#: What :meth:`JobStore.list` sorts by; prefix ``-`` for descending order.
SORT_KEYS = ("created", "name", "phase", "type", "execution")
MAX_PAGE = 1000
MAX_LOG_BYTES = 1_000_000
#: Records with more result files than this are written compact (no indentation).
_INDENTED_FILES = 1000

#: Fields :meth:`JobStore.update` may change.
_UPDATABLE = frozenset(f.name for f in dataclasses.fields(Job)) - {"id", "type", "created"}
#: Suffixes of files already compressed: stored in an archive as they are.
_COMPRESSED = frozenset({".gz", ".fz", ".bz2", ".xz", ".zst", ".zip", ".parquet", ".png", ".jpg"})

_PHASE_ORDER = {phase: index for index, phase in enumerate(Phase)}
_SORTERS: dict[str, Callable[[Job], Any]] = {
    "created": lambda job: job.created,
    "name": lambda job: job.name.casefold(),
    "phase": lambda job: _PHASE_ORDER[job.phase],
    "type": lambda job: job.type,
    "execution": lambda job: job.execution_seconds,
}


class BinaryWriter(Protocol):
    """Where :meth:`JobStore.archive` writes: any binary stream, seekable or not."""

    def write(self, data: bytes, /) -> int:
        """Write ``data``; return how many bytes were written."""
        ...

    def flush(self) -> None:
        """Flush buffered data."""
        ...

    def close(self) -> None:
        """Close the stream (the archive does not close a stream it was given)."""
        ...


class _CorruptRecordError(Exception):
    """A job.json that cannot be read as a job."""


def _parse_sort(sort: str) -> tuple[str, bool]:
    key, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in _SORTERS:
        raise SurveylabError(
            f"cannot sort jobs by {sort!r}: use one of {', '.join(SORT_KEYS)}, "
            "with a leading '-' for descending order"
        )
    return key, descending


def _parse_phase(phase: Phase | str) -> Phase:
    try:
        return Phase(str(phase).upper())
    except ValueError:
        raise SurveylabError(
            f"unknown job phase {phase!r}: use one of {', '.join(Phase)}"
        ) from None


def _sorted_jobs(jobs: Iterable[Job], sort: str) -> builtins.list[Job]:
    """Jobs sorted by ``sort``; ties newest first; jobs with no value (execution) last."""
    key, descending = _parse_sort(sort)
    sorter = _SORTERS[key]
    base = sorted(sorted(jobs, key=lambda job: job.id), key=lambda job: job.created, reverse=True)
    present = [job for job in base if sorter(job) is not None]
    missing = [job for job in base if sorter(job) is None]
    return sorted(present, key=sorter, reverse=descending) + missing


def _check_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} returned a naive datetime; job times must be timezone-aware")
    return value.astimezone(UTC)


def _log_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _recovery_changes(job: Job, now: datetime, last_beat: datetime | None) -> dict[str, Any]:
    when = format_time(now)
    running = job.phase is Phase.EXECUTING
    stage = "while this job was running" if running else "before this job could run"
    host = runner_host(job.runner)
    if last_beat is not None and host is not None and host != this_host():
        error = (
            f"the job's runner on host {host} stopped answering {stage} "
            f"(last heartbeat {format_time(last_beat)}; found at {when})"
        )
    else:
        error = f"the server stopped {stage} (restarted at {when})"
    return {"phase": Phase.ERROR, "ended": now, "error": error, "message": error}


def _replace_text(directory: Path, name: str, text: str) -> None:
    """Write ``directory / name`` atomically: a temporary file, then :func:`os.replace`."""
    temp = directory / f".{name.lstrip('.')}.{secrets.token_hex(4)}.tmp"
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(directory / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class JobStore:
    """A user's jobs, one folder each under ``root``.

    Parameters
    ----------
    root : Path
        The store's folder, created with mode 0700 if missing (``settings.jobs_dir``).
    lifetime : timedelta
        How long a job is kept after creation or renewal (``settings.job_lifetime_days``).
    clock : callable
        Returns the current time, timezone-aware; tests inject their own.
    max_renewal : timedelta
        The longest a single :meth:`renew` may push the destruction time ahead.
    heartbeat_stale : timedelta
        A job claimed by a process on another host counts as orphaned once its last
        heartbeat (:meth:`beat`) is older than this.

    Examples
    --------
    >>> store = JobStore(tmp / "jobs")  # doctest: +SKIP
    >>> job = store.create("query", parameters={"sql": "SELECT 1"})  # doctest: +SKIP
    >>> store.get(job.id).phase  # doctest: +SKIP
    <Phase.PENDING: 'PENDING'>
    """

    def __init__(
        self,
        root: Path | str,
        *,
        lifetime: timedelta = timedelta(days=14),
        clock: Callable[[], datetime] = utcnow,
        max_renewal: timedelta = timedelta(days=365),
        heartbeat_stale: timedelta = HEARTBEAT_STALE,
    ) -> None:
        if min(lifetime, max_renewal, heartbeat_stale) <= timedelta(0):
            raise ValueError("JobStore lifetime, max_renewal and heartbeat_stale must be positive")
        self.lifetime = lifetime
        self.max_renewal = max_renewal
        self.heartbeat_stale = heartbeat_stale
        self._clock = clock
        self._lock = threading.RLock()
        self._warned: set[str] = set()
        self.root = self._make_root(Path(root).expanduser())

    @staticmethod
    def _make_root(root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        real = root.resolve()
        if stat.S_IMODE(real.stat().st_mode) != 0o700:
            try:
                real.chmod(0o700)
            except OSError as exc:
                logger.warning("cannot make the job store %s private (mode 0700): %s", real, exc)
        return real

    # --- time, paths, locking -----------------------------------------------------------------

    def now(self) -> datetime:
        """The store's current time (from its clock), in UTC."""
        return _check_aware(self._clock(), "the job store's clock")

    def job_dir(self, job_id: str) -> Path:
        """The folder of job ``job_id``.

        Raises
        ------
        JobNotFoundError
            If the id is malformed (checked before any path is built) or no such job exists;
            a symlink in place of a job folder counts as no job.
        """
        path = self.root / check_job_id(job_id)
        if path.is_symlink() or not (path / RECORD_NAME).is_file():
            raise JobNotFoundError(f"no job {job_id} in this job store")
        return path

    def locked(self, job_id: str) -> contextlib.AbstractContextManager[Path]:
        """Hold job ``job_id``'s lock (threads and processes) while writing a file of its own
        into its folder (e.g. ``labels.json``); yields the folder."""
        return self._locked(job_id)

    @contextlib.contextmanager
    def _locked(self, job_id: str) -> Iterator[Path]:
        """Hold the job's lock (threads and processes) and yield its folder."""
        with self._lock:
            directory = self.job_dir(job_id)
            try:
                fd = os.open(directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:
                raise JobNotFoundError(f"no job {job_id} in this job store") from None
            try:
                self._flock(fd)
                if not (directory / RECORD_NAME).is_file():  # deleted while we waited
                    raise JobNotFoundError(f"no job {job_id} in this job store")
                yield directory
            finally:
                os.close(fd)

    def _flock(self, fd: int) -> None:
        """Lock ``fd`` against other processes; a file system without locks gets a warning."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            if "flock" not in self._warned:
                self._warned.add("flock")
                logger.warning(
                    "the job store %s cannot lock files (%s): processes sharing it may "
                    "overwrite each other's changes",
                    self.root,
                    exc,
                )

    # --- records ------------------------------------------------------------------------------

    @staticmethod
    def _load(directory: Path) -> Job:
        try:
            text = (directory / RECORD_NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise JobNotFoundError(f"no job {directory.name} in this job store") from None
        try:
            job = Job.from_json(json.loads(text))
        except (KeyError, TypeError, ValueError) as exc:
            raise _CorruptRecordError(f"{type(exc).__name__}: {exc}") from None
        if job.id != directory.name:
            raise _CorruptRecordError(f"the record names job {job.id!r}")
        return job

    def _read(self, directory: Path) -> Job:
        try:
            return self._load(directory)
        except _CorruptRecordError as exc:
            raise JobStateError(
                f"the record of job {directory.name} is unreadable ({exc}); delete the job"
            ) from None

    @staticmethod
    def _write(directory: Path, job: Job) -> None:
        # Indented for people; a record with thousands of files (a cutout job) is written
        # compact, through json's C encoder, which is ~10x faster on it.
        indent = 1 if len(job.files) <= _INDENTED_FILES else None
        text = json.dumps(job.to_json(), indent=indent, ensure_ascii=False, allow_nan=False)
        _replace_text(directory, RECORD_NAME, text + "\n")

    def _modify(self, job_id: str, change: Callable[[Job], Job | None]) -> Job:
        """Read, change and write job ``job_id`` under its lock; ``change`` may return None."""
        with self._locked(job_id) as directory:
            job = self._read(directory)
            changed = change(job)
            if changed is None or changed == job:
                return job
            self._write(directory, changed)
            return changed

    def _iter_jobs(self) -> Iterator[Job]:
        """Every readable job; a corrupt record is skipped with one warning."""
        with os.scandir(self.root) as entries:
            names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        for name in names:
            try:
                check_job_id(name)
                yield self._load(self.root / name)
            except JobNotFoundError:
                continue
            except _CorruptRecordError as exc:
                if name not in self._warned:
                    self._warned.add(name)
                    logger.warning(
                        "skipping job %s in %s: unreadable record (%s)", name, self.root, exc
                    )

    # --- creating, reading, changing ----------------------------------------------------------

    def create(
        self,
        type: str,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        *,
        runner: str | None = None,
        inputs: Mapping[str, bytes] | None = None,
    ) -> Job:
        """A new PENDING job with its folder, record, log and input files.

        Parameters
        ----------
        type : str
            The kind of work, a short lowercase word (``"query"``).
        name : str, optional
            The user's name for it; ``"<type>-<id>"`` by default.
        parameters : dict, optional
            Plain JSON values. Keys that look like credentials are refused.
        runner : str, optional
            The token of the process that will run it (set by :class:`JobRunner`).
        inputs : mapping, optional
            Files the work reads (e.g. a TAP upload), by plain file name; written into the
            folder as ``input-<name>`` before the job exists (:meth:`input_path`).

        Raises
        ------
        SurveylabError
            For a bad type or name, or parameters that are not JSON or hold a credential.
        """
        check_type(type)
        clean_name = None if name is None else check_name(name)
        clean_parameters = check_parameters(parameters or {})
        now = self.now()
        while True:
            job_id = secrets.token_hex(6)
            if not (self.root / job_id).exists():
                break
        job = Job(
            id=job_id,
            type=type,
            name=clean_name or f"{type}-{job_id}",
            phase=Phase.PENDING,
            created=now,
            destruction=now + self.lifetime,
            parameters=clean_parameters,
            runner=runner,
        )
        staging = self.root / f"{_STAGING_PREFIX}{job_id}"
        staging.mkdir(mode=0o700)
        try:
            self._write(staging, job)
            (staging / LOG_NAME).write_text(f"{_log_time(now)} created {type} job\n", "utf-8")
            for input_name, data in (inputs or {}).items():
                check_file_name(input_name)
                (staging / f"{_INPUT_PREFIX}{input_name}").write_bytes(data)
            staging.rename(self.root / job_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return job

    def get(self, job_id: str) -> Job:
        """Job ``job_id``, read from its record.

        Raises
        ------
        JobNotFoundError
            For a malformed id or an unknown job.
        JobStateError
            If its record is unreadable.
        """
        return self._read(self.job_dir(job_id))

    def list(
        self,
        *,
        phase: Phase | str | None = None,
        type: str | None = None,
        sort: str = "-created",
        offset: int = 0,
        limit: int | None = 50,
    ) -> tuple[builtins.list[Job], int]:
        """One page of jobs and the number of jobs that match.

        Parameters
        ----------
        phase, type : optional
            Keep only jobs in this phase / of this type.
        sort : str
            One of ``created``, ``name``, ``phase`` (in life order), ``type``, ``execution``,
            with a leading ``-`` for descending order. Ties go newest first; jobs that never
            ran go last when sorting by execution time.
        offset, limit : int
            The page: ``limit`` jobs (at most 1000; None for all) after skipping ``offset``.

        Returns
        -------
        tuple
            ``(jobs, total)``. A job whose record is unreadable is skipped (logged once).
        """
        wanted = None if phase is None else _parse_phase(phase)
        _parse_sort(sort)
        if not isinstance(offset, int) or offset < 0:
            raise SurveylabError("offset must be a whole number, 0 or more")
        if limit is not None and (not isinstance(limit, int) or not 0 <= limit <= MAX_PAGE):
            raise SurveylabError(f"limit must be a whole number from 0 to {MAX_PAGE}")
        jobs = [
            job
            for job in self._iter_jobs()
            if (wanted is None or job.phase is wanted) and (type is None or job.type == type)
        ]
        ordered = _sorted_jobs(jobs, sort)
        end = None if limit is None else offset + limit
        return ordered[offset:end], len(ordered)

    def active(self) -> builtins.list[Job]:
        """The jobs that are QUEUED or EXECUTING (what counts against the user's limit)."""
        return [job for job in self._iter_jobs() if job.phase.is_active]

    def update(
        self, job_id: str, /, *, expect: Iterable[Phase] | None = None, **changes: Any
    ) -> Job:
        """Change fields of job ``job_id`` atomically and return the new record.

        Safe to call from worker threads and from other processes sharing the store.

        Parameters
        ----------
        expect : iterable of Phase, optional
            Change the job only if it is in one of these phases; else :class:`JobStateError`.
        **changes
            New values of Job fields (all but ``id``, ``type`` and ``created``).
        """
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise TypeError(f"JobStore.update cannot change {', '.join(sorted(unknown))}")
        _check_changes(changes)
        phases = None if expect is None else frozenset(expect)

        def change(job: Job) -> Job:
            if phases is not None and job.phase not in phases:
                raise JobStateError(f"job {job_id} is {job.phase}")
            return dataclasses.replace(job, **changes)

        return self._modify(job_id, change)

    def rename(self, job_id: str, name: str) -> Job:
        """Give job ``job_id`` a new name (1-128 characters, no ``/``)."""
        return self.update(job_id, name=check_name(name))

    def renew(self, job_id: str, days: float | None = None) -> Job:
        """Push the destruction time of job ``job_id`` to now plus ``days`` (or the lifetime)."""
        if days is None:
            keep = self.lifetime
        elif not isinstance(days, int | float) or not math.isfinite(days) or days <= 0:
            raise SurveylabError("days must be a number greater than 0")
        else:
            keep = timedelta(days=days)
        if keep > self.max_renewal:
            raise SurveylabError(
                f"a job can be kept at most {self.max_renewal.total_seconds() / 86400:g} days ahead"
            )
        return self.update(job_id, destruction=self.now() + keep)

    def set_destruction(self, job_id: str, when: datetime) -> Job:
        """Set the destruction time of job ``job_id`` to ``when`` (UWS ``DESTRUCTION``).

        Raises
        ------
        SurveylabError
            If ``when`` is naive, in the past, or more than ``max_renewal`` ahead.
        """
        _check_aware(when, "the destruction time")
        now = self.now()
        if when <= now:
            raise SurveylabError(
                f"the destruction time {format_time(when)} has passed; give a later one"
            )
        if when - now > self.max_renewal:
            days = self.max_renewal.total_seconds() / 86400
            raise SurveylabError(f"a job can be kept at most {days:g} days ahead")
        return self.update(job_id, destruction=when)

    def delete(self, job_id: str) -> None:
        """Delete job ``job_id`` with its folder and every file in it.

        A job that is QUEUED or EXECUTING in a living process is refused: cancel it first
        (:meth:`JobRunner.delete` does both). A job with an unreadable record can be deleted.

        Raises
        ------
        JobNotFoundError
            For an unknown job.
        JobStateError
            While the job is queued or running.
        """
        with self._locked(job_id) as directory:
            try:
                job: Job | None = self._load(directory)
            except _CorruptRecordError:
                job = None
            if job is not None and job.phase.is_active and self.runner_alive(job):
                raise JobStateError(f"job {job_id} is {job.phase}: cancel it before deleting it")
            trash = self.root / f"{_TRASH_PREFIX}{job_id}-{secrets.token_hex(4)}"
            directory.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)

    # --- files and log ------------------------------------------------------------------------

    def file_path(self, job_id: str, name: str) -> Path:
        """The path of result file ``name`` of job ``job_id`` (or of its ``job.log``).

        Raises
        ------
        UnsafePathError
            If ``name`` is not a plain file name (``..``, ``/``, hidden, control characters)
            or the file is a symlink or leads outside the job folder.
        JobFileNotFoundError
            If the job has no complete result of that name.
        """
        check_file_name(name)
        directory = self.job_dir(job_id)
        if name != LOG_NAME and self.get(job_id).file(name) is None:
            raise JobFileNotFoundError(f"job {job_id} has no file {name!r}")
        path = directory / name
        if path.is_symlink() or path.resolve().parent != directory:
            raise UnsafePathError(f"{name!r} leads outside the folder of job {job_id}")
        if not path.is_file():
            raise JobFileNotFoundError(f"job {job_id} has no file {name!r}")
        return path

    def input_path(self, job_id: str, name: str) -> Path:
        """The path of input file ``name`` of job ``job_id`` (see :meth:`create`).

        Raises
        ------
        UnsafePathError
            If ``name`` is not a plain file name.
        JobFileNotFoundError
            If the job was given no such input.
        """
        check_file_name(name)
        path = self.job_dir(job_id) / f"{_INPUT_PREFIX}{name}"
        if path.is_symlink() or not path.is_file():
            raise JobFileNotFoundError(f"job {job_id} has no input {name!r}")
        return path

    def temp_path(self, job_id: str, name: str) -> Path:
        """A hidden, unique path in the job folder where result ``name`` is written.

        Nothing lists it; :meth:`publish` renames it to ``name`` once it is complete.
        """
        _check_result_name(name)
        return self.job_dir(job_id) / f".{name}{_TEMP_MARK}{secrets.token_hex(4)}"

    def temp_namer(self, job_id: str) -> Callable[[str], str]:
        """:meth:`temp_path` for many results of one job, as strings: the folder is checked once
        (a cutout job names thousands of files while planning)."""
        folder = os.fspath(self.job_dir(job_id))

        def temp(name: str) -> str:
            _check_result_name(name)
            return f"{folder}{os.sep}.{name}{_TEMP_MARK}{secrets.token_hex(4)}"

        return temp

    def publish(
        self,
        job_id: str,
        temp: Path,
        name: str,
        *,
        format: str | None = None,
        rows: int | None = None,
    ) -> ResultFile:
        """Rename a complete temporary file to result ``name`` and list it in the job's files.

        Parameters
        ----------
        temp : Path
            A path from :meth:`temp_path` of this job, holding the complete file.
        name : str
            The result's file name; an earlier result of that name is replaced.
        format, rows : optional
            Recorded in the :class:`ResultFile`.
        """
        _check_result_name(name)
        with self._locked(job_id) as directory:
            temp = Path(temp)
            if (
                temp.parent.resolve() != directory
                or _TEMP_MARK not in temp.name
                or temp.is_symlink()
                or not temp.is_file()
            ):
                raise UnsafePathError(f"{str(temp)!r} is not a temporary file of job {job_id}")
            final = directory / name
            temp.replace(final)
            result = ResultFile(name=name, size=final.stat().st_size, format=format, rows=rows)
            self._write(directory, _with_file(self._read(directory), result))
        return result

    def publish_many(
        self,
        job_id: str,
        items: Iterable[tuple[Path | str, str, str | None]],
        **changes: Any,
    ) -> builtins.list[ResultFile]:
        """:meth:`publish` for many files at once: ``(temp, name, format)`` each.

        The record is rewritten once for the whole batch, so a job with thousands of files
        (cutouts) publishes them in linear time; ``changes`` (e.g. progress, as in
        :meth:`update`) go into the same write. Every temporary file is checked before any is
        renamed, with one ``lstat`` each (the job folder is resolved once).
        """
        batch = builtins.list(items)
        for _temp, name, _format in batch:
            _check_result_name(name)
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise TypeError(f"JobStore.publish_many cannot change {', '.join(sorted(unknown))}")
        _check_changes(changes)
        if not batch and not changes:
            return []
        with self._locked(job_id) as directory:
            # plain strings and os calls: Path objects cost more than the renames themselves
            folder = str(directory)
            parents: dict[str, bool] = {}
            sizes = []
            for temp, _name, _format in batch:
                path = os.fspath(temp)
                parent, base = os.path.split(path)
                inside = parents.get(parent)
                if inside is None:
                    inside = parents[parent] = Path(parent).resolve() == directory
                try:
                    info = os.lstat(path)
                except OSError:
                    info = None
                if (
                    not inside
                    or _TEMP_MARK not in base
                    or not base.startswith(".")
                    or info is None
                    or not stat.S_ISREG(info.st_mode)  # a symlink is not a regular file
                ):
                    raise UnsafePathError(f"{path!r} is not a temporary file of job {job_id}")
                sizes.append(info.st_size)
            results = []
            for (temp, name, format), size in zip(batch, sizes, strict=True):
                os.replace(temp, os.path.join(folder, name))  # noqa: PTH105, PTH118  # see above
                results.append(ResultFile(name=name, size=size, format=format))
            job = self._read(directory)
            if results:
                replaced = {result.name for result in results}
                files = [f for f in job.files if f.name not in replaced] + results
                job = dataclasses.replace(job, files=files)
            self._write(directory, dataclasses.replace(job, **changes))
        return results

    def discard_temp(self, job_id: str) -> builtins.list[str]:
        """Remove the unfinished temporary files of job ``job_id``; return their names."""
        directory = self.job_dir(job_id)
        removed = []
        for path in directory.iterdir():
            if path.name.startswith(".") and _TEMP_MARK in path.name and not path.is_dir():
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    def log(self, job_id: str, message: str) -> None:
        """Append a timestamped line to the job's log (continuation lines are indented).

        Callers never log parameters: the log is for progress, errors and tracebacks.
        """
        lines = str(message).rstrip().splitlines() or [""]
        text = f"{_log_time(self.now())} {lines[0]}\n" + "".join(f"    {x}\n" for x in lines[1:])
        with (self.job_dir(job_id) / LOG_NAME).open("a", encoding="utf-8") as handle:
            handle.write(text)

    def read_log(self, job_id: str, max_bytes: int = MAX_LOG_BYTES) -> str:
        """The job's log; only its last ``max_bytes`` if it is longer."""
        path = self.job_dir(job_id) / LOG_NAME
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - max_bytes))
                data = handle.read()
        except FileNotFoundError:
            return ""
        text = data.decode("utf-8", errors="replace")
        return text if size <= max_bytes else "[...]\n" + text.partition("\n")[2]

    def archive(self, job_id: str, dest: BinaryWriter | Path | str) -> None:
        """Write a zip of the job's result files, ``job.json``, ``job.log`` (and a cutout job's
        ``labels.json``) to ``dest``.

        Members are ``<id>/<name>``. Files are streamed in chunks, so memory stays bounded;
        ``dest`` may be a non-seekable stream. Already compressed files are stored as they are.
        """
        directory = self.job_dir(job_id)
        names = [RECORD_NAME, LOG_NAME, LABELS_NAME] + [f.name for f in self.get(job_id).files]
        with contextlib.ExitStack() as stack:
            out: BinaryWriter = (
                stack.enter_context(Path(dest).open("wb")) if isinstance(dest, str | Path) else dest
            )
            archive = stack.enter_context(zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED))
            for name in names:
                path = _member(directory, name)
                if path is None:
                    continue
                packed = zipfile.ZIP_STORED if path.suffix in _COMPRESSED else zipfile.ZIP_DEFLATED
                archive.write(path, f"{job_id}/{name}", compress_type=packed)

    # --- cancel requests from other processes -------------------------------------------------

    def request_cancel(self, job_id: str) -> None:
        """Leave a cancel request for the process that runs job ``job_id``."""
        (self.job_dir(job_id) / _CANCEL_NAME).touch()

    def cancel_requested(self, job_id: str) -> bool:
        """Whether someone asked, through :meth:`request_cancel`, to cancel job ``job_id``."""
        try:
            return (self.job_dir(job_id) / _CANCEL_NAME).exists()
        except JobNotFoundError:
            return True

    # --- runners' heartbeats ------------------------------------------------------------------

    def beat(self, job_id: str, runner: str) -> None:
        """Record, at the store's time, that process ``runner`` (its token) still has job
        ``job_id``: its heartbeat, which processes on other hosts read (:meth:`runner_alive`)."""
        text = json.dumps({"runner": runner, "time": format_time(self.now())})
        _replace_text(self.job_dir(job_id), _HEARTBEAT_NAME, text + "\n")

    def last_beat(self, job: Job) -> datetime | None:
        """When ``job``'s runner last beat for it; None if never (or the beat is another's)."""
        try:
            beat = json.loads((self.root / job.id / _HEARTBEAT_NAME).read_text("utf-8"))
            return parse_time(beat["time"]) if beat["runner"] == job.runner else None
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def runner_alive(self, job: Job) -> bool:
        """Whether the process that claimed ``job`` still runs: on this host, by its pid and
        start time; on another host, while its heartbeat is at most ``heartbeat_stale`` old."""
        host = runner_host(job.runner)
        if host is None or host == this_host():
            return runner_alive(job.runner)
        beat = self.last_beat(job)
        return runner_alive(
            job.runner, last_beat=beat, now=self.now(), stale_after=self.heartbeat_stale
        )

    def _orphaned(self, job: Job) -> bool:
        """Whether ``job`` was left queued or running by a process that no longer runs."""
        claimed = job.phase.is_active or (job.phase is Phase.PENDING and job.runner is not None)
        return claimed and not self.runner_alive(job)

    # --- upkeep -------------------------------------------------------------------------------

    def recover(self) -> builtins.list[str]:
        """Mark as ERROR the jobs left queued or running by a process that has stopped.

        Call it when the server starts. Safe to call at any time: a job whose process still
        runs (this one, a kernel sharing the store, or a process on another host whose
        heartbeat is fresh) is left alone, and so is a PENDING job that no runner has claimed
        (a UWS job waiting for ``PHASE=RUN``).

        Returns
        -------
        list of str
            The ids of the jobs marked ERROR.
        """
        self._clean_leftovers()
        now = self.now()
        recovered = []
        for job in self._iter_jobs():
            if self._orphaned(job) and self._recover_one(job.id, now):
                recovered.append(job.id)
        return recovered

    def _recover_one(self, job_id: str, now: datetime) -> bool:
        """Mark job ``job_id`` ERROR if it is (still) orphaned; return whether it was."""
        marked = []

        def change(job: Job) -> Job | None:
            if not self._orphaned(job):
                return None
            marked.append(job)
            return dataclasses.replace(job, **_recovery_changes(job, now, self.last_beat(job)))

        try:
            job = self._modify(job_id, change)
        except (JobNotFoundError, JobStateError):
            return False
        if marked:
            self.log(job_id, f"ERROR: {job.error}")
        return bool(marked)

    def expire(self, now: datetime | None = None) -> builtins.list[str]:
        """Delete the jobs whose destruction time has passed; return their ids.

        A job still running in a living process is kept until it ends.
        """
        now = self.now() if now is None else _check_aware(now, "expire(now)")
        expired = []
        for job in self._iter_jobs():
            if job.destruction > now:
                continue
            try:
                self.delete(job.id)
            except (JobNotFoundError, JobStateError):
                continue
            expired.append(job.id)
        return expired

    def _clean_leftovers(self) -> None:
        """Remove half-deleted folders, and half-created ones older than ten minutes."""
        with os.scandir(self.root) as entries:
            leftovers = [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
        for path in leftovers:
            stale = path.name.startswith(_TRASH_PREFIX) or (
                path.name.startswith(_STAGING_PREFIX)
                and time.time() - path.stat().st_mtime > _STAGING_MAX_AGE
            )
            if stale:
                shutil.rmtree(path, ignore_errors=True)


def _member(directory: Path, name: str) -> Path | None:
    """``directory / name`` if it is a plain file right inside ``directory``, else None."""
    try:
        check_file_name(name)
    except UnsafePathError:
        return None
    path = directory / name
    if path.is_symlink() or not path.is_file() or path.resolve().parent != directory:
        return None
    return path


def _check_result_name(name: str) -> None:
    check_file_name(name)
    if name in {RECORD_NAME, LOG_NAME, LABELS_NAME}:
        raise UnsafePathError(f"{name!r} is reserved for the job's record, log and labels")


def _with_file(job: Job, result: ResultFile) -> Job:
    files = [f for f in job.files if f.name != result.name] + [result]
    return dataclasses.replace(job, files=files)


def _check_changes(changes: dict[str, Any]) -> None:
    """Refuse values that would make a record unreadable or lie about time zones."""
    if "phase" in changes:
        changes["phase"] = Phase(changes["phase"])
    for key in ("started", "ended", "destruction"):
        if changes.get(key) is not None:
            changes[key] = _check_aware(changes[key], key)
    if "progress" in changes:
        progress = float(changes["progress"])
        if not math.isfinite(progress):
            raise ValueError("progress must be a finite number")
        changes["progress"] = min(1.0, max(0.0, progress))
    if "name" in changes:
        changes["name"] = check_name(changes["name"])
    if "parameters" in changes:
        changes["parameters"] = check_parameters(changes["parameters"])
    for result in changes.get("files") or []:
        check_file_name(result.name)

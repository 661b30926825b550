"""The job record: phases named as in IVOA UWS, result files, and their JSON form.

Times are timezone-aware UTC :class:`~datetime.datetime` objects in Python and ISO 8601 strings
ending in ``Z`` in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["Job", "Phase", "ResultFile", "format_time", "parse_time", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def format_time(value: datetime) -> str:
    """``value`` as ISO 8601 in UTC with a ``Z`` suffix.

    Raises
    ------
    ValueError
        If ``value`` is naive (has no timezone).

    Examples
    --------
    >>> format_time(datetime(2026, 11, 22, 10, 30, tzinfo=UTC))
    '2026-11-22T10:30:00Z'
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: job times must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a timezone (``Z`` or an offset), converted to UTC.

    Raises
    ------
    ValueError
        If ``text`` is not ISO 8601 or has no timezone.

    Examples
    --------
    >>> parse_time("2026-11-22T11:30:00+01:00")
    datetime.datetime(2026, 11, 22, 10, 30, tzinfo=datetime.timezone.utc)
    """
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone")
    return value.astimezone(UTC)


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else parse_time(value)


class Phase(StrEnum):
    """The phase of a job, named as in IVOA UWS 1.1.

    ``PENDING`` jobs are accepted but not yet queued; ``QUEUED`` and ``EXECUTING`` jobs are
    *active*; ``COMPLETED``, ``ERROR``, ``ABORTED`` and ``ARCHIVED`` are *final*.
    """

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    ARCHIVED = "ARCHIVED"

    @property
    def is_final(self) -> bool:
        """Whether the job has ended and will not change phase again."""
        return self in _FINAL

    @property
    def is_active(self) -> bool:
        """Whether the job is queued or running (it counts against the user's job limit)."""
        return self in _ACTIVE


_FINAL = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})
_ACTIVE = frozenset({Phase.QUEUED, Phase.EXECUTING})


@dataclass(frozen=True)
class ResultFile:
    """A result file of a job, in the job's folder.

    Parameters
    ----------
    name : str
        File name inside the job folder, e.g. ``"result.parquet"``.
    size : int
        Size in bytes.
    format : str, optional
        Format name, e.g. ``"csv"``, ``"fits"``, ``"hdf5"``, ``"parquet"``.
    rows : int, optional
        Rows in the file, when it holds a table.
    """

    name: str
    size: int
    format: str | None = None
    rows: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with keys ``name``, ``size``, ``format`` and ``rows``."""
        # built directly: dataclasses.asdict deep-copies, which shows on jobs with 10,000s of files
        return {"name": self.name, "size": self.size, "format": self.format, "rows": self.rows}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultFile:
        """The inverse of :meth:`to_json`; unknown keys are ignored."""
        rows = data.get("rows")
        return cls(
            name=str(data["name"]),
            size=int(data["size"]),
            format=None if data.get("format") is None else str(data["format"]),
            rows=None if rows is None else int(rows),
        )


@dataclass(frozen=True)
class Job:
    """A snapshot of one job's record; the store returns a fresh one on every read.

    Parameters
    ----------
    id : str
        Twelve lowercase hex digits, e.g. ``"3f9c0a1b2d4e"``: URL-safe and unguessable.
    type : str
        The kind of work, e.g. ``"query"`` or ``"cutout"``.
    name : str
        The user's name for the job (``"<type>-<id>"`` by default).
    phase : Phase
        Where the job is in its life (UWS phases).
    created, started, ended : datetime
        When the job was created, began executing and reached a final phase (UTC).
    destruction : datetime
        When the job and its files will be deleted (UWS destruction time); renewable.
    parameters : dict
        What the work function needs, e.g. ``{"sql": ..., "format": "csv"}``. Never credentials.
    progress : float
        Fraction done, 0 to 1.
    rows : int
        Rows written so far.
    message : str
        Short progress text.
    error : str, optional
        What went wrong, for ``ERROR`` jobs (UWS error summary).
    files : list of ResultFile
        The complete result files, in the order they were published.
    runner : str, optional
        Which process runs (or ran) the job, ``"host:pid:start"``; lets a restarted server tell
        a job whose process died from one another process still runs.
    """

    id: str
    type: str
    name: str
    phase: Phase
    created: datetime
    destruction: datetime
    started: datetime | None = None
    ended: datetime | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    progress: float = 0.0
    rows: int = 0
    message: str = ""
    error: str | None = None
    files: list[ResultFile] = field(default_factory=list)
    runner: str | None = None

    @property
    def execution_seconds(self) -> float | None:
        """Seconds from start to end (``total_seconds``, so days count); None until it ended."""
        if self.started is None or self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()

    @property
    def is_final(self) -> bool:
        """Shortcut for ``job.phase.is_final``."""
        return self.phase.is_final

    def file(self, name: str) -> ResultFile | None:
        """The result file called ``name``, or None."""
        return next((f for f in self.files if f.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: times as ISO 8601 ``Z`` strings, the phase as its name.

        ``execution_seconds`` is included for readers; :meth:`from_json` ignores it.
        """
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "phase": str(self.phase),
            "created": format_time(self.created),
            "started": None if self.started is None else format_time(self.started),
            "ended": None if self.ended is None else format_time(self.ended),
            "destruction": format_time(self.destruction),
            "execution_seconds": self.execution_seconds,
            "parameters": dict(self.parameters),
            "progress": self.progress,
            "rows": self.rows,
            "message": self.message,
            "error": self.error,
            "files": [f.to_json() for f in self.files],
            "runner": self.runner,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        """The inverse of :meth:`to_json`; unknown keys are ignored.

        Raises
        ------
        KeyError, TypeError, ValueError
            If a required field is missing or malformed.
        """
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise TypeError("parameters must be an object")
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            name=str(data["name"]),
            phase=Phase(data["phase"]),
            created=parse_time(data["created"]),
            started=_optional_time(data.get("started")),
            ended=_optional_time(data.get("ended")),
            destruction=parse_time(data["destruction"]),
            parameters=parameters,
            progress=float(data.get("progress", 0.0)),
            rows=int(data.get("rows", 0)),
            message=str(data.get("message") or ""),
            error=None if data.get("error") is None else str(data["error"]),
            files=[ResultFile.from_json(f) for f in data.get("files") or []],
            runner=None if data.get("runner") is None else str(data["runner"]),
        )

"""Quick labels of a cutout job's images: a digit 0-9 per position, kept in the job's folder.

A researcher sorting cutouts in the lab's gallery (one key per image, in the spirit of the DES
cutouts-explorer classifier) gives each position a label from 0 to 9. The labels are saved as
``labels.json`` in the job's folder, next to ``summary.json``::

    {"labels": {"DES2134-0041_DESJ213326.40-004912.0": 3, ...}, "updated": "2026-...Z"}

Keys are the positions' cutout names (``summary.json``'s ``name``, unique within a job, the stem of
their file names). The file is written atomically (a temporary file renamed over it) under the
job's lock, so a reader never sees half a file. It is not a result file: the job's record does not
list it and ``GET /jobs/{id}/files/labels.json`` does not serve it, but the job's zip holds it.

Examples
--------
>>> from surveylab import Survey
>>> store = Survey().runner.store  # doctest: +SKIP
>>> save_labels(store, job_id, {"DES2134-0041_DESJ213326.40-004912.0": 3})  # doctest: +SKIP
>>> job_labels(store, job_id)  # doctest: +SKIP
{'DES2134-0041_DESJ213326.40-004912.0': 3}
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import SurveylabError
from ..jobs import JobStateError, JobStore
from ..jobs.models import format_time
from ..jobs.store import LABELS_NAME
from ..limits import LABEL_MAX, LABEL_MIN, LABELS_MAX
from .job import CUTOUT_JOB, SUMMARY_NAME

__all__ = [
    "LABELS_NAME",
    "MAX_LABEL",
    "MAX_LABELS",
    "MIN_LABEL",
    "LabelError",
    "check_labels",
    "job_labels",
    "label_keys",
    "save_labels",
]

#: Labels are the digits ``MIN_LABEL`` to ``MAX_LABEL`` (0 to 9).
MIN_LABEL = LABEL_MIN
MAX_LABEL = LABEL_MAX
#: Most labels one job may hold (the per-job cap on positions, by default).
MAX_LABELS = LABELS_MAX


class LabelError(SurveylabError):
    """Labels that cannot be saved: not a mapping, a label that is not 0-9, an unknown key."""


def check_labels(labels: Any, known: frozenset[str] | None = None) -> dict[str, int]:
    """Check labels and return them as a plain ``{key: int}`` dict.

    Parameters
    ----------
    labels : Any
        The candidate: a mapping of position keys to integers from 0 to 9.
    known : frozenset of str, optional
        The keys the job has (its positions' cutout names); others are refused.

    Raises
    ------
    LabelError
        Naming the first entry that is wrong and why.

    Examples
    --------
    >>> check_labels({"a": 1, "b": 0})
    {'a': 1, 'b': 0}
    >>> check_labels({"a": 1.5})
    Traceback (most recent call last):
    ...
    surveylab.cutouts.labels.LabelError: the label of 'a' must be an integer from 0 to 9, not 1.5
    """
    if not isinstance(labels, Mapping):
        raise LabelError(
            f"labels must be an object of position keys and labels 0-9, not {type(labels).__name__}"
        )
    if len(labels) > MAX_LABELS:
        raise LabelError(f"{len(labels):,} labels given; a job holds at most {MAX_LABELS:,}")
    clean: dict[str, int] = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not key:
            raise LabelError(f"a label's key must be a position's cutout name, not {key!r}")
        # bool is an int in Python, and 3.0 is not an integer in JSON's sense here
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not MIN_LABEL <= value <= MAX_LABEL
        ):
            raise LabelError(
                f"the label of {key!r} must be an integer from {MIN_LABEL} to {MAX_LABEL}, "
                f"not {value!r}"
            )
        if known is not None and key not in known:
            raise LabelError(f"the job has no position {key!r} (keys are the cutouts' names)")
        clean[key] = value
    return clean


def label_keys(store: JobStore, job_id: str) -> frozenset[str]:
    """The keys job ``job_id``'s positions can be labelled by: their cutout names.

    Raises
    ------
    JobNotFoundError
        For an unknown job.
    LabelError
        If the job is neither a cutout job nor one with a gallery of cutouts (``summary.json``,
        e.g. an anomaly job's).
    JobStateError
        If it has no ``summary.json`` yet (it has not ended) or that file is unreadable.
    """
    job = store.get(job_id)
    if job.type != CUTOUT_JOB and job.file(SUMMARY_NAME) is None:  # an anomaly job's gallery
        raise LabelError(f"job {job_id} is a {job.type} job; only cutout jobs have labels")
    if job.file(SUMMARY_NAME) is None:
        raise JobStateError(
            f"job {job_id} has no {SUMMARY_NAME} yet: its cutouts can be labelled once it has ended"
        )
    path = store.file_path(job_id, SUMMARY_NAME)
    info = path.stat()
    return _summary_keys(str(path), info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=16)
def _summary_keys(path: str, _mtime_ns: int, _size: int) -> frozenset[str]:
    """The cutout names in a summary file (cached while the file is unchanged)."""
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        return frozenset(
            entry["name"] for entry in summary["positions"] if isinstance(entry.get("name"), str)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JobStateError(f"{SUMMARY_NAME} of the job is unreadable ({exc})") from None


def job_labels(store: JobStore, job_id: str) -> dict[str, int]:
    """The labels of job ``job_id``'s positions, ``{cutout name: 0-9}``; empty if none yet.

    Raises
    ------
    JobNotFoundError
        For an unknown job.
    JobStateError
        If ``labels.json`` is unreadable (saving new labels replaces it).
    """
    path = store.job_dir(job_id) / LABELS_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        return check_labels(json.loads(text).get("labels"))
    except (ValueError, AttributeError) as exc:
        raise JobStateError(f"{LABELS_NAME} of job {job_id} is unreadable ({exc})") from None


def save_labels(store: JobStore, job_id: str, labels: Mapping[str, Any]) -> dict[str, int]:
    """Replace the labels of job ``job_id`` (atomically) and return them.

    Parameters
    ----------
    labels : mapping
        ``{cutout name: 0-9}`` for the labelled positions; positions left out have no label.

    Raises
    ------
    LabelError
        For a label that is not 0-9, a key that is not one of the job's positions, too many.
    JobNotFoundError, JobStateError
        As :func:`label_keys`.
    """
    clean = check_labels(labels, label_keys(store, job_id))
    document = {"labels": clean, "updated": format_time(store.now())}
    with store.locked(job_id) as directory:
        temp = directory / f".{LABELS_NAME}.{secrets.token_hex(4)}.tmp"
        try:
            temp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            temp.replace(directory / LABELS_NAME)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    return clean

"""Quick labels of cutout jobs: checked, saved atomically in the job's folder, read from Python,
kept out of the result files but inside the job's zip."""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from surveylab.cutouts.labels import (
    MAX_LABELS,
    LabelError,
    check_labels,
    job_labels,
    label_keys,
    save_labels,
)
from surveylab.errors import JobNotFoundError
from surveylab.jobs import JobFileNotFoundError, JobStateError, JobStore, UnsafePathError

NAMES = ["DES2134-0041_DESJ213326.40-004912.0", "DES2134-0041_DESJ213336.00-004800.0"]


def cutout_job(store: JobStore, names: list[str] = NAMES) -> str:
    """A cutout job that has ended: a summary with these positions and one that failed."""
    job = store.create("cutout", name="labels")
    positions: list[dict[str, Any]] = [
        {"row": k + 2, "name": name, "status": "ok", "files": []} for k, name in enumerate(names)
    ]
    positions.append({"row": 9, "name": None, "status": "error", "error": "outside", "files": []})
    temp = store.temp_path(job.id, "summary.json")
    temp.write_text(json.dumps({"positions": positions}))
    store.publish(job.id, temp, "summary.json", format="json")
    return job.id


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs")


def test_labels_are_saved_atomically_and_read_back(store: JobStore) -> None:
    job_id = cutout_job(store)
    assert job_labels(store, job_id) == {}

    saved = save_labels(store, job_id, {NAMES[0]: 3, NAMES[1]: 0})

    assert saved == {NAMES[0]: 3, NAMES[1]: 0}
    assert job_labels(store, job_id) == saved
    folder = store.job_dir(job_id)
    document = json.loads((folder / "labels.json").read_text())
    assert document["labels"] == saved and document["updated"].endswith("Z")
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]

    assert save_labels(store, job_id, {NAMES[1]: 9}) == {NAMES[1]: 9}  # replaces all
    assert job_labels(store, job_id) == {NAMES[1]: 9}


def test_labels_are_not_a_result_file_but_are_in_the_archive(store: JobStore) -> None:
    job_id = cutout_job(store)
    save_labels(store, job_id, {NAMES[0]: 1})

    assert [f.name for f in store.get(job_id).files] == ["summary.json"]
    with pytest.raises(JobFileNotFoundError):
        store.file_path(job_id, "labels.json")
    buffer = io.BytesIO()
    store.archive(job_id, buffer)
    members = zipfile.ZipFile(buffer).namelist()
    assert sorted(members) == sorted(
        f"{job_id}/{name}" for name in ("job.json", "job.log", "labels.json", "summary.json")
    )
    with pytest.raises(UnsafePathError, match="reserved"):
        store.temp_path(job_id, "labels.json")


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([1, 2], "labels must be an object of position keys and labels 0-9, not list"),
        ({NAMES[0]: 10}, f"the label of '{NAMES[0]}' must be an integer from 0 to 9, not 10"),
        ({NAMES[0]: -1}, "must be an integer from 0 to 9, not -1"),
        ({NAMES[0]: 2.5}, "must be an integer from 0 to 9, not 2.5"),
        ({NAMES[0]: 2.0}, "must be an integer from 0 to 9, not 2.0"),
        ({NAMES[0]: True}, "must be an integer from 0 to 9, not True"),
        ({NAMES[0]: "3"}, "must be an integer from 0 to 9, not '3'"),
        ({NAMES[0]: None}, "must be an integer from 0 to 9, not None"),
        ({"": 1}, "a label's key must be a position's cutout name, not ''"),
        ({"DES0000+0000_nowhere": 1}, "the job has no position 'DES0000+0000_nowhere'"),
        ({f"k{i}": 1 for i in range(MAX_LABELS + 1)}, "10,001 labels given; a job holds at most"),
    ],
    ids=[
        "not-an-object",
        "too-big",
        "negative",
        "fraction",
        "float",
        "bool",
        "string",
        "null",
        "empty-key",
        "unknown-key",
        "too-many",
    ],
)
def test_bad_labels_are_refused_and_change_nothing(
    store: JobStore, labels: Any, message: str
) -> None:
    job_id = cutout_job(store)
    save_labels(store, job_id, {NAMES[0]: 4})

    with pytest.raises(LabelError, match=re.escape(message)):
        save_labels(store, job_id, labels)

    assert job_labels(store, job_id) == {NAMES[0]: 4}


def test_check_labels_without_known_keys_checks_only_values() -> None:
    assert check_labels({"anything": 0, "else": 9}) == {"anything": 0, "else": 9}


def test_label_keys_are_the_cut_positions_names(store: JobStore) -> None:
    assert label_keys(store, cutout_job(store)) == frozenset(NAMES)


def test_unknown_jobs_query_jobs_and_running_jobs_have_no_labels(store: JobStore) -> None:
    with pytest.raises(JobNotFoundError):
        job_labels(store, "0123456789ab")
    with pytest.raises(JobNotFoundError):
        save_labels(store, "0123456789ab", {})
    query = store.create("query", parameters={"sql": "SELECT 1"})
    with pytest.raises(LabelError, match=f"job {query.id} is a query job; only cutout jobs"):
        save_labels(store, query.id, {})
    running = store.create("cutout")
    with pytest.raises(JobStateError, match=r"has no summary\.json yet"):
        save_labels(store, running.id, {})


def test_an_unreadable_labels_file_is_a_clear_error_and_can_be_replaced(store: JobStore) -> None:
    job_id = cutout_job(store)
    (store.job_dir(job_id) / "labels.json").write_text("{not json")

    with pytest.raises(JobStateError, match=f"labels.json of job {job_id} is unreadable"):
        job_labels(store, job_id)

    save_labels(store, job_id, {NAMES[0]: 2})
    assert job_labels(store, job_id) == {NAMES[0]: 2}


def test_concurrent_saves_never_leave_a_torn_file(store: JobStore) -> None:
    job_id = cutout_job(store)
    errors: list[BaseException] = []

    def save(label: int) -> None:
        try:
            for _ in range(20):
                save_labels(store, job_id, {NAMES[0]: label, NAMES[1]: label})
                assert job_labels(store, job_id) in ({NAMES[0]: k, NAMES[1]: k} for k in range(4))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

"""The Python API of the query service: quick queries and jobs through ``Survey``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.errors import QueryTimeoutError, ReadOnlyQueryError, SQLSyntaxError
from surveylab.jobs import Phase
from surveylab.writers import COMPRESSIONS, FORMATS

SLOW_SQL = "SELECT COUNT(*) FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"


@pytest.fixture
def survey(demo_data_dir: Path, tmp_path: Path) -> Iterator[Survey]:
    settings = Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / "jobs", quick_timeout=0.5)
    with Survey(settings) as opened:
        yield opened


def test_query_outputs(survey: Survey) -> None:
    sql = "SELECT RA, DEC FROM DR1_MAIN FETCH FIRST 10 ROWS ONLY"
    table = survey.query(sql)
    frame = survey.query(sql, output="pandas")
    arrow = survey.query(sql, output="arrow")
    assert len(table) == len(frame) == arrow.num_rows == 10  # type: ignore[arg-type]
    assert np.allclose(table["RA"], frame["RA"])  # type: ignore[index]


def test_quick_query_is_capped_and_timed_out(survey: Survey) -> None:
    result = survey.quick("SELECT RA FROM DR1_MAIN", max_rows=7)
    assert len(result.rows) == 7 and result.truncated
    with pytest.raises(QueryTimeoutError):
        survey.quick(SLOW_SQL)
    assert survey.quick("SELECT 2 AS TWO").rows == [[2]]


def test_quick_table_has_the_quick_rows_with_units_masks_and_meta(survey: Survey) -> None:
    sql = (
        "SELECT COADD_OBJECT_ID, RA, CASE WHEN MOD(COADD_OBJECT_ID, 2) = 0 THEN NULL ELSE "
        "WAVG_MAG_PSF_G END AS G_ODD FROM DR1_MAIN ORDER BY COADD_OBJECT_ID"
    )
    table = survey.quick_table(sql, max_rows=40)
    quick = survey.quick(sql, max_rows=40)
    assert len(table) == len(quick.rows) == 40
    assert list(table["COADD_OBJECT_ID"]) == [row[0] for row in quick.rows]
    assert list(table["RA"]) == [row[1] for row in quick.rows]
    assert table.meta["truncated"] is True and quick.truncated
    assert table.meta["elapsed"] > 0
    assert table.meta["query"] == sql and table.meta["release"] == survey.release
    assert str(table["RA"].unit) == "deg" and "Right ascension" in table["RA"].description
    nulls = [row[2] is None for row in quick.rows]
    assert any(nulls) and list(table["G_ODD"].mask) == nulls
    assert [float(g) for g in table["G_ODD"].compressed()] == [
        pytest.approx(row[2]) for row in quick.rows if row[2] is not None
    ]
    whole = survey.quick_table("SELECT RA FROM DR1_MAIN FETCH FIRST 5 ROWS ONLY")
    assert len(whole) == 5 and whole.meta["truncated"] is False
    with pytest.raises(QueryTimeoutError):
        survey.quick_table(SLOW_SQL)


@pytest.mark.parametrize(
    ("sql", "error"),
    [("DELETE FROM DR1_MAIN", ReadOnlyQueryError), ("SELECT FROM WHERE", SQLSyntaxError)],
    ids=["dml", "syntax"],
)
def test_bad_queries_never_become_jobs(survey: Survey, sql: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        survey.submit(sql)
    assert survey.jobs() == []


@pytest.mark.parametrize("format", ["csv", "fits", "hdf5", "parquet"])
def test_job_result_reads_back_row_for_row(survey: Survey, format: str) -> None:
    expected = survey.query(M2_EXAMPLE_QUERY + " ORDER BY COADD_OBJECT_ID")
    job = survey.submit(M2_EXAMPLE_QUERY + " ORDER BY COADD_OBJECT_ID", format=format, name="m2")
    record = job.wait(60)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.rows == len(expected)
    result = job.result()
    assert list(result["COADD_OBJECT_ID"]) == list(expected["COADD_OBJECT_ID"])
    assert np.allclose(result["G"], expected["G"])
    assert job.files[0].parent == survey.settings.jobs_dir / job.id
    assert [j.id for j in survey.jobs()] == [job.id]


#: A self-join that names RA twice, as a cross-match does.
SELF_JOIN = (
    "SELECT a.COADD_OBJECT_ID, a.RA, b.RA FROM DR1_MAIN a JOIN DR1_MAIN b "
    "ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID ORDER BY a.COADD_OBJECT_ID"
)


@pytest.mark.parametrize(
    ("format", "compression"),
    [
        pytest.param(format, compression, id=f"{format}-{compression or 'none'}")
        for format in FORMATS
        for compression in COMPRESSIONS[format]
    ],
)
def test_job_of_a_query_that_repeats_a_column_name_writes_unique_names(
    survey: Survey, format: str, compression: str | None
) -> None:
    expected = survey.query(SELF_JOIN)
    job = survey.submit(SELF_JOIN, format=format, compression=compression, name="pairs")
    record = job.wait(60)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.rows == len(expected) > 1000
    result = job.result()
    assert result.colnames == ["COADD_OBJECT_ID", "RA", "RA_2"]
    assert np.array_equal(result["RA_2"], expected["RA"])


def test_cancel_aborts_the_query(survey: Survey) -> None:
    job = survey.submit(SLOW_SQL, format="fits")
    for _ in range(100):
        if job.phase is Phase.EXECUTING:
            break
        job.wait(0.05)
    job.cancel()
    record = job.wait(20)
    assert record.phase is Phase.ABORTED
    assert job.files == []


def test_close_with_a_cutout_job_just_submitted_does_not_hang(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """The starting job asks for the cutout executor while close() shuts the runner down."""
    import threading

    for attempt in range(4):
        survey = Survey(Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / str(attempt)))
        survey.cutouts([(323.36, -0.82), (323.40, -0.70)], size=0.5)
        closer = threading.Thread(target=survey.close, daemon=True)
        closer.start()
        closer.join(30)
        assert not closer.is_alive(), "Survey.close() deadlocked"


def test_job_service_does_what_the_adapters_ask_of_a_job(survey: Survey, tmp_path: Path) -> None:
    """List, read, rename, renew, files, log, zip, labels and delete through ``job_service``."""
    import zipfile
    from datetime import UTC, datetime, timedelta

    from surveylab.cutouts.labels import LabelError
    from surveylab.errors import JobNotFoundError

    jobs = survey.job_service
    assert jobs is survey.job_service
    job = survey.submit("SELECT RA, DEC FROM DR1_MAIN FETCH FIRST 3 ROWS ONLY", name="three")
    done = jobs.wait(job.id, 60)
    assert done.phase is Phase.COMPLETED, done.error

    page, total = jobs.list(phase="COMPLETED", limit=10)
    assert [j.id for j in page] == [job.id] and total == 1
    assert jobs.list(phase="ERROR") == ([], 0)
    assert jobs.rename(job.id, "renamed").name == "renamed" == jobs.get(job.id).name
    kept = jobs.renew(job.id, 2).destruction - datetime.now(UTC)
    assert timedelta(days=2) - timedelta(minutes=1) < kept <= timedelta(days=2)
    assert jobs.files(job.id) == [jobs.file_path(job.id, "three.csv")]
    assert jobs.files(job.id)[0].parent == jobs.folder(job.id)
    assert jobs.file_path(job.id, "three.csv").read_text().count("\n") == 4  # header, 3 rows
    assert "wrote 3 rows to three.csv" in jobs.log(job.id)
    jobs.archive(job.id, tmp_path / "job.zip")
    with zipfile.ZipFile(tmp_path / "job.zip") as archive:
        assert f"{job.id}/three.csv" in archive.namelist()
    with pytest.raises(LabelError, match="only cutout jobs have labels"):
        jobs.labels(job.id)
    with pytest.raises(LabelError, match="only cutout jobs have labels"):
        jobs.save_labels(job.id, {})

    jobs.delete(job.id)
    assert jobs.list() == ([], 0)
    with pytest.raises(JobNotFoundError):
        jobs.get(job.id)


def test_a_full_storage_quota_refuses_new_jobs_and_deletes_nothing(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """Past the quota a query job, a cutout job and a TAP job are refused with the figures;
    deleting a job frees the room."""
    from surveylab.errors import HTTP_STATUS, StorageQuotaError
    from surveylab.vo.protocol import Params, VORequest
    from surveylab.vo.service import VOService

    quota_gb = 20_000 / 1e9  # 20 kB: one job's files fill it
    settings = Settings(
        data_dir=demo_data_dir, jobs_dir=tmp_path / "jobs", job_storage_quota_gb=quota_gb
    )
    with Survey(settings) as survey:
        first = survey.submit("SELECT * FROM DR1_MAIN FETCH FIRST 2000 ROWS ONLY")
        assert first.wait(timeout=60).phase is Phase.COMPLETED
        used = survey.job_service.storage_used()
        assert used >= 20_000
        assert used >= sum(path.stat().st_size for path in first.files)
        with pytest.raises(StorageQuotaError) as refused:
            survey.submit("SELECT 1 AS ONE")
        assert str(refused.value) == (
            f"your jobs hold {used / 1e9:.2f} GB of files and your quota is 2e-05 GB: delete "
            "jobs you no longer need before starting another (nothing was deleted)"
        )
        assert HTTP_STATUS[refused.value.category] == 429
        with pytest.raises(StorageQuotaError):
            survey.cutouts([(323.36, -0.82)], bands="g")
        tap = VOService(survey).handle(
            VORequest(
                "POST",
                "tap/async",
                Params({"LANG": ["SQL"], "QUERY": ["SELECT 1 AS ONE"]}),
                "http://lab.test/surveylab",
            )
        )
        assert tap.status == 429  # refused outright: not even a job in ERROR
        assert [job.id for job in survey.jobs()] == [first.id]  # nothing made, nothing deleted
        survey.job_service.delete(first.id)
        assert survey.submit("SELECT 1 AS ONE").wait(timeout=60).phase is Phase.COMPLETED


def test_no_quota_means_none() -> None:
    assert Settings(job_storage_quota_gb=None).job_storage_quota_gb is None
    assert Settings().job_storage_quota_gb == 50.0

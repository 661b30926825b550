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

"""The query service on a real PostgreSQL server: quick queries, jobs in every format, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.errors import CatalogUnavailableError, QueryTimeoutError
from surveylab.examples import EXAMPLES
from surveylab.jobs import Phase
from tests.support.postgres import PostgresServer

SLOW_SQL = "SELECT COUNT(*) FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"


def settings_for(server: PostgresServer, jobs_dir: Path, **changes: object) -> Settings:
    return Settings(
        catalog_url=server.url,
        db_user=server.user,
        db_password=SecretStr(server.password),
        jobs_dir=jobs_dir,
        quick_timeout=1.0,
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def pg_survey(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Survey]:
    with Survey(settings_for(postgres_server, tmp_path / "jobs")) as survey:
        yield survey


@pytest.fixture
def duck_survey(demo_data_dir: Path, tmp_path: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / "duck-jobs")) as survey:
        yield survey


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_examples_give_the_same_answer_on_postgres_and_duckdb(
    example: object, pg_survey: Survey, duck_survey: Survey
) -> None:
    sql = example.sql  # type: ignore[attr-defined]
    on_pg, on_duck = pg_survey.quick(sql), duck_survey.quick(sql)
    assert [c.name for c in on_pg.columns] == [c.name for c in on_duck.columns]
    assert len(on_pg.rows) == len(on_duck.rows) > 0


def test_quick_query_times_out_in_postgres(pg_survey: Survey) -> None:
    with pytest.raises(QueryTimeoutError):
        pg_survey.quick(SLOW_SQL)
    assert pg_survey.quick("SELECT 1 AS ONE").rows == [[1]]


@pytest.mark.parametrize(
    ("format", "compression"),
    [("csv", "gzip"), ("fits", None), ("hdf5", "lzf"), ("parquet", "snappy")],
    ids=["csv-gzip-copy", "fits", "hdf5", "parquet"],
)
def test_jobs_on_postgres_read_back_row_for_row(
    pg_survey: Survey, format: str, compression: str | None
) -> None:
    sql = M2_EXAMPLE_QUERY + " ORDER BY COADD_OBJECT_ID"
    expected = pg_survey.query(sql)
    job = pg_survey.submit(sql, format=format, compression=compression)
    record = job.wait(60)
    assert record.phase is Phase.COMPLETED, record.error
    result = job.result()
    assert list(result["COADD_OBJECT_ID"]) == list(expected["COADD_OBJECT_ID"])
    assert np.allclose(result["G_PSF"], expected["G_PSF"])


def test_cancel_stops_the_query_in_postgres(
    pg_survey: Survey, postgres_server: PostgresServer
) -> None:
    job = pg_survey.submit(SLOW_SQL, format="fits")
    for _ in range(200):
        if job.phase is Phase.EXECUTING:
            break
        job.wait(0.05)
    job.cancel()
    assert job.wait(20).phase is Phase.ABORTED
    with postgres_server.admin() as admin:
        running = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE %s",
            ["%DR1_MAIN A, DR1_MAIN B%"],
        ).fetchone()
    assert running == (0,)


def test_wrong_password_is_a_clear_error_without_the_password(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    settings = settings_for(postgres_server, tmp_path / "jobs")
    wrong = settings.model_copy(update={"db_password": SecretStr("not-the-Password-42")})
    with Survey(wrong) as survey, pytest.raises(CatalogUnavailableError) as caught:
        survey.quick("SELECT 1")
    assert "not-the-Password-42" not in str(caught.value)
    assert "not-the-Password-42" not in repr(caught.value)

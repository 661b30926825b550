"""A lab's ``Survey`` under a hub with a platform service submits its jobs there: the query
panel, the widgets and ``surveylab sql`` all call :meth:`Survey.submit` and
:meth:`Survey.cutouts`. A real jupyter server with surveylab stands in for the service (the
same handlers answer ``POST api/jobs`` in both); it shares the lab's job store, as the service
shares ``~/surveylab-jobs``. The hub's own service: ``tests/hub/test_platform_service_e2e.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from surveylab import Settings, Survey
from surveylab.demo import M2_DEC, M2_RA
from surveylab.errors import JobLimitError
from surveylab.jobs import Phase
from surveylab.jobs._process import process_token
from tests.support.cli import run_in_process
from tests.support.server import SECONDS_LONG_SQL, RunningServer, jupyter_server


@pytest.fixture(scope="module")
def service(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, RunningServer]]:
    """The stand-in service (one job at a time per user) and its root; its job store is
    ``home/surveylab-jobs``."""
    root = tmp_path_factory.mktemp("platform")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SURVEYLAB_MAX_ACTIVE_JOBS", "1")
        server = jupyter_server(demo_data_dir, root)
        running = server.__enter__()
    try:
        yield root, running
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def lab(
    service: tuple[Path, RunningServer], demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Survey]:
    """A lab's survey: told of the service, with the lab's hub token, sharing its store."""
    root, running = service
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", running.token)
    settings = Settings(
        data_dir=demo_data_dir,
        jobs_dir=root / "home" / "surveylab-jobs",
        platform_url=f"{running.url}/surveylab/",
    )
    with Survey(settings) as survey:
        yield survey


def test_a_query_job_runs_in_the_service_and_reads_here(lab: Survey) -> None:
    assert lab.platform is not None and lab.platform.url.endswith("/surveylab/")
    job = lab.submit("SELECT TILENAME FROM DR1_TILE_INFO", format="parquet", name="tiles")
    record = job.wait(timeout=60)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.runner is not None and record.runner != process_token()  # not this process
    assert record.name == "tiles"
    assert len(job.result()) == len(lab.query("SELECT TILENAME FROM DR1_TILE_INFO"))


def test_a_cutout_csv_goes_as_written_so_bad_rows_are_named_by_line(lab: Survey) -> None:
    text = f"RA,DEC\n{M2_RA},{M2_DEC}\n{M2_RA},95\n"
    job = lab.cutouts(text, size=0.5, bands="r", previews=False, name="m2")
    record = job.wait(timeout=120)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.runner != process_token()
    summary = job.summary()
    (problem,) = summary["rejected"]
    assert problem["row"] == 3 and problem["error"].startswith("line 3: ")
    assert summary["counts"]["ok"] == 1


def test_object_ids_and_positions_go_checked(lab: Survey) -> None:
    near_m2 = (
        "SELECT MIN(COADD_OBJECT_ID) AS I FROM DR1_MAIN "
        f"WHERE ABS(RA - {M2_RA}) < 0.02 AND ABS(DEC - {M2_DEC}) < 0.02"
    )
    object_id = int(lab.query(near_m2)["I"][0])
    for places in ([object_id], [(M2_RA, M2_DEC)]):
        job = lab.cutouts(places, size=0.5, bands="g", previews=False)
        record = job.wait(timeout=120)
        assert record.phase is Phase.COMPLETED, record.error
        assert record.parameters["bands"] == ["g"] and record.runner != process_token()


def test_an_anomaly_job_and_its_retrain_run_in_the_service(lab: Survey) -> None:
    sample = (
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, SPREAD_MODEL_I "
        f"FROM DR1_MAIN WHERE ABS(RA - {M2_RA}) < 0.1 AND ABS(DEC - {M2_DEC}) < 0.1"
    )
    job = lab.anomalies(sample, top=3, trees=20, name="odd")
    record = job.wait(timeout=120)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.runner != process_token() and record.type == "anomaly"
    first = next(p for p in job.summary()["positions"] if p["status"] == "ok")
    lab.job_service.save_labels(job.id, {first["name"]: 0})
    again = lab.anomalies(retrain=job.id)
    record = again.wait(timeout=120)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.runner != process_token()
    assert record.parameters["exclude_ids"] == [first["id"]]
    assert first["id"] not in list(again.result("top")["COADD_OBJECT_ID"])


def test_the_services_refusal_is_raised_as_its_kind(lab: Survey) -> None:
    """The service's own limit (one job here): its 429 is a JobLimitError, in its words."""
    first = lab.submit(SECONDS_LONG_SQL, name="long")
    try:
        with pytest.raises(JobLimitError, match=r"you have 1 job .* at once \(1\)"):
            lab.submit("SELECT 1 AS ONE")
    finally:
        first.cancel()
    assert first.wait(timeout=60).phase is Phase.ABORTED


def test_the_sql_shell_submits_there_and_leaves_without_waiting(
    service: tuple[Path, RunningServer], demo_data_dir: Path, tmp_path: Path
) -> None:
    """``surveylab sql``'s ``submit`` in a lab terminal: the job runs in the service, so
    leaving the shell does not wait for it (nor stop it)."""
    root, running = service
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEYLAB_")}
    env.update(
        HOME=str(tmp_path),
        SURVEYLAB_DATA_DIR=str(demo_data_dir),
        SURVEYLAB_JOBS_DIR=str(root / "home" / "surveylab-jobs"),
        SURVEYLAB_PLATFORM_URL=f"{running.url}/surveylab/",
        JUPYTERHUB_API_TOKEN=running.token,
    )
    result = run_in_process("sql", "-c", f"submit {SECONDS_LONG_SQL}; > pairs.csv", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 submitted job(s) go on in the platform service" in result.stderr
    job_id = result.stdout.split()[1]
    settings = Settings(data_dir=demo_data_dir, jobs_dir=root / "home" / "surveylab-jobs")
    with Survey(settings) as survey:
        job = survey.job(job_id)
        assert job.record.name == "pairs" and not job.record.is_final  # still going on there
        job.cancel()
        assert job.wait(timeout=60).phase is Phase.ABORTED


def test_without_the_labs_token_jobs_run_here(
    demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    settings = Settings(
        data_dir=demo_data_dir, jobs_dir=tmp_path / "jobs", platform_url="http://127.0.0.1:9/"
    )
    with Survey(settings) as survey:
        assert survey.platform is None
        record = survey.submit("SELECT 1 AS ONE").wait(timeout=60)
        assert record.phase is Phase.COMPLETED and record.runner in (None, process_token())
    assert os.environ.get("JUPYTERHUB_API_TOKEN") is None

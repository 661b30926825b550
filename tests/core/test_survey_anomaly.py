"""Anomaly jobs through ``Survey`` on the demo release: results, model, gallery, labels, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from surveylab import Settings, Survey
from surveylab.anomaly import ANOMALY_JOB, AnomalyModel
from surveylab.cutouts.labels import job_labels, save_labels
from surveylab.errors import SQLSyntaxError, SurveylabError
from surveylab.jobs import Phase

SURVEYLAB = str(Path(sys.executable).with_name("surveylab"))
COLUMNS = "COADD_OBJECT_ID, RA, DEC, HPIX_32, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, SPREAD_MODEL_I"


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("anomaly-jobs")
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs, cutout_workers=2)) as opened:
        yield opened


@pytest.fixture(scope="module")
def sample(survey: Survey) -> str:
    """The demo's objects in its imaged tiles (so that the gallery has images)."""
    imaged = ",".join(f"'{tile.name}'" for tile in survey.footprint if tile.images)
    return f"SELECT {COLUMNS} FROM DR1_MAIN WHERE TILENAME IN ({imaged})"


@pytest.fixture(scope="module")
def finished(survey: Survey, sample: str) -> Any:
    job = survey.anomalies(sample, top=6, trees=50, name="odd ones")
    record = job.wait(180)
    assert record.phase is Phase.COMPLETED, (record.phase, record.error)
    return job


def test_the_job_publishes_scores_top_list_model_and_gallery(survey: Survey, finished: Any) -> None:
    record = finished.record
    names = {file.name for file in record.files}
    assert {"odd_ones_scores.parquet", "odd_ones_top.parquet", "model.isotree"} <= names
    assert {"model.json", "summary.json"} <= names
    scores = pq.read_table(
        finished.survey.job_service.file_path(finished.id, "odd_ones_scores.parquet")
    )
    sample_rows = survey.query_arrow(f"SELECT COUNT(*) AS N FROM ({record.parameters['sql']}) S")
    assert scores.num_rows == sample_rows.column(0)[0].as_py()
    ranks = scores.column("ANOMALY_RANK").to_numpy()
    values = scores.column("ANOMALY_SCORE").to_numpy()
    assert sorted(ranks.tolist()) == list(range(1, scores.num_rows + 1))
    assert values[ranks == 1][0] == values.max()
    top = finished.result("top")
    assert len(top) == 6 and list(top["ANOMALY_RANK"]) == [1, 2, 3, 4, 5, 6]
    meta = json.loads(finished.survey.job_service.file_path(finished.id, "model.json").read_text())
    assert meta["features"] == [
        "MAG_AUTO_G-MAG_AUTO_R", "MAG_AUTO_R-MAG_AUTO_I", "SPREAD_MODEL_I"
    ]  # fmt: skip
    assert meta["top_ids"] == list(top["COADD_OBJECT_ID"])
    summary = finished.summary()
    assert summary["counts"]["positions"] == 6 and summary["counts"]["ok"] >= 1
    assert [entry["id"] for entry in summary["positions"]] == meta["top_ids"]


def test_the_saved_model_scores_rows_as_the_job_did(survey: Survey, finished: Any) -> None:
    top = finished.result("top")
    model = finished.model()
    assert isinstance(model, AnomalyModel)
    data = {name: np.asarray(top[name], dtype=float) for name in top.colnames}
    np.testing.assert_allclose(model.score(data), top["ANOMALY_SCORE"])


def test_the_gallery_takes_labels_and_a_retrain_leaves_the_labelled_out(
    survey: Survey, finished: Any
) -> None:
    summary = finished.summary()
    done = [entry for entry in summary["positions"] if entry["status"] == "ok"]
    boring = done[0]
    store = survey.runner.store
    save_labels(store, finished.id, {boring["name"]: 0, done[-1]["name"]: 7})
    assert job_labels(store, finished.id)[boring["name"]] == 0
    again = survey.anomalies(retrain=finished.id, name="again")
    assert again.wait(180).phase is Phase.COMPLETED
    parameters = again.record.parameters
    assert parameters["exclude_ids"] == [boring["id"]]
    assert parameters["sql"] == finished.record.parameters["sql"]
    assert parameters["top"] == 6 and parameters["trees"] == 50
    top = again.result("top")
    assert boring["id"] not in list(top["COADD_OBJECT_ID"])
    scores = pq.read_table(again.files[0]).to_pylist()
    (row,) = [row for row in scores if row["COADD_OBJECT_ID"] == boring["id"]]
    assert row["ANOMALY_RANK"] is None and row["ANOMALY_SCORE"] > 0


@pytest.mark.parametrize(
    ("sql", "options", "error", "message"),
    [
        (f"SELECT {COLUMNS} FROM DR1_MAIN", {"features": ["MAG_AUTO_Q", "RA"]}, SurveylabError,
         "feature 'MAG_AUTO_Q' needs column"),
        ("SELECT FROM WHERE", {}, SQLSyntaxError, None),
        (f"SELECT {COLUMNS} FROM DR1_MAIN", {"trees": 5000}, SurveylabError,
         "trees must be from 10 to 1,000"),
        ("SELECT RA, DEC FROM DR1_MAIN", {}, SurveylabError, "0 of the default features"),
        (f"SELECT {COLUMNS} FROM DR1_MAIN", {"format": "xls"}, SurveylabError, "xls"),
    ],
    ids=["bad-feature", "bad-query", "too-many-trees", "no-features", "bad-format"],
)  # fmt: skip
def test_bad_requests_never_become_jobs(
    demo_data_dir: Path,
    tmp_path: Path,
    sql: str,
    options: dict[str, Any],
    error: type[Exception],
    message: str | None,
) -> None:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=tmp_path)) as fresh:
        with pytest.raises(error, match=message):
            fresh.anomalies(sql, **options)
        assert fresh.jobs() == []


def test_retrain_needs_an_anomaly_job(survey: Survey) -> None:
    query = survey.submit("SELECT 1 AS ONE")
    query.wait(60)
    with pytest.raises(SurveylabError, match=f"retrain: job {query.id} is a query job"):
        survey.anomalies(retrain=query.id)


def cli(*args: str, survey: Survey, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SURVEYLAB_DATA_DIR": str(survey.settings.data_dir),
        "SURVEYLAB_JOBS_DIR": str(survey.settings.jobs_dir),
    }
    return subprocess.run(
        [SURVEYLAB, "anomaly", "score", *args],
        capture_output=True, text=True, env=env, input=stdin, timeout=120,
    )  # fmt: skip


def test_the_cli_scores_csv_on_stdin_and_a_table(
    survey: Survey, finished: Any, tmp_path: Path
) -> None:
    top = finished.result("top")
    header = "COADD_OBJECT_ID,MAG_AUTO_G,MAG_AUTO_R,MAG_AUTO_I,SPREAD_MODEL_I"
    lines = [header] + [",".join(str(row[name]) for name in header.split(",")) for row in top[:3]]
    result = cli("--model", finished.id, survey=survey, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == header + ",ANOMALY_SCORE"
    assert [float(line.rsplit(",", 1)[1]) for line in out[1:]] == pytest.approx(
        list(top["ANOMALY_SCORE"][:3]), abs=1e-6
    )
    table = tmp_path / "rows.fits"
    top.remove_columns(["ANOMALY_SCORE", "ANOMALY_RANK", "N_MISSING"])
    top.write(table)
    result = cli("--model", finished.id, "--table", str(table), survey=survey)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(top) + 1 and out[0].endswith(",ANOMALY_SCORE")
    assert [float(line.rsplit(",", 1)[1]) for line in out[1:]] == pytest.approx(
        list(finished.result("top")["ANOMALY_SCORE"]), abs=1e-9
    )
    bad = cli("--model", finished.id, survey=survey, stdin="RA,DEC\n1,2\n")
    assert bad.returncode == 2 and "the CSV header has no column(s) MAG_AUTO_G" in bad.stderr
    query = survey.submit("SELECT 1 AS ONE")
    query.wait(60)
    wrong = cli("--model", query.id, survey=survey, stdin="")
    assert wrong.returncode == 2 and "not an anomaly job" in wrong.stderr


def test_the_job_type_is_registered(survey: Survey, finished: Any) -> None:
    assert finished.record.type == ANOMALY_JOB
    assert [job.id for job in survey.jobs(type=ANOMALY_JOB)][-1] == finished.id


def test_a_sample_without_positions_is_scored_without_a_gallery(survey: Survey) -> None:
    sql = (
        "SELECT MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I FROM DR1_MAIN WHERE MOD(COADD_OBJECT_ID, 7) = 0"
    )
    job = survey.anomalies(sql, features="MAG_AUTO_G-MAG_AUTO_R, MAG_AUTO_R-MAG_AUTO_I", top=3)
    record = job.wait(120)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.file("summary.json") is None and record.file("model.isotree") is not None
    assert "no cutout gallery: the sample has no RA and DEC" in survey.job_service.log(job.id)
    assert len(job.result("top")) == 3


def test_the_cli_answers_each_row_before_the_next_arrives(survey: Survey, finished: Any) -> None:
    top = finished.result("top")
    header = "COADD_OBJECT_ID,MAG_AUTO_G,MAG_AUTO_R,MAG_AUTO_I,SPREAD_MODEL_I"
    rows = [",".join(str(row[name]) for name in header.split(",")) for row in top[:2]]
    env = {**os.environ, "SURVEYLAB_JOBS_DIR": str(survey.settings.jobs_dir)}
    folder = str(survey.runner.store.job_dir(finished.id))
    process = subprocess.Popen(
        [SURVEYLAB, "anomaly", "score", "--model", folder],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    watchdog = threading.Timer(60, process.kill)  # a pipe that never answers fails, not hangs
    watchdog.start()
    try:
        process.stdin.write(f"{header}\n{rows[0]}\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == header + ",ANOMALY_SCORE"
        first = process.stdout.readline().strip()  # while the second row is not even written
        assert first.startswith(rows[0] + ",")
        process.stdin.write(rows[1] + "\n")
        process.stdin.close()
        second = process.stdout.readline().strip()
        assert second.startswith(rows[1] + ",")
        assert process.wait(30) == 0
    finally:
        watchdog.cancel()
        process.kill()
    scores = [float(line.rsplit(",", 1)[1]) for line in (first, second)]
    assert scores == pytest.approx(list(top["ANOMALY_SCORE"][:2]), abs=1e-6)

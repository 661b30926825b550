"""AnomalyExplorer on the demo survey: the histogram, its link to the gallery, the export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from surveylab import Settings, Survey
from surveylab_widgets import AnomalyExplorer, CutoutGallery
from surveylab_widgets.anomaly import BINS, histogram_svg

SAMPLE = (
    "SELECT COADD_OBJECT_ID, RA, DEC, HPIX_32, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, SPREAD_MODEL_I "
    "FROM DR1_MAIN WHERE RA BETWEEN 323.2 AND 323.6 AND DEC BETWEEN -1.0 AND -0.6"
)


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("explorer-jobs")
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs)) as opened:
        yield opened


@pytest.fixture(scope="module")
def job_id(survey: Survey) -> str:
    job = survey.anomalies(SAMPLE, top=5, trees=20)
    assert job.wait(120).phase.value == "COMPLETED"
    return job.id


def test_the_histogram_counts_every_row_and_ticks_the_top(survey: Survey, job_id: str) -> None:
    explorer = AnomalyExplorer.from_job(job_id, survey=survey)
    assert explorer.error is None
    assert explorer.scores is not None
    rows = len(explorer.scores)
    svg = explorer.histogram.value
    counts = [int(c.replace(",", "")) for c in re.findall(r": ([\d,]+)</title>", svg)]
    assert len(counts) == BINS and sum(counts) == rows
    assert svg.count("class='top'") == 5
    assert f"{rows:,} rows scored; the top 5 below" in explorer.status.value


def test_enlarging_a_cutout_marks_its_score(survey: Survey, job_id: str) -> None:
    explorer = AnomalyExplorer.from_job(job_id, survey=survey)
    gallery = explorer.gallery
    assert isinstance(gallery, CutoutGallery) and gallery.error is None
    assert "class='mark'" not in explorer.histogram.value
    first = next(i for i, p in enumerate(gallery.positions) if p["status"] == "ok")
    gallery.enlarge(first)
    top = survey.job(job_id).result("top")
    assert explorer.mark == pytest.approx(float(top["ANOMALY_SCORE"][first]))
    assert "class='mark'" in explorer.histogram.value


def test_the_threshold_selects_the_tail(survey: Survey, job_id: str) -> None:
    explorer = AnomalyExplorer.from_job(job_id, survey=survey)
    assert explorer.scores is not None
    scores = np.asarray(explorer.scores["ANOMALY_SCORE"])
    fifth = float(np.sort(scores)[-5])  # the slider starts at the top list's lowest score,
    assert abs(explorer.threshold.value - fifth) <= explorer.threshold.step  # to its step,
    assert len(explorer.selected) >= 5  # so the top list is selected (with rows within a step)
    explorer.threshold.value = float(np.median(scores))
    expected = int((scores >= explorer.threshold.value).sum())
    assert len(explorer.selected) == expected
    assert explorer.threshold_label.value == f"{expected:,} rows"
    assert "class='tail'" in explorer.histogram.value


def test_an_exported_explorer_shows_its_histogram_and_thumbnails(
    survey: Survey, job_id: str
) -> None:
    bundle = AnomalyExplorer.from_job(job_id, survey=survey)._repr_mimebundle_()
    html = bundle["text/html"]
    assert "<svg" in html and "surveylab-anomaly-histogram" in html
    assert "data:image/jpeg;base64," in html  # the gallery's page, inline


def test_a_job_of_another_type_is_a_message(survey: Survey) -> None:
    query = survey.submit("SELECT 1 AS ONE")
    query.wait(60)
    explorer = AnomalyExplorer.from_job(query.id, survey=survey)
    assert explorer.error == f"job {query.id} is a query job, not an anomaly job"
    assert "not an anomaly job" in explorer.status.value


def test_an_empty_histogram_is_still_svg() -> None:
    assert histogram_svg(np.array([np.nan])).startswith("<svg")
    assert histogram_svg(np.array([0.5, 0.5]), threshold=0.5).count("class='bar'") == BINS

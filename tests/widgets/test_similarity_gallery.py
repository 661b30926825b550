"""The answer of a similarity search in the notebook's CutoutGallery: the table of neighbours,
or the cutout job ``Survey.similar_cutouts`` starts."""

from __future__ import annotations

from pathlib import Path

from surveylab import Settings, Survey
from surveylab.jobs import Phase
from surveylab_widgets import CutoutGallery


def test_the_neighbours_open_in_the_notebook_gallery(
    similarity_release: Path, jobs_dir: Path
) -> None:
    with Survey(Settings(data_dir=similarity_release, jobs_dir=jobs_dir)) as survey:
        object_id = int(survey.similarity_index.ids[7])
        table = survey.similar(object_id, k=6)
        gallery = CutoutGallery(table, survey=survey, size=0.5)  # the table has RA and DEC
        assert gallery.wait(120) and gallery.error is None
        assert gallery.job is not None and gallery.job.phase is Phase.COMPLETED
        assert gallery.summary["counts"]["ok"] == 6 and len(gallery.grid.children) == 6

        job = survey.similar_cutouts(object_id, k=6)
        job.wait(120)
        from_job = CutoutGallery.from_job(job.id, survey=survey)
        assert from_job.error is None and "6 of 6 positions cut" in from_job.status.value
        assert [entry["id"] for entry in from_job.summary["positions"]] == list(
            table["COADD_OBJECT_ID"]
        )

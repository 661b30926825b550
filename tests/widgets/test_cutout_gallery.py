"""CutoutGallery on the demo survey: thumbnails, pages, enlarging, labels and bad input."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from astropy.table import Table
from PIL import Image

from surveylab import Settings, Survey
from surveylab.cutouts.labels import job_labels
from surveylab.jobs import Phase
from surveylab_widgets import CutoutGallery

M2 = (323.36, -0.82)
NEAR_M2 = (323.40, -0.70)
OUTSIDE = (10.0, 50.0)
JPEG = b"\xff\xd8"


@pytest.fixture
def survey(demo_data_dir: Path, jobs_dir: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs_dir)) as survey:
        yield survey


def thumbnails(gallery: CutoutGallery) -> list[bytes]:
    """The image bytes in the grid's cells, in order."""
    return [
        bytes(cell.children[0].value)
        for cell in gallery.grid.children
        if isinstance(cell.children[0], widgets.Image)
    ]


def test_a_finished_cutout_job_shows_one_cell_per_position(survey: Survey) -> None:
    job = survey.cutouts([M2, OUTSIDE, NEAR_M2], bands="gri", rgb="irg")
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey)
    assert gallery.error is None
    assert "2 of 3 positions cut" in gallery.status.value
    assert len(gallery.grid.children) == 3
    images = thumbnails(gallery)
    assert len(images) == 2 and all(data.startswith(JPEG) for data in images)  # the _irg.jpg
    failed = gallery.grid.children[1].children[0]
    assert isinstance(failed, widgets.HTML)
    assert "outside the footprint" in failed.value
    assert gallery.grid.children[1].children[1].disabled  # nothing to enlarge
    names = gallery.names
    assert names[1] is None and names[0] and names[2]
    paths = gallery.fits_paths
    assert set(paths) == {names[0], names[2]}
    assert set(paths[str(names[0])]) == {"g", "r", "i"}
    files = [path for by_band in paths.values() for path in by_band.values()]
    assert all(path.is_file() and path.suffix == ".fits" for path in files)


def test_from_a_table_it_submits_the_job(survey: Survey) -> None:
    table = Table({"ra": [M2[0], NEAR_M2[0]], "dec": [M2[1], NEAR_M2[1]], "mag": [18.0, 19.0]})
    gallery = CutoutGallery(table, survey=survey, size=0.5)
    assert gallery.error is None
    assert gallery.job is not None and gallery.job.phase is Phase.COMPLETED
    assert len(thumbnails(gallery)) == 2
    assert gallery.summary["request"]["xsize"] == 0.5


def test_labels_round_trip_to_the_job(survey: Survey) -> None:
    job = survey.cutouts([M2, OUTSIDE, NEAR_M2])
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey)
    first, _, third = gallery.names
    assert gallery.set_label(0, 3) == {first: 3}
    gallery.enlarge(2)  # click to enlarge, then a label button
    gallery.label_buttons.value = 7
    assert job_labels(survey.runner.store, job.id) == {first: 3, third: 7}
    assert gallery.labels == {first: 3, third: 7}
    assert "#1 · 3" in gallery.grid.children[0].children[1].description
    gallery.label_buttons.value = -1  # "none" removes it
    assert job_labels(survey.runner.store, job.id) == {first: 3}
    # a new gallery of the same job starts from the saved labels
    again = CutoutGallery.from_job(job.id, survey=survey)
    assert again.labels == {first: 3}
    again.enlarge(0)
    assert again.label_buttons.value == 3


@pytest.mark.parametrize(
    ("key", "label", "message"),
    [
        pytest.param(0, 12, "integer from 0 to 9", id="label-out-of-range"),
        pytest.param(1, 2, "was not cut", id="failed-position"),
        pytest.param("nobody", 2, "has no position 'nobody'", id="unknown-name"),
    ],
)
def test_a_bad_label_is_a_message(survey: Survey, key: Any, label: int, message: str) -> None:
    job = survey.cutouts([M2, OUTSIDE])
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey)
    gallery.set_label(0, 1)
    assert gallery.set_label(key, label) == {gallery.names[0]: 1}
    assert message in gallery.status.value.replace("&#x27;", "'")
    assert job_labels(survey.runner.store, job.id) == {gallery.names[0]: 1}


def test_the_enlarged_view_switches_bands(survey: Survey) -> None:
    job = survey.cutouts([M2, NEAR_M2], bands="gri", rgb="irg")
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey)
    assert gallery.viewer.layout.display == "none"
    gallery.grid.children[0].children[1].click()
    assert gallery.viewer.layout.display == "flex" and gallery.current == 0
    assert gallery.band.options == ("colour", "g", "r", "i")
    colour = bytes(gallery.enlarged.value)
    assert colour.startswith(b"\x89PNG")  # the full colour PNG, not the thumbnail
    gallery.band.value = "g"
    assert bytes(gallery.enlarged.value) != colour
    name = gallery.names[0]
    assert f"{name}_g.fits" in gallery.info.value  # the files' paths
    gallery._step(1)
    assert gallery.current == 1
    gallery.close_enlarged()
    assert gallery.viewer.layout.display == "none"


def test_large_jobs_are_shown_in_pages(survey: Survey) -> None:
    positions = [(M2[0] + 0.01 * i, M2[1]) for i in range(11)]
    gallery = CutoutGallery(positions, survey=survey, page_size=4)
    assert gallery.pages == 3
    assert len(gallery.grid.children) == 4
    assert gallery._thumbs.keys() == {0, 1, 2, 3}  # only the page on screen is read
    assert gallery.prev_page.disabled
    gallery.next_page.click()
    gallery.next_page.click()
    assert gallery.page == 2 and len(gallery.grid.children) == 3
    assert gallery.next_page.disabled
    assert gallery.page_label.value == "page 3 of 3"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(Table({"RA": [], "DEC": []}), "the table is empty", id="empty-table"),
        pytest.param(
            Table({"x": [1.0], "y": [2.0]}), "no RA and DEC columns (it has x, y)", id="no-ra-dec"
        ),
        pytest.param([], "the list is empty", id="empty-list"),
        pytest.param(None, "no positions given", id="nothing"),
        pytest.param([(10.0, 95.0)], "Dec", id="bad-position"),
        pytest.param([M2], "size", id="bad-size"),
    ],
)
def test_bad_input_shows_a_message(survey: Survey, source: Any, message: str) -> None:
    options = {"size": 99} if message == "size" else {}
    gallery = CutoutGallery(source, survey=survey, **options)
    assert gallery.error is not None and message in gallery.error
    assert message.split(" (")[0] in gallery.status.value
    assert gallery.grid.children == ()
    assert gallery.labels == {} and gallery.fits_paths == {}
    assert "text/html" in gallery._repr_mimebundle_()


def test_a_cancelled_job_shows_a_message(survey: Survey) -> None:
    store = survey.runner.store
    record = store.create("cutout", parameters={})
    store.update(record.id, phase=Phase.ABORTED, ended=store.now(), message="cancelled on request")
    gallery = CutoutGallery.from_job(record.id, survey=survey)
    assert gallery.error is not None
    assert "ABORTED without cutouts: cancelled on request" in gallery.error
    assert "cancelled on request" in gallery.status.value


def test_a_query_job_or_unknown_job_is_a_message(survey: Survey) -> None:
    job = survey.submit("SELECT RA FROM DR1_MAIN FETCH FIRST 1 ROWS ONLY")
    job.wait(60)
    assert "not a cutout job" in str(CutoutGallery.from_job(job.id, survey=survey).error)
    assert "000000000000" in str(CutoutGallery.from_job("000000000000", survey=survey).error)


def test_the_static_fallback_embeds_the_thumbnails(survey: Survey) -> None:
    job = survey.cutouts([M2, OUTSIDE, NEAR_M2], rgb="irg")
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey, thumbnail_px=64)
    bundle = gallery._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("data:image/jpeg;base64,") == 2
    assert "outside the footprint" in html
    with Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))) as sheet:
        assert sheet.size == (2 * 68, 68)  # a contact sheet of the two thumbnails
    # the image widgets carry the bytes, so an exported notebook's widget state has them
    state = gallery.grid.children[0].children[0].get_state()
    assert bytes(state["value"]).startswith(JPEG)


def test_a_job_where_every_position_failed_shows_why(survey: Survey) -> None:
    gallery = CutoutGallery([OUTSIDE], survey=survey)
    assert gallery.job is not None and gallery.job.phase is Phase.ERROR
    assert gallery.error is not None and "the job failed" in gallery.error
    (cell,) = gallery.grid.children
    assert "outside the footprint" in cell.children[0].value

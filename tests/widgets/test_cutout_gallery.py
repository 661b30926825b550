"""CutoutGallery on the demo survey: progress, thumbnails, pages, enlarging, labels and keys,
bad input."""

from __future__ import annotations

import base64
import io
import time
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
    assert gallery.wait(60)
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
    assert gallery.wait(60)
    assert gallery.pages == 3
    assert len(gallery.grid.children) == 4
    assert gallery._thumbs.keys() == {0, 1, 2, 3}  # only the page on screen is read
    assert gallery.prev_page.disabled
    first_image = gallery.grid.children[0].children[0]
    gallery.next_page.click()
    assert first_image.comm is None  # the page left is closed: no stale models in the state
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
    assert gallery.wait(60)
    assert gallery.job is not None and gallery.job.phase is Phase.ERROR
    assert gallery.error is not None and "the job failed" in gallery.error
    (cell,) = gallery.grid.children
    assert "outside the footprint" in cell.children[0].value


# --- a running job: progress, wait(), cancel, close ---------------------------------------------


def spread_positions(count: int) -> list[tuple[float, float]]:
    """``count`` positions over the imaged block around M2, on several tiles."""
    return [
        (323.0 + 1.1 * (i % 7) / 7, -1.0 + 0.6 * (i // 7) / max(1, count // 7))
        for i in range(count)
    ]


def test_the_gallery_shows_progress_and_returns_before_the_job_ends(survey: Survey) -> None:
    count = 14
    seen: list[int] = []
    gallery = CutoutGallery(spread_positions(count), survey=survey, size=3.0, bands="gri")
    assert not gallery.loaded  # the constructor did not wait for the job
    assert gallery.grid.children == () and gallery.progress_row.layout.display == "flex"
    assert gallery.progress.max == count
    gallery.progress.observe(lambda change: seen.append(change["new"]), names="value")
    assert gallery.wait(120)
    assert gallery.error is None and gallery.job is not None
    assert gallery.job.phase is Phase.COMPLETED
    assert gallery.progress.value == gallery.progress.max == count  # the bar went to the total
    assert seen and seen[-1] == count and seen == sorted(seen)
    assert gallery.progress_label.value == f"{count} of {count} positions"
    assert gallery.progress_row.layout.display == "none"
    assert len(thumbnails(gallery)) == count
    assert f"{count} of {count} positions cut" in gallery.status.value


def test_a_job_cancelled_while_shown_is_a_message(survey: Survey) -> None:
    count = 600  # 12' cutouts in 3 bands and colour: seconds of work
    positions = spread_positions(count)
    gallery = CutoutGallery(positions, survey=survey, size=12.0, bands="gri", rgb="irg")
    deadline = time.monotonic() + 60
    while gallery.progress.value == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not gallery.wait(0.01)  # still running
    assert 0 < gallery.progress.value < count
    gallery.cancel_button.click()
    assert gallery.wait(60)
    assert gallery.job is not None and gallery.job.phase is Phase.ABORTED
    assert gallery.error is not None and "the job was cancelled" in gallery.error
    assert "the job was cancelled" in gallery.status.value
    assert 0 < gallery.summary["counts"]["ok"] < count  # the cutouts made before the cancel
    assert gallery.pages == count // 24 and len(gallery.grid.children) == 24


def test_close_stops_following_the_job(survey: Survey) -> None:
    gallery = CutoutGallery(spread_positions(28), survey=survey, size=3.0, bands="gri")
    poller = gallery._poller
    assert poller is not None and poller.is_alive()
    gallery.close()
    assert not poller.is_alive()
    assert gallery.wait(0)  # nothing more is coming
    assert gallery.job is not None
    gallery.job.wait(120)  # the job itself goes on


# --- keys ---------------------------------------------------------------------------------------


def press(gallery: CutoutGallery, key: str) -> None:
    """A key press as the front end sends it: a custom message to the key listener."""
    gallery.key_listener._handle_custom_msg({"type": "key", "key": key}, [])


def test_keys_label_clear_and_step_in_the_enlarged_view(survey: Survey) -> None:
    job = survey.cutouts([M2, OUTSIDE, NEAR_M2])
    job.wait(60)
    gallery = CutoutGallery.from_job(job.id, survey=survey)
    first, _, third = gallery.names
    press(gallery, "3")  # nothing is enlarged: the key is not taken
    assert gallery.labels == {} and not gallery.key_listener.active
    cells = gallery.grid.children
    gallery.enlarge(0)
    assert gallery.key_listener.active
    press(gallery, "3")
    assert gallery.labels == {first: 3} == job_labels(survey.runner.store, job.id)
    assert gallery.label_buttons.value == 3
    assert gallery.grid.children == cells  # the page is not redrawn: only the button's text
    assert cells[0].children[1].description == "#1 · 3"
    press(gallery, "ArrowRight")  # the failed position is skipped
    assert gallery.current == 2
    press(gallery, "7")
    press(gallery, "ArrowLeft")
    assert gallery.current == 0
    press(gallery, "Backspace")
    assert gallery.labels == {third: 7}
    press(gallery, "x")  # not one of the keys
    press(gallery, "ArrowLeft")  # round to the last one
    assert gallery.current == 2
    press(gallery, "Delete")
    assert gallery.labels == {} and gallery.label_buttons.value == -1
    gallery.close_enlarged()
    press(gallery, "5")
    assert gallery.labels == {} and not gallery.key_listener.active

"""Finding charts on the demo survey: the compass, scale bar and target marker where the WCS
says, the targets resolved from ids, names, positions and rows, PNG and multi-page PDF, and
clear refusals."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.wcs import WCS
from matplotlib.lines import Line2D
from PIL import Image

from surveylab import Settings, Survey
from surveylab.errors import (
    CutoutError,
    CutoutSizeError,
    ObjectNotFoundError,
    PositionError,
    TileNotFoundError,
    UnknownBandError,
)
from surveylab.finding_chart import (
    ChartOptions,
    FindingChart,
    chart_bytes,
    chart_options,
    compass,
    draw_chart,
    make_charts,
    resolve_target,
    scale_bar_length,
    scale_bar_pixels,
)
from surveylab.limits import FINDING_CHART_POSITIONS_MAX, FINDING_CHART_TARGETS_MAX
from tests.support.pdf import pdf_page_count

#: The centre of M2's tile, and a position far from the demo footprint.
M2 = (323.36, -0.82)
OUTSIDE = (10.0, 60.0)


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("chart-jobs")
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs)) as opened:
        yield opened


@pytest.fixture(scope="module")
def bright(survey: Survey) -> dict[str, Any]:
    """A bright object near M2, with its magnitudes."""
    row: dict[str, Any] = survey.query_arrow(
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I FROM DR1_MAIN "
        "WHERE RA BETWEEN 323.3 AND 323.4 AND DEC BETWEEN -0.9 AND -0.7 ORDER BY MAG_AUTO_I",
        limit=1,
    ).to_pylist()[0]
    return row


def tan_wcs(rotation_deg: float = 0.0, flip: bool = False, scale: float = 0.263) -> WCS:
    """A gnomonic WCS near M2 with the given rotation (and east to the right if ``flip``)."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(M2)
    wcs.wcs.crpix = [50.0, 50.0]
    wcs.wcs.cdelt = [(1 if flip else -1) * scale / 3600.0, scale / 3600.0]
    angle = math.radians(rotation_deg)
    wcs.wcs.pc = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    return wcs


def expected_directions(wcs: WCS) -> tuple[np.ndarray, np.ndarray]:
    """North and east in pixels at the reference point, from the linear part of the WCS: the
    pixel step d with CD @ d along +Dec (north) or +RA (east) of the projection plane."""
    inverse = np.linalg.inv(wcs.wcs.get_pc() * wcs.wcs.get_cdelt()[:, None])
    north, east = inverse @ [0.0, 1.0], inverse @ [1.0, 0.0]
    return north / np.linalg.norm(north), east / np.linalg.norm(east)


# --- geometry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rotation", "flip"),
    [(0.0, False), (30.0, False), (90.0, False), (-135.0, False), (200.0, False), (45.0, True)],
    ids=["north-up", "rotated-30", "rotated-90", "rotated-minus-135", "rotated-200", "flipped-45"],
)
def test_compass_points_where_the_wcs_says(rotation: float, flip: bool) -> None:
    wcs = tan_wcs(rotation, flip)
    arrows = compass(wcs, 49.0, 49.0)  # 0-based: the reference pixel
    north, east = expected_directions(wcs)
    np.testing.assert_allclose(arrows.north, north, atol=1e-6)
    np.testing.assert_allclose(arrows.east, east, atol=1e-6)
    # east is 90 degrees from north: counter-clockwise on the sky as seen, clockwise if flipped
    cross = arrows.north[0] * arrows.east[1] - arrows.north[1] * arrows.east[0]
    assert cross == pytest.approx(-1.0 if flip else 1.0, abs=1e-6)


def test_compass_of_an_unrotated_image_points_up_and_left() -> None:
    arrows = compass(tan_wcs(), 10.0, 80.0)
    np.testing.assert_allclose(arrows.north, (0.0, 1.0), atol=1e-4)
    np.testing.assert_allclose(arrows.east, (-1.0, 0.0), atol=1e-4)


@pytest.mark.parametrize(
    ("scale", "arcsec", "pixels"),
    [(0.263, 30.0, 30.0 / 0.263), (0.25, 10.0, 40.0), (4.0, 60.0, 15.0)],
    ids=["des-pixels", "quarter-arcsec", "demo-pixels"],
)
def test_scale_bar_length_is_the_arcsec_over_the_pixel_scale(
    scale: float, arcsec: float, pixels: float
) -> None:
    assert scale_bar_pixels(tan_wcs(33.0, scale=scale), arcsec) == pytest.approx(pixels)


@pytest.mark.parametrize(
    ("side", "arcsec", "label"),
    [
        (0.1, 2.0, '2"'),
        (1.0, 20.0, '20"'),
        (2.0, 30.0, '30"'),
        (6.0, 120.0, "2'"),
        (12.0, 180.0, "3'"),
    ],
)
def test_scale_bar_is_a_round_length_at_most_a_third_of_the_side(
    side: float, arcsec: float, label: str
) -> None:
    assert scale_bar_length(side) == (arcsec, label)
    assert arcsec <= side * 60.0 / 3.0


# --- targets -------------------------------------------------------------------------------------


def test_an_object_id_is_resolved_with_its_magnitudes(
    survey: Survey, bright: dict[str, Any]
) -> None:
    target = resolve_target(survey, bright["COADD_OBJECT_ID"], ("g", "r", "i"))
    assert (target.ra, target.dec) == (bright["RA"], bright["DEC"])
    assert target.object_id == bright["COADD_OBJECT_ID"]
    assert target.magnitudes == {b: bright[f"MAG_AUTO_{b.upper()}"] for b in "gri"}
    assert resolve_target(survey, str(bright["COADD_OBJECT_ID"])).object_id == target.object_id


@pytest.mark.parametrize(
    ("given", "ra", "dec", "name"),
    [
        ("DESJ213326.40-004912.0", 323.36, -0.82, "DESJ213326.40-004912.0"),
        ("323.36 -0.82", 323.36, -0.82, "DESJ213326.40-004912.0"),
        ("21:33:26.4 -0:49:12", 323.36, -0.82, "DESJ213326.40-004912.0"),
        ((323.36, -0.82), 323.36, -0.82, "DESJ213326.40-004912.0"),
        (SkyCoord(323.36, -0.82, unit="deg"), 323.36, -0.82, "DESJ213326.40-004912.0"),
        ({"ra": 323.36, "Dec": -0.82}, 323.36, -0.82, "DESJ213326.40-004912.0"),
        ({"RA": 323.36, "DEC": -0.82, "COADD_OBJECT_ID": 7}, 323.36, -0.82, "COADD_OBJECT_ID 7"),
    ],
    ids=["des-name", "degrees-text", "sexagesimal", "pair", "skycoord", "row", "row-with-id"],
)
def test_names_positions_and_rows_are_resolved(
    survey: Survey, given: Any, ra: float, dec: float, name: str
) -> None:
    target = resolve_target(survey, given)
    assert target.ra == pytest.approx(ra, abs=1e-9)
    assert target.dec == pytest.approx(dec, abs=1e-9)
    assert target.name == name


def test_a_tile_name_is_its_centre(survey: Survey) -> None:
    tile = survey.tile("DES2134-0041")
    target = resolve_target(survey, "des2134-0041")
    assert (target.ra, target.dec, target.name) == (tile.ra, tile.dec, "tile DES2134-0041")


def test_a_row_brings_its_magnitudes() -> None:
    row = {"RA": 1.0, "DEC": 2.0, "MAG_AUTO_I": 18.5, "MAG_AUTO_G": 99.0}
    target = resolve_target(None, row, ("g", "i"))  # type: ignore[arg-type]  # a row needs no survey
    assert target.magnitudes == {"i": 18.5}  # 99 means not measured


@pytest.mark.parametrize(
    ("given", "error", "words"),
    [
        (1, ObjectNotFoundError, "COADD_OBJECT_ID 1 is not in DR1_MAIN"),
        ("DES9999+9999", TileNotFoundError, "target: "),
        ("somewhere", PositionError, "'somewhere' is not an object id, a DES name"),
        ({"RA": 1.0}, PositionError, "a row needs RA and DEC columns"),
        ((323.0, 95.0), PositionError, "Dec 95 is outside -90..+90"),
        (True, PositionError, "True is not an object id"),
    ],
    ids=["unknown-id", "unknown-tile", "not-a-position", "row-without-dec", "bad-dec", "bool"],
)
def test_bad_targets_are_refused_clearly(
    survey: Survey, given: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace("+", r"\+")):
        resolve_target(survey, given)


# --- charts --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chart(survey: Survey, bright: dict[str, Any]) -> FindingChart:
    options = chart_options(["g", "r", "i"], size=2.0, band="i", catalog=True, positions=[M2])
    [made] = make_charts(survey, [bright["COADD_OBJECT_ID"]], options)
    return made


def artist(figure: Any, gid: str) -> Any:
    [found] = [a for ax in figure.axes for a in ax.get_children() if a.get_gid() == gid]
    return found


def test_the_target_is_marked_at_the_pixel_of_its_position(
    chart: FindingChart, bright: dict[str, Any]
) -> None:
    figure = draw_chart(chart)
    wcs = WCS(chart.images[0].header)
    x, y = wcs.world_to_pixel(SkyCoord(bright["RA"], bright["DEC"], unit="deg"))
    centre: Line2D = artist(figure, "target-centre")
    np.testing.assert_allclose(np.asarray(centre.get_xydata())[0], (x, y), atol=1e-6)
    cross = artist(figure, "target").get_xydata()
    np.testing.assert_allclose(np.nanmean(cross, axis=0), (x, y), atol=1e-6)  # symmetric arms
    rows, columns = chart.images[0].data.shape
    assert abs(x - (columns - 1) / 2.0) <= 1.0 and abs(y - (rows - 1) / 2.0) <= 1.0


def test_the_drawn_scale_bar_and_compass_follow_the_cutout_wcs(chart: FindingChart) -> None:
    figure = draw_chart(chart)
    wcs = WCS(chart.images[0].header)
    pixel_scale = float(np.mean(np.abs(wcs.wcs.get_cdelt() * np.diag(wcs.wcs.get_pc())))) * 3600.0
    bar = artist(figure, "scale-bar").get_xydata()
    arcsec, _label = scale_bar_length(chart.options.size)
    assert bar[1, 0] - bar[0, 0] == pytest.approx(arcsec / pixel_scale, rel=1e-6)
    for name in ("north", "east"):
        (x0, y0), (x1, y1) = artist(figure, f"compass-{name}").get_xydata()
        direction = np.array([x1 - x0, y1 - y0]) / math.hypot(x1 - x0, y1 - y0)
        expected = getattr(compass(wcs, x0, y0), name)
        np.testing.assert_allclose(direction, expected, atol=1e-9)
    north = compass(wcs, 10.0, 10.0).north
    np.testing.assert_allclose(north, (0.0, 1.0), atol=1e-3)  # the demo's images: north is up


def test_the_catalog_overlay_holds_the_fields_objects_down_to_the_limit(
    survey: Survey, bright: dict[str, Any]
) -> None:
    options = chart_options(["g", "r", "i"], size=2.0, band="r", mag_limit=21.0)
    [made] = make_charts(survey, [(bright["RA"], bright["DEC"])], options)
    everything = survey.query_arrow(
        "SELECT RA, DEC, MAG_AUTO_R FROM DR1_MAIN WHERE DEC BETWEEN -1.0 AND -0.6"
    ).to_pydict()
    centre = SkyCoord(bright["RA"], bright["DEC"], unit="deg")
    near = centre.separation(SkyCoord(everything["RA"], everything["DEC"], unit="deg"))
    expected = sorted(
        (ra, dec)
        for ra, dec, mag, separation in zip(
            everything["RA"], everything["DEC"], everything["MAG_AUTO_R"], near, strict=True
        )
        if mag < 21.0 and separation <= 2.0 / math.sqrt(2.0) * u.arcmin  # half the diagonal
    )
    assert expected  # the field near M2 has bright objects
    assert sorted((ra, dec) for ra, dec, _mag in made.objects) == expected
    offsets = artist(draw_chart(made), "catalog").get_offsets()
    assert len(offsets) == len(expected)


def test_a_png_chart_opens_and_a_pdf_has_a_page_per_target(
    survey: Survey, bright: dict[str, Any]
) -> None:
    png, media = chart_bytes(survey, [bright["COADD_OBJECT_ID"]], band="irg")
    assert media == "image/png"
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (640, 740)
    targets = [bright["COADD_OBJECT_ID"], "DES2134-0041", "323.40 -0.80"]
    pdf = survey.finding_charts(targets, size=1.0)
    assert pdf.startswith(b"%PDF")

    assert pdf_page_count(pdf) == len(targets)


def test_the_title_block_names_the_object(chart: FindingChart, bright: dict[str, Any]) -> None:
    title = draw_chart(chart).get_suptitle()
    assert f"COADD_OBJECT_ID {bright['COADD_OBJECT_ID']}" in title
    assert "tile DES2134-0041" in title
    assert f"{bright['RA']:.6f} {bright['DEC']:+.6f}" in title
    assert (
        SkyCoord(bright["RA"], bright["DEC"], unit="deg").to_string("hmsdms", sep=":", precision=2)
        in title
    )
    assert f"i {bright['MAG_AUTO_I']:.2f}" in title


def test_a_position_outside_the_footprint_is_refused_naming_it(survey: Survey) -> None:
    with pytest.raises(PositionError) as caught:
        survey.finding_chart(OUTSIDE)
    message = str(caught.value)
    assert "RA 10.000000, Dec 60.000000" in message and "outside the survey's footprint" in message
    with pytest.raises(PositionError, match=r"target 2 DESJ004000\.00"):
        survey.finding_charts([M2, OUTSIDE])


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"size": 30}, CutoutSizeError, "size must be from 0.1 to 12 arcmin, not 30"),
        ({"size": "big"}, CutoutSizeError, "size"),
        ({"band": "q"}, UnknownBandError, "unknown band 'q'"),
        ({"band": "gr"}, CutoutError, "give one band, or three"),
        ({"marker": "star"}, CutoutError, "marker must be 'cross' or 'circle'"),
        ({"mag_limit": "faint"}, CutoutError, "mag_limit must be a number"),
        ({"positions": [(1.0, 100.0)]}, PositionError, "positions: position 1: Dec 100 is outside"),
        (
            {"positions": [(1.0, 2.0)] * (FINDING_CHART_POSITIONS_MAX + 1)},
            CutoutError,
            f"a chart marks at most {FINDING_CHART_POSITIONS_MAX}",
        ),
    ],
    ids=[
        "size-too-big",
        "size-not-a-number",
        "unknown-band",
        "two-bands",
        "marker",
        "mag-limit",
        "bad-position",
        "too-many-positions",
    ],
)
def test_bad_options_are_refused_clearly(
    survey: Survey, options: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        survey.finding_chart(M2, **options)


def test_too_many_targets_and_a_png_of_several_are_refused(survey: Survey) -> None:
    with pytest.raises(CutoutError, match=f"at most {FINDING_CHART_TARGETS_MAX}"):
        survey.finding_charts([M2] * (FINDING_CHART_TARGETS_MAX + 1))
    with pytest.raises(CutoutError, match="a PNG holds one chart"):
        chart_bytes(survey, [M2, M2], format="png")
    with pytest.raises(CutoutError, match="format must be 'png' or 'pdf'"):
        survey.finding_chart(M2, format="gif")
    with pytest.raises(CutoutError, match="no target"):
        survey.finding_charts([])


def test_options_default_to_one_band_and_a_cross() -> None:
    assert chart_options(["g", "r", "i"]) == ChartOptions()


def test_rows_of_a_query_result_are_targets(survey: Survey, bright: dict[str, Any]) -> None:
    rows = survey.query(
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_I, MAG_AUTO_R FROM DR1_MAIN "
        f"WHERE COADD_OBJECT_ID = {bright['COADD_OBJECT_ID']}"
    )
    target = resolve_target(survey, rows[0], ("i", "r", "g"))
    assert target.object_id == bright["COADD_OBJECT_ID"]
    assert (target.ra, target.dec) == (bright["RA"], bright["DEC"])
    assert target.magnitudes == {"i": bright["MAG_AUTO_I"], "r": bright["MAG_AUTO_R"]}
    assert pdf_page_count(survey.finding_charts(rows, size=0.5)) == 1

"""SODA, SIA 2 and DataLink on the demo survey: the answers parsed back with astropy and pyvo,
the cutouts' pixels and WCS checked against the tile images."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.io.votable import parse
from astropy.io.votable.tree import VOTableFile
from astropy.wcs import WCS
from pyvo.dal.adhoc import DatalinkResults, SodaQuery  # type: ignore[import-untyped]  # no type hints
from pyvo.dal.exceptions import DALOverflowWarning  # type: ignore[import-untyped]  # no type hints
from pyvo.dal.sia2 import SIA2Query, SIA2Results  # type: ignore[import-untyped]  # no type hints
from scipy.ndimage import map_coordinates

from surveylab import Settings, Survey
from surveylab.bands import PASSBANDS
from surveylab.errors import (
    CutoutSizeError,
    ImageNotFoundError,
    PositionError,
    RequestError,
    SurveylabError,
    TileNotFoundError,
)
from surveylab.jobs import Phase
from surveylab.limits import CUTOUT_SIZE_MAX
from surveylab.vo.datalink import DATALINK_TYPE, SODA_STANDARD_ID, datalink_links
from surveylab.vo.protocol import Params, VORequest, VOResponse, error_response
from surveylab.vo.sia import MAX_POLYGON_REACH, sia_file, sia_query, tiles_in_region
from surveylab.vo.soda import (
    FITS_TYPE,
    Circle,
    Polygon,
    Range,
    dataset_id,
    parse_interval,
    parse_shape,
    soda_job_parameters,
    soda_submit,
    soda_sync,
)

BASE_URL = "http://lab.example/user/alice/surveylab"
M2_TILE = "DES2134-0041"
#: East of it, across the RA edge of M2's tile's image (RA 323.913): a stitched cutout.
EDGE = (323.90, -0.70)
BANDS = ("g", "r", "i")
#: The tiles east of M2's tile and of the one north of it.
EAST = ("DES2137-0041", "DES2137+0001")


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("vo-soda-jobs")
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs, max_active_jobs=20)) as opened:
        yield opened


def vo_request(path: str, method: str = "GET", **params: str | list[str]) -> VORequest:
    """A request to the VO service with these parameters (lists repeat a parameter)."""
    values = {name: value if isinstance(value, list) else [value] for name, value in params.items()}
    return VORequest(method, path, Params(values), BASE_URL)


def from_pyvo(path: str, query: dict[str, Any]) -> VORequest:
    """The request a pyvo query object would send (its parameters, as strings)."""
    values = {
        name: [str(item) for item in (value if isinstance(value, list | set) else [value])]
        for name, value in query.items()
    }
    return VORequest("GET", path, Params(values), BASE_URL)


def body(response: VOResponse) -> bytes:
    return response.body if isinstance(response.body, bytes) else b"".join(response.body)


def fits_of(response: VOResponse) -> fits.HDUList:
    assert response.status == 200
    assert response.content_type == FITS_TYPE
    data = body(response)
    assert int(response.headers["Content-Length"]) == len(data)
    return fits.open(io.BytesIO(data))


def votable_of(response: VOResponse) -> VOTableFile:
    """The answer parsed strictly: any VOTable warning fails the test."""
    assert response.status == 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parse(io.BytesIO(body(response)), verify="exception")


def images(hdul: fits.HDUList) -> dict[str, fits.ImageHDU]:
    """The image HDUs of a SODA answer by band (EXTNAME)."""
    return {hdu.header["EXTNAME"]: hdu for hdu in hdul if hdu.data is not None}


def tile_pixels(survey: Survey, tile: str, band: str) -> tuple[np.ndarray, WCS]:
    with fits.open(survey.tile_image(tile, band)) as hdul:
        hdu = next(hdu for hdu in hdul if hdu.data is not None)
        return np.asarray(hdu.data, dtype=np.float64), WCS(hdu.header)


def refusal(error: SurveylabError) -> tuple[int, str]:
    """The status of the DALI error document an adapter writes for ``error``, and its message."""
    response = error_response(error)
    table = parse(io.BytesIO(body(response)))
    status = next(info for info in table.resources[0].infos if info.name == "QUERY_STATUS")
    assert status.value == "ERROR"
    return response.status, str(status.content)


# --- DALI values ---------------------------------------------------------------------------------

GOOD_SHAPES = [
    ("circle", "CIRCLE 323.36 -0.82 0.05", Circle(323.36, -0.82, 0.05)),
    ("circle-negative-ra-wraps", "circle -0.5 0.1 0.01", Circle(359.5, 0.1, 0.01)),
    ("stc-s-frame", "CIRCLE ICRS 10 1 0.5", Circle(10.0, 1.0, 0.5)),
    ("range", "RANGE 323.3 323.4 -0.9 -0.8", Range(323.3, 0.1, -0.9, -0.8)),
    ("range-across-ra0", "RANGE 359.9 0.1 -0.1 0.1", Range(359.9, 0.2, -0.1, 0.1)),
    ("range-negative-ra", "RANGE -0.1 0.1 -0.1 0.1", Range(359.9, 0.2, -0.1, 0.1)),
    ("range-open", "RANGE -Inf +Inf -Inf 0", Range(0.0, 360.0, -90.0, 0.0)),
    (
        "polygon",
        "POLYGON 323.3 -0.9 323.4 -0.9 323.35 -0.8",
        Polygon(((323.3, -0.9), (323.4, -0.9), (323.35, -0.8))),
    ),
]


@pytest.mark.parametrize(
    ("text", "shape"), [case[1:] for case in GOOD_SHAPES], ids=[case[0] for case in GOOD_SHAPES]
)
def test_dali_shapes_parse(text: str, shape: Any) -> None:
    parsed = parse_shape(text)
    assert type(parsed) is type(shape)
    for name, value in vars(shape).items():
        np.testing.assert_allclose(getattr(parsed, name), value, atol=1e-12, err_msg=name)


BAD_SHAPES = [
    ("no-shape", "323.36 -0.82 0.05", "expected a shape"),
    ("circle-too-few", "CIRCLE 1 2", "a circle is 'ra dec radius'"),
    ("not-a-number", "CIRCLE 1 two 3", "'two' is not a number"),
    ("dec-out-of-range", "CIRCLE 10 95 0.1", "Dec 95 is outside"),
    ("zero-radius", "CIRCLE 10 0 0", "radius must be above 0"),
    ("nan", "CIRCLE nan 0 1", "must be a finite number"),
    ("polygon-two-vertices", "POLYGON 1 1 2 2", "at least 3 vertices"),
    ("polygon-odd", "POLYGON 1 1 2 2 3", "at least 3 vertices"),
    ("range-dec-reversed", "RANGE 1 2 3 -3", "Dec 3 exceeds -3"),
]


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in BAD_SHAPES], ids=[case[0] for case in BAD_SHAPES]
)
def test_bad_dali_shapes_are_refused_naming_the_parameter(text: str, message: str) -> None:
    with pytest.raises((RequestError, PositionError), match=r"^POS ") as caught:
        parse_shape(text)
    assert message in str(caught.value)
    assert refusal(caught.value)[0] == 400


def test_dali_intervals() -> None:
    assert parse_interval("4.0e-7 5.5e-7") == (4.0e-7, 5.5e-7)
    assert parse_interval("6e-7") == (6e-7, 6e-7)
    assert parse_interval("-Inf +Inf") == (-math.inf, math.inf)
    for text, message in [("5e-7 4e-7", "exceeds"), ("1 2 3", "two numbers"), ("g", "'g'")]:
        with pytest.raises(RequestError, match=f"^BAND .*{message}"):
            parse_interval(text)


def test_the_band_wavelengths_lie_in_their_passbands() -> None:
    bands = list(PASSBANDS.values())
    assert [band.name for band in bands] == ["g", "r", "i", "z", "Y"]
    for band in bands:
        assert band.minimum < band.effective < band.maximum
    effective = [band.effective for band in bands]
    assert effective == sorted(effective)


# --- SODA sync -----------------------------------------------------------------------------------


def test_sync_cutout_across_a_tile_edge_has_the_right_wcs_and_pixels(survey: Survey) -> None:
    ra, dec = EDGE
    response = soda_sync(survey, vo_request("soda/sync", POS=f"CIRCLE {ra} {dec} 0.05"))
    with fits_of(response) as hdul:
        assert hdul[0].data is None  # several bands: an empty primary HDU
        found = images(hdul)
        assert list(found) == list(BANDS)
        for band, hdu in found.items():
            header = hdu.header
            assert header["STITCHED"] is True
            assert header["TILES"].split(",") == [M2_TILE, "DES2137-0041"]
            wcs = WCS(header)
            rows, columns = hdu.data.shape
            x, y = wcs.world_to_pixel(SkyCoord(ra, dec, unit="deg"))
            assert abs(x - (columns - 1) / 2) <= 0.5 and abs(y - (rows - 1) / 2) <= 0.5
            # the whole circle is inside: 0.05 deg at 4" pixels is 45 pixels each way
            assert min(rows, columns) >= 2 * 45 + 1
            _check_pixels_against_tiles(survey, band, hdu.data, wcs)


def _check_pixels_against_tiles(survey: Survey, band: str, data: np.ndarray, wcs: WCS) -> None:
    """Pixels inside M2's tile image are its pixels; the others, its eastern neighbour's at the
    same sky position (interpolated between its pixel centres)."""
    owner, owner_wcs = tile_pixels(survey, M2_TILE, band)
    neighbour, neighbour_wcs = tile_pixels(survey, "DES2137-0041", band)
    rows, columns = np.mgrid[0 : data.shape[0], 0 : data.shape[1]]
    sky = wcs.pixel_to_world(columns.ravel(), rows.ravel())
    x, y = owner_wcs.world_to_pixel(sky)
    inside = (x >= -0.5) & (x < owner.shape[1] - 0.5) & (y >= -0.5) & (y < owner.shape[0] - 0.5)
    assert 0 < inside.sum() < inside.size  # both tiles give pixels
    values = data.ravel()
    np.testing.assert_array_equal(
        values[inside], owner[np.rint(y[inside]).astype(int), np.rint(x[inside]).astype(int)]
    )
    u, v = neighbour_wcs.world_to_pixel(sky[~inside])
    expected = map_coordinates(neighbour, [v, u], order=1, mode="nearest")
    np.testing.assert_allclose(values[~inside], expected, rtol=1e-5, atol=1e-3)


BAND_CASES = [
    ("blue", "4.0e-7 5.5e-7", ["g"]),
    ("red-and-near-ir", "5.5e-7 9e-7", ["r", "i"]),
    ("open", "-Inf +Inf", list(BANDS)),
    ("one-value-in-a-passband", "6e-7", ["r"]),
    ("two-intervals", ["4e-7 5e-7", "7.5e-7 8e-7"], ["g", "i"]),
]


@pytest.mark.parametrize(
    ("band", "expected"), [case[1:] for case in BAND_CASES], ids=[case[0] for case in BAND_CASES]
)
def test_sync_band_selects_bands_by_effective_wavelength(
    survey: Survey, band: str | list[str], expected: list[str]
) -> None:
    response = soda_sync(survey, vo_request("soda/sync", CIRCLE="323.36 -0.82 0.01", BAND=band))
    with fits_of(response) as hdul:
        assert list(images(hdul)) == expected
        if len(expected) == 1:  # one band: the image is the primary HDU
            assert len(hdul) == 1 and hdul[0].header["EXTNAME"] == expected[0]


def _region_corners(shape: Any) -> list[tuple[float, float]]:
    if isinstance(shape, Polygon):
        return list(shape.vertices)
    ra_east = shape.ra_min + shape.ra_width
    return [(ra, dec) for ra in (shape.ra_min, ra_east) for dec in (shape.dec_min, shape.dec_max)]


REGIONS = [
    ("range", {"POS": "RANGE 323.30 323.42 -0.90 -0.80"}),
    ("polygon-in-pos", {"POS": "POLYGON 323.30 -0.90 323.40 -0.92 323.35 -0.78"}),
    ("polygon-parameter", {"POLYGON": "323.30 -0.90 323.40 -0.92 323.35 -0.78"}),
]


@pytest.mark.parametrize("params", [case[1] for case in REGIONS], ids=[case[0] for case in REGIONS])
def test_sync_range_and_polygon_cutouts_hold_the_region(
    survey: Survey, params: dict[str, str]
) -> None:
    ((name, text),) = params.items()
    shape = parse_shape(text, name, None if name == "POS" else name)
    response = soda_sync(survey, vo_request("soda/sync", BAND="7e-7 8e-7", **params))
    with fits_of(response) as hdul:
        hdu = hdul[0]
        assert hdu.header["EXTNAME"] == "i"
        wcs = WCS(hdu.header)
        rows, columns = hdu.data.shape
        ra, dec = np.array(_region_corners(shape)).T
        x, y = wcs.world_to_pixel(SkyCoord(ra, dec, unit="deg"))
        assert np.all((x >= -0.5) & (x <= columns - 0.5) & (y >= -0.5) & (y <= rows - 0.5))
        # and hardly larger: the box is centred, so it reaches the farthest corner plus a pixel
        centre_x, centre_y = wcs.world_to_pixel(SkyCoord(*shape.centre, unit="deg"))
        assert columns <= 2 * np.abs(x - centre_x).max() + 4
        assert rows <= 2 * np.abs(y - centre_y).max() + 4
        owner, _wcs = tile_pixels(survey, M2_TILE, "i")  # wholly inside: an exact slice
        x0, y0 = hdu.header["CUT_X0"] - 1, hdu.header["CUT_Y0"] - 1
        np.testing.assert_array_equal(hdu.data, owner[y0 : y0 + rows, x0 : x0 + columns])


@pytest.mark.parametrize("form", ["did", "short"])
def test_sync_with_an_id_cuts_that_image_clipped_to_it(survey: Survey, form: str) -> None:
    did = dataset_id(survey.release, M2_TILE, "r")
    ident = did if form == "did" else f"{M2_TILE.lower()}/R"
    ra, dec = EDGE
    response = soda_sync(survey, vo_request("soda/sync", ID=ident, POS=f"CIRCLE {ra} {dec} 0.05"))
    with fits_of(response) as hdul:
        hdu = hdul[0]
        assert len(hdul) == 1 and hdu.header["EXTNAME"] == "r"
        assert hdu.header["TILENAME"] == M2_TILE and hdu.header["STITCHED"] is False
        owner, owner_wcs = tile_pixels(survey, M2_TILE, "r")
        rows, columns = hdu.data.shape
        assert columns < rows  # clipped at the image's eastern edge (x = 0)
        x0, y0 = hdu.header["CUT_X0"] - 1, hdu.header["CUT_Y0"] - 1
        assert x0 == 0
        np.testing.assert_array_equal(hdu.data, owner[y0 : y0 + rows, x0 : x0 + columns])
        wcs = WCS(hdu.header)
        sky = wcs.pixel_to_world(3.0, 5.0)
        np.testing.assert_allclose(owner_wcs.world_to_pixel(sky), (x0 + 3.0, y0 + 5.0), atol=1e-6)


#: A small circle on M2, inside its tile.
AT_M2 = "CIRCLE 323.36 -0.82 0.01"

SYNC_ERRORS = [
    pytest.param(
        {"POS": "CIRCLE 100 -50 0.01"}, PositionError, 400, "outside the survey's footprint",
        id="outside-footprint",
    ),
    pytest.param(
        {"POS": "CIRCLE 323.36 -0.82 0.2"}, CutoutSizeError, 400,
        f"at most {CUTOUT_SIZE_MAX:g} arcmin on a side (the cutout size cap)", id="too-large",
    ),
    pytest.param(
        {"POS": "RANGE 0 360 -30 30"}, CutoutSizeError, 400, "cutout size cap", id="far-too-large"
    ),
    pytest.param({"BAND": "4e-7 5e-7"}, RequestError, 400, "give the region", id="no-region"),
    pytest.param(
        {"POS": AT_M2, "CIRCLE": "323.3 -0.8 0.01"}, RequestError, 400, "sync request cuts one",
        id="two-regions",
    ),
    pytest.param(
        {"ID": [f"{M2_TILE}/g", f"{M2_TILE}/r"], "POS": AT_M2}, RequestError, 400,
        "ID is given 2 times", id="two-ids",
    ),
    pytest.param(
        {"POS": AT_M2, "BAND": "1e-6 2e-6"}, RequestError, 400,
        "BAND 1e-06 2e-06: no band of the release", id="no-band-in-interval",
    ),
    pytest.param(
        {"ID": f"{M2_TILE}/g", "POS": AT_M2, "BAND": "7e-7 8e-7"}, RequestError, 400,
        "no band of ID", id="id-excludes-band",
    ),
    pytest.param(
        {"ID": f"ivo://surveylab/OTHER?{M2_TILE}/i", "POS": AT_M2}, RequestError, 400,
        "is not an image of this release", id="other-release",
    ),
    pytest.param(
        {"ID": M2_TILE, "POS": AT_M2}, RequestError, 400,
        "expected a tile image as <TILENAME>/<band>", id="malformed-id",
    ),
    pytest.param(
        {"ID": "DES9999+9999/i", "POS": AT_M2}, TileNotFoundError, 404,
        "no tile named 'DES9999+9999'", id="unknown-tile",
    ),
    pytest.param(
        {"ID": f"{M2_TILE}/Y", "POS": AT_M2}, ImageNotFoundError, 404, "no image in band 'Y'",
        id="unknown-band",
    ),
    pytest.param(
        {"ID": f"{M2_TILE}/i", "POS": "CIRCLE 324.3 -0.7 0.01"}, PositionError, 400,
        f"is not on tile {M2_TILE}", id="off-the-id-tile",
    ),
    pytest.param(
        {"POS": AT_M2, "TIME": "55000 56000"}, RequestError, 400, "TIME is not supported",
        id="time",
    ),
    pytest.param(
        {"POS": AT_M2, "RESPONSEFORMAT": "image/png"}, RequestError, 400,
        "RESPONSEFORMAT 'image/png'", id="response-format",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("params", "error", "status", "message"), SYNC_ERRORS)
def test_sync_refusals_say_what_is_wrong(
    survey: Survey, params: dict[str, Any], error: type[SurveylabError], status: int, message: str
) -> None:
    with pytest.raises(error) as caught:
        soda_sync(survey, vo_request("soda/sync", **params))
    assert message in str(caught.value)
    assert refusal(caught.value) == (status, str(caught.value))


# --- SODA async ----------------------------------------------------------------------------------


def test_async_soda_jobs_are_cutout_jobs_with_per_position_problems(survey: Survey) -> None:
    ra, dec = EDGE
    region = f"CIRCLE {ra} {dec} 0.05"
    request = vo_request(
        "soda/async",
        "POST",
        POS=[region, "CIRCLE 100 -50 0.01"],
        BAND="7e-7 8e-7",
        RUNID="edge of M2's tile",
    )
    job_id = soda_submit(survey, request)
    assert survey.job(job_id).phase is Phase.PENDING  # UWS: created, waiting for PHASE=RUN
    survey.job_service.start(job_id)
    job = survey.job(job_id)
    record = job.wait(120)
    assert record.type == "cutout" and record.name == "edge of M2's tile"
    assert record.phase is Phase.COMPLETED, record.error
    summary = job.summary()
    by_row = {entry["row"]: entry for entry in summary["positions"]}
    assert by_row[2]["status"] == "ok" and by_row[2]["stitched"] is True
    assert by_row[3]["status"] == "error"
    assert "outside the footprint" in by_row[3]["error"]
    (cutout,) = [path for path in job.files if path.suffix == ".fits"]
    sync = soda_sync(survey, vo_request("soda/sync", POS=region, BAND="7e-7 8e-7"))
    with fits.open(cutout) as from_job, fits_of(sync) as at_once:
        np.testing.assert_array_equal(from_job[0].data, at_once[0].data)
        for key in ("NAXIS1", "NAXIS2", "CRPIX1", "CRPIX2", "CRVAL1", "CD1_1", "TILES"):
            assert from_job[0].header[key] == at_once[0].header[key], key


def test_async_parameters_are_checked_before_a_job_exists(survey: Survey) -> None:
    jobs_before = len(survey.jobs())
    with pytest.raises(CutoutSizeError, match=r"POS 'CIRCLE 323\.36 -0\.82 0\.3' needs a cutout"):
        soda_submit(survey, vo_request("soda/async", "POST", POS=["CIRCLE 323.36 -0.82 0.3"]))
    with pytest.raises(PositionError, match="is on none of the IDs' tiles"):
        soda_submit(
            survey,
            vo_request("soda/async", "POST", ID=f"{M2_TILE}/i", POS="CIRCLE 100 -50 0.01"),
        )
    with pytest.raises(RequestError, match="PHASE=SUSPENDED"):
        soda_submit(
            survey, vo_request("soda/async", "POST", POS="CIRCLE 1 0 0.01", PHASE="SUSPENDED")
        )
    assert len(survey.jobs()) == jobs_before


def test_async_ids_choose_the_bands(survey: Survey) -> None:
    params = Params({"ID": [f"{M2_TILE}/r", f"{M2_TILE}/g"], "CIRCLE": ["323.36 -0.82 0.01"]})
    arguments = soda_job_parameters(survey, params)
    assert arguments["bands"] == ["r", "g"] and arguments["previews"] is False
    header, row = arguments["csv"].splitlines()
    assert header == "RA,DEC,XSIZE,YSIZE"
    ra, dec, xsize, ysize = (float(value) for value in row.split(","))
    assert (ra, dec) == (323.36, -0.82)
    # 0.01 deg = 9 pixels of 4": 2 * 10 + 1 = 21 pixels on a side
    assert xsize == ysize == pytest.approx(21 * 4.0 / 60.0)


# --- SIA -----------------------------------------------------------------------------------------


def sia(survey: Survey, **query: Any) -> tuple[SIA2Results, VOResponse]:
    """An SIA query built by pyvo, answered, and read back by pyvo."""
    request = from_pyvo("sia/query", SIA2Query(f"{BASE_URL}/sia/query", **query))
    response = sia_query(survey, request)
    return SIA2Results(votable_of(response)), response


def test_sia_records_are_obscore_records_of_the_tile_images(survey: Survey) -> None:
    results, response = sia(survey, pos=(323.36, -0.82, 0.02))
    assert response.content_type.startswith("application/x-votable+xml")
    assert [record.obs_id for record in results] == [f"{M2_TILE}_{band}" for band in BANDS]
    tile = survey.tile(M2_TILE)
    for record, band in zip(results, BANDS, strict=True):
        path = survey.tile_image(M2_TILE, band)
        did = dataset_id(survey.release, M2_TILE, band)
        with fits.open(path) as hdul:
            header = next(hdu for hdu in hdul if hdu.data is not None).header
        assert record.dataproduct_type == "image"
        assert record.calib_level == 3
        assert record.obs_collection == survey.release
        assert record.obs_publisher_did == did
        assert record.access_url == f"{BASE_URL}/sia/files/{M2_TILE}/{band}"
        assert record.access_format == "application/fits"
        assert record.access_estsize.to_value("kbyte") == math.ceil(path.stat().st_size / 1024)
        assert record.s_ra.to_value("deg") == pytest.approx(tile.ra)
        assert record.s_dec.to_value("deg") == pytest.approx(tile.dec)
        words = record.s_region.split()
        assert words[:2] == ["POLYGON", "ICRS"]
        corners = np.array(words[2:], dtype=float).reshape(-1, 2)
        np.testing.assert_allclose(corners, np.array(tile.corners), atol=1e-7)
        assert 1.0 < record.s_fov.to_value("deg") < 1.1  # the diagonal of a 0.73 deg tile
        assert record.s_resolution.to_value("arcsec") == pytest.approx(header["FWHM"])
        assert (record.s_xel1, record.s_xel2) == (header["NAXIS1"], header["NAXIS2"])
        passband = PASSBANDS[band]
        assert record.em_min.to_value("m") == pytest.approx(passband.minimum)
        assert record.em_max.to_value("m") == pytest.approx(passband.maximum)
        assert record.o_ucd.startswith("phot.flux.density")
        assert record.facility_name == "CTIO" and record.instrument_name == "DECam"
        links = urlsplit(record["datalink_url"])
        assert links._replace(query="").geturl() == f"{BASE_URL}/datalink/links"
        assert parse_qs(links.query) == {"ID": [did]}


def _tiles_of(results: SIA2Results) -> set[str]:
    return {record.obs_id.rsplit("_", 1)[0] for record in results}


def _inside(shape: Any, count: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Positions spread over the inside and edge of a circle or range (an oracle's sample)."""
    steps = np.linspace(0.0, 1.0, count)
    if isinstance(shape, Circle):
        angle, fraction = np.meshgrid(np.linspace(0.0, 360.0, count, endpoint=False), steps)
        points = SkyCoord(shape.ra, shape.dec, unit="deg").directional_offset_by(
            angle.ravel() * u.deg, fraction.ravel() * shape.radius * u.deg
        )
        return points.ra.deg, points.dec.deg
    ra, dec = np.meshgrid(
        shape.ra_min + steps * shape.ra_width,
        shape.dec_min + steps * (shape.dec_max - shape.dec_min),
    )
    return np.mod(ra.ravel(), 360.0), dec.ravel()


POS_CASES = [
    ("m2", "CIRCLE 323.36 -0.82 0.02", {M2_TILE}),
    ("overlap-of-two-rows", "CIRCLE 323.548 -0.3425 0.003", {M2_TILE, "DES2134+0001"}),
    ("corner-of-four", "CIRCLE 323.905 -0.3403 0.02", {M2_TILE, "DES2134+0001", *EAST}),
    ("range-across-ra0", "RANGE 359.9 0.1 -0.1 0.1", {"DES2359+0001"}),
    ("range-negative-ra", "RANGE -0.1 0.1 -0.1 0.1", {"DES2359+0001"}),
    ("range-of-m2-row", "RANGE 322.5 324.5 -0.9 -0.8", {"DES2131-0041", M2_TILE, "DES2137-0041"}),
    ("polygon-around-m2", "POLYGON 323.30 -0.90 323.40 -0.92 323.35 -0.78", {M2_TILE}),
    ("big-circle", "CIRCLE 323.5 -0.7 1.5", None),
    ("outside-footprint", "CIRCLE 100 -50 1", set()),
    ("in-footprint-without-images", "CIRCLE 330 -2 0.1", set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pos", "expected"), [case[1:] for case in POS_CASES], ids=[case[0] for case in POS_CASES]
)
def test_sia_pos_finds_the_tiles_whose_outline_meets_it(
    survey: Survey, pos: str, expected: set[str] | None
) -> None:
    response = sia_query(survey, vo_request("sia/query", POS=pos))
    found = _tiles_of(SIA2Results(votable_of(response)))
    shape = parse_shape(pos)
    if not isinstance(shape, Polygon):  # oracle: every imaged tile holding a point of it
        ra, dec = _inside(shape)
        holding = {name for names in survey.tiles_at(ra, dec) for name in names}
        imaged = {name for name in holding if survey.tile(name).images}
        assert imaged <= found
    if expected is not None:
        assert found == expected
    else:
        assert len(found) == 9  # M2's tile and its 8 neighbours


def test_sia_pos_values_add_up_and_a_huge_polygon_is_refused(survey: Survey) -> None:
    both = sia_query(survey, vo_request("sia/query", POS=[POS_CASES[0][1], POS_CASES[3][1]]))
    assert _tiles_of(SIA2Results(votable_of(both))) == {M2_TILE, "DES2359+0001"}
    tiles = [survey.tile(M2_TILE)]
    huge = parse_shape("POLYGON 0 -89 120 -89 240 -89 0 89")
    with pytest.raises(RequestError, match=f"at most {MAX_POLYGON_REACH:g} deg"):
        tiles_in_region(tiles, huge)


def test_sia_maxrec_overflow(survey: Survey) -> None:
    everything, _response = sia(survey, pos=(323.5, -0.7, 1.5))
    assert len(everything) == 9 * len(BANDS)
    first, response = sia(survey, pos=(323.5, -0.7, 1.5), maxrec=5)
    assert [record.obs_id for record in first] == [record.obs_id for record in everything][:5]
    with pytest.warns(DALOverflowWarning, match="truncated"):
        first.check_overflow_warning()  # pyvo read the OVERFLOW status
    document = body(response).decode()
    assert document.index('value="OK"') < document.index("</TABLE>")
    assert document.index("</TABLE>") < document.index('value="OVERFLOW"')
    none, _response = sia(survey, pos=(323.5, -0.7, 1.5), maxrec=0)
    assert len(none) == 0
    with pytest.warns(DALOverflowWarning, match="truncated"):
        none.check_overflow_warning()
    exact, response = sia(survey, pos=(323.5, -0.7, 1.5), maxrec=len(everything))
    assert len(exact) == len(everything) and b"OVERFLOW" not in body(response)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact.check_overflow_warning()


CONSTRAINTS = [
    ("band-interval", {"BAND": "4e-7 5e-7"}, ["g"]),
    ("band-value", {"BAND": "7.12e-7"}, ["r", "i"]),  # where r's and i's passbands overlap
    ("band-two-intervals", {"BAND": ["4e-7 5e-7", "8e-7 9e-7"]}, ["g", "i"]),
    ("band-beyond", {"BAND": "1.2e-6 2e-6"}, []),
    ("collection", {"COLLECTION": "demo dr1"}, list(BANDS)),
    ("calib-3", {"CALIB": "3"}, list(BANDS)),
    ("calib-2", {"CALIB": "2"}, []),
    ("calib-2-or-3", {"CALIB": ["2", "3"]}, list(BANDS)),
    ("dptype-image", {"DPTYPE": "image"}, list(BANDS)),
    ("dptype-cube", {"DPTYPE": "cube"}, []),
    ("facility", {"FACILITY": "ctio", "INSTRUMENT": "DECam"}, list(BANDS)),
    ("other-instrument", {"INSTRUMENT": "HSC"}, []),
    ("format", {"FORMAT": "application/fits"}, list(BANDS)),
    ("id", {"ID": "ivo://surveylab/DEMO-DR1?DES2134-0041/r"}, ["r"]),
]


@pytest.mark.parametrize(
    ("params", "bands"), [case[1:] for case in CONSTRAINTS], ids=[case[0] for case in CONSTRAINTS]
)
def test_sia_constraints(survey: Survey, params: dict[str, Any], bands: list[str]) -> None:
    request = vo_request("sia/query", POS="CIRCLE 323.36 -0.82 0.02", **params)
    results = SIA2Results(votable_of(sia_query(survey, request)))
    assert [record["band"] for record in results] == bands


SIA_ERRORS = [
    ("malformed-pos", {"POS": "CIRCLE 1 2"}, "POS 'CIRCLE 1 2'"),
    ("band-not-a-wavelength", {"BAND": "g"}, "BAND 'g': 'g' is not a number"),
    ("unknown-collection", {"COLLECTION": "DES DR2"}, "COLLECTION 'DES DR2' is unknown"),
    ("calib-word", {"CALIB": "coadd"}, "CALIB 'coadd' must be a calibration level"),
    ("calib-5", {"CALIB": "5"}, "CALIB '5' must be a calibration level"),
    ("maxrec-negative", {"MAXREC": "-1"}, "MAXREC '-1' must not be negative"),
    ("maxrec-word", {"MAXREC": "all"}, "MAXREC 'all' must be a whole number"),
    ("dptype", {"DPTYPE": "spectrum"}, "DPTYPE 'spectrum'"),
    ("time", {"TIME": "55000 56000"}, "TIME is not supported"),
    ("response-format", {"RESPONSEFORMAT": "csv"}, "RESPONSEFORMAT 'csv'"),
]


@pytest.mark.parametrize(
    ("params", "message"), [case[1:] for case in SIA_ERRORS], ids=[case[0] for case in SIA_ERRORS]
)
def test_sia_refusals_are_400_naming_the_parameter(
    survey: Survey, params: dict[str, str], message: str
) -> None:
    with pytest.raises(RequestError) as caught:
        sia_query(survey, vo_request("sia/query", **params))
    assert message in str(caught.value)
    assert refusal(caught.value)[0] == 400


def test_sia_file_streams_the_tile_image(survey: Survey) -> None:
    results, _response = sia(survey, pos=(323.36, -0.82, 0.02), band=(7.5e-7, 7.5e-7))
    (record,) = results
    tile, band = record.access_url.rsplit("/", 2)[-2:]
    response = sia_file(survey, vo_request(f"sia/files/{tile}/{band}"), tile, band)
    path = survey.tile_image(M2_TILE, "i")
    assert response.content_type == "application/fits"
    assert int(response.headers["Content-Length"]) == path.stat().st_size
    assert path.name in response.headers["Content-Disposition"]
    assert body(response) == path.read_bytes()
    for tile_name, band_name, error in [
        ("DES9999+9999", "i", TileNotFoundError),
        (M2_TILE, "z", ImageNotFoundError),
    ]:
        with pytest.raises(error) as caught:
            sia_file(survey, vo_request("sia/files"), tile_name, band_name)
        assert refusal(caught.value)[0] == 404


def test_a_sia_record_cuts_through_its_soda_descriptor(survey: Survey) -> None:
    results, _response = sia(survey, pos=(323.36, -0.82, 0.02), band=(6e-7, 6e-7))
    (record,) = results
    service = results.get_adhocservice_by_ivoid("ivo://ivoa.net/std/SODA#sync-1")
    query = SodaQuery.from_resource(record, service, circle=(323.36, -0.82, 0.01))
    assert query.baseurl == f"{BASE_URL}/soda/sync"
    assert query["ID"] == record.obs_publisher_did
    with fits_of(soda_sync(survey, from_pyvo("soda/sync", query))) as hdul:
        assert hdul[0].header["EXTNAME"] == "r" and hdul[0].header["TILENAME"] == M2_TILE
    links = results.get_adhocservice_by_ivoid("ivo://ivoa.net/std/DataLink#links-1.1")
    inputs = next(group for group in links.groups if group.name == "inputParams")
    assert [(param.name, param.ref) for param in inputs.entries] == [("ID", "obs_publisher_did")]


# --- DataLink ------------------------------------------------------------------------------------


def test_datalink_rows_of_a_tile_image(survey: Survey) -> None:
    did = dataset_id(survey.release, M2_TILE, "i")
    response = datalink_links(survey, vo_request("datalink/links", ID=did))
    assert response.content_type == DATALINK_TYPE
    table = votable_of(response).get_first_table().to_table()
    assert table.colnames == [
        "ID", "access_url", "service_def", "error_message", "description", "semantics",
        "content_type", "content_length",
    ]  # fmt: skip
    assert [str(value) for value in table["semantics"]] == [
        "#this",
        "#cutout",
        "#counterpart",
        "#counterpart",
    ]
    assert set(table["ID"]) == {did}
    this = table[0]
    assert this["access_url"] == f"{BASE_URL}/sia/files/{M2_TILE}/i"
    assert this["content_type"] == "application/fits"
    assert this["content_length"] == survey.tile_image(M2_TILE, "i").stat().st_size
    cutout = next(row for row in table if row["semantics"] == "#cutout")
    assert cutout["service_def"] == "soda" and not cutout["access_url"]
    others = {str(row["access_url"]) for row in table if row["semantics"] == "#counterpart"}
    assert others == {f"{BASE_URL}/sia/files/{M2_TILE}/{band}" for band in ("g", "r")}


def test_datalink_unknown_ids_are_rows_with_an_error(survey: Survey) -> None:
    ids = [f"{M2_TILE}/g", "DES9999+9999/g", f"{M2_TILE}/Y", "ivo://elsewhere/x?y/z"]
    response = datalink_links(survey, vo_request("datalink/links", ID=ids))
    links = DatalinkResults(votable_of(response))
    errors = {record.id: record.error_message for record in links if record.error_message}
    assert errors["DES9999+9999/g"].startswith("NotFoundFault: ")
    assert errors[f"{M2_TILE}/Y"].startswith("NotFoundFault: ")
    assert "no image in band 'Y'" in errors[f"{M2_TILE}/Y"]
    assert errors["ivo://elsewhere/x?y/z"].startswith("UsageFault: ")
    good = [record for record in links if record.id == f"{M2_TILE}/g"]
    assert [record.semantics for record in good] == [
        "#this",
        "#cutout",
        "#counterpart",
        "#counterpart",
    ]


def test_datalink_service_descriptor_drives_soda(survey: Survey) -> None:
    did = dataset_id(survey.release, M2_TILE, "g")
    response = datalink_links(survey, vo_request("datalink/links", ID=did))
    votable = votable_of(response)
    (service,) = [resource for resource in votable.resources if resource.type == "meta"]
    assert service.utype == "adhoc:service" and service.ID == "soda"
    params = {param.name: param.value for param in service.params}
    assert params == {"standardID": SODA_STANDARD_ID, "accessURL": f"{BASE_URL}/soda/sync"}
    (inputs,) = service.groups
    assert inputs.name == "inputParams"
    by_name = {param.name: param for param in inputs.entries}
    assert list(by_name) == ["ID", "POS", "CIRCLE", "POLYGON", "BAND"]
    assert by_name["ID"].ref == "ID"
    assert (by_name["CIRCLE"].xtype, by_name["CIRCLE"].unit) == ("circle", "deg")
    assert (by_name["POLYGON"].xtype, by_name["POLYGON"].unit) == ("polygon", "deg")
    assert (by_name["BAND"].xtype, str(by_name["BAND"].unit)) == ("interval", "m")
    assert by_name["BAND"].values.min == pytest.approx(PASSBANDS["g"].minimum)
    assert by_name["BAND"].values.max == pytest.approx(PASSBANDS["i"].maximum)
    links = DatalinkResults(votable)
    cutout = next(record for record in links if record.semantics == "#cutout")
    assert cutout.access_url == f"{BASE_URL}/soda/sync"  # pyvo reads it from the descriptor
    query = SodaQuery.from_resource(
        cutout, links.get_adhocservice_by_ivoid("ivo://ivoa.net/std/SODA#sync-1"),
        circle=(323.36, -0.82, 0.01), band=(4e-7, 5e-7),
    )  # fmt: skip
    direct = soda_sync(
        survey, vo_request("soda/sync", ID=f"{M2_TILE}/g", CIRCLE="323.36 -0.82 0.01")
    )
    with fits_of(soda_sync(survey, from_pyvo("soda/sync", query))) as hdul, fits_of(direct) as same:
        np.testing.assert_array_equal(hdul[0].data, same[0].data)


def test_datalink_needs_an_id(survey: Survey) -> None:
    with pytest.raises(RequestError, match="ID is required") as caught:
        datalink_links(survey, vo_request("datalink/links"))
    assert refusal(caught.value)[0] == 400
    with pytest.raises(RequestError, match="RESPONSEFORMAT"):
        datalink_links(
            survey, vo_request("datalink/links", ID=f"{M2_TILE}/g", RESPONSEFORMAT="json")
        )

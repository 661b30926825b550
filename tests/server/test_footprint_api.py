"""The footprint REST API through a real jupyter server (``jp_fetch``) on the demo survey."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import astropy.units as u
import jsonschema
import numpy as np
import pytest
from astropy.io import fits
from astropy_healpix import lonlat_to_healpix
from mocpy import MOC
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab import Settings, Survey
from surveylab.demo import M2_DEC, M2_RA
from surveylab.surveys import SharedSurvey
from surveylab_server.handlers import load_openapi
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]

#: A position on the 1' overlap of M2's tile and the tile north of it (unique edge at -0.3403).
OVERLAP = (323.548, -0.3425)


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path) -> Any:
    """The same release the server serves, read directly for expected values."""
    with Survey(Settings(data_dir=demo_data_dir)) as opened:
        yield opened


def assert_matches_media(path: str, status: int, media: str, body: Any) -> None:
    """Like assert_matches_contract, for a documented media type other than JSON."""
    document = load_openapi()
    content = document["paths"][path]["get"]["responses"][str(status)]["content"]
    schema = {**content[media]["schema"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


async def get_json(fetch: Fetch, *path: str, **params: Any) -> Any:
    response = await fetch("surveylab", "api", *path, params=params)
    return json.loads(response.body)


async def get_error(fetch: Fetch, *path: str, **params: Any) -> tuple[int, Any]:
    with pytest.raises(HTTPClientError) as caught:
        await fetch("surveylab", "api", *path, params=params)
    response = caught.value.response
    assert response is not None
    assert b"Traceback" not in response.body
    return caught.value.code, json.loads(response.body)


# --- tile look-up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ra", "dec", "tile", "tiles"),
    [
        (M2_RA, M2_DEC, "DES2134-0041", ["DES2134-0041"]),
        (359.9, 0.2, "DES2359+0001", ["DES2359+0001"]),
        (0.1, 0.2, "DES2359+0001", ["DES2359+0001"]),
        (-0.1, 0.2, "DES2359+0001", ["DES2359+0001"]),
        (360.1, 0.2, "DES2359+0001", ["DES2359+0001"]),
        (*OVERLAP, "DES2134-0041", ["DES2134-0041", "DES2134+0001"]),
        (100.0, 0.0, None, []),
        (323.36, -60.0, None, []),
    ],
    ids=["m2", "ra-359.9", "ra-0.1", "ra-minus-0.1", "ra-360.1", "overlap", "outside", "south"],
)
async def test_tiles_at_a_position(
    jp_fetch: Fetch, ra: float, dec: float, tile: str | None, tiles: list[str]
) -> None:
    body = await get_json(jp_fetch, "footprint", "tiles", ra=ra, dec=dec)
    assert_matches_contract("/footprint/tiles", "get", 200, body)
    assert (body["ra"], body["dec"]) == (ra, dec)
    assert body["tile"] == tile
    assert body["tiles"] == tiles


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"ra": 10.0, "dec": 91.0}, "dec must lie within -90..+90 deg: dec is 91.0"),
        ({"ra": 10.0, "dec": -90.5}, "dec must lie within -90..+90 deg"),
        ({"ra": "abc", "dec": 1.0}, "ra must be a number of degrees, not 'abc'"),
        ({"ra": 1.0, "dec": "1,5"}, "dec must be a number of degrees, not '1,5'"),
        ({"ra": "nan", "dec": 1.0}, "ra must be a finite number of degrees"),
        ({"ra": 1.0, "dec": "inf"}, "dec must be a finite number of degrees"),
        ({"ra": 1.0}, "dec is required"),
        ({"dec": 1.0}, "ra is required"),
    ],
    ids=["dec-91", "dec-below", "ra-text", "dec-comma", "ra-nan", "dec-inf", "no-dec", "no-ra"],
)
async def test_bad_positions_get_a_clear_400(
    jp_fetch: Fetch, params: dict[str, Any], needle: str
) -> None:
    status, body = await get_error(jp_fetch, "footprint", "tiles", **params)
    assert status == 400
    assert_matches_contract("/footprint/tiles", "get", 400, body)
    assert needle in body["message"]


# --- one tile and its images -----------------------------------------------------------------


async def test_tile_properties(jp_fetch: Fetch, survey: Survey, jp_base_url: str) -> None:
    body = await get_json(jp_fetch, "footprint", "tiles", "DES2134-0041")
    assert_matches_contract("/footprint/tiles/{tilename}", "get", 200, body)
    assert body["name"] == "DES2134-0041"
    assert body["ra"] == pytest.approx(323.548039, abs=1e-5)
    assert body["dec"] == pytest.approx(-0.697222, abs=1e-5)
    expected = survey.query("SELECT COUNT(*) AS N FROM DR1_MAIN WHERE TILENAME = 'DES2134-0041'")
    assert body["objects"] == int(expected["N"][0]) > 1000  # M2 lies in this tile
    lons = [corner[0] for corner in body["corners"]]
    assert max(lons) - min(lons) == pytest.approx(0.7306, abs=0.01)
    assert body["bounds"]["dec_max"] - body["bounds"]["dec_min"] == pytest.approx(0.7306, abs=1e-3)
    assert body["unique_area"]["dec_max"] - body["unique_area"]["dec_min"] == pytest.approx(
        2570 / 3600
    )
    assert body["crosses_ra0"] is False
    assert body["bands"] == ["g", "r", "i"]  # the session's small demo has three bands
    assert [image["band"] for image in body["images"]] == ["g", "r", "i"]
    for image in body["images"]:
        assert image["file"] == f"DES2134-0041_{image['band']}.fits.fz"
        assert image["url"] == (
            f"{jp_base_url}surveylab/api/footprint/tiles/DES2134-0041/images/{image['band']}"
        )


async def test_tile_name_is_case_insensitive_and_plus_survives_the_url(jp_fetch: Fetch) -> None:
    lower = await get_json(jp_fetch, "footprint", "tiles", "des2134-0041")
    assert lower["name"] == "DES2134-0041"
    crossing = await get_json(jp_fetch, "footprint", "tiles", "DES2359+0001")  # sent as %2B
    assert crossing["name"] == "DES2359+0001"
    assert crossing["crosses_ra0"] is True
    assert crossing["bounds"]["ra_max"] > 360.0
    uramin, uramax = crossing["unique_area"]["ra_min"], crossing["unique_area"]["ra_max"]
    assert uramin > 359.0 and uramax < 1.0  # wrapped, never mirrored
    assert crossing["images"][0]["url"].endswith("/tiles/DES2359%2B0001/images/g")


async def test_image_download_is_the_tile_fits_file(
    jp_fetch: Fetch, demo_data_dir: Path, jp_base_url: str
) -> None:
    body = await get_json(jp_fetch, "footprint", "tiles", "DES2134-0041")
    image = body["images"][1]
    response = await jp_fetch(*image["url"].removeprefix(jp_base_url).split("/"))
    assert response.headers["Content-Type"] == "application/fits"
    assert "DES2134-0041_r.fits.fz" in response.headers["Content-Disposition"]
    on_disk = demo_data_dir / "images" / "DES2134-0041" / "DES2134-0041_r.fits.fz"
    assert response.body == on_disk.read_bytes()
    assert len(response.body) == image["size"]
    with fits.open(on_disk) as hdus:
        assert hdus[1].header["TILENAME"] == "DES2134-0041"


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("DES9999-9999", "no tile named 'DES9999-9999'"),
        ("DES2134-004", "did you mean DES2134-0041"),
        ("DES2134-0041/images/z", "no image in band 'z'; its bands: g, r, i"),
        ("DES0000-0207/images/g", "tile DES0000-0207 has no image in band 'g'; it has no images"),
        ("..%2F..%2Fcatalog.duckdb", "no tile named '../../catalog.duckdb'"),
        ("DES2134-0041/images/..%2F..%2F..%2Fcatalog.duckdb", "no image in band '../../../cat"),
        ("DES2134-0041/images/%2Fetc%2Fpasswd", "no image in band '/etc/passwd'"),
        ("DES2134-0041/images/g%00", "no image in band 'g\\x00'"),
    ],
    ids=[
        "unknown",
        "suggestion",
        "band-not-made",
        "tile-without-images",
        "traversal-tile",
        "traversal-band",
        "absolute-band",
        "nul-band",
    ],
)
async def test_unknown_tiles_and_images_are_404(
    path: str,
    needle: str,
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    response = await http_server_client.fetch(
        f"{jp_base_url}surveylab/api/footprint/tiles/{path}",
        headers=jp_auth_header,
        raise_error=False,
    )
    assert response.code == 404
    body = json.loads(response.body)
    route = "/footprint/tiles/{tilename}" + ("/images/{band}" if "/images/" in path else "")
    assert_matches_contract(route, "get", 404, body)
    assert needle in body["message"]
    assert b"SIMPLE" not in response.body  # no file content, FITS or catalog


# --- outlines, HEALPix counts, MOC ------------------------------------------------------------


async def test_tile_outlines_as_geojson(jp_fetch: Fetch, survey: Survey) -> None:
    response = await jp_fetch("surveylab", "api", "footprint", "tiles.geojson")
    assert response.headers["Content-Type"] == "application/geo+json"
    body = json.loads(response.body)
    assert_matches_media("/footprint/tiles.geojson", 200, "application/geo+json", body)
    assert len(body["features"]) == len(survey.footprint) == 784
    by_name = {feature["id"]: feature for feature in body["features"]}
    ring = by_name["DES2359+0001"]["geometry"]["coordinates"][0]
    lons = [lon for lon, _ in ring]
    assert ring[0] == ring[-1]
    assert max(lons) - min(lons) < 1.0  # continuous across RA 0
    assert min(lons) < 0.0 < max(lons)
    m2 = by_name["DES2134-0041"]
    assert m2["properties"]["ra"] == pytest.approx(323.548, abs=1e-3)
    assert all(-180 <= lon < 0 for lon, _ in m2["geometry"]["coordinates"][0])  # RA 323 -> -37


@pytest.mark.parametrize("nside", [1, 8, 32, 256, 1024], ids=lambda n: f"nside-{n}")
async def test_healpix_counts_sum_to_the_rows(jp_fetch: Fetch, survey: Survey, nside: int) -> None:
    body = await get_json(jp_fetch, "footprint", "healpix", nside=nside)
    assert_matches_contract("/footprint/healpix", "get", 200, body)
    rows = int(survey.query("SELECT COUNT(*) AS N FROM DR1_MAIN")["N"][0])
    assert body["nside"] == nside
    assert body["total"] == sum(body["counts"]) == rows
    assert body["pixels"] == sorted(body["pixels"])
    # the counts are those of astropy-healpix applied to the objects' positions
    positions = survey.query("SELECT RA, DEC FROM DR1_MAIN")
    pixels = lonlat_to_healpix(
        positions["RA"].quantity, positions["DEC"].quantity, nside, order="nested"
    )
    expected_pixels, expected_counts = np.unique(pixels, return_counts=True)
    assert body["pixels"] == expected_pixels.tolist()
    assert body["counts"] == expected_counts.tolist()


async def test_healpix_default_nside_is_32(jp_fetch: Fetch) -> None:
    body = await get_json(jp_fetch, "footprint", "healpix")
    assert body["nside"] == 32
    assert body["ordering"] == "NESTED"


@pytest.mark.parametrize(
    ("nside", "needle"),
    [
        ("33", "nside must be a power of 2 from 1 to 1024, not 33"),
        ("0", "not 0"),
        ("-4", "not -4"),
        ("2048", "from 1 to 1024, not 2048"),
        ("abc", "nside must be a power of 2, not 'abc'"),
        ("1.5", "not '1.5'"),
    ],
    ids=["not-power", "zero", "negative", "too-fine", "text", "fraction"],
)
async def test_bad_nside_gets_a_clear_400(jp_fetch: Fetch, nside: str, needle: str) -> None:
    status, body = await get_error(jp_fetch, "footprint", "healpix", nside=nside)
    assert status == 400
    assert_matches_contract("/footprint/healpix", "get", 400, body)
    assert needle in body["message"]


async def test_moc_as_fits_covers_the_tiles(jp_fetch: Fetch, tmp_path: Path) -> None:
    response = await jp_fetch("surveylab", "api", "footprint", "moc")
    assert response.headers["Content-Type"] == "application/fits"
    path = tmp_path / "moc.fits"
    path.write_bytes(response.body)
    with fits.open(path) as hdus:
        assert hdus[1].header["MOCORDER"] == 10
        assert hdus[1].columns.names == ["UNIQ"]  # NUNIQ: MOC 1.0 readers take it too
    moc = MOC.load(path, format="fits")
    ra = np.array([M2_RA, 359.9, 0.1, 15.0, 100.0, M2_RA])
    dec = np.array([M2_DEC, 0.2, 0.2, -2.0, 0.0, -20.0])
    inside = moc.contains_lonlat(ra * u.deg, dec * u.deg)
    assert inside.tolist() == [True, True, True, True, False, False]
    # about the area of 784 tiles of 0.7306 x 0.7306 deg, less their overlaps
    assert 0.95 * 784 * 0.714**2 < moc.sky_fraction * 41_252.96 < 1.1 * 784 * 0.7306**2


async def test_moc_as_json_is_the_same_coverage(jp_fetch: Fetch, tmp_path: Path) -> None:
    body = await get_json(jp_fetch, "footprint", "moc", format="json", order=8)
    assert_matches_contract("/footprint/moc", "get", 200, body)
    fits_response = await jp_fetch("surveylab", "api", "footprint", "moc", params={"order": 8})
    path = tmp_path / "moc.fits"
    path.write_bytes(fits_response.body)
    assert MOC.from_json(body) == MOC.load(path, format="fits")
    assert max(int(order) for order in body) == 8


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"order": 14}, "the MOC order must be from 0 to 13, not 14"),
        ({"order": -1}, "not -1"),
        ({"order": "ten"}, "order must be an integer HEALPix order, not 'ten'"),
        ({"format": "png"}, "format must be fits or json, not 'png'"),
    ],
    ids=["too-fine", "negative", "text", "format"],
)
async def test_bad_moc_requests_get_a_clear_400(
    jp_fetch: Fetch, params: dict[str, Any], needle: str
) -> None:
    status, body = await get_error(jp_fetch, "footprint", "moc", **params)
    assert status == 400
    assert_matches_contract("/footprint/moc", "get", 400, body)
    assert needle in body["message"]


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "footprint/tiles?ra=1&dec=0",
        "footprint/tiles/DES2134-0041",
        "footprint/tiles/DES2134-0041/images/g",
        "footprint/tiles.geojson",
        "footprint/healpix",
        "footprint/moc",
    ],
    ids=["tiles", "tile", "image", "geojson", "healpix", "moc"],
)
async def test_footprint_endpoints_need_authentication(
    path: str, http_server_client: Any, jp_base_url: str, jp_serverapp: Any
) -> None:
    response = await http_server_client.fetch(
        f"{jp_base_url}surveylab/api/{path}", raise_error=False, follow_redirects=False
    )
    assert response.code == 403
    assert b"DES2134" not in response.body
    assert b"SIMPLE" not in response.body


async def test_missing_catalog_is_a_clear_503(
    jp_fetch: Fetch, jp_serverapp: Any, tmp_path: Path
) -> None:
    jp_serverapp.web_app.settings["surveylab_surveys"] = SharedSurvey(
        Survey(Settings(data_dir=tmp_path / "not-generated"))
    )
    status, body = await get_error(jp_fetch, "footprint", "tiles", ra=1, dec=0)
    assert status == 503
    assert_matches_contract("/footprint/tiles", "get", 503, body)
    assert "surveylab demo-data" in body["message"]

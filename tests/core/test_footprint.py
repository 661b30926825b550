"""The footprint: tile look-ups on the real DES DR2 tile list and on the demo survey."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import astropy.units as u
import duckdb
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy_healpix import lonlat_to_healpix

from surveylab import Settings, Survey
from surveylab.demo import M2_DEC, M2_RA, demo_tiling
from surveylab.errors import (
    FootprintError,
    ImageNotFoundError,
    NsideError,
    PositionError,
    SurveylabError,
    TileListError,
    TileNotFoundError,
)
from surveylab.footprint import Footprint, TileInfo, read_tile_list
from tests.conftest import SHARED_DATA

DES_TILES = SHARED_DATA / "des_dr2_tiles.csv"
#: One arcsecond in degrees.
ARCSEC = 1.0 / 3600.0


@pytest.fixture(scope="module")
def des() -> Footprint:
    """The real DES DR2 tiles (10,169), from the shared reference data."""
    return Footprint.from_tile_list(DES_TILES)


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path) -> Survey:
    with Survey(Settings(data_dir=demo_data_dir)) as opened:
        yield opened


def naive_tiles_at(footprint: Footprint, ra: float, dec: float) -> tuple[str | None, set[str]]:
    """The owner and every containing tile, by a scan over every tile (the reference)."""
    containing = [tile for tile in footprint.tiles if tile.contains(ra, dec)]

    def owns(tile: TileInfo) -> bool:
        assert tile.unique is not None
        uramin, uramax, udecmin, udecmax = tile.unique
        width = (uramax - uramin) % 360.0
        return (ra - uramin) % 360.0 < width and udecmin <= dec < udecmax

    owners = [tile for tile in containing if owns(tile)]
    assert len(owners) <= 1, f"({ra}, {dec}) is in the unique areas of {owners}"
    if owners:
        return owners[0].name, {tile.name for tile in containing}
    if not containing:
        return None, set()

    def distance(tile: TileInfo) -> float:
        offset = (ra - tile.ra + 180.0) % 360.0 - 180.0
        return float(np.hypot(offset * np.cos(np.radians(tile.dec)), dec - tile.dec))

    return min(containing, key=distance).name, {tile.name for tile in containing}


# --- the real DES DR2 tile list ---------------------------------------------------------------


def test_des_list_loads_every_tile(des: Footprint) -> None:
    assert len(des) == 10_169
    assert len(set(des.names)) == len(des)
    crossing = [tile for tile in des if tile.crosses_ra0]
    assert len(crossing) == 60  # the rows' tiles with raur > 360
    assert all(tile.ra_min < 360.0 < tile.ra_max < tile.ra_min + 3.0 for tile in crossing)
    heights = np.array([tile.dec_max - tile.dec_min for tile in des])
    assert np.allclose(heights, 0.7306, atol=1e-3)
    decs = np.array([tile.dec for tile in des])
    assert decs.min() > -67.5 and decs.max() < 5.4


def test_every_tile_centre_maps_to_itself(des: Footprint) -> None:
    ra = np.array([tile.ra for tile in des])
    dec = np.array([tile.dec for tile in des])
    assert des.tile_at(ra, dec).tolist() == des.names
    assert (des.locate(ra, dec) == np.arange(len(des))).all()
    positions, tiles = des.matches(ra, dec)
    assert set(zip(positions.tolist(), tiles.tolist(), strict=True)) >= {
        (k, k) for k in range(len(des))
    }


@pytest.mark.parametrize(
    ("ra", "dec", "tile"),
    [
        (359.9, 0.0, "DES2359+0001"),
        (0.1, 0.0, "DES2359+0001"),
        (-0.1, 0.0, "DES2359+0001"),
        (360.1, 0.0, "DES2359+0001"),
        (0.0, 0.0, "DES2359+0001"),
        (359.9, -0.7, "DES2359-0041"),
        (0.2, -0.7, "DES2359-0041"),
        (-720.2, -0.7, "DES2359-0041"),
        (359.9, -60.0, "DES0002-5957"),
        (0.5, -60.0, "DES0002-5957"),
    ],
    ids=[
        "359.9",
        "0.1",
        "minus-0.1",
        "360.1",
        "0.0",
        "row-below-359.9",
        "row-below-0.2",
        "two-turns-back",
        "dec-60-west",
        "dec-60-east",
    ],
)
def test_positions_across_ra_0(des: Footprint, ra: float, dec: float, tile: str) -> None:
    assert des.tile_at(ra, dec) == tile
    assert tile in des.tiles_at(ra, dec)
    assert des.tile_at(ra, dec) == naive_tiles_at(des, ra % 360.0, dec)[0]


def test_ra_is_wrapped_never_mirrored(des: Footprint) -> None:
    # DESaccess's bug: 360 - ra sends -0.4 (= 359.6) to the tile at +0.4
    west, east = des.tile_at(-0.4, -38.5), des.tile_at(0.4, -38.5)
    assert west == des.tile_at(359.6, -38.5) == "DES2359-3832"
    assert east == "DES0003-3832"  # the next tile east, not the mirror of the west one
    assert des.tile(west).ra > 359.0


def overlap_cases(footprint: Footprint) -> list[tuple[str, str, float, float]]:
    """Points 10" either side of a unique-area edge, inside the 1' overlap of two tiles:
    (owner, other tile, ra, dec), for neighbours along a row, between rows, and across RA 0."""
    m2 = footprint.tile("DES2134-0041")  # M2's tile; east of it DES2137-0041, north DES2134+0001
    at_0 = footprint.tile("DES2359+0001")  # across RA 0; east of it DES0002+0001
    assert m2.unique is not None and at_0.unique is not None
    m2_east, m2_north, at_0_east = m2.unique[1], m2.unique[3], at_0.unique[1]
    step = 10 * ARCSEC
    return [
        ("DES2134-0041", "DES2137-0041", m2_east - step, m2.dec),
        ("DES2137-0041", "DES2134-0041", m2_east + step, m2.dec),
        ("DES2134-0041", "DES2134+0001", m2.ra, m2_north - step),
        ("DES2134+0001", "DES2134-0041", m2.ra, m2_north + step),
        ("DES2359+0001", "DES0002+0001", at_0_east - step, 0.0),
        ("DES0002+0001", "DES2359+0001", at_0_east + step, 0.0),
    ]


@pytest.mark.parametrize(
    "case",
    range(6),
    ids=["ra-west", "ra-east", "dec-south", "dec-north", "ra-0-west", "ra-0-east"],
)
def test_overlap_strip_gives_both_tiles_and_the_right_owner(des: Footprint, case: int) -> None:
    owner, other, ra, dec = overlap_cases(des)[case]
    assert des.tile(owner).contains(ra, dec) and des.tile(other).contains(ra, dec)
    assert des.tiles_at(ra, dec) == [owner, other]  # the owner first
    assert des.tile_at(ra, dec) == owner
    assert naive_tiles_at(des, ra, dec) == (owner, {owner, other})


@pytest.mark.parametrize(
    ("ra", "dec"),
    [(180.0, -30.0), (30.0, 30.0), (120.0, -5.0), (0.0, 90.0), (0.0, -90.0), (270.0, -70.0)],
    ids=["ra-180", "north", "galactic-plane", "north-pole", "south-pole", "below-footprint"],
)
def test_outside_the_footprint_is_none(des: Footprint, ra: float, dec: float) -> None:
    assert des.tile_at(ra, dec) is None
    assert des.tiles_at(ra, dec) == []
    assert des.locate(ra, dec) == -1


def test_vectorised_equals_scalar_and_the_naive_scan(des: Footprint) -> None:
    rng = np.random.default_rng(5)
    ra = rng.uniform(-30.0, 100.0, 300)  # partly negative: wrapped
    dec = rng.uniform(-70.0, 8.0, 300)
    names = des.tile_at(ra, dec)
    lists = des.tiles_at(ra, dec)
    assert isinstance(names, np.ndarray)
    for k in range(ra.size):
        assert names[k] == des.tile_at(float(ra[k]), float(dec[k]))
        assert lists[k] == des.tiles_at(float(ra[k]), float(dec[k]))
        owner, containing = naive_tiles_at(des, float(ra[k]) % 360.0, float(dec[k]))
        assert names[k] == owner
        assert set(lists[k]) == containing
    assert sum(name is not None for name in names) > 50  # the sample reaches into DES


def test_tile_at_keeps_the_shape_of_its_input(des: Footprint) -> None:
    ra = np.array([[M2_RA, 0.1], [180.0, 359.9]])
    dec = np.array([[M2_DEC, 0.0], [0.0, 0.0]])
    names = des.tile_at(ra, dec)
    assert names.shape == (2, 2)
    assert names.tolist() == [["DES2134-0041", "DES2359+0001"], [None, "DES2359+0001"]]
    assert des.locate(ra, dec).shape == (2, 2)
    assert des.tile_at(np.array([]), np.array([])).shape == (0,)


@pytest.mark.parametrize(
    "position",
    [
        SkyCoord(M2_RA, M2_DEC, unit="deg"),
        SkyCoord("21h33m27.02s -00d49m23.7s"),
        SkyCoord(M2_RA * u.deg, M2_DEC * u.deg).galactic,
        (M2_RA * u.deg, M2_DEC * u.deg),
        ((M2_RA / 15.0) * u.hourangle, (M2_DEC * 60.0) * u.arcmin),
        (M2_RA, M2_DEC),
        (np.float32(M2_RA), np.int64(-1)),
    ],
    ids=["skycoord", "sexagesimal", "galactic", "quantity-deg", "hourangle-arcmin", "floats", "np"],
)
def test_positions_as_astropy_types(des: Footprint, position: object) -> None:
    args = position if isinstance(position, tuple) else (position,)
    assert des.tile_at(*args) == "DES2134-0041"


def test_array_skycoord(des: Footprint) -> None:
    coords = SkyCoord([M2_RA, 359.9, 180.0], [M2_DEC, 0.0, 0.0], unit="deg")
    assert des.tile_at(coords).tolist() == ["DES2134-0041", "DES2359+0001", None]


@pytest.mark.parametrize(
    ("ra", "dec", "message"),
    [
        (10.0, 90.5, "dec must lie within -90..+90 deg: dec is 90.5"),
        (10.0, -91.0, "dec must lie within -90..+90 deg: dec is -91.0"),
        ([1, 2, 3], [0, 95, 99], "dec[1] is 95.0 (2 bad of 3)"),
        (float("nan"), 0.0, "ra must be a finite number of degrees: ra is nan"),
        ([1.0, np.inf], [0.0, 0.0], "ra must be a finite number of degrees: ra[1] is inf"),
        ("abc", 0.0, "ra must be a number of degrees, not 'abc'"),
        (1.0, None, "dec is missing"),
        ([1.0, "x"], [0.0, 0.0], "ra must be a number of degrees or an array of them"),
        ([1.0, 2.0], [0.0, 0.0, 0.0], "ra and dec have different shapes: (2,) and (3,)"),
        (1.0 * u.m, 0.0, "ra must be an angle, not a quantity in m"),
        (SkyCoord(1, 2, unit="deg"), 3.0, "give either a SkyCoord or ra and dec"),
        ({"ra": 1}, 0.0, "ra must be a number of degrees"),
    ],
    ids=[
        "dec-above-90",
        "dec-below-90",
        "array-dec",
        "nan",
        "array-inf",
        "text",
        "no-dec",
        "mixed-array",
        "shapes",
        "metres",
        "skycoord-and-dec",
        "dict",
    ],
)
def test_bad_positions_are_refused_clearly(
    des: Footprint, ra: object, dec: object, message: str
) -> None:
    with pytest.raises(PositionError) as caught:
        des.tile_at(ra, dec)
    assert message in str(caught.value)
    assert isinstance(caught.value, SurveylabError) and isinstance(caught.value, ValueError)


def test_unknown_tile_names(des: Footprint) -> None:
    assert des.tile("des2134-0041").name == "DES2134-0041"
    assert "DES2134-0041" in des and "DES9999+9999" not in des
    with pytest.raises(TileNotFoundError, match="did you mean DES2134-0041"):
        des.tile("DES2134-004")
    with pytest.raises(TileNotFoundError, match=r"no tile named 'M2' in des_dr2_tiles\.csv"):
        des.tile("M2")


def test_index_is_small_and_shallow(des: Footprint) -> None:
    # each cell lists a handful of tiles: a look-up tests those, never all 10,169
    assert des.index.depth <= 8
    assert des.index.nbytes < 8_000_000


# --- external tile lists: the format and its errors ------------------------------------------


def test_tile_list_with_reordered_header_comments_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "tiles.csv"
    path.write_text(
        "# two DES tiles, columns reordered\n"
        "\n"
        "decll;tilename;raur;rall;decur;archive\n"
        "-0.348611;DES2359+0001;360.318067;359.587497;0.381944;somewhere\n"
        "-1.0625;DES2359-0041;360.324352;359.593727;-0.331944;elsewhere\n"
    )
    footprint = Footprint.from_tile_list(path)
    assert footprint.names == ["DES2359+0001", "DES2359-0041"]
    assert footprint.tile_at([0.1, -0.1, 0.1], [0.0, 0.0, -0.7]).tolist() == [
        "DES2359+0001",
        "DES2359+0001",
        "DES2359-0041",
    ]
    # the unique edge between the two rows is halfway between their centres
    edge = (footprint.tile("DES2359+0001").dec + footprint.tile("DES2359-0041").dec) / 2
    assert footprint.tile_at(0.0, edge + ARCSEC) == "DES2359+0001"
    assert footprint.tile_at(0.0, edge - ARCSEC) == "DES2359-0041"
    assert footprint.tiles_at(0.0, edge) == ["DES2359+0001", "DES2359-0041"]


def test_tile_list_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "tiles.csv"
    path.write_text("DES0001-0541,0.006752,-6.059722,0.740946,-5.329167\n")
    assert read_tile_list(path, delimiter=",")[0].name == "DES0001-0541"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DES0001-0541;0.006752;-6.059722;0.740946\n", ":1: expected tilename;rall;decll;raur"),
        ("DES0001-0541;0.0067x;-6.05;0.74;-5.32\n", ":1: rall is not a number: '0.0067x'"),
        ("DES0001-0541;0.1;-6.05;0.74;nan\n", ":1: decur is not finite: 'nan'"),
        ("DES0001-0541;0.1;-5.0;0.74;-6.0\n", ":1: decll -5.0 is not below decur -6.0"),
        ("DES0001-0541;0.74;-6.0;0.1;-5.0\n", ":1: raur 0.1 must exceed rall 0.74"),
        ("DES0001-0541;0.1;89.5;0.74;90.5\n", ":1: decur 90.5 is outside -90..+90 deg"),
        (";0.1;-6.0;0.74;-5.0\n", ":1: the tile name is empty"),
        (
            "tilename;rall;decll;raur;decur\nA;0.1;-6;0.7;-5\n\nA;1.1;-6;1.7;-5\n",
            ":4: tile A is listed twice (first on line 2)",
        ),
        ("tilename;rall;decll;decur\nA;0.1;-6;-5\n", ":1: the header has no column raur"),
        ("# only a comment\n", "the tile list has no tiles"),
    ],
    ids=[
        "four-fields",
        "not-a-number",
        "nan",
        "dec-order",
        "ra-order",
        "dec-90",
        "no-name",
        "duplicate",
        "header-missing",
        "empty",
    ],
)
def test_bad_tile_lists_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tiles.csv"
    path.write_text(text)
    with pytest.raises(TileListError) as caught:
        read_tile_list(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_tile_list(tmp_path: Path) -> None:
    with pytest.raises(TileListError, match=r"cannot read the tile list .*nowhere\.csv"):
        Footprint.from_tile_list(tmp_path / "nowhere.csv")


# --- the demo tiling agrees with the real DES list -------------------------------------------


def test_demo_tiling_agrees_with_des_dr2(des: Footprint) -> None:
    demo = Footprint.from_tiling(demo_tiling())
    common = [tile for tile in demo if tile.name in des]
    assert len(common) > 500  # most of the demo stripe is real DES footprint
    for tile in common:
        real = des.tile(tile.name)
        assert real.ra == pytest.approx(tile.ra, abs=1 * ARCSEC)
        assert real.dec == pytest.approx(tile.dec, abs=1 * ARCSEC)
        for ours, theirs in zip(
            (tile.ra_min, tile.ra_max, tile.dec_min, tile.dec_max),
            (real.ra_min, real.ra_max, real.dec_min, real.dec_max),
            strict=True,
        ):
            assert ours == pytest.approx(theirs, abs=1.5 * ARCSEC)
        assert tile.unique is not None and real.unique is not None
        for ours, theirs in zip(tile.unique, real.unique, strict=True):
            assert ((ours - theirs + 180.0) % 360.0) - 180.0 == pytest.approx(0, abs=1 * ARCSEC)
    # positions: the demo's own look-up (its unique areas) and the real list name the same tile,
    # except within 1" of a unique-area edge (the real corners differ from ours by < 1")
    tiling = demo_tiling()
    rng = np.random.default_rng(11)
    ra = rng.uniform(-50.0, 20.0, 100_000) % 360.0
    dec = rng.uniform(-3.9, 1.8, 100_000)
    located = tiling.locate(ra, dec)
    ours = np.array([tile.name for tile in tiling.tiles] + [None], dtype=object)[located]
    assert (demo.tile_at(ra, dec)[located >= 0] == ours[located >= 0]).all()
    theirs = des.tile_at(ra, dec)
    shared = np.array([name is not None and name in des for name in ours])
    differ = shared & (ours != theirs)
    assert shared.sum() > 50_000
    assert differ.sum() < 0.001 * shared.sum()
    for k in np.flatnonzero(differ):
        owner = demo.tile(str(ours[k]))
        assert owner.unique is not None
        uramin, uramax, udecmin, udecmax = owner.unique
        to_edge = min(
            abs(((ra[k] - uramin + 180) % 360) - 180) * np.cos(np.radians(dec[k])),
            abs(((ra[k] - uramax + 180) % 360) - 180) * np.cos(np.radians(dec[k])),
            abs(dec[k] - udecmin),
            abs(dec[k] - udecmax),
        )
        assert to_edge < 1 * ARCSEC


# --- the demo survey: counts, HEALPix, MOC, images -------------------------------------------


def test_every_catalog_object_is_in_its_tile(survey: Survey) -> None:
    objects = survey.query("SELECT RA, DEC, TILENAME FROM DR1_MAIN")
    assert len(survey.footprint) == 784
    found = survey.tile_at(objects["RA"].quantity, objects["DEC"].quantity)
    assert (found == np.asarray(objects["TILENAME"], dtype=object)).all()


def test_tile_counts_sum_to_the_rows(survey: Survey) -> None:
    counts = survey.tile_counts()
    rows = int(survey.query("SELECT COUNT(*) AS N FROM DR1_MAIN")["N"][0])
    assert sum(counts.values()) == rows
    recorded = survey.query("SELECT TILENAME, NOBJECTS FROM DR1_TILE_INFO")
    for name, n in zip(recorded["TILENAME"], recorded["NOBJECTS"], strict=True):
        assert counts.get(str(name), 0) == n
    m2 = survey.tile("DES2134-0041")
    assert m2.objects == counts["DES2134-0041"] > 4000  # the cluster's stars are here


def test_tile_properties_and_images(survey: Survey, demo_data_dir: Path) -> None:
    tile = survey.tile("DES2359+0001")
    assert tile.crosses_ra0 and tile.ra_max > 360.0
    assert tile.contains(0.1, 0.0) and tile.contains(359.9, 0.0)
    assert tile.center.ra.deg == pytest.approx(359.9528, abs=1e-4)
    assert tile.bands == ("g", "r", "i")
    assert survey.tile_image("DES2359+0001", "G") == (
        demo_data_dir / "images" / "DES2359+0001" / "DES2359+0001_g.fits.fz"
    )
    with pytest.raises(ImageNotFoundError, match="its bands: g, r, i"):
        survey.tile_image("DES2359+0001", "z")
    with pytest.raises(ImageNotFoundError, match="it has no images"):
        survey.tile_image("DES0000-0207", "g")
    with pytest.raises(TileNotFoundError):
        survey.tile_image("DES9999-9999", "g")


def test_images_outside_the_release_are_never_served(demo_data_dir: Path, tmp_path: Path) -> None:
    release = tmp_path / "dr1"
    release.mkdir()
    shutil.copy(demo_data_dir / "catalog.duckdb", release / "catalog.duckdb")
    (release / "images").symlink_to(demo_data_dir / "images")  # the release's own link: kept
    (tmp_path / "secret.fits").write_text("not yours")
    with duckdb.connect(str(release / "catalog.duckdb")) as con:
        con.execute(
            "UPDATE DR1_TILE_INFO SET FITS_G = '../secret.fits', FITS_R = '/etc/passwd' "
            "WHERE TILENAME = 'DES2134-0041'"
        )
    with Survey(Settings(data_dir=release)) as survey:
        tile = survey.footprint.tile("DES2134-0041")
        assert tile.bands == ("i",)
        assert survey.tile_image("DES2134-0041", "i").read_bytes()[:6] == b"SIMPLE"
        with pytest.raises(ImageNotFoundError):
            survey.tile_image("DES2134-0041", "g")


@pytest.mark.parametrize("nside", [1, 2, 16, 32, 64, 512, 1024], ids=lambda n: f"nside-{n}")
def test_healpix_counts_sum_to_the_rows(survey: Survey, nside: int) -> None:
    counts = survey.healpix_counts(nside)
    objects = survey.query("SELECT RA, DEC FROM DR1_MAIN")
    assert counts["COUNT"].sum() == len(objects)
    assert counts.meta["NSIDE"] == nside and counts.meta["ORDERING"] == "NESTED"
    pixels = lonlat_to_healpix(
        objects["RA"].quantity, objects["DEC"].quantity, nside, order="nested"
    )
    expected, expected_counts = np.unique(pixels, return_counts=True)
    assert counts["HPIX"].tolist() == expected.tolist()
    assert counts["COUNT"].tolist() == expected_counts.tolist()


@pytest.mark.parametrize(
    ("nside", "message"),
    [
        (33, "nside must be a power of 2 from 1 to 1024, not 33"),
        (0, "not 0"),
        (-8, "not -8"),
        (2048, "not 2048"),
        (32.0, "not 32.0"),
        ("32", "not '32'"),
        (True, "not True"),
    ],
    ids=["not-power", "zero", "negative", "too-fine", "float", "text", "bool"],
)
def test_bad_nside_is_refused_clearly(survey: Survey, nside: object, message: str) -> None:
    with pytest.raises(NsideError) as caught:
        survey.healpix_counts(nside)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_moc_covers_the_tiles(survey: Survey) -> None:
    moc = survey.moc()
    assert moc.max_order == 10
    centres = [(tile.ra, tile.dec) for tile in survey.footprint]
    ra, dec = (np.array(values) for values in zip(*centres, strict=True))
    assert moc.contains_lonlat(ra * u.deg, dec * u.deg).all()
    outside = moc.contains_lonlat(np.array([100.0, M2_RA]) * u.deg, np.array([0.0, 10.0]) * u.deg)
    assert not outside.any()
    assert survey.moc() is moc  # cached
    assert survey.moc(6).max_order == 6
    with pytest.raises(FootprintError, match="from 0 to 13, not 14"):
        survey.moc(14)


def test_des_moc_area_is_the_des_footprint(des: Footprint) -> None:
    area = des.moc(8).sky_fraction * 4 * np.pi * (180 / np.pi) ** 2
    # 10,169 tiles of 0.714 x 0.714 deg unique area, with the coarse cells' margin
    assert 10_169 * 0.714**2 * 0.98 < area < 10_169 * 0.7306**2 * 1.15


def test_geojson_outlines(des: Footprint) -> None:
    collection = des.geojson()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(des)
    for feature in collection["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]
        lons = [lon for lon, _ in ring]
        assert all(-181.0 < lon < 181.0 for lon in lons)
        assert max(lons) - min(lons) < 3.0  # continuous, also across RA 0
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
        assert area > 0  # counter-clockwise


def test_survey_with_an_external_tile_list(demo_data_dir: Path, des: Footprint) -> None:
    with Survey(Settings(data_dir=demo_data_dir), footprint=des) as survey:
        assert len(survey.footprint) == 10_169
        assert survey.tile_at(M2_RA, M2_DEC) == "DES2134-0041"
        assert survey.tile_at(100.0, -60.0) is None
        assert survey.tile("DES2134-0041").objects > 4000  # counts still come from the catalog


def test_the_footprint_file_setting_serves_the_des_dr2_list(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=demo_data_dir, jobs_dir=tmp_path, footprint_file=DES_TILES)
    with Survey(settings) as survey:
        assert survey.tile_at(M2_RA, M2_DEC) == "DES2134-0041"
        assert survey.tile_at(30.0, -30.0) == "DES0201-2958"  # far outside the demo footprint
        assert survey.tile_at(SkyCoord(30.0, -30.0, unit="deg")) == "DES0201-2958"
        assert len(survey.footprint) == 10_169 and survey.footprint.name == "des_dr2_tiles.csv"
        # the catalog's images still go with the tiles of the same name
        assert set(survey.tile("DES2134-0041").images) == {"g", "r", "i"}
        assert survey.tile("DES0201-2958").images == {}


def test_the_footprint_file_setting_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEYLAB_FOOTPRINT_FILE", str(DES_TILES))
    assert Settings(data_dir=tmp_path).footprint_file == DES_TILES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"SURVEYLAB_FOOTPRINT_FILE: cannot read the tile list .*tiles\.csv"),
        ("DES0201-2958;29.6;-30.4;30.4;-29.6\nDES0202;x;1;2;3\n", r"tiles\.csv:2: rall is not a"),
    ],
    ids=["missing", "malformed-line"],
)
def test_a_bad_footprint_file_is_an_error_at_first_use(
    demo_data_dir: Path, tmp_path: Path, text: str | None, message: str
) -> None:
    path = tmp_path / "tiles.csv"
    if text is not None:
        path.write_text(text)
    settings = Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / "jobs", footprint_file=path)
    survey = Survey(settings)  # nothing is read yet
    with pytest.raises(TileListError, match=message):
        survey.tile_at(M2_RA, M2_DEC)
    survey.close()


def test_footprint_needs_tiles() -> None:
    with pytest.raises(FootprintError, match="at least one tile"):
        Footprint([])
    tile = TileInfo.from_bounds("A", 0.0, 0.0, 1.0, 1.0)
    with pytest.raises(FootprintError, match="tile A is given twice"):
        Footprint([tile, tile])

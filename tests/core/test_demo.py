"""DEMO DR1: the generated release is DES-like, self-consistent, deterministic and atomic."""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import astropy.units as u
import duckdb
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from astropy_healpix import lonlat_to_healpix

from surveylab.demo import (
    M2_DEC,
    M2_EXAMPLE_QUERY,
    M2_RA,
    M2_STARS,
    DemoRelease,
    demo_tiling,
    generate_demo,
    tile_name,
)
from surveylab.demo.anomalies import PER_TILE, SATURATED_ARTEFACT
from surveylab.demo.generate import default_image_tiles

#: The real DES DR2 tile list, beside the checkout (never read by the generator itself).
DES_DR2_TILES = Path(__file__).parents[2].parent / "shared" / "data" / "des_dr2_tiles.csv"

M2_TILE = "DES2134-0041"
M2_NEIGHBOUR = "DES2131-0041"  # west of M2's tile; M2 lies 0.17 deg from their border
SMALL = {
    "objects": 20_000,
    "seed": 7,
    "pixel_scale": 2.0,
    "image_tiles": [M2_TILE, M2_NEIGHBOUR],
    "bands": ("g", "r", "i"),
    "deep_objects": 1000,
}
TILE_NAME = re.compile(r"^DES\d{4}[+-]\d{4}$")
BANDS = ("G", "R", "I", "Z", "Y")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoRelease, list[float]]:
    """A small release, made once for this module, and the progress fractions it reported."""
    fractions: list[float] = []
    out = tmp_path_factory.mktemp("demo") / "dr1"
    release = generate_demo(out, progress=lambda _message, f: fractions.append(f), **SMALL)  # type: ignore[arg-type]
    return release, fractions


@pytest.fixture(scope="module")
def release(generated: tuple[DemoRelease, list[float]]) -> DemoRelease:
    return generated[0]


@pytest.fixture(scope="module")
def db(release: DemoRelease) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(release.catalog), read_only=True)
    yield con
    con.close()


def column(db: duckdb.DuckDBPyConnection, sql: str) -> np.ndarray[Any, Any]:
    """The first column of ``sql``'s result as a numpy array."""
    relation = db.sql(sql)
    values: np.ndarray[Any, Any] = relation.fetchnumpy()[relation.columns[0]]
    return values


def one(db: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The first row of ``sql``'s result."""
    return tuple(db.sql(sql).fetchall()[0])


# ---------------------------------------------------------------------------------------------
# the release folder


def test_release_describes_what_was_written(
    generated: tuple[DemoRelease, list[float]], db: duckdb.DuckDBPyConnection
) -> None:
    release, fractions = generated
    assert release.release == "DEMO DR1"
    assert (release.objects, release.cluster_stars) == (20_000, M2_STARS)
    # two imaged tiles, each with its deep objects, anomalies and the artefacts' saturated stars
    added = 2 * (1000 + sum(PER_TILE.values()) + PER_TILE[SATURATED_ARTEFACT])
    assert release.rows == 20_000 + M2_STARS + added == one(db, "SELECT count(*) FROM DR1_MAIN")[0]
    assert release.anomalies == 2 * sum(PER_TILE.values())
    assert release.anomalies == one(db, "SELECT count(*) FROM DR1_ANOMALY_TRUTH")[0]
    assert release.bands == ("g", "r", "i")
    assert release.tile_pixels == round(2630 / 2.0)
    assert release.image_tiles == (M2_TILE, M2_NEIGHBOUR)
    assert release.tiles == one(db, "SELECT count(*) FROM DR1_TILE_INFO")[0]
    on_disk = json.loads((release.path / "release.json").read_text())
    assert on_disk == {**release.to_json(), "created": on_disk["created"]}
    assert on_disk["generator"] == "surveylab.demo"
    umask = os.umask(0)
    os.umask(umask)
    assert release.path.stat().st_mode & 0o777 == 0o777 & ~umask  # readable as mkdir makes it
    assert sorted(p.name for p in release.path.iterdir()) == [
        "catalog.duckdb",
        "images",
        "release.json",
    ]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0.0 <= fractions[0] < 0.1


MAIN_TYPES = {
    "COADD_OBJECT_ID": "BIGINT",
    "RA": "DOUBLE",
    "DEC": "DOUBLE",
    "TILENAME": "VARCHAR",
    "HPIX_32": "BIGINT",
    "HPIX_1024": "BIGINT",
    **{f"MAG_AUTO_{b}": "FLOAT" for b in BANDS},
    **{f"MAGERR_AUTO_{b}": "FLOAT" for b in BANDS},
    **{f"WAVG_MAG_PSF_{b}": "FLOAT" for b in BANDS},
    "WAVG_SPREAD_MODEL_I": "FLOAT",
    "WAVG_SPREADERR_MODEL_I": "FLOAT",
    "SPREAD_MODEL_I": "FLOAT",
    "CLASS_STAR_I": "FLOAT",
    **{f"FLAGS_{b}": "SMALLINT" for b in BANDS},
    **{f"IMAFLAGS_ISO_{b}": "SMALLINT" for b in BANDS},
    "EBV_SFD98": "FLOAT",
    "EXTENDED_CLASS_COADD": "SMALLINT",
    **{f"FLUX_RADIUS_{b}": "FLOAT" for b in BANDS},
    "A_IMAGE": "FLOAT",
    "B_IMAGE": "FLOAT",
    "THETA_J2000": "FLOAT",
}
TILE_TYPES = {
    "TILENAME": "VARCHAR",
    "RA_CENT": "DOUBLE",
    "DEC_CENT": "DOUBLE",
    **{f"RAC{k}": "DOUBLE" for k in range(1, 5)},
    **{f"DECC{k}": "DOUBLE" for k in range(1, 5)},
    **dict.fromkeys(("URAMIN", "URAMAX", "UDECMIN", "UDECMAX"), "DOUBLE"),
    "CROSSRA0": "VARCHAR",
    "NOBJECTS": "BIGINT",
    **{f"FITS_{b}": "VARCHAR" for b in BANDS},
}


@pytest.mark.parametrize(
    ("table", "types"), [("DR1_MAIN", MAIN_TYPES), ("DR1_TILE_INFO", TILE_TYPES)], ids=str
)
def test_tables_have_des_columns_and_types(
    db: duckdb.DuckDBPyConnection, table: str, types: dict[str, str]
) -> None:
    found = dict(db.sql(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
    assert found == types


def test_object_ids_are_unique(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) = count(DISTINCT COADD_OBJECT_ID) FROM DR1_MAIN") == (True,)


# ---------------------------------------------------------------------------------------------
# tiling


def test_tiles_are_named_and_sized_like_des(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.sql(
        "SELECT TILENAME, RA_CENT, DEC_CENT, UDECMAX - UDECMIN, DECC4 - DECC1, RAC1, RAC2 "
        "FROM DR1_TILE_INFO"
    ).fetchall()
    assert len(rows) > 300
    for name, ra, dec, unique_height, height, east, west in rows:
        assert TILE_NAME.match(name), name
        assert name == tile_name(ra, dec)
        assert unique_height == pytest.approx(2570 / 3600)
        assert height == pytest.approx(0.7306, abs=2e-4)
        width = ((east - west) % 360.0) * math.cos(math.radians(dec))
        assert width == pytest.approx(0.7306, abs=2e-3)
    decs = column(db, "SELECT DEC_CENT FROM DR1_TILE_INFO")
    assert decs.min() - 0.36 > -4.0 and decs.max() + 0.36 < 2.2


def test_tiling_crosses_ra0_with_wrapped_ra(db: duckdb.DuckDBPyConnection) -> None:
    crossing = db.sql(
        "SELECT TILENAME, RA_CENT, URAMIN, URAMAX, RAC1, RAC2 FROM DR1_TILE_INFO "
        "WHERE CROSSRA0 = 'Y'"
    ).fetchall()
    assert crossing, "no tile crosses RA 0"
    for _name, ra, _uramin, _uramax, east, west in crossing:
        assert ra < 1.0 or ra > 359.0
        assert west > 359.0 and east < 1.0  # outer corners wrap, not mirrored
    wrapped = [row for row in crossing if row[2] > row[3]]
    assert wrapped, "some unique area should straddle RA 0"
    for _name, ra, uramin, uramax, _east, _west in wrapped:
        assert uramin > 359.0 and uramax < 1.0
        assert uramin == pytest.approx((ra - (uramax - uramin) % 360.0 / 2.0) % 360.0)
    ras = column(db, "SELECT RA FROM DR1_MAIN")
    assert ras.min() >= 0.0 and ras.max() < 360.0
    assert ((ras < 20.5) | (ras > 309.5)).all() and (ras < 1.0).any() and (ras > 359.0).any()
    assert set(column(db, "SELECT CROSSRA0 FROM DR1_TILE_INFO")) == {"Y", "N"}


def _des_dr2_tiles() -> dict[str, tuple[float, float, float, float]]:
    with DES_DR2_TILES.open() as stream:
        return {
            row["tilename"]: tuple(float(row[k]) for k in ("rall", "decll", "raur", "decur"))  # type: ignore[misc]
            for row in csv.DictReader(stream, delimiter=";")
        }


def _ra_difference(a: float, b: float) -> float:
    return abs(((a - b + 180.0) % 360.0) - 180.0)


def test_tiles_agree_with_the_real_des_dr2_tiles(db: duckdb.DuckDBPyConnection) -> None:
    des = _des_dr2_tiles()
    # outer corners: RAC2/DECC1 is the south-west corner (DES's rall, decll), RAC4/DECC3 the
    # north-east one (raur, decur)
    demo = {
        name: corners
        for name, *corners in db.sql(
            "SELECT TILENAME, RAC2, DECC1, RAC4, DECC3 FROM DR1_TILE_INFO"
        ).fetchall()
    }
    rall, decll, raur, decur = des[M2_TILE]
    assert rall < M2_RA < raur and decll < M2_DEC < decur
    assert demo[M2_TILE] == pytest.approx([rall, decll, raur, decur], abs=1e-4)
    # every real tile centred inside the demo footprint is a demo tile: same name, same corners
    shared = 0
    for name, (rall, decll, raur, decur) in des.items():
        ra_centre = ((rall + raur) / 2.0) % 360.0
        dec_centre = (decll + decur) / 2.0
        if not ((ra_centre >= 310.0 or ra_centre < 19.5) and -3.6 < dec_centre < 1.5):
            continue
        shared += 1
        assert name in demo, name
        west, south, east, north = demo[name]
        assert _ra_difference(west, rall) < 1e-4 and _ra_difference(east, raur) < 1e-4, name
        assert (south, north) == pytest.approx((decll, decur), abs=1e-4), name
    assert shared > 300


def test_every_object_lies_in_its_tiles_unique_area(db: duckdb.DuckDBPyConnection) -> None:
    outside = one(
        db,
        """
        SELECT count(*) FROM DR1_MAIN m JOIN DR1_TILE_INFO t USING (TILENAME)
        WHERE NOT (m.DEC >= t.UDECMIN AND m.DEC < t.UDECMAX
                   AND CASE WHEN t.URAMIN < t.URAMAX THEN m.RA >= t.URAMIN AND m.RA < t.URAMAX
                            ELSE m.RA >= t.URAMIN OR m.RA < t.URAMAX END)
        """,
    )
    assert outside == (0,)
    counts = one(
        db,
        "SELECT sum(NOBJECTS) = (SELECT count(*) FROM DR1_MAIN), "
        "bool_and(NOBJECTS = (SELECT count(*) FROM DR1_MAIN m WHERE m.TILENAME = t.TILENAME)) "
        "FROM DR1_TILE_INFO t",
    )
    assert counts == (True, True)


@pytest.mark.parametrize(
    ("ra", "dec", "expected"),
    [
        (M2_RA, M2_DEC, M2_TILE),
        (0.0, 0.0, "DES2359+0001"),
        (-0.2, 0.0, "DES2359+0001"),  # RA wraps: -0.2 is 359.8, not mirrored to 0.2
        (360.2, 0.0, "DES2359+0001"),
        (0.4, 0.0, "DES0002+0001"),
    ],
    ids=["m2", "origin", "negative-ra", "ra-above-360", "east-of-0"],
)
def test_locate_wraps_ra(ra: float, dec: float, expected: str) -> None:
    tiling = demo_tiling()
    found = tiling.tiles[int(tiling.locate(np.array([ra]), np.array([dec]))[0])]
    assert found.name == expected
    assert found.contains(np.array([ra]), np.array([dec]))[0]
    assert tiling.locate(np.array([ra]), np.array([dec + 10.0]))[0] == -1  # off the footprint


def test_default_images_are_m2_its_neighbours_and_a_tile_across_ra0() -> None:
    tiles = default_image_tiles(demo_tiling())
    assert tiles[0] == M2_TILE and len(tiles) == 10
    assert set(tiles[1:9]) == {
        f"DES{ra}{dec}"
        for ra in ("2131", "2134", "2137")
        for dec in ("-0124", "-0041", "+0001")
        if f"DES{ra}{dec}" != M2_TILE
    }
    assert tiles[9] == "DES2359+0001" and demo_tiling().tile(tiles[9]).crosses_ra0


# ---------------------------------------------------------------------------------------------
# objects


def test_m2_example_query_finds_the_cluster(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.sql(M2_EXAMPLE_QUERY).fetchnumpy()
    assert len(rows["RA"]) > 1000
    offset = np.hypot((rows["RA"] - M2_RA) * math.cos(math.radians(M2_DEC)), rows["DEC"] - M2_DEC)
    assert np.median(offset) < 2.5 / 60.0
    # concentrated: far denser within 2' than in the annulus 5'..7' of the 0.24 deg box
    inner = (offset < 2 / 60).sum() / (math.pi * 2**2)
    annulus = ((offset > 5 / 60) & (offset < 7 / 60)).sum() / (math.pi * (7**2 - 5**2))
    assert inner > 20 * annulus
    # a globular-cluster CMD: turn-off near g ~ 19.3 and giants brighter than g = 17
    g = rows["G"][rows["G"] < 90]
    assert 18.5 < np.percentile(g, 25) < 20.5
    assert (g < 17).sum() > 50


def test_stars_and_galaxies_separate(db: duckdb.DuckDBPyConnection) -> None:
    bright = db.sql(
        "SELECT WAVG_SPREAD_MODEL_I + 3 * WAVG_SPREADERR_MODEL_I AS C, WAVG_SPREAD_MODEL_I AS W, "
        "CLASS_STAR_I AS S, EXTENDED_CLASS_COADD AS E FROM DR1_MAIN "
        "WHERE MAG_AUTO_I < 21 AND WAVG_SPREAD_MODEL_I > -1"
    ).fetchnumpy()
    star = bright["C"] < 0.005
    assert 0.2 < star.mean() < 0.8
    # bimodal: few objects between the star peak at 0 and the galaxies above 0.005
    assert ((bright["W"] > 0.002) & (bright["W"] < 0.004)).mean() < 0.03
    assert np.median(np.abs(bright["W"][star])) < 0.001
    assert np.median(bright["W"][~star]) > 0.008
    assert np.median(bright["S"][star]) > 0.9 and np.median(bright["S"][~star]) < 0.2
    assert np.isin(bright["E"][star], [0, 1]).mean() > 0.95
    assert np.isin(bright["E"][~star], [2, 3]).mean() > 0.95


@pytest.mark.parametrize("band", BANDS)
def test_magnitudes_lie_in_range_with_errors_growing(
    db: duckdb.DuckDBPyConnection, band: str
) -> None:
    data = db.sql(f"SELECT MAG_AUTO_{band} M, MAGERR_AUTO_{band} E FROM DR1_MAIN").fetchnumpy()
    missing = data["M"] == 99
    assert (data["E"][missing] == 99).all() and missing.mean() < 0.35
    mag, err = data["M"][~missing], data["E"][~missing]
    assert mag.min() >= 14.0 and mag.max() <= 26.0 and mag.min() < 17.0
    medians = [np.median(err[(mag >= m) & (mag < m + 1)]) for m in range(15, 22)]
    assert medians == sorted(medians) and medians[0] < 0.01 < medians[-1]


def test_flags_are_mostly_clean(db: duckdb.DuckDBPyConnection) -> None:
    for band in BANDS:
        flags = column(db, f"SELECT FLAGS_{band} FROM DR1_MAIN")
        imaflags = column(db, f"SELECT IMAFLAGS_ISO_{band} FROM DR1_MAIN")
        assert 0.005 < (flags != 0).mean() < 0.1
        assert 0.001 < (imaflags != 0).mean() < 0.05


def test_rows_are_stored_in_healpix_order(db: duckdb.DuckDBPyConnection) -> None:
    hpix = column(db, "SELECT HPIX_1024 FROM DR1_MAIN ORDER BY rowid")
    assert (np.diff(hpix) >= 0).all()


def test_healpix_columns_match_astropy_healpix(db: duckdb.DuckDBPyConnection) -> None:
    data = db.sql("SELECT RA, DEC, HPIX_32, HPIX_1024 FROM DR1_MAIN").fetchnumpy()
    for nside in (32, 1024):
        expected = lonlat_to_healpix(data["RA"] * u.deg, data["DEC"] * u.deg, nside, order="nested")
        assert (data[f"HPIX_{nside}"] == expected).all()


def test_tap_schema_describes_every_column(db: duckdb.DuckDBPyConnection) -> None:
    tables = dict(db.sql("SELECT table_name, description FROM tap_schema.tables").fetchall())
    assert set(tables) == {"DR1_MAIN", "DR1_TILE_INFO", "DR1_ANOMALY_TRUTH"} and all(
        tables.values()
    )
    for table in tables:
        actual = [r[0] for r in db.sql(f"SELECT column_name FROM (DESCRIBE {table})").fetchall()]
        described = db.sql(
            "SELECT column_name, datatype, unit, ucd, description, column_index "
            "FROM tap_schema.columns WHERE table_name = ? ORDER BY column_index",
            params=[table],
        ).fetchall()
        assert [row[0] for row in described] == actual
        for name, datatype, unit, ucd, description, _ in described:
            assert datatype in {"long", "short", "double", "float", "char"}, name
            assert unit is not None and description, name
            assert ucd, name
    units = dict(
        db.sql(
            "SELECT column_name, unit FROM tap_schema.columns WHERE table_name = 'DR1_MAIN'"
        ).fetchall()
    )
    assert units["RA"] == units["DEC"] == "deg"
    assert units["MAG_AUTO_G"] == units["MAGERR_AUTO_Y"] == "mag"
    assert units["COADD_OBJECT_ID"] == ""
    ucd = one(
        db,
        "SELECT ucd FROM tap_schema.columns WHERE table_name = 'DR1_MAIN' AND column_name = 'RA'",
    )
    assert ucd == ("pos.eq.ra;meta.main",)
    assert {row[0] for row in db.sql("SELECT schema_name FROM tap_schema.schemas").fetchall()} >= {
        "main",
        "tap_schema",
    }


# ---------------------------------------------------------------------------------------------
# images


def test_images_are_listed_and_rice_compressed(
    release: DemoRelease, db: duckdb.DuckDBPyConnection
) -> None:
    listed = db.sql(
        "SELECT TILENAME, FITS_G, FITS_R, FITS_I, FITS_Z, FITS_Y, RA_CENT, DEC_CENT "
        "FROM DR1_TILE_INFO WHERE FITS_G IS NOT NULL ORDER BY TILENAME"
    ).fetchall()
    assert [row[0] for row in listed] == sorted([M2_TILE, M2_NEIGHBOUR])
    for name, g, r, i, z, y, ra, dec in listed:
        assert (z, y) == (None, None)
        for band, path in zip("gri", (g, r, i), strict=True):
            assert path == f"images/{name}/{name}_{band}.fits.fz"
            with fits.open(release.path / path) as hdus:
                hdu = hdus[1]
                assert isinstance(hdu, fits.CompImageHDU) and hdu.compression_type == "RICE_1"
                header = hdu.header
                assert hdu.data.shape == (release.tile_pixels, release.tile_pixels)
                assert hdu.data.dtype.kind == "f"
            assert (header["TILENAME"], header["BAND"], header["SURVEY"]) == (
                name,
                band,
                "DEMO DR1",
            )
            assert header["MAGZERO"] == 30.0 and header["EXPTIME"] > 0 and header["FILTER"]
            assert header["FWHM"] in (0.9, 1.0, 1.1)
            assert (header["CRVAL1"], header["CRVAL2"]) == pytest.approx((ra, dec))
            assert header["CD1_1"] == pytest.approx(-2.0 / 3600) and header["CD2_2"] > 0
    assert one(db, "SELECT count(*) FROM DR1_TILE_INFO WHERE FITS_G IS NULL") == (
        release.tiles - 2,
    )


def _check_peaks(
    db: duckdb.DuckDBPyConnection, image_path: Path, band: str, where: str
) -> tuple[int, list[str]]:
    """Check that isolated bright stars matching ``where`` peak (+-1 px) at their WCS pixel.

    Returns how many stars were checked and the TILENAME of each.
    """
    with fits.open(image_path) as hdus:
        image = hdus[1].data.astype(np.float64)
        wcs = WCS(hdus[1].header)
    mag = f"MAG_AUTO_{band.upper()}"
    stars = db.sql(
        f"SELECT RA, DEC, TILENAME FROM DR1_MAIN WHERE {mag} < 21 AND {where} AND "
        "WAVG_SPREAD_MODEL_I + 3 * WAVG_SPREADERR_MODEL_I < 0.005 AND WAVG_SPREAD_MODEL_I > -1"
    ).fetchnumpy()
    x, y = wcs.wcs_world2pix(stars["RA"], stars["DEC"], 0)
    # another object within 6 px could hold the brightest pixel: keep isolated stars only
    every = db.sql(f"SELECT RA, DEC FROM DR1_MAIN WHERE {mag} < 24").fetchnumpy()
    every_x, every_y = wcs.wcs_world2pix(every["RA"], every["DEC"], 0)
    size = image.shape[0]
    tiles: list[str] = []
    for k in range(len(x)):
        if not (5 <= x[k] < size - 5 and 5 <= y[k] < size - 5):
            continue
        if (np.hypot(every_x - x[k], every_y - y[k]) < 6).sum() > 1:
            continue
        cx, cy = round(x[k]), round(y[k])
        box = image[cy - 3 : cy + 4, cx - 3 : cx + 4]
        peak_y, peak_x = np.unravel_index(np.argmax(box), box.shape)
        assert abs(peak_x - 3) <= 1 and abs(peak_y - 3) <= 1, (stars["RA"][k], stars["DEC"][k])
        tiles.append(str(stars["TILENAME"][k]))
    return len(tiles), tiles


@pytest.mark.parametrize("band", ["g", "r", "i"])
def test_bright_stars_peak_where_the_wcs_puts_them(
    release: DemoRelease, db: duckdb.DuckDBPyConnection, band: str
) -> None:
    checked, _ = _check_peaks(db, release.image_path(M2_TILE, band), band, "TRUE")
    assert checked >= 20


def test_images_draw_the_objects_of_neighbouring_tiles(tmp_path: Path) -> None:
    # an image of M2's western neighbour, widened to 1.4 deg, reaches across to M2 itself
    release = generate_demo(
        tmp_path / "demo",
        objects=2000,
        image_tiles=[M2_NEIGHBOUR],
        bands=("r",),
        pixel_scale=4.0,
        tile_pixels=1260,
        deep_objects=0,
    )
    con = duckdb.connect(str(release.catalog), read_only=True)
    try:
        where = f"TILENAME = '{M2_TILE}'"
        checked, tiles = _check_peaks(con, release.image_path(M2_NEIGHBOUR, "r"), "r", where)
    finally:
        con.close()
    assert checked >= 20 and set(tiles) == {M2_TILE}


# ---------------------------------------------------------------------------------------------
# determinism, atomicity, validation

TINY = {
    "objects": 3000,
    "image_tiles": [M2_TILE],
    "bands": ("g",),
    "tile_pixels": 200,
    "deep_objects": 500,
}


def _snapshot(path: Path) -> tuple[Any, Any, np.ndarray[Any, Any], dict[str, Any]]:
    con = duckdb.connect(str(path / "catalog.duckdb"), read_only=True)
    try:
        main = con.sql("SELECT * FROM DR1_MAIN ORDER BY COADD_OBJECT_ID").to_arrow_table()
        tiles = con.sql("SELECT * FROM DR1_TILE_INFO ORDER BY TILENAME").to_arrow_table()
    finally:
        con.close()
    with fits.open(path / "images" / M2_TILE / f"{M2_TILE}_g.fits.fz") as hdus:
        pixels = hdus[1].data.copy()
    meta = json.loads((path / "release.json").read_text())
    del meta["created"]
    return main, tiles, pixels, meta


def test_same_seed_same_release_other_seed_differs(tmp_path: Path) -> None:
    first = _snapshot(generate_demo(tmp_path / "a", seed=11, **TINY).path)  # type: ignore[arg-type]
    again = _snapshot(generate_demo(tmp_path / "b", seed=11, **TINY).path)  # type: ignore[arg-type]
    other = _snapshot(generate_demo(tmp_path / "c", seed=12, **TINY).path)  # type: ignore[arg-type]
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert np.array_equal(first[2], again[2]) and first[3] == again[3]
    assert not first[0].equals(other[0])
    assert not np.array_equal(first[2], other[2])
    assert first[1].drop_columns(["NOBJECTS"]).equals(other[1].drop_columns(["NOBJECTS"]))


@pytest.mark.parametrize("stage", ["Drawing", "Writing", "Rendered image 1/"])
def test_a_failure_leaves_nothing_behind(tmp_path: Path, stage: str) -> None:
    def progress(message: str, _fraction: float) -> None:
        if message.startswith(stage):
            raise RuntimeError("stop here")

    out = tmp_path / "demo"
    with pytest.raises(RuntimeError, match="stop here"):
        generate_demo(
            out,
            objects=2000,
            image_tiles=[M2_TILE, M2_NEIGHBOUR],
            bands=("g", "r"),
            pixel_scale=4.0,
            tile_pixels=128,
            deep_objects=100,
            progress=progress,
        )
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="exists"):
        generate_demo(tmp_path / "demo", objects=100, image_tiles=[])
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert (tmp_path / "demo" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"objects": 0}, "objects must be a positive integer"),
        ({"objects": -5}, "objects must be a positive integer"),
        ({"objects": 2.5}, "objects must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"bands": ("g", "u")}, "unknown band 'u'"),
        ({"bands": ("g", "g")}, "band 'g' given twice"),
        ({"image_tiles": ["DES9999+9999"]}, "unknown image tile.*DES9999"),
        ({"pixel_scale": 0}, "pixel_scale must be a positive"),
        ({"pixel_scale": -1.0}, "pixel_scale must be a positive"),
        ({"pixel_scale": math.nan}, "pixel_scale must be a positive"),
        ({"pixel_scale": 0.01}, "the largest is 20000"),
        ({"tile_pixels": 0}, "tile_pixels must be a positive integer"),
        ({"tile_pixels": 10**6}, "tile_pixels must lie between"),
        ({"deep_objects": -1}, "deep_objects must be a non-negative integer"),
        ({"deep_objects": 2.5}, "deep_objects must be a non-negative integer"),
        ({"deep_objects": True}, "deep_objects must be a non-negative integer"),
    ],
    ids=lambda value: str(value) if not isinstance(value, dict) else "-".join(map(str, value)),
)
def test_bad_input_is_refused_up_front(
    tmp_path: Path, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo(tmp_path / "demo", **{"objects": 100, **arguments})
    assert list(tmp_path.iterdir()) == []

"""DEMO DR1's sky: a DES-density imaged tile whose pixels agree with the catalog, and injected
anomalies listed in DR1_ANOMALY_TRUTH whose signatures show in both."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from surveylab.demo import DemoRelease, demo_tiling, generate_demo
from surveylab.demo.anomalies import ANOMALY_TYPES, PER_TILE
from surveylab.demo.generate import default_image_tiles

#: The tile across RA 0 (no cluster: field density), imaged whole at 1″ a pixel.
TILE = default_image_tiles(demo_tiling())[-1]
DEEP = 4000
SKY = {
    "objects": 2000,
    "seed": 5,
    "pixel_scale": 1.0,
    "image_tiles": [TILE],
    "bands": ("g", "r", "i"),
    "deep_objects": DEEP,
}
FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def sky(tmp_path_factory: pytest.TempPathFactory) -> DemoRelease:
    return generate_demo(tmp_path_factory.mktemp("sky") / "dr1", **SKY)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def db(sky: DemoRelease) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(sky.catalog), read_only=True)
    yield con
    con.close()


class Image:
    """One band's pixels, its WCS and sky noise."""

    def __init__(self, release: DemoRelease, band: str) -> None:
        with fits.open(release.image_path(TILE, band)) as hdus:
            self.pixels: FloatArray = hdus[1].data.astype(np.float64)
            self.wcs = WCS(hdus[1].header)
            self.noise = float(hdus[1].header["SKYSIGMA"])
            self.scale = float(hdus[1].header["PIXSCAL1"])

    def xy(self, ra: FloatArray, dec: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = self.wcs.wcs_world2pix(ra, dec, 0)
        return np.asarray(x), np.asarray(y)

    def aperture(self, x: float, y: float, radius: float, inner: float = 0.0) -> float:
        """Sum of the pixels at ``inner`` <= distance < ``radius`` pixels from (x, y)."""
        r = math.ceil(radius) + 1
        cx, cy = round(x), round(y)
        box = self.pixels[cy - r : cy + r + 1, cx - r : cx + r + 1]
        yy, xx = np.mgrid[cy - r : cy + r + 1, cx - r : cx + r + 1]
        distance = np.hypot(xx - x, yy - y)
        return float(box[(distance >= inner) & (distance < radius)].sum())

    def inside(self, x: FloatArray, y: FloatArray, margin: float) -> npt.NDArray[np.bool_]:
        size = self.pixels.shape[0]
        inside: npt.NDArray[np.bool_] = (
            (x > margin) & (x < size - margin) & (y > margin) & (y < size - margin)
        )
        return inside


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    return db.sql(sql).fetchnumpy()


def isolated(
    db: duckdb.DuckDBPyConnection, ra: FloatArray, dec: FloatArray, arcsec: float
) -> npt.NDArray[np.bool_]:
    """Whether no other object brighter than i = 25 lies within ``arcsec``."""
    every = rows(db, f"SELECT RA, DEC FROM DR1_MAIN WHERE TILENAME = '{TILE}'")
    cos = math.cos(math.radians(float(np.median(dec))))
    keep = []
    for k in range(len(ra)):
        d = np.hypot((every["RA"] - ra[k]) * cos, every["DEC"] - dec[k]) * 3600.0
        keep.append((d < arcsec).sum() == 1)
    return np.array(keep, dtype=bool)


def test_imaged_tile_has_the_deep_population(
    sky: DemoRelease, db: duckdb.DuckDBPyConnection
) -> None:
    counts = dict(db.sql("SELECT TILENAME, NOBJECTS FROM DR1_TILE_INFO").fetchall())
    others = np.array([n for name, n in counts.items() if name != TILE])
    assert counts[TILE] > DEEP + np.median(others)
    assert sky.deep_objects == DEEP and sky.anomalies == sum(PER_TILE.values())
    faint = rows(
        db, f"SELECT MAG_AUTO_I M FROM DR1_MAIN WHERE TILENAME = '{TILE}' AND MAG_AUTO_I < 90"
    )["M"]
    # DES-like number counts: most objects are faint, down to i ~ 24
    assert np.median(faint) > 22.5 and np.percentile(faint, 95) > 23.8


@pytest.mark.parametrize("kind", ["star", "galaxy"])
def test_aperture_flux_matches_mag_auto(
    db: duckdb.DuckDBPyConnection, sky: DemoRelease, kind: str
) -> None:
    image = Image(sky, "i")
    cls = "<= 1" if kind == "star" else "= 3"
    bright = rows(
        db,
        "SELECT m.RA, m.DEC, MAG_AUTO_I M, FLUX_RADIUS_I R FROM DR1_MAIN m LEFT JOIN "
        "DR1_ANOMALY_TRUTH t USING (COADD_OBJECT_ID) WHERE t.COADD_OBJECT_ID IS NULL AND "
        f"m.TILENAME = '{TILE}' AND MAG_AUTO_I BETWEEN 17 AND 20 AND EXTENDED_CLASS_COADD {cls}",
    )
    x, y = image.xy(bright["RA"], bright["DEC"])
    keep = image.inside(x, y, 40) & isolated(db, bright["RA"], bright["DEC"], 12.0)
    assert keep.sum() >= 8
    offsets = []
    for k in np.flatnonzero(keep):
        # an aperture of 4 half-light radii (at least 4″), sky from an annulus beyond it
        radius = max(4.0 * bright["R"][k] * 0.263, 4.0) / image.scale
        annulus = image.aperture(x[k], y[k], radius + 6, radius + 2)
        area = math.pi * ((radius + 6) ** 2 - (radius + 2) ** 2)
        flux = image.aperture(x[k], y[k], radius) - annulus / area * math.pi * radius**2
        offsets.append(30.0 - 2.5 * math.log10(flux) - bright["M"][k])
    assert abs(np.median(offsets)) < 0.1
    assert np.percentile(np.abs(offsets), 80) < 0.25


def _half_light_radius(image: Image, x: float, y: float) -> float:
    """The radius (pixels) holding half the light within 8″."""
    outer = 8.0 / image.scale
    total = image.aperture(x, y, outer)
    radii = np.linspace(0.2, outer, 80)
    enclosed = np.array([image.aperture(x, y, r) for r in radii])
    return float(np.interp(0.5 * total, enclosed, radii))


def test_light_profiles_follow_the_morphology_columns(
    db: duckdb.DuckDBPyConnection, sky: DemoRelease
) -> None:
    image = Image(sky, "i")
    bright = rows(
        db,
        "SELECT m.RA, m.DEC, EXTENDED_CLASS_COADD E, FLUX_RADIUS_I R, SPREAD_MODEL_I S "
        "FROM DR1_MAIN m LEFT JOIN DR1_ANOMALY_TRUTH t USING (COADD_OBJECT_ID) WHERE "
        f"t.COADD_OBJECT_ID IS NULL AND m.TILENAME = '{TILE}' AND MAG_AUTO_I BETWEEN 16.5 AND "
        "20.5",
    )
    x, y = image.xy(bright["RA"], bright["DEC"])
    keep = image.inside(x, y, 40) & isolated(db, bright["RA"], bright["DEC"], 12.0)
    measured = np.array(
        [_half_light_radius(image, x[k], y[k]) * image.scale for k in np.flatnonzero(keep)]
    )
    # the catalog's radii are DES's (0.263″ pixels): 1″ pixels widen a profile by their own
    # variance, 1/12 pixel² per axis
    cls = bright["E"][keep]
    catalog = np.sqrt((bright["R"][keep] * 0.263) ** 2 + 1.386 * image.scale**2 / 12.0)
    stars, galaxies = measured[cls <= 1], measured[cls == 3]
    assert len(stars) >= 5 and len(galaxies) >= 5
    # galaxies are wider than the PSF, and the catalog's FLUX_RADIUS follows the pixels
    assert np.median(galaxies) > 1.3 * np.median(stars)
    assert 0.85 < np.median(stars / catalog[cls <= 1]) < 1.15
    assert 0.8 < np.median(galaxies / catalog[cls == 3]) < 1.25
    assert np.corrcoef(np.log(measured), np.log(catalog))[0, 1] > 0.8


@pytest.fixture(scope="module")
def truth(db: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return rows(
        db,
        "SELECT t.*, m.TILENAME MAIN_TILE, m.MAG_AUTO_G G, m.MAG_AUTO_R R, m.MAG_AUTO_I I, "
        "m.MAG_AUTO_Z Z, m.FLUX_RADIUS_I FR, m.FLUX_RADIUS_G FRG, m.A_IMAGE A, m.B_IMAGE B, "
        "m.THETA_J2000 THETA, "
        "m.SPREAD_MODEL_I S, m.EXTENDED_CLASS_COADD E, m.FLAGS_I F FROM DR1_ANOMALY_TRUTH t "
        "LEFT JOIN DR1_MAIN m USING (COADD_OBJECT_ID) ORDER BY COADD_OBJECT_ID",
    )


def test_truth_rows_are_main_rows_in_the_imaged_tile(
    db: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    assert len(truth["COADD_OBJECT_ID"]) == sum(PER_TILE.values())
    assert set(truth["MAIN_TILE"]) == set(truth["TILENAME"]) == {TILE}
    counts = {name: int((truth["ANOMALY_TYPE"] == name).sum()) for name in ANOMALY_TYPES.values()}
    assert counts == {ANOMALY_TYPES[code]: n for code, n in PER_TILE.items()}
    described = db.sql(
        "SELECT column_name, datatype FROM tap_schema.columns WHERE table_name = "
        "'DR1_ANOMALY_TRUTH' ORDER BY column_index"
    ).fetchall()
    assert described == [
        ("COADD_OBJECT_ID", "long"),
        ("ANOMALY_TYPE", "char"),
        ("RA", "double"),
        ("DEC", "double"),
        ("TILENAME", "char"),
    ]
    assert db.sql(
        "SELECT count(*) FROM tap_schema.tables WHERE table_name = 'DR1_ANOMALY_TRUTH'"
    ).fetchall() == [(1,)]


def _of(truth: dict[str, Any], kind: str) -> dict[str, Any]:
    chosen = truth["ANOMALY_TYPE"] == kind
    return {name: values[chosen] for name, values in truth.items()}


def test_anomalies_are_outliers_in_their_columns(
    db: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    normal = rows(
        db,
        "SELECT MAG_AUTO_G - MAG_AUTO_R GR, MAG_AUTO_R - MAG_AUTO_I RI, FLUX_RADIUS_G FR, "
        "1 - B_IMAGE / A_IMAGE ELL FROM DR1_MAIN WHERE MAG_AUTO_I < 21 AND MAG_AUTO_G < 90 AND "
        "COADD_OBJECT_ID NOT IN (SELECT COADD_OBJECT_ID FROM DR1_ANOMALY_TRUTH)",
    )
    lens = _of(truth, "lens")
    # blue in g - r yet red in r - i, and in g (the arc) wider than 99% of bright objects
    assert (lens["R"] - lens["I"] > 0.45).all() and (lens["G"] - lens["R"] < 0.7).all()
    assert (lens["FRG"] > np.percentile(normal["FR"], 99)).all()
    assert (lens["FRG"] > 1.5 * lens["FR"]).all()
    red = _of(truth, "red_compact")
    assert (red["R"] - red["I"] > np.percentile(normal["RI"], 99.9)).all()
    assert (red["E"] <= 1).all()
    trail = _of(truth, "trail")
    ellipticity = 1.0 - trail["B"] / trail["A"]
    assert (ellipticity > np.percentile(normal["ELL"], 99.9)).all() and (trail["A"] > 100).all()
    artefact = _of(truth, "saturated_artefact")
    assert ((artefact["F"] & 4) == 4).all() and (1.0 - artefact["B"] / artefact["A"] > 0.8).all()


def test_anomalies_show_in_the_pixels(sky: DemoRelease, truth: dict[str, Any]) -> None:
    images = {band: Image(sky, band) for band in "gri"}
    scale = images["g"].scale
    lens = _of(truth, "lens")
    for band_image in (images["g"],):
        x, y = band_image.xy(lens["RA"], lens["DEC"])
        for k in np.flatnonzero(band_image.inside(x, y, 30)):
            # the arc: far more g light at 1.5-3″ than in the next ring out
            ring = band_image.aperture(x[k], y[k], 3.6 / scale, 1.2 / scale)
            beyond = band_image.aperture(x[k], y[k], 6.0 / scale, 3.6 / scale)
            assert ring > 3.0 * abs(beyond) + 5.0 * band_image.noise * 10
    red = _of(truth, "red_compact")
    x, y = images["i"].xy(red["RA"], red["DEC"])
    for k in np.flatnonzero(images["i"].inside(x, y, 10)):
        i_flux = images["i"].aperture(x[k], y[k], 3.0 / scale)
        g_flux = images["g"].aperture(x[k], y[k], 3.0 / scale)
        assert i_flux > 20 * max(g_flux, 3.0 * images["g"].noise * 3.0 / scale)
    trail = _of(truth, "trail")
    for j in range(len(trail["RA"])):
        band = "gri"[int(np.argmin([trail["G"][j], trail["R"][j], trail["I"][j]]))]
        theta = math.radians(float(trail["THETA"][j]))
        x, y = images[band].xy(trail["RA"][j : j + 1], trail["DEC"][j : j + 1])
        # 60″ from the middle, along the trail: bright in its band only
        px, py = x[0] - math.sin(theta) * 60 / scale, y[0] + math.cos(theta) * 60 / scale
        if not images[band].inside(np.array([px]), np.array([py]), 5)[0]:
            continue
        other = next(b for b in "gri" if b != band)
        on = images[band].aperture(px, py, 3.0)
        off = images[other].aperture(px, py, 3.0)
        assert on > 10 * images[band].noise and on > 5 * abs(off)
    artefact = _of(truth, "saturated_artefact")
    x, y = images["i"].xy(artefact["RA"], artefact["DEC"])
    for k in np.flatnonzero(images["i"].inside(x, y, 40)):
        # along the bleed trail (north-south through the detection): above the sky on both sides
        up = images["i"].aperture(x[k], y[k] + 3.0 / scale, 1.5)
        across = images["i"].aperture(x[k] + 6.0 / scale, y[k], 1.5)
        assert up > 10 * images["i"].noise and up > 3 * abs(across)


def test_pixels_do_not_depend_on_the_worker_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from surveylab.demo import generate

    small = {
        "objects": 2000,
        "image_tiles": [TILE, default_image_tiles(demo_tiling())[0]],
        "bands": ("g", "r"),
        "tile_pixels": 300,
        "deep_objects": 2000,
        "pixel_scale": 0.6,
    }
    pooled = generate_demo(tmp_path / "pool", **small)  # type: ignore[arg-type]
    monkeypatch.setattr(generate, "_workers", lambda jobs: 0)
    alone = generate_demo(tmp_path / "alone", **small)  # type: ignore[arg-type]
    for tile in pooled.image_tiles:
        for band in pooled.bands:
            with (
                fits.open(pooled.image_path(tile, band)) as a,
                fits.open(alone.image_path(tile, band)) as b,
            ):
                assert np.array_equal(a[1].data, b[1].data), (tile, band)

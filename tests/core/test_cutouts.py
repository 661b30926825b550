"""Cutout jobs on the demo survey: pixel truth, stitching, bad input, executors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS
from PIL import Image

from surveylab import Settings, Survey
from surveylab.cutouts import des_name, parse_csv
from surveylab.errors import (
    CutoutError,
    CutoutInputError,
    CutoutLimitError,
    CutoutSizeError,
    PositionError,
    UnknownBandError,
)
from surveylab.footprint import Footprint, TileInfo
from surveylab.jobs import Phase

BANDS = ["g", "r", "i"]
M2_TILE = "DES2134-0041"


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("cutout-jobs")
    settings = Settings(data_dir=demo_data_dir, jobs_dir=jobs, max_active_jobs=20)
    with Survey(settings) as opened:
        yield opened


def completed(job: Any) -> dict[str, Any]:
    record = job.wait(120)
    assert record.phase is Phase.COMPLETED, (record.phase, record.error)
    summary: dict[str, Any] = job.summary()
    return summary


def files_of(job: Any) -> dict[str, Path]:
    return {path.name: path for path in job.files}


# --- parsing ------------------------------------------------------------------------------------

GOOD_CSV = [
    ("ra-dec", "RA,DEC\n323.36,-0.82\n", {"ra": 323.36, "dec": -0.82}),
    ("any-case-comments", "# my list\n\nra,Dec\n# skipped\n10,1\n", {"ra": 10.0, "dec": 1.0}),
    ("negative-ra-wraps", "RA,DEC\n-0.5,0.1\n", {"ra": 359.5, "dec": 0.1}),
    ("sexagesimal", "RA,DEC\n21:33:27,-00:49:24\n", {"ra": 323.3625, "dec": -0.823333}),
    ("object-id", "coadd_object_id\n123456\n", {"object_id": 123456}),
    (
        "row-options",
        "RA,DEC,XSIZE,YSIZE,BANDS,RGB,RGB_Q\n1,0,2,0.5,g;r,irg,8\n",
        {
            "options": {
                "xsize": 2.0,
                "ysize": 0.5,
                "bands": ["g", "r"],
                "rgb": ["i", "r", "g"],
                "rgb_q": 8.0,
            }
        },
    ),
    ("desaccess-aliases", "RA,DEC,COLORS_FITS\n1,0,gri\n", {"options": {"bands": BANDS}}),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in GOOD_CSV], ids=[c[0] for c in GOOD_CSV]
)
def test_csv_rows_are_read(text: str, expected: dict[str, Any]) -> None:
    targets, problems = parse_csv(text, BANDS, 100)
    assert [p for p in problems if "ignored" not in p.error] == []
    target = targets[0]
    for key, value in expected.items():
        got = getattr(target, key)
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=1e-5)
        else:
            assert got == value


BAD_ROWS = [
    ("missing-column", "323.36", "line 3: expected the column(s) RA, DEC, got 1 field(s)"),
    ("not-a-number", "abc,1", "line 3: RA is not a number: 'abc'"),
    ("empty-dec", "10,", "line 3: DEC is empty"),
    ("dec-over-90", "10,95", "line 3: DEC 95 is outside -90..+90 deg"),
    ("size-zero", "10,1,0", "line 3: XSIZE must be from 0.1 to 12 arcmin, not 0 arcmin"),
    ("size-100", "10,1,100", "line 3: XSIZE must be from 0.1 to 12 arcmin, not 100 arcmin"),
    ("unknown-band", "10,1,1,q", "line 3: BANDS: unknown band 'q'; the release has g, r, i"),
]


@pytest.mark.parametrize(
    ("row", "message"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_a_bad_csv_row_is_named_and_the_others_go_on(row: str, message: str) -> None:
    text = f"RA,DEC,XSIZE,BANDS\n1,0\n{row}\n2,0\n"
    targets, problems = parse_csv(text, BANDS, 100)
    assert [t.row for t in targets] == [2, 4]
    assert [p.error for p in problems] == [message]


BAD_UPLOADS = [
    ("empty", "", CutoutInputError, "the CSV upload is empty"),
    ("only-comments", "# nothing\n\n", CutoutInputError, "the CSV upload is empty"),
    ("header-only", "RA,DEC\n", CutoutInputError, "has a header (line 1) but no rows"),
    ("no-position-column", "X,Y\n1,2\n", CutoutInputError, "must have the columns RA,DEC"),
    ("every-row-bad", "RA,DEC\nx,1\n1,99\n", CutoutInputError, "no row of the CSV upload"),
    ("huge", "RA,DEC\n" + "1,0\n" * 11, CutoutLimitError, "11 positions requested"),
]


@pytest.mark.parametrize(
    ("text", "error", "message"), [c[1:] for c in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS]
)
def test_an_unusable_upload_is_refused_whole(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        parse_csv(text, BANDS, 10)


def test_des_names() -> None:
    assert des_name(323.36, -0.82) == "DESJ213326.40-004912.0"
    assert des_name(359.9999999, -0.0000001) == "DESJ235959.99-000000.0"
    assert des_name(10.684, 41.269) == "DESJ004244.16+411608.4"


REFUSED = [
    ("size-0", {"size": 0}, CutoutSizeError, "size must be from 0.1 to 12 arcmin, not 0"),
    ("size-100", {"size": 100}, CutoutSizeError, "not 100 arcmin"),
    ("size-quantity", {"size": 1 * u.deg}, CutoutSizeError, "not 60 arcmin"),
    ("unknown-band", {"bands": "gq"}, UnknownBandError, "unknown band 'q'; the release has"),
    ("rgb-two-bands", {"rgb": "gr"}, CutoutError, "a colour image needs 3 different bands"),
    ("nothing-to-make", {"bands": []}, CutoutError, "nothing to make"),
    ("no-positions", {"positions": []}, CutoutInputError, "no positions given"),
    ("dec-95", {"positions": [(1.0, 95.0)]}, PositionError, "position 1: Dec 95 is outside"),
    ("bad-text", {"positions": ["hello"]}, PositionError, "position 1: 'hello' is not a position"),
    ("two-inputs", {"ids": [1], "csv": "RA,DEC\n1,0\n"}, CutoutError, "give exactly one of"),
]


@pytest.mark.parametrize(
    ("arguments", "error", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_bad_requests_are_refused_before_a_job_exists(
    survey: Survey, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    before = len(survey.jobs())
    arguments = {"positions": [(323.36, -0.82)], **arguments}
    if "ids" in arguments or "csv" in arguments:
        arguments.pop("positions")
    with pytest.raises(error, match=re.escape(message)):
        survey.cutouts(**arguments)
    assert len(survey.jobs()) == before


def test_the_position_cap_is_configurable(demo_data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=demo_data_dir, jobs_dir=tmp_path, cutout_max_positions=3)
    with Survey(settings) as small, pytest.raises(CutoutLimitError, match="at most 3"):
        small.cutouts([(1.0, 0.0)] * 4)


# --- pixel truth on the demo survey --------------------------------------------------------------


def bright_objects(survey: Survey, count: int) -> Any:
    """Bright objects around the M2 tile (imaged with its neighbours), away from the cluster."""
    return survey.query(
        f"""SELECT COADD_OBJECT_ID, RA, DEC, TILENAME FROM DR1_MAIN
        WHERE MAG_AUTO_I < 21 AND ABS(RA - 323.548) < 0.9 AND ABS(DEC + 0.697) < 0.9
          AND (RA - 323.36) * (RA - 323.36) + (DEC + 0.82) * (DEC + 0.82) > 0.04
        ORDER BY MAG_AUTO_I FETCH FIRST {count} ROWS ONLY"""
    )


def test_a_cutout_of_an_object_has_its_peak_at_the_centre(survey: Survey) -> None:
    stars = bright_objects(survey, 8)
    assert len(stars) == 8
    job = survey.cutouts(ids=[int(i) for i in stars["COADD_OBJECT_ID"]], bands="gri")
    summary = completed(job)
    files = files_of(job)
    assert summary["counts"]["ok"] == 8 and summary["counts"]["files"] == 8 * 6
    for star, entry in zip(stars, summary["positions"], strict=True):
        assert entry["id"] == star["COADD_OBJECT_ID"] and entry["tile"] == star["TILENAME"]
        for band in BANDS:
            name = f"{star['TILENAME']}_{star['COADD_OBJECT_ID']}_{band}.fits"
            with fits.open(files[name]) as hdul:
                hdul.verify("exception")
                data, header = hdul[0].data, hdul[0].header
            ny, nx = data.shape
            assert (nx, ny) == (15, 15)  # 1' at 4"/px
            peak_y, peak_x = np.unravel_index(np.argmax(data), data.shape)
            assert abs(peak_x - nx // 2) <= 1 and abs(peak_y - ny // 2) <= 1, (name, peak_x)
            x, y = WCS(header).world_to_pixel(SkyCoord(star["RA"], star["DEC"], unit="deg"))
            assert abs(x - nx // 2) <= 0.5 and abs(y - ny // 2) <= 0.5
            assert header["OBJ_ID"] == star["COADD_OBJECT_ID"]
            assert header["TILENAME"] == star["TILENAME"] and header["BAND"] == band
            assert header["SRCFILE"] == f"{star['TILENAME']}_{band}.fits.fz"
            assert header["COVERAGE"] == 1.0 and header["STITCHED"] is entry["stitched"]


def test_a_cutout_inside_a_tile_is_an_exact_slice_like_cutout2d(
    survey: Survey, demo_data_dir: Path
) -> None:
    position = SkyCoord(323.7, -0.55, unit="deg")
    job = survey.cutouts(position, size=(1.5, 1.0))
    completed(job)
    (fits_path,) = [p for p in job.files if p.suffix == ".fits"]
    tile_path = survey.tile_image(M2_TILE, "i")
    with fits.open(tile_path) as tile, fits.open(fits_path) as cut:
        reference = Cutout2D(tile[1].data, position, (15, 22), wcs=WCS(tile[1].header))
        np.testing.assert_array_equal(cut[0].data, reference.data)
        ours = WCS(cut[0].header)
        assert ours.wcs.crpix.tolist() == reference.wcs.wcs.crpix.tolist()
        assert ours.wcs.crval.tolist() == reference.wcs.wcs.crval.tolist()


def test_positions_across_ra_0_wrap(survey: Survey) -> None:
    job = survey.cutouts([(-0.02, 0.1), (359.98, 0.1), (0.02, 0.1)], previews=False)
    summary = completed(job)
    tiles = [entry["tile"] for entry in summary["positions"]]
    assert tiles == ["DES2359+0001"] * 3
    first, second, third = (files_of(job)[entry["files"][0]] for entry in summary["positions"])
    assert fits.getdata(first).tolist() == fits.getdata(second).tolist()  # -0.02 is 359.98
    ra = [WCS(fits.getheader(path)).pixel_to_world(7, 7).ra.deg for path in (second, third)]
    assert ra[0] == pytest.approx(359.98, abs=2 / 3600)
    assert ra[1] == pytest.approx(0.02, abs=2 / 3600)


def test_outside_positions_fail_alone_and_colour_images_are_made(survey: Survey) -> None:
    job = survey.cutouts(
        [(323.36, -0.82), (100.0, 0.0), (330.0, -3.0)], bands="i", rgb="irg", size=2, name="mix"
    )
    summary = completed(job)
    entries = summary["positions"]
    assert [e["status"] for e in entries] == ["ok", "error", "error"]
    assert entries[1]["error"] == "row 2: outside the footprint: no tile holds this position"
    assert entries[2]["error"].startswith("row 3: outside the imaged footprint: tile DES")
    log = survey.runner.store.read_log(job.id)
    assert "failed: row 2: outside the footprint" in log
    record = job.record
    assert record.rows == 3 and record.progress == 1.0
    files = files_of(job)
    stem = "DES2134-0041_DESJ213326.40-004912.0"
    assert sorted(entries[0]["files"]) == sorted(
        [f"{stem}_i.fits", f"{stem}_i.png", f"{stem}_irg.png", f"{stem}_irg.jpg"]
    )
    with Image.open(files[f"{stem}_irg.png"]) as png:
        assert png.mode == "RGB" and png.size == (30, 30)
    with Image.open(files[f"{stem}_i.png"]) as preview:
        assert preview.mode == "L"
    assert "summary.json" in files
    assert not [p for p in job.files[0].parent.iterdir() if ".part-" in p.name]


def test_a_job_with_no_position_inside_ends_in_error(survey: Survey) -> None:
    job = survey.cutouts([(100.0, 0.0)])
    record = job.wait(60)
    assert record.phase is Phase.ERROR
    assert record.error == "no cutout could be made: all 1 position(s) failed; see summary.json"
    assert json.loads(files_of(job)["summary.json"].read_text())["counts"]["error"] == 1


def test_unknown_ids_and_bad_rows_are_reported_by_row(survey: Survey) -> None:
    star = bright_objects(survey, 1)[0]
    text = f"COADD_OBJECT_ID,XSIZE\n{star['COADD_OBJECT_ID']},0.5\n42,\nabc,\n"
    job = survey.cutouts(csv=text, previews=False)
    assert job.record.parameters["problems"] == [
        {"row": 4, "error": "line 4: COADD_OBJECT_ID must be a whole number, not 'abc'"}
    ]
    summary = completed(job)
    by_row = {entry["row"]: entry for entry in summary["positions"]}
    assert by_row[2]["status"] == "ok" and by_row[2]["xsize"] == 0.5
    assert by_row[3]["error"] == "row 3: COADD_OBJECT_ID 42 is not in DR1_MAIN"
    assert summary["rejected"] == job.record.parameters["problems"]
    assert "skipped: line 4" in survey.runner.store.read_log(job.id)


def test_list_only_lists_tiles_and_files(survey: Survey) -> None:
    job = survey.cutouts([(323.36, -0.82)], bands="gr", list_only=True)
    summary = completed(job)
    (entry,) = summary["positions"]
    assert entry["tiles"] == [M2_TILE] and entry["files"] == []
    assert entry["images"] == {M2_TILE: {"g": f"{M2_TILE}_g.fits.fz", "r": f"{M2_TILE}_r.fits.fz"}}
    assert [p.name for p in job.files] == ["summary.json"]


# --- stitching: tiles cut from one larger image ------------------------------------------------

SCALE = 1.0 / 3600.0  # 1"/px
SIDE = 240  # tile side, pixels
OVERLAP = 20


def sky_model(ra: Any, dec: Any) -> Any:
    """A smooth sky: a gradient and a few round sources (sigma 4")."""
    sources = [(10.0 - 230 * SCALE, 0.0, 500.0), (10.0 - 210 * SCALE, 5 * SCALE, 300.0),
               (10.0 - 250 * SCALE, -8 * SCALE, 800.0)]  # fmt: skip
    value = 100.0 + 2000.0 * (ra - 10.0) + 1000.0 * dec
    for ra0, dec0, flux in sources:
        r2 = (((ra - ra0) * np.cos(np.radians(dec0))) ** 2 + (dec - dec0) ** 2) / SCALE**2
        value = value + flux * np.exp(-r2 / (2 * 4.0**2))
    return value


def tile_header(crval: tuple[float, float], crpix: tuple[float, float]) -> fits.Header:
    header = fits.Header()
    for key, value in (
        ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CRVAL1", crval[0]),
        ("CRVAL2", crval[1]), ("CRPIX1", crpix[0]), ("CRPIX2", crpix[1]),
        ("CD1_1", -SCALE), ("CD1_2", 0.0), ("CD2_1", 0.0), ("CD2_2", SCALE), ("BAND", "i"),
    ):  # fmt: skip
        header[key] = value
    return header


def synthetic_footprint(folder: Path, shared_tangent: bool) -> Footprint:
    """Two tiles side by side in RA, 20 px overlap, rendered from :func:`sky_model`."""
    shift = SIDE - OVERLAP  # B's pixel x = A's pixel x - shift
    centre = (SIDE + 1) / 2.0
    headers = {
        "TILEA": tile_header((10.0, 0.0), (centre, centre)),
        "TILEB": tile_header((10.0, 0.0), (centre - shift, centre))
        if shared_tangent
        else tile_header((10.0 - shift * SCALE, 0.0), (centre, centre)),
    }
    boundary_x = SIDE - OVERLAP / 2.0 - 0.5  # in A's pixels
    wcs_a = WCS(headers["TILEA"])
    boundary_ra = float(wcs_a.pixel_to_world_values(boundary_x, centre - 1)[0])
    half = SIDE / 2.0 * SCALE
    tiles = []
    for name, header in headers.items():
        wcs = WCS(header)
        yy, xx = np.mgrid[0:SIDE, 0:SIDE]
        ra, dec = wcs.pixel_to_world_values(xx, yy)
        path = folder / f"{name}_i.fits"
        fits.PrimaryHDU(sky_model(ra, dec).astype(np.float32), header).writeto(path)
        edges = np.array([[-0.5, -0.5], [SIDE - 0.5, -0.5], [SIDE - 0.5, SIDE - 0.5],
                          [-0.5, SIDE - 0.5]])  # fmt: skip
        corner_ra, corner_dec = wcs.pixel_to_world_values(edges[:, 0], edges[:, 1])
        east, west = float(corner_ra.max()), float(corner_ra.min())
        unique = (
            (boundary_ra, east, -half, half)
            if name == "TILEA"
            else (west, boundary_ra, -half, half)
        )
        ra_c, dec_c = wcs.pixel_to_world_values(centre - 1, centre - 1)
        corners = list(zip(corner_ra.tolist(), corner_dec.tolist(), strict=True))
        tile = TileInfo.from_corners(name, float(ra_c), float(dec_c), corners, unique)
        tiles.append(replace(tile, images={"i": path}))
    return Footprint(tiles, name="synthetic")


@pytest.mark.parametrize(
    ("shared_tangent", "tolerance"),
    [(True, 1e-5), (False, 0.01)],
    ids=["shared-tangent-point-exact", "own-tangent-points-bilinear"],
)
def test_a_stitched_cutout_equals_the_region_of_one_larger_image(
    tmp_path: Path, shared_tangent: bool, tolerance: float
) -> None:
    footprint = synthetic_footprint(tmp_path, shared_tangent)
    settings = Settings(data_dir=tmp_path, jobs_dir=tmp_path / "jobs", release_name="SYNTH")
    with Survey(settings, footprint=footprint) as synthetic:
        wcs_a = WCS(footprint.tiles[0].images["i"].as_posix())
        positions = wcs_a.pixel_to_world(np.array([228.0, 236.0]), np.array([119.0, 40.0]))
        job = synthetic.cutouts(positions, size=1.0, previews=False)
        summary = completed(job)
        for entry in summary["positions"]:
            assert entry["stitched"] is True and entry["coverage"] == 1.0
            assert entry["tiles"] == sorted(entry["tiles"], key=lambda t: t != entry["tile"])
            path = files_of(job)[entry["files"][0]]
            data, header = fits.getdata(path), fits.getheader(path)
            assert data.shape == (60, 60) and header["STITCHED"] is True
            # the larger image: the same sky rendered straight onto the cutout's grid
            yy, xx = np.mgrid[0:60, 0:60]
            expected = sky_model(*WCS(header).pixel_to_world_values(xx, yy))
            peak = float(expected.max() - expected.min())
            assert np.abs(data - expected).max() <= tolerance * peak


# --- executors -----------------------------------------------------------------------------------


def test_the_dask_executor_makes_the_same_cutouts(demo_data_dir: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    request: dict[str, Any] = {
        "positions": [(323.36, -0.82), (323.548, -0.3425), (322.9, -0.9), (324.0, -0.2)],
        "bands": "gi",
        "size": 2.0,
        "previews": False,
    }
    made = {}
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        for kind, extra in (("dask", {"dask_scheduler": cluster.scheduler_address}), ("pool", {})):
            settings = Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / kind, **extra)
            with Survey(settings) as each:
                job = each.cutouts(**request)
                summary = completed(job)
                assert type(each.cutout_executor).__name__ == (
                    "DaskExecutor" if kind == "dask" else "ProcessExecutor"
                )
                assert summary["counts"]["ok"] == 4 and summary["counts"]["stitched"] == 1
                made[kind] = {p.name: fits.getdata(p) for p in job.files if p.suffix == ".fits"}
    assert sorted(made["dask"]) == sorted(made["pool"]) and len(made["dask"]) == 8
    for name, data in made["dask"].items():
        np.testing.assert_array_equal(data, made["pool"][name])


def test_a_cutout_over_the_edge_of_the_imaged_area_keeps_its_size(survey: Survey) -> None:
    west_edge = 323.548 - 1.5 * 0.7139  # the unique area's west edge of the imaged block
    job = survey.cutouts([(west_edge + 0.002, -0.697)], size=2.0, previews=False)
    summary = completed(job)
    (entry,) = summary["positions"]
    assert entry["status"] == "ok" and entry["stitched"] is False
    assert 0.5 < entry["coverage"] < 1.0
    data = fits.getdata(files_of(job)[entry["files"][0]])
    assert data.shape == (30, 30)  # not trimmed: the part without data is NaN
    assert np.isnan(data).mean() == pytest.approx(1.0 - entry["coverage"], abs=1e-6)


def test_many_files_are_published_in_one_record_update(tmp_path: Path) -> None:
    from surveylab.jobs import JobStore, UnsafePathError

    store = JobStore(tmp_path / "jobs")
    job = store.create("cutout", None, {})
    temps = []
    for k in range(3):
        temp = store.temp_path(job.id, f"c{k}.fits")
        temp.write_bytes(b"x" * (k + 1))
        temps.append((temp, f"c{k}.fits", "fits"))
    outsider = tmp_path / "elsewhere.fits"
    outsider.write_bytes(b"x")
    with pytest.raises(UnsafePathError, match="is not a temporary file of job"):
        store.publish_many(job.id, [*temps, (outsider, "bad.fits", "fits")])
    assert store.get(job.id).files == [] and all(t.exists() for t, _n, _f in temps)
    results = store.publish_many(job.id, temps)
    assert [(r.name, r.size) for r in results] == [("c0.fits", 1), ("c1.fits", 2), ("c2.fits", 3)]
    assert [f.name for f in store.get(job.id).files] == ["c0.fits", "c1.fits", "c2.fits"]


# --- cancelling ----------------------------------------------------------------------------------


def test_cancelling_a_running_job_stops_it_and_leaves_only_complete_files(survey: Survey) -> None:
    rng = np.random.default_rng(5)
    count = 600  # 12' cutouts in 3 bands with previews and colour, 100 a task
    ra = 323.548 + rng.uniform(-1.0, 1.0, count)
    dec = -0.697 + rng.uniform(-0.5, 0.5, count)
    positions = list(zip(ra, dec, strict=True))
    job = survey.cutouts(positions, size=12.0, bands="gri", rgb="irg")
    for _ in range(1200):  # until the first files are published: the cutting is under way
        if job.record.rows > 0 or job.record.is_final:
            break
        job.wait(0.05)
    assert job.record.phase is Phase.EXECUTING and 0 < job.record.rows < count
    job.cancel()
    record = job.wait(60)
    assert record.phase is Phase.ABORTED and record.error is None
    summary = job.summary()
    counts = summary["counts"]
    assert counts["positions"] == count and 0 < counts["ok"] < count  # stopped part-way
    errors = [e["error"] for e in summary["positions"] if e["status"] == "error"]
    cancelled = [e for e in errors if e.endswith("not cut: the job was cancelled")]
    assert cancelled and all(e in cancelled or "outside" in e for e in errors)
    # only complete files, each listed and each in the summary; nothing half-written left
    folder = survey.runner.store.job_dir(job.id)
    listed = {f.name for f in record.files}
    on_disk = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert on_disk == listed | {"job.json", "job.log"}
    assert not [p.name for p in folder.iterdir() if ".part-" in p.name]
    promised = {name for e in summary["positions"] for name in e["files"]}
    assert listed == promised | {"summary.json"}
    for entry in [e for e in summary["positions"] if e["status"] == "ok"][:20]:
        for name in entry["files"]:
            if name.endswith(".fits"):
                with fits.open(folder / name) as hdul:
                    hdul.verify("exception")
                    assert hdul[0].data.shape == (180, 180)
            else:
                with Image.open(folder / name) as image:
                    image.verify()
    log = survey.runner.store.read_log(job.id)
    assert f"cancelled with {counts['ok']:,} of {count:,} positions cut" in log
    # the worker pool goes on: the next job completes
    after = completed(survey.cutouts([(323.36, -0.82)], bands="gri", previews=False))
    assert after["counts"]["ok"] == 1

"""The colour HiPS of the demo survey, built once a session at a low order."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy_healpix import HEALPix
from mocpy import MOC
from PIL import Image

from surveylab.demo import M2_DEC, M2_RA
from surveylab.errors import SurveylabError
from surveylab.hips import (
    HIPS_DIR,
    HiPSNotFoundError,
    build_hips,
    default_order,
    hips_dir,
    hips_file,
    hips_properties,
)
from tests.conftest import HIPS_ORDER as ORDER
from tests.conftest import HIPS_TILE_WIDTH as TILE_WIDTH
from tests.conftest import RELEASE_ENTRIES, linked_release

RADIAN_ARCSEC = 180 / np.pi * 3600
#: The demo's image tiles: the M2 block of 3 x 3 tiles and one tile at RA 0 (DES2359+0001).
BLANK_TILE_CENTRE = (0.0, 0.0)


@pytest.fixture(scope="module")
def release(demo_release_with_hips: Path) -> Path:
    return demo_release_with_hips


def tile_path(root: Path, order: int, index: int, ext: str = "png") -> Path:
    return root / f"Norder{order}" / f"Dir{index // 10_000 * 10_000}" / f"Npix{index}.{ext}"


def tile_at(ra: float, dec: float, order: int) -> int:
    import astropy.units as u

    healpix = HEALPix(nside=2**order, order="nested")
    return int(healpix.lonlat_to_healpix(ra * u.deg, dec * u.deg))


def healpix_centre(index: int, order: int = ORDER) -> tuple[float, float]:
    """RA and Dec of a HiPS tile's centre, degrees."""
    lon, lat = HEALPix(nside=2**order, order="nested").healpix_to_lonlat(index)
    return float(lon.deg), float(lat.deg)


def near_ra0_dec0(ra: float, dec: float) -> bool:
    return min(ra, 360 - ra) < 3 and abs(dec) < 3


def rgba(path: Path) -> np.ndarray[Any, Any]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGBA"))


def block_max(rgb: np.ndarray[Any, Any], block: int = 4) -> float:
    """The brightest mean of ``block`` x ``block`` pixels (summed over R, G, B)."""
    total = rgb[..., :3].astype(np.float64).sum(axis=-1)
    side = total.shape[0] // block
    blocks = total[: side * block, : side * block].reshape(side, block, side, block)
    return float(blocks.mean(axis=(1, 3)).max())


# --- the build --------------------------------------------------------------------------------


def test_properties_describe_the_release(release: Path) -> None:
    properties = hips_properties(release)
    assert properties["obs_title"] == "DEMO DR1"
    assert re.fullmatch(r"ivo://[\w.-]+/P/[\w./-]+", properties["creator_did"])
    expected = {
        "hips_order": str(ORDER),
        "hips_order_min": "0",
        "hips_tile_width": str(TILE_WIDTH),
        "hips_tile_format": "png",
        "hips_frame": "equatorial",
        "dataproduct_type": "image",
        "hips_version": "1.4",
        "hips_rgb_red": "i",
        "hips_rgb_green": "r",
        "hips_rgb_blue": "g",
    }
    assert {key: properties[key] for key in expected} == expected
    datetime.strptime(properties["hips_release_date"], "%Y-%m-%dT%H:%MZ")
    assert float(properties["hips_initial_ra"]) == pytest.approx(M2_RA)
    assert float(properties["hips_initial_dec"]) == pytest.approx(M2_DEC)
    assert 0 < float(properties["hips_initial_fov"]) <= 10
    # HiPS pixels at order 5 with 256-pixel tiles: HEALPix pixels of NSIDE 2**5 * 256
    pixel = RADIAN_ARCSEC * (4 * np.pi / (12 * 4**ORDER * TILE_WIDTH**2)) ** 0.5
    assert float(properties["hips_pixel_scale"]) * 3600 == pytest.approx(pixel, rel=1e-4)
    assert float(properties["s_pixel_scale"]) * 3600 == pytest.approx(4.0, rel=1e-4)
    assert (release / HIPS_DIR / "index.html").is_file()
    assert hips_dir(release) == release / HIPS_DIR


def test_every_tile_is_a_png_of_the_declared_width_at_every_order(release: Path) -> None:
    root = release / HIPS_DIR
    orders = sorted(int(path.name.removeprefix("Norder")) for path in root.glob("Norder*"))
    assert orders == list(range(ORDER + 1))
    for order in orders:
        tiles = list((root / f"Norder{order}").glob("Dir*/Npix*.*"))
        assert tiles, f"no tile at order {order}"
        for path in tiles:
            index = int(path.stem.removeprefix("Npix"))
            assert path == tile_path(root, order, index)  # Dir is the index rounded to 10,000
            pixels = rgba(path)
            assert pixels.shape == (TILE_WIDTH, TILE_WIDTH, 4)
            assert pixels[..., 3].max() == 255, f"{path} is empty"


def test_the_moc_lists_exactly_the_deepest_tiles(release: Path) -> None:
    root = release / HIPS_DIR
    moc = MOC.from_fits(root / "Moc.fits")
    written = {int(p.stem.removeprefix("Npix")) for p in root.glob(f"Norder{ORDER}/Dir*/*.png")}
    cells = moc.flatten() if moc.max_order == ORDER else None
    assert cells is not None
    assert set(cells.tolist()) == written
    assert tile_at(M2_RA, M2_DEC, ORDER) in written
    assert tile_at(*BLANK_TILE_CENTRE, ORDER) in written
    assert tile_at(100.0, 0.0, ORDER) not in written  # far outside the footprint


def test_imaged_area_is_the_area_of_the_image_tiles(release: Path) -> None:
    """Opaque pixels over the deepest tiles add up to the sky the ten images cover: the M2
    block of 3 x 3 tiles (0.7300° images, neighbours overlapping by ~1 arcmin) and one more tile."""
    root = release / HIPS_DIR
    side = 657 * 4.0 / 3600.0  # 657 pixels of 4″
    overlap = (side - 0.7306) + 1.0 / 60.0  # the tiles are 0.7306° apart minus the 1 arcmin overlap
    expected = (3 * side - 2 * overlap) ** 2 + side**2
    pixel_area = 4 * np.pi * (180 / np.pi) ** 2 / (12 * 4**ORDER * TILE_WIDTH**2)
    opaque = sum(
        int((rgba(path)[..., 3] > 127).sum()) for path in root.glob(f"Norder{ORDER}/Dir*/*.png")
    )
    assert opaque * pixel_area == pytest.approx(expected, rel=0.03)


def test_imaged_sky_is_coloured_and_the_rest_transparent(release: Path) -> None:
    """The order-3 tile holding M2 (7.3° wide) holds the whole M2 block and empty sky."""
    pixels = rgba(tile_path(release / HIPS_DIR, 3, tile_at(M2_RA, M2_DEC, 3)))
    imaged = pixels[..., 3] == 255
    empty = pixels[..., 3] == 0
    assert 0.02 < imaged.mean() < 0.2  # ~4.6 of the tile's 53.7 square degrees
    assert empty.mean() > 0.75
    assert not pixels[empty][:, :3].any()  # nothing imaged: transparent black
    assert (pixels[imaged][:, :3].max(axis=-1) > 0).mean() > 0.5  # sky noise and sources


def test_m2_is_brighter_than_blank_sky(release: Path) -> None:
    root = release / HIPS_DIR
    m2 = rgba(tile_path(root, ORDER, tile_at(M2_RA, M2_DEC, ORDER)))
    # the RA-0 image tile holds field stars and galaxies only: its most imaged HiPS tile
    near_ra0 = [
        rgba(path)
        for path in root.glob(f"Norder{ORDER}/Dir*/*.png")
        if near_ra0_dec0(*healpix_centre(int(path.stem.removeprefix("Npix"))))
    ]
    blank = max(near_ra0, key=lambda pixels: int((pixels[..., 3] == 255).sum()))
    # (0, 0) is a corner of four order-5 tiles: each holds about a quarter of the image tile
    assert (m2[..., 3] == 255).mean() > 0.5 and (blank[..., 3] == 255).mean() > 0.02
    # the cluster's core (thousands of stars within a few arcmin) is the brightest spot
    assert block_max(m2) > 2 * block_max(blank)
    mean_m2 = m2[..., :3][m2[..., 3] == 255].mean()
    mean_blank = blank[..., :3][blank[..., 3] == 255].mean()
    assert mean_m2 > mean_blank


def test_jpeg_tiles_are_black_where_nothing_is_imaged(demo_data_dir: Path, tmp_path: Path) -> None:
    release = linked_release(demo_data_dir, tmp_path / "release")
    build = build_hips(release, tmp_path / "jpeg", order=3, tile_width=64, tile_format="jpeg")
    assert build.tile_format == "jpeg" and build.order == 3
    assert not list(build.path.glob("Norder*/Dir*/*.png"))
    path = tile_path(build.path, 3, tile_at(M2_RA, M2_DEC, 3), "jpg")
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (64, 64)
        pixels = np.asarray(image)
    assert (pixels.max(axis=-1) < 8).mean() > 0.7  # mostly empty sky, black
    assert pixels.max() > 100
    assert re.search(r"^hips_tile_format += jpeg$", (build.path / "properties").read_text(), re.M)


# --- atomicity and bad input ------------------------------------------------------------------


def test_a_failed_build_leaves_nothing_behind(demo_data_dir: Path, tmp_path: Path) -> None:
    release = linked_release(demo_data_dir, tmp_path / "release")
    messages: list[str] = []

    def progress(message: str, fraction: float) -> None:
        messages.append(message)
        if message.startswith("HiPS of tile 2/"):
            raise KeyboardInterrupt  # as a Ctrl-C in the middle of the build

    with pytest.raises(KeyboardInterrupt):
        build_hips(release, order=3, tile_width=64, workers=1, progress=progress)
    assert any(message.startswith("HiPS of tile 1/") for message in messages)
    assert sorted(path.name for path in release.iterdir()) == sorted(RELEASE_ENTRIES)
    with pytest.raises(HiPSNotFoundError, match="run `surveylab hips build`"):
        hips_properties(release)


def test_a_missing_image_fails_before_anything_is_written(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "release.json").symlink_to(demo_data_dir / "release.json")
    with pytest.raises(SurveylabError, match=r"image\(s\) missing from the release"):
        build_hips(release)
    assert sorted(path.name for path in release.iterdir()) == ["release.json"]


def test_an_existing_hips_is_not_overwritten(release: Path) -> None:
    with pytest.raises(FileExistsError, match="exists already"):
        build_hips(release, order=3)


def test_a_folder_without_a_release_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SurveylabError, match="run `surveylab demo-data` first"):
        build_hips(tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bands": ["i", "r"]}, "three bands"),
        ({"bands": ["z", "r", "g"]}, "no images in band"),
        ({"order": 0}, "order must be an integer from 1 to 13"),
        ({"order": 14}, "order must be an integer from 1 to 13"),
        ({"order": "5"}, "order must be an integer"),
        ({"tile_format": "gif"}, "tile_format must be one of png, jpeg"),
        ({"tile_width": 100}, "tile_width must be a power of 2"),
        ({"tile_width": 2048}, "tile_width must be a power of 2"),
        ({"lupton": (0.0, 0.0, 8.0)}, "lupton must be"),
        ({"progress": "yes"}, "progress must be a callable"),
    ],
    ids=[
        "two-bands", "unknown-band", "order-0", "order-14", "order-text", "format",
        "width-not-power-of-2", "width-too-large", "zero-stretch", "progress",
    ],
)  # fmt: skip
def test_bad_options_are_refused_with_a_message(
    release: Path, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_hips(release, tmp_path / "never", **options)
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    ("pixel_scale", "order"), [(1.0, 9), (4.0, 7), (0.263, 11)], ids=["1as", "4as", "des"]
)
def test_the_default_order_matches_the_pixel_scale(pixel_scale: float, order: int) -> None:
    assert default_order(pixel_scale) == order
    pixel = RADIAN_ARCSEC * (4 * np.pi / (12 * 4**order * 512**2)) ** 0.5  # a HiPS pixel
    assert pixel_scale / 2**0.5 <= pixel * 1.0001 and pixel <= pixel_scale * 2**0.5


# --- serving files safely ---------------------------------------------------------------------


@pytest.fixture
def fake_hips(tmp_path: Path) -> Path:
    """A release folder whose HiPS has properties, one tile and a link that leads out."""
    (tmp_path / "secret.png").write_bytes(b"\x89PNG outside the HiPS")
    root = tmp_path / "release" / HIPS_DIR
    (root / "Norder3" / "Dir0").mkdir(parents=True)
    (root / "properties").write_text("obs_title = X\n")
    (root / "Norder3" / "Dir0" / "Npix1.png").write_bytes(b"\x89PNG tile")
    (root / "Norder3" / "Dir0" / "Npix2.png").symlink_to(tmp_path / "secret.png")
    (root / "Norder3" / "Dir0" / "Npix3.png").mkdir()
    return tmp_path / "release"


@pytest.mark.parametrize(
    ("relative", "content_type"),
    [("properties", "text/plain; charset=utf-8"), ("Norder3/Dir0/Npix1.png", "image/png")],
    ids=["properties", "tile"],
)
def test_hips_files_are_found_with_their_content_type(
    fake_hips: Path, relative: str, content_type: str
) -> None:
    path, kind = hips_file(fake_hips, relative)
    assert path == (fake_hips / HIPS_DIR / relative).resolve()
    assert kind == content_type


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.png",
        "Norder3/../../../secret.png",
        "Norder3/Dir0/../../properties",
        "/etc/passwd",
        "Norder3/Dir0/Npix2.png",  # a link that leads out of the HiPS
        "Norder3/Dir0/Npix3.png",  # a folder
        "Norder3/Dir0/Npix4.png",  # missing
        "Norder3/Dir0/Npix1.png\0",
        "Norder3\\Dir0\\Npix1.png",
        "./properties",
        "",
        "release.json",
    ],
    ids=[
        "parent", "deep-parent", "dotdot-inside", "absolute", "symlink-out", "folder", "missing",
        "nul", "backslash", "dot", "empty", "not-a-hips-file",
    ],
)  # fmt: skip
def test_only_files_inside_the_hips_are_found(fake_hips: Path, relative: str) -> None:
    with pytest.raises(HiPSNotFoundError, match="the HiPS has no file"):
        hips_file(fake_hips, relative)


def test_without_a_hips_the_message_says_how_to_build_one(tmp_path: Path) -> None:
    finders: list[Callable[[], object]] = [
        lambda: hips_properties(tmp_path),
        lambda: hips_file(tmp_path, "properties"),
    ]
    for find in finders:
        with pytest.raises(
            HiPSNotFoundError, match=r"no HiPS has been built .*surveylab hips build"
        ):
            find()


# --- the command ------------------------------------------------------------------------------


def test_the_command_builds_keeps_and_rebuilds(
    demo_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveylab.cli import main

    release = linked_release(demo_data_dir, tmp_path / "release")
    small = ["--data-dir", str(release), "--order", "3", "--tile-width", "64"]
    assert main(["hips", "build", *small, "--format", "jpeg"]) == 0
    out = capsys.readouterr()
    assert "HiPS of DEMO DR1: order 3" in out.out and "(jpeg)" in out.out
    assert "100% HiPS of DEMO DR1 written" in out.err  # the progress line
    assert hips_properties(release)["hips_tile_format"] == "jpeg"

    assert main(["hips", "build", *small]) == 0  # kept: built once
    assert "HiPS already present" in capsys.readouterr().out
    assert hips_properties(release)["hips_tile_format"] == "jpeg"

    # a failed rebuild keeps the old HiPS
    assert main(["hips", "build", *small, "--force", "--bands", "zrg"]) == 2
    assert "no images in band(s) z" in capsys.readouterr().err
    assert hips_properties(release)["hips_tile_format"] == "jpeg"

    assert main(["hips", "build", *small, "--force"]) == 0
    assert hips_properties(release)["hips_tile_format"] == "png"
    assert sorted(path.name for path in release.iterdir()) == sorted([*RELEASE_ENTRIES, HIPS_DIR])


def test_images_much_finer_than_the_hips_are_averaged_in_blocks_with_their_wcs() -> None:
    from astropy.wcs import WCS

    from surveylab.hips import _binned

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [10.0, -1.0]
    wcs.wcs.crpix = [50.5, 50.5]
    wcs.wcs.cd = [[-0.6 / 3600, 0.0], [0.0, 0.6 / 3600]]
    plane = np.zeros((100, 100), dtype=np.float32)
    plane[40:44, 60:64] = 1.0  # a 4 x 4 block: its centre is pixel (61.5, 41.5), 0-based
    # HiPS pixels of 3.2" hold two blocks of 2 x 0.6": blocks of 2 x 2 pixels
    (binned,), coarse = _binned([plane], wcs, 3.2 / 3600)
    assert binned.shape == (50, 50) and float(binned.sum()) * 4 == float(plane.sum())
    before = wcs.pixel_to_world_values(61.5, 41.5)
    after = coarse.pixel_to_world_values(30.5, 20.5)  # the same block's centre, binned
    assert np.allclose(before, after, atol=1e-9)
    # HiPS pixels as fine as the image: nothing changes
    (same,), unchanged = _binned([plane], wcs, 0.6 / 3600)
    assert same is plane and unchanged is wcs

"""The HiPS REST API (``/hips/properties``, ``/hips/{path}``) through a real jupyter server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mocpy import MOC
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab import Settings, Survey
from surveylab.hips import HIPS_DIR
from surveylab.surveys import SharedSurvey
from tests.conftest import HIPS_ORDER as ORDER
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]


@pytest.fixture(scope="module")
def release(demo_release_with_hips: Path) -> Path:
    return demo_release_with_hips


@pytest.fixture
def serve(jp_serverapp: Any) -> Iterator[Callable[[Path], None]]:
    """Make the server serve the release in a given folder."""
    opened: list[Survey] = []

    def serve_release(data_dir: Path) -> None:
        survey = Survey(Settings(data_dir=data_dir))
        opened.append(survey)
        jp_serverapp.web_app.settings["surveylab_surveys"] = SharedSurvey(survey)

    yield serve_release
    for survey in opened:
        survey.close()


async def get_error(fetch: Fetch, *path: str) -> tuple[int, dict[str, Any], bytes]:
    with pytest.raises(HTTPClientError) as caught:
        await fetch("surveylab", "api", *path)
    response = caught.value.response
    assert response is not None
    assert b"Traceback" not in response.body
    return caught.value.code, json.loads(response.body), response.body


async def test_properties_name_the_release(
    jp_fetch: Fetch, serve: Callable[[Path], None], release: Path
) -> None:
    serve(release)
    response = await jp_fetch("surveylab", "api", "hips", "properties")
    assert response.code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "max-age" in response.headers["Cache-Control"]
    assert response.body == (release / HIPS_DIR / "properties").read_bytes()
    lines = dict(
        (part.strip() for part in line.split("=", 1))
        for line in response.body.decode().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert lines["obs_title"] == "DEMO DR1"
    assert lines["hips_frame"] == "equatorial"
    assert lines["hips_order"] == str(ORDER)


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("tile", "image/png"), ("low-order tile", "image/png"), ("moc", "application/fits")],
)
async def test_files_are_served_byte_for_byte(
    jp_fetch: Fetch, serve: Callable[[Path], None], release: Path, kind: str, content_type: str
) -> None:
    serve(release)
    root = release / HIPS_DIR
    path = {
        "tile": next(root.glob(f"Norder{ORDER}/Dir*/Npix*.png")),
        "low-order tile": next(root.glob("Norder0/Dir*/Npix*.png")),
        "moc": root / "Moc.fits",
    }[kind]
    response = await jp_fetch("surveylab", "api", "hips", *path.relative_to(root).parts)
    assert response.code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.body == path.read_bytes()
    if kind == "moc":
        moc_file = release.parent / "served-moc.fits"
        moc_file.write_bytes(response.body)
        assert MOC.from_fits(moc_file).max_order == ORDER


async def test_without_a_hips_the_answer_says_how_to_build_one(
    jp_fetch: Fetch, serve: Callable[[Path], None], demo_data_dir: Path
) -> None:
    serve(demo_data_dir)  # the shared demo release has no HiPS
    for path in (("hips", "properties"), ("hips", "Norder3", "Dir0", "Npix272.png")):
        code, body, _ = await get_error(jp_fetch, *path)
        assert code == 404
        assert_matches_contract("/hips/{path}", "get", 404, body)
        assert "no HiPS has been built" in body["message"]
        assert "run `surveylab hips build`" in body["message"]


@pytest.mark.parametrize(
    "path",
    [
        "..%2Frelease.json",
        "Norder3%2F..%2F..%2Frelease.json",
        "%2Fetc%2Fpasswd",
        "Norder3/..%2F..%2Fcatalog.duckdb",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "Norder3/Dir0/Npix1.png%00",
        "Norder99/Dir0/Npix1.png",
        "images%2FDES2134-0041%2FDES2134-0041_g.fits.fz",
        "linked/Npix1.png",
    ],
    ids=[
        "parent", "dotdot-inside", "absolute", "parent-in-tile-path", "deep-parent", "nul",
        "missing-tile", "release-image", "symlink-out",
    ],
)  # fmt: skip
async def test_only_files_inside_the_hips_are_served(
    jp_fetch: Fetch,
    serve: Callable[[Path], None],
    release: Path,
    tmp_path: Path,
    path: str,
) -> None:
    if path == "linked/Npix1.png":  # a HiPS holding a link to a file outside it
        evil = tmp_path / "evil"
        (evil / HIPS_DIR / "Norder3" / "Dir0").mkdir(parents=True)
        (evil / HIPS_DIR / "properties").write_text("obs_title = evil\n")
        (evil / "secret.png").write_bytes(b"\x89PNG secret")
        (evil / HIPS_DIR / "Norder3" / "Dir0" / "Npix1.png").symlink_to(evil / "secret.png")
        serve(evil)
        path = "Norder3/Dir0/Npix1.png"
    else:
        serve(release)
    code, body, raw = await get_error(jp_fetch, "hips", *path.split("/"))
    assert code == 404
    assert_matches_contract("/hips/{path}", "get", 404, body)
    assert "the HiPS has no file" in body["message"] or "no surveylab endpoint" in body["message"]
    assert b"PNG secret" not in raw
    assert b"DEMO DR1" not in raw and b"root:" not in raw


@pytest.mark.parametrize(
    "path", ["hips/properties", "hips/Moc.fits", "hips/Norder0/Dir0/Npix0.png"]
)
async def test_hips_files_need_authentication(
    path: str,
    http_server_client: Any,
    jp_base_url: str,
    jp_serverapp: Any,
    serve: Callable[[Path], None],
    release: Path,
) -> None:
    serve(release)
    response = await http_server_client.fetch(
        f"{jp_base_url}surveylab/api/{path}", raise_error=False, follow_redirects=False
    )
    assert response.code == 403
    assert b"DEMO DR1" not in response.body
    assert b"PNG" not in response.body and b"SIMPLE" not in response.body

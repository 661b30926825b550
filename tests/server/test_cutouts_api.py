"""Cutout jobs through a real jupyter server: submit, watch, download one file or all, refusals."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests.server.test_jobs_api import Fetch, api, api_error, wait_for
from tests.support.openapi import assert_matches_contract

M2 = [323.36, -0.82]


async def test_a_cutout_job_makes_files_a_summary_and_an_archive(
    jp_fetch: Fetch, jobs_dir: Path
) -> None:
    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={
            "type": "cutout",
            "positions": [M2, ["21:34:11.52", "-0:20:33"], "0:00:00 +0:00:00", [100.0, 0.0]],
            "xsize": 2,
            "ysize": 1.5,
            "bands": ["g", "i"],
            "rgb": "irg",
            "name": "cutouts",
        },
    )
    assert_matches_contract("/jobs", "post", 201, job)
    assert job["type"] == "cutout" and len(job["parameters"]["positions"]) == 4
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")
    assert done["phase"] == "COMPLETED", done.get("error")
    assert_matches_contract("/jobs/{job_id}", "get", 200, done)
    assert done["rows"] == 4 and done["progress"] == 1.0

    names = [f["name"] for f in done["files"]]
    summary = json.loads(
        (await jp_fetch("surveylab", "api", "jobs", job["id"], "files", "summary.json")).body
    )
    entries = summary["positions"]
    assert [e["status"] for e in entries] == ["ok", "ok", "ok", "error"]
    assert entries[1]["stitched"] is True and entries[1]["tiles"][0] == "DES2134-0041"
    assert entries[2]["tile"] == "DES2359+0001"
    assert entries[3]["error"] == "row 4: outside the footprint: no tile holds this position"
    assert len(names) == 3 * 6 + 1  # g, i FITS + previews, colour PNG + JPEG; the summary

    stem = "DES2134-0041_DESJ213326.40-004912.0"
    download = await jp_fetch("surveylab", "api", "jobs", job["id"], "files", f"{stem}_i.fits")
    assert download.body == (jobs_dir / job["id"] / f"{stem}_i.fits").read_bytes()
    with fits.open(io.BytesIO(download.body)) as hdul:
        header = hdul[0].header
        assert hdul[0].data.shape == (22, 30)
        assert header["XSIZE"] == 2.0 and header["YSIZE"] == 1.5
        ra, dec = WCS(header).pixel_to_world_values(15, 11)
        assert abs(ra - M2[0]) * 3600 <= 2.0 * np.sqrt(2) and abs(dec - M2[1]) * 3600 <= 2.0
    thumbnail = await jp_fetch("surveylab", "api", "jobs", job["id"], "files", f"{stem}_irg.jpg")
    assert thumbnail.headers["Content-Type"] == "image/jpeg"

    archive = await jp_fetch("surveylab", "api", "jobs", job["id"], "archive")
    members = zipfile.ZipFile(io.BytesIO(archive.body)).namelist()
    assert sorted(members) == sorted(
        [f"{job['id']}/{name}" for name in [*names, "job.json", "job.log"]]
    )
    log = (await jp_fetch("surveylab", "api", "jobs", job["id"], "log")).body.decode()
    assert "failed: row 4: outside the footprint" in log


async def test_a_csv_upload_reports_bad_rows_and_cuts_the_others(jp_fetch: Fetch) -> None:
    text = "# my targets\nra,dec,xsize,bands\n323.36,-0.82,,\nabc,1,,\n323.4,-0.8,100,\n" \
        "323.5,-0.7,0.5,gz\n323.45,-0.75,0.5,r\n"  # fmt: skip
    job = await api(jp_fetch, "jobs", method="POST", body={"type": "cutout", "csv": text})
    assert job["parameters"]["problems"] == [
        {"row": 4, "error": "line 4: RA is not a number: 'abc'"},
        {"row": 5, "error": "line 5: XSIZE must be from 0.1 to 12 arcmin, not 100 arcmin"},
        {"row": 6, "error": "line 6: BANDS: unknown band 'z'; the release has g, r, i"},
    ]
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR")
    assert done["phase"] == "COMPLETED", done.get("error")
    summary = json.loads(
        (await jp_fetch("surveylab", "api", "jobs", job["id"], "files", "summary.json")).body
    )
    assert [e["row"] for e in summary["positions"]] == [3, 7]
    assert summary["positions"][1]["files"][0].endswith("_r.fits")
    assert summary["counts"]["rejected_rows"] == 3


REFUSALS: list[tuple[str, dict[str, Any], int, str]] = [
    ("size-0", {"positions": [M2], "xsize": 0}, 400, "xsize must be from 0.1 to 12 arcmin, not 0"),
    ("size-100", {"positions": [M2], "ysize": 100}, 400, "not 100 arcmin"),
    ("unknown-band", {"positions": [M2], "bands": "gy"}, 400, "unknown band 'y'"),
    ("empty-csv", {"csv": ""}, 400, "the CSV upload is empty"),
    ("no-header", {"csv": "1,2\n3,4\n"}, 400, "the header must have the columns RA,DEC"),
    ("nothing", {}, 400, "give exactly one of positions"),
    ("ids-as-positions", {"positions": [1, 2]}, 400, "object ids go in 'ids'"),
    ("dec-95", {"positions": [[10, 95]]}, 400, "position 1: Dec 95 is outside -90..+90 deg"),
    ("unknown-field", {"positions": [M2], "colour": "x"}, 400, "unknown field(s)"),
    ("over-the-cap", {"positions": [M2] * 10_001}, 400, "10,001 positions requested"),
    ("huge-upload", {"csv": "RA,DEC\n" + "323.36,-0.82\n" * 80_000}, 413, "at most 1,000,000"),
]


@pytest.mark.parametrize(
    ("body", "status", "message"), [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS]
)
async def test_bad_cutout_requests_are_refused_with_a_message(
    jp_fetch: Fetch, jobs_dir: Path, body: dict[str, Any], status: int, message: str
) -> None:
    code, reply = await api_error(jp_fetch, "jobs", method="POST", body={"type": "cutout", **body})
    assert code == status
    assert message in reply["message"]
    assert not jobs_dir.exists() or not [
        p for p in jobs_dir.iterdir() if not p.name.startswith(".")
    ]

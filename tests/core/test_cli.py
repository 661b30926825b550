"""The ``surveylab`` command, run as a user runs it: a subprocess of the installed script, or,
for the many refusals of ``demo-data``, :func:`surveylab.cli.main` in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_in_process

#: The installed console script, beside the interpreter running the tests.
SURVEYLAB = str(Path(sys.executable).with_name("surveylab"))


def run(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SURVEYLAB_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [SURVEYLAB, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


def run_here(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """:func:`run` in this process (no interpreter start-up)."""
    return run_in_process(*args, env={**os.environ, "SURVEYLAB_DATA_DIR": str(data_dir)})


def test_info_lists_release_and_tables(demo_data_dir: Path) -> None:
    result = run("info", data_dir=demo_data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("DEMO DR1 (surveylab ")
    assert "DR1_MAIN" in result.stdout
    assert "DR1_TILE_INFO" in result.stdout


def test_query_prints_rows_from_stdin(demo_data_dir: Path) -> None:
    sql = "SELECT TILENAME, COUNT(*) AS N FROM DR1_MAIN GROUP BY TILENAME ORDER BY N DESC LIMIT 3"
    result = run("query", "-", data_dir=demo_data_dir, stdin=sql)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TILENAME", "N"]
    assert lines[2].split()[0] == "DES2134-0041"  # the M2 tile is the densest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "SELECT * FROM NOPE"), "surveylab query: "),
        (("demo-data", "--objects", "0", "--out", "{tmp}/x"), "objects"),
        (("demo-data", "--deep-objects", "-1", "--out", "{tmp}/x"), "deep_objects"),
    ],
    ids=["bad-query", "no-objects", "negative-deep-objects"],
)
def test_bad_input_exits_2_with_a_message(
    args: tuple[str, ...], message: str, demo_data_dir: Path, tmp_path: Path
) -> None:
    result = run(*(arg.format(tmp=tmp_path) for arg in args), data_dir=demo_data_dir)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_missing_demo_survey_says_how_to_make_it(tmp_path: Path) -> None:
    result = run("info", data_dir=tmp_path / "absent")
    assert result.returncode == 2
    assert "surveylab demo-data" in result.stderr


def test_demo_data_is_generated_once(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    args = (
        *("demo-data", "--objects", "2000", "--pixel-scale", "8", "--deep-objects", "0"),
        *("--out", str(out)),
    )
    first = run(*args, data_dir=out)
    assert first.returncode == 0, first.stderr
    assert "DEMO DR1: 6,330 objects" in first.stdout  # and 10 x 33 anomalies and their stars
    assert "100%" in first.stderr  # the progress bar reached the end
    assert (out / "catalog.duckdb").is_file()
    second = run(*args, data_dir=out)
    assert second.returncode == 0
    assert "already present" in second.stdout


#: A tiny release: seconds to make.
TINY = ("--objects", "2000", "--pixel-scale", "8", "--deep-objects", "0")


def entries(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_demo_data_fills_an_existing_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "volume"
    out.mkdir()
    out.chmod(0o751)  # the operator's folder keeps its mode: it is filled, not replaced
    (out / "lost+found").mkdir()  # a fresh volume's only entry does not make it a survey
    result = run_here("demo-data", *TINY, "--out", str(out), data_dir=out)
    assert result.returncode == 0, result.stderr
    assert "DEMO DR1: 6,330 objects" in result.stdout
    assert {"catalog.duckdb", "release.json", "images"} <= set(entries(out))
    assert not [name for name in entries(out) if name.startswith(".")]  # no staging left
    assert out.stat().st_mode & 0o777 == 0o751
    info = run("info", data_dir=out)
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith("DEMO DR1 (surveylab ")


PARTIAL_FOLDERS = [
    # (id, files to make, what the message names)
    ("catalog-only", {"catalog.duckdb": b"DUCK"}, "release.json (the release record) is missing"),
    ("record-only", {"release.json": b"{}"}, "catalog.duckdb (the catalog) is missing"),
    ("images-only", {"images/DES2134-0041/DES2134-0041_g.fits.fz": b""}, "release.json"),
    (
        "record-unreadable",
        {"release.json": b"{not json", "catalog.duckdb": b"DUCK"},
        "release.json (the release record) cannot be read",
    ),
    (
        "image-missing",
        {
            "release.json": b'{"image_tiles": ["DES2134-0041"], "bands": ["g", "r"]}',
            "catalog.duckdb": b"DUCK",
            "images/DES2134-0041/DES2134-0041_g.fits.fz": b"",
        },
        "1 of the 2 images are missing (images/DES2134-0041/DES2134-0041_r.fits.fz)",
    ),
]


@pytest.mark.parametrize(
    ("files", "missing"),
    [case[1:] for case in PARTIAL_FOLDERS],
    ids=[case[0] for case in PARTIAL_FOLDERS],
)
def test_demo_data_refuses_a_partial_survey_and_says_what_is_missing(
    files: dict[str, bytes], missing: str, tmp_path: Path
) -> None:
    out = tmp_path / "dr1"
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    before = entries(out)
    result = run_here("demo-data", *TINY, "--out", str(out), data_dir=out)
    assert result.returncode == 2, result.stdout
    assert "already present" not in result.stdout + result.stderr
    assert f"surveylab demo-data: {out} holds part of a demo survey" in result.stderr
    assert missing in result.stderr
    assert "--force" in result.stderr  # what to do about it
    assert "Traceback" not in result.stderr
    assert entries(out) == before  # nothing written, nothing removed


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_demo_data_leaves_a_folder_of_other_files_alone(force: bool, tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    result = run_here(
        "demo-data", *TINY, "--out", str(out), *(["--force"] if force else []), data_dir=out
    )
    assert result.returncode == 2, result.stdout
    assert "holds no demo survey" in result.stderr
    assert "thesis.tex" in result.stderr
    assert "choose another folder" in result.stderr
    assert entries(out) == ["thesis.tex"]


def test_demo_data_refuses_a_file(tmp_path: Path) -> None:
    out = tmp_path / "dr1"
    out.write_text("not a folder")
    result = run_here("demo-data", *TINY, "--out", str(out), data_dir=out)
    assert result.returncode == 2
    assert "is not a folder" in result.stderr
    assert out.read_text() == "not a folder"


def test_demo_data_force_replaces_a_partial_survey(tmp_path: Path) -> None:
    out = tmp_path / "dr1"
    out.mkdir()
    (out / "catalog.duckdb").write_bytes(b"a broken catalog")
    (out / "hips").mkdir()  # derived from the old release: goes with it
    result = run_here("demo-data", *TINY, "--out", str(out), "--force", data_dir=out)
    assert result.returncode == 0, result.stderr
    assert set(entries(out)) >= {"catalog.duckdb", "release.json", "images"}
    assert "hips" not in entries(out)
    assert run_here("info", data_dir=out).returncode == 0

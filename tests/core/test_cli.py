"""The ``surveylab`` command, run as a user runs it (a subprocess of the installed script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The installed console script, beside the interpreter running the tests.
SURVEYLAB = str(Path(sys.executable).with_name("surveylab"))


def run(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SURVEYLAB_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [SURVEYLAB, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


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
    ],
    ids=["bad-query", "no-objects"],
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
    args = ("demo-data", "--objects", "2000", "--pixel-scale", "8", "--out", str(out))
    first = run(*args, data_dir=out)
    assert first.returncode == 0, first.stderr
    assert "DEMO DR1: 6,000 objects" in first.stdout
    assert "100%" in first.stderr  # the progress bar reached the end
    assert (out / "catalog.duckdb").is_file()
    second = run(*args, data_dir=out)
    assert second.returncode == 0
    assert "already present" in second.stdout

"""The pool service's home handling on real folders, and its command line.

Stopping labs and deleting users is tested against a real hub in ``test_pools_e2e.py``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from surveylab_hub.pool_service import ARCHIVE_DIRNAME, close_home
from surveylab_hub.pools import Pool

NOW = datetime.now(UTC)


def pool(home: str) -> Pool:
    return Pool(
        name="ws",
        size=1,
        seats=1,
        expires=NOW + timedelta(hours=1),
        profile="small",
        db_account=None,
        home=home,  # type: ignore[arg-type]
        created=NOW,
        users=("ws-01",),
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state folder where ``ws-01`` has a home with a file and a link out of it."""
    home = tmp_path / "state" / "home" / "ws-01"
    (home / "notebooks").mkdir(parents=True)
    (home / "notebooks" / "analysis.ipynb").write_text("{}")
    (tmp_path / "outside.txt").write_text("not the pool's")
    (home / "link").symlink_to(tmp_path / "outside.txt")
    return tmp_path / "state"


def test_archive_keeps_the_home_privately_then_removes_it(state: Path) -> None:
    assert close_home(state, pool("archive"), "ws-01") == "archived"
    archive = state / ARCHIVE_DIRNAME / "ws" / "ws-01.tar.gz"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        assert tar.getmember("ws-01/notebooks/analysis.ipynb").isfile()
        assert tar.getmember("ws-01/link").issym()  # stored as a link, not followed
    assert not (state / "home" / "ws-01").exists()
    assert (state.parent / "outside.txt").read_text() == "not the pool's"
    assert [p.name for p in archive.parent.iterdir()] == ["ws-01.tar.gz"]  # no temporary file


def test_remove_leaves_no_archive(state: Path) -> None:
    assert close_home(state, pool("remove"), "ws-01") == "removed"
    assert not (state / "home" / "ws-01").exists()
    assert not (state / ARCHIVE_DIRNAME).exists()
    assert (state.parent / "outside.txt").exists()


def test_a_home_that_is_a_link_is_unlinked_not_followed(state: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    (state / "home" / "ws-02").symlink_to(elsewhere)
    assert close_home(state, pool("archive"), "ws-02") == "removed"
    assert not (state / "home" / "ws-02").exists()
    assert (elsewhere / "keep.txt").read_text() == "keep"


@pytest.mark.parametrize(
    ("username", "outcome"),
    [
        pytest.param("ws-09", "none", id="never-logged-in"),
        pytest.param("../state", ValueError, id="traversal"),
    ],
)
def test_odd_users(state: Path, username: str, outcome: str | type[Exception]) -> None:
    if isinstance(outcome, str):
        assert close_home(state, pool("archive"), username) == outcome
    else:
        with pytest.raises(outcome, match="contains '/'"):
            close_home(state, pool("archive"), username)
    assert (state / "home" / "ws-01").is_dir()


def test_service_needs_api_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    result = subprocess.run(
        [sys.executable, "-m", "surveylab_hub.pool_service", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "JUPYTERHUB_API_TOKEN must be set" in result.stderr

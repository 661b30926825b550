"""Fixtures shared by every test: a small generated demo survey and a jupyter server with
surveylab's extension, run with unauthenticated access disabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveylab.demo import generate_demo

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.support.postgres"]

#: The repository root, and the shared reference data beside the checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

#: A small release: quick to generate, the same shape as the default one.
SMALL_DEMO = {"objects": 20_000, "pixel_scale": 4.0, "bands": ("g", "r", "i")}


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DEMO DR1 (20,000 objects plus the M2 cluster, 4″ pixels), made once a session."""
    out = tmp_path_factory.mktemp("demo-survey") / "dr1"
    generate_demo(out, **SMALL_DEMO)  # type: ignore[arg-type]
    return out


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    """A fresh job store folder for one test."""
    return tmp_path / "surveylab-jobs"


@pytest.fixture
def jp_server_config(demo_data_dir: Path, jobs_dir: Path) -> dict[str, Any]:
    """The jupyter server under test: surveylab enabled, every endpoint behind auth."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"surveylab_server": True},
            "allow_unauthenticated_access": False,
        },
        "SurveylabApp": {"data_dir": str(demo_data_dir), "jobs_dir": str(jobs_dir)},
    }

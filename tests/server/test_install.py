"""The distribution ships the server extension enabled, the lab extension prebuilt and the
widgets' JavaScript built."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def jupyter(*args: str) -> str:
    result = subprocess.run(
        [JUPYTER, *args], capture_output=True, text=True, check=True, timeout=120
    )
    return ANSI.sub("", result.stdout + result.stderr)


def test_server_extension_is_enabled_on_install() -> None:
    listing = jupyter("server", "extension", "list")
    assert re.search(r"surveylab_server enabled", listing)
    assert re.search(r"surveylab_server \S+ OK", listing)


def test_lab_extension_is_prebuilt_and_enabled() -> None:
    listing = jupyter("labextension", "list")
    assert re.search(r"@surveylab/labextension v\S+ enabled OK \(python, surveylab\)", listing), (
        listing
    )


def test_wheel_carries_the_prebuilt_extension_and_server_config(tmp_path: Path) -> None:
    """The wheel, built from this checkout with ``make install``'s prebuilt lab extension: no npm
    build, which would delete the extension the browser tests' labs serve while it rebuilds."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        check=True,
        timeout=300,
        env={**os.environ, "HATCH_JUPYTER_BUILDER_SKIP_NPM": "1"},
    )
    (wheel,) = tmp_path.glob("surveylab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(name.split("/")[0] for name in names if ".data/" in name)
    labext = f"{data}/data/share/jupyter/labextensions/@surveylab/labextension"
    assert f"{labext}/package.json" in names
    assert f"{labext}/install.json" in names
    assert any(re.match(rf"{re.escape(labext)}/static/remoteEntry\.\w+\.js$", n) for n in names)
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/surveylab.json" in names
    for package in ("surveylab", "surveylab_server", "surveylab_widgets", "surveylab_hub"):
        assert f"{package}/__init__.py" in names
    assert "surveylab/openapi.yaml" in names
    # the widgets' JavaScript, built by widgets/js/hatch_build.py: no CDN needed
    for asset in ("aladin.js", "require.js", "embed-amd.js"):
        assert f"surveylab_widgets/static/vendor/{asset}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "surveylab = surveylab.cli:main" in text
    assert "hub = surveylab_hub.cli:register" in text

"""Hatch build hook: the widgets' JavaScript (``widgets/js``) built into the package.

``npm ci && npm run build`` copies Aladin Lite, require.js and the widgets HTML manager into
``widgets/surveylab_widgets/static/vendor``. Every wheel build (``pip install``, ``make install``,
the image builds) runs it, unless the folder is newer than the npm project's lock file and script.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HERE = Path(__file__).resolve().parent
BUILT = HERE.parent / "surveylab_widgets" / "static" / "vendor" / "embed-amd.js"
INPUTS = ("package.json", "package-lock.json", "build.mjs")


def up_to_date() -> bool:
    """Whether the built files are newer than everything they are made from."""
    if not BUILT.is_file():
        return False
    built = BUILT.stat().st_mtime
    return all((HERE / name).stat().st_mtime <= built for name in INPUTS)


class WidgetAssetsHook(BuildHookInterface):  # type: ignore[type-arg]
    """Runs the npm build of ``widgets/js`` before the wheel is assembled."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if up_to_date():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "npm is needed to build the widgets' JavaScript (widgets/js): install node"
            )
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
        subprocess.run([npm, "run", "--silent", "build"], cwd=HERE, check=True)
        BUILT.touch()

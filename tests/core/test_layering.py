"""The core is a library of its own: importing it loads no Jupyter server, widget or hub code."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "surveylab",
    "surveylab.catalog",
    "surveylab.cli",
    "surveylab.demo",
    "surveylab.jobs",
    "surveylab.sql",
    "surveylab.writers",
    "surveylab.query_jobs",
    "surveylab.settings",
    "surveylab.survey",
    "surveylab.sqlshell",
    "surveylab.usertables",
    "surveylab.cutouts",
    "surveylab.footprint",
    "surveylab.hips",
    "surveylab.limits",
]
FORBIDDEN = ["jupyter_server", "ipywidgets", "jupyterhub", "tornado", "traitlets"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_adapter_framework(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in {FORBIDDEN!r} if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"

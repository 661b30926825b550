"""The core is a library of its own: importing it loads no Jupyter server, widget or hub code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


# --- the hub over the core ------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
#: What the core never imports, anywhere (function-level imports too): the hub and its frameworks.
HUB_SIDE = ("surveylab_hub", "jupyterhub", "kubespawner", "oauthenticator")
#: What the hub imports at start; none of it may load the heavy part of the core.
HUB_START_MODULES = [
    "surveylab_hub.config",
    "surveylab_hub.authenticator",
    "surveylab_hub.db_authenticators",
    "surveylab_hub.oauth",
    "surveylab_hub.spawner",
    "surveylab_hub.kube",
    "surveylab_hub.profiles",
]
HEAVY = ["numpy", "pyarrow", "duckdb", "astropy", "oracledb", "psycopg"]


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_never_imports_the_hub_and_the_hub_only_the_core() -> None:
    core = {
        str(path.relative_to(REPO)): sorted(_imported_packages(path) & set(HUB_SIDE))
        for path in sorted((REPO / "src" / "surveylab").rglob("*.py"))
    }
    assert {path: names for path, names in core.items() if names} == {}
    hub = {
        str(path.relative_to(REPO)): sorted(
            _imported_packages(path) & {"surveylab_server", "surveylab_widgets"}
        )
        for path in sorted((REPO / "hub_config").rglob("*.py"))
    }
    assert {path: names for path, names in hub.items() if names} == {}


def test_the_hub_starts_on_the_light_core() -> None:
    """The hub reads the core's contract (surveylab.labenv, the login errors) at start, and
    that loads neither numpy nor pyarrow, nor a database driver."""
    probe = (
        f"import sys\nfor m in {HUB_START_MODULES!r}: __import__(m)\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "print('surveylab.labenv' in sys.modules, "
        "'surveylab.catalog.login_errors' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    heavy, uses_core = result.stdout.splitlines()
    assert heavy == "", f"the hub's start loads {heavy}"
    assert uses_core == "True True"

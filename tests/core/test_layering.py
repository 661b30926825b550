"""The layers: the core is a library of its own (importing it loads no Jupyter server, widget or
hub code); the shell sits on the core alone; the server extension and the widgets use the core
(jobs through its job service) and not each other; no modules import each other in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

CORE_MODULES = [
    "surveylab",
    "surveylab.catalog",
    "surveylab.cli",
    "surveylab.demo",
    "surveylab.jobs",
    "surveylab.job_service",
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
    "surveylab.mail",
    "surveylab.helpdesk",
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


# --- the layers, read from the source -------------------------------------------------------
#
# Every import statement counts, at module level, in a function or under TYPE_CHECKING: a layer
# that imports another only for its types still depends on it.

REPO = Path(__file__).resolve().parents[2]
#: The import packages of the Python layers, by name, and where their source lies.
PACKAGES = {
    "surveylab": REPO / "src" / "surveylab",
    "surveylab_server": REPO / "serverextension" / "surveylab_server",
    "surveylab_widgets": REPO / "widgets" / "surveylab_widgets",
    "surveylab_hub": REPO / "hub_config" / "surveylab_hub",
}
SHELL = "surveylab.sqlshell"
#: The core modules that may import the shell: the ``surveylab`` command adds its ``sql``
#: subcommand.
SHELL_ENTRY_POINTS = {"surveylab.cli"}


def _module_files() -> dict[str, Path]:
    """Every module of the layers, by dotted name (a package by its own name)."""
    found = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _module_files()


def _imports(module: str) -> set[str]:
    """The project modules ``module`` imports (``from pkg import name`` counts ``pkg.name``
    where that is a module)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            named.add(source)
            named.update(f"{source}.{alias.name}" for alias in node.names)
    return {name for name in named if name in MODULES and name != module}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _layer_imports(package: str) -> dict[str, set[str]]:
    """The project modules each module of ``package`` imports."""
    return {module: _imports(module) for module in MODULES if _in(module, package)}


def test_the_layers_are_read_from_the_source() -> None:
    """The reader sees the imports the layers are known to have (so the tests below can fail)."""
    assert "surveylab.survey" in _imports("surveylab.sqlshell.interpreter")
    assert "surveylab.sqlshell.commands" in _imports("surveylab.sqlshell.interpreter")
    assert "surveylab.jobs.store" in _imports("surveylab.jobs.runner")  # a relative import
    assert "surveylab.survey" in _imports("surveylab_widgets.query")
    assert "surveylab" in _imports("surveylab_server.app")


def test_the_shell_imports_only_the_core() -> None:
    wrong = {
        f"{module} imports {imported}"
        for module, imports in _layer_imports(SHELL).items()
        for imported in imports
        if not _in(imported, "surveylab")
    }
    assert not wrong, sorted(wrong)


def test_the_core_does_not_import_the_shell() -> None:
    wrong = {
        f"{module} imports {imported}"
        for module, imports in _layer_imports("surveylab").items()
        if not _in(module, SHELL) and module not in SHELL_ENTRY_POINTS
        for imported in imports
        if _in(imported, SHELL)
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize(
    ("package", "others"),
    [
        ("surveylab_server", ("surveylab_widgets", "surveylab_hub", SHELL)),
        ("surveylab_widgets", ("surveylab_server", "surveylab_hub", SHELL)),
    ],
    ids=["server extension", "widgets"],
)
def test_an_adapter_imports_the_core_but_no_other_adapter(
    package: str, others: tuple[str, ...]
) -> None:
    imports = _layer_imports(package)
    assert any(_in(imported, "surveylab") for found in imports.values() for imported in found)
    wrong = {
        f"{module} imports {imported}"
        for module, found in imports.items()
        for imported in found
        if any(_in(imported, other) for other in others)
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("package", ["surveylab_server", "surveylab_widgets"])
def test_an_adapter_reaches_jobs_only_through_the_job_service(package: str) -> None:
    """No ``survey.runner`` (nor its store) in the server extension or the widgets: they call
    ``survey.job_service``, ``survey.submit`` and ``survey.cutouts``."""
    wrong = set()
    for module in _layer_imports(package):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "runner":
                wrong.add(f"{module}, line {node.lineno}: .runner")
            elif isinstance(node, ast.alias) and node.name in {"JobRunner", "JobStore"}:
                wrong.add(f"{module} imports {node.name}")
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("package", list(PACKAGES))
def test_no_import_circle(package: str) -> None:
    """No modules of the core and the shell (or of an adapter) import each other, directly or
    through others."""
    graph = _layer_imports(package)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"import circle: {' -> '.join(err.args[1])}")


# --- the hub over the core ------------------------------------------------------------------

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


def test_a_core_command_loads_no_adapter() -> None:
    """``surveylab sql`` (or any core subcommand) starts without loading the adapters'
    subcommands and their frameworks (JupyterHub, ~1 s); ``surveylab --help`` lists them."""
    probe = (
        "import sys\nfrom surveylab.cli import build_parser\n"
        "parser = build_parser('sql')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jupyterhub', 'surveylab_hub', 'jupyter_server'))))\n"
        "help = build_parser(None).format_help().splitlines()\n"
        "print(','.join(line.split()[0] for line in help if line.startswith('    ')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded, commands = result.stdout.splitlines()
    assert loaded == "", f"`surveylab sql` loads {loaded}"
    assert {"sql", "hub", "pool"} <= set(commands.split(","))

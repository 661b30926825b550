"""Sphinx configuration of the surveylab documentation (``make docs``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from surveylab import __version__

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "surveylab"
author = "the surveylab developers"
copyright = "the surveylab developers"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "openapi_markdown",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}  # .rst: autosummary's stubs
exclude_patterns = ["_build", "_generated"]
templates_path = ["_templates"]

# --- MyST --------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# --- the REST reference, rendered from the contract ---------------------------------------------
openapi_markdown_spec = "../src/surveylab/openapi.yaml"
openapi_markdown_output = "_generated/openapi.md"

# --- the Python API reference, from the docstrings (numpydoc style, read by napoleon) -----------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_class_signature = "separated"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

# --- nitpicky (-n): every reference to our own API must resolve -------------------------------
#: The packages documented here.
OURS = ("surveylab", "surveylab_server", "surveylab_widgets", "surveylab_hub")
_OURS = "|".join(OURS)
nitpick_ignore_regex = [
    # Other projects' objects (numpy, astropy, pyarrow, the standard library, ...) cannot resolve:
    # no intersphinx inventory can be fetched offline. The same holds for napoleon's prose types
    # ("optional", "array_like") and for short names in docstrings.
    (r"py:.*", rf"(?!(?:{_OURS})(?:\.|$)).*"),
    # Private modules and names (a leading underscore) are not documented.
    (r"py:.*", rf"(?:{_OURS})(?:\.\w+)*\._\w*(?:\.\w+)*"),
    # Type variables (``R`` in ``Generic[R]``).
    (r"py:.*", rf"(?:{_OURS})(?:\.\w+)*\.[A-Z]"),
]


def _documented_name(target: str) -> str | None:
    """Where a public alias (``surveylab.Survey``) is defined (``surveylab.survey.Survey``)."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if isinstance(obj, type(sys)):
            return obj.__name__
        return f"{module}.{qualname}" if module and qualname else None
    return None


def _resolve_alias(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a re-exported name to the object's documented place."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith(OURS):
        return None
    real = _documented_name(target)
    if real is None or real == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", real, node, contnode)


def setup(app: Any) -> None:
    """Hook the alias resolver into Sphinx."""
    app.connect("missing-reference", _resolve_alias)


# --- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"surveylab {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "auto"}
html_show_sourcelink = False
# Pages without children of their own need no section navigation on the left.
LEAF_PAGES = ("index", "overview", "rest", "architecture", "benchmarks", "development", "changelog")
html_sidebars: dict[str, list[str]] = {page: [] for page in LEAF_PAGES}

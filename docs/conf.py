"""Sphinx configuration of the surveylab documentation (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

from surveylab import __version__

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "surveylab"
author = "the surveylab developers"
copyright = "the surveylab developers"  # noqa: A001  (Sphinx's own setting name)
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "openapi_markdown",
]

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated"]
templates_path = ["_templates"]

# --- MyST --------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# --- the REST reference, rendered from the contract ---------------------------------------------
openapi_markdown_spec = "../serverextension/surveylab_server/openapi.yaml"
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

# --- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"surveylab {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "auto"}
html_show_sourcelink = False

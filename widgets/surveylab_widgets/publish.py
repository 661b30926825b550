"""Publish a notebook as one HTML file that shows its widgets and plots offline, with no kernel.

nbconvert's HTML export loads require.js and the Jupyter widgets HTML manager from public CDNs,
and the HTML manager fetches every third-party widget module (bqplot, anywidget, ...) from
jsdelivr; Bokeh and HoloViews output loads BokehJS from ``cdn.bokeh.org``. Offline, or behind a
firewall, such a page shows empty boxes. :func:`export_html` writes a page that needs no network:

- require.js and ``@jupyter-widgets/html-manager`` (``embed-amd.js``, which also defines the
  built-in controls) are inlined from the npm project in ``widgets/js`` (``npm run build``);
- each third-party widget module named in the notebook's widget state is inlined as a named AMD
  module from the installed packages' ``nbextensions`` folders, so the manager never asks a CDN
  (anywidget's module then imports each widget's ``_esm`` from the state through a ``blob:``
  URL: the FootprintViewer's Aladin Lite travels that way);
- BokehJS scripts that the outputs load from ``cdn.bokeh.org`` are replaced by bokeh's inline
  resources, the same files the installed ``bokeh`` package serves.

It executes the notebook first (optional) in a kernel of this Python environment, keeping the
widget state (nbclient ``store_widget_state``), so ``jupyter nbconvert --execute`` in CI and
``python -m surveylab_widgets.publish`` produce the same page.

Examples
--------
>>> from surveylab_widgets.publish import export_html
>>> export_html("examples/m2-colour-magnitude.ipynb", "m2.html")  # doctest: +SKIP
Published(path=PosixPath('m2.html'), modules=('bqplot', 'bqscales'), missing=())
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import nbformat
from jinja2 import DictLoader
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from jupyter_core.paths import jupyter_path
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from traitlets.config import Config

from .assets import AssetMissingError, asset_path, assets_dir

__all__ = [
    "BUILTIN_MODULES",
    "WIDGET_STATE",
    "PublishError",
    "Published",
    "execute_notebook",
    "export_html",
    "main",
    "widget_modules",
]

#: Widget modules that the HTML manager's ``embed-amd.js`` defines itself.
BUILTIN_MODULES = frozenset(
    {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
)
#: The kernel this environment runs notebooks in (its own Python, whatever kernelspecs say).
KERNEL_NAME = "surveylab-publish"
#: Kernel variables that make Bokeh, Panel and HoloViews embed BokehJS in their outputs.
INLINE_RESOURCES = {"BOKEH_RESOURCES": "inline", "PANEL_INLINE": "true"}
#: The MIME type of the widget state nbclient stores in the notebook's metadata.
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: A BokehJS or Panel file loaded from their CDNs, e.g.
#: ``https://cdn.bokeh.org/bokeh/release/bokeh-gl-3.9.2.min.js`` or
#: ``https://cdn.holoviz.org/panel/1.9.4/dist/panel.min.js``.
_CDN_FILE = re.compile(
    r"https://cdn\.bokeh\.org/bokeh/(?:release|dev)/(?P<bokeh>bokeh(?:-[a-z]+)?)-\d[\w.-]*?"
    r"(?P<min>\.min)?\.js"
    r"|https://cdn\.holoviz\.org/panel/[\w.-]+/dist/(?P<panel>[^\s\"'?)]+)(?:\?[^\s\"')]*)?"
)
#: A woff2 font that webpack code loads from its public path: ``n.p+"1551f4f60c37af51121f.woff2"``.
_WEBPACK_FONT = re.compile(r'\b\w+\.p\+"([0-9a-f]{20}\.woff2)"')
#: The page template: nbconvert's lab template with its CDN scripts replaced by inline ones.
_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}
<script>{{ resources.surveylab.requirejs }}</script>
{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}
{%- if "widgets" in nb.metadata -%}
{%- for name, code in resources.surveylab.modules -%}
<script data-surveylab-module="{{ name | e }}">
(function (define) {
{{ code }}
})((function (name) {
  function named(deps, factory) {
    if (typeof deps === "function") { factory = deps; deps = []; }
    return window.define(name, deps, factory);
  }
  named.amd = window.define.amd;
  return named;
})({{ name | tojson }}));
</script>
{%- endfor -%}
<script data-surveylab-module="@jupyter-widgets/html-manager">
{{ resources.surveylab.manager }}
</script>
{%- endif -%}
{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


class PublishError(ValueError):
    """A notebook that cannot be published: a cell failed, or the offline assets are missing."""


@dataclass(frozen=True)
class Published:
    """What :func:`export_html` wrote.

    Attributes
    ----------
    path : Path
        The HTML file.
    modules : tuple of str
        Third-party widget modules inlined into the page.
    missing : tuple of str
        Widget modules the notebook uses but this environment has no front end for (their
        widgets show the output's static fallback, if it has one).
    """

    path: Path
    modules: tuple[str, ...]
    missing: tuple[str, ...]


class _ThisPythonKernels(KernelSpecManager):
    """Kernel specs where :data:`KERNEL_NAME` is ipykernel on this very interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name != KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python {sys.version_info.major} (surveylab)",
            language="python",
        )


def execute_notebook(
    notebook: nbformat.NotebookNode,
    *,
    cwd: Path | None = None,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in place in a kernel of this Python, keeping widget state.

    Parameters
    ----------
    notebook : NotebookNode
        The notebook, changed in place (outputs and ``metadata.widgets``).
    cwd : Path, optional
        The kernel's working folder (default: this process's).
    timeout : int
        Seconds each cell may take.
    env : mapping, optional
        Variables added to this process's environment for the kernel, e.g.
        ``{"SURVEYLAB_DATA_DIR": "/data/dr1"}``.

    Raises
    ------
    PublishError
        When a cell raises: the message names the cell, its first line and the error.
    """
    kernel_env = {**os.environ, **INLINE_RESOURCES, **(env or {})}
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_ThisPythonKernels())
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(cwd or Path.cwd())}},
        store_widget_state=True,
    )
    try:
        client.execute(env=kernel_env, cwd=str(cwd or Path.cwd()))
    except CellExecutionError as error:
        raise PublishError(_cell_failure(notebook, error)) from None
    return notebook


def _cell_failure(notebook: nbformat.NotebookNode, error: CellExecutionError) -> str:
    """'cell 3 (`1/0`) raised ZeroDivisionError: division by zero' for the first failed cell."""
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                return (
                    f"code cell {number} (`{first.strip()[:80]}`) raised "
                    f"{output.get('ename')}: {output.get('evalue')}"
                )
    return f"the notebook failed: {error.ename}: {error.evalue}"


def widget_modules(notebook: nbformat.NotebookNode) -> list[str]:
    """The third-party widget modules (``model_module`` / ``view_module``) in the notebook's
    stored widget state, sorted; the HTML manager's own modules are left out."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    names = set()
    for model in state.values():
        names.add(model.get("model_module"))
        names.add(model.get("state", {}).get("_view_module"))
    return sorted(name for name in names if name and name not in BUILTIN_MODULES)


def _nbextension(module: str) -> Path | None:
    """The AMD ``index.js`` an installed package ships for widget module ``module``."""
    short = module.rsplit("/", 1)[-1]
    for root in jupyter_path("nbextensions"):
        for name in dict.fromkeys((module, short, short.replace("-", "_"))):
            candidate = Path(root) / name / "index.js"
            if candidate.is_file():
                return candidate
    return None


def _read_asset(name: str) -> str:
    try:
        return asset_path(name).read_text(encoding="utf-8")
    except AssetMissingError as err:
        raise PublishError(str(err)) from None


def _inline_fonts(manager: str) -> str:
    """The manager's code with each woff2 font it loads beside itself (``p + "<hash>.woff2"``,
    webpack's public path) turned into a ``data:`` URL, so its icons need no file either."""

    def replace(match: re.Match[str]) -> str:
        path = assets_dir() / match.group(1)
        if not path.is_file():
            return match.group(0)
        return f'"data:font/woff2;base64,{base64.b64encode(path.read_bytes()).decode("ascii")}"'

    return _WEBPACK_FONT.sub(replace, manager)


def _script_safe(code: str) -> str:
    """``code`` that cannot close its ``<script>`` element early."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _inline_cdn(html: str) -> str:
    """Replace each BokehJS and Panel file that ``html`` loads from their CDNs by a ``data:`` URL
    of the same file from the installed ``bokeh`` and ``panel`` packages."""
    cache: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        if url not in cache:
            path = _cdn_file(match)
            cache[url] = url if path is None else _data_url(path)
        return cache[url]

    return _CDN_FILE.sub(replace, html)


def _cdn_file(match: re.Match[str]) -> Path | None:
    """The installed file behind a :data:`_CDN_FILE` match, if there is one."""
    if match.group("bokeh"):
        import bokeh

        name = match.group("bokeh") + (match.group("min") or "") + ".js"
        path = Path(bokeh.__file__).parent / "server" / "static" / "js" / name
    else:
        try:
            import panel
        except ImportError:
            return None
        path = Path(panel.__file__).parent / "dist" / unquote(match.group("panel"))
    return path if path.is_file() else None


def _data_url(path: Path) -> str:
    kind = "text/css" if path.suffix == ".css" else "text/javascript"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def export_html(
    notebook: str | Path | nbformat.NotebookNode,
    out: str | Path,
    *,
    execute: bool = True,
    cwd: Path | None = None,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    theme: str = "light",
) -> Published:
    """Execute (optionally) and export ``notebook`` to ``out``: one HTML file that renders its
    widgets (state embedded) and Bokeh/HoloViews plots with no kernel and no network.

    Parameters
    ----------
    notebook : str, Path or NotebookNode
        The notebook file, or one already read.
    out : str or Path
        The HTML file to write (its folder is created).
    execute : bool
        Run the notebook first (default); False exports the outputs and widget state it has.
    cwd : Path, optional
        The kernel's working folder; default the notebook's folder (or this process's).
    timeout, env
        As :func:`execute_notebook`.
    theme : str
        nbconvert's page theme, "light" or "dark".

    Returns
    -------
    Published
        The file and the widget modules inlined (or missing).

    Raises
    ------
    PublishError
        A cell failed (named in the message), or the JavaScript assets are missing.
    """
    if isinstance(notebook, nbformat.NotebookNode):
        nb = notebook
    else:
        source = Path(notebook)
        nb = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]  # untyped
        cwd = cwd or source.resolve().parent
    if execute:
        execute_notebook(nb, cwd=cwd, timeout=timeout, env=env)
    modules, missing = [], []
    for name in widget_modules(nb):
        path = _nbextension(name)
        if path is None:
            missing.append(name)
        else:
            modules.append((name, _script_safe(path.read_text(encoding="utf-8"))))
    resources: dict[str, Any] = {
        "surveylab": {
            "requirejs": _script_safe(_read_asset("require.js")),
            "manager": _script_safe(_inline_fonts(_read_asset("embed-amd.js"))),
            "modules": modules,
        }
    }
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]  # nbconvert ships no hints
        config=_exporter_config(theme),
        extra_loaders=[DictLoader({"surveylab_offline.j2": _TEMPLATE})],
    )
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_inline_cdn(html), encoding="utf-8")
    return Published(target, tuple(name for name, _ in modules), tuple(missing))


def _exporter_config(theme: str) -> Config:
    config = Config()
    config.HTMLExporter.template_name = "lab"
    config.HTMLExporter.theme = theme
    config.HTMLExporter.embed_images = True
    config.HTMLExporter.template_file = "surveylab_offline.j2"
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m surveylab_widgets.publish NOTEBOOK [-o OUT.html] [--no-execute]``."""
    parser = argparse.ArgumentParser(
        prog="python -m surveylab_widgets.publish",
        description="Execute a notebook and export it as one HTML file that needs no network.",
    )
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="default: NOTEBOOK with .html")
    parser.add_argument("--no-execute", action="store_true", help="export the saved outputs")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    args = parser.parse_args(argv)
    out = args.output or args.notebook.with_suffix(".html")
    try:
        published = export_html(
            args.notebook, out, execute=not args.no_execute, timeout=args.timeout
        )
    except (PublishError, OSError) as error:
        print(f"{args.notebook}: {error}", file=sys.stderr)
        return 1
    print(f"wrote {published.path}" + "".join(f"; inlined {m}" for m in published.modules))
    for name in published.missing:
        print(f"warning: no front end installed for widget module {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

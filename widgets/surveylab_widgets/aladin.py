"""Aladin Lite for ipyaladin, from what surveylab installs (no CDN).

ipyaladin 0.8's front end (``ipyaladin/static/widget.js``) starts with
``import ... from "https://esm.sh/aladin-lite@..."``, which fails offline and behind firewalls.
:func:`offline_esm` builds one ES module instead: the npm ``aladin-lite`` bundle (its WebAssembly
inlined), wrapped in a function scope with its own ``self``, in place of that import, followed
by ipyaladin's own code and surveylab's overlay code (``static/footprint.js``). The widget's
``_esm`` carries it, so it works in a lab and in an exported notebook alike, with no request for
code.

The bundle is ``aladin.js`` from :mod:`surveylab_widgets.assets` (built by ``widgets/js``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import ipyaladin

from .assets import AssetMissingError, asset_path

__all__ = ["AladinNotFoundError", "offline_esm"]

STATIC = Path(__file__).parent / "static"

_CDN_IMPORT = re.compile(r'import\s*([\w$]+)\s*from\s*"https://esm\.sh/aladin-lite@[^"]+";')
_DEFAULT_EXPORT = re.compile(r"export\s*\{\s*([\w$]+)\s+as\s+default\s*\};?\s*$")


class AladinNotFoundError(AssetMissingError):
    """Aladin Lite's bundle is not installed, or ipyaladin's front end changed shape."""


def _module_body(source: str, what: str) -> tuple[str, str]:
    """An ES module's code without its final ``export {X as default}``, and ``X``."""
    match = _DEFAULT_EXPORT.search(source)
    if match is None:
        raise AladinNotFoundError(f"{what} does not end with `export {{X as default}}`")
    return source[: match.start()], match.group(1)


@cache
def offline_esm() -> str:
    """The widget's ES module: Aladin Lite inlined, ipyaladin's front end, surveylab's overlays.

    Built once per process (about 2.4 MB of text).
    """
    aladin_body, aladin_name = _module_body(
        asset_path("aladin.js").read_text(encoding="utf-8"), "aladin.js"
    )
    ipyaladin_source = (Path(ipyaladin.__file__).parent / "static" / "widget.js").read_text(
        encoding="utf-8"
    )
    ipyaladin_body, ipyaladin_name = _module_body(ipyaladin_source, "ipyaladin's widget.js")
    imported = _CDN_IMPORT.search(ipyaladin_body)
    if imported is None:
        raise AladinNotFoundError(
            f"ipyaladin {ipyaladin.__version__}'s widget.js has no CDN import of aladin-lite"
        )
    ours = (STATIC / "footprint.js").read_text(encoding="utf-8")
    return "\n".join(
        [
            # `self` is a parameter: the bundle assigns `self=this` in two constructors, which
            # would otherwise replace the page's global `self` (and break JupyterLab's chunk
            # loading for every extension loaded after the viewer)
            f"const __slAladinLib = ((self) => {{\n{aladin_body}\nreturn {aladin_name};\n}})"
            "(globalThis);",
            ours.replace("export default", "const __slOverlays =", 1),
            ipyaladin_body[: imported.start()]
            + f"const {imported.group(1)} = __slOverlays.hook(__slAladinLib);"
            + ipyaladin_body[imported.end() :],
            f"export default __slOverlays.wrap({ipyaladin_name});",
        ]
    )

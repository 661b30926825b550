"""Aladin Lite for ipyaladin, from what surveylab installs (no CDN).

ipyaladin 0.8's front end (``ipyaladin/static/widget.js``) starts with
``import ... from "https://esm.sh/aladin-lite@..."``, which fails offline and behind firewalls.
:func:`offline_esm` builds one ES module instead: the npm ``aladin-lite`` bundle (its WebAssembly
inlined), wrapped in a function scope, in place of that import, followed by ipyaladin's own code
and surveylab's overlay code (``static/footprint.js``). The widget's ``_esm`` carries it, so it
works in a lab and in an exported notebook alike, with no request for code.

Where the bundle comes from (first found): ``$SURVEYLAB_ALADIN_JS``, the package's
``static/aladin.js`` (copied there by ``python -m surveylab_widgets.aladin`` at build time), or a
development checkout's ``labextension/node_modules/aladin-lite/dist/aladin.js``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from functools import cache
from pathlib import Path

import ipyaladin

__all__ = ["AladinNotFoundError", "aladin_js_path", "copy_aladin_js", "offline_esm"]

STATIC = Path(__file__).parent / "static"
#: The bundle inside the package, and where the build step copies it from.
PACKAGED = STATIC / "aladin.js"
CHECKOUT = (
    Path(__file__).resolve().parents[2] / "labextension/node_modules/aladin-lite/dist/aladin.js"
)

_CDN_IMPORT = re.compile(r'import\s*([\w$]+)\s*from\s*"https://esm\.sh/aladin-lite@[^"]+";')
_DEFAULT_EXPORT = re.compile(r"export\s*\{\s*([\w$]+)\s+as\s+default\s*\};?\s*$")


class AladinNotFoundError(FileNotFoundError):
    """Aladin Lite's bundle is not installed, or ipyaladin's front end changed shape."""


def aladin_js_path() -> Path:
    """The ``aladin-lite`` ES module bundle this installation uses.

    Raises
    ------
    AladinNotFoundError
        If neither ``$SURVEYLAB_ALADIN_JS``, the packaged copy nor a checkout's npm copy exists.
    """
    override = os.environ.get("SURVEYLAB_ALADIN_JS")
    candidates = [Path(override)] if override else [PACKAGED, CHECKOUT]
    for path in candidates:
        if path.is_file():
            return path
    raise AladinNotFoundError(
        "Aladin Lite's bundle is missing (looked in "
        + ", ".join(str(p) for p in candidates)
        + "); run `python -m surveylab_widgets.aladin` after `npm ci` in labextension/"
    )


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
        aladin_js_path().read_text(encoding="utf-8"), "aladin.js"
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
            f"const __slAladinLib = (() => {{\n{aladin_body}\nreturn {aladin_name};\n}})();",
            ours.replace("export default", "const __slOverlays =", 1),
            ipyaladin_body[: imported.start()]
            + f"const {imported.group(1)} = __slOverlays.hook(__slAladinLib);"
            + ipyaladin_body[imported.end() :],
            f"export default __slOverlays.wrap({ipyaladin_name});",
        ]
    )


def copy_aladin_js(target: Path = PACKAGED) -> Path:
    """The build step: copy the npm bundle into the package (``static/aladin.js``)."""
    source = CHECKOUT if CHECKOUT.is_file() else aladin_js_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        shutil.copyfile(source, target)
    return target


if __name__ == "__main__":  # pragma: no cover - the build step
    print(copy_aladin_js(Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGED))

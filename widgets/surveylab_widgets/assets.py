"""The JavaScript the widgets carry, from what surveylab installs (never a CDN).

One folder, ``surveylab_widgets/static/vendor``, filled at build time by the npm project
``widgets/js`` (``npm ci && npm run build``, run by ``make install`` and packaged in the wheel):

- ``aladin.js``: the ``aladin-lite`` ES module bundle, WebAssembly inlined (FootprintViewer);
- ``require.js``, ``embed-amd.js`` and its ``*.woff2`` icon fonts: the Jupyter widgets HTML
  manager an offline published notebook inlines (:mod:`surveylab_widgets.publish`).

``$SURVEYLAB_WIDGET_ASSETS`` names another folder holding the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["VENDOR", "AssetMissingError", "asset_path", "assets_dir"]

#: Where the build step puts the files.
VENDOR = Path(__file__).parent / "static" / "vendor"


class AssetMissingError(FileNotFoundError):
    """A file the build step makes is not there."""


def assets_dir() -> Path:
    """The folder the widgets read their JavaScript from."""
    return Path(os.environ.get("SURVEYLAB_WIDGET_ASSETS") or VENDOR)


def asset_path(name: str) -> Path:
    """The path of one built file, e.g. ``asset_path("aladin.js")``.

    Raises
    ------
    AssetMissingError
        Naming the missing file and the command that makes it.
    """
    path = assets_dir() / name
    if not path.is_file():
        raise AssetMissingError(
            f"{path} is missing: run `npm ci && npm run build` in widgets/js "
            "(or set SURVEYLAB_WIDGET_ASSETS to a folder holding the built files)"
        )
    return path

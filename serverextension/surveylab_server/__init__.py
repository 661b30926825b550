"""surveylab's jupyter_server extension: the REST API under ``/surveylab/api``.

Handlers are thin adapters over the :mod:`surveylab` core. The prebuilt JupyterLab extension is
shipped inside this package (``labextension/``) and installed into ``share/jupyter/labextensions``.
"""

from __future__ import annotations

from typing import Any

from surveylab import __version__

from .app import SurveylabApp

__all__ = ["SurveylabApp", "__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "surveylab_server", "app": SurveylabApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "@surveylab/labextension"}]

"""surveylab: a science platform for a survey's data release.

The core: settings, catalog backends and the :class:`Survey` entry point. It imports no
jupyter_server, ipywidgets or jupyterhub; the server extension, the widgets and the hub are thin
adapters over it. The names below load on first use, so that importing a light part of the core
(the hub imports :mod:`surveylab.labenv`) loads neither numpy nor pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    QueryError,
    SurveylabError,
)

if TYPE_CHECKING:
    from .models import ColumnInfo, ReleaseInfo, TableInfo
    from .settings import Settings
    from .survey import Survey

__all__ = [
    "CatalogNotFoundError",
    "CatalogUnavailableError",
    "ColumnInfo",
    "QueryError",
    "ReleaseInfo",
    "Settings",
    "Survey",
    "SurveylabError",
    "TableInfo",
    "__version__",
]

#: The module of each name loaded on first use.
_LAZY = {
    "ColumnInfo": ".models",
    "ReleaseInfo": ".models",
    "TableInfo": ".models",
    "Settings": ".settings",
    "Survey": ".survey",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""surveylab: a science platform for a survey's data release.

The core: settings, catalog backends and the :class:`Survey` entry point. It imports no
jupyter_server, ipywidgets or jupyterhub; the server extension, the widgets and the hub are thin
adapters over it.
"""

from ._version import __version__
from .errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    QueryError,
    SurveylabError,
)
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

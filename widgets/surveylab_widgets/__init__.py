"""Notebook widgets over the surveylab core.

They run in the kernel and call :class:`surveylab.Survey` directly (no HTTP round trip). Each
shows errors as a message inside itself and leaves a static HTML (and, for pictures, PNG)
representation in the output, so an exported notebook shows it without a kernel.

- :func:`release_card`: which release a notebook works on.
- :class:`QueryPanel`: SQL editor with Quick / Submit / Check and examples; ``.result`` is a Table.
- :class:`JobBrowser`: the user's jobs; cancel, delete, rename, results; refreshes while jobs run.
- :class:`AnomalyExplorer`: an anomaly job's score histogram linked to its top rows' gallery.
- :class:`CutoutGallery`: a cutout job's thumbnails, enlarge, labels 0-9 (``.labels``,
  ``.fits_paths``).
- :class:`FindingChart`: a finding chart of one object or position (its PNG; ``.save()``).
- :class:`FootprintViewer`: Aladin Lite (ipyaladin) with the survey's overlays, offline.
- :mod:`surveylab_widgets.plots`: colour-magnitude and colour-colour diagrams.

``FootprintViewer`` and ``plots`` are imported on first use: ipyaladin and HoloViews take about
a second and a half to import.
"""

from __future__ import annotations

import importlib
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from surveylab import Survey

from .anomaly import AnomalyExplorer
from .chart import FindingChart
from .gallery import CutoutGallery
from .jobs import JobBrowser
from .query import QueryPanel

if TYPE_CHECKING:
    from . import plots
    from .footprint import FootprintViewer

__all__ = [
    "AnomalyExplorer",
    "CutoutGallery",
    "FindingChart",
    "FootprintViewer",
    "JobBrowser",
    "QueryPanel",
    "plots",
    "release_card",
]


def __getattr__(name: str) -> Any:
    """``FootprintViewer`` and ``plots``, imported when first asked for."""
    if name == "FootprintViewer":
        from .footprint import FootprintViewer

        return FootprintViewer
    if name == "plots":
        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def release_card(survey: Survey | None = None) -> widgets.HTML:
    """A card naming the release, its backend and its tables.

    It is plain HTML, so it also renders in an exported notebook with no kernel.

    Parameters
    ----------
    survey : Survey, optional
        The release to describe; ``Survey()`` (from ``SURVEYLAB_*`` settings) by default.
    """
    info = (survey or Survey()).info()
    rows = "".join(
        f"<tr><td><code>{escape(table.name)}</code></td>"
        f"<td style='text-align:right'>{'' if table.rows is None else f'{table.rows:,}'}</td>"
        f"<td>{escape(table.description)}</td></tr>"
        for table in info.tables
    )
    return widgets.HTML(
        f"<div class='surveylab-release-card'><h3>{escape(info.release)}</h3>"
        f"<p>surveylab {escape(info.version)} · backend {escape(info.backend)}</p>"
        f"<table><thead><tr><th>table</th><th>rows</th><th>description</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )

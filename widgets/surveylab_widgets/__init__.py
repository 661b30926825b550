"""Notebook widgets over the surveylab core.

They run in the kernel and call :class:`surveylab.Survey` directly (no HTTP round trip). Each
shows errors as a message inside itself and leaves a static HTML (and, for pictures, PNG)
representation in the output, so an exported notebook shows it without a kernel.

- :func:`release_card`: which release a notebook works on.
- :class:`QueryPanel`: SQL editor with Quick / Submit / Check and examples; ``.result`` is a Table.
- :class:`JobBrowser`: the user's jobs; cancel, delete, rename, results; refreshes while jobs run.
- :class:`CutoutGallery`: a cutout job's thumbnails, enlarge, labels 0-9 (``.labels``,
  ``.fits_paths``).
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from surveylab import Survey

from .gallery import CutoutGallery
from .jobs import JobBrowser
from .query import QueryPanel

__all__ = ["CutoutGallery", "JobBrowser", "QueryPanel", "release_card"]


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

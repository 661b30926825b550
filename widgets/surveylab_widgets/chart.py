"""A finding chart in a notebook: the chart's PNG, or a message saying why there is none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from surveylab import Survey
from surveylab.errors import SurveylabError

from ._display import SurveyWidget, error_text, image_html, message_html

__all__ = ["FindingChart"]


class FindingChart(SurveyWidget, widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """The finding chart of one object or position, drawn at once.

    Parameters
    ----------
    target : int, str, (ra, dec), SkyCoord or mapping
        A ``COADD_OBJECT_ID``, a DES object or tile name, a position or a row of a query result
        (see :meth:`surveylab.Survey.finding_chart`).
    survey : Survey, optional
        The release; ``Survey()`` by default.
    **options
        ``size``, ``band``, ``marker``, ``catalog``, ``mag_limit``, ``positions``, as
        :meth:`surveylab.Survey.finding_chart`.

    Attributes
    ----------
    png : bytes or None
        The chart, or None when it could not be made (the widget then shows why).

    Examples
    --------
    >>> FindingChart("323.36 -0.82", size=3, band="irg", catalog=True)  # doctest: +SKIP
    """

    def __init__(self, target: Any, survey: Survey | None = None, **options: Any) -> None:
        self._survey = survey
        self.target = target
        self.options = options
        self.png: bytes | None = None
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="640px"))
        self.message = widgets.HTML()
        super().__init__([self.message, self.image])
        self.add_class("surveylab-finding-chart")
        try:
            self.png = self.survey.finding_chart(target, **options)
        except SurveylabError as err:
            self.message.value = message_html(error_text(err), "error")
            self.image.layout.display = "none"
        else:
            self.image.value = self.png

    def save(self, path: str | Path) -> Path:
        """Write the chart to ``path``: a PDF if it ends in ``.pdf``, else a PNG."""
        target = Path(path)
        if target.suffix.lower() == ".pdf":
            target.write_bytes(self.survey.finding_chart(self.target, format="pdf", **self.options))
        elif self.png is None:
            raise SurveylabError(f"no chart to save: {self._error()}")
        else:
            target.write_bytes(self.png)
        return target

    def _error(self) -> str:
        return str(self.message.value) or "none was made"

    def static_html(self) -> str:
        """The chart inline, or the message."""
        if self.png is None:
            return str(self.message.value)
        return image_html(self.png, "image/png", alt=f"finding chart of {self.target}", width=640)

    def static_png(self) -> bytes | None:
        """The chart's PNG."""
        return self.png

"""``AnomalyExplorer``: an anomaly job's score histogram linked to the gallery of its top rows.

The histogram (SVG, drawn in the kernel: it shows in an exported notebook as it is) counts the
scores of every row, on a log scale; the top rows are ticked under it. Enlarging a cutout in the
gallery marks its score on the histogram (red); the ``score ≥`` slider shades the tail and
selects those rows (:attr:`AnomalyExplorer.selected`, an astropy Table), and the gallery moves to
the page of the last top row above the threshold.

Examples
--------
>>> from surveylab_widgets import AnomalyExplorer
>>> explorer = AnomalyExplorer.from_job("3f9c0a1b2d4e")  # doctest: +SKIP
>>> explorer.threshold.value = 0.7  # doctest: +SKIP
>>> explorer.selected  # the rows scored 0.7 or more  # doctest: +SKIP
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from surveylab import Survey
from surveylab.anomaly import ANOMALY_JOB

from ._display import SurveyWidget, WidgetError, error_text, message_html
from .gallery import CutoutGallery

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["AnomalyExplorer", "histogram_svg"]

#: Bins of the histogram.
BINS = 40
_WIDTH, _HEIGHT, _RUG = 480, 160, 10


def histogram_svg(
    scores: np.ndarray[Any, Any],
    *,
    top: np.ndarray[Any, Any] | None = None,
    mark: float | None = None,
    threshold: float | None = None,
    bins: int = BINS,
) -> str:
    """The scores' histogram as SVG: bars (log counts), the ``top`` scores ticked below, a red
    line at ``mark`` and the tail from ``threshold`` shaded."""
    finite = scores[np.isfinite(scores)]
    if not len(finite):
        return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>"
    low, high = float(finite.min()), float(finite.max())
    high = high if high > low else low + 1e-6
    counts, edges = np.histogram(finite, bins=bins, range=(low, high))
    scale = _HEIGHT / np.log10(counts.max() + 1)
    width = _WIDTH / bins

    def x(value: float) -> float:
        return (value - low) / (high - low) * _WIDTH

    parts = []
    if threshold is not None:
        parts.append(
            f"<rect class='tail' x='{x(threshold):.1f}' y='0' width='{_WIDTH - x(threshold):.1f}' "
            f"height='{_HEIGHT}' fill='#fde68a'/>"
        )
    for i, count in enumerate(counts):
        h = np.log10(count + 1) * scale
        parts.append(
            f"<rect class='bar' x='{i * width:.1f}' y='{_HEIGHT - h:.1f}' width='{width - 1:.1f}' "
            f"height='{h:.1f}' fill='#1f77b4'><title>{edges[i]:.3f}-{edges[i + 1]:.3f}: "
            f"{int(count):,}</title></rect>"
        )
    for value in [] if top is None else top:
        parts.append(
            f"<line class='top' x1='{x(float(value)):.1f}' x2='{x(float(value)):.1f}' "
            f"y1='{_HEIGHT + 2}' y2='{_HEIGHT + _RUG}' stroke='#111'/>"
        )
    if mark is not None:
        parts.append(
            f"<line class='mark' x1='{x(mark):.1f}' x2='{x(mark):.1f}' y1='0' "
            f"y2='{_HEIGHT + _RUG}' stroke='#c62828' stroke-width='2'/>"
        )
    axis = (
        f"<text x='0' y='{_HEIGHT + _RUG + 14}' font-size='11'>{low:.3f}</text>"
        f"<text x='{_WIDTH}' y='{_HEIGHT + _RUG + 14}' font-size='11' text-anchor='end'>"
        f"{high:.3f}</text><text x='{_WIDTH / 2}' y='{_HEIGHT + _RUG + 14}' font-size='11' "
        "text-anchor='middle'>ANOMALY_SCORE (log count)</text>"
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='surveylab-anomaly-histogram' "
        f"width='{_WIDTH}' height='{_HEIGHT + _RUG + 18}'>{''.join(parts)}{axis}</svg>"
    )


class AnomalyExplorer(SurveyWidget, widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """An ended anomaly job: its score histogram above the gallery of its top rows.

    Parameters
    ----------
    job_id : str
        The anomaly job (it must have ended; ``job.wait()`` first).
    survey : Survey, optional
        The release; ``Survey()`` by default.
    **gallery_options
        Passed to :class:`CutoutGallery` (``page_size``, ``thumbnail_px``).

    Attributes
    ----------
    scores : Table
        Every row of the job's scores table.
    gallery : CutoutGallery
        The top rows' cutouts.
    error : str or None
        Why the explorer cannot show the job (also shown in the widget).
    """

    def __init__(
        self, job_id: str, *, survey: Survey | None = None, **gallery_options: Any
    ) -> None:
        self._survey = survey
        self.error: str | None = None
        self.status = widgets.HTML()
        self.histogram = widgets.HTML()
        self.threshold = widgets.FloatSlider(
            description="score ≥", readout_format=".3f", continuous_update=False, step=0.001
        )
        self.threshold_label = widgets.Label()
        self.gallery: CutoutGallery | None = None
        self._scores = np.zeros(0)
        self._top = np.zeros(0)
        self._mark: float | None = None
        self.scores: Table | None = None
        super().__init__([self.status])
        self.add_class("surveylab-anomaly-explorer")
        try:
            self._open(job_id, gallery_options)
        except Exception as exc:  # the widget's boundary: bad input is a message
            self.error = error_text(exc)
            self.status.value = message_html(self.error, "error")

    @classmethod
    def from_job(
        cls, job_id: str, *, survey: Survey | None = None, **kwargs: Any
    ) -> AnomalyExplorer:
        """The explorer of anomaly job ``job_id``."""
        return cls(job_id, survey=survey, **kwargs)

    def _open(self, job_id: str, gallery_options: dict[str, Any]) -> None:
        job = self.survey.job(job_id)
        record = job.record
        if record.type != ANOMALY_JOB:
            raise WidgetError(f"job {job_id} is a {record.type} job, not an anomaly job")
        if not record.is_final:
            raise WidgetError(f"job {job_id} is {record.phase.value.lower()}: wait for it to end")
        self.scores = job.result("scores")
        self._scores = np.asarray(self.scores["ANOMALY_SCORE"], dtype=float)
        top = job.result("top")
        self._top = np.asarray(top["ANOMALY_SCORE"], dtype=float)
        self.status.value = message_html(
            f"job {job_id}: {len(self._scores):,} rows scored; the top {len(self._top):,} below",
            "ok",
        )
        finite = self._scores[np.isfinite(self._scores)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        self.threshold.min, self.threshold.max = low, max(high, low + 1e-3)
        self.threshold.value = float(self._top.min()) if len(self._top) else high
        self.threshold.observe(lambda _c: self._on_threshold(), names="value")
        self.gallery = CutoutGallery.from_job(job_id, survey=self.survey, **gallery_options)
        self.gallery.enlarged.observe(lambda _c: self._on_enlarged(), names="value")
        self.children = [
            self.status,
            self.histogram,
            widgets.HBox([self.threshold, self.threshold_label]),
            self.gallery,
        ]
        self._on_threshold()

    @property
    def selected(self) -> Table:
        """The rows scored at least the slider's threshold."""
        if self.scores is None:
            raise WidgetError(self.error or "no anomaly job is shown")
        return self.scores[self._scores >= self.threshold.value]

    @property
    def mark(self) -> float | None:
        """The score marked on the histogram: the enlarged cutout's."""
        return self._mark

    def _on_threshold(self) -> None:
        count = int((self._scores >= self.threshold.value).sum())
        self.threshold_label.value = f"{count:,} rows"
        if self.gallery is not None and len(self._top):
            above = int((self._top >= self.threshold.value).sum())
            if above:
                self.gallery.show_page((above - 1) // self.gallery.page_size)
        self._draw()

    def _on_enlarged(self) -> None:
        index = None if self.gallery is None else self.gallery.current
        self._mark = None if index is None or index >= len(self._top) else float(self._top[index])
        self._draw()

    def _draw(self) -> None:
        self.histogram.value = histogram_svg(
            self._scores, top=self._top, mark=self._mark, threshold=self.threshold.value
        )

    def static_html(self) -> str:
        """The status, the histogram and the gallery's page, for export."""
        gallery = "" if self.gallery is None else self.gallery.static_html()
        note = escape(self.threshold_label.value)
        return (
            f"<div class='surveylab-anomaly-explorer'>{self.status.value}{self.histogram.value}"
            f"<div>{note}</div>{gallery}</div>"
        )

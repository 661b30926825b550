"""Shared pieces of the widgets: messages, capped HTML tables, images and static fallbacks.

Every widget here shows errors as a message inside itself (never a traceback in the output) and
adds a ``text/html`` (and, for pictures, ``image/png``) representation beside its widget view, so
a notebook exported without a widget manager or kernel still shows what the widget showed.
"""

from __future__ import annotations

import base64
import math
from html import escape
from typing import TYPE_CHECKING, Any, Literal

from surveylab import Survey
from surveylab.errors import SurveylabError

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = [
    "MAX_SHOWN_ROWS",
    "StaticFallback",
    "SurveyWidget",
    "WidgetError",
    "error_text",
    "image_html",
    "message_html",
    "table_html",
]

#: Rows of a result drawn as HTML at most (the rest is counted, never embedded).
MAX_SHOWN_ROWS = 100

Kind = Literal["info", "ok", "error"]
_COLOURS: dict[str, str] = {"info": "#555", "ok": "#1a7f37", "error": "#c62828"}


class WidgetError(SurveylabError):
    """Something a widget cannot do as asked (no job selected, a job of the wrong type...)."""


def message_html(text: str, kind: Kind = "info") -> str:
    """``text`` (escaped, line breaks kept) as a coloured message block."""
    body = escape(text).replace("\n", "<br>")
    return (
        f"<div class='surveylab-message surveylab-{kind}' "
        f"style='color:{_COLOURS[kind]};white-space:pre-wrap;font-family:var(--jp-code-font-family,"
        f"monospace)'>{body}</div>"
    )


def error_text(exc: BaseException) -> str:
    """A one-line message for ``exc``: a surveylab error's own text, else its type and text."""
    if isinstance(exc, SurveylabError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _cell(value: Any) -> str:
    if value is None:
        return "<span style='color:#999'>NULL</span>"
    if isinstance(value, float) and math.isnan(value):
        return "<span style='color:#999'>NaN</span>"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return escape(str(value))


def table_html(table: Table, max_rows: int = MAX_SHOWN_ROWS, *, total: int | None = None) -> str:
    """The first ``max_rows`` rows of ``table`` as an escaped HTML table with its row count.

    Parameters
    ----------
    table : astropy.table.Table
        The rows; masked values show as ``NULL``. Column headers carry units (``RA [deg]``).
    max_rows : int
        How many rows to draw at most; a note says how many more there are.
    total : int, optional
        The full row count when ``table`` is itself a capped part of a larger result.
    """
    count = len(table) if total is None else total
    shown = table[: max(0, max_rows)]
    heads = []
    for name in table.colnames:
        unit = table[name].unit
        label = f"{name} [{unit}]" if unit is not None and str(unit) else name
        heads.append(f"<th>{escape(label)}</th>")
    columns = []
    for name in table.colnames:
        values = list(shown[name])
        mask = getattr(shown[name], "mask", None)
        flags = [False] * len(values) if mask is None else [bool(m) for m in mask]
        columns.append([_cell(None if m else v) for v, m in zip(values, flags, strict=True)])
    rows = zip(*columns, strict=True)
    body = ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    note = f"{count:,} row{'s' if count != 1 else ''}"
    if len(shown) < count:
        note += f" (first {len(shown):,} shown)"
    return (
        f"<div class='surveylab-table'><div class='surveylab-count'>{note}</div>"
        "<div style='max-height:360px;overflow:auto'>"
        "<table class='rendered_html jp-RenderedHTMLCommon' style='font-size:12px'>"
        f"<thead><tr>{''.join(heads)}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</div></div>"
    )


def image_html(data: bytes, mime: str = "image/jpeg", *, alt: str = "", width: int = 128) -> str:
    """An ``<img>`` with ``data`` inline (base64), so it survives export."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f"<img src='data:{mime};base64,{encoded}' alt='{escape(alt, quote=True)}' "
        f"title='{escape(alt, quote=True)}' width='{int(width)}'>"
    )


class StaticFallback:
    """Mixin for ipywidgets: add ``text/html`` (and ``image/png``) to the widget's mime bundle.

    A front end with a widget manager shows the live view; nbconvert's HTML with embedded widget
    state shows that too; anything else (a viewer with no widget support) falls back to this
    snapshot of what the widget shows when it is displayed.
    """

    def static_html(self) -> str:
        """The widget's current content as self-contained HTML."""
        raise NotImplementedError

    def static_png(self) -> bytes | None:
        """A PNG of the widget's current content, for pictures; None otherwise."""
        return None

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        parent = super()._repr_mimebundle_  # type: ignore[misc]  # ipywidgets.Widget's
        bundle: dict[str, Any] | None = parent(**kwargs) if parent is not None else None
        data = dict(bundle or {})
        data["text/html"] = self.static_html()
        png = self.static_png()
        if png is not None:
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data


class SurveyWidget(StaticFallback):
    """Mixin for the widgets over one release: :attr:`survey`, ``Survey()`` made on first use if
    none was given (so that building a widget costs no connection until it is needed)."""

    _survey: Survey | None = None

    @property
    def survey(self) -> Survey:
        """The release this widget works on."""
        if self._survey is None:
            self._survey = Survey()
        return self._survey

"""``CutoutGallery``: a cutout job's thumbnails in pages, click to enlarge, labels 0-9 per image.

The kernel is never blocked: while the job runs, a background thread fills a progress bar
("n of N positions") and the thumbnails come when it ends; :meth:`CutoutGallery.wait` blocks
until then (scripts, notebooks run headless). In the enlarged view, keys 0-9 set the label,
Backspace or Delete clears it and ← → step (a :class:`~surveylab_widgets.keys.KeyListener`).

Thumbnails are the job's colour JPEGs (``*_irg.jpg``, else the first band's PNG preview),
embedded as image bytes so they survive export; only the page on screen is read. Labels are
saved with the job through :func:`surveylab.cutouts.labels.save_labels` (the lab's gallery reads
the same ``labels.json``).

Examples
--------
>>> from surveylab_widgets import CutoutGallery
>>> gallery = CutoutGallery(table)  # a Table with RA and DEC columns  # doctest: +SKIP
>>> gallery.wait()  # only where nobody watches: a script, a notebook run headless  # doctest: +SKIP
True
>>> gallery = CutoutGallery.from_job("3f9c0a1b2d4e")  # doctest: +SKIP
>>> gallery.set_label(0, 3)  # doctest: +SKIP
>>> gallery.labels, gallery.fits_paths  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import threading
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from surveylab import Survey
from surveylab.anomaly import ANOMALY_JOB
from surveylab.cutouts import CUTOUT_JOB, SUMMARY_NAME
from surveylab.cutouts.labels import MAX_LABEL
from surveylab.jobs import Job, Phase

from ._display import SurveyWidget, WidgetError, error_text, image_html, message_html
from .keys import KeyListener

if TYPE_CHECKING:
    from surveylab.survey import SurveyJob

__all__ = ["CutoutGallery", "positions_from"]

#: Thumbnails per page.
PAGE_SIZE = 24
#: Thumbnail width in pixels.
THUMBNAIL_PX = 128
#: Seconds between looks at a running job's progress.
POLL_SECONDS = 0.5
_COLOUR = "colour"
_CLEAR_KEYS = ("Backspace", "Delete")
_STEP_KEYS = {"ArrowLeft": -1, "ArrowRight": 1}
#: The keys of the enlarged view: a label, clear it, previous / next cutout.
KEYS = (*(str(i) for i in range(MAX_LABEL + 1)), *_CLEAR_KEYS, *_STEP_KEYS)


class GalleryInputError(WidgetError):
    """Positions the gallery cannot cut: an empty table, one without RA/DEC, nothing given."""


def positions_from(source: Any) -> Any:
    """Positions to cut from ``source``: a Table's RA/DEC (any case), else ``source`` itself.

    Raises
    ------
    GalleryInputError
        For an empty table or list, or a table without RA and DEC columns.
    """
    if source is None:
        raise GalleryInputError("no positions given: pass a Table with RA and DEC, or positions")
    colnames = getattr(source, "colnames", None)
    if colnames is None and hasattr(source, "columns") and hasattr(source, "to_numpy"):
        colnames = [str(c) for c in source.columns]  # a pandas DataFrame
    if colnames is not None:
        by_upper = {str(name).upper(): name for name in colnames}
        if "RA" not in by_upper or "DEC" not in by_upper:
            have = ", ".join(map(str, colnames)) or "no columns"
            raise GalleryInputError(f"the table has no RA and DEC columns (it has {have})")
        if len(source) == 0:
            raise GalleryInputError("the table is empty: there are no positions to cut")
        ra = np.asarray(source[by_upper["RA"]], dtype=float)
        dec = np.asarray(source[by_upper["DEC"]], dtype=float)
        return list(zip(ra.tolist(), dec.tolist(), strict=True))
    try:
        empty = len(source) == 0
    except TypeError:
        empty = False
    if empty:
        raise GalleryInputError("no positions given: the list is empty")
    return source


class CutoutGallery(SurveyWidget, widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A grid of a cutout job's thumbnails: pages, click to enlarge, a label 0-9 per image.

    Parameters
    ----------
    source : Table, SkyCoord or sequence, optional
        Positions to cut: a Table (or DataFrame) with RA and DEC columns (any case), a
        SkyCoord, or anything :meth:`Survey.cutouts` takes. A job is submitted; its progress
        shows until it ends, then its thumbnails.
    survey : Survey, optional
        The release; ``Survey()`` by default.
    job_id : str, optional
        Show this existing cutout job instead (see :meth:`from_job`).
    page_size : int
        Thumbnails per page.
    thumbnail_px : int
        Thumbnail width on screen.
    interval : float
        Seconds between looks at a running job's progress.
    **cutout_options
        Passed to :meth:`Survey.cutouts` (``size``, ``bands``, ``rgb``, ``name``, ...); by default
        a colour image (``rgb=True``) and FITS in ``bands="i"``.

    Attributes
    ----------
    job : SurveyJob or None
        The cutout job shown.
    summary : dict
        Its ``summary.json`` (empty until it has ended: see :meth:`wait`).
    error : str or None
        The message shown when the gallery cannot show the job (also shown in the widget).
    """

    def __init__(
        self,
        source: Any = None,
        *,
        survey: Survey | None = None,
        job_id: str | None = None,
        page_size: int = PAGE_SIZE,
        thumbnail_px: int = THUMBNAIL_PX,
        interval: float = POLL_SECONDS,
        **cutout_options: Any,
    ) -> None:
        self._survey = survey
        self.page_size = max(1, int(page_size))
        self.thumbnail_px = thumbnail_px
        self.interval = interval
        self.job: SurveyJob | None = None
        self.summary: dict[str, Any] = {}
        self.error: str | None = None
        self.page = 0
        self.current: int | None = None
        self._labels: dict[str, int] = {}
        self._thumbs: dict[int, bytes] = {}
        self._buttons: dict[int, widgets.Button] = {}
        self._lock = threading.RLock()
        self._loaded = threading.Event()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.status = widgets.HTML()
        self.progress = widgets.IntProgress(
            min=0, max=1, value=0, bar_style="info", layout=widgets.Layout(width="240px")
        )
        self.progress_label = widgets.Label()
        self.cancel_button = widgets.Button(
            description="cancel",
            tooltip="cancel the cutout job",
            layout=widgets.Layout(width="auto"),
        )
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.progress_row = widgets.HBox(
            [self.progress, self.progress_label, self.cancel_button],
            layout=widgets.Layout(display="none", align_items="center"),
        )
        self.grid = widgets.GridBox(
            layout=widgets.Layout(
                grid_template_columns=f"repeat(auto-fill, minmax({thumbnail_px + 16}px, 1fr))",
                grid_gap="6px",
            )
        )
        self.prev_page = widgets.Button(description="◀ page", layout=widgets.Layout(width="auto"))
        self.next_page = widgets.Button(description="page ▶", layout=widgets.Layout(width="auto"))
        self.page_label = widgets.Label()
        self.prev_page.on_click(lambda _b: self.show_page(self.page - 1))
        self.next_page.on_click(lambda _b: self.show_page(self.page + 1))
        self.enlarged = widgets.Image(format="png", layout=widgets.Layout(width="360px"))
        self.band = widgets.ToggleButtons(options=[_COLOUR], style={"button_width": "4em"})
        self.band.observe(lambda _c: self._show_enlarged(), names="value")
        self.label_buttons = widgets.ToggleButtons(
            options=[("none", -1)] + [(str(i), i) for i in range(MAX_LABEL + 1)],
            value=-1,
            style={"button_width": "2.4em"},
            tooltips=["no label"] + [f"label {i}" for i in range(MAX_LABEL + 1)],
        )
        self.label_buttons.observe(self._on_label, names="value")
        self.info = widgets.HTML()
        self.key_listener = KeyListener(
            KEYS,
            scope=".surveylab-cutout-gallery",
            hint="keys: 0-9 label · Backspace clears · ← → previous / next",
        )
        self.key_listener.on_key(self._on_key)
        close = widgets.Button(description="close", layout=widgets.Layout(width="auto"))
        close.on_click(lambda _b: self.close_enlarged())
        step = [widgets.Button(description=d, layout=widgets.Layout(width="auto")) for d in "◀▶"]
        step[0].on_click(lambda _b: self._step(-1))
        step[1].on_click(lambda _b: self._step(1))
        self.viewer = widgets.VBox(
            [
                widgets.HBox([step[0], step[1], self.band, close]),
                widgets.HBox([self.enlarged, self.info]),
                self.label_buttons,
                self.key_listener,
            ],
            layout=widgets.Layout(display="none", border="1px solid #ccc", padding="4px"),
        )
        pager = widgets.HBox([self.prev_page, self.page_label, self.next_page])
        super().__init__([self.status, self.progress_row, pager, self.grid, self.viewer])
        self.add_class("surveylab-cutout-gallery")
        try:
            if job_id is None:
                positions = positions_from(source)
                cutout_options.setdefault("rgb", True)
                self._status("submitting the cutout job…")
                job_id = self.survey.cutouts(positions, **cutout_options).id
            self._follow(job_id)
        except Exception as exc:  # the widget's boundary: bad input is a message
            self._fail(error_text(exc))
            self._loaded.set()

    @classmethod
    def from_job(cls, job_id: str, *, survey: Survey | None = None, **kwargs: Any) -> CutoutGallery:
        """The gallery of an existing cutout job (its progress shown if it still runs)."""
        return cls(survey=survey, job_id=job_id, **kwargs)

    @property
    def positions(self) -> list[dict[str, Any]]:
        """The positions of the job in request order, as ``summary.json`` lists them."""
        return list(self.summary.get("positions", []))

    @property
    def names(self) -> list[str | None]:
        """The cutout name of each position (None where it failed): the keys of ``labels``."""
        return [e.get("name") if e.get("status") == "ok" else None for e in self.positions]

    @property
    def labels(self) -> dict[str, int]:
        """The labels given so far, ``{cutout name: 0-9}`` (as ``job_labels`` reads them)."""
        return dict(self._labels)

    @property
    def fits_paths(self) -> dict[str, dict[str, Path]]:
        """The FITS files of each cut position: ``{cutout name: {band: path}}``."""
        if self.job is None:
            return {}
        folder = self.survey.job_service.folder(self.job.id)
        found: dict[str, dict[str, Path]] = {}
        for entry in self.positions:
            if entry.get("status") != "ok":
                continue
            name = str(entry["name"])
            found[name] = {
                _band(name, f): folder / f for f in entry.get("files", []) if f.endswith(".fits")
            }
        return found

    # --- loading --------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        """Whether the gallery shows the job's end: its cutouts, or why there are none."""
        return self._loaded.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the gallery shows the job's cutouts (or why there are none).

        Only for code nobody watches, a script or a notebook run headless (nbconvert), so that
        the output saved has the thumbnails; in a live notebook they come by themselves.
        Returns False if ``timeout`` seconds passed first.
        """
        return self._loaded.wait(timeout)

    def cancel(self) -> None:
        """Cancel the running cutout job; the gallery then shows the cutouts made so far."""
        try:
            if self.job is None:
                raise WidgetError("no cutout job is shown")
            self.job.cancel()
        except Exception as exc:  # the widget's boundary
            self._fail(error_text(exc))

    def close(self) -> None:
        """Stop following the job (which goes on) and close the widget."""
        self._stop.set()
        poller = self._poller
        if poller is not None and poller is not threading.current_thread():
            poller.join(timeout=5)
        self._loaded.set()  # nothing more is coming: wait() returns
        self.key_listener.close()
        super().close()

    def _follow(self, job_id: str) -> None:
        """Show cutout job ``job_id``: at once if it has ended, else its progress until then."""
        job = self.survey.job(job_id)
        record = job.record
        if record.type not in (CUTOUT_JOB, ANOMALY_JOB):  # an anomaly job's top rows
            raise WidgetError(f"job {job_id} is a {record.type} job, not a cutout job")
        self.job = job
        if record.is_final:
            self._finish(record)
            return
        self._status(f"job {job_id} is {record.phase.value.lower()}: thumbnails when it ends")
        self._show_progress(record)
        self.progress_row.layout.display = "flex"
        self._poller = threading.Thread(
            target=self._poll, args=(job,), name="surveylab-cutout-gallery", daemon=True
        )
        self._poller.start()

    def _poll(self, job: SurveyJob) -> None:
        """The background thread: the job's progress until it ends or :meth:`close`."""
        try:
            while not self._stop.is_set():
                record = job.wait(self.interval)
                if self._stop.is_set():
                    return
                if record.is_final:
                    self._finish(record)
                    return
                self._show_progress(record)
        except Exception as exc:  # a failure in the background is a message too
            self._fail(error_text(exc))
            self._loaded.set()

    def _show_progress(self, record: Job) -> None:
        parameters = record.parameters
        total = len(parameters.get("positions") or []) + len(parameters.get("problems") or [])
        if record.type == ANOMALY_JOB:  # its gallery comes last: the top rows
            total = int(parameters.get("top") or 0) if record.is_final else 0
        done = min(record.rows, total)
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress_label.value = f"{done:,} of {total:,} positions"

    def _finish(self, record: Job) -> None:
        """Show the ended job's cutouts, or why there are none; then wake :meth:`wait`."""
        try:
            with self._lock:
                self._show_progress(record)
                self.progress.bar_style = "success" if record.phase is Phase.COMPLETED else "danger"
                self.progress_row.layout.display = "none"
                self._load(record)
        except Exception as exc:  # the widget's boundary
            self._fail(error_text(exc))
        finally:
            self._loaded.set()

    def _load(self, record: Job) -> None:
        job_id = record.id
        if record.file(SUMMARY_NAME) is None:
            raise WidgetError(
                f"job {job_id} ended {record.phase.value} without cutouts: "
                f"{record.error or record.message or 'no summary'}"
            )
        path = self.survey.job_service.file_path(job_id, SUMMARY_NAME)
        self.summary = json.loads(path.read_text(encoding="utf-8"))
        self._labels = self.survey.job_service.labels(job_id)
        counts = self.summary.get("counts", {})
        note = (
            f"job {job_id}: {counts.get('ok', 0):,} of {counts.get('positions', 0):,} positions cut"
        )
        if record.phase is Phase.ABORTED:
            self._fail(f"{note}; the job was cancelled ({record.message or 'cancelled'})")
        elif record.phase is Phase.ERROR:
            self._fail(f"{note}; the job failed: {record.error or 'no position could be cut'}")
        else:
            self._status(note, "ok")
        rgb = self.summary.get("request", {}).get("rgb")
        bands = list(self.summary.get("request", {}).get("bands", []))
        self.band.options = ([_COLOUR] if rgb else []) + bands
        self.show_page(0)

    def thumbnail(self, index: int) -> bytes | None:
        """The JPEG (or PNG) thumbnail bytes of position ``index``; None where it failed."""
        if index in self._thumbs:
            return self._thumbs[index]
        entry = self.positions[index]
        picture = _pick(entry.get("files", []), (".jpg", "_irg.png", ".png"))
        if picture is None or self.job is None:
            return None
        data = self.survey.job_service.file_path(self.job.id, picture).read_bytes()
        self._thumbs[index] = data
        return data

    # --- the grid -------------------------------------------------------------------------

    @property
    def pages(self) -> int:
        """How many pages the positions fill."""
        return max(1, -(-len(self.positions) // self.page_size))

    def show_page(self, page: int) -> None:
        """Show page ``page`` (0-based) of thumbnails; only its images are read."""
        self.page = max(0, min(page, self.pages - 1))
        start = self.page * self.page_size
        indices = range(start, min(start + self.page_size, len(self.positions)))
        self._buttons = {}
        previous = self.grid.children
        self.grid.children = [self._cell(i) for i in indices]
        for cell in previous:  # their models (and the image bytes) leave the notebook's state
            _close_tree(cell)
        self.page_label.value = f"page {self.page + 1} of {self.pages}"
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page >= self.pages - 1

    def _cell(self, index: int) -> widgets.Widget:
        entry = self.positions[index]
        title = f"{entry.get('ra')}, {entry.get('dec')}"
        if entry.get("status") != "ok":
            body: widgets.Widget = widgets.HTML(
                message_html(str(entry.get("error") or "not cut"), "error"),
                layout=widgets.Layout(width=f"{self.thumbnail_px}px"),
            )
        else:
            data = self.thumbnail(index)
            body = (
                widgets.Image(value=data, format=_format(entry), width=self.thumbnail_px)
                if data
                else widgets.HTML(message_html("no image"))
            )
            title = str(entry["name"])
        button = widgets.Button(
            description=self._button_text(index),
            tooltip=f"enlarge {title}",
            layout=widgets.Layout(width=f"{self.thumbnail_px}px"),
            disabled=entry.get("status") != "ok",
        )
        button.on_click(lambda _b, i=index: self.enlarge(i))
        self._buttons[index] = button
        return widgets.VBox([body, button])

    def _button_text(self, index: int) -> str:
        """``#n`` under a thumbnail, with its label if it has one."""
        label = self._labels.get(str(self.positions[index].get("name")))
        return f"#{index + 1}" + ("" if label is None else f" · {label}")

    # --- the enlarged view ----------------------------------------------------------------

    def enlarge(self, index: int) -> None:
        """Show position ``index`` enlarged, with its band buttons, label and files."""
        entry = self.positions[index]
        if entry.get("status") != "ok":
            self._status(str(entry.get("error") or "not cut"), "error")
            return
        self.current = index
        label = self._labels.get(str(entry["name"]))
        with self.label_buttons.hold_trait_notifications():
            self.label_buttons.value = -1 if label is None else label
        self._show_enlarged()
        self.key_listener.active = True  # before the view shows: keys work once it is seen
        self.viewer.layout.display = "flex"

    def close_enlarged(self) -> None:
        """Hide the enlarged view."""
        self.current = None
        self.viewer.layout.display = "none"
        self.key_listener.active = False

    def _on_key(self, key: str) -> None:
        """A key pressed in the enlarged view: 0-9 label it, Backspace/Delete clear, ←/→ step."""
        if self.current is None:
            return
        if key in _STEP_KEYS:
            self._step(_STEP_KEYS[key])
        else:
            self.label_buttons.value = -1 if key in _CLEAR_KEYS else int(key)

    def _step(self, delta: int) -> None:
        if self.current is None:
            return
        ok = [i for i, e in enumerate(self.positions) if e.get("status") == "ok"]
        if self.current in ok:
            self.enlarge(ok[(ok.index(self.current) + delta) % len(ok)])

    def _show_enlarged(self) -> None:
        if self.current is None or self.job is None:
            return
        entry = self.positions[self.current]
        files = entry.get("files", [])
        band = self.band.value
        wanted = ("_irg.png", ".jpg") if band == _COLOUR else (f"_{band}.png",)
        picture = _pick(files, wanted) or _pick(files, (".png", ".jpg"))
        folder = self.survey.job_service.folder(self.job.id)
        if picture is not None:
            self.enlarged.format = "jpeg" if picture.endswith(".jpg") else "png"
            self.enlarged.value = (folder / picture).read_bytes()
        rows = [
            ("name", entry["name"]),
            ("position", f"{entry.get('ra')}, {entry.get('dec')}"),
            ("tile", entry.get("tile")),
            ("coverage", entry.get("coverage")),
        ]
        paths = "".join(f"<li><code>{escape(str(folder / f))}</code></li>" for f in files)
        self.info.value = (
            "<table>"
            + "".join(f"<tr><th>{k}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
            + f"</table><ul style='font-size:11px'>{paths}</ul>"
        )

    # --- labels ---------------------------------------------------------------------------

    def set_label(self, key: int | str, label: int | None) -> dict[str, int]:
        """Give position ``key`` (index or cutout name) a label 0-9, or None to remove it.

        The labels are saved with the job at once and returned. A bad label or position shows a
        message in the gallery and leaves the labels as they were.
        """
        try:
            if self.job is None:
                raise WidgetError("no cutout job is shown")
            name = self.names[key] if isinstance(key, int) else key
            if name is None:
                raise WidgetError(f"position {key} was not cut: it cannot be labelled")
            labels = dict(self._labels)
            if label is None:
                labels.pop(name, None)
            else:
                labels[name] = label
            self._labels = self.survey.job_service.save_labels(self.job.id, labels)
        except Exception as exc:  # the widget's boundary
            self._status(error_text(exc), "error")
            return self.labels
        self._status(self._label_counts(), "ok")
        for index, button in self._buttons.items():  # the page stays: no images sent again
            button.description = self._button_text(index)
        return self.labels

    def _on_label(self, change: dict[str, Any]) -> None:
        if self.current is None:
            return
        value = change["new"]
        if self._labels.get(str(self.names[self.current])) != (None if value < 0 else value):
            self.set_label(self.current, None if value < 0 else int(value))

    def _label_counts(self) -> str:
        counts = dict.fromkeys(range(MAX_LABEL + 1), 0)
        for value in self._labels.values():
            counts[value] += 1
        used = ", ".join(f"{k}: {v}" for k, v in counts.items() if v)
        unlabelled = sum(name is not None for name in self.names) - len(self._labels)
        return f"labels saved ({used or 'none'}; {unlabelled} without a label)"

    # --- messages and static output -------------------------------------------------------

    def _status(self, text: str, kind: Any = "info") -> None:
        self.status.value = message_html(text, kind)

    def _fail(self, text: str) -> None:
        self.error = text
        self._status(text, "error")

    def static_html(self) -> str:
        """The status and this page's thumbnails (inline images) with errors, for export."""
        start = self.page * self.page_size
        cells = []
        for index in range(start, min(start + self.page_size, len(self.positions))):
            entry = self.positions[index]
            data = self.thumbnail(index) if entry.get("status") == "ok" else None
            if data is None:
                inner = message_html(str(entry.get("error") or "not cut"), "error")
            else:
                mime = "image/jpeg" if _format(entry) == "jpeg" else "image/png"
                inner = image_html(data, mime, alt=str(entry["name"]), width=self.thumbnail_px)
            cells.append(
                f"<div style='display:inline-block;vertical-align:top;margin:3px;"
                f"width:{self.thumbnail_px}px'>{inner}</div>"
            )
        running = (
            message_html(f"{self.progress_label.value} cut so far")
            if self.progress_row.layout.display != "none"
            else ""
        )
        return (
            f"<div class='surveylab-cutout-gallery'>{self.status.value}{running}"
            f"{''.join(cells)}</div>"
        )

    def static_png(self) -> bytes | None:
        """A contact sheet of this page's thumbnails (Pillow), or None without any."""
        from PIL import Image

        start = self.page * self.page_size
        images: list[Image.Image] = []
        for index in range(start, min(start + self.page_size, len(self.positions))):
            data = self.thumbnail(index) if self.positions[index].get("status") == "ok" else None
            if data is not None:
                with Image.open(io.BytesIO(data)) as opened:
                    images.append(opened.convert("RGB").resize((self.thumbnail_px,) * 2))
        if not images:
            return None
        columns = min(6, len(images))
        rows = -(-len(images) // columns)
        size = self.thumbnail_px + 4
        sheet = Image.new("RGB", (columns * size, rows * size), "white")
        for i, image in enumerate(images):
            sheet.paste(image, ((i % columns) * size + 2, (i // columns) * size + 2))
        out = io.BytesIO()
        sheet.save(out, format="PNG")
        return out.getvalue()


def _pick(files: list[str], endings: tuple[str, ...]) -> str | None:
    """The first file ending with the first ending that matches any file."""
    for ending in endings:
        for name in files:
            if name.endswith(ending):
                return name
    return None


def _close_tree(widget: widgets.Widget) -> None:
    """Close a widget and every widget inside it."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _format(entry: dict[str, Any]) -> str:
    picture = _pick(entry.get("files", []), (".jpg", "_irg.png", ".png")) or ""
    return "jpeg" if picture.endswith(".jpg") else "png"


def _band(name: str, file: str) -> str:
    """The band of a cutout's FITS file ``<name>_<band>.fits``."""
    return file[len(name) + 1 : -len(".fits")] if file.startswith(f"{name}_") else file

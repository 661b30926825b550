"""``JobBrowser``: the user's jobs (queries, cutouts, anomaly searches, similarity indexes),
with their actions and results.

While a job is pending, queued or running, a kernel-side thread refreshes the list every
``interval`` seconds; it stops as soon as nothing runs (no polling while idle) and starts again
with the next action or :meth:`JobBrowser.refresh` that finds an active job.

Examples
--------
>>> from surveylab_widgets import JobBrowser
>>> browser = JobBrowser()  # doctest: +SKIP
>>> browser.jobs[0].phase  # doctest: +SKIP
<Phase.COMPLETED: 'COMPLETED'>
>>> stars = browser.load_result()  # the selected query job's file as a Table  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from surveylab import Survey
from surveylab.cutouts import CUTOUT_JOB
from surveylab.jobs import Job, Phase

from ._display import SurveyWidget, WidgetError, error_text, message_html, table_html

if TYPE_CHECKING:
    from pathlib import Path

    from astropy.table import Table

    from .gallery import CutoutGallery

__all__ = ["JobBrowser", "jobs_html"]

#: Jobs listed at most (the newest first).
PAGE_SIZE = 50
#: Seconds between refreshes while a job is active.
REFRESH_SECONDS = 1.0


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _outcome(job: Job) -> str:
    """What a job did, or is doing, in a few words."""
    if job.phase is Phase.ERROR:
        return job.error or "failed"
    if job.phase is Phase.ABORTED:
        return job.message or "cancelled"
    if not job.is_final:
        return job.message or job.phase.value.lower()
    files = len(job.files)
    return f"{job.rows:,} rows · {files} file{'s' if files != 1 else ''}"


def jobs_html(jobs: list[Job], selected: str | None = None) -> str:
    """The jobs as an escaped HTML table: phase, name, id, type, created, progress, outcome."""
    if not jobs:
        return message_html("No jobs yet: submit one from a QueryPanel or Survey().submit().")
    rows = []
    for job in jobs:
        percent = max(0.0, min(1.0, job.progress)) * 100
        bar = (
            f"<progress max='100' value='{percent:.0f}'></progress> {percent:.0f}%"
            if not job.is_final
            else ""
        )
        mark = " style='background:var(--jp-layout-color2,#eee)'" if job.id == selected else ""
        rows.append(
            f"<tr{mark}><td>{escape(job.phase.value)}</td><td>{escape(job.name)}</td>"
            f"<td><code>{escape(job.id)}</code></td><td>{escape(job.type)}</td>"
            f"<td>{escape(_when(job.created))}</td><td>{bar}</td>"
            f"<td>{escape(_outcome(job))}</td></tr>"
        )
    return (
        "<table class='surveylab-jobs rendered_html jp-RenderedHTMLCommon' style='font-size:12px'>"
        "<thead><tr><th>phase</th><th>name</th><th>id</th><th>type</th><th>created</th>"
        f"<th>progress</th><th>outcome</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class JobBrowser(SurveyWidget, widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """The user's jobs with phase and progress; cancel, delete, rename; results.

    Parameters
    ----------
    survey : Survey, optional
        Whose job store to show; ``Survey()`` (from ``SURVEYLAB_*`` settings) by default.
    interval : float
        Seconds between refreshes while a job is active.
    limit : int
        How many of the newest jobs are listed.

    Attributes
    ----------
    jobs : list of Job
        The jobs listed, newest first.
    result : astropy.table.Table or None
        The last result loaded with :meth:`load_result`.
    error : str or None
        The last failure's message (also shown in the widget).
    """

    def __init__(
        self,
        survey: Survey | None = None,
        *,
        interval: float = REFRESH_SECONDS,
        limit: int = PAGE_SIZE,
    ) -> None:
        self._survey = survey
        self.interval = interval
        self.limit = limit
        self.jobs: list[Job] = []
        self.result: Table | None = None
        self.error: str | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.table = widgets.HTML()
        self.picker = widgets.Dropdown(description="job", layout=widgets.Layout(width="28em"))
        self.new_name = widgets.Text(placeholder="new name", layout=widgets.Layout(width="14em"))
        self.buttons = {
            label: widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            for label in ("Refresh", "Cancel", "Delete", "Rename", "Load result")
        }
        self.buttons["Refresh"].on_click(lambda _b: self.refresh())
        self.buttons["Cancel"].on_click(lambda _b: self.cancel())
        self.buttons["Delete"].on_click(lambda _b: self.delete())
        self.buttons["Rename"].on_click(lambda _b: self.rename(str(self.new_name.value)))
        self.buttons["Load result"].on_click(lambda _b: self.load_result())
        self.status = widgets.HTML()
        self.details = widgets.HTML()
        self._updating = False
        self.picker.observe(self._on_pick, names="value")
        actions = widgets.HBox(
            [self.picker, *(self.buttons[k] for k in ("Cancel", "Delete")), self.new_name,
             self.buttons["Rename"], self.buttons["Load result"], self.buttons["Refresh"]],
            layout=widgets.Layout(flex_flow="row wrap"),
        )  # fmt: skip
        super().__init__([self.table, actions, self.status, self.details])
        self.add_class("surveylab-job-browser")
        self.refresh()

    @property
    def selected(self) -> str | None:
        """The id of the job the actions apply to."""
        value = self.picker.value
        return None if value is None else str(value)

    @selected.setter
    def selected(self, job_id: str | None) -> None:
        self.picker.value = job_id

    @property
    def refreshing(self) -> bool:
        """Whether the background refresh runs (only while a job is active)."""
        poller = self._poller
        return poller is not None and poller.is_alive()

    # --- listing --------------------------------------------------------------------------

    def refresh(self) -> list[Job]:
        """Read the job list again; start the background refresh if a job is active."""
        try:
            with self._lock:
                jobs = self.survey.jobs(limit=self.limit)
                self._show(jobs)
        except Exception as exc:  # the widget's boundary
            self._report(error_text(exc))
            return self.jobs
        if any(not job.is_final for job in jobs):
            self._start_polling()
        return jobs

    def _show(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        keep = self.selected
        options = [(f"{job.name} ({job.id}, {job.phase.value})", job.id) for job in jobs]
        ids = {job.id for job in jobs}
        self._updating = True
        try:
            if list(self.picker.options) != options:
                self.picker.options = options
            self.picker.value = keep if keep in ids else (jobs[0].id if jobs else None)
        finally:
            self._updating = False
        self.table.value = jobs_html(jobs, self.selected)
        self._show_details()

    def _start_polling(self) -> None:
        with self._lock:
            if self.refreshing:
                return
            self._stop.clear()
            self._poller = threading.Thread(
                target=self._poll, name="surveylab-job-browser", daemon=True
            )
            self._poller.start()

    def _poll(self) -> None:
        """Refresh until no job is active or :meth:`close` is called."""
        while not self._stop.wait(self.interval):
            try:
                with self._lock:
                    jobs = self.survey.jobs(limit=self.limit)
                    self._show(jobs)
            except Exception as exc:  # a background failure is shown, and ends the polling
                self._report(error_text(exc))
                return
            if all(job.is_final for job in jobs):
                return

    def close(self) -> None:
        """Stop the background refresh and close the widget."""
        self._stop.set()
        poller = self._poller
        if poller is not None and poller is not threading.current_thread():
            poller.join(timeout=5)
        super().close()

    # --- actions on the selected job ----------------------------------------------------------

    def _job_id(self, job_id: str | None) -> str:
        chosen = job_id or self.selected
        if chosen is None:
            raise WidgetError("no job selected")
        return chosen

    def _act(self, what: str, job_id: str | None, action: Any) -> bool:
        self.error = None
        try:
            chosen = self._job_id(job_id)
            message = action(chosen)
        except Exception as exc:  # the widget's boundary
            self._report(error_text(exc))
            return False
        self.refresh()
        self.status.value = message_html(message or f"{what}: {chosen}", "ok")
        return True

    def cancel(self, job_id: str | None = None) -> bool:
        """Cancel a job (the selected one by default); a running query stops in the database."""
        jobs = self.survey.job_service
        return self._act("cancelled", job_id, lambda i: f"job {i}: {jobs.cancel(i).phase.value}")

    def delete(self, job_id: str | None = None) -> bool:
        """Delete a job and its files (a running job is cancelled first)."""
        jobs = self.survey.job_service

        def delete(job_id: str) -> str:
            jobs.delete(job_id)
            return f"deleted job {job_id}"

        return self._act("deleted", job_id, delete)

    def rename(self, name: str, job_id: str | None = None) -> bool:
        """Rename a job (1-128 characters, no ``/``)."""
        jobs = self.survey.job_service
        ok = self._act("renamed", job_id, lambda i: f"job {i} is now {jobs.rename(i, name).name!r}")
        if ok:
            self.new_name.value = ""
        return ok

    def load_result(self, job_id: str | None = None) -> Table | None:
        """Read a completed query job's result file into ``.result`` (and show its first rows)."""
        self.error = None
        try:
            chosen = self._job_id(job_id)
            job = self.survey.job(chosen)
            if job.record.type == CUTOUT_JOB:
                raise WidgetError(
                    f"job {chosen} is a cutout job: show it with CutoutGallery.from_job({chosen!r})"
                )
            if not job.record.is_final:
                raise WidgetError(f"job {chosen} is still {job.phase.value}: wait for it to end")
            table = job.result()
        except Exception as exc:  # the widget's boundary
            self._report(error_text(exc))
            return None
        self.result = table
        self.status.value = message_html(f"{len(table):,} rows loaded into .result", "ok")
        self.details.value = table_html(table)
        return table

    def gallery(self, job_id: str | None = None) -> CutoutGallery:
        """A :class:`CutoutGallery` of a cutout job (the selected one by default)."""
        from .gallery import CutoutGallery

        return CutoutGallery.from_job(self._job_id(job_id), survey=self.survey)

    def files(self, job_id: str | None = None) -> list[Path]:
        """The paths of a job's result files."""
        return self.survey.job(self._job_id(job_id)).files

    # --- display --------------------------------------------------------------------------

    def _on_pick(self, _change: dict[str, Any]) -> None:
        if not self._updating:
            self._show_details()

    def _show_details(self) -> None:
        job = next((j for j in self.jobs if j.id == self.selected), None)
        self.table.value = jobs_html(self.jobs, self.selected)
        if job is None:
            self.details.value = ""
            return
        lines = [f"<b>{escape(job.name)}</b> <code>{escape(job.id)}</code> · {job.phase.value}"]
        if job.error:
            lines.append(message_html(job.error, "error"))
        sql = job.parameters.get("sql")
        if isinstance(sql, str):
            lines.append(f"<pre style='white-space:pre-wrap'>{escape(sql)}</pre>")
        shown = job.files[:20]
        if shown:
            folder = self.survey.job_service.folder(job.id)
            items = "".join(
                f"<li><code>{escape(str(folder / f.name))}</code> ({f.size:,} bytes)</li>"
                for f in shown
            )
            more = len(job.files) - len(shown)
            tail = f"<div>… and {more:,} more files</div>" if more else ""
            lines.append(f"<ul>{items}</ul>{tail}")
        self.details.value = "".join(f"<div>{line}</div>" for line in lines)

    def _report(self, text: str) -> None:
        self.error = text
        self.status.value = message_html(text, "error")

    def static_html(self) -> str:
        """The job table and the selected job's details, for viewers with no widgets."""
        return (
            f"<div class='surveylab-job-browser'>{self.table.value}{self.status.value}"
            f"{self.details.value}</div>"
        )

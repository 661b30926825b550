"""``QueryPanel``: write SQL against the release, run it, and keep the result for the next cell.

Examples
--------
>>> from surveylab_widgets import QueryPanel
>>> from surveylab.demo import M2_EXAMPLE_QUERY
>>> panel = QueryPanel(sql=M2_EXAMPLE_QUERY)  # doctest: +SKIP
>>> stars = panel.run_quick()  # an astropy Table, also ``panel.result``  # doctest: +SKIP
>>> panel  # doctest: +SKIP
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from surveylab import Survey
from surveylab.errors import SQLSyntaxError
from surveylab.examples import EXAMPLES
from surveylab.survey import SurveyJob
from surveylab.writers import validate_format

from ._display import MAX_SHOWN_ROWS, SurveyWidget, error_text, message_html, table_html

if TYPE_CHECKING:
    from astropy.table import Table

    from surveylab.sql import PreparedQuery

__all__ = ["FORMATS", "QueryPanel"]

#: Result file formats a submitted job can write.
FORMATS = ("csv", "fits", "hdf5", "parquet")
_PICK = "Examples…"


def _syntax_pointer(sql: str, exc: SQLSyntaxError) -> str:
    """The offending line of ``sql`` with a caret under the column, for a syntax error."""
    lines = sql.splitlines()
    if exc.line is None or not 1 <= exc.line <= len(lines):
        return ""
    column = max(1, exc.column or 1)
    return f"\n{lines[exc.line - 1]}\n{' ' * (column - 1)}^"


class QueryPanel(SurveyWidget, widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """An SQL editor with Quick / Submit / Check, an example picker and the result as a table.

    Parameters
    ----------
    survey : Survey, optional
        The release to query; ``Survey()`` (from ``SURVEYLAB_*`` settings) by default.
    sql : str
        The editor's initial text.
    max_rows : int, optional
        Row cap of quick queries (default: the survey's ``quick_max_rows``, 10,000).
    timeout : float, optional
        Time limit of quick queries in seconds (default: the survey's ``quick_timeout``).
    shown_rows : int
        Rows drawn in the result table at most (the whole result stays in ``.result``).

    Attributes
    ----------
    result : astropy.table.Table or None
        The last quick result (``meta["truncated"]`` says whether it hit the row cap).
    job : SurveyJob or None
        The last submitted job.
    error : str or None
        The message of the last failure, shown in the panel too.
    """

    def __init__(
        self,
        survey: Survey | None = None,
        sql: str = "",
        *,
        max_rows: int | None = None,
        timeout: float | None = None,
        shown_rows: int = MAX_SHOWN_ROWS,
    ) -> None:
        self._survey = survey
        self.max_rows = max_rows
        self.timeout = timeout
        self.shown_rows = shown_rows
        self.result: Table | None = None
        self.job: SurveyJob | None = None
        self.error: str | None = None
        self.examples = widgets.Dropdown(
            options=[(_PICK, "")] + [(example.title, example.name) for example in EXAMPLES],
            value="",
            description="",
            layout=widgets.Layout(width="auto"),
        )
        self.editor = widgets.Textarea(
            value=sql,
            placeholder="SELECT RA, DEC FROM DR1_MAIN FETCH FIRST 10 ROWS ONLY",
            layout=widgets.Layout(width="100%", height="9em"),
        )
        self.quick_button = widgets.Button(
            description="Quick", button_style="primary", tooltip="run with a row cap and time limit"
        )
        self.submit_button = widgets.Button(
            description="Submit", tooltip="run the whole query into a file (a job)"
        )
        self.check_button = widgets.Button(description="Check", tooltip="check the syntax")
        self.format = widgets.Dropdown(
            options=FORMATS, value="csv", description="format", layout=widgets.Layout(width="11em")
        )
        self.job_name = widgets.Text(
            placeholder="job name (optional)", layout=widgets.Layout(width="14em")
        )
        self.status = widgets.HTML()
        self.output = widgets.HTML()
        self.examples.observe(self._on_example, names="value")
        self.quick_button.on_click(lambda _button: self.run_quick())
        self.submit_button.on_click(lambda _button: self.submit())
        self.check_button.on_click(lambda _button: self.check())
        toolbar = widgets.HBox(
            [
                self.quick_button,
                self.submit_button,
                self.check_button,
                self.format,
                self.job_name,
                self.examples,
            ],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        super().__init__([self.editor, toolbar, self.status, self.output])
        self.add_class("surveylab-query-panel")

    @property
    def sql(self) -> str:
        """The editor's text."""
        return str(self.editor.value)

    @sql.setter
    def sql(self, value: str) -> None:
        self.editor.value = value

    # --- actions --------------------------------------------------------------------------

    def run_quick(self) -> Table | None:
        """Run the editor's query as a quick query; show and return the result (None on error)."""
        self._begin("running…")
        sql = self.sql
        try:
            table = self.survey.quick_table(sql, timeout=self.timeout, max_rows=self.max_rows)
        except Exception as exc:  # the widget's boundary: a failure is a message, not a traceback
            self.result = None
            self._fail(exc, sql)
            return None
        self.result = table
        note = f"{len(table):,} rows in {table.meta['elapsed']:.2f} s"
        if table.meta["truncated"]:
            note += f" · truncated at {len(table):,} rows: submit a job for the whole result"
        self.status.value = message_html(note, "ok")
        self.output.value = (
            table_html(table, self.shown_rows)
            if len(table)
            else message_html("The query returned no rows.")
        )
        return table

    def submit(self, format: str | None = None, name: str | None = None) -> SurveyJob | None:
        """Submit the editor's query as a job writing the whole result (None on error).

        ``format`` and ``name`` default to the panel's choices.
        """
        self._begin("submitting…")
        sql = self.sql
        try:
            chosen, compression = validate_format(format or str(self.format.value), None)
            job_name = name or str(self.job_name.value) or None
            job = self.survey.submit(sql, format=chosen, compression=compression, name=job_name)
        except Exception as exc:  # the widget's boundary
            self._fail(exc, sql)
            return None
        self.job = job
        self.status.value = message_html(
            f"Submitted job {job.id} ({chosen}); see JobBrowser() or "
            f"surveylab-jobs/{job.id}/ for its result.",
            "ok",
        )
        return job

    def check(self) -> PreparedQuery | None:
        """Check the editor's query without running it; show the SQL the database will run."""
        self._begin("checking…")
        sql = self.sql
        try:
            prepared = self.survey.check(sql)
        except Exception as exc:  # the widget's boundary
            self._fail(exc, sql)
            return None
        self.status.value = message_html("The query is valid.", "ok")
        self.output.value = (
            "<div>The database will run:</div>"
            f"<pre style='white-space:pre-wrap'>{escape(prepared.sql)}</pre>"
        )
        return prepared

    def load_example(self, name: str) -> None:
        """Put the example query called ``name`` (e.g. ``"m2-stars"``) into the editor."""
        for example in EXAMPLES:
            if example.name == name:
                self.sql = example.sql
                self.status.value = message_html(example.description)
                return
        known = ", ".join(example.name for example in EXAMPLES)
        self._show_error(f"no example named {name!r}; examples: {known}")

    # --- display --------------------------------------------------------------------------

    def static_html(self) -> str:
        """The query, the status line and the result table, for viewers with no widgets."""
        return (
            "<div class='surveylab-query-panel'>"
            f"<pre style='white-space:pre-wrap'>{escape(self.sql)}</pre>"
            f"{self.status.value}{self.output.value}</div>"
        )

    def _on_example(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.load_example(change["new"])
            self.examples.value = ""

    def _begin(self, what: str) -> None:
        self.error = None
        self.status.value = message_html(what)

    def _fail(self, exc: Exception, sql: str) -> None:
        text = error_text(exc)
        if isinstance(exc, SQLSyntaxError):
            text += _syntax_pointer(sql, exc)
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.error = text
        self.status.value = message_html(text, "error")
        self.output.value = ""

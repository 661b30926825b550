"""The shell's interpreter: runs parsed actions against a :class:`~surveylab.Survey`.

It knows nothing of prompt_toolkit: the interactive shell, ``-c`` and ``-f`` all hand it text
and get an exit status back (0 ok, 1 SQL or runtime error, 2 usage error, 130 Ctrl-C).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from ..errors import QueryCancelledError, SQLSyntaxError, SurveylabError
from ..sql import PreparedQuery
from ..survey import Survey
from ..usertables import UserTableError, UserTables
from .commands import COMMAND_HANDLERS
from .config import ShellConfig, ShellSettings
from .console import Console
from .export import check_writable, export_result
from .parse import (
    Action,
    Check,
    Command,
    Explain,
    Export,
    ShellUsageError,
    Statement,
    Submit,
    parse_input,
)
from .render import caret_lines, render_table
from .running import CancelScope, run_cancellable

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_OK",
    "EXIT_SQL_ERROR",
    "EXIT_USAGE",
    "ExitShellError",
    "Interpreter",
    "internal_error_message",
]

EXIT_OK = 0
EXIT_SQL_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130

#: The qualifier of DuckDB user tables in queries.
USER_QUALIFIER = "MYDB."


class ExitShellError(Exception):
    """``exit`` or ``quit``."""


class Interpreter:
    """Runs what the user typed.

    Parameters
    ----------
    survey : Survey
        The release, as the user (its settings carry the credentials).
    console : Console
        Where output goes.
    settings : ShellSettings
        Where the shell's files are.
    config : ShellConfig
        The current ``config``; changes are saved to ``settings.config_file``.
    history : callable, optional
        Returns the statements typed before, oldest first (for ``history``).
    """

    def __init__(
        self,
        survey: Survey,
        console: Console,
        settings: ShellSettings,
        config: ShellConfig,
        history: Callable[[], list[str]] | None = None,
    ) -> None:
        self.survey = survey
        self.console = console
        self.settings = settings
        self.config = config
        self.history = history or (lambda: [])
        self.submitted: list[str] = []
        #: Called after load_table or drop_table (the completer forgets the names it knew).
        self.on_tables_changed: Callable[[], None] = lambda: None
        self._user_tables: UserTables | None = None
        console.paging = config.pager

    # --- running text ----------------------------------------------------------------------

    def run_text(self, text: str, *, final: bool = True) -> int:
        """Run every action in ``text``; stop at the first that fails and return its status."""
        try:
            actions = parse_input(text, final=final)
        except ShellUsageError as err:
            self.console.error(f"ERROR: {err}")
            return EXIT_USAGE
        for action in actions:
            status = self.run_action(action)
            if status != EXIT_OK:
                return status
        return EXIT_OK

    def run_action(self, action: Action) -> int:
        """Run one action; print what went wrong, if anything, and return the exit status."""
        try:
            if isinstance(action, Statement):
                self.run_statement(action)
            elif isinstance(action, Submit):
                self.submit(action.statement)
            else:
                return self.run_command(action)
        except ExitShellError:
            raise
        except ShellUsageError as err:
            self.console.error(f"ERROR: {err}")
            return EXIT_USAGE
        except SQLSyntaxError as err:
            self.console.error(f"ERROR: {err}")
            statement = action.statement if isinstance(action, Submit) else action
            if isinstance(statement, Statement):
                for line in caret_lines(statement.text, err):
                    self.console.error(line)
            return EXIT_SQL_ERROR
        except QueryCancelledError as err:
            self.console.error(f"ERROR: {err}")
            return EXIT_CANCELLED
        except (SurveylabError, OSError) as err:
            self.console.error(f"ERROR: {err}")
            return EXIT_SQL_ERROR
        except Exception as err:  # a fault of one statement never ends the session
            self.console.error(f"ERROR: {internal_error_message(err)}")
            return EXIT_SQL_ERROR
        finally:
            self.console.end_progress()
        return EXIT_OK

    def run_command(self, command: Command) -> int:
        """Run a shell command (see :mod:`surveylab.sqlshell.commands`)."""
        if command.name in ("exit", "quit"):
            raise ExitShellError
        result = COMMAND_HANDLERS[command.name](self, command.args)
        return EXIT_OK if result is None else result

    # --- statements ------------------------------------------------------------------------

    @property
    def timeout(self) -> float | None:
        """The statement time limit in force (None: no limit)."""
        return self.config.timeout or None

    def prepare(self, text: str) -> PreparedQuery:
        """Check ``text``; open the user's tables if it names them."""
        prepared = self.survey.check(text)
        if any(table.startswith(USER_QUALIFIER) for table in prepared.tables):
            self.user_tables().open()
        return prepared

    def run_statement(self, statement: Statement) -> None:
        """Print the result of ``statement``, or do what its suffix asks."""
        prepared = self.prepare(statement.text)
        suffix = statement.suffix
        if isinstance(suffix, Check):
            self.console.print(f"OK: the statement is valid; {self.survey.catalog.backend} runs:")
            self.console.print(f"  {prepared.sql}")
        elif isinstance(suffix, Explain):
            plan = run_cancellable(
                lambda _scope: self.survey.explain(statement.text), self._running
            )
            self.console.show(plan)
        elif isinstance(suffix, Export):
            self.export(prepared, suffix)
        else:
            self.show_result(prepared)

    def _running(self, seconds: float) -> None:
        self.console.progress(f"  running {seconds:.0f} s (Ctrl-C cancels) ...")

    def show_result(self, prepared: PreparedQuery) -> None:
        """Fetch at most ``prefetch`` rows and print them as a table."""
        limit = self.config.prefetch
        started = time.perf_counter()

        def fetch(scope: CancelScope) -> pa.Table:
            with self.survey.catalog.execute(
                prepared.sql, timeout=self.timeout, batch_rows=min(limit + 1, 65_536)
            ) as handle:
                scope.on_cancel(handle.cancel)
                taken: list[pa.RecordBatch] = []
                rows = 0
                for batch in handle.batches():
                    taken.append(batch)
                    rows += batch.num_rows
                    if rows > limit:
                        break
                return pa.Table.from_batches(taken, schema=handle.schema)

        data = run_cancellable(fetch, self._running)
        self.console.end_progress()
        elapsed = time.perf_counter() - started
        more = data.num_rows > limit
        data = data.slice(0, limit)
        text = render_table(data, null=self.config.null, format=self.config.format)
        self.console.show(text)
        if self.config.format == "table":
            if more:
                self.console.error(
                    f"first {limit:,} rows shown in {elapsed:.2f} s; the result has more "
                    "(prefetch N shows more; '; > file.fits' writes them all)"
                )
            else:
                rows = "1 row" if data.num_rows == 1 else f"{data.num_rows:,} rows"
                self.console.error(f"{rows} in {elapsed:.2f} s")

    def export(self, prepared: PreparedQuery, target: Export) -> None:
        """Write the whole result to ``target.path``."""
        path = Path(target.path).expanduser().absolute()
        check_writable(path)

        def progress(rows: int) -> None:
            self.console.progress(f"  {rows:,} rows written to {path.name} ...")

        written = run_cancellable(
            lambda scope: export_result(
                self.survey, prepared, target, scope, timeout=self.timeout, progress=progress
            )
        )
        self.console.end_progress()
        self.console.print(f"{written.rows:,} rows written to {path} ({_size(written.size)})")

    def submit(self, statement: Statement) -> None:
        """Start a job of the user's job store; ``> name.fits`` names it and its format."""
        suffix = statement.suffix
        if isinstance(suffix, Check | Explain):
            raise ShellUsageError("submit takes '> name.format' only, not '< check' or '< explain'")
        self.prepare(statement.text)
        format, compression, name = "csv", None, None
        if isinstance(suffix, Export):
            if suffix.format == "tab":
                raise ShellUsageError("a job writes csv, fits, h5 or parquet, not .tab")
            format, compression = suffix.format, suffix.compression
            name = Path(suffix.path).name.split(".")[0] or None
        job = self.survey.submit(statement.text, format=format, compression=compression, name=name)
        self.submitted.append(job.id)
        record = job.record
        self.console.print(
            f"job {job.id} ({record.name}) submitted: {format}; it shows in the job browser and "
            f"its files go to {self.survey.job_service.folder(job.id)}"
        )

    def wait_for_jobs(self) -> None:
        """Wait for the jobs this session submitted if they run in this process (Ctrl-C
        cancels them); jobs of the hub's platform service go on without the shell."""
        running = [j for j in self.submitted if not self.survey.job(j).record.is_final]
        if not running:
            return
        if self.survey.platform is not None:
            self.console.error(
                f"{len(running)} submitted job(s) go on in the platform service; "
                "the job browser shows them"
            )
            return
        self.console.error(
            f"waiting for {len(running)} submitted job(s) to finish (Ctrl-C cancels them) ..."
        )
        try:
            for job_id in running:
                while not self.survey.job(job_id).wait(0.2).is_final:
                    pass
        except KeyboardInterrupt:
            for job_id in running:
                self.survey.job(job_id).cancel()
        for job_id in running:
            record = self.survey.job(job_id).wait(30)
            self.console.error(f"job {job_id}: {record.phase.value} {record.error or ''}".rstrip())

    # --- user tables -----------------------------------------------------------------------

    def user_tables(self) -> UserTables:
        """The user's tables beside the release; a clear error where the backend has none,
        and :class:`~surveylab.errors.RoleRefusedError` where the user's role forbids them."""
        role = self.survey.settings.lab_role
        if role is not None:
            role.require("user_tables")
        if self._user_tables is None:
            tables = self.survey.catalog.user_tables(self.settings.user_db_file)
            if tables is None:
                raise UserTableError(
                    f"user tables are not available on a {self.survey.catalog.backend} catalog"
                )
            self._user_tables = tables
        return self._user_tables


def internal_error_message(error: Exception) -> str:
    """What the user is told of an error surveylab did not foresee: what it is and what it says."""
    detail = str(error).strip()
    kind = type(error).__name__
    return f"internal error ({kind}: {detail})" if detail else f"internal error ({kind})"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{size} bytes"

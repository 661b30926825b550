"""The interactive shell: a prompt_toolkit prompt over the :class:`Interpreter`.

Multi-line editing where Enter runs the input once every statement has its ``;`` (a command
runs at the end of its line), history kept across sessions in a file only the user can read,
and completion (Tab) of keywords, tables and columns.
"""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from ..errors import RoleRefusedError
from ..usertables import UserTableError
from .complete import SchemaCache, SqlCompleter
from .config import private_file
from .interpreter import ExitShellError, Interpreter, internal_error_message
from .parse import is_complete

__all__ = ["PROMPT", "run_interactive"]

PROMPT = "surveylab> "
CONTINUATION = "       ...> "


def _bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
        elif is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _run_now(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    return bindings


def _schema(shell: Interpreter) -> SchemaCache:
    def user_tables() -> list[str]:
        try:
            tables = shell.user_tables()
            return [tables.query_name(table.name) for table in tables.tables()]
        except (UserTableError, RoleRefusedError):
            return []

    return SchemaCache(
        lambda: [table.name for table in shell.survey.tables()],
        lambda table: [column.name for column in shell.survey.columns(table)],
        user_tables,
    )


def run_interactive(shell: Interpreter) -> int:
    """Read, run, repeat until ``exit``, ``quit`` or Ctrl-D; the exit status is 0."""
    history = FileHistory(str(private_file(shell.settings.history_file)))
    shell.history = lambda: list(reversed(list(history.load_history_strings())))
    schema = _schema(shell)
    shell.on_tables_changed = schema.forget
    session: PromptSession[str] = PromptSession(
        PROMPT,
        multiline=True,
        history=history,
        completer=ThreadedCompleter(SqlCompleter(schema)),
        complete_while_typing=False,
        key_bindings=_bindings(),
        prompt_continuation=CONTINUATION,
    )
    survey = shell.survey
    shell.console.print(
        f"surveylab sql: {survey.release} on {survey.catalog.backend}. Statements end with ';'; "
        "help lists the commands; Ctrl-D leaves."
    )
    while True:
        try:
            text = session.prompt()
        except KeyboardInterrupt:  # Ctrl-C at the prompt drops what was typed
            continue
        except EOFError:
            break
        try:
            shell.run_text(text, final=True)
        except ExitShellError:
            break
        except KeyboardInterrupt:
            shell.console.error("interrupted")
        except Exception as err:  # whatever one input did, the session goes on
            shell.console.error(f"ERROR: {internal_error_message(err)}")
    return 0

"""The interactive shell in a real terminal (tmux): typing, completion, paging, history,
Ctrl-C, errors on screen, on the demo DuckDB and on PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer

from .conftest import SLOW_SQL, SQL_COMMAND, PostgresLogin
from .screen import Screen

PROMPT = r"^surveylab>$"
#: The prompt on the last line: the shell reads keys again (Ctrl-D is the shell's, not the tty's).
READY = r"^surveylab>\Z"


@pytest.fixture
def screen(shell_env: dict[str, str], tmp_path: Path) -> Iterator[Screen]:
    """``surveylab sql`` in a 120x30 terminal, at its first prompt."""
    terminal = Screen([*SQL_COMMAND], shell_env, cwd=tmp_path)
    try:
        terminal.wait_for(PROMPT)
        yield terminal
    finally:
        terminal.close()


def last_line(screen: Screen) -> str:
    return screen.text().splitlines()[-1]


def test_a_statement_runs_when_its_semicolon_is_typed_and_history_is_kept(
    screen: Screen, shell_env: dict[str, str], tmp_path: Path
) -> None:
    screen.type("SELECT TILENAME, RA_CENT\n")
    screen.wait_for(r"^ +\.\.\.>$")  # a second line: no ';' yet
    screen.type("FROM DR1_TILE_INFO ORDER BY TILENAME FETCH FIRST 3 ROWS ONLY;\n")
    screen.wait_for(r"^3 rows in [0-9.]+ s$")
    table = screen.text()
    assert "TILENAME" in table and "RA_CENT" in table and "------------" in table
    screen.wait_for(READY)
    screen.press("C-d")
    assert screen.exit_status() == 0
    history = Path(shell_env["HOME"]) / ".surveylab" / "sql_history"
    assert "FETCH FIRST 3 ROWS ONLY;" in history.read_text()
    assert history.stat().st_mode & 0o777 == 0o600

    again = Screen([*SQL_COMMAND], shell_env)
    try:
        again.wait_for(PROMPT)
        again.press("Up")
        again.wait_for(r"FETCH FIRST 3 ROWS ONLY;$")
    finally:
        again.close()


def test_tab_completes_columns_of_the_statement_tables_first(screen: Screen) -> None:
    screen.type("SELECT COUNT(*) FROM DR1_TILE_INFO WHERE RA_")
    screen.press("Tab")
    menu = screen.wait_for(r"RA_CENT")
    assert menu  # the menu lists DR1_TILE_INFO's RA_ columns
    screen.press("C-c")
    screen.wait_for(PROMPT)
    screen.type("describe_table DR1_TI")
    screen.press("Tab")
    screen.wait_for(r"^surveylab> describe_table DR1_TILE_INFO$")
    screen.press("C-c")
    screen.wait_for(PROMPT)
    screen.type("sel")
    screen.press("Tab")
    screen.wait_for(r"^surveylab> SELECT$")


def test_a_long_result_is_paged_and_the_pager_returns_to_the_prompt(screen: Screen) -> None:
    screen.type("SELECT COADD_OBJECT_ID, TILENAME FROM DR1_MAIN FETCH FIRST 200 ROWS ONLY;\n")
    screen.wait_for(r"^:$")  # less waits on its prompt: the result is longer than the screen
    assert "COADD_OBJECT_ID" in screen.text()
    screen.press("q")
    screen.wait_for(r"^200 rows in")
    screen.wait_for(PROMPT)


def test_ctrl_c_cancels_a_running_query_and_keeps_the_shell(screen: Screen) -> None:
    screen.type(SLOW_SQL + ";\n")
    screen.wait_for(r"running \d+ s \(Ctrl-C cancels\)")
    pressed = time.monotonic()
    screen.press("C-c")
    screen.wait_for(r"ERROR: cancelled \(Ctrl-C\)", timeout=15)
    # the message comes once the database call has ended: DuckDB was interrupted
    assert time.monotonic() - pressed < 15
    screen.wait_for(PROMPT)
    screen.type("SELECT 41 + 1 AS ANSWER FROM dual;\n")
    screen.wait_for(r"^ +42$")


def test_errors_show_where_and_what_was_meant(screen: Screen) -> None:
    screen.type("SELECT RA, DEC\nFROM DR1_MAIN WHERE RA > AND DEC < 0;\n")
    found = screen.wait_for(r"^ERROR: syntax error.*\(line 2, column (\d+)\)$")
    column = int(found.group(1))
    lines = screen.text().splitlines()
    caret = lines.index(next(line for line in lines if line.strip() == "^"))
    assert lines[caret - 1] == "  FROM DR1_MAIN WHERE RA > AND DEC < 0"
    assert lines[caret].index("^") == 2 + column - 1 == lines[caret - 1].index("AND")
    screen.type("descibe_table DR1_MAIN\n")
    screen.wait_for(r"unknown command 'descibe_table': did you mean describe_table\?")
    screen.wait_for(PROMPT)


#: A self-join that names RA twice, as a cross-match does.
SELF_JOIN = (
    "SELECT a.RA, b.RA FROM DR1_MAIN a JOIN DR1_MAIN b ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID "
    "ORDER BY a.COADD_OBJECT_ID FETCH FIRST 2 ROWS ONLY"
)
#: A statement nested deeper than the SQL parser can follow: it fails inside the parser.
TOO_DEEP = "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS X FROM dual"


def test_an_error_in_one_statement_keeps_the_session(screen: Screen) -> None:
    screen.type(TOO_DEEP + ";\n")
    screen.wait_for(r"^ERROR: .+")
    screen.wait_for(READY)
    screen.type(SELF_JOIN + ";\n")
    screen.wait_for(r"^2 rows in [0-9.]+ s$")
    assert re.search(r"^ *RA +RA_2$", screen.text(), re.MULTILINE)
    screen.wait_for(READY)
    screen.type("SELECT 41 + 1 AS ANSWER FROM dual;\n")
    screen.wait_for(r"^ +42$")
    screen.wait_for(READY)
    screen.press("C-d")
    assert screen.exit_status() == 0
    assert "Traceback" not in screen.text()


def test_a_long_export_shows_progress_and_writes_every_row(screen: Screen, tmp_path: Path) -> None:
    # a query whose rows come out over seconds: 576M pairs tested, 288,000 kept
    screen.type(
        "SELECT A.COADD_OBJECT_ID, B.COADD_OBJECT_ID AS B_ID FROM DR1_MAIN A, DR1_MAIN B "
        "WHERE MOD(A.COADD_OBJECT_ID * 7 + B.COADD_OBJECT_ID, 2000) = 0; > pairs.csv\n"
    )
    screen.wait_for(r"[\d,]+ rows written to pairs\.csv \.\.\.")  # the progress line
    done = screen.wait_for(r"^([\d,]+) rows written to (\S+) ", timeout=120)
    assert "\u2588" not in screen.text()  # no progress bar of DuckDB's own on the screen
    rows = int(done.group(1).replace(",", ""))
    with Path(done.group(2)).open() as written:
        assert sum(1 for _ in written) == rows + 1 > 100_000  # the header and every row


def test_postgres_query_cancelled_by_ctrl_c_stops_in_the_database(
    shell_env: dict[str, str], reader_login: PostgresLogin, postgres_server: PostgresServer
) -> None:
    terminal = Screen([*SQL_COMMAND], {**shell_env, **reader_login.env()})
    try:
        terminal.wait_for(PROMPT)
        assert not processes_showing(reader_login.password)
        terminal.type(SLOW_SQL + ";\n")
        wait_until(lambda: active_queries(postgres_server) == 1)
        terminal.press("C-c")
        terminal.wait_for(r"ERROR: cancelled \(Ctrl-C\)")
        wait_until(lambda: active_queries(postgres_server) == 0)
        terminal.type("SELECT COUNT(*) AS N FROM DR1_TILE_INFO;\n")
        terminal.wait_for(r"^1 row in")
        terminal.wait_for(READY)
        terminal.press("C-d")
        assert terminal.exit_status() == 0
    finally:
        terminal.close()
    history = Path(shell_env["HOME"]) / ".surveylab" / "sql_history"
    assert reader_login.password not in history.read_text()


def processes_showing(secret: str) -> list[str]:
    """The processes whose command line holds ``secret``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if secret.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:  # the process ended meanwhile
            continue
    return found


def active_queries(server: PostgresServer) -> int:
    """Statements the catalog's connections run now (a cursor's FETCH while it works)."""
    with server.admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND application_name = 'surveylab' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)

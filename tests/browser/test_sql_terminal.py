"""The SQL terminal command: a JupyterLab terminal running ``surveylab sql``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.support.hub import descendants
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser


def sql_shells(lab: RunningLab) -> list[list[str]]:
    """The command lines of the ``surveylab sql`` processes under the lab's server."""
    found = []
    for pid in descendants(lab.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "sql" in argv and any(Path(arg).name == "surveylab" for arg in argv):
            found.append(argv)
    return found


def test_the_sql_terminal_command_starts_the_shell(lab_page: Page, running_lab: RunningLab) -> None:
    before = len(sql_shells(running_lab))
    lab_page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('surveylab:open-sql-terminal'); }"
    )
    expect(lab_page.locator(".jp-Terminal")).to_be_visible()
    deadline = time.monotonic() + 60
    while len(sql_shells(running_lab)) <= before:
        assert time.monotonic() < deadline, "no surveylab sql process under the lab"
        time.sleep(0.2)
    shot(lab_page, "sql-terminal")
    lab_page.keyboard.type("exit\n")  # the shell leaves on its own command
    deadline = time.monotonic() + 30
    while len(sql_shells(running_lab)) > before:
        assert time.monotonic() < deadline, "surveylab sql did not exit"
        time.sleep(0.2)

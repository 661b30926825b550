"""A real terminal for the shell's tests: tmux runs the program in a pty and keeps the screen,
which the tests read as text (``tmux capture-pane``), as a person would see it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["Screen"]

#: Seconds to wait for what a test expects on the screen.
DEFAULT_WAIT = 30.0
#: Keys tmux sends by name.
_KEY_NAMES = frozenset({"Enter", "Tab", "Escape", "C-c", "C-d", "Up", "Down", "q", "Space"})


class Screen:
    """A program running in a tmux pane of ``width`` x ``height`` characters.

    tmux runs on a private socket, started with ``env`` (so that nothing secret is on a
    command line); :meth:`close` ends it.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: Path | None = None,
        width: int = 120,
        height: int = 30,
    ) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            raise RuntimeError("the shell's tests need tmux (apt-get install tmux)")
        self._folder = Path(tempfile.mkdtemp(prefix="surveylab-tmux-"))
        self._tmux = [tmux, "-S", str(self._folder / "socket")]
        self._status = self._folder / "status"
        # the shell run by tmux writes the program's exit status where exit_status() reads it
        command = f"{' '.join(_quote(arg) for arg in argv)}; echo $? > {_quote(str(self._status))}"
        # remain-on-exit keeps the pane (and its last screen) when the program ends.
        self._run(
            "new-session",
            "-d",
            "-c",
            str(cwd or Path.cwd()),
            "-s",
            "t",
            "-x",
            str(width),
            "-y",
            str(height),
            command,
            env=env,
        )
        self._run("set-option", "-t", "t", "remain-on-exit", "on")

    def _run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        result = subprocess.run(
            [*self._tmux, *args],
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            check=True,
        )
        return result.stdout

    def type(self, text: str) -> None:
        """Type ``text`` as keystrokes (a newline is Enter)."""
        for part in re.split(r"([;\n])", text):
            if part == ";":  # tmux would take a trailing ';' for its own command separator
                self._run("send-keys", "-t", "t", "-H", "3b")
            elif part == "\n":
                self._run("send-keys", "-t", "t", "Enter")
            elif part:
                self._run("send-keys", "-t", "t", "-l", part)

    def press(self, *keys: str) -> None:
        """Press named keys: ``Enter``, ``Tab``, ``C-c``, ``C-d``, ``q``, ..."""
        for key in keys:
            if key not in _KEY_NAMES:
                raise ValueError(f"unknown key {key!r}")
            self._run("send-keys", "-t", "t", key)

    def text(self) -> str:
        """What the screen shows now (lines without trailing blanks)."""
        return "\n".join(
            line.rstrip() for line in self._run("capture-pane", "-p", "-t", "t").splitlines()
        ).rstrip()

    def wait_for(self, pattern: str, timeout: float = DEFAULT_WAIT) -> re.Match[str]:
        """Wait until the screen matches the regex ``pattern``; return the match."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text()
            found = re.search(pattern, screen, re.MULTILINE)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on the screen after {timeout} s:\n{screen}")
            time.sleep(0.05)

    def wait_gone(self, pattern: str, timeout: float = DEFAULT_WAIT) -> None:
        """Wait until the screen no longer matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while re.search(pattern, self.text(), re.MULTILINE):
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} still on the screen after {timeout} s")
            time.sleep(0.05)

    def exit_status(self, timeout: float = DEFAULT_WAIT) -> int:
        """Wait for the program to end; its exit status."""
        deadline = time.monotonic() + timeout
        while True:
            written = self._status.read_text() if self._status.exists() else ""
            if written.endswith("\n"):
                return int(written)
            if time.monotonic() > deadline:
                raise AssertionError(f"the program still runs after {timeout} s:\n{self.text()}")
            time.sleep(0.05)

    def close(self) -> None:
        """Stop tmux and the program."""
        subprocess.run([*self._tmux, "kill-server"], capture_output=True, check=False)
        shutil.rmtree(self._folder, ignore_errors=True)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"

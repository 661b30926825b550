"""Where the shell's text goes: results to standard output (through a pager when long and
interactive), messages and progress to standard error."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from typing import TextIO

__all__ = ["DEFAULT_PAGER", "Console"]

#: The pager when neither SURVEYLAB_PAGER nor PAGER is set: less, quitting at once when the
#: text fits the screen (-F), leaving it on screen (-X), long lines cut rather than wrapped (-S).
DEFAULT_PAGER = "less -FXS"
#: A progress line appears only for work that has run this long (seconds) ...
PROGRESS_AFTER = 0.5
#: ... and is redrawn at most this often.
PROGRESS_EVERY = 0.2


class Console:
    """The shell's output streams.

    Parameters
    ----------
    out, err : text streams, optional
        Standard output and error; by default ``sys.stdout`` and ``sys.stderr`` as they are now.
    interactive : bool
        Whether a person reads the screen: long results are paged, progress is drawn.
    show_progress : bool, optional
        Draw progress lines; by default when interactive or when ``err`` is a terminal.
    """

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        interactive: bool = False,
        show_progress: bool | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.interactive = interactive
        self.show_progress = (
            (interactive or self.err.isatty()) if show_progress is None else show_progress
        )
        self.paging = True
        self._progress_started: float | None = None
        self._progress_drawn = 0.0
        self._progress_width = 0

    def print(self, text: str = "") -> None:
        """A line (or lines) of output."""
        self.out.write(text + "\n")
        self.out.flush()

    def error(self, text: str) -> None:
        """A message on standard error."""
        self.end_progress()
        self.err.write(text + "\n")
        self.err.flush()

    def show(self, text: str) -> None:
        """A result: paged when interactive and longer than the terminal."""
        lines = text.count("\n") + 1
        height = shutil.get_terminal_size().lines
        if self.interactive and self.paging and lines > height - 2 and self._page(text):
            return
        self.print(text)

    def _page(self, text: str) -> bool:
        """Show ``text`` in the pager; False if there is none to run."""
        command = os.environ.get("SURVEYLAB_PAGER") or os.environ.get("PAGER") or DEFAULT_PAGER
        try:
            argv = shlex.split(command)
        except ValueError:
            return False
        if not argv or shutil.which(argv[0]) is None:
            return False
        self.out.flush()
        process = subprocess.Popen(argv, stdin=subprocess.PIPE)
        assert process.stdin is not None
        try:
            process.stdin.write((text + "\n").encode(errors="replace"))
            process.stdin.close()
        except BrokenPipeError:  # the user quit the pager early
            pass
        while True:
            try:
                process.wait()
                return True
            except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
                continue

    def progress(self, text: str) -> None:
        """A transient status line for long work (on a terminal only, throttled)."""
        if not self.show_progress:
            return
        now = time.monotonic()
        if self._progress_started is None:
            self._progress_started = now
        if (
            now - self._progress_started < PROGRESS_AFTER
            or now - self._progress_drawn < PROGRESS_EVERY
        ):
            return
        self._progress_drawn = now
        self.err.write("\r" + text.ljust(self._progress_width))
        self.err.flush()
        self._progress_width = len(text)

    def end_progress(self) -> None:
        """Clear the status line, if one was drawn."""
        if self._progress_width:
            self.err.write("\r" + " " * self._progress_width + "\r")
            self.err.flush()
        self._progress_started = None
        self._progress_width = 0

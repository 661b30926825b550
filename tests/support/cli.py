"""The ``surveylab`` command run in the test's own process: what a script would see of it (exit
status, standard output and error) without a second of interpreter start-up per run."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from surveylab.cli import main


def run_in_process(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``surveylab ARGS`` through :func:`surveylab.cli.main`, with ``env`` as the whole
    environment, ``cwd`` as the working folder and ``stdin`` (not a terminal) as standard input;
    its exit status and output as a finished process's. Everything is restored afterwards.

    Use a real process where only a process shows the behaviour (a lock held by another
    process, a signal, the installed script itself).
    """
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key in set(os.environ) - set(env):
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        if cwd is not None:
            patch.chdir(cwd)
        patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as stop:  # argparse's usage errors
                status = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess(["surveylab", *args], status, out.getvalue(), err.getvalue())

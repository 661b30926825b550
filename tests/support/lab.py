"""A real JupyterLab server for browser tests: ``jupyter lab`` with this checkout's extension.

:func:`start_lab` runs ``python -m jupyterlab`` on a free port in a fresh root folder, serving a
given demo release, with the lab extension built in *this* checkout (first on ``JUPYTER_PATH``)
and this checkout's Python packages (first on ``PYTHONPATH``), so that a test always exercises
the code beside it. User settings and workspaces live in the root's ``.lab`` folder: each lab
starts with no saved layout or history. :func:`stop_lab` stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.hub import REPO_ROOT, free_ports
from tests.support.markers import require_marker

__all__ = ["LABEXTENSION_BUILD", "RunningLab", "running_lab_server", "start_lab", "stop_lab"]

#: Where ``npm run build:prod`` puts the prebuilt extension of this checkout.
LABEXTENSION_BUILD = REPO_ROOT / "serverextension" / "surveylab_server" / "labextension"
#: This checkout's Python packages, ahead of whatever the environment installed.
PYTHON_SOURCES = ("src", "serverextension", "widgets", "hub_config")
#: Lab settings for tests: no news question and no update check covering the screen.
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass
class RunningLab:
    """A lab server started by :func:`start_lab`."""

    url: str
    token: str
    root_dir: Path
    jobs_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def lab_url(self) -> str:
        """The address that opens JupyterLab in a fresh workspace (no panels restored from
        earlier pages) and logs in with the token."""
        return f"{self.url}/lab/workspaces/{secrets.token_hex(6)}?reset&token={self.token}"

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """A request to ``/surveylab/api/<path>`` with the token."""
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(
            method, f"{self.url}/surveylab/api/{path}", headers=headers, timeout=30, **kwargs
        )  # type: ignore[arg-type]

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's log, for failure messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start_lab(
    root_dir: Path,
    data_dir: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 60,
    ready_path: str = "info",
) -> RunningLab:
    """Start JupyterLab in ``root_dir`` serving the release in ``data_dir``; wait until it answers.

    Jobs go to ``root_dir/surveylab-jobs`` (so they show in the file browser). ``extra_env``
    adds variables, e.g. ``SURVEYLAB_LAB_DEADLINE``; ``extra_args`` adds command-line options.
    It is ready when ``GET /surveylab/api/<ready_path>`` answers 200 (``info``: the catalog is
    open; ``status`` for a lab whose catalog does not answer).
    The page exposes the app as ``window.jupyterapp`` (``LabApp.expose_app_in_browser``).
    Output goes to ``root_dir/.lab/lab.log``. The running test must be marked ``browser``.
    """
    require_marker("browser", "jupyter lab")
    state = root_dir / ".lab"
    settings_dir = state / "user-settings"
    for plugin, values in QUIET_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    extensions = state / "jupyter" / "labextensions" / "@surveylab"
    extensions.mkdir(parents=True, exist_ok=True)
    (extensions / "labextension").symlink_to(LABEXTENSION_BUILD)
    (state / "workspaces").mkdir(exist_ok=True)
    config = state / "config"
    config.mkdir(exist_ok=True)  # window.jupyterapp, for tests and benchmarks
    (config / "jupyter_lab_config.json").write_text(
        json.dumps({"LabApp": {"expose_app_in_browser": True}})
    )
    jobs_dir = root_dir / "surveylab-jobs"

    (port,) = free_ports(1)
    token = secrets.token_hex(24)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEYLAB_")}
    python_path = [str(REPO_ROOT / source) for source in PYTHON_SOURCES]
    env.update(
        PYTHONPATH=os.pathsep.join([*python_path, env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        # this environment's commands (surveylab, jupyter) first, in the lab's terminals too
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        JUPYTER_PATH=str(state / "jupyter"),
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        SURVEYLAB_DATA_DIR=str(data_dir),
        SURVEYLAB_JOBS_DIR=str(jobs_dir),
    )
    env.update(extra_env or {})
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={root_dir}",
        f"--IdentityProvider.token={token}",
        # holoviews' panel adds ~1.3 s to every start and nothing these tests use
        "--ServerApp.jpserver_extensions=panel.io.jupyter_server_extension=False",
        *extra_args,
    ]
    log_path = state / "lab.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = RunningLab(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root_dir=root_dir,
        jobs_dir=jobs_dir,
        log_path=log_path,
        process=process,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the lab exited with {process.returncode}\n{lab.log_tail()}")
        with contextlib.suppress(requests.ConnectionError):
            if lab.api("GET", ready_path).status_code == 200:
                return lab
        time.sleep(0.2)
    stop_lab(lab)
    raise TimeoutError(f"the lab did not answer in {timeout} s\n{lab.log_tail()}")


def stop_lab(lab: RunningLab, timeout: float = 20) -> None:
    """Stop the lab with SIGTERM (its kernels and job workers with it); kill it if it hangs."""
    process = lab.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left in its session
    process.wait(10)


@contextlib.contextmanager
def running_lab_server(
    root_dir: Path,
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    ready_path: str = "info",
) -> Iterator[RunningLab]:
    """:func:`start_lab` as a context manager."""
    lab = start_lab(root_dir, data_dir, extra_env=extra_env, ready_path=ready_path)
    try:
        yield lab
    finally:
        stop_lab(lab)

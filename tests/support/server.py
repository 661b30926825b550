"""A real ``jupyter server`` process with surveylab, for tests that call it from outside
(schemathesis, load)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

#: A query job of some seconds on the test survey (24,000 objects): 1.2 billion pairs. It is
#: still running when a test stops a lab, kills the service or hits a job limit under it.
SECONDS_LONG_SQL = (
    "SELECT COUNT(*) AS N FROM DR1_MAIN A, DR1_MAIN B, (SELECT RA FROM DR1_MAIN LIMIT 2) C "
    "WHERE A.RA * B.DEC > A.DEC * B.RA + C.RA"
)


@dataclass(frozen=True)
class RunningServer:
    """Where the server listens and how to authenticate to it."""

    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of the server's token."""
        return {"Authorization": f"token {self.token}"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def jupyter_server(
    data_dir: Path, root: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Run ``jupyter server`` with surveylab on a free port until the block ends; ``env`` adds
    environment variables (e.g. ``SURVEYLAB_SMTP_HOST``)."""
    port, token = free_port(), secrets.token_hex(16)
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "SURVEYLAB_DATA_DIR": str(data_dir),
        "SURVEYLAB_JOBS_DIR": str(home / "surveylab-jobs"),
        "JUPYTER_TOKEN": token,
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
        "--ip=127.0.0.1", "--ServerApp.allow_unauthenticated_access=False",
        f"--ServerApp.root_dir={home}", "--allow-root",
        # holoviews' panel adds ~1.3 s to every start (13 s on a loaded machine), unused here
        "--ServerApp.jpserver_extensions=panel.io.jupyter_server_extension=False",
    ]  # fmt: skip
    log = (root / "server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{url}/api/status", params={"token": token}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"jupyter server did not start; see {root / 'server.log'}")
            time.sleep(0.2)
        yield RunningServer(url, token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

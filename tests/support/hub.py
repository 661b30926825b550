"""A real JupyterHub for tests: ``jupyterhub -f hub_config/jupyterhub_config.py`` on loopback.

:func:`start_hub` runs the hub (with configurable-http-proxy) on free ports in a fresh state
folder, with an admin service token for the REST API; :func:`stop_hub` stops it and makes sure
no process is left behind. The ``running_hub`` fixture shares one hub per test session.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from surveylab_hub.store import CredentialStore, DemoLogin
from tests.support.markers import require_marker

__all__ = [
    "HUB_CONFIG",
    "REPO_ROOT",
    "RunningHub",
    "descendants",
    "free_ports",
    "running_hub",
    "start_hub",
    "stop_hub",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
HUB_CONFIG = REPO_ROOT / "hub_config" / "jupyterhub_config.py"


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def descendants(pid: int) -> set[int]:
    """The pids of every living descendant of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


@dataclass
class RunningHub:
    """A hub started by :func:`start_hub`, with helpers for its REST API and login form."""

    url: str
    api_token: str
    state_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    env: Mapping[str, str] = field(repr=False)

    @property
    def store(self) -> CredentialStore:
        """The hub's embedded credential store."""
        return CredentialStore(self.state_dir / "users.json")

    @property
    def demo_login(self) -> DemoLogin:
        """The demo account the hub created at start."""
        login = self.store.demo_login()
        assert login is not None, f"no demo login in {self.state_dir}"
        return login

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call ``/hub/api/<path>`` as the admin service."""
        headers = {"Authorization": f"token {self.api_token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.url}/hub/api/{path}", headers=headers, timeout=30, **kwargs
        )

    def login(
        self, username: str, password: str, session: requests.Session | None = None
    ) -> tuple[requests.Session, requests.Response]:
        """Fill in the login form as a browser does: GET it for the ``_xsrf`` cookie, then POST.

        Returns the session (with the login cookies on success) and the POST's response,
        not followed.
        """
        session = session or requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        xsrf = session.cookies.get("_xsrf", path="/hub/")
        response = session.post(
            f"{self.url}/hub/login",
            data={"username": username, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        return session, response

    def submit_spawn_form(
        self, session: requests.Session, *, profile: str, image: str | None = None
    ) -> requests.Response:
        """Choose a lab profile on the spawn form and submit it, as a browser does."""
        xsrf = session.cookies.get("_xsrf", path="/hub/")
        data = {"profile": profile, "_xsrf": xsrf}
        if image:
            data[f"image-{profile}"] = image
        return session.post(f"{self.url}/hub/spawn", data=data, allow_redirects=False, timeout=30)

    def wait_for_server(self, name: str, timeout: float = 90) -> dict[str, Any]:
        """Poll ``GET /hub/api/users/<name>`` until the spawned default server is ready.

        Returns the server's model; fails at once if the spawn failed.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{name}").json()
            server = model.get("servers", {}).get("")
            if server is None:  # neither pending nor ready: the spawn failed
                raise RuntimeError(f"{name} has no server\n{self.log_tail()}")
            if server.get("ready"):
                return dict(server)
            time.sleep(0.25)
        raise TimeoutError(f"{name}'s server not ready in {timeout} s\n{self.log_tail()}")

    def stop_server(self, name: str, timeout: float = 30) -> None:
        """Stop ``name``'s default server and wait until the hub reports it gone."""
        response = self.api("DELETE", f"users/{name}/server")
        assert response.status_code in (202, 204), response.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.api("GET", f"users/{name}").json().get("servers"):
                return
            time.sleep(0.25)
        raise TimeoutError(f"{name}'s server did not stop in {timeout} s\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        """The end of the hub's log (hub, proxy and labs), for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def hub_environment(
    base: Mapping[str, str],
    *,
    state_dir: Path,
    data_dir: Path,
    ports: Sequence[int],
    token: str,
    platform: bool = False,
) -> dict[str, str]:
    """The environment of a test hub: ``base`` without stray ``SURVEYLAB_HUB_*`` settings; the
    platform service only with ``platform`` (it costs every hub a process start)."""
    port, hub_port, proxy_api_port, platform_port = ports
    env = {key: value for key, value in base.items() if not key.startswith("SURVEYLAB_HUB_")}
    env.update(
        SURVEYLAB_HUB_STATE_DIR=str(state_dir),
        SURVEYLAB_HUB_PORT=str(port),
        SURVEYLAB_HUB_API_PORT=str(hub_port),
        SURVEYLAB_HUB_PROXY_API_PORT=str(proxy_api_port),
        SURVEYLAB_HUB_PLATFORM_PORT=str(platform_port),
        SURVEYLAB_HUB_PLATFORM="on" if platform else "off",
        SURVEYLAB_HUB_SERVICE_TOKEN=token,
        SURVEYLAB_DATA_DIR=str(data_dir),
    )
    return env


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_hub(
    state_dir: Path,
    data_dir: Path,
    *,
    via_cli: bool = False,
    timeout: float = 60,
    extra_env: Mapping[str, str] | None = None,
    config: Path = HUB_CONFIG,
    platform: bool = False,
    ignore_sigint: bool = False,
) -> RunningHub:
    """Start a hub in ``state_dir`` serving the survey in ``data_dir``; wait until it answers.

    ``extra_env`` adds or overrides variables of the hub (e.g. ``SURVEYLAB_HUB_AUTH``);
    ``platform`` runs the platform service too;
    ``config`` is the configuration file (a test's own may ``load_subconfig`` the shipped one);
    ``ignore_sigint`` starts it with SIGINT ignored, as a shell's background job (``make demo &``).

    The command is ``python -m jupyterhub -f <config>``, or with
    ``via_cli`` the user's ``surveylab hub --state-dir ... --port ...`` (run as
    ``python -m surveylab.cli`` so that it comes from this environment). The hub runs in its
    own session; its output goes to ``state_dir/hub.log``. The running test must be marked
    ``hub``.
    """
    require_marker("hub", "a JupyterHub")
    state_dir.mkdir(parents=True, exist_ok=True)
    ports = free_ports(4)
    token = secrets.token_hex(32)
    env = hub_environment(
        os.environ,
        state_dir=state_dir,
        data_dir=data_dir,
        ports=ports,
        token=token,
        platform=platform,
    )
    env.update(extra_env or {})
    log_path = state_dir / "hub.log"
    if via_cli:
        argv = [sys.executable, "-m", "surveylab.cli", "hub"]
        argv += ["--state-dir", str(state_dir), "--port", str(ports[0])]
    else:
        argv = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=state_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_ignore_sigint if ignore_sigint else None,
        )
    hub = RunningHub(
        url=f"http://127.0.0.1:{ports[0]}",
        api_token=token,
        state_dir=state_dir,
        log_path=log_path,
        process=process,
        env=env,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}\n{hub.log_tail()}")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{hub.url}/hub/api/", timeout=5).status_code == 200:
                return hub
        time.sleep(0.2)
    stop_hub(hub)
    raise TimeoutError(f"the hub did not answer in {timeout} s\n{hub.log_tail()}")


def stop_hub(hub: RunningHub, timeout: float = 30) -> set[int]:
    """Stop the hub with SIGTERM, as Ctrl-C would; kill whatever it leaves behind.

    The hub stops its labs and its proxy itself (``cleanup_servers``, ``cleanup_proxy``). Returns
    the pids that outlived it and had to be killed: empty for a clean shutdown.
    """
    process = hub.process
    started = descendants(process.pid)  # the labs run in sessions of their own
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    leftovers = {pid for pid in started if _alive(pid)}
    deadline = time.monotonic() + 5
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        leftovers = {pid for pid in leftovers if _alive(pid)}
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftovers


_HUB = pytest.StashKey[RunningHub]()


@pytest.fixture(scope="session")
def running_hub(
    request: pytest.FixtureRequest,
    demo_data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningHub]:
    """One real hub for the whole session, serving the small demo survey, with the platform
    service (as ``surveylab hub`` runs it).

    Shared through the pytest config, so every conftest that imports this fixture gets the
    same hub; it stops when the session ends.
    """
    config = request.config
    if _HUB not in config.stash:
        hub = start_hub(tmp_path_factory.mktemp("hub"), demo_data_dir, platform=True)
        config.stash[_HUB] = hub
        config.add_cleanup(lambda: stop_hub(hub))
    yield config.stash[_HUB]

"""Workshop pools and the lab caps on a real hub: create, log in, seats, GPU cap, end, expiry.

One hub for the module, with the pool service checking every second, GPU profiles offered on
this GPU-less machine, ``max_gpu_labs: 1`` and a shared read-only database account.
"""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from surveylab_hub.pools import PoolStore
from surveylab_hub.profiles import DEFAULT_PROFILES_PATH
from tests.hub.test_pool_cli import run_pool
from tests.support.hub import REPO_ROOT, RunningHub, descendants, start_hub, stop_hub

pytestmark = pytest.mark.hub

DB_USER = "des_public"
DB_PASSWORD = "shared-Readonly-pw-7731"
KEEPER_PASSWORD = "the keeper's password"


@pytest.fixture(scope="module")
def pool_hub(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Iterator[RunningHub]:
    base = tmp_path_factory.mktemp("pool-hub")
    profiles = base / "profiles.yaml"
    text = DEFAULT_PROFILES_PATH.read_text(encoding="utf-8")
    assert "max_gpu_labs: 4\n" in text
    profiles.write_text(text.replace("max_gpu_labs: 4\n", "max_gpu_labs: 1\n"), encoding="utf-8")
    state = base / "state"
    state.mkdir(mode=0o700)
    accounts = state / "db-accounts.yaml"
    accounts.write_text(
        f"accounts:\n  readonly:\n    user: {DB_USER}\n    password: {DB_PASSWORD}\n",
        encoding="utf-8",
    )
    accounts.chmod(0o600)
    hub = start_hub(
        state,
        demo_data_dir,
        extra_env={
            "SURVEYLAB_HUB_PROFILES": str(profiles),
            "SURVEYLAB_HUB_POOL_INTERVAL": "1",
            "SURVEYLAB_HUB_OFFER_GPU": "yes",
            "SURVEYLAB_HUB_DEMO_USER": "",
        },
    )
    hub.store.add("keeper", KEEPER_PASSWORD)
    try:
        yield hub
    finally:
        assert stop_hub(hub) == set()


def _pool(hub: RunningHub, *argv: str) -> int:
    """``surveylab pool ...`` in this process, on the hub's state and profiles."""
    return run_pool(*argv, "--state-dir", str(hub.state_dir), env=hub.env)


def _spawn(hub: RunningHub, name: str, **options: str) -> requests.Response:
    """Create hub user ``name`` if needed, then ask for their lab through the REST API."""
    assert hub.api("POST", f"users/{name}").status_code in (201, 409)
    return hub.api("POST", f"users/{name}/server", json=options)


def _lab_environ(hub: RunningHub, name: str) -> dict[str, str]:
    pid = int(hub.api("GET", f"users/{name}").json()["servers"][""]["state"]["pid"])
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def _wait_closed(hub: RunningHub, pool: str, timeout: float = 45) -> None:
    store = PoolStore.in_state_dir(hub.state_dir)
    deadline = time.monotonic() + timeout
    while store.get(pool).closed is None:
        assert time.monotonic() < deadline, f"pool {pool} not closed\n{hub.log_tail()}"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def keeper(pool_hub: RunningHub) -> str:
    """A user outside every pool, with a running lab, which no pool may touch."""
    assert _spawn(pool_hub, "keeper", profile="small").status_code in (201, 202)
    return "keeper"


def test_workshop_pool_from_create_to_end(pool_hub: RunningHub, keeper: str) -> None:
    hub = pool_hub
    csv_path = hub.state_dir.parent / "ws.csv"
    created = subprocess.run(
        [
            *(sys.executable, "-m", "surveylab.cli", "pool", "create", "ws", "--size", "3"),
            *("--seats", "2", "--expires", "+1h", "--profile", "medium"),
            *(
                "--db-account",
                "readonly",
                "--csv",
                str(csv_path),
                "--state-dir",
                str(hub.state_dir),
            ),
        ],
        env=hub.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert "created pool ws: 3 users (ws-01 to ws-03), 2 seats, profile medium" in created.stderr
    assert stat.S_IMODE(csv_path.stat().st_mode) == 0o600
    with csv_path.open() as f:
        logins = {row["username"]: row["password"] for row in csv.DictReader(f)}
    assert list(logins) == ["ws-01", "ws-02", "ws-03"]

    # A pool user logs in through the hub's login form and is offered the pool's profile only.
    session, response = hub.login("ws-01", logins["ws-01"])
    assert response.status_code == 302
    form = session.get(f"{hub.url}/hub/spawn", timeout=30).text
    assert 'value="medium"' in form
    assert 'value="small"' not in form
    assert 'value="gpu"' not in form
    forged = hub.submit_spawn_form(session, profile="large")
    assert forged.status_code == 400
    assert "is not available to the workshop pool &#39;ws&#39;" in forged.text
    assert hub.submit_spawn_form(session, profile="medium").status_code == 302

    # The REST API is held to the same rules; no profile given means the pool's.
    refused = _spawn(hub, "ws-03", profile="small")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "profile 'small' is not available to the workshop pool 'ws'; its labs use profile 'medium'"
    )
    assert _spawn(hub, "ws-02").status_code in (201, 202)
    for name in ("ws-01", "ws-02"):
        assert hub.wait_for_server(name)["user_options"]["profile"] == "medium"

    # Two seats: the third participant waits.
    full = _spawn(hub, "ws-03", profile="medium")
    assert full.status_code == 409
    assert full.json()["message"] == (
        "all 2 seats of the workshop pool 'ws' are in use; "
        "try again when another participant has stopped their lab"
    )

    # The lab queries as the shared account; its password is nowhere but the lab's environment.
    environ = _lab_environ(hub, "ws-01")
    assert environ["SURVEYLAB_DB_USER"] == DB_USER
    assert environ["SURVEYLAB_DB_PASSWORD"] == DB_PASSWORD
    assert environ["SURVEYLAB_LAB_PROFILE"] == "medium"
    # The login gave the pool user the workshop group, and so their lab the workshop role.
    assert hub.api("GET", "users/ws-01").json()["groups"] == ["workshop"]
    assert json.loads(environ["SURVEYLAB_LAB_ROLE"])["name"] == "workshop"
    assert DB_PASSWORD not in (hub.state_dir / "pools.json").read_text()
    assert DB_PASSWORD not in hub.log_path.read_text()
    for password in logins.values():
        assert password not in hub.log_path.read_text()
    for pid in descendants(hub.process.pid):
        assert DB_PASSWORD.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    (hub.state_dir / "home" / "ws-01" / "notes.txt").write_text("my workshop notes\n")

    # Ending the pool stops its labs and removes its users; the keeper is untouched.
    assert _pool(hub, "end", "ws", "--wait", "60") == 0
    for name in logins:
        assert hub.api("GET", f"users/{name}").status_code == 404
        assert name not in hub.store
        assert not (hub.state_dir / "home" / name).exists()
    archive = hub.state_dir / "pool-archives" / "ws" / "ws-01.tar.gz"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        member = tar.extractfile("ws-01/notes.txt")
        assert member is not None and member.read() == b"my workshop notes\n"
    assert hub.wait_for_server(keeper)["ready"]
    assert "keeper" in hub.store

    # The ended pool's logins get a clear refusal, and the hub keeps running.
    _, late = hub.login("ws-01", logins["ws-01"])
    assert late.status_code == 403
    assert "the workshop pool &#39;ws&#39; ended at" in late.text
    assert requests.get(f"{hub.url}/hub/api/", timeout=10).status_code == 200
    assert hub.login(keeper, KEEPER_PASSWORD)[1].status_code == 302


def test_pool_expires_on_its_own(pool_hub: RunningHub, keeper: str) -> None:
    hub = pool_hub
    assert _pool(hub, "create", "short", "--size", "1", "--expires", "+1h", "--home", "remove") == 0
    assert _spawn(hub, "short-01").status_code in (201, 202)
    assert hub.wait_for_server("short-01")["user_options"] == {"profile": "small"}
    assert (hub.state_dir / "home" / "short-01").is_dir()
    # Bring the end forward to a few seconds from now, and let the pool run out.
    assert _pool(hub, "extend", "short", "--expires", "+3s") == 0
    assert hub.api("GET", "users/short-01").json()["servers"][""]["ready"]
    _wait_closed(hub, "short")
    assert hub.api("GET", "users/short-01").status_code == 404
    assert "short-01" not in hub.store
    assert not (hub.state_dir / "home" / "short-01").exists()
    assert not (hub.state_dir / "pool-archives" / "short").exists()
    assert hub.wait_for_server(keeper)["ready"]
    # Extending a pool that has ended is refused with a message, not a traceback.
    assert _pool(hub, "extend", "short", "--expires", "+1h") == 1


def test_gpu_cap_counts_every_gpu_lab_of_the_hub(pool_hub: RunningHub) -> None:
    hub = pool_hub
    # Outside the roles that offer it (roles.yaml: advanced), the GPU profile is refused.
    hidden = _spawn(hub, "cpu-only", profile="gpu")
    assert hidden.status_code == 400
    assert hidden.json()["message"].startswith(
        "your role 'default' does not offer profile 'gpu'; choose one of: small, medium, large"
    )

    # A pool of the GPU profile: its users get it whatever their groups; the hub has one GPU lab.
    assert _pool(hub, "create", "gpuws", "--size", "3", "--expires", "+1h", "--profile", "gpu") == 0
    for name in ("gpuws-01", "gpuws-02", "gpuws-03"):
        assert hub.api("POST", f"users/{name}").status_code in (201, 409)
    # Two spawns at once for the one GPU: exactly one is admitted.
    started = datetime.now(UTC)
    with ThreadPoolExecutor(2) as threads:
        answers = list(
            threads.map(
                lambda name: hub.api("POST", f"users/{name}/server"), ["gpuws-01", "gpuws-02"]
            )
        )
    codes = sorted(answer.status_code for answer in answers)
    assert codes in ([201, 409], [202, 409]), [answer.text for answer in answers]
    message = "all 1 GPU labs are in use; try again later or choose a CPU profile"
    assert next(a for a in answers if a.status_code == 409).json()["message"] == message
    # The admitted lab counts while it starts and once it runs.
    admitted = "gpuws-01" if answers[0].status_code != 409 else "gpuws-02"
    assert hub.wait_for_server(admitted)["user_options"] == {"profile": "gpu"}
    # Its lab learns its deadline: the spawn's time plus the GPU profile's 24 h.
    deadline = datetime.fromisoformat(_lab_environ(hub, admitted)["SURVEYLAB_LAB_DEADLINE"])
    day = timedelta(hours=24)
    assert started.replace(microsecond=0) + day <= deadline <= datetime.now(UTC) + day
    full = _spawn(hub, "gpuws-03")
    assert (full.status_code, full.json()["message"]) == (409, message)
    assert _pool(hub, "end", "gpuws", "--wait", "60") == 0
    assert (hub.state_dir / "pool-archives" / "gpuws" / f"{admitted}.tar.gz").is_file()

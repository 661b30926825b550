"""The per-profile culler: its decisions as tables, then one pass against a real hub."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from surveylab_hub.culler import (
    CullPolicy,
    LimitOverride,
    ServerInfo,
    decide,
    format_duration,
    parse_duration,
    parse_override,
    plan,
)
from surveylab_hub.profiles import DEFAULT_PROFILES_PATH, Profiles, load_profiles
from tests.support.hub import REPO_ROOT, RunningHub

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def profiles() -> Profiles:
    return load_profiles(DEFAULT_PROFILES_PATH)


def server(
    profile: str | None = "small",
    *,
    age: timedelta = 3 * H,
    idle: timedelta | None = M,
    ready: bool = True,
    pending: str | None = None,
    name: str = "",
) -> ServerInfo:
    """A server of user ``u`` started ``age`` ago, last active ``idle`` ago (None: never)."""
    return ServerInfo(
        user="u",
        name=name,
        started=NOW - age,
        last_activity=None if idle is None else NOW - idle,
        user_options={} if profile is None else {"profile": profile},
        ready=ready,
        pending=pending,
    )


@pytest.mark.parametrize(
    ("info", "policy", "expected"),
    [
        pytest.param(
            server("gpu", idle=H + 2 * M),
            CullPolicy(),
            "idle 1 h 2 min > 1 h idle limit of profile gpu",
            id="idle-gpu-past-1h-culled",
        ),
        pytest.param(server("gpu", idle=59 * M), CullPolicy(), None, id="idle-gpu-at-59min-kept"),
        pytest.param(server("small", idle=2 * H), CullPolicy(), None, id="idle-cpu-at-2h-kept"),
        pytest.param(
            server("large", idle=8 * H + M),
            CullPolicy(),
            "idle 8 h 1 min > 8 h idle limit of profile large",
            id="idle-cpu-past-8h-culled",
        ),
        pytest.param(
            server("small", age=5 * 24 * H, idle=3 * 24 * H),
            CullPolicy(),
            "idle 72 h > 8 h idle limit of profile small",
            id="idle-days-not-timedelta-seconds",
        ),
        pytest.param(
            server("gpu", age=25 * H, idle=M),
            CullPolicy(),
            "age 25 h > max 24 h of profile gpu",
            id="busy-gpu-at-25h-culled-by-max-age",
        ),
        pytest.param(
            server("gpu", age=25 * H, idle=2 * H),
            CullPolicy(),
            "age 25 h > max 24 h of profile gpu",
            id="age-wins-over-idle",
        ),
        pytest.param(
            server("small", age=30 * 24 * H, idle=M), CullPolicy(), None, id="cpu-has-no-max-age"
        ),
        pytest.param(
            server(None, idle=9 * H),
            CullPolicy(),
            "idle 9 h > 8 h idle limit of profile small",
            id="missing-profile-uses-default",
        ),
        pytest.param(
            server("retired", idle=9 * H),
            CullPolicy(),
            "idle 9 h > 8 h idle limit of profile small "
            "(unknown profile 'retired': limits of the default, small)",
            id="unknown-profile-uses-default",
        ),
        pytest.param(
            server("gpu", age=30 * H, idle=30 * H, ready=False, pending="spawn"),
            CullPolicy(),
            None,
            id="pending-server-skipped",
        ),
        pytest.param(
            server("gpu", age=30 * H, idle=30 * H, pending="stop"),
            CullPolicy(),
            None,
            id="stopping-server-skipped",
        ),
        pytest.param(
            server("gpu", age=H + 5 * M, idle=None),
            CullPolicy(),
            "idle 1 h 5 min > 1 h idle limit of profile gpu",
            id="no-last-activity-uses-started",
        ),
        pytest.param(
            server("gpu", age=50 * M, idle=None), CullPolicy(), None, id="no-activity-young-kept"
        ),
        pytest.param(
            server("small", idle=timedelta(seconds=2)),
            CullPolicy(overrides={"small": LimitOverride(idle_seconds=1)}),
            "idle 2 s > 1 s idle limit of profile small",
            id="override-idle",
        ),
        pytest.param(
            server("gpu", age=13 * H, idle=M),
            CullPolicy(overrides={"gpu": LimitOverride(max_seconds=12 * 3600)}),
            "age 13 h > max 12 h of profile gpu",
            id="override-max-age",
        ),
        pytest.param(
            server("medium", idle=2 * H),
            CullPolicy(default=LimitOverride(idle_seconds=3600)),
            "idle 2 h > 1 h idle limit of profile medium",
            id="default-override",
        ),
        pytest.param(
            server("medium", idle=2 * H),
            CullPolicy(
                overrides={"medium": LimitOverride(idle_seconds=3 * 3600)},
                default=LimitOverride(idle_seconds=3600),
            ),
            None,
            id="profile-override-beats-default",
        ),
    ],
)
def test_decide(
    profiles: Profiles, info: ServerInfo, policy: CullPolicy, expected: str | None
) -> None:
    decision = decide(info, profiles, NOW, policy)
    assert (decision and decision.reason) == expected


def user_model(name: str, *servers: ServerInfo, admin: bool = False) -> dict[str, Any]:
    """A hub user model (as ``GET /users`` sends it) holding ``servers``."""
    return {
        "name": name,
        "admin": admin,
        "servers": {
            s.name: {
                "name": s.name,
                "started": s.started and s.started.isoformat().replace("+00:00", "Z"),
                "last_activity": s.last_activity and s.last_activity.isoformat(),
                "user_options": dict(s.user_options),
                "ready": s.ready,
                "pending": s.pending,
            }
            for s in servers
        },
    }


IDLE_GPU = server("gpu", idle=2 * H)
BUSY_GPU = server("gpu", idle=M, name="busy")


@pytest.mark.parametrize(
    ("users", "policy", "expected"),
    [
        pytest.param(
            [user_model("ann", IDLE_GPU)], CullPolicy(), ["users/ann/server"], id="default"
        ),
        pytest.param(
            [user_model("ann", server("gpu", idle=2 * H, name="gpu 1"))],
            CullPolicy(),
            ["users/ann/servers/gpu%201"],
            id="named-server-quoted",
        ),
        pytest.param([user_model("ann", BUSY_GPU)], CullPolicy(), [], id="nothing-to-do"),
        pytest.param(
            [user_model("ann@x", IDLE_GPU)],
            CullPolicy(cull_users=True),
            ["users/ann%40x"],
            id="cull-user",
        ),
        pytest.param(
            [user_model("ann", IDLE_GPU, BUSY_GPU)],
            CullPolicy(cull_users=True),
            ["users/ann/server"],
            id="cull-user-keeps-user-with-busy-server",
        ),
        pytest.param(
            [user_model("ann", server("gpu", idle=2 * H, name="gpu"))],
            CullPolicy(cull_users=True),
            ["users/ann/servers/gpu"],
            id="cull-user-only-stops-named-server",
        ),
        pytest.param(
            [user_model("root", IDLE_GPU, admin=True)],
            CullPolicy(cull_users=True),
            ["users/root/server"],
            id="cull-user-never-deletes-admin",
        ),
    ],
)
def test_plan(
    profiles: Profiles, users: list[dict[str, Any]], policy: CullPolicy, expected: list[str]
) -> None:
    _, actions = plan(users, profiles, NOW, policy)
    assert [a.path for a in actions] == expected
    assert all(a.method == "DELETE" for a in actions)


def test_server_info_from_model_parses_hub_times() -> None:
    info = ServerInfo.from_model(
        "ann",
        {"name": "", "started": "2026-11-22T10:00:00.123456Z", "last_activity": None},
    )
    assert info.started == datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
    assert info.last_activity is None
    assert info.user_options == {}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "0.5 s"), (42, "42 s"), (90, "1 min 30 s"), (3600, "1 h"), (3720, "1 h 2 min")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("1s", 1), ("30m", 1800), ("1.5h", 5400), ("2d", 172800)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-1", "5 years", "h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|> 0"):
        parse_duration(text)


def test_parse_override() -> None:
    assert parse_override("gpu=30m:12h") == ("gpu", LimitOverride(1800, 43200))
    assert parse_override("small=1s:") == ("small", LimitOverride(idle_seconds=1))
    assert parse_override("*=:2h") == ("*", LimitOverride(max_seconds=7200))
    with pytest.raises(ValueError, match="SLUG=IDLE:MAX"):
        parse_override("gpu")


# --- one pass against a real hub --------------------------------------------------------------


def _run_culler(hub: RunningHub, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUPYTERHUB_API_URL": f"{hub.url}/hub/api", "JUPYTERHUB_API_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "surveylab_hub.culler", "--once", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def lab_users(running_hub: RunningHub) -> Iterator[tuple[str, str]]:
    """Two hub users with a lab each: one of profile medium, one of profile large."""
    hub = running_hub
    names = ("culler-medium", "culler-large")
    for name, profile in zip(names, ("medium", "large"), strict=True):
        assert hub.api("POST", f"users/{name}").status_code in (201, 409)
        response = hub.api("POST", f"users/{name}/server", json={"profile": profile})
        assert response.status_code in (201, 202), response.text
    yield names
    for name in names:
        hub.api("DELETE", f"users/{name}")  # stops the server first


@pytest.mark.hub
def test_culler_stops_idle_lab_on_real_hub(
    running_hub: RunningHub, lab_users: tuple[str, str]
) -> None:
    hub = running_hub
    idle_name, busy_name = lab_users
    for name in lab_users:
        assert hub.wait_for_server(name)["user_options"]["profile"] in ("medium", "large")
    time.sleep(1.2)  # the medium lab is now idle longer than its 1 s limit
    result = _run_culler(hub, hub.api_token, "--override", "medium=1s:")
    assert result.returncode == 0, result.stderr
    assert "Profile medium: idle 1 s, no cap" in result.stderr
    assert f"Culling users/{idle_name}/server: idle " in result.stderr
    assert "> 1 s idle limit of profile medium" in result.stderr
    assert busy_name not in result.stderr
    deadline = time.monotonic() + 30
    while hub.api("GET", f"users/{idle_name}").json().get("servers"):
        assert time.monotonic() < deadline, f"{idle_name}'s lab was not stopped\n{hub.log_tail()}"
        time.sleep(0.25)
    assert hub.api("GET", f"users/{busy_name}").json()["servers"][""]["ready"]

    # With --cull-users, a user whose only lab is culled leaves the hub (the hub stops the lab).
    result = _run_culler(hub, hub.api_token, "--cull-users", "--override", "large=1s:")
    assert result.returncode == 0, result.stderr
    assert f"Culling users/{busy_name}: idle " in result.stderr
    assert hub.api("GET", f"users/{busy_name}").status_code == 404


@pytest.mark.hub
def test_culler_refuses_unknown_override(running_hub: RunningHub) -> None:
    result = _run_culler(running_hub, running_hub.api_token, "--override", "tiny=1s:")
    assert result.returncode == 2
    assert "unknown profiles: tiny" in result.stderr


def test_culler_needs_api_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    result = subprocess.run(
        [sys.executable, "-m", "surveylab_hub.culler", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "JUPYTERHUB_API_TOKEN must be set" in result.stderr

"""A real hub on loopback: login form, spawn, JupyterLab and the survey API through the proxy."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.hub import RunningHub, descendants, start_hub, stop_hub

pytestmark = pytest.mark.hub

PASSWORD = "alice's long password"


@pytest.fixture(scope="module")
def alice(running_hub: RunningHub) -> Iterator[str]:
    """A user added to the store while the hub runs."""
    running_hub.store.add("alice", PASSWORD, replace=True)
    yield "alice"
    running_hub.store.remove("alice")


@pytest.mark.parametrize(
    ("username", "password", "status", "message"),
    [
        pytest.param("demo", None, 302, None, id="demo-login"),
        pytest.param("DEMO", None, 302, None, id="normalised-name"),
        pytest.param("demo", "wrong password", 403, "Invalid username or password", id="wrong"),
        pytest.param("nobody", None, 403, "Invalid username or password", id="unknown-user"),
        pytest.param(
            "demo@otherdb",
            None,
            400,
            "username &#39;demo@otherdb&#39; contains &#39;@&#39;",
            id="invalid-name",
        ),
        pytest.param("x" * 80, None, 400, "80 characters long; at most 64", id="overlong-name"),
        pytest.param("demo", "", 400, "enter your password", id="empty-password"),
    ],
)
def test_login_form(
    running_hub: RunningHub, username: str, password: str | None, status: int, message: str | None
) -> None:
    """The login page says what is wrong, on the form itself, and the hub goes on."""
    if password is None:
        password = running_hub.demo_login.password
    session, response = running_hub.login(username, password)
    assert response.status_code == status
    if status == 302:
        assert session.cookies.get("jupyterhub-hub-login", path="/hub/")
    else:
        assert '<p class="login_error">' in response.text
        assert message in response.text
        assert running_hub.login("demo", running_hub.demo_login.password)[1].status_code == 302


def test_passwords_never_reach_the_log(running_hub: RunningHub) -> None:
    login = running_hub.demo_login
    wrong = "a-wrong-Password-4711"
    assert running_hub.login(login.name, wrong)[1].status_code == 403
    assert running_hub.login("nobody", wrong)[1].status_code == 403
    assert running_hub.login(login.name, login.password)[1].status_code == 302
    log = running_hub.log_path.read_text()
    assert "Failed login for 'demo'" in log
    assert wrong not in log
    assert login.password not in log


def test_login_needs_the_xsrf_token(running_hub: RunningHub) -> None:
    login = running_hub.demo_login
    response = requests.post(
        f"{running_hub.url}/hub/login",
        data={"username": login.name, "password": login.password},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 403


def test_users_added_and_removed_while_running(running_hub: RunningHub) -> None:
    running_hub.store.add("bob", PASSWORD)
    assert running_hub.login("bob", PASSWORD)[1].status_code == 302
    running_hub.store.remove("bob")
    assert running_hub.login("bob", PASSWORD)[1].status_code == 403


def test_spawn_lab_and_survey_api(running_hub: RunningHub, alice: str) -> None:
    hub = running_hub
    session, response = hub.login(alice, PASSWORD)
    assert response.status_code == 302

    form = session.get(f"{hub.url}/hub/spawn", timeout=30)
    assert form.status_code == 200
    assert 'name="profile" value="small"' in form.text  # the lab profile form
    assert 'value="gpu"' not in form.text  # no GPU here, and alice is not in the gpu group
    spawn = hub.submit_spawn_form(session, profile="medium")
    assert spawn.status_code == 302, spawn.text
    server = hub.wait_for_server(alice)
    assert server["user_options"] == {"profile": "medium"}
    assert server["url"] == f"/user/{alice}/"
    assert (hub.state_dir / "home" / alice).is_dir()

    lab = session.get(f"{hub.url}/user/{alice}/lab", timeout=30)
    assert lab.status_code == 200
    assert lab.url == f"{hub.url}/user/{alice}/lab"
    assert "JupyterLab" in lab.text

    xsrf = session.cookies.get("_xsrf", path=f"/user/{alice}/")
    info = session.get(
        f"{hub.url}/user/{alice}/surveylab/api/info", headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["release"] == "DEMO DR1"
    assert {"version", "release", "backend", "tables"} <= body.keys()

    anonymous = requests.get(
        f"{hub.url}/user/{alice}/surveylab/api/info", allow_redirects=False, timeout=30
    )
    assert anonymous.status_code == 403
    assert "DEMO DR1" not in anonymous.text

    # Another user's login does not open alice's lab: the hub refuses the OAuth grant.
    demo, _ = hub.login("demo", hub.demo_login.password)
    assert demo.get(f"{hub.url}/user/{alice}/api/contents", timeout=30).status_code == 403
    page = demo.get(f"{hub.url}/user/{alice}/lab", timeout=30)
    assert page.status_code == 403
    assert "/hub/api/oauth2/authorize" in page.url

    lab_pid = int(hub.api("GET", f"users/{alice}").json()["servers"][""]["state"]["pid"])
    # The lab's terminals find this environment's commands (surveylab sql) first.
    environ = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{lab_pid}/environ").read_text().split("\0")
        if "=" in item
    )
    assert environ["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    # The hub↔lab contract: the profile chosen, no deadline for an uncapped profile.
    assert environ["SURVEYLAB_LAB_PROFILE"] == "medium"
    assert "SURVEYLAB_LAB_DEADLINE" not in environ
    lab_info = session.get(
        f"{hub.url}/user/{alice}/surveylab/api/lab", headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert lab_info.status_code == 200, lab_info.text
    assert lab_info.json()["deadline"] is None
    # alice is in no group: her lab has the default role, all its panels and the SQL terminal
    assert lab_info.json()["role"]["name"] == "default"
    assert lab_info.json()["sql_command"] is not None
    hub.stop_server(alice)
    assert lab_pid not in descendants(hub.process.pid)


def test_surveylab_hub_command_runs_and_stops_cleanly(tmp_path: Path, demo_data_dir: Path) -> None:
    """``surveylab hub`` prints its URL, then runs the hub in its place; once the hub answers,
    it writes and announces the demo login.

    SIGTERM (as Ctrl-C) stops the hub, its proxy, its services and its labs: nothing is left
    behind, even when it was started as a shell's background job (``make demo &``), which
    inherits SIGINT ignored: the hub stops its services with SIGINT.
    """
    hub = start_hub(tmp_path / "hub", demo_data_dir, via_cli=True, ignore_sigint=True)
    try:
        login_line = f"demo login: username demo, password in {hub.state_dir / 'demo-login.txt'}"
        deadline = time.monotonic() + 30
        while login_line not in hub.log_path.read_text().splitlines():
            assert time.monotonic() < deadline, hub.log_tail()
            time.sleep(0.05)
        login = hub.demo_login
        lines = hub.log_path.read_text().splitlines()
        assert lines[0] == f"surveylab hub: starting at {hub.url}/  (state in {hub.state_dir})"
        assert lines.index(login_line) > lines.index(f"surveylab hub: ready at {hub.url}/")
        assert login.password not in hub.log_path.read_text()  # the output may be a log
        session, response = hub.login(login.name, login.password)
        assert response.status_code == 302
        hub.submit_spawn_form(session, profile="small")
        hub.wait_for_server(login.name)
        # exec: the command's own process became the hub.
        assert b"jupyterhub" in Path(f"/proc/{hub.process.pid}/cmdline").read_bytes()
        children = descendants(hub.process.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children}
        assert any(b"configurable-http-proxy" in c for c in commands)
        assert any(b"jupyterhub-singleuser" in c for c in commands)
    finally:
        leftovers = stop_hub(hub)
    assert leftovers == set()
    assert hub.process.returncode == 0, hub.log_tail()
    assert not (tmp_path / "hub" / "jupyterhub.pid").exists()

"""``surveylab hub`` and ``surveylab hub users``: parsing, the user commands, the hub command."""

from __future__ import annotations

import argparse
import io
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from surveylab_hub import cli
from surveylab_hub.store import CredentialStore
from tests.support.hub import HUB_CONFIG, RunningHub, free_ports, hub_environment, stop_hub
from tests.support.markers import require_marker

PASSWORD = "a long enough password"


def parse(*argv: str) -> argparse.Namespace:
    """Parse as the ``surveylab`` command does once the entry point registers ``hub``."""
    parser = argparse.ArgumentParser(prog="surveylab")
    commands = parser.add_subparsers(dest="command", required=True)
    cli.register(commands)
    return parser.parse_args(argv)


def run(*argv: str) -> int:
    args = parse(*argv)
    return int(args.func(args))


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SURVEYLAB_HUB_STATE_DIR", raising=False)
    return tmp_path / "hub"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("argv", "func", "attrs"),
    [
        pytest.param(
            ["hub"],
            cli.run_hub,
            {"state_dir": None, "port": None, "ip": None, "hub_command": None},
            id="hub-defaults",
        ),
        pytest.param(
            ["hub", "--state-dir", "/s", "--port", "9000", "--ip", "0.0.0.0"],
            cli.run_hub,
            {"state_dir": Path("/s"), "port": 9000, "ip": "0.0.0.0"},
            id="hub-options",
        ),
        pytest.param(
            ["hub", "users", "add", "alice"],
            cli.users_add,
            {"name": "alice", "password_file": None, "replace": False, "state_dir": None},
            id="add",
        ),
        pytest.param(
            ["hub", "users", "add", "alice", "--password-file", "-", "--replace"],
            cli.users_add,
            {"password_file": Path("-"), "replace": True},
            id="add-stdin-replace",
        ),
        pytest.param(
            ["hub", "--state-dir", "/a", "users", "list"],
            cli.users_list,
            {"state_dir": Path("/a")},
            id="state-dir-before",
        ),
        pytest.param(
            ["hub", "users", "--state-dir", "/b", "list"],
            cli.users_list,
            {"state_dir": Path("/b")},
            id="state-dir-middle",
        ),
        pytest.param(
            ["hub", "users", "remove", "bob", "--state-dir", "/c"],
            cli.users_remove,
            {"name": "bob", "state_dir": Path("/c")},
            id="state-dir-after",
        ),
    ],
)
def test_parsing(argv: list[str], func: object, attrs: dict[str, object]) -> None:
    args = parse(*argv)
    assert args.func is func
    assert {key: getattr(args, key) for key in attrs} == attrs


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["hub", "users"], id="users-needs-an-action"),
        pytest.param(["hub", "users", "add"], id="add-needs-a-name"),
        pytest.param(["hub", "users", "add", "x", "--password", "pw"], id="no-password-option"),
    ],
)
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        parse(*argv)
    assert excinfo.value.code == 2
    assert "pw" not in capsys.readouterr().err.split()


def test_password_option_is_refused_without_echo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("hub", "users", "add", "x", "--password=hunter2-secret")
    err = capsys.readouterr().err
    assert "passwords are not taken on the command line" in err
    assert "hunter2-secret" not in err


def test_add_list_remove(
    state: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            "hub",
            "users",
            "add",
            "alice",
            "--password-file",
            str(password_file),
            "--state-dir",
            str(state),
        )
        == 0
    )
    assert CredentialStore(state / "users.json").verify("alice", PASSWORD)
    assert run("hub", "--state-dir", str(state), "users", "list") == 0
    assert run("hub", "--state-dir", str(state), "users", "remove", "alice") == 0
    assert run("hub", "--state-dir", str(state), "users", "list") == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0] == f"added user alice in {state / 'users.json'}"
    assert lines[1].startswith("alice\t20")
    assert lines[2] == f"removed user alice from {state / 'users.json'}"
    assert len(lines) == 3
    assert PASSWORD not in out.out + out.err


def test_state_dir_from_environment(
    state: Path, password_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEYLAB_HUB_STATE_DIR", str(state))
    assert run("hub", "users", "add", "bob", "--password-file", str(password_file)) == 0
    assert CredentialStore(state / "users.json").names() == ["bob"]


def test_password_from_stdin(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\nignored second line\n"))
    assert (
        run("hub", "--state-dir", str(state), "users", "add", "carol", "--password-file", "-") == 0
    )
    assert CredentialStore(state / "users.json").verify("carol", PASSWORD)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["add", "user@otherdb"], "contains '@'", id="bad-name"),
        pytest.param(["add", "Alice"], "use 'alice'", id="uppercase"),
        pytest.param(["add", "demo"], "'demo' already exists (use --replace)", id="exists"),
        pytest.param(["remove", "nobody"], "no user 'nobody'", id="remove-unknown"),
    ],
)
def test_user_errors_are_clear(
    state: Path,
    password_file: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    CredentialStore(state / "users.json").add("demo", PASSWORD)
    extra = ["--password-file", str(password_file)] if argv[0] == "add" else []
    assert run("hub", "--state-dir", str(state), "users", *argv, *extra) == 1
    err = capsys.readouterr().err
    assert err.startswith("surveylab hub: error: ")
    assert message in err


def test_short_password_is_refused(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = tmp_path / "short"
    short.write_text("abc\n")
    short.chmod(0o600)
    assert (
        run("hub", "--state-dir", str(state), "users", "add", "dave", "--password-file", str(short))
        == 1
    )
    assert "at least 8 characters" in capsys.readouterr().err


def test_readable_password_file_warns(
    state: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password_file.chmod(0o644)
    assert (
        run(
            "hub",
            "--state-dir",
            str(state),
            "users",
            "add",
            "erin",
            "--password-file",
            str(password_file),
        )
        == 0
    )
    assert "readable by others" in capsys.readouterr().err


def test_replace_changes_the_password(
    state: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = CredentialStore(state / "users.json")
    store.add("frank", "the old password")
    assert (
        run(
            "hub",
            "--state-dir",
            str(state),
            "users",
            "add",
            "frank",
            "--replace",
            "--password-file",
            str(password_file),
        )
        == 0
    )
    assert store.verify("frank", PASSWORD)
    assert capsys.readouterr().out.startswith("changed user frank")


def test_hub_command_and_environment(tmp_path: Path) -> None:
    assert cli.config_file() == HUB_CONFIG
    assert cli.hub_command(HUB_CONFIG, python="/venv/bin/python") == [
        "/venv/bin/python",
        "-m",
        "jupyterhub",
        "-f",
        str(HUB_CONFIG),
    ]
    env = cli.hub_environment(
        {"PATH": "/bin", "SURVEYLAB_HUB_PORT": "1"}, state_dir=tmp_path, ip="0.0.0.0", port=9000
    )
    assert env == {
        "PATH": "/bin",
        "SURVEYLAB_HUB_STATE_DIR": str(tmp_path),
        "SURVEYLAB_HUB_IP": "0.0.0.0",
        "SURVEYLAB_HUB_PORT": "9000",
    }


# -- the demo login is announced once the hub answers (a real hub) ------------------------------


def start_cli_hub(state: Path, data_dir: Path, log_path: Path, **extra_env: str) -> RunningHub:
    """``surveylab hub`` as a user's script runs it: started, not waited for."""
    require_marker("hub", "a JupyterHub")
    ports = free_ports(4)
    token = secrets.token_hex(32)
    env = {
        **hub_environment(os.environ, state_dir=state, data_dir=data_dir, ports=ports, token=token),
        **extra_env,
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "surveylab.cli", "hub", "--state-dir", str(state)],
            cwd=log_path.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RunningHub(f"http://127.0.0.1:{ports[0]}", token, state, log_path, process, env)


def wait_for(condition: Callable[[], bool], hub: RunningHub, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, hub.log_tail()
        time.sleep(0.01)


@pytest.mark.hub
@pytest.mark.parametrize("earlier_run", [False, True], ids=["fresh-state", "earlier-run"])
def test_the_demo_login_appears_only_once_the_hub_answers(
    earlier_run: bool, tmp_path: Path, demo_data_dir: Path
) -> None:
    """A script that waits for ``demo-login.txt`` and then logs in at once gets an answer,
    not "connection refused": the file appears, whole, only when the hub answers through its
    public URL, and goes when the hub stops (the next start announces it again)."""
    state = tmp_path / "hub"
    store = CredentialStore(state / "users.json")
    earlier = cli.withhold_demo_login(store, "demo") if earlier_run else None  # as a run leaves it
    login_file = state / "demo-login.txt"
    hub = start_cli_hub(state, demo_data_dir, tmp_path / "hub.log")
    try:
        wait_for(lambda: login_file.exists() or hub.process.poll() is not None, hub)
        # At once, as a script would: the hub must answer, and the file must be complete.
        login = store.demo_login()
        assert login is not None
        session, response = hub.login(login.name, login.password)
        assert response.status_code == 302, hub.log_tail()
        assert session.get(f"{hub.url}/hub/api/user", timeout=30).json()["name"] == "demo"
        assert login_file.stat().st_mode & 0o777 == 0o600
        assert earlier in (None, login)  # an earlier run's password is kept
        wait_for(lambda: "demo login: " in hub.log_path.read_text(), hub)
        lines = hub.log_path.read_text().splitlines()
        assert lines[0] == f"surveylab hub: starting at {hub.url}/  (state in {state})"
        ready = lines.index(f"surveylab hub: ready at {hub.url}/")
        assert lines.index(f"demo login: username demo, password in {login_file}") > ready
        assert login.password not in hub.log_path.read_text()
        # the command became the hub (exec): scripts may signal it by its pid
        assert b"jupyterhub" in Path(f"/proc/{hub.process.pid}/cmdline").read_bytes()
    finally:
        leftovers = stop_hub(hub)
    assert leftovers == set()
    assert hub.process.returncode == 0, hub.log_tail()
    wait_for(lambda: not login_file.exists(), hub, timeout=30)  # no hub, no login file
    assert cli.withhold_demo_login(store, "demo") == login


@pytest.mark.hub
def test_a_hub_that_fails_to_start_announces_nothing_and_keeps_the_login(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    """The hub exits before it answers (its proxy does not start): no login is announced or
    written, and the password is not lost: the next start will announce it."""
    state = tmp_path / "hub"
    store = CredentialStore(state / "users.json")
    hub = start_cli_hub(
        state, demo_data_dir, tmp_path / "hub.log", SURVEYLAB_HUB_PROXY_CMD="/bin/false"
    )
    try:
        hub.process.wait(120)
    finally:
        stop_hub(hub)
    assert hub.process.returncode != 0
    assert "ready at" not in hub.log_path.read_text()
    assert "demo login: " not in hub.log_path.read_text()
    assert not (state / "demo-login.txt").exists()
    login = cli.withhold_demo_login(store, "demo")
    assert login is not None
    assert store.verify(login.name, login.password)
    assert cli.publish_demo_login(store, login)
    assert store.demo_login() == login


def test_a_login_changed_while_withheld_is_not_published(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "hub" / "users.json")
    login = cli.withhold_demo_login(store, "demo")
    assert login is not None
    assert store.demo_login() is None  # withheld
    store.add("demo", "another password", replace=True)
    assert not cli.publish_demo_login(store, login)
    assert store.demo_login() is None
    assert not list(store.path.parent.glob(".demo-login*"))


class WriteRecorder(io.StringIO):
    """An output that keeps each ``write`` call apart, as an unbuffered stream passes them on."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_the_announcement_is_written_a_whole_line_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The announcer shares its output with the hub's log: with ``PYTHONUNBUFFERED`` (print
    writes the text and its newline apart) a log line could land inside the announcement."""
    store = CredentialStore(tmp_path / "hub" / "users.json")
    login = cli.withhold_demo_login(store, "demo")
    output = WriteRecorder()
    monkeypatch.setattr(sys, "stdout", output)
    assert cli._announce_demo_login(store, "demo", login)
    assert output.writes == [f"demo login: username demo, password in {store.demo_login_path}\n"]

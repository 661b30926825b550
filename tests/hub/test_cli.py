"""``surveylab hub`` and ``surveylab hub users``: parsing, the user commands, the hub command."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from surveylab_hub import cli
from surveylab_hub.store import CredentialStore
from tests.support.hub import HUB_CONFIG

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

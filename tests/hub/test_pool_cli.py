"""``surveylab pool``: parsing, and create/list/extend/end on a state folder (no hub)."""

from __future__ import annotations

import argparse
import csv
import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

import pytest

from surveylab_hub import pool_cli
from surveylab_hub.pools import PoolStore
from surveylab_hub.store import CredentialStore

#: The variables the pool commands read; a test sets them explicitly or not at all.
_VARIABLES = ("SURVEYLAB_HUB_STATE_DIR", "SURVEYLAB_HUB_PROFILES", "SURVEYLAB_HUB_DB_ACCOUNTS")


def parse(*argv: str) -> argparse.Namespace:
    """Parse as the ``surveylab`` command does once the entry point registers ``pool``."""
    parser = argparse.ArgumentParser(prog="surveylab")
    commands = parser.add_subparsers(dest="command", required=True)
    pool_cli.register(commands)
    return parser.parse_args(["pool", *argv])


def run_pool(*argv: str, env: Mapping[str, str] | None = None) -> int:
    """Run ``surveylab pool ARGV`` in this process, with the pool variables of ``env`` only."""
    chosen = {key: value for key, value in (env or {}).items() if key in _VARIABLES}
    with mock.patch.dict(os.environ, chosen):
        for key in set(_VARIABLES) - set(chosen):
            os.environ.pop(key, None)
        args = parse(*argv)
        return int(args.func(args))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    state = tmp_path / "hub"
    accounts = state / "db-accounts.yaml"
    state.mkdir()
    accounts.write_text("accounts:\n  readonly:\n    user: des_public\n    password: pw-123456\n")
    accounts.chmod(0o600)
    return state


@pytest.mark.parametrize(
    ("argv", "func", "attrs"),
    [
        pytest.param(
            ["create", "ws", "--size", "40", "--expires", "2026-12-01T18:00"],
            pool_cli.pool_create,
            {"name": "ws", "size": 40, "seats": None, "profile": None, "home": "archive"},
            id="create-defaults",
        ),
        pytest.param(
            [
                *("create", "ws", "--size", "4", "--expires", "+2h", "--seats", "2"),
                *("--home", "remove", "--profile", "medium", "--db-account", "readonly"),
                *("--csv", "out.csv"),
            ],
            pool_cli.pool_create,
            {"seats": 2, "home": "remove", "db_account": "readonly", "csv": Path("out.csv")},
            id="create-options",
        ),
        pytest.param(["list"], pool_cli.pool_list, {"state_dir": None}, id="list"),
        pytest.param(
            ["extend", "ws", "--expires", "+1d"],
            pool_cli.pool_extend,
            {"expires": "+1d"},
            id="extend",
        ),
        pytest.param(["end", "ws"], pool_cli.pool_end, {"wait": None}, id="end"),
        pytest.param(["end", "ws", "--wait"], pool_cli.pool_end, {"wait": 300.0}, id="end-wait"),
        pytest.param(
            ["--state-dir", "/s", "end", "ws", "--wait", "5"],
            pool_cli.pool_end,
            {"wait": 5.0, "state_dir": Path("/s")},
            id="end-wait-seconds",
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
        pytest.param(["create", "ws", "--size", "4"], id="create-without-expiry"),
        pytest.param(["create", "ws", "--expires", "+1h"], id="create-without-size"),
        pytest.param(["create", "ws", "--size", "x", "--expires", "+1h"], id="size-not-a-number"),
        pytest.param(
            ["create", "ws", "--size", "4", "--expires", "+1h", "--home", "keep"], id="home"
        ),
        pytest.param(["extend", "ws"], id="extend-without-expiry"),
        pytest.param([], id="no-action"),
    ],
)
def test_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse(*argv)
    assert caught.value.code == 2


def test_create_prints_the_csv_and_stores_only_hashes(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_pool("create", "ws", "--size", "3", "--expires", "+2h", "--state-dir", str(state)) == 0
    )
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["username"] for row in rows] == ["ws-01", "ws-02", "ws-03"]
    assert {row["pool"] for row in rows} == {"ws"}
    assert "created pool ws: 3 users (ws-01 to ws-03), 3 seats, profile small" in err
    store = CredentialStore(state / "users.json")
    for row in rows:
        assert store.verify(row["username"], row["password"])
        assert row["password"] not in (state / "users.json").read_text()
        assert row["password"] not in (state / "pools.json").read_text()
    assert stat.S_IMODE((state / "pools.json").stat().st_mode) == 0o600


def test_create_writes_a_private_csv_file(state: Path, tmp_path: Path) -> None:
    path = tmp_path / "logins.csv"
    argv = ["create", "ws", "--size", "2", "--expires", "+1d", "--csv", str(path)]
    assert run_pool(*argv, "--state-dir", str(state)) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().splitlines()[0] == "username,password,pool,expires_utc"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["create", "Ws!", "--size", "2", "--expires", "+1h"],
            "pool name 'Ws!' must be lowercase letters, digits and '-'",
            id="bad-name",
        ),
        pytest.param(
            ["create", "ws", "--size", "500", "--expires", "+1h"],
            "--size 500 is out of range: a pool has 1 to 200 users",
            id="too-big",
        ),
        pytest.param(
            ["create", "ws", "--size", "4", "--seats", "5", "--expires", "+1h"],
            "--seats 5 is out of range: 1 to the size (4)",
            id="more-seats-than-users",
        ),
        pytest.param(
            ["create", "ws", "--size", "2", "--expires", "2020-01-01T10:00Z"],
            "--expires '2020-01-01T10:00Z' is 2020-01-01 10:00 UTC, which has passed",
            id="expired",
        ),
        pytest.param(
            ["create", "ws", "--size", "2", "--expires", "soon"],
            "--expires 'soon' is not a time",
            id="not-a-time",
        ),
        pytest.param(
            ["create", "ws", "--size", "2", "--expires", "+1h", "--profile", "huge"],
            "--profile 'huge' is not a lab profile; choose one of: small, medium, large, gpu",
            id="unknown-profile",
        ),
        pytest.param(
            ["create", "ws", "--size", "2", "--expires", "+1h", "--db-account", "admin"],
            "--db-account 'admin' is not a shared database account in",
            id="unknown-account",
        ),
        pytest.param(["extend", "nope", "--expires", "+1h"], "no pool 'nope'", id="extend-unknown"),
        pytest.param(["end", "nope"], "no pool 'nope' (pools: none)", id="end-unknown"),
    ],
)
def test_bad_input_is_one_clear_line(
    state: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pool(*argv, "--state-dir", str(state)) == 1
    out, err = capsys.readouterr()
    assert err.startswith("surveylab pool: error: ")
    assert message in err
    assert "Traceback" not in err
    assert out == ""
    assert not (state / "users.json").exists()


def test_create_refuses_a_taken_name_or_csv_and_creates_nothing(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CredentialStore(state / "users.json").add("ws-02", "somebody's password")
    assert (
        run_pool("create", "ws", "--size", "3", "--expires", "+1h", "--state-dir", str(state)) == 1
    )
    assert "would create users that exist already: ws-02" in capsys.readouterr().err
    existing = tmp_path / "old.csv"
    existing.write_text("precious\n")
    argv = ["create", "other", "--size", "2", "--expires", "+1h", "--csv", str(existing)]
    assert run_pool(*argv, "--state-dir", str(state)) == 1
    assert f"--csv {existing} exists" in capsys.readouterr().err
    assert existing.read_text() == "precious\n"
    assert PoolStore.in_state_dir(state).pools() == []
    assert CredentialStore(state / "users.json").names() == ["ws-02"]


def test_list_extend_end(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    at = ["--state-dir", str(state)]
    assert run_pool("create", "ws", "--size", "2", "--expires", "+1h", *at) == 0
    argv = ["create", "big", "--size", "3", "--seats", "2", "--expires", "+300d"]
    assert run_pool(*argv, "--db-account", "readonly", *at) == 0
    assert run_pool("extend", "ws", "--expires", "2099-12-24T12:00+01:00", *at) == 1
    assert "more than 366 days ahead" in capsys.readouterr().err
    assert run_pool("extend", "ws", "--expires", "+30d", *at) == 0
    assert run_pool("end", "big", *at) == 0
    capsys.readouterr()
    assert run_pool("list", *at) == 0
    header, big, ws = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "NAME",
        "SIZE",
        "SEATS",
        "PROFILE",
        "DB",
        "ACCOUNT",
        "EXPIRES",
        "STATUS",
    ]
    assert big.split()[:5] == ["big", "3", "2", "small", "readonly"]
    assert "ending (ended " in big
    assert ws.split()[:5] == ["ws", "2", "2", "small", "-"]
    assert ws.endswith("  active")
    expires = PoolStore.in_state_dir(state).get("ws").expires
    assert expires.strftime("%Y-%m-%d %H:%M UTC") in ws
    # An ended pool cannot be extended; ending it again changes nothing.
    assert run_pool("extend", "big", "--expires", "+2h", *at) == 1
    assert "pool 'big' was ended at" in capsys.readouterr().err
    assert run_pool("end", "big", *at) == 0


def test_end_wait_times_out_clearly_without_a_hub(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_pool("create", "ws", "--size", "1", "--expires", "+1h", "--state-dir", str(state)) == 0
    )
    assert run_pool("end", "ws", "--wait", "0.6", "--state-dir", str(state)) == 1
    err = capsys.readouterr().err
    assert "pool ws is not closed after 0.6 s; is the hub" in err

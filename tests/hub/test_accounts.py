"""Shared database accounts: a private YAML file the hub reads when a lab starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from surveylab.accounts import (
    SharedAccountsError,
    UnknownAccountError,
    load_shared_accounts,
    shared_account,
)

GOOD = "accounts:\n  readonly:\n    user: des_public\n    password: s3cret-readonly\n"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_reads_an_account_and_hides_its_password(tmp_path: Path) -> None:
    account = shared_account(write(tmp_path / "a.yaml", GOOD), "readonly")
    assert (account.name, account.db_user, account.password) == (
        "readonly",
        "des_public",
        "s3cret-readonly",
    )
    assert "s3cret" not in repr(account)
    assert "s3cret" not in repr(account.lab_environment())
    assert account.lab_environment().to_environment() == {
        "SURVEYLAB_DB_USER": "des_public",
        "SURVEYLAB_DB_PASSWORD": "s3cret-readonly",
    }


def test_absent_or_empty_file_has_no_accounts(tmp_path: Path) -> None:
    assert load_shared_accounts(tmp_path / "none.yaml") == {}
    assert load_shared_accounts(write(tmp_path / "empty.yaml", "")) == {}
    with pytest.raises(UnknownAccountError, match=r"no shared database account 'x'.*known: none"):
        shared_account(tmp_path / "none.yaml", "x")


def test_unknown_account_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownAccountError, match=r"'other'.*known: readonly"):
        shared_account(write(tmp_path / "a.yaml", GOOD), "other")


@pytest.mark.parametrize("mode", [0o604, 0o644, 0o606])
def test_refuses_a_file_others_can_read(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path / "a.yaml", GOOD, mode)
    with pytest.raises(SharedAccountsError, match=r"other users can read it.*chmod 600"):
        load_shared_accounts(path)


def test_group_may_read_only_if_it_is_the_hubs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a Kubernetes Secret volume with the pod's fsGroup: mode 0440, the hub's group."""
    path = write(tmp_path / "a.yaml", GOOD, 0o440)
    assert path.stat().st_gid == os.getegid()
    assert load_shared_accounts(path)["readonly"].db_user == "des_public"
    monkeypatch.setattr(os, "getegid", lambda: path.stat().st_gid + 1)  # another group's file
    with pytest.raises(SharedAccountsError, match=r"other users can read it \(mode 440\)"):
        load_shared_accounts(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accounts: [1, 2\n", r"not valid YAML at line 2"),
        ("- a\n", r"expected a mapping"),
        ("accounts:\n  Bad Name:\n    user: u\n    password: p\n", r"account name 'Bad Name'"),
        ("accounts:\n  ro: just-a-string\n", r"account 'ro' must be a mapping"),
        ("accounts:\n  ro:\n    user: u\n", r"account 'ro' needs a non-empty 'password'"),
        ("accounts:\n  ro:\n    user: ''\n    password: p\n", r"needs a non-empty 'user'"),
        ("accounts:\n  ro:\n    user: u\n    password: p\n    host: h\n", r"unknown keys"),
    ],
)
def test_malformed_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "a.yaml", text)
    with pytest.raises(SharedAccountsError, match=message) as error:
        load_shared_accounts(path)
    assert str(path) in str(error.value)

"""OAuth identities → hub usernames and shared database accounts, as tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from tornado import web
from traitlets import TraitError

from surveylab_hub.oauth import (
    IDENTITY_KEY,
    AccountMap,
    AccountMapError,
    InvalidIdentityError,
    SurveylabCILogonOAuthenticator,
    SurveylabGenericOAuthenticator,
    canonical_identity,
    hub_username,
    load_account_map,
)
from surveylab_hub.store import validate_username

ACCOUNTS = (
    "accounts:\n"
    "  readonly: {user: des_public, password: pw-readonly}\n"
    "  alice_db: {user: alice, password: pw-alice}\n"
    "  collab: {user: des_collab, password: pw-collab}\n"
)
MAP = (
    "identities:\n"
    "  Alice.Smith@Example.org: alice_db\n"
    "  '*@des.example.org': collab\n"
    "  bob@des.example.org: readonly\n"
)


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ("alice", "alice"),
        ("alice.smith", "alice.smith"),
        ("alice.smith@example.org", "alice.smith-at-example.org-0d1cf0a945"),
        ("github:alice", "github-alice-" ),
        ("jöhn@example.org", "j-hn-at-example.org-"),
        ("@@@", "at-at-at-"),
        ("日本", "user-"),
        ("x" * 70 + "@example.org", "x" * 53 + "-"),
    ],
    ids=["valid", "valid-dotted", "email", "cilogon-prefix", "non-ascii", "only-at",
         "nothing-readable", "too-long"],
)  # fmt: skip
def test_hub_username_is_valid_readable_and_idempotent(identity: str, expected: str) -> None:
    name = hub_username(identity)
    assert name.startswith(expected)
    assert validate_username(name) == name
    assert hub_username(name) == name


def test_distinct_identities_never_share_a_hub_username() -> None:
    # would read the same without the hash
    assert hub_username("a-at-b@c.org") != hub_username("a@b-at-c.org")
    assert hub_username("a+b@x.org") != hub_username("a/b@x.org")


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("", "empty username claim"),
        ("   ", "empty username claim"),
        ("bad user@example.org", "contains blanks or control characters"),
        ("bad\x00user", "contains blanks or control characters"),
        ("a" * 257, "257 characters long; at most 256"),
        (42, "is a int, not text"),
    ],
    ids=["empty", "blank", "inner-blank", "control", "too-long", "not-text"],
)
def test_bad_identities_are_clear_errors(claim: Any, message: str) -> None:
    with pytest.raises(InvalidIdentityError, match=message):
        canonical_identity(claim)


@pytest.mark.parametrize(
    ("identity", "default", "listed", "account"),
    [
        ("alice.smith@example.org", "readonly", "alice_db", "alice_db"),
        ("bob@des.example.org", "readonly", "readonly", "readonly"),  # exact before pattern
        ("carol@des.example.org", "readonly", "collab", "collab"),  # pattern
        ("carol@des.example.org.evil", "readonly", None, "readonly"),  # patterns match whole
        ("mallory@example.org", "readonly", None, "readonly"),  # the default
        ("mallory@example.org", None, None, None),  # refused
    ],
    ids=["exact", "exact-first", "pattern", "pattern-whole", "default", "refused"],
)
def test_account_map_resolves_identities(
    tmp_path: Path, identity: str, default: str | None, listed: str | None, account: str | None
) -> None:
    (tmp_path / "map.yaml").write_text(MAP)
    mapping = load_account_map(tmp_path / "map.yaml")
    assert mapping.listed(identity) == listed
    assert mapping.resolve(identity, default) == account


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("identities: [a, b]\n", "`identities` must map identities to account names"),
        ("users: {}\n", "expected one mapping `identities:"),
        ("identities:\n  alice@x.org: Alice DB\n", "maps to 'Alice DB'; an account name"),
        ("identities:\n  alice@x.org: {account: x}\n", "maps to {'account': 'x'}"),
        ("identities:\n  'a b@x.org': readonly\n", "bad identity 'a b@x.org'"),
        ("identities: [\n", "is not valid YAML at line 2"),
    ],
    ids=["list", "unknown-key", "bad-account", "nested", "bad-identity", "not-yaml"],
)
def test_bad_account_maps_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "map.yaml").write_text(text)
    with pytest.raises(AccountMapError, match=message):
        load_account_map(tmp_path / "map.yaml")


def test_absent_or_empty_map_lists_nobody(tmp_path: Path) -> None:
    assert load_account_map(tmp_path / "none.yaml") == AccountMap()
    (tmp_path / "empty.yaml").write_text("")
    assert load_account_map(tmp_path / "empty.yaml") == AccountMap()


# --- the authenticator's hooks ---------------------------------------------------------------


def authenticator(tmp_path: Path, cls: type = SurveylabGenericOAuthenticator, **traits: Any) -> Any:
    accounts = tmp_path / "db-accounts.yaml"
    accounts.write_text(ACCOUNTS)
    accounts.chmod(0o600)
    (tmp_path / "map.yaml").write_text(MAP)
    return cls(
        db_account_map=str(tmp_path / "map.yaml"),
        shared_accounts_path=str(accounts),
        log=logging.getLogger("test"),
        **traits,
    )


def auth_model(name: str, identity: str) -> dict[str, Any]:
    return {"name": name, "admin": None, "auth_state": {IDENTITY_KEY: identity}}


@pytest.mark.parametrize(
    ("traits", "identity", "outcome"),
    [
        ({}, "alice.smith@example.org", True),  # listed: admitted
        ({"allow_mapped_identities": False}, "alice.smith@example.org", False),
        ({}, "mallory@example.org", False),  # default account, but no allow rule
        ({"allow_all": True}, "mallory@example.org", True),  # default account, allow_all
        ({"allow_all": True, "default_db_account": ""}, "mallory@example.org",
         "no survey database account is mapped to your identity 'mallory@example.org'"),
        ({"allow_all": True, "default_db_account": "ghost"}, "mallory@example.org",
         "the database account 'ghost' of your identity is not set up on this hub"),
    ],
    ids=["listed", "listed-not-admitted", "default-not-allowed", "default-allow-all",
         "refuse-unmapped", "unknown-account"],
)  # fmt: skip
async def test_who_is_admitted(
    tmp_path: Path, traits: dict[str, Any], identity: str, outcome: bool | str
) -> None:
    auth = authenticator(tmp_path, **traits)
    name = hub_username(identity)
    if isinstance(outcome, str):
        with pytest.raises(web.HTTPError) as refused:
            await auth.check_allowed(name, auth_model(name, identity))
        assert refused.value.status_code == 403
        assert refused.value.jupyterhub_message.startswith(outcome)  # type: ignore[attr-defined]
    else:
        assert await auth.check_allowed(name, auth_model(name, identity)) is outcome


async def test_login_turns_the_claim_into_identity_and_username(tmp_path: Path) -> None:
    auth = authenticator(tmp_path, username_claim="email")
    user_info = {"email": " Alice.Smith@Example.org", "sub": "1"}
    identity = auth.user_info_to_username(user_info)
    assert identity == "alice.smith@example.org"
    assert auth.normalize_username(identity) == hub_username(identity)
    model = await auth.update_auth_model(
        {"name": "x", "auth_state": {auth.user_auth_state_key: user_info}}
    )
    assert model["auth_state"][IDENTITY_KEY] == identity
    # the mapped account by name, for the platform service; never its password
    assert model["auth_state"]["db_account"] == "alice_db"
    assert "pw-alice" not in str(model)


async def test_an_identity_with_no_account_keeps_no_account_name(tmp_path: Path) -> None:
    auth = authenticator(tmp_path, username_claim="email", default_db_account="")
    user_info = {"email": "mallory@example.org", "sub": "2"}
    model = await auth.update_auth_model(
        {"name": "x", "auth_state": {auth.user_auth_state_key: user_info}}
    )
    assert "db_account" not in model["auth_state"]  # check_allowed refuses this login


def test_username_map_names_an_identity(tmp_path: Path) -> None:
    auth = authenticator(tmp_path, username_map={"alice.smith@example.org": "asmith"})
    assert auth.normalize_username("Alice.Smith@Example.org") == "asmith"
    assert auth.validate_username("asmith")
    assert not auth.validate_username("Alice@x")


def test_cilogon_identity_is_the_processed_eppn(tmp_path: Path) -> None:
    idp = "https://idp.example.org/shibboleth"
    auth = authenticator(
        tmp_path,
        SurveylabCILogonOAuthenticator,
        idps={idp: {"username_derivation": {"username_claim": "eppn", "action": "prefix",
                                              "prefix": "uni"}}},
    )  # fmt: skip
    assert auth.user_info_to_username({"idp": idp, "eppn": "Carol@Uni.edu"}) == "uni:carol@uni.edu"
    assert auth.normalize_username("uni:carol@uni.edu").startswith("uni-carol-at-uni.edu-")


class FakeUser:
    """The two things pre_spawn_start reads of a JupyterHub user."""

    def __init__(self, name: str, auth_state: dict[str, Any] | None) -> None:
        self.name = name
        self._auth_state = auth_state

    async def get_auth_state(self) -> dict[str, Any] | None:
        return self._auth_state


class FakeSpawner:
    def __init__(self) -> None:
        self.environment: dict[str, str] = {"SURVEYLAB_DATA_DIR": "/data"}


@pytest.mark.parametrize(
    ("identity", "user", "password"),
    [
        ("alice.smith@example.org", "alice", "pw-alice"),
        ("carol@des.example.org", "des_collab", "pw-collab"),
        ("mallory@example.org", "des_public", "pw-readonly"),
    ],
    ids=["mapped", "pattern", "default"],
)
async def test_the_lab_gets_the_mapped_account(
    tmp_path: Path, identity: str, user: str, password: str
) -> None:
    auth = authenticator(tmp_path)
    spawner = FakeSpawner()
    await auth.pre_spawn_start(FakeUser("u", {IDENTITY_KEY: identity}), spawner)
    assert spawner.environment == {
        "SURVEYLAB_DATA_DIR": "/data",
        "SURVEYLAB_DB_USER": user,
        "SURVEYLAB_DB_PASSWORD": password,
    }


@pytest.mark.parametrize(
    ("traits", "auth_state", "message"),
    [
        ({}, None, "no OAuth identity is recorded for u"),
        ({"default_db_account": ""}, {IDENTITY_KEY: "mallory@example.org"},
         "no survey database account is mapped to 'mallory@example.org'"),
        ({"default_db_account": "ghost"}, {IDENTITY_KEY: "mallory@example.org"},
         "no shared database account 'ghost'"),
    ],
    ids=["no-identity", "unmapped-since-login", "account-removed"],
)  # fmt: skip
async def test_a_spawn_without_an_account_fails_clearly(
    tmp_path: Path, traits: dict[str, Any], auth_state: dict[str, Any] | None, message: str
) -> None:
    auth = authenticator(tmp_path, **traits)
    with pytest.raises(web.HTTPError) as failed:
        await auth.pre_spawn_start(FakeUser("u", auth_state), FakeSpawner())
    assert message in str(failed.value)


def test_bad_default_account_names_the_trait() -> None:
    with pytest.raises(TraitError, match=r"default_db_account 'Read Only' is not an account name"):
        SurveylabGenericOAuthenticator(default_db_account="Read Only")


async def test_a_broken_map_refuses_logins_and_spawns_clearly(tmp_path: Path) -> None:
    auth = authenticator(tmp_path)
    (tmp_path / "map.yaml").write_text("identities: [\n")
    identity = "alice.smith@example.org"
    with pytest.raises(web.HTTPError) as refused:
        await auth.check_allowed(hub_username(identity), auth_model("a", identity))
    assert refused.value.jupyterhub_message == (  # type: ignore[attr-defined]
        "the hub's account map is broken; tell its operator"
    )
    with pytest.raises(web.HTTPError, match=r"map\.yaml is not valid YAML at line 2"):
        await auth.pre_spawn_start(FakeUser("a", {IDENTITY_KEY: identity}), FakeSpawner())

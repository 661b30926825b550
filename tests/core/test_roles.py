"""Roles (issue 17): the roles file's checks, a user's role, the settings a role puts in force."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveylab.errors import HTTP_STATUS, RoleRefusedError
from surveylab.labenv import LabEnvironment
from surveylab.roles import FEATURES, Role, RolesConfig, RolesError, load_roles
from surveylab.settings import Settings
from tests.conftest import REPO_ROOT

SHIPPED_PATH = REPO_ROOT / "hub_config" / "roles.yaml"
PROFILE_SLUGS = ["small", "medium", "large", "gpu"]
SHIPPED = load_roles(SHIPPED_PATH, PROFILE_SLUGS)

GOOD = """
default: basic
roles:
  - name: power
    groups: [power]
    profiles: [small, gpu]
  - name: basic
    profiles: [small]
"""

# (id, the file's text, a line the error must contain)
BAD_FILES = [
    ("not-yaml", "roles: [", "roles.yaml: not valid YAML at line 1"),
    ("not-a-mapping", "- a\n- b\n", "roles.yaml: must be a mapping with 'roles' and 'default'"),
    ("no-default", "roles:\n  - {name: a, profiles: [small]}\n", "roles.yaml: default is required"),
    (
        "unknown-default",
        "default: b\nroles:\n  - {name: a, profiles: [small]}\n",
        "roles.yaml: default: unknown role 'b' (known: a)",
    ),
    (
        "typo-key",
        "default: a\nroles:\n  - {name: a, profiles: [small], max_jobs: 3}\n",
        "roles.yaml: role 'a': unknown key 'max_jobs'",
    ),
    (
        "bad-cap",
        "default: a\nroles:\n  - {name: a, profiles: [small], max_active_jobs: 0}\n",
        "roles.yaml: role 'a': max_active_jobs must be > 0",
    ),
    (
        "no-profiles",
        "default: a\nroles:\n  - {name: a}\n",
        "roles.yaml: role 'a': profiles is required",
    ),
    (
        "unknown-panel",
        "default: a\nroles:\n  - {name: a, profiles: [small], panels: [survey, chat]}\n",
        "roles.yaml: role 'a': panels: unknown panel 'chat'",
    ),
    (
        "terminal-shown-but-forbidden",
        "default: a\nroles:\n  - {name: a, profiles: [small], sql_terminal: false}\n",
        "roles.yaml: role 'a': panels: 'sql-terminal' is shown but sql_terminal is false",
    ),
    (
        "duplicate-name",
        "default: a\nroles:\n  - {name: a, profiles: [small]}\n  - {name: a, profiles: [small]}\n",
        "roles.yaml: role 'a': name is used by another role",
    ),
    (
        "nameless",
        "default: a\nroles:\n  - {profiles: [small]}\n  - {name: a, profiles: [small]}\n",
        "roles.yaml: role #1: name is required",
    ),
    (
        "unknown-profile",
        "default: a\nroles:\n  - {name: a, profiles: [small, huge]}\n",
        "roles.yaml: role 'a': profiles: unknown profile 'huge' (known: small, medium, large, gpu)",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_roles_file_names_the_file_role_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(text)
    with pytest.raises(RolesError) as caught:
        load_roles(path, PROFILE_SLUGS)
    assert any(line.startswith(expected) for line in caught.value.problems), caught.value.problems


def test_a_missing_roles_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RolesError, match=r"^nowhere.yaml: cannot read: No such file"):
        load_roles(tmp_path / "nowhere.yaml")


def test_the_shipped_roles_offer_gpu_to_advanced_only() -> None:
    offering_gpu = [role.name for role in SHIPPED.roles if "gpu" in role.profiles]
    assert offering_gpu == ["advanced"]
    assert SHIPPED.default_role.name == "default"
    workshop = SHIPPED.get("workshop")
    assert (workshop.profiles, workshop.allows("sql_terminal")) == (("small",), False)


# (id, groups, username, role)
RANKING = [
    ("no-groups", [], "ada", "default"),
    ("unrelated-group", ["astronomers"], "ada", "default"),
    ("gpu-group", ["gpu"], "ada", "advanced"),
    ("workshop", ["workshop"], "ada", "workshop"),
    ("highest-rank-wins", ["limited", "workshop", "advanced"], "ada", "advanced"),
    ("workshop-above-limited", ["limited", "workshop"], "ada", "workshop"),
]


@pytest.mark.parametrize(
    ("groups", "username", "role"), [c[1:] for c in RANKING], ids=[c[0] for c in RANKING]
)
def test_role_for_is_the_highest_ranked_role_granted(
    groups: list[str], username: str, role: str
) -> None:
    assert SHIPPED.role_for(groups, username).name == role


def test_a_role_may_name_its_users() -> None:
    roles = RolesConfig.model_validate(
        {
            "default": "basic",
            "roles": [
                {"name": "power", "users": ["grace"], "profiles": ["small"]},
                {"name": "basic", "profiles": ["small"]},
            ],
        }
    )
    assert roles.role_for([], "grace").name == "power"
    assert roles.role_for([], "ada").name == "basic"


def test_load_roles_reads_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(GOOD)
    roles = load_roles(path, ["small", "gpu"])
    assert [role.name for role in roles.roles] == ["power", "basic"]
    assert roles.group_names == {"power"}


def test_a_role_lowers_the_caps_in_force() -> None:
    base = Settings(max_active_jobs=4, job_storage_quota_gb=50, jobs_running_per_user=2)
    workshop = SHIPPED.get("workshop")
    inside = base.with_role(workshop)
    assert (inside.max_active_jobs, inside.job_storage_quota_gb, inside.jobs_running_per_user) == (
        2,
        5,
        1,
    )
    assert inside.lab_role == workshop
    assert inside.in_force() == inside  # applying it again changes nothing
    assert base.with_role(None) is base
    # a role that sets no cap keeps the settings' own
    default = base.with_role(SHIPPED.default_role)
    assert default.max_active_jobs == 4


def test_the_role_travels_from_the_hub_to_the_lab_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    role = SHIPPED.get("limited")
    environment = LabEnvironment(lab_role=role).to_environment()
    assert list(environment) == ["SURVEYLAB_LAB_ROLE"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.lab_role == role
    assert settings.in_force().max_active_jobs == 1
    assert LabEnvironment.from_settings(settings).lab_role == role


def test_a_malformed_role_in_the_environment_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEYLAB_LAB_ROLE", '{"name": "x"}')
    with pytest.raises(ValueError, match="lab_role"):
        Settings()


@pytest.mark.parametrize("feature", FEATURES)
def test_a_refusal_names_the_role_and_is_a_403(feature: str) -> None:
    role = Role(
        name="workshop",
        profiles=["small"],
        panels=["survey"],
        user_tables=False,
        sql_terminal=False,
        cutout_max_positions=100,
    )
    assert not role.allows(feature)  # type: ignore[arg-type]
    with pytest.raises(RoleRefusedError) as caught:
        role.require(feature)  # type: ignore[arg-type]
    assert str(caught.value).startswith("your role 'workshop' does not allow ")
    assert HTTP_STATUS[caught.value.category] == 403
    assert caught.value.details() == {"role": "workshop", "feature": feature}


def test_a_large_cutout_job_is_one_over_the_roles_positions() -> None:
    role = SHIPPED.get("workshop")
    role.check_cutout(100)
    with pytest.raises(
        RoleRefusedError, match="at most 100 positions per job, and this one has 101"
    ):
        role.check_cutout(101)
    SHIPPED.default_role.check_cutout(1_000_000)  # no role cap: Settings' own applies


def test_role_json_for_the_lab() -> None:
    assert SHIPPED.get("limited").to_json() == {
        "name": "limited",
        "description": "Read-only guests: browsing and small queries",
        "panels": ["survey", "query", "footprint"],
        "features": {"user_tables": False, "sql_terminal": False, "large_cutouts": False},
        "cutout_max_positions": 10,
    }

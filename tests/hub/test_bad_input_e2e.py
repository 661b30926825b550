"""Bad input on a real hub: each gets a clear message, and the hub keeps running.

A malformed profile file or setting stops the hub at start with the problem named and no
traceback (seen in-process, by loading the configuration file as JupyterHub does, and once in a
real hub); a bad login or a bad choice of lab is refused with a message saying what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from traitlets.config.loader import PyFileConfigLoader

from tests.support.hub import HUB_CONFIG, RunningHub, free_ports, hub_environment, start_hub

PASSWORD = "erin's long password"

MALFORMED_PROFILES = """\
images:
  lab-cpu: {display_name: CPU, image: "example.org/lab:1", gpu: false}
profiles:
  - slug: small
    display_name: Small
    description: one CPU
    default: true
    cpu: -1
    memory_gib: 2
    images: [lab-cpu]
    idle_hours: 8
"""


BAD_SETTINGS = [
    pytest.param(
        {"SURVEYLAB_HUB_PROFILES": "{profiles}"},
        ["profiles.yaml: profile 'small': cpu must be > 0"],
        id="malformed-profile-file",
    ),
    pytest.param(
        {"SURVEYLAB_HUB_PROFILES": "{missing}"},
        ["no-such-profiles.yaml"],
        id="missing-profile-file",
    ),
    pytest.param(
        {"SURVEYLAB_HUB_ROLES": "{roles}"},
        ["roles.yaml: role 'default': profiles: unknown profile 'huge' (known: small,"],
        id="roles-file-naming-an-unknown-profile",
    ),
    pytest.param(
        {"SURVEYLAB_HUB_AUTH": "ldap"},
        ["SURVEYLAB_HUB_AUTH='ldap': choose one of"],
        id="unknown-login",
    ),
    pytest.param(
        {"SURVEYLAB_HUB_AUTH": "postgresql"},
        ["needs JUPYTERHUB_CRYPT_KEY"],
        id="database-login-without-crypt-key",
    ),
]


def bad_settings_env(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with its ``{profiles}`` (a malformed profile file), ``{missing}`` and ``{roles}``
    (a roles file offering an unknown profile) filled in."""
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(MALFORMED_PROFILES)
    roles = tmp_path / "roles.yaml"
    roles.write_text("default: default\nroles:\n  - {name: default, profiles: [small, huge]}\n")
    paths = {
        "profiles": str(profiles),
        "missing": str(tmp_path / "no-such-profiles.yaml"),
        "roles": str(roles),
    }
    extra_env = {key: value.format(**paths) for key, value in env.items()}
    extra_env.setdefault("JUPYTERHUB_CRYPT_KEY", "")
    return extra_env


def check_cannot_start(output: str, problems: list[str]) -> None:
    assert "surveylab hub: cannot start:" in output
    for problem in problems:
        assert problem in output
    assert "Traceback" not in output
    assert "must not be empty" not in output  # no follow-on error from the invalid profile


@pytest.mark.parametrize(("env", "problems"), BAD_SETTINGS)
def test_bad_settings_stop_the_hub_config_with_a_clear_message(
    tmp_path: Path,
    demo_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    problems: list[str],
) -> None:
    """The shipped configuration file, loaded in-process as JupyterHub loads it, exits with the
    problem named."""
    hub_env = hub_environment(
        os.environ,
        state_dir=tmp_path / "hub",
        data_dir=demo_data_dir,
        ports=free_ports(4),
        token="0" * 64,
    )
    monkeypatch.setattr(os, "environ", {**hub_env, **bad_settings_env(tmp_path, env)})
    loader = PyFileConfigLoader(HUB_CONFIG.name, path=str(HUB_CONFIG.parent))
    with pytest.raises(SystemExit) as excinfo:
        loader.load_config()
    assert isinstance(excinfo.value.code, str)  # printed on stderr, exit status 1
    check_cannot_start(excinfo.value.code, problems)


@pytest.mark.hub
@pytest.mark.parametrize(("env", "problems"), BAD_SETTINGS[:1])
def test_bad_settings_stop_the_hub_with_a_clear_message(
    tmp_path: Path, demo_data_dir: Path, env: dict[str, str], problems: list[str]
) -> None:
    """A real hub stopped by a bad setting: exit status 1, the message and no traceback."""
    with pytest.raises(RuntimeError, match="the hub exited with 1") as excinfo:
        start_hub(
            tmp_path / "hub", demo_data_dir, extra_env=bad_settings_env(tmp_path, env), timeout=30
        )
    check_cannot_start(str(excinfo.value), problems)


@pytest.fixture(scope="module")
def erin(running_hub: RunningHub) -> Iterator[str]:
    """A user of the session hub who makes bad choices."""
    running_hub.store.add("erin", PASSWORD, replace=True)
    assert running_hub.api("POST", "users/erin").status_code in (201, 409)
    yield "erin"
    running_hub.api("DELETE", "users/erin")
    running_hub.store.remove("erin")


@pytest.mark.hub
@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"profile": "huge"},
            "unknown profile 'huge'; choose one of: small, medium, large",
            id="unknown-profile",
        ),
        pytest.param(
            {"profile": "small", "image": "lab-nightly"},
            "profile 'small' has no image 'lab-nightly'; choose one of: lab-cpu, lab-cpu-previous",
            id="unknown-image",
        ),
        pytest.param(
            {"profile": "medium", "image": "lab-gpu"},
            "profile 'medium' has no image 'lab-gpu'",
            id="gpu-image-on-cpu-profile",
        ),
        pytest.param(
            {"profile": "gpu"},
            "your role 'default' does not offer profile 'gpu'; choose one of: small, medium, large",
            id="gpu-profile-outside-the-advanced-role",
        ),
    ],
)
def test_rest_spawn_with_a_bad_choice_is_refused_clearly(
    running_hub: RunningHub, erin: str, options: dict[str, str], message: str
) -> None:
    response = running_hub.api("POST", f"users/{erin}/server", json=options)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert not running_hub.api("GET", f"users/{erin}").json()["servers"]
    assert requests.get(f"{running_hub.url}/hub/api/", timeout=10).status_code == 200


@pytest.mark.hub
def test_spawn_form_with_a_bad_choice_shows_the_reason(running_hub: RunningHub, erin: str) -> None:
    session, response = running_hub.login(erin, PASSWORD)
    assert response.status_code == 302
    page = running_hub.submit_spawn_form(session, profile="huge", image="lab-cpu")
    assert page.status_code == 400
    assert "unknown profile &#39;huge&#39;; choose one of: small, medium, large" in page.text
    assert 'name="profile" value="small"' in page.text  # the form again, to choose anew
    # and the hub goes on: a good choice starts the lab
    assert running_hub.submit_spawn_form(session, profile="small").status_code == 302
    assert running_hub.wait_for_server(erin)["user_options"]["profile"] == "small"
    running_hub.stop_server(erin)

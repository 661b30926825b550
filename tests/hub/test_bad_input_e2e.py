"""Bad input on a real hub: each gets a clear message, and the hub keeps running.

A malformed profile file or setting stops the hub at start with the problem named and no
traceback; a bad login or a bad choice of lab is refused with a message saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.hub import RunningHub, start_hub

pytestmark = pytest.mark.hub

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


@pytest.mark.parametrize(
    ("env", "problems"),
    [
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
            {"SURVEYLAB_HUB_AUTH": "ldap"},
            ["SURVEYLAB_HUB_AUTH='ldap': choose one of"],
            id="unknown-login",
        ),
        pytest.param(
            {"SURVEYLAB_HUB_AUTH": "postgresql"},
            ["needs JUPYTERHUB_CRYPT_KEY"],
            id="database-login-without-crypt-key",
        ),
    ],
)
def test_bad_settings_stop_the_hub_with_a_clear_message(
    tmp_path: Path, demo_data_dir: Path, env: dict[str, str], problems: list[str]
) -> None:
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(MALFORMED_PROFILES)
    paths = {"profiles": str(profiles), "missing": str(tmp_path / "no-such-profiles.yaml")}
    extra_env = {key: value.format(**paths) for key, value in env.items()}
    extra_env.setdefault("JUPYTERHUB_CRYPT_KEY", "")
    with pytest.raises(RuntimeError, match="the hub exited with 1") as excinfo:
        start_hub(tmp_path / "hub", demo_data_dir, extra_env=extra_env, timeout=30)
    output = str(excinfo.value)
    assert "surveylab hub: cannot start:" in output
    for problem in problems:
        assert problem in output
    assert "Traceback" not in output
    assert "must not be empty" not in output  # no follow-on error from the invalid profile


@pytest.fixture(scope="module")
def erin(running_hub: RunningHub) -> Iterator[str]:
    """A user of the session hub who makes bad choices."""
    running_hub.store.add("erin", PASSWORD, replace=True)
    assert running_hub.api("POST", "users/erin").status_code in (201, 409)
    yield "erin"
    running_hub.api("DELETE", "users/erin")
    running_hub.store.remove("erin")


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
            "unknown profile 'gpu'; choose one of: small, medium, large",
            id="gpu-profile-outside-the-gpu-group",
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

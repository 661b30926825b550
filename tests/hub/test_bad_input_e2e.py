"""Bad input on a real hub: each gets a clear message, and the hub keeps running.

A malformed profile file or setting stops the hub at start with the problem named and no
traceback; a bad login or a bad choice of lab is refused with a message saying what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import start_hub

pytestmark = pytest.mark.hub

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

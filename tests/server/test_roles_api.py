"""Roles through a real jupyter server (issue 17): for each shipped role, ``GET /lab`` tells the
front end what to show, and the API refuses what the role forbids with a 403 naming the role.

The hub gives the lab its role as ``SURVEYLAB_LAB_ROLE`` (see :mod:`surveylab.labenv`); here
the server's environment holds it, as a spawned lab's would.
"""

from __future__ import annotations

from typing import Any

import pytest

from surveylab.labenv import LabEnvironment
from surveylab.roles import Role
from tests.core.test_roles import SHIPPED
from tests.server.test_jobs_api import Fetch, api, api_error
from tests.support.openapi import assert_matches_contract

M2 = [323.36, -0.82]


def _cutout(positions: int) -> dict[str, Any]:
    """A cutout job of ``positions`` positions near M2 that lists tiles only (cheap)."""
    spots = [[M2[0] + 0.001 * i, M2[1]] for i in range(positions)]
    return {"type": "cutout", "positions": spots, "list_only": True}


@pytest.fixture(params=[role.name for role in SHIPPED.roles])
def role(request: pytest.FixtureRequest) -> Role:
    return SHIPPED.get(request.param)


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], role: Role, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    for name, value in LabEnvironment(lab_role=role).to_environment().items():
        monkeypatch.setenv(name, value)
    return jp_server_config


async def test_each_role_gets_its_lab_and_its_refusals(jp_fetch: Fetch, role: Role) -> None:
    lab = await api(jp_fetch, "lab")
    assert_matches_contract("/lab", "get", 200, lab)
    assert lab["role"] == role.to_json()
    # the SQL terminal's command only where the role allows the terminal
    assert (lab["sql_command"] is not None) == role.sql_terminal

    limit = role.cutout_max_positions
    if limit is None:  # no role cap: a job of many positions runs
        job = await api(jp_fetch, "jobs", method="POST", body=_cutout(150))
        assert_matches_contract("/jobs", "post", 201, job)
        return
    allowed = await api(jp_fetch, "jobs", method="POST", body=_cutout(limit))
    assert allowed["type"] == "cutout"
    code, reply = await api_error(jp_fetch, "jobs", method="POST", body=_cutout(limit + 1))
    assert code == 403
    assert_matches_contract("/jobs", "post", 403, reply)
    assert reply["message"] == (
        f"your role {role.name!r} does not allow large cutout jobs: at most {limit:,} "
        f"positions per job, and this one has {limit + 1:,}"
    )
    assert (reply["role"], reply["feature"]) == (role.name, "large_cutouts")


async def test_each_roles_caps_are_the_job_runners(jp_serverapp: Any, role: Role) -> None:
    survey = jp_serverapp.web_app.settings["surveylab_surveys"].survey
    default = type(survey.settings).model_fields["max_active_jobs"].default
    assert survey.runner.max_active == (role.max_active_jobs or default)
    quota = type(survey.settings).model_fields["job_storage_quota_gb"].default
    assert survey.settings.job_storage_quota_gb == (role.job_storage_quota_gb or quota)

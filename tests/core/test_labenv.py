"""The hub↔lab contract: what the hub builds (``to_environment``), the lab's Settings read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from surveylab.labenv import LabEnvironment, lab_variable
from surveylab.settings import Settings

NOW = datetime.now(UTC)
PLUS_TWO = timezone(timedelta(hours=2))
IN_A_DAY = NOW + timedelta(hours=24)
#: A day from now at +02:00 with a fraction of a second, and how the contract writes it.
TOMORROW_PLUS_TWO = IN_A_DAY.replace(microsecond=999_999).astimezone(PLUS_TWO)
TOMORROW_UTC_TEXT = IN_A_DAY.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S+00:00")
#: Every variable of the contract, by Settings field.
CONTRACT = {
    "db_user": "SURVEYLAB_DB_USER",
    "db_password": "SURVEYLAB_DB_PASSWORD",
    "lab_profile": "SURVEYLAB_LAB_PROFILE",
    "lab_deadline": "SURVEYLAB_LAB_DEADLINE",
    "platform_url": "SURVEYLAB_PLATFORM_URL",
    "lab_role": "SURVEYLAB_LAB_ROLE",
}


def test_every_field_is_a_settings_field_with_its_variable() -> None:
    assert LabEnvironment.variables() == tuple(CONTRACT.values())
    for name, variable in CONTRACT.items():
        assert name in Settings.model_fields
        assert lab_variable(name) == variable
    groups = (LabEnvironment.CREDENTIALS, LabEnvironment.SPAWN, LabEnvironment.HUB)
    assert set().union(*groups) == set(CONTRACT)  # each field is set by someone


def test_an_unknown_field_has_no_variable() -> None:
    with pytest.raises(
        ValueError, match=r"'lab_max_seconds' is not a field of surveylab\.Settings"
    ):
        lab_variable("lab_max_seconds")


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param(LabEnvironment(), {}, id="nothing"),
        pytest.param(
            LabEnvironment(db_user="ada", db_password="pw"),
            {"SURVEYLAB_DB_USER": "ada", "SURVEYLAB_DB_PASSWORD": "pw"},
            id="credentials",
        ),
        pytest.param(
            LabEnvironment(lab_profile="small"), {"SURVEYLAB_LAB_PROFILE": "small"}, id="no-cap"
        ),
        pytest.param(
            LabEnvironment(
                lab_profile="gpu",
                lab_deadline=TOMORROW_PLUS_TWO,
            ),
            {"SURVEYLAB_LAB_PROFILE": "gpu", "SURVEYLAB_LAB_DEADLINE": TOMORROW_UTC_TEXT},
            id="deadline-in-utc-seconds-cut",
        ),
    ],
)  # fmt: skip
def test_to_environment(lab: LabEnvironment, expected: dict[str, str]) -> None:
    assert lab.to_environment() == expected


def test_what_the_hub_builds_the_lab_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = LabEnvironment(
        db_user="ada", db_password="s3cret", lab_profile="gpu", lab_deadline=IN_A_DAY
    )
    for name in CONTRACT.values():
        monkeypatch.delenv(name, raising=False)
    for name, value in sent.to_environment().items():
        monkeypatch.setenv(name, value)
    received = LabEnvironment.from_settings(Settings())
    assert received == LabEnvironment(
        db_user="ada",
        db_password="s3cret",
        lab_profile="gpu",
        lab_deadline=IN_A_DAY.replace(microsecond=0),
    )
    assert received.deadline_text == sent.deadline_text


def test_a_lab_without_the_hub_has_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CONTRACT.values():
        monkeypatch.delenv(name, raising=False)
    assert LabEnvironment.from_settings(Settings()) == LabEnvironment()
    assert LabEnvironment().deadline_text is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("tomorrow", id="not-a-time"),
        pytest.param(IN_A_DAY.replace(tzinfo=None).isoformat(), id="no-offset"),
    ],
)
def test_a_bad_deadline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SURVEYLAB_LAB_DEADLINE", value)
    with pytest.raises(ValidationError, match="lab_deadline"):
        Settings()


def test_a_naive_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match=r"LabEnvironment\.lab_deadline .* has no time zone"):
        LabEnvironment(lab_deadline=IN_A_DAY.replace(tzinfo=None))


def test_the_password_stays_out_of_the_repr() -> None:
    assert "s3cret" not in repr(LabEnvironment(db_user="ada", db_password="s3cret"))


def test_merged_into_replaces_only_its_fields() -> None:
    """A spawner's environment outlives its lab: the next lab gets no stale deadline."""
    last_lab = LabEnvironment(lab_profile="gpu", lab_deadline=IN_A_DAY).to_environment()
    environment = {"SURVEYLAB_DATA_DIR": "/d", "SURVEYLAB_DB_USER": "ada", **last_lab}
    merged = LabEnvironment(lab_profile="small").merged_into(environment, LabEnvironment.SPAWN)
    assert merged == {
        "SURVEYLAB_DATA_DIR": "/d",
        "SURVEYLAB_DB_USER": "ada",
        "SURVEYLAB_LAB_PROFILE": "small",
    }
    assert environment["SURVEYLAB_LAB_PROFILE"] == "gpu"  # not changed in place

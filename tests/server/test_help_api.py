"""``/surveylab/api/help``: the help desk form's REST API, through a real jupyter server and a
real SMTP server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from surveylab import __version__
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.helpdesk import HELP_MESSAGES_PER_WINDOW, HELP_SUBJECT_MAX_LENGTH
from tests.server.test_jobs_api import Fetch, api, api_error
from tests.support.openapi import assert_matches_contract
from tests.support.smtp import SmtpServer, start_smtp_server

DESK = "help@survey.example"
USER_EMAIL = "ada@example.org"


def message(**fields: Any) -> dict[str, Any]:
    return {"subject": "Cannot open my result", "message": "The FITS file is empty.", **fields}


class TestNotConfigured:
    """No SMTP server: the form says so and offers the desk's address."""

    @pytest.fixture
    def jp_server_config(
        self, jp_server_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.delenv("SURVEYLAB_SMTP_HOST", raising=False)
        monkeypatch.setenv("SURVEYLAB_HELPDESK_ADDRESS", DESK)
        return jp_server_config

    async def test_get_says_it_is_not_configured(self, jp_fetch: Fetch) -> None:
        status = await api(jp_fetch, "help")
        assert_matches_contract("/help", "get", 200, status)
        assert (status["configured"], status["address"]) == (False, DESK)

    async def test_post_is_503_with_the_address(self, jp_fetch: Fetch) -> None:
        code, error = await api_error(
            jp_fetch, "help", method="POST", body=message(email=USER_EMAIL)
        )
        assert code == 503
        assert_matches_contract("/help", "post", 503, error)
        assert error["address"] == DESK
        assert f"write to {DESK} instead" in error["message"]


class TestConfigured:
    """An SMTP server and a desk address: messages go, with the lab's facts."""

    @pytest.fixture
    def smtp(self) -> Iterator[SmtpServer]:
        with start_smtp_server() as server:
            yield server

    @pytest.fixture
    def jp_server_config(
        self, jp_server_config: dict[str, Any], smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.setenv("SURVEYLAB_SMTP_HOST", smtp.host)
        monkeypatch.setenv("SURVEYLAB_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("SURVEYLAB_HELPDESK_ADDRESS", DESK)
        monkeypatch.setenv("SURVEYLAB_LAB_PROFILE", "small")
        monkeypatch.setenv("JUPYTERHUB_USER", "ada")
        return jp_server_config

    async def test_get_gives_the_filled_in_lab(self, jp_fetch: Fetch) -> None:
        status = await api(jp_fetch, "help")
        assert_matches_contract("/help", "get", 200, status)
        assert (status["configured"], status["address"]) == (True, DESK)
        context = status["context"]
        assert context["release"] == "DEMO DR1" and context["version"] == __version__
        assert (context["lab_profile"], context["hub_user"], context["lab_deadline"]) == (
            "small",
            "ada",
            None,
        )
        assert context["user"]

    async def test_post_sends_and_answers_the_reference(
        self, jp_fetch: Fetch, smtp: SmtpServer
    ) -> None:
        job = await api(
            jp_fetch, "jobs", method="POST", body={"type": "query", "sql": M2_EXAMPLE_QUERY}
        )
        receipt = await api(
            jp_fetch, "help", method="POST", body=message(email=USER_EMAIL, job_id=job["id"])
        )
        assert_matches_contract("/help", "post", 201, receipt)
        assert re.fullmatch(r"HD-[0-9A-F]{8}", receipt["reference"])
        assert (receipt["address"], receipt["confirmation_sent"]) == (DESK, True)
        desk, confirmation = smtp.received()
        assert desk.rcpt_tos == [DESK] and desk.message["Reply-To"] == USER_EMAIL
        text = desk.message.get_content().replace("\r\n", "\n")
        for expected in (
            "The FITS file is empty.",
            "Release:      DEMO DR1",
            "Lab profile:  small",
            "Hub user:     ada",
            f"Job:          {job['id']}",
            receipt["reference"],
        ):
            assert expected in text
        assert confirmation.rcpt_tos == [USER_EMAIL]
        assert receipt["reference"] in confirmation.message["Subject"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            pytest.param(message(email=USER_EMAIL, subject=""), "subject", id="empty-subject"),
            pytest.param(
                message(email=USER_EMAIL, subject="s" * (HELP_SUBJECT_MAX_LENGTH + 1)),
                "subject",
                id="long-subject",
            ),
            pytest.param(message(email="not-an-address"), "email", id="bad-email"),
            pytest.param(message(), "email", id="no-email"),
            pytest.param(
                message(email=USER_EMAIL, job_id="abcdefabcdef"), "job_id", id="no-such-job"
            ),
        ],
    )
    async def test_a_bad_field_is_400_naming_it(
        self, jp_fetch: Fetch, smtp: SmtpServer, body: dict[str, Any], field: str
    ) -> None:
        code, error = await api_error(jp_fetch, "help", method="POST", body=body)
        assert code == 400
        assert_matches_contract("/help", "post", 400, error)
        assert error["field"] == field and error["message"].startswith(f"{field}: ")
        assert smtp.received() == []

    async def test_a_stuck_button_is_stopped_by_the_rate_limit(
        self, jp_fetch: Fetch, smtp: SmtpServer
    ) -> None:
        for _ in range(HELP_MESSAGES_PER_WINDOW):
            await api(jp_fetch, "help", method="POST", body=message(email=USER_EMAIL))
        with pytest.raises(HTTPClientError) as refused:
            await api(jp_fetch, "help", method="POST", body=message(email=USER_EMAIL))
        assert refused.value.code == 429 and refused.value.response is not None
        error = json.loads(refused.value.response.body)
        assert_matches_contract("/help", "post", 429, error)
        assert 0 < error["retry_after"] <= 600
        assert refused.value.response.headers["Retry-After"] == str(error["retry_after"])
        assert len(smtp.received()) == 2 * HELP_MESSAGES_PER_WINDOW

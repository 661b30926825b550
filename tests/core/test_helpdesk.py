"""The help desk form's core: checks, the e-mails through a real SMTP server, the rate limit."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from surveylab import __version__
from surveylab.helpdesk import (
    HELP_MESSAGE_MAX_LENGTH,
    HELP_SUBJECT_MAX_LENGTH,
    HelpDesk,
    HelpDeskLimitError,
    HelpDeskNotConfiguredError,
    HelpDeskSendError,
    HelpRequest,
    HelpRequestError,
    LabContext,
    RateLimit,
)
from surveylab.limits import limit
from surveylab.mail import SmtpMailer
from surveylab.settings import Settings
from tests.support.smtp import (
    SmtpServer,
    closed_port,
    self_signed_tls,
    smtp_server,
    start_smtp_server,
)

__all__ = ["smtp_server"]  # the fixture, imported for the tests below

DESK = "help@survey.example"
USER_EMAIL = "ada@example.org"
SMTP_PASSWORD = "s3cret-desk-pa55"
JOB = "0123456789ab"
GOOD: dict[str, Any] = {"subject": "My job failed", "message": "It says ERROR.\nWhy?"}


def body(**fields: Any) -> dict[str, Any]:
    return {**GOOD, "email": USER_EMAIL, **fields}


def context(deadline: str | None = None) -> LabContext:
    return LabContext(
        user="ada", release="DEMO DR1", lab_profile="gpu", lab_deadline=deadline, hub_user="ada"
    )


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def desk_on(server: SmtpServer, **options: Any) -> HelpDesk:
    mailer = SmtpMailer(server.host, server.port, sender="labs@survey.example")
    return HelpDesk(DESK, mailer, **options)


def test_the_desk_gets_the_message_with_the_lab_and_the_user_a_confirmation(
    smtp_server: SmtpServer,
) -> None:
    deadline = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0).isoformat()
    request = HelpRequest.from_json(body(job_id=JOB))
    receipt = desk_on(smtp_server).send(request, context(deadline))

    assert re.fullmatch(r"HD-[0-9A-F]{8}", receipt.reference)
    assert (receipt.address, receipt.confirmation_sent) == (DESK, True)
    desk, confirmation = smtp_server.received()
    assert desk.rcpt_tos == [DESK] and desk.mail_from == "labs@survey.example"
    assert desk.message["Reply-To"] == USER_EMAIL
    assert desk.message["Subject"] == f"[surveylab help {receipt.reference}] My job failed"
    text = desk.message.get_content().replace("\r\n", "\n")
    for expected in (
        "It says ERROR.\nWhy?",
        "User:         ada",
        "Hub user:     ada",
        "Lab profile:  gpu",
        "Release:      DEMO DR1",
        f"surveylab:    {__version__}",
        f"Lab deadline: {deadline}",
        f"Job:          {JOB}",
        receipt.reference,
    ):
        assert expected in text
    assert confirmation.rcpt_tos == [USER_EMAIL]
    assert confirmation.message["Reply-To"] == DESK
    assert receipt.reference in confirmation.message["Subject"]
    assert "It says ERROR." in confirmation.message.get_content()


def test_each_message_gets_its_own_reference(smtp_server: SmtpServer) -> None:
    desk = desk_on(smtp_server)
    references = {desk.send(HelpRequest.from_json(body()), context()).reference for _ in range(3)}
    assert len(references) == 3


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        pytest.param({"subject": "  "}, "subject", "must not be empty", id="empty-subject"),
        pytest.param({"subject": "a\nBcc: x@y.org"}, "subject", "one line", id="two-lines"),
        pytest.param(
            {"subject": "s" * (HELP_SUBJECT_MAX_LENGTH + 1)},
            "subject",
            f"at most {HELP_SUBJECT_MAX_LENGTH:,}",
            id="long-subject",
        ),
        pytest.param({"message": ""}, "message", "must not be empty", id="empty-message"),
        pytest.param(
            {"message": "m" * (HELP_MESSAGE_MAX_LENGTH + 1)},
            "message",
            f"at most {HELP_MESSAGE_MAX_LENGTH:,} are accepted",
            id="long-message",
        ),
        pytest.param({"message": 42}, "message", "must be text", id="message-not-text"),
        pytest.param({"email": "ada"}, "email", "not an e-mail address", id="bad-email"),
        pytest.param(
            {"email": "ada@x.org\r\nBcc: all@x.org"}, "email", "not an e-mail", id="email-header"
        ),
        pytest.param({"job_id": "../etc"}, "job_id", "12 hexadecimal digits", id="bad-job-id"),
        pytest.param({"job_id": "ffffffffffff"}, "job_id", "no job ffffffffffff", id="not-mine"),
        pytest.param({"priority": "high"}, "priority", "not a field", id="unknown-field"),
    ],
)
def test_a_wrong_field_is_named(fields: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(HelpRequestError) as caught:
        HelpRequest.from_json(body(**fields), job_exists=lambda job_id: job_id == JOB)
    assert caught.value.field == field and caught.value.details() == {"field": field}
    assert str(caught.value).startswith(f"{field}: ") and problem in str(caught.value)


def test_a_missing_field_is_named() -> None:
    with pytest.raises(HelpRequestError, match=r"^email: is missing$"):
        HelpRequest.from_json(GOOD)


def test_fields_are_trimmed_and_a_blank_job_id_is_none() -> None:
    request = HelpRequest.from_json(
        body(subject="  Hi ", job_id=" ", email=f" {USER_EMAIL} "), job_exists=lambda _: False
    )
    assert (request.subject, request.email, request.job_id) == ("Hi", USER_EMAIL, None)
    mine = HelpRequest.from_json(body(job_id=JOB.upper()), job_exists=lambda j: j == JOB)
    assert mine.job_id == JOB


def test_the_limits_are_the_contracts() -> None:
    assert HELP_SUBJECT_MAX_LENGTH == limit("HELP_SUBJECT_MAX_LENGTH") == 200
    assert HELP_MESSAGE_MAX_LENGTH == limit("HELP_MESSAGE_MAX_LENGTH") == 10_000


@pytest.mark.parametrize(
    ("settings", "address"),
    [
        pytest.param({"helpdesk_address": DESK}, DESK, id="no-smtp"),
        pytest.param({"smtp_host": "127.0.0.1"}, None, id="no-address"),
        pytest.param({}, None, id="neither"),
    ],
)
def test_not_configured_says_so_and_gives_the_address(
    settings: dict[str, Any], address: str | None
) -> None:
    desk = HelpDesk.from_settings(Settings(**settings))
    assert not desk.configured
    assert desk.status(context()) == {
        "configured": False,
        "address": address,
        "context": context().to_json(),
    }
    with pytest.raises(HelpDeskNotConfiguredError) as caught:
        desk.send(HelpRequest.from_json(body()), context())
    assert caught.value.details() == {"address": address}
    assert "not configured" in str(caught.value)
    if address:
        assert f"write to {address} instead" in str(caught.value)


def test_the_desk_comes_from_the_settings(smtp_server: SmtpServer) -> None:
    settings = Settings(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_sender="labs@survey.example",
        helpdesk_address=DESK,
    )
    desk = HelpDesk.from_settings(settings)
    assert desk.configured and desk.status(context())["address"] == DESK
    desk.send(HelpRequest.from_json(body()), context())
    assert [mail.rcpt_tos for mail in smtp_server.received()] == [[DESK], [USER_EMAIL]]


def test_the_context_comes_from_the_lab_settings() -> None:
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    settings = Settings(lab_profile="gpu", lab_deadline=deadline)
    found = LabContext.from_settings(
        settings, user="ada", release="DEMO DR1", environ={"JUPYTERHUB_USER": "ada-hub"}
    )
    assert found.to_json() == {
        "user": "ada",
        "release": "DEMO DR1",
        "version": __version__,
        "lab_profile": "gpu",
        "lab_deadline": deadline.isoformat(),
        "hub_user": "ada-hub",
    }
    bare = LabContext.from_settings(Settings(), user="ada", release="R", environ={})
    assert (bare.lab_profile, bare.lab_deadline, bare.hub_user) == (None, None, None)


def test_the_rate_limit_refuses_a_flood_and_frees_up_with_time(smtp_server: SmtpServer) -> None:
    clock = Clock()
    desk = desk_on(smtp_server, rate_limit=RateLimit(3, 600, clock=clock))
    request = HelpRequest.from_json(body())
    for _ in range(3):
        desk.send(request, context())
        clock.now += 10
    with pytest.raises(HelpDeskLimitError) as caught:
        desk.send(request, context())
    assert caught.value.retry_after == 570 and caught.value.details() == {"retry_after": 570}
    assert "3 messages to the help desk in the last 10 minutes" in str(caught.value)
    other = LabContext(user="grace", release="DEMO DR1")
    desk.send(request, other)  # another user has a limit of their own
    assert len(smtp_server.received()) == 2 * 4

    clock.now += 570
    desk.send(request, context())
    assert len(smtp_server.received()) == 2 * 5


def test_an_smtp_server_that_is_down_gives_the_address(tmp_path: Path) -> None:
    desk = HelpDesk(DESK, SmtpMailer("127.0.0.1", closed_port(), timeout=5))
    with pytest.raises(HelpDeskSendError) as caught:
        desk.send(HelpRequest.from_json(body()), context())
    assert caught.value.details() == {"address": DESK}
    assert "could not be sent" in str(caught.value) and f"write to {DESK}" in str(caught.value)


def test_the_login_password_stays_out_of_errors_logs_and_reprs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server_tls, client_tls = self_signed_tls(tmp_path)
    with start_smtp_server(login=("desk", SMTP_PASSWORD), tls=server_tls) as server:
        good = SmtpMailer(
            server.host,
            server.port,
            starttls=True,
            user="desk",
            password=SecretStr(SMTP_PASSWORD),
            ssl_context=client_tls,
        )
        desk = HelpDesk(DESK, good)
        receipt = desk.send(HelpRequest.from_json(body()), context())
        wrong = SmtpMailer(
            server.host,
            server.port,
            starttls=True,
            user="desk",
            password=SecretStr("not-" + SMTP_PASSWORD),
            ssl_context=client_tls,
        )
        with pytest.raises(HelpDeskSendError) as caught:
            HelpDesk(DESK, wrong).send(HelpRequest.from_json(body()), context())
        received = server.received()

    assert receipt.confirmation_sent and [m.login for m in received] == ["desk", "desk"]
    assert "Authentication credentials invalid" in str(caught.value)
    for text in (str(caught.value), caplog.text, repr(desk), repr(good), str(vars(desk))):
        assert SMTP_PASSWORD not in text
    assert all(SMTP_PASSWORD.encode() not in mail.raw for mail in received)


def test_the_rate_limit_can_count_one_sender_over_user_names(smtp_server: SmtpServer) -> None:
    """A lab's token requests carry a new user name each time without a hub: the server counts
    them as one sender."""
    desk = desk_on(smtp_server, rate_limit=RateLimit(2, 600, clock=Clock()))
    request = HelpRequest.from_json(body())
    for user in ("a1", "a2"):
        desk.send(request, LabContext(user=user, release="R"), sender="the lab's user")
    with pytest.raises(HelpDeskLimitError):
        desk.send(request, LabContext(user="a3", release="R"), sender="the lab's user")

"""E-mail when a job ends, through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from surveylab.errors import QueryError
from surveylab.jobs import EmailNotifier, Job, JobContext, JobRunner, JobStore, Phase
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

WAIT = 10.0
SMTP_PASSWORD = "s3cret-smtp-pa55"
USER_EMAIL = "astro@example.org"


def export(ctx: JobContext) -> None:
    temp = ctx.result_path("result.csv")
    temp.write_text("id\n" + "".join(f"{i}\n" for i in range(1234)))
    ctx.progress(rows=1234)
    ctx.publish(temp, "result.csv", format="csv", rows=1234)


def fail(ctx: JobContext) -> None:
    raise QueryError("column FLUX_NOPE does not exist (line 1, column 8)")


def cancel_itself(ctx: JobContext) -> None:
    from surveylab.errors import QueryCancelledError

    raise QueryCancelledError("cancelled")


RunJob = Callable[..., Job]


@pytest.fixture
def run_job(tmp_path: Path) -> Iterator[Callable[..., Job]]:
    """Run one job to its end with a given notifier; return the final record."""
    runners: list[JobRunner] = []

    def run(
        notifier: EmailNotifier, job_type: str = "export", email: str | None = USER_EMAIL
    ) -> Job:
        store = JobStore(tmp_path / "jobs")
        runner = JobRunner(
            store,
            {"export": export, "fail": fail, "cancel": cancel_itself},
            notifier=notifier,
        )
        runners.append(runner)
        job = runner.submit(job_type, name="my export", parameters={"sql": "SELECT 1"}, email=email)
        return runner.wait(job.id, WAIT)

    yield run
    for runner in runners:
        runner.shutdown()


def read_log(job: Job, tmp_path: Path) -> str:
    return JobStore(tmp_path / "jobs").read_log(job.id)


def test_a_completed_job_sends_an_email(
    smtp_server: SmtpServer, run_job: RunJob, tmp_path: Path
) -> None:
    notifier = EmailNotifier(
        SmtpMailer(smtp_server.host, smtp_server.port, sender="labs@survey.example"),
        job_url="https://lab.example/jobs/{id}",
    )
    job = run_job(notifier)

    assert job.phase is Phase.COMPLETED
    [mail] = smtp_server.received()
    assert mail.rcpt_tos == [USER_EMAIL] and mail.mail_from == "labs@survey.example"
    message = mail.message
    assert message["Subject"] == "[surveylab] job my export COMPLETED"
    assert (message["From"], message["To"]) == ("labs@survey.example", USER_EMAIL)
    body = message.get_content()
    for expected in (
        'Your surveylab job "my export" finished: COMPLETED.',
        f"Job:            {job.id} (export)",
        "Phase:          COMPLETED",
        "Rows:           1,234",
        "Execution time: ",
        "  result.csv (",
        f"https://lab.example/jobs/{job.id}",
    ):
        assert expected in body
    assert "Error:" not in body
    assert "SELECT 1" not in body, "parameters stay out of e-mails"
    assert f"e-mail sent to {USER_EMAIL}" in read_log(job, tmp_path)


def test_a_failed_job_sends_the_error(smtp_server: SmtpServer, run_job: RunJob) -> None:
    job = run_job(EmailNotifier(SmtpMailer(smtp_server.host, smtp_server.port)), job_type="fail")

    assert job.phase is Phase.ERROR
    [mail] = smtp_server.received()
    assert mail.message["Subject"] == "[surveylab] job my export ERROR"
    body = mail.message.get_content()
    assert "Error:          column FLUX_NOPE does not exist (line 1, column 8)" in body
    assert "  (none)" in body


@pytest.mark.parametrize(
    ("job_type", "email"),
    [
        pytest.param("export", None, id="no-address"),
        pytest.param("cancel", USER_EMAIL, id="cancelled-job"),
    ],
)
def test_no_email_without_an_address_or_for_a_cancelled_job(
    smtp_server: SmtpServer, run_job: RunJob, job_type: str, email: str | None
) -> None:
    run_job(
        EmailNotifier(SmtpMailer(smtp_server.host, smtp_server.port)),
        job_type=job_type,
        email=email,
    )
    assert smtp_server.received() == []


def test_login_over_starttls_sends_the_password_to_the_server_only(
    run_job: RunJob, tmp_path: Path
) -> None:
    server_tls, client_tls = self_signed_tls(tmp_path)
    with start_smtp_server(login=("surveylab", SMTP_PASSWORD), tls=server_tls) as server:
        notifier = EmailNotifier(
            SmtpMailer(
                server.host,
                server.port,
                starttls=True,
                user="surveylab",
                password=SecretStr(SMTP_PASSWORD),
                ssl_context=client_tls,
            )
        )
        job = run_job(notifier)
        [mail] = server.received()

    assert job.phase is Phase.COMPLETED
    assert mail.login == "surveylab"
    assert SMTP_PASSWORD.encode() not in mail.raw
    assert SMTP_PASSWORD not in read_log(job, tmp_path)
    assert SMTP_PASSWORD not in repr(notifier)


@pytest.mark.parametrize(
    ("server_kind", "reason"),
    [
        pytest.param("down", "Connection refused", id="server-down"),
        pytest.param("wrong-password", "Authentication credentials invalid", id="wrong-password"),
    ],
)
def test_an_smtp_failure_is_logged_and_the_job_still_completes(
    run_job: RunJob, tmp_path: Path, server_kind: str, reason: str
) -> None:
    server_tls, client_tls = self_signed_tls(tmp_path)
    with start_smtp_server(login=("surveylab", "the-right-one"), tls=server_tls) as server:
        port = closed_port() if server_kind == "down" else server.port
        notifier = EmailNotifier(
            SmtpMailer(
                "127.0.0.1",
                port,
                starttls=True,
                user="surveylab",
                password=SecretStr(SMTP_PASSWORD),
                ssl_context=client_tls,
                timeout=5,
            )
        )
        job = run_job(notifier)
        assert server.received() == []

    assert job.phase is Phase.COMPLETED and job.error is None
    log = read_log(job, tmp_path)
    assert f"notification failed: the e-mail to {USER_EMAIL} could not be sent" in log
    assert reason in log
    assert SMTP_PASSWORD not in log


def test_the_notifier_comes_from_the_settings() -> None:
    assert EmailNotifier.from_settings(Settings(smtp_host=None)) is None
    notifier = EmailNotifier.from_settings(
        Settings(
            smtp_host="smtp.example.org",
            smtp_port=587,
            smtp_sender="jobs@survey.example",
            smtp_starttls=True,
            smtp_user="lab",
            smtp_password=SecretStr(SMTP_PASSWORD),
        )
    )
    assert notifier is not None
    mailer = notifier.mailer
    assert (mailer.host, mailer.port, mailer.sender, mailer.starttls, mailer.user) == (
        "smtp.example.org",
        587,
        "jobs@survey.example",
        True,
        "lab",
    )
    assert SMTP_PASSWORD not in repr(notifier) and SMTP_PASSWORD not in str(vars(notifier))


def test_a_runner_from_settings_sends_email(smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = Settings(
        jobs_dir=tmp_path / "jobs", smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )
    runner = JobRunner.from_settings(settings, {"export": export})
    try:
        job = runner.submit("export", parameters={}, email=USER_EMAIL)
        assert runner.wait(job.id, WAIT).phase is Phase.COMPLETED
    finally:
        runner.shutdown()
    [mail] = smtp_server.received()
    assert mail.message["Subject"] == f"[surveylab] job export-{job.id} COMPLETED"

"""Telling users their job finished: the :class:`Notifier` interface and e-mail through SMTP."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from surveylab.mail import MailError, SmtpMailer

from .errors import NotificationError
from .models import Job, Phase, format_time
from .validation import check_email

if TYPE_CHECKING:
    from surveylab.settings import Settings

__all__ = ["NOTIFIED_PHASES", "EmailNotifier", "Notifier", "format_size", "job_email"]

#: Phases that get an e-mail: a job the user cancelled does not.
NOTIFIED_PHASES = frozenset({Phase.COMPLETED, Phase.ERROR})


class Notifier(Protocol):
    """Something told when a job the runner ran reaches a final phase."""

    def job_finished(self, job: Job) -> str | None:
        """Tell the user about ``job``; return a line for the job log, or None.

        Raises
        ------
        NotificationError
            If the notification could not be sent; the runner logs it, the job is unaffected.
        """
        ...


def format_size(size: int) -> str:
    """A byte count for people, e.g. ``"1.5 MB"``.

    Examples
    --------
    >>> format_size(512), format_size(1_500_000)
    ('512 B', '1.5 MB')
    """
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def _body(job: Job, job_url: str | None) -> str:
    seconds = job.execution_seconds
    lines = [
        f'Your surveylab job "{job.name}" finished: {job.phase}.',
        "",
        f"Job:            {job.id} ({job.type})",
        f"Phase:          {job.phase}",
        f"Rows:           {job.rows:,}",
        f"Execution time: {'-' if seconds is None else f'{seconds:.1f} s'}",
    ]
    if job.error:
        lines.append(f"Error:          {job.error}")
    lines += ["", "Files:"]
    lines += [f"  {f.name} ({format_size(f.size)})" for f in job.files] or ["  (none)"]
    lines += ["", f"The job and its files are kept until {format_time(job.destruction)}."]
    if job_url:
        lines.append(f"See it at {job_url.format(id=job.id)}")
    return "\n".join(lines) + "\n"


def job_email(job: Job, *, sender: str, to: str, job_url: str | None = None) -> EmailMessage:
    """The e-mail about a finished ``job``: subject ``[surveylab] job <name> <PHASE>``.

    The body gives the phase, rows, files, execution time and the error if any. It names no
    parameter of the job, so no query text and nothing that could be a credential.
    """
    message = EmailMessage()
    message["Subject"] = f"[surveylab] job {job.name} {job.phase}"
    message["From"] = sender
    message["To"] = to
    message.set_content(_body(job, job_url))
    return message


class EmailNotifier:
    """Sends an e-mail through SMTP when a job with an ``email`` parameter completes or fails.

    Parameters
    ----------
    mailer : SmtpMailer
        The SMTP sender (:class:`~surveylab.mail.SmtpMailer`, shared with the help desk).
    job_url : str, optional
        A link to the job, with ``{id}`` for its id, added to the body.
    """

    def __init__(self, mailer: SmtpMailer, *, job_url: str | None = None) -> None:
        self.mailer = mailer
        self.job_url = job_url

    def __repr__(self) -> str:
        return f"EmailNotifier({self.mailer!r})"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        job_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> EmailNotifier | None:
        """The notifier ``settings.smtp_*`` describe, or None when ``smtp_host`` is unset."""
        mailer = SmtpMailer.from_settings(settings, ssl_context=ssl_context)
        return None if mailer is None else cls(mailer, job_url=job_url)

    def job_finished(self, job: Job) -> str | None:
        """E-mail ``job.parameters["email"]`` about ``job`` if it completed or failed."""
        to = job.parameters.get("email")
        if not to or job.phase not in NOTIFIED_PHASES:
            return None
        to = check_email(to)
        message = job_email(job, sender=self.mailer.sender, to=to, job_url=self.job_url)
        try:
            self.mailer.send(message)
        except MailError as exc:
            raise NotificationError(f"the e-mail to {to} could not be sent: {exc}") from None
        return f"e-mail sent to {to}"

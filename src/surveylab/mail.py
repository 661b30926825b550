"""Sending e-mail through the SMTP server of the settings, in one place.

:class:`SmtpMailer` is what both the job e-mails (:mod:`surveylab.jobs.notify`) and the help
desk (:mod:`surveylab.helpdesk`) send through. The SMTP password is only ever sent to the
server: it is in no ``repr``, no log line and no error message.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import TYPE_CHECKING

from .errors import ErrorCategory, SurveylabError

if TYPE_CHECKING:
    from email.message import EmailMessage

    from pydantic import SecretStr

    from .settings import Settings

__all__ = ["MailError", "SmtpMailer"]


class MailError(SurveylabError):
    """The SMTP server could not be reached or refused a message; the message says why."""

    category = ErrorCategory.UNAVAILABLE


class SmtpMailer:
    """Sends messages through one SMTP server (``settings.smtp_*``).

    Parameters
    ----------
    host, port : str, int
        The SMTP server.
    sender : str
        The From address.
    starttls : bool
        Upgrade the connection with STARTTLS before logging in.
    user, password : optional
        The SMTP login; the password is only ever sent to the server.
    timeout : float
        Seconds to wait for the server.
    ssl_context : ssl.SSLContext, optional
        For STARTTLS; the system's trusted certificates by default.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str = "surveylab@localhost",
        starttls: bool = False,
        user: str | None = None,
        password: SecretStr | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.user = user
        self._password = password
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host!r}, {self.port}, sender={self.sender!r})"

    @classmethod
    def from_settings(
        cls, settings: Settings, *, ssl_context: ssl.SSLContext | None = None
    ) -> SmtpMailer | None:
        """The mailer ``settings.smtp_*`` describe, or None when ``smtp_host`` is unset."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_sender,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            ssl_context=ssl_context,
        )

    def send(self, *messages: EmailMessage) -> None:
        """Send ``messages`` in one SMTP session, in order.

        Raises
        ------
        MailError
            If the server cannot be reached, refuses the login or a message. Messages sent
            before the failure stay sent.
        """
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                if self.user:
                    password = self._password.get_secret_value() if self._password else ""
                    smtp.login(self.user, password)
                for message in messages:
                    smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            reason = str(exc) or type(exc).__name__
            raise MailError(f"SMTP server {self.host}:{self.port}: {reason}") from None

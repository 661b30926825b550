"""The survey's help desk: a user's message, with their lab's facts, e-mailed to the desk.

The lab's Help menu form sends a :class:`HelpRequest` (subject, message, the user's address,
optionally a job id); the server fills in the :class:`LabContext` (user, lab profile, release,
version, deadline). :class:`HelpDesk` checks both, e-mails the desk with Reply-To the user,
e-mails the user a confirmation, and answers with a short reference that both e-mails carry.
It sends through the same :class:`~surveylab.mail.SmtpMailer` as the job e-mails.

A per-user :class:`RateLimit` keeps a stuck button from flooding the desk. When SMTP or the
desk's address is not configured, :meth:`HelpDesk.send` raises
:class:`HelpDeskNotConfiguredError`, which carries the address to write to instead (if known).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import ErrorCategory, RequestError, SurveylabError
from .jobs.validation import EMAIL, JOB_ID, MAX_EMAIL_LENGTH
from .labenv import LabEnvironment
from .limits import limit
from .mail import MailError, SmtpMailer

if TYPE_CHECKING:
    from .settings import Settings

__all__ = [
    "HELP_MESSAGES_PER_WINDOW",
    "HELP_MESSAGE_MAX_LENGTH",
    "HELP_SUBJECT_MAX_LENGTH",
    "HELP_WINDOW_SECONDS",
    "HelpDesk",
    "HelpDeskLimitError",
    "HelpDeskNotConfiguredError",
    "HelpDeskSendError",
    "HelpReceipt",
    "HelpRequest",
    "HelpRequestError",
    "LabContext",
    "RateLimit",
]

#: Longest subject, in characters after trimming (the contract's ``x-limits``).
HELP_SUBJECT_MAX_LENGTH = int(limit("HELP_SUBJECT_MAX_LENGTH"))
#: Longest message, in characters after trimming (the contract's ``x-limits``).
HELP_MESSAGE_MAX_LENGTH = int(limit("HELP_MESSAGE_MAX_LENGTH"))
#: Messages one user may send to the desk in :data:`HELP_WINDOW_SECONDS`.
HELP_MESSAGES_PER_WINDOW = 5
#: The rate limit's window, in seconds (10 minutes).
HELP_WINDOW_SECONDS = 600.0

#: The request's fields: required ones first.
_REQUIRED = ("subject", "message", "email")
_FIELDS = frozenset((*_REQUIRED, "job_id"))
#: Control characters other than the line breaks and tab a message may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class HelpRequestError(RequestError):
    """A field of a help request is wrong; :attr:`field` names it, the message says why."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field

    def details(self) -> dict[str, Any]:
        """``{"field": ...}``: the form marks that field."""
        return {"field": self.field}


class HelpDeskNotConfiguredError(SurveylabError):
    """This server sends no e-mail (no SMTP server or no desk address); write to
    :attr:`address` instead, when it is known."""

    category = ErrorCategory.UNAVAILABLE

    def __init__(self, address: str | None) -> None:
        instead = f"; write to {address} instead" if address else "; ask your administrator"
        super().__init__(f"the help desk form is not configured on this server{instead}")
        self.address = address

    def details(self) -> dict[str, Any]:
        """``{"address": ...}``: where to write instead (null if unknown)."""
        return {"address": self.address}


class HelpDeskSendError(MailError):
    """The SMTP server did not take the message for the desk; write to :attr:`address`."""

    def __init__(self, reason: str, address: str) -> None:
        super().__init__(f"the message could not be sent ({reason}); write to {address} instead")
        self.address = address

    def details(self) -> dict[str, Any]:
        """``{"address": ...}``: where to write instead."""
        return {"address": self.address}


class HelpDeskLimitError(SurveylabError):
    """The user sent as many messages as allowed in the window; :attr:`retry_after` says when
    the next one is accepted, in whole seconds."""

    category = ErrorCategory.LIMIT_REACHED

    def __init__(self, count: int, window: float, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(
            f"you sent {count} messages to the help desk in the last {window / 60:g} minutes; "
            f"try again in {self.retry_after} s"
        )

    def details(self) -> dict[str, Any]:
        """``{"retry_after": seconds}``."""
        return {"retry_after": self.retry_after}


def _text(body: Mapping[str, Any], field: str, maximum: int, *, one_line: bool) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise HelpRequestError(field, f"must be text, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise HelpRequestError(field, "must not be empty")
    if len(value) > maximum:
        raise HelpRequestError(
            field, f"has {len(value):,} characters; at most {maximum:,} are accepted"
        )
    if one_line and ("\n" in value or "\r" in value):
        raise HelpRequestError(field, "must be one line")
    if _CONTROL.search(value):
        raise HelpRequestError(field, "must not hold control characters")
    return value


@dataclass(frozen=True)
class HelpRequest:
    """What the user writes to the desk.

    Attributes
    ----------
    subject : str
        One line, 1 to :data:`HELP_SUBJECT_MAX_LENGTH` characters.
    message : str
        1 to :data:`HELP_MESSAGE_MAX_LENGTH` characters.
    email : str
        The user's address: the desk's Reply-To, and where the confirmation goes.
    job_id : str, optional
        The job the message is about: one of the user's jobs.
    """

    subject: str
    message: str
    email: str
    job_id: str | None = None

    @classmethod
    def from_json(
        cls, body: Mapping[str, Any], *, job_exists: Callable[[str], bool] | None = None
    ) -> HelpRequest:
        """The request of a JSON ``body``, checked; ``job_exists`` tells whether a job id is
        one of the user's jobs (else only its form is checked).

        Raises
        ------
        HelpRequestError
            Naming the first wrong field: missing, empty, too long, or not what it must be.

        Examples
        --------
        >>> HelpRequest.from_json({"subject": " Slow ", "message": "Hi", "email": "a@b.org"})
        HelpRequest(subject='Slow', message='Hi', email='a@b.org', job_id=None)
        >>> HelpRequest.from_json({"subject": "", "message": "Hi", "email": "a@b.org"})
        Traceback (most recent call last):
        ...
        surveylab.helpdesk.HelpRequestError: subject: must not be empty
        """
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise HelpRequestError(unknown[0], "is not a field of a help request")
        for field in _REQUIRED:
            if field not in body:
                raise HelpRequestError(field, "is missing")
        subject = _text(body, "subject", HELP_SUBJECT_MAX_LENGTH, one_line=True)
        message = _text(body, "message", HELP_MESSAGE_MAX_LENGTH, one_line=False)
        email = body["email"]
        if not isinstance(email, str):
            raise HelpRequestError("email", f"must be text, not {type(email).__name__}")
        email = email.strip()
        if len(email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(email):
            raise HelpRequestError("email", "is not an e-mail address like user@example.org")
        job_id = body.get("job_id")
        if job_id is not None:
            if not isinstance(job_id, str):
                raise HelpRequestError("job_id", f"must be text, not {type(job_id).__name__}")
            job_id = job_id.strip().lower() or None
        if job_id is not None:
            if not JOB_ID.fullmatch(job_id):
                raise HelpRequestError("job_id", "is not a job id (12 hexadecimal digits)")
            if job_exists is not None and not job_exists(job_id):
                raise HelpRequestError("job_id", f"you have no job {job_id}")
        return cls(subject=subject, message=message, email=email, job_id=job_id)


@dataclass(frozen=True)
class LabContext:
    """The facts about the user's lab that the server fills in (the user cannot change them)."""

    user: str
    release: str
    version: str = __version__
    lab_profile: str | None = None
    lab_deadline: str | None = None
    hub_user: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: str,
        release: str,
        environ: Mapping[str, str] | None = None,
    ) -> LabContext:
        """The context of the lab ``settings`` describe; the hub user is ``JUPYTERHUB_USER``."""
        lab = LabEnvironment.from_settings(settings)
        hub_user = (environ if environ is not None else os.environ).get("JUPYTERHUB_USER")
        return cls(
            user=user,
            release=release,
            lab_profile=lab.lab_profile,
            lab_deadline=lab.deadline_text,
            hub_user=hub_user or None,
        )

    def to_json(self) -> dict[str, str | None]:
        """The context as the REST API and the form show it."""
        return asdict(self)

    def lines(self) -> list[str]:
        """The context as aligned lines for an e-mail."""
        rows = [
            ("User", self.user),
            ("Hub user", self.hub_user or "-"),
            ("Lab profile", self.lab_profile or "-"),
            ("Release", self.release),
            ("surveylab", self.version),
            ("Lab deadline", self.lab_deadline or "none"),
        ]
        return [f"{name + ':':<14}{value}" for name, value in rows]


@dataclass(frozen=True)
class HelpReceipt:
    """What the user sees once the desk has the message."""

    reference: str
    address: str
    confirmation_sent: bool

    def to_json(self) -> dict[str, Any]:
        """The receipt as the REST API answers it."""
        return asdict(self)


class RateLimit:
    """At most ``count`` events per key in any ``window`` seconds, by ``clock`` (monotonic).

    >>> now = [0.0]
    >>> limit = RateLimit(2, 60, clock=lambda: now[0])
    >>> limit.acquire("ada"), limit.acquire("ada"), limit.acquire("ada")
    (None, None, 60.0)
    >>> now[0] = 60.0; limit.acquire("ada") is None
    True
    """

    def __init__(
        self, count: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if count < 1 or window <= 0:
            raise ValueError("RateLimit needs count >= 1 and window > 0")
        self.count = count
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """Count one event of ``key`` and return None, or return the seconds until one is
        allowed (the event is then not counted)."""
        with self._lock:
            now = self._clock()
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.count:
                return events[0] + self.window - now
            events.append(now)
            return None


def _reference() -> str:
    """A short ticket reference, e.g. ``HD-7F3A9C21``."""
    return f"HD-{secrets.token_hex(4).upper()}"


class HelpDesk:
    """Sends users' messages to the desk's address and confirmations to the users.

    Parameters
    ----------
    address : str, optional
        The desk's e-mail address (``settings.helpdesk_address``).
    mailer : SmtpMailer, optional
        How to send (``settings.smtp_*``); None means this server sends no e-mail.
    rate_limit : RateLimit, optional
        Per user; by default :data:`HELP_MESSAGES_PER_WINDOW` per :data:`HELP_WINDOW_SECONDS`.
    """

    def __init__(
        self,
        address: str | None,
        mailer: SmtpMailer | None,
        *,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.address = (address or "").strip() or None
        self.mailer = mailer
        self.rate_limit = rate_limit or RateLimit(HELP_MESSAGES_PER_WINDOW, HELP_WINDOW_SECONDS)

    def __repr__(self) -> str:
        return f"HelpDesk({self.address!r}, {self.mailer!r})"

    @classmethod
    def from_settings(cls, settings: Settings, *, rate_limit: RateLimit | None = None) -> HelpDesk:
        """The desk of ``settings.helpdesk_address``, sending through ``settings.smtp_*``."""
        return cls(
            settings.helpdesk_address, SmtpMailer.from_settings(settings), rate_limit=rate_limit
        )

    @property
    def configured(self) -> bool:
        """Whether the form can send: an SMTP server and the desk's address are set."""
        return self.mailer is not None and self.address is not None

    def status(self, context: LabContext) -> dict[str, Any]:
        """What the form shows before sending: whether it can, where to, the lab's facts."""
        return {
            "configured": self.configured,
            "address": self.address,
            "context": context.to_json(),
        }

    def send(
        self, request: HelpRequest, context: LabContext, *, sender: str | None = None
    ) -> HelpReceipt:
        """E-mail ``request`` with ``context`` to the desk (Reply-To the user), then a
        confirmation to the user; both carry the receipt's reference. The rate limit counts
        per ``sender`` (default: ``context.user``).

        Raises
        ------
        HelpDeskNotConfiguredError
            If this server sends no e-mail.
        HelpDeskLimitError
            If the user reached the rate limit (nothing is sent).
        HelpDeskSendError
            If the SMTP server did not take the desk's message.
        """
        if self.mailer is None or self.address is None:
            raise HelpDeskNotConfiguredError(self.address)
        wait = self.rate_limit.acquire(sender or context.user)
        if wait is not None:
            raise HelpDeskLimitError(self.rate_limit.count, self.rate_limit.window, wait)
        reference = _reference()
        try:
            self.mailer.send(self._desk_email(request, context, reference))
        except MailError as exc:
            raise HelpDeskSendError(str(exc), self.address) from None
        try:
            self.mailer.send(self._confirmation(request, context, reference))
        except MailError:
            return HelpReceipt(reference, self.address, confirmation_sent=False)
        return HelpReceipt(reference, self.address, confirmation_sent=True)

    def _desk_email(
        self, request: HelpRequest, context: LabContext, reference: str
    ) -> EmailMessage:
        assert self.mailer is not None and self.address is not None
        message = EmailMessage()
        message["Subject"] = f"[surveylab help {reference}] {request.subject}"
        message["From"] = self.mailer.sender
        message["To"] = self.address
        message["Reply-To"] = request.email
        lines = [
            f"Message from {context.user} <{request.email}>, reference {reference}:",
            "",
            request.message,
            "",
            "-- The lab (filled in by surveylab) --",
            *context.lines(),
            f"{'Job:':<14}{request.job_id or '-'}",
        ]
        message.set_content("\n".join(lines) + "\n")
        return message

    def _confirmation(
        self, request: HelpRequest, context: LabContext, reference: str
    ) -> EmailMessage:
        assert self.mailer is not None and self.address is not None
        message = EmailMessage()
        message["Subject"] = f"[surveylab help {reference}] received: {request.subject}"
        message["From"] = self.mailer.sender
        message["To"] = request.email
        message["Reply-To"] = self.address
        lines = [
            f"The survey's help desk ({self.address}) received your message.",
            f"Its reference is {reference}: quote it when you write about it.",
            "",
            "Your message:",
            "",
            request.message,
            "",
            "-- Sent with it --",
            *context.lines(),
            f"{'Job:':<14}{request.job_id or '-'}",
        ]
        message.set_content("\n".join(lines) + "\n")
        return message

"""What every login path of the hub shares: the refusals a user reads, and what a backend that
changes passwords offers.

This is the bottom layer of the authenticators: :mod:`surveylab_hub.throttle`,
:mod:`surveylab_hub.authenticator`, :mod:`surveylab_hub.db_authenticators`,
:mod:`surveylab_hub.change_password` and :mod:`surveylab_hub.oauth` import it; it imports none of
them.

A :class:`LoginRefusedError` carries a message for the login page (never a password) and says
whether it counts as a failed guess for the failure throttle (``counts_as_failure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from tornado import web

__all__ = [
    "AccountUnavailableError",
    "DatabaseUnreachableError",
    "LoginRefusedError",
    "MalformedLoginError",
    "PasswordChangeError",
    "PasswordChangePage",
    "PasswordChanger",
    "PasswordExpiredError",
    "PasswordRejectedError",
    "ThrottledError",
]


class LoginRefusedError(Exception):
    """The database answered, and refused this login for a reason the user should read.

    ``message`` is shown on the login page and logged; it never holds the password.
    """

    status_code: ClassVar[int] = 403
    #: Whether the failure throttle counts this refusal as a failed guess.
    counts_as_failure: ClassVar[bool] = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def http_error(self) -> web.HTTPError:
        """The HTTP error the hub's login page shows (``jupyterhub_message`` is its text)."""
        error = web.HTTPError(self.status_code, "%s", self.message)
        error.jupyterhub_message = self.message  # type: ignore[attr-defined]  # read by the hub
        error.login_refusal = type(self).__name__  # type: ignore[attr-defined]  # for handlers
        return error


class MalformedLoginError(LoginRefusedError):
    """The login form itself is wrong (an invalid username, no password): nothing was checked."""

    status_code: ClassVar[int] = 400
    counts_as_failure: ClassVar[bool] = False


class ThrottledError(LoginRefusedError):
    """Too many failed logins for this username or client address: refused before any check."""

    status_code: ClassVar[int] = 429
    counts_as_failure: ClassVar[bool] = False


class AccountUnavailableError(LoginRefusedError):
    """The account exists but may not log in: a NOLOGIN role, a locked Oracle account."""


class PasswordExpiredError(LoginRefusedError):
    """The password was right but has expired (Oracle ORA-28001): it must be changed.

    This is the one refusal a change-password form can resolve; a handler tells it apart by
    its type (or by ``login_refusal == "PasswordExpiredError"`` on the HTTP error). It proves
    the password right, so it is no failed guess.
    """

    counts_as_failure: ClassVar[bool] = False


class DatabaseUnreachableError(LoginRefusedError):
    """The database server could not be reached (down, refused, timed out): no failed guess."""

    status_code: ClassVar[int] = 503
    counts_as_failure: ClassVar[bool] = False


class PasswordChangeError(LoginRefusedError):
    """The change-password form is incomplete, or its new password breaks a rule checked before
    the database is asked (the two copies differ, too short, same as the current one)."""

    status_code: ClassVar[int] = 400
    counts_as_failure: ClassVar[bool] = False


class PasswordRejectedError(LoginRefusedError):
    """The database refused the new password (Oracle ORA-28003, ORA-28007, ORA-00988).

    The current password was right: this refusal does not count as a failed login.
    """

    status_code: ClassVar[int] = 400
    counts_as_failure: ClassVar[bool] = False


@runtime_checkable
class PasswordChanger(Protocol):
    """A backend that can change a user's password (and so offers the change-password page)."""

    async def change_password(self, username: str, password: str, new_password: str) -> bool:
        """Change ``username``'s password; False if ``password`` is not the current one."""
        ...


@runtime_checkable
class PasswordChangePage(PasswordChanger, Protocol):
    """What the change-password page (:mod:`surveylab_hub.change_password`) asks of its backend."""

    new_password_min_length: int

    async def submit_password_change(self, handler: Any, data: Mapping[str, str]) -> str:
        """Check and apply the change-password form; return the normalised username."""
        ...

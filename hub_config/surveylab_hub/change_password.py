"""The change-password page of the hub, ``/hub/change-password``, for Oracle's expired passwords.

Registered by :meth:`~surveylab_hub.db_authenticators.ServerDatabaseAuthenticator.get_handlers`
when the backend can change passwords (:class:`~surveylab_hub.login.PasswordChanger`):

- :class:`ExpiredPasswordLoginHandler` is JupyterHub's login page, except that a login refused
  with :class:`~surveylab_hub.login.PasswordExpiredError` (ORA-28001) is redirected
  (303) to the change-password page with the username and ``next`` in the query: never the
  password;
- :class:`ChangePasswordHandler` shows the form (current password, the new one twice, XSRF), has
  the authenticator check and apply it
  (:meth:`~surveylab_hub.db_authenticators.ServerDatabaseAuthenticator.submit_password_change`),
  shows its refusals on the form, and on success logs the user in with the new password (so the
  lab gets the new credentials) and sends them on, as the login page would.

The template ``change-password.html`` (in ``templates/`` beside this module) extends the hub's
``page.html``. It is looked up after `JupyterHub.template_paths`, so a site can override it.

This module knows its backend only through :class:`~surveylab_hub.login.PasswordChangePage`, so
that it does not import the authenticators that register it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Template
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httputil import url_concat

from surveylab_hub.login import LoginRefusedError, PasswordChangePage, PasswordExpiredError

__all__ = [
    "CHANGE_PASSWORD_PATH",
    "TEMPLATES_DIR",
    "ChangePasswordHandler",
    "ExpiredPasswordLoginHandler",
    "change_password_url",
    "password_change_handlers",
]

#: Where the page is, under the hub's prefix (``/hub/change-password``).
CHANGE_PASSWORD_PATH = "/change-password"
#: The folder of ``change-password.html``.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: The form's fields besides ``_xsrf``.
FIELDS = ("username", "password", "new_password", "new_password_confirm", "next", "expired")


def change_password_url(hub_base_url: str, username: str, *, next_url: str = "") -> str:
    """The change-password page for ``username``, after an expired-password login.

    >>> change_password_url("/hub/", "ada", next_url="/hub/spawn")
    '/hub/change-password?username=ada&expired=1&next=%2Fhub%2Fspawn'
    """
    query = {"username": username, "expired": "1"}
    if next_url:
        query["next"] = next_url
    return str(url_concat(url_path_join(hub_base_url, CHANGE_PASSWORD_PATH.lstrip("/")), query))


class ExpiredPasswordLoginHandler(LoginHandler):  # type: ignore[misc]  # jupyterhub is untyped
    """JupyterHub's login page; an expired password leads to the change-password page."""

    async def post(self) -> None:
        """Log in as JupyterHub does; on ORA-28001 redirect to the change-password form."""
        try:
            await super().post()
        except web.HTTPError as e:
            if getattr(e, "login_refusal", None) != PasswordExpiredError.__name__:
                raise
            username = self.authenticator.normalize_username(
                self.get_argument("username", "", strip=True)
            )
            url = change_password_url(
                self.hub.base_url, username, next_url=self.get_argument("next", "")
            )
            self.redirect(url, status=303)


class ChangePasswordHandler(BaseHandler):  # type: ignore[misc]  # jupyterhub is untyped
    """``GET`` shows the change-password form; ``POST`` changes the password and logs in."""

    def get_template(self, name: str, sync: bool = False) -> Template:
        """The hub's templates (`JupyterHub.template_paths` first), then surveylab's."""
        key = "surveylab_jinja2_env_sync" if sync else "surveylab_jinja2_env"
        env = self.settings.get(key)
        if env is None:
            hub_env: Environment = self.settings["jinja2_env_sync" if sync else "jinja2_env"]
            ours = FileSystemLoader(str(TEMPLATES_DIR))
            loader = ChoiceLoader([hub_env.loader, ours] if hub_env.loader else [ours])
            env = self.settings[key] = hub_env.overlay(loader=loader)
        return cast(Template, env.get_template(name))

    @property
    def changer(self) -> PasswordChangePage:
        """The authenticator, if it can change passwords; else the page is a 404."""
        authenticator = self.authenticator
        if not isinstance(authenticator, PasswordChangePage):
            raise web.HTTPError(404)
        return authenticator

    async def _render(self, form: dict[str, str], *, error: str = "", done: bool = False) -> str:
        html: str = await self.render_template(
            "change-password.html",
            username=form.get("username", ""),
            next=form.get("next", ""),
            expired=form.get("expired") == "1",
            error=error,
            done=done,
            min_length=self.changer.new_password_min_length,
            login_url=self.settings["login_url"],
        )
        return html

    def _form(self, *names: str) -> dict[str, str]:
        return {name: self.get_argument(name, "", strip=name == "username") for name in names}

    async def get(self) -> None:
        """The form, with the username (and ``next``) from the query."""
        self.changer  # noqa: B018  (404 unless the backend changes passwords)
        self.finish(await self._render(self._form("username", "next", "expired")))

    async def post(self) -> None:
        """Change the password; log in with the new one, or show why not on the form."""
        form = self._form(*FIELDS)
        try:
            username = await self.changer.submit_password_change(self, form)
        except LoginRefusedError as e:
            self.set_status(e.status_code)
            self.finish(await self._render(form, error=e.message))
            return
        user: Any = None
        try:
            user = await self.login_user({"username": username, "password": form["new_password"]})
        except web.HTTPError:
            user = None  # changed, but the login failed (e.g. the database just went away)
        if user is None:
            self.finish(await self._render({**form, "username": username}, done=True))
            return
        self.redirect(self.get_next_url(user))


def password_change_handlers() -> list[tuple[str, Any]]:
    """The handlers of a backend that can change passwords (hub prefix added by JupyterHub)."""
    return [("/login", ExpiredPasswordLoginHandler), (CHANGE_PASSWORD_PATH, ChangePasswordHandler)]

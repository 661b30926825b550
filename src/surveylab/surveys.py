"""Which :class:`~surveylab.survey.Survey` serves a request: the lab's one, or each user's own.

A lab serves one person: every request goes to its one ``Survey``
(:class:`SharedSurvey`). The hub's platform service serves every user of the hub: each user gets
a ``Survey`` of their own (:class:`UserSurveys`), with the job store in *their* home, so that the
lab's file browser and job browser see the jobs the service ran, and, where the login gave one,
their own database account. Both answer :meth:`Surveys.for_user`, which is all a handler calls.

This module imports no Jupyter code: the server extension and the service both use it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from .errors import RequestError, SurveylabError
from .jobs.fair import FairExecutor
from .roles import Role
from .settings import Settings
from .survey import Survey

__all__ = ["JOBS_FOLDER", "SharedSurvey", "Surveys", "UserSurveys", "check_username"]

logger = logging.getLogger(__name__)

#: The folder of a user's home that holds their job store (the lab's ``~/surveylab-jobs``).
JOBS_FOLDER = "surveylab-jobs"

#: What a hub user name may be to name a folder: JupyterHub's own names (letters, digits,
#: ``.-_@+``), never a path.
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}")

#: A user's database login, or None for the catalog's own (shared) account.
Credentials = tuple[str, str] | None


def check_username(name: str) -> str:
    """``name`` if it can name a user's folder; else a
    :class:`~surveylab.errors.RequestError` that says why."""
    if not _USERNAME.fullmatch(name) or name in (".", ".."):
        raise RequestError(
            f"user name {name!r} cannot name a folder: letters, digits and . _ @ + - only, "
            "starting with a letter or digit"
        )
    return name


class Surveys(Protocol):
    """The ``Survey`` that serves each user."""

    def for_user(self, name: str) -> Survey:
        """The ``Survey`` that serves user ``name``."""

    def close(self) -> None:
        """Close every ``Survey`` made."""


class SharedSurvey:
    """One ``Survey`` for every request: a lab, which serves one person."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey

    def for_user(self, name: str) -> Survey:
        """The one ``Survey``, whoever asks."""
        return self.survey

    def all(self) -> list[Survey]:
        """The surveys made so far: the one."""
        return [self.survey]

    def close(self) -> None:
        self.survey.close()


class UserSurveys:
    """A ``Survey`` per user, made on first use and kept; their jobs share one pool of
    ``settings.job_workers`` workers in turns, at most ``settings.jobs_running_per_user`` of
    one user's at once (:class:`~surveylab.jobs.fair.FairExecutor`).

    Parameters
    ----------
    settings : Settings
        What every user's survey shares: the catalog, the data, the limits.
    home_template : str
        A user's home, with ``{username}``, e.g. ``/srv/surveylab/home/{username}``: their
        job store is its ``surveylab-jobs`` folder, made (mode 700) if missing.
    credentials : callable, optional
        The database login of a user (``(user, password)``), or None for the catalog's own
        account; called once per user, when their survey is made.
    on_open : callable, optional
        Called with each user's survey when it is made (e.g. to recover its job store).
    roles : callable, optional
        The role of a user (:mod:`surveylab.roles`), or None for none; called once per user,
        when their survey is made: its caps and refusals apply to their survey, and its
        ``jobs_running_per_user`` to their turns in the shared pool.

    Examples
    --------
    >>> surveys = UserSurveys(Settings(), "/tmp/homes/{username}")
    >>> surveys.jobs_dir("ada")
    PosixPath('/tmp/homes/ada/surveylab-jobs')
    """

    def __init__(
        self,
        settings: Settings,
        home_template: str,
        credentials: Callable[[str], Credentials] | None = None,
        on_open: Callable[[Survey], None] | None = None,
        roles: Callable[[str], Role | None] | None = None,
    ) -> None:
        if "{username}" not in home_template:
            raise ValueError(f"home template {home_template!r} has no {{username}}")
        self.settings = settings
        self.home_template = home_template
        self.credentials = credentials
        self.on_open = on_open
        self.roles = roles
        self._surveys: dict[str, Survey] = {}
        self._lock = threading.Lock()
        #: The one pool of job workers, shared by the users in turns.
        self.jobs = FairExecutor(settings.job_workers, settings.jobs_running_per_user)

    def jobs_dir(self, name: str) -> Path:
        """User ``name``'s job store."""
        home = Path(self.home_template.format(username=check_username(name)))
        return home / JOBS_FOLDER

    def users_with_jobs(self) -> list[str]:
        """The users whose home already holds a job store, by name."""
        head, _, tail = self.home_template.partition("{username}")
        pattern = re.compile(re.escape(head) + r"([^/]+)" + re.escape(tail) + "/" + JOBS_FOLDER)
        wanted = Path(self.home_template.format(username="*")) / JOBS_FOLDER
        anchor = Path(wanted.anchor or ".")
        stores = sorted(str(path) for path in anchor.glob(str(wanted.relative_to(anchor))))
        found = (pattern.fullmatch(store) for store in stores)
        return [match[1] for match in found if match and _USERNAME.fullmatch(match[1])]

    def open_existing(self) -> list[Survey]:
        """Open the survey of every user who has a job store (so ``on_open`` recovers the
        jobs a dead service left running), as the service does when it starts.

        A user whose survey cannot be opened (e.g. one the hub no longer knows, whose store
        outlived them) is logged and skipped: their jobs are recovered when they next come.
        """
        opened = []
        for name in self.users_with_jobs():
            try:
                opened.append(self.for_user(name))
            except SurveylabError as exc:
                logger.warning("surveylab: the jobs of %r are not recovered now: %s", name, exc)
        return opened

    def for_user(self, name: str) -> Survey:
        """User ``name``'s own ``Survey`` (their job store, their database login)."""
        with self._lock:
            survey = self._surveys.get(name)
            if survey is None:
                settings = self._settings_for(name)
                running = settings.jobs_running_per_user if settings.lab_role else None
                survey = self._surveys[name] = Survey(
                    settings, job_executor=self.jobs.for_owner(name, running)
                )
                if self.on_open is not None:
                    self.on_open(survey)
            return survey

    def _settings_for(self, name: str) -> Settings:
        jobs_dir = self.jobs_dir(name)
        jobs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        update: dict[str, object] = {"jobs_dir": jobs_dir}
        login = self.credentials(name) if self.credentials is not None else None
        if login is not None:
            update["db_user"], password = login
            update["db_password"] = SecretStr(password)
        role = self.roles(name) if self.roles is not None else None
        return self.settings.model_copy(update=update).with_role(role)

    def all(self) -> list[Survey]:
        """The surveys made so far."""
        with self._lock:
            return list(self._surveys.values())

    def close(self) -> None:
        for survey in self.all():
            survey.close()
        self.jobs.shutdown(wait=False)

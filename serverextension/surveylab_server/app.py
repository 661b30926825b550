"""The ``SurveylabApp`` server extension: configuration and wiring of the REST API."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Unicode

from surveylab import Settings, Survey
from surveylab.helpdesk import HelpDesk
from surveylab.job_service import JobService
from surveylab.metrics import JOBS
from surveylab.roles import load_roles
from surveylab.surveys import SharedSurvey, UserSurveys
from surveylab.vo.client import TOKEN_VARIABLE, VO_URL_VARIABLE

from .handlers import routes
from .handlers.home import HOME_PATH, ServiceHomeHandler
from .hub_logins import HubDatabaseLogins, HubUserRoles

__all__ = ["SurveylabApp"]


class SurveylabApp(ExtensionApp):
    """Serves the survey's REST API at ``<base_url>/surveylab/api``.

    Each setting left unset here falls back to the ``SURVEYLAB_*`` environment variable of the
    same name (see :class:`surveylab.Settings`), so a hub can configure labs by environment.
    """

    name = "surveylab_server"

    # Shadows JupyterApp.data_dir (Jupyter's own data folder), which an extension loaded by
    # jupyter_server never uses; here it is the survey's folder, as SURVEYLAB_DATA_DIR.
    data_dir = Unicode(  # type: ignore[assignment]
        None,
        allow_none=True,
        config=True,
        help="""Folder of the embedded demo survey. Default: SURVEYLAB_DATA_DIR, else
        ~/.local/share/surveylab/demo. Ignored when catalog_url is set.""",
    )
    catalog_url = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""Catalog to serve instead of the demo survey, e.g.
        'duckdb:///data/dr1.duckdb'. Default: SURVEYLAB_CATALOG_URL, else the demo survey.""",
    )
    jobs_dir = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""The user's job store. Default: SURVEYLAB_JOBS_DIR, else ~/surveylab-jobs (so
        results show in the file browser).""",
    )
    expire_interval = Float(
        3600.0,
        config=True,
        help="""Seconds between sweeps that delete jobs past their destruction time.""",
    )
    release_name = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""Release name shown to users. Default: SURVEYLAB_RELEASE_NAME, else the name the
        catalog records (the demo survey's is 'DEMO DR1').""",
    )

    user_homes = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""Serve every hub user, each with a Survey of their own whose job store is the
        'surveylab-jobs' folder of this home, e.g. '/srv/surveylab/home/{username}'. Set by
        the hub's platform service (surveylab_server.service); a lab leaves it unset and
        serves its one user.""",
    )
    logins_from_hub = Bool(
        False,
        config=True,
        help="""With user_homes: run each user's queries and jobs as their own database
        account, read from the hub's encrypted auth_state (a PostgreSQL or Oracle login; the
        service's role needs read:users:name and admin:auth_state). Users with none there use
        the service's own account.""",
    )
    db_accounts_path = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""With logins_from_hub: the shared database accounts file (mode 0600) where the
        accounts of workshop pool users and OAuth identities are, by the name the hub keeps in
        their auth_state.""",
    )
    roles_path = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""With user_homes: the roles file (hub_config/roles.yaml); each user's role
        follows from their hub groups (the service's role needs read:users:groups), and its
        caps and refusals apply to their requests, as in their lab. Unset: no roles.""",
    )
    mount = Unicode(
        "/surveylab",
        config=True,
        help="""Where the routes are, below the server's base URL: '/surveylab' in a lab
        ('/user/ada/surveylab/tap'), '' in the platform service ('/services/surveylab/tap').""",
    )

    def survey_overrides(self) -> dict[str, Any]:
        """The settings set on this app, which take precedence over the environment."""
        names = ("data_dir", "catalog_url", "release_name", "jobs_dir")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def initialize_settings(self) -> None:
        """Put the surveys the handlers use into the web app's settings: the lab's one, or
        one per user in the platform service (:mod:`surveylab.surveys`)."""
        settings = Settings(**self.survey_overrides())
        self.log.info("surveylab: serving %s", settings.catalog_location)
        surveys: SharedSurvey | UserSurveys
        if self.user_homes:
            logins = (
                HubDatabaseLogins.from_environ(accounts_path=self.db_accounts_path)
                if self.logins_from_hub
                else None
            )
            if self.logins_from_hub and logins is None:
                raise SystemExit("surveylab: logins_from_hub needs JUPYTERHUB_API_URL and _TOKEN")
            roles = None
            if self.roles_path:
                roles = HubUserRoles.from_environ(load_roles(self.roles_path))
                if roles is None:
                    raise SystemExit("surveylab: roles_path needs JUPYTERHUB_API_URL and _TOKEN")
            surveys = UserSurveys(
                settings, self.user_homes, credentials=logins, on_open=self._recover, roles=roles
            )
            surveys.open_existing()  # the jobs a killed service left running: ERROR, with why
        else:
            surveys = SharedSurvey(Survey(settings))
            self._recover(surveys.survey)
            self._tell_kernels()
            self._say_where_jobs_run(surveys.survey)
        self.settings["surveylab_surveys"] = surveys
        JOBS.watch(self._job_services)  # surveylab_jobs{type,phase} at /metrics
        self.settings["surveylab_prefix"] = self.mount
        self.settings["surveylab_helpdesk"] = HelpDesk.from_settings(settings)
        self._expiry = PeriodicCallback(self._expire_jobs, self.expire_interval * 1000)
        self._expiry.start()

    def _job_services(self) -> list[JobService]:
        """The users' jobs this server serves, which the job metrics count at each scrape."""
        surveys: SharedSurvey | UserSurveys | None = self.settings.get("surveylab_surveys")
        return [] if surveys is None else [survey.job_service for survey in surveys.all()]

    def _tell_kernels(self) -> None:
        """Tell the kernels this server starts where its VO services are and which token
        reaches them (``surveylab.vo.client.tap_service()`` reads both); under JupyterHub the
        kernels use the lab's own hub token."""
        server = self.serverapp
        if server is None:
            return
        os.environ[VO_URL_VARIABLE] = f"{server.connection_url.rstrip('/')}/surveylab"
        token = getattr(server.identity_provider, "token", "")
        if token and "JUPYTERHUB_API_TOKEN" not in os.environ:
            os.environ[TOKEN_VARIABLE] = token

    def _say_where_jobs_run(self, survey: Survey) -> None:
        if survey.platform is not None:
            self.log.info("surveylab: jobs run on the platform service %s", survey.platform.url)

    def _recover(self, survey: Survey) -> None:
        """Mark the jobs a dead server left running ERROR, with the reason."""
        recovered = survey.job_service.recover()
        if recovered:
            self.log.warning("surveylab: jobs interrupted by a restart: %s", ", ".join(recovered))

    async def _expire_jobs(self) -> None:
        """Delete the jobs past their destruction time, off the event loop."""
        surveys: SharedSurvey | UserSurveys = self.settings["surveylab_surveys"]
        for survey in surveys.all():
            expired = await asyncio.to_thread(survey.job_service.expire)
            if expired:
                self.log.info("surveylab: expired jobs %s", ", ".join(expired))

    def initialize_handlers(self) -> None:
        """Register the REST API and the IVOA services at :attr:`mount`; in the platform
        service also the page for a browser."""
        self.handlers.extend(routes(self.mount))
        if self.user_homes:
            self.handlers.append((HOME_PATH, ServiceHomeHandler))

    async def stop_extension(self) -> None:
        """Close the catalogs when the server stops."""
        self._expiry.stop()
        JOBS.forget(self._job_services)
        surveys: SharedSurvey | UserSurveys | None = self.settings.get("surveylab_surveys")
        if surveys is not None:
            surveys.close()

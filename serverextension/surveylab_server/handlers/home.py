"""The platform service's page for a browser: who you are, your latest jobs with their files,
and the addresses scripts and TOPCAT use. A browser with no session is sent through the hub's
OAuth login first (JupyterHub's identity provider), as for a lab."""

from __future__ import annotations

import asyncio
from html import escape
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web

from surveylab.jobs import Job
from surveylab.surveys import Surveys

__all__ = ["HOME_PATH", "ServiceHomeHandler"]

#: Where the page is, below the service's base URL.
HOME_PATH = "/home"
#: Jobs the page lists, newest first.
LATEST = 20


class ServiceHomeHandler(JupyterHandler):
    """``GET /services/surveylab/home``: the signed-in user's page."""

    auth_resource = "surveylab"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        surveys: Surveys = self.settings["surveylab_surveys"]
        name = self.current_user.username
        survey = await asyncio.to_thread(surveys.for_user, name)  # may ask the hub
        jobs, total = await asyncio.to_thread(survey.job_service.list, limit=LATEST)
        base = self.base_url.rstrip("/")
        here = f"{self.request.protocol}://{self.request.host}{base}"
        rows = "".join(self._row(job, base) for job in jobs) or (
            '<tr><td colspan="4">No jobs yet.</td></tr>'
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        await self.finish(
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>surveylab: {escape(name)}</title></head><body>"
            f"<h1>{escape(survey.release)}: the platform service</h1>"
            f"<p>Signed in as <b>{escape(name)}</b>. Your jobs run here whether or not your lab "
            "runs, and land in your lab's <code>~/surveylab-jobs</code>.</p>"
            f"<h2>Your latest jobs ({len(jobs)} of {total})</h2>"
            "<table><tr><th>name</th><th>phase</th><th>created</th><th>files</th></tr>"
            f"{rows}</table>"
            "<h2>From scripts and TOPCAT</h2><ul>"
            f"<li>TAP: <code>{escape(here)}/tap</code> (pyvo, TOPCAT, STILTS)</li>"
            f"<li>REST: <code>{escape(here)}/api/jobs</code></li>"
            "<li>Send an API token from the hub's <a href='/hub/token'>Token page</a> as "
            "<code>Authorization: token ...</code>, or as the password of HTTP Basic "
            "authentication (TOPCAT, STILTS).</li></ul></body></html>"
        )

    @staticmethod
    def _row(job: Job, base: str) -> str:
        links = " ".join(
            f"<a href='{base}/api/jobs/{job.id}/files/{quote(file.name)}'>{escape(file.name)}</a>"
            for file in job.files
        )
        created = job.created.strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"<tr><td>{escape(job.name)}</td><td>{job.phase.value}</td>"
            f"<td>{created}</td><td>{links}</td></tr>"
        )

"""Handlers about the server itself: ``/info``, ``/lab`` and ``/openapi.json``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.labenv import LabEnvironment
from surveylab.limits import OPENAPI_PATH, load_openapi

from .base import SurveylabHandler

__all__ = [
    "OPENAPI_PATH",
    "InfoHandler",
    "LabHandler",
    "OpenAPIHandler",
    "load_openapi",
    "sql_command",
]


class InfoHandler(SurveylabHandler):
    """``GET /info``: version, release name, backend and tables."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        info = await self.call(self.survey.info)
        self.write_json(info.to_json())


def sql_command() -> str:
    """The shell command that starts ``surveylab sql`` from this server's environment, by its
    full path: a terminal's login shell may reset ``PATH``."""
    script = Path(sys.executable).with_name("surveylab")
    if script.is_file():
        return f"{shlex.quote(str(script))} sql"
    return f"{shlex.quote(sys.executable)} -m surveylab.cli sql"


class LabHandler(SurveylabHandler):
    """``GET /lab``: what the lab front end needs about this server: its deadline (set by the
    hub for capped labs, e.g. GPU), where the job folders are in the file browser, the command
    of the SQL shell (null where the user's role forbids it) and the user's role (null: none,
    everything shown)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        settings = self.survey.settings
        deadline = LabEnvironment.from_settings(settings).deadline_text
        root = Path(self.settings.get("server_root_dir") or Path.cwd()).expanduser().resolve()
        jobs = settings.jobs_dir.expanduser().resolve()
        folder = jobs.relative_to(root).as_posix() if jobs.is_relative_to(root) else None
        role = settings.lab_role
        shell = sql_command() if role is None or role.allows("sql_terminal") else None
        self.write_json(
            {
                "deadline": deadline,
                "jobs_folder": folder,
                "sql_command": shell,
                "role": role.to_json() if role is not None else None,
            }
        )


class OpenAPIHandler(SurveylabHandler):
    """``GET /openapi.json``: the REST contract."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(load_openapi())

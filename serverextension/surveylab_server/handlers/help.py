"""``/help``: the lab's form to the survey's help desk (:mod:`surveylab.helpdesk`)."""

from __future__ import annotations

from http import HTTPStatus

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.errors import SurveylabError
from surveylab.helpdesk import HelpDesk, HelpRequest, LabContext
from surveylab.surveys import SharedSurvey

from .base import SurveylabHandler

__all__ = ["HelpHandler"]


class HelpHandler(SurveylabHandler):
    """``GET /help``: whether the form can send, the desk's address and the lab's facts;
    ``POST /help``: send a message to the desk (201 with its reference)."""

    @property
    def helpdesk(self) -> HelpDesk:
        """The server's one desk (its rate limit counts over every request)."""
        desk: HelpDesk = self.settings["surveylab_helpdesk"]
        return desk

    async def _context(self) -> LabContext:
        release = await self.call(lambda: self.survey.release)
        return LabContext.from_settings(
            self.survey.settings, user=self.current_user.username, release=release
        )

    def _sender(self) -> str:
        """Whom the rate limit counts: a lab's one user (whose token requests carry no stable
        name without a hub), or each user of the platform service."""
        surveys = self.settings["surveylab_surveys"]
        return "the lab's user" if isinstance(surveys, SharedSurvey) else self.current_user.username

    def _job_exists(self, job_id: str) -> bool:
        try:
            self.survey.job_service.get(job_id)
        except SurveylabError:
            return False
        return True

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.helpdesk.status(await self._context()))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        request = await self.call(HelpRequest.from_json, body, job_exists=self._job_exists)
        context = await self._context()
        receipt = await self.call(self.helpdesk.send, request, context, sender=self._sender())
        self.log.info(
            "surveylab: help desk message %s from %s", receipt.reference, self.current_user.username
        )
        self.write_json(receipt.to_json(), HTTPStatus.CREATED)

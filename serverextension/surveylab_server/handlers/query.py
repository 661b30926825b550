"""Handlers of quick queries: ``/query``, ``/query/check``, ``/query/explain``, ``/examples``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.examples import EXAMPLES

from .base import SurveylabHandler, positive

__all__ = ["CheckHandler", "ExamplesHandler", "ExplainHandler", "QueryHandler"]


class QueryHandler(SurveylabHandler):
    """``POST /query``: a quick query, with a time limit and a row cap."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body("sql")
        result = await self.call(
            self.survey.quick,
            str(body["sql"]),
            timeout=positive(body, "timeout", float),
            max_rows=positive(body, "max_rows", int),
        )
        self.write_json(result.to_json())


class CheckHandler(SurveylabHandler):
    """``POST /query/check``: a syntax check; errors carry line and column."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        prepared = await self.call(self.survey.check, str(self.body("sql")["sql"]))
        self.write_json({"valid": True, "sql": prepared.sql, "tables": list(prepared.tables)})


class ExplainHandler(SurveylabHandler):
    """``POST /query/explain``: the execution plan as text."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        plan = await self.call(self.survey.explain, str(self.body("sql")["sql"]))
        self.write_json({"plan": plan})


class ExamplesHandler(SurveylabHandler):
    """``GET /examples``: named example queries."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"examples": [example.to_json() for example in EXAMPLES]})

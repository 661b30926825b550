"""Handlers of quick queries: ``/query``, ``/query/check``, ``/query/explain``, ``/examples``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.examples import EXAMPLES
from surveylab.inputs import QuickQueryRequest, sql_of

from .base import SurveylabHandler

__all__ = ["CheckHandler", "ExamplesHandler", "ExplainHandler", "QueryHandler"]


class QueryHandler(SurveylabHandler):
    """``POST /query``: a quick query, with a time limit and a row cap."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        query = QuickQueryRequest.from_json(self.body())
        result = await self.call(
            self.survey.quick, query.sql, timeout=query.timeout, max_rows=query.max_rows
        )
        self.write_json(result.to_json())


class CheckHandler(SurveylabHandler):
    """``POST /query/check``: a syntax check; errors carry line and column."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        prepared = await self.call(self.survey.check, sql_of(self.body()))
        self.write_json({"valid": True, "sql": prepared.sql, "tables": list(prepared.tables)})


class ExplainHandler(SurveylabHandler):
    """``POST /query/explain``: the execution plan as text."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        plan = await self.call(self.survey.explain, sql_of(self.body()))
        self.write_json({"plan": plan})


class ExamplesHandler(SurveylabHandler):
    """``GET /examples``: named example queries."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"examples": [example.to_json() for example in EXAMPLES]})

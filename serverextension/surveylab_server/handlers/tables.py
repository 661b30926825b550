"""Handlers of the release's tables: ``/tables`` and ``/tables/{name}``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import SurveylabHandler

__all__ = ["TableHandler", "TablesHandler"]


class TablesHandler(SurveylabHandler):
    """``GET /tables`` (``?column=X``: the tables having column X)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        tables = await self.call(self.survey.tables, self.get_argument("column", None))
        self.write_json(
            {
                "tables": [
                    {"name": t.name, "description": t.description, "rows": t.rows} for t in tables
                ]
            }
        )


class TableHandler(SurveylabHandler):
    """``GET /tables/{name}``: a table with its columns."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        table = await self.call(self.survey.table, name)
        self.write_json(
            {
                "name": table.name,
                "description": table.description,
                "rows": table.rows,
                "columns": [column.__dict__ for column in table.columns],
            }
        )

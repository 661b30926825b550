"""Catalog backends: where the survey's tables live and how a query reaches them.

One interface (:class:`Catalog`, :class:`QueryHandle`) over three engines, chosen by the scheme of
the catalog URL (:func:`open_catalog`): the embedded DuckDB file of the demo survey, a PostgreSQL
server, and Oracle (DES's production engine, in python-oracledb's thin mode). Each backend streams
results as Arrow record batches, so memory stays bounded whatever the result size; each can stop
a running query in the database, on request or when its time limit expires.

Table and column metadata (descriptions, units, UCDs) comes from an IVOA ``TAP_SCHEMA`` inside
the catalog when it has one, and from the engine's own dictionary otherwise.

Examples
--------
>>> from surveylab.catalog import open_catalog  # doctest: +SKIP
>>> catalog = open_catalog("duckdb:///data/demo/catalog.duckdb")  # doctest: +SKIP
>>> with catalog.execute("SELECT RA, DEC FROM DR1_MAIN", timeout=30) as handle:  # doctest: +SKIP
...     for batch in handle.batches():
...         ...

The names below load on first use: :mod:`surveylab.catalog.login_errors` needs none of the
drivers, numpy or pyarrow (the hub imports it at start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import DEFAULT_BATCH_ROWS, CancelHook, Catalog, QueryHandle
    from .duckdb import DuckDBCatalog
    from .oracle import OracleCatalog
    from .postgres import PostgresCatalog
    from .url import open_catalog, parse_catalog_url

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "CancelHook",
    "Catalog",
    "DuckDBCatalog",
    "OracleCatalog",
    "PostgresCatalog",
    "QueryHandle",
    "open_catalog",
    "parse_catalog_url",
]

#: The module of each name loaded on first use.
_LAZY = {
    "DEFAULT_BATCH_ROWS": ".base",
    "CancelHook": ".base",
    "Catalog": ".base",
    "QueryHandle": ".base",
    "DuckDBCatalog": ".duckdb",
    "OracleCatalog": ".oracle",
    "PostgresCatalog": ".postgres",
    "open_catalog": ".url",
    "parse_catalog_url": ".url",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

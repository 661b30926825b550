"""Catalog URLs: which backend, where, as whom. ``open_catalog`` opens the one a URL names.

``duckdb:///abs/path/catalog.duckdb`` (or a bare ``.duckdb`` path), ``postgresql://host:port/dbname``
and ``oracle://host:port/service_name``. A user may appear in a URL; a password may not, so that
passwords never sit in settings files, URLs or logs: it comes from ``SURVEYLAB_DB_PASSWORD``.
A ``?schema=NAME`` query names the schema (PostgreSQL) or owner (Oracle) of the release's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import CatalogUnavailableError
from .base import Catalog

__all__ = ["SCHEMES", "CatalogURL", "open_catalog", "parse_catalog_url"]

#: URL schemes and the backend each names.
SCHEMES = {
    "duckdb": "duckdb",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "oracle": "oracle",
}


@dataclass(frozen=True)
class CatalogURL:
    """A parsed catalog URL (never with a password)."""

    backend: str
    path: str = ""
    host: str = ""
    port: int | None = None
    database: str = ""
    user: str | None = None
    schema: str | None = None


def parse_catalog_url(url: str) -> CatalogURL:
    """Split a catalog URL into its parts.

    Raises
    ------
    CatalogUnavailableError
        Unknown scheme, a password in the URL, or a missing host or database name.

    Examples
    --------
    >>> parse_catalog_url("postgresql://ann@db.example.org/dr2?schema=des")
    CatalogURL(backend='postgresql', path='', host='db.example.org', port=5432, database='dr2', \
user='ann', schema='des')
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("", "duckdb") or url.endswith(".duckdb"):
        return CatalogURL(backend="duckdb", path=parts.path if scheme == "duckdb" else url)
    if scheme not in SCHEMES:
        known = ", ".join(repr(name) for name in ("duckdb", "postgresql", "oracle"))
        raise CatalogUnavailableError(
            f"unknown catalog URL scheme {parts.scheme!r} in SURVEYLAB_CATALOG_URL; known: {known}"
        )
    if parts.password is not None:
        raise CatalogUnavailableError(
            "the catalog URL must not contain a password: remove it from SURVEYLAB_CATALOG_URL "
            "and set SURVEYLAB_DB_PASSWORD instead"
        )
    backend = SCHEMES[scheme]
    try:
        port = parts.port
    except ValueError:
        raise CatalogUnavailableError(f"bad port in the catalog URL {parts.hostname}") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database:
        example = (
            "a PostgreSQL catalog URL needs a host and a database: postgresql://host:port/dbname"
            if backend == "postgresql"
            else "an Oracle catalog URL needs a host and a service: oracle://host:port/service_name"
        )
        raise CatalogUnavailableError(example)
    schema = parse_qs(parts.query).get("schema", [None])[-1]
    return CatalogURL(
        backend=backend,
        host=parts.hostname,
        port=port or default_port(backend),
        database=database,
        user=unquote(parts.username) if parts.username else None,
        schema=schema,
    )


def default_port(backend: str) -> int:
    """The port of a server backend when its URL names none (the backend's module says)."""
    if backend == "postgresql":
        from .postgres import DEFAULT_PORT as POSTGRES_PORT

        return POSTGRES_PORT
    from .oracle import DEFAULT_PORT as ORACLE_PORT

    return ORACLE_PORT


def open_catalog(url: str, *, user: str | None = None, password: str | None = None) -> Catalog:
    """Open the catalog named by ``url``.

    Parameters
    ----------
    url : str
        ``duckdb:///absolute/path.duckdb`` (or a bare path to a ``.duckdb`` file),
        ``postgresql://host:port/dbname`` or ``oracle://host:port/service_name``.
    user, password : str, optional
        The database account of server catalogs (the settings' ``db_user``/``db_password``).
        ``user`` wins over a user named in the URL.

    Raises
    ------
    CatalogNotFoundError
        The DuckDB file does not exist.
    CatalogUnavailableError
        Unknown scheme, a password in the URL, or a server that cannot be reached or refuses
        the login (the message names host and port, never the password).
    """
    # Each backend's driver is imported only when a catalog of its kind is opened.
    target = parse_catalog_url(url)
    if target.backend == "duckdb":
        from .duckdb import DuckDBCatalog

        return DuckDBCatalog(Path(target.path).expanduser())
    login = user or target.user
    port = target.port or 0
    if target.backend == "postgresql":
        from .postgres import PostgresCatalog

        return PostgresCatalog(
            target.host,
            port,
            target.database,
            login,
            password,
            schema=target.schema or "public",
        )
    from .oracle import OracleCatalog

    return OracleCatalog(target.host, port, target.database, login, password, schema=target.schema)

"""User tables on a PostgreSQL release: the schema named after the database user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from ..catalog.base import Catalog, fold_name
from ..errors import CatalogUnavailableError
from ..models import ColumnInfo, TableInfo
from .files import UserTableError, check_table_name, default_table_name, read_table_file

__all__ = ["PostgresUserTables", "postgres_type"]

#: Rows sent to COPY per block.
COPY_ROWS = 65_536

Connection = psycopg.Connection[tuple[Any, ...]]


def postgres_type(kind: pa.DataType) -> str:
    """The PostgreSQL column type that holds Arrow type ``kind``.

    Examples
    --------
    >>> postgres_type(pa.float32()), postgres_type(pa.int64()), postgres_type(pa.string())
    ('real', 'bigint', 'text')
    """
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_int8(kind) or pa.types.is_int16(kind) or pa.types.is_uint8(kind):
        return "smallint"
    if pa.types.is_int32(kind) or pa.types.is_uint16(kind):
        return "integer"
    if pa.types.is_int64(kind) or pa.types.is_uint32(kind):
        return "bigint"
    if pa.types.is_uint64(kind) or pa.types.is_decimal(kind):
        return "numeric"
    if pa.types.is_float16(kind) or pa.types.is_float32(kind):
        return "real"
    if pa.types.is_float64(kind):
        return "double precision"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz else "timestamp"
    if pa.types.is_time(kind):
        return "time"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return "text"
    raise UserTableError(f"a column of type {kind} cannot be uploaded to PostgreSQL")


class PostgresUserTables:
    """The user's schema (named after the database user) in the release's database.

    Uploads and drops use a connection of their own that may write; queries keep the
    catalog's read-only connections, whose ``search_path`` finds the user's schema first.

    Parameters
    ----------
    catalog : Catalog
        The release's catalog, whose table names a user table may not take.
    connect : callable
        A new connection that may write, as the catalog's user (``PostgresCatalog`` gives it);
        it raises :class:`~surveylab.errors.CatalogUnavailableError` without the password.
    schema : str
        The user's schema: the database user's name.
    location : str
        ``host:port/dbname`` of the database, for messages.
    """

    def __init__(
        self, catalog: Catalog, connect: Callable[[], Connection], schema: str, location: str
    ) -> None:
        self.catalog = catalog
        self.schema = schema
        self._new_connection = connect
        self.location = f"schema {self.schema} of {location}"

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self._new_connection()
        except CatalogUnavailableError as err:
            raise UserTableError(str(err)) from None
        try:
            yield conn
        finally:
            conn.close()

    def _fetch(self, query: sql.Composed | str, params: list[object] | None = None) -> list[Any]:
        failure: str | None = None
        with self._connect() as conn:
            try:
                return conn.execute(query, params or []).fetchall()
            except psycopg.Error as err:
                failure = _message(err)
        raise UserTableError(failure)

    def open(self) -> None:
        """Nothing to do: the catalog's connections find the user's schema already."""

    def query_name(self, name: str) -> str:
        """``NAME`` (found through ``search_path``); ``user.NAME`` also works."""
        return name.upper()

    def _names(self) -> dict[str, str]:
        found = self._fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY 1",
            [self.schema],
        )
        return {str(name).upper(): str(name) for (name,) in found}

    def _stored(self, name: str) -> str:
        stored = self._names().get(check_table_name(name))
        if stored is None:
            raise UserTableError(f"you have no table named {name.upper()}: see mytables")
        return stored

    def tables(self) -> list[TableInfo]:
        """The user's tables with exact row counts."""
        infos = []
        for upper, stored in self._names().items():
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(self.schema, stored))
            rows = int(self._fetch(query)[0][0])
            infos.append(TableInfo(upper, f"your table, {self.schema}.{upper}", rows))
        return infos

    def columns(self, name: str) -> list[ColumnInfo]:
        """The columns of the user's table ``name``."""
        stored = self._stored(name)
        found = self._fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            [self.schema, stored],
        )
        return [ColumnInfo(fold_name(str(c)), str(kind).upper()) for c, kind in found]

    def load(self, path: Path, name: str | None = None) -> TableInfo:
        """Upload ``path`` into the user's schema in one transaction (CREATE TABLE, COPY)."""
        release = [table.name for table in self.catalog.tables()]
        upper = check_table_name(name or default_table_name(path), release)
        data = read_table_file(path)
        if upper in self._names():
            raise UserTableError(f"you already have a table {upper}: drop_table {upper} first")
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(
                sql.Identifier(field.name.lower()), sql.SQL(postgres_type(field.type))
            )
            for field in data.schema
        )
        target = sql.Identifier(self.schema, upper.lower())
        failure: str | None = None
        with self._connect() as conn:
            try:
                self._ensure_schema(conn)
                conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
                copy_sql = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(target)
                with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
                    for batch in data.to_batches(COPY_ROWS):
                        out = pa.BufferOutputStream()
                        pacsv.write_csv(batch, out, pacsv.WriteOptions(include_header=False))
                        copy.write(out.getvalue().to_pybytes())
                conn.commit()
            except psycopg.Error as err:
                conn.rollback()
                failure = f"cannot create {upper}: {_message(err)}"
        if failure is not None:
            raise UserTableError(failure)
        return TableInfo(upper, f"your table, {self.schema}.{upper}", data.num_rows)

    def _ensure_schema(self, conn: Connection) -> None:
        """Create the user's schema if it is missing; say what to ask for if that is refused."""
        exists = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]
        ).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            raise UserTableError(
                f"your account {self.schema} has no schema of its own and may not create one: "
                f"ask the administrator to run CREATE SCHEMA AUTHORIZATION {self.schema}"
            ) from None

    def drop(self, name: str) -> None:
        """Remove the user's table ``name``."""
        stored = self._stored(name)
        failure: str | None = None
        with self._connect() as conn:
            try:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(self.schema, stored)))
                conn.commit()
            except psycopg.Error as err:
                failure = _message(err)
        if failure is not None:
            raise UserTableError(failure)


def _message(error: psycopg.Error) -> str:
    diag = error.diag
    return str(diag.message_primary or " ".join(str(error).split()))

"""Users' own tables beside the release: easyaccess's ``load_table`` and Data Lab's MyDB.

A user uploads a CSV, FITS or Parquet file as a table and queries it with, or joined to, the
release's tables. Where it goes depends on the catalog backend, and each backend hands out its
own store (``catalog.user_tables(user_db)``):

- **DuckDB**: a DuckDB file of the user's own (``~/.surveylab/mydb.duckdb`` by default),
  attached read-write beside the read-only release as ``MYDB``; query ``MYDB.NAME``. One
  process at a time can hold it (DuckDB's file lock).
- **PostgreSQL**: the schema named after the database user, which PostgreSQL's default
  ``search_path`` (``"$user", public``) puts first; query ``NAME`` or ``user.NAME``. The schema
  is created on the first upload if the account may (``CREATE`` on the database), else the
  administrator creates it (``CREATE SCHEMA AUTHORIZATION user``).
- **Oracle**: not supported here.

Table names are checked (a letter, then letters, digits or ``_``; at most 63; not a release
table's name), files are read by pyarrow or astropy (never by SQL the user writes), and a table
appears only complete (one transaction). There is no quota beyond the database's own.
"""

from __future__ import annotations

from .base import UserTables
from .files import UserTableError, check_table_name, read_table_file

__all__ = [
    "UserTableError",
    "UserTables",
    "check_table_name",
    "read_table_file",
]

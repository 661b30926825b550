"""Settings of surveylab, one typed object read from ``SURVEYLAB_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """Where the demo survey lives when ``SURVEYLAB_DATA_DIR`` is not set.

    ``$XDG_DATA_HOME/surveylab/demo``, i.e. ``~/.local/share/surveylab/demo`` by default.
    """
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "surveylab" / "demo"


class Settings(BaseSettings):
    """Everything surveylab reads from its environment.

    Each field ``name`` is read from ``SURVEYLAB_NAME``; e.g. ``SURVEYLAB_DATA_DIR=/data/demo``.

    Examples
    --------
    >>> Settings(data_dir="/tmp/demo").catalog_location
    'duckdb:///tmp/demo/catalog.duckdb'
    """

    model_config = SettingsConfigDict(env_prefix="SURVEYLAB_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder of the embedded demo survey (catalog.duckdb, images/, release.json).",
    )
    catalog_url: str | None = Field(
        default=None,
        description=(
            "Catalog to open instead of the demo survey, as a URL: "
            "'duckdb:///path/to/catalog.duckdb' (more backends come with the query service). "
            "Unset means the demo survey's catalog in data_dir."
        ),
    )
    release_name: str | None = Field(
        default=None,
        description="Name of the data release shown to users; unset means the catalog's own.",
    )

    @property
    def catalog_location(self) -> str:
        """The catalog URL in force: ``catalog_url`` or the demo survey's DuckDB file."""
        if self.catalog_url:
            return self.catalog_url
        return f"duckdb://{(self.data_dir / 'catalog.duckdb').expanduser().resolve()}"

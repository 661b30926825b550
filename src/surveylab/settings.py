"""Settings of surveylab, one typed object read from ``SURVEYLAB_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AwareDatetime, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .roles import Role

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
            "'duckdb:///path.duckdb', 'postgresql://host:port/dbname' or "
            "'oracle://host:port/service_name', with an optional '?schema=NAME' (PostgreSQL "
            "schema or Oracle owner). Credentials come from db_user/db_password, never the URL. "
            "Unset means the demo survey's catalog in data_dir."
        ),
    )
    footprint_file: Path | None = Field(
        default=None,
        description=(
            "An external DES-format tile list (tilename;rall;decll;raur;decur[;...], e.g. "
            "DES DR2's) served as the release's footprint instead of the catalog's tile table. "
            "Read at first use; a missing or malformed file is an error naming the file and "
            "line. Its tiles have no images, unless the catalog's tile table names images for "
            "tiles of the same name. Unset means the catalog's tile table."
        ),
    )
    release_name: str | None = Field(
        default=None,
        description="Name of the data release shown to users; unset means the catalog's own.",
    )

    db_user: str | None = Field(
        default=None,
        description="Database account for PostgreSQL/Oracle catalogs (the hub injects it).",
    )
    db_password: SecretStr | None = Field(
        default=None,
        description="Password of db_user; never logged, never written to job files.",
    )
    lab_profile: str | None = Field(
        default=None,
        description="Slug of the lab profile this server runs (the hub sets it; see labenv).",
    )
    platform_url: str | None = Field(
        default=None,
        description="The hub's platform service as this lab reaches it (the hub sets it; see "
        "labenv): the lab's jobs run there and outlive the lab. Unset: jobs run in the lab.",
    )
    lab_deadline: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the hub stops this lab (profiles with max_hours, e.g. GPU): an ISO 8601 time "
            "with its offset, set by the hub when the lab starts. Unset: no time cap."
        ),
    )
    lab_role: Role | None = Field(
        default=None,
        description="The user's role as JSON (surveylab.roles.Role; the hub sets it; see "
        "labenv): its caps lower this object's (in_force) and its features are refused with "
        "HTTP 403. Unset: no role, nothing refused.",
    )
    quick_timeout: float = Field(
        default=30.0, gt=0, description="Wall-clock limit of a quick query, in seconds."
    )
    quick_max_rows: int = Field(
        default=10_000, gt=0, description="Rows a quick query returns at most."
    )
    tap_sync_timeout: float = Field(
        default=600.0, gt=0, description="Wall-clock limit of a TAP sync query, in seconds."
    )
    tap_default_maxrec: int = Field(
        default=100_000, ge=0, description="Rows a TAP query returns when it gives no MAXREC."
    )
    tap_max_maxrec: int = Field(
        default=10_000_000,
        ge=0,
        description="Rows a TAP query returns at most, whatever its MAXREC.",
    )
    tap_upload_max_rows: int = Field(
        default=100_000, gt=0, description="Rows a TAP_UPLOAD table may have."
    )
    tap_upload_max_bytes: int = Field(
        default=32_000_000, gt=0, description="Bytes a TAP_UPLOAD VOTable may have."
    )
    tap_upload_private_urls: bool = Field(
        default=False,
        description="Let TAP uploads by URL (UPLOAD=name,http://...) fetch from loopback, "
        "private and link-local addresses. Off by default: such a URL would let any user make "
        "the server read the hub's API or a cloud's metadata service.",
    )
    jobs_dir: Path = Field(
        default_factory=lambda: Path.home() / "surveylab-jobs",
        description="The user's job store: one folder per job with its record, log and results.",
    )
    job_lifetime_days: float = Field(
        default=14.0, gt=0, description="Days a job and its files are kept before expiry."
    )
    job_workers: int = Field(
        default=2, gt=0, description="Jobs that run at once in the local executor."
    )
    max_active_jobs: int = Field(
        default=4, gt=0, description="Queued plus running jobs a user may have at once."
    )
    job_storage_quota_gb: float | None = Field(
        default=50.0,
        gt=0,
        description="Gigabytes of job files (results, inputs, logs) a user may keep; past it "
        "a new job is refused until some are deleted. None (unset): no quota.",
    )
    jobs_running_per_user: int = Field(
        default=2,
        gt=0,
        description="In the hub's platform service: jobs of one user that run at once; the "
        "service's job_workers are shared by all users in turns.",
    )
    cutout_max_positions: int = Field(
        default=10_000,
        gt=0,
        description="Positions one cutout job may hold; a larger request is refused.",
    )
    cutout_workers: int = Field(
        default=0,
        ge=0,
        description=(
            "Worker processes of the local cutout pool; 0 means one per available core. "
            "Unused when dask_scheduler is set."
        ),
    )
    dask_scheduler: str | None = Field(
        default=None,
        description=(
            "Address of a dask.distributed scheduler (e.g. 'tcp://10.0.0.5:8786', or a Dask "
            "Gateway cluster's) that runs cutout work instead of the local process pool. "
            "Its workers must see the job folder and the release's images at the same paths."
        ),
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for job e-mails; unset means no e-mail."
    )
    smtp_port: int = Field(default=25, description="Port of smtp_host.")
    smtp_sender: str = Field(
        default="surveylab@localhost", description="From address of job e-mails."
    )
    smtp_starttls: bool = Field(default=False, description="Use STARTTLS with smtp_host.")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="Password of smtp_user.")
    helpdesk_address: str | None = Field(
        default=None,
        description=(
            "E-mail address of the survey's help desk: the lab's Help menu form sends to it "
            "through smtp_host (Reply-To the user). Unset, or smtp_host unset: the form says "
            "so and shows this address instead."
        ),
    )

    @property
    def catalog_location(self) -> str:
        """The catalog URL in force: ``catalog_url`` or the demo survey's DuckDB file."""
        if self.catalog_url:
            return self.catalog_url
        return f"duckdb://{(self.data_dir / 'catalog.duckdb').expanduser().resolve()}"

    def with_role(self, role: Role | None) -> Settings:
        """These settings under ``role``: its caps (:data:`surveylab.roles.CAPS`) replace these,
        and ``lab_role`` is ``role``. None: these settings as they are."""
        if role is None:
            return self
        return self.model_copy(update={**role.caps(), "lab_role": role})

    def in_force(self) -> Settings:
        """The settings in force: these under their own ``lab_role`` (the same object without
        one). Applying it twice changes nothing."""
        return self.with_role(self.lab_role)

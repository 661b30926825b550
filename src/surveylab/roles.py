"""Roles: what a user may see and do, decided by the hub groups their login gives.

One contract, defined here once and used by the hub (which profiles a user may start, which
role their lab gets), the lab server and the platform service (the caps in force, the features
refused) and, through ``GET /surveylab/api/lab``, the lab's front end (which panels it shows).

The roles live in one file next to ``profiles.yaml``, ``hub_config/roles.yaml``, read and
validated by :func:`load_roles`; any problem raises :class:`RolesError`, whose lines name the
file, the role and the field::

    roles.yaml: role 'workshop': max_active_jobs must be > 0

A user's role is the highest-ranked role (the first in the file) one of whose ``groups`` the
user is in (or whose ``users`` names them), else the file's ``default``
(:meth:`RolesConfig.role_for`). Hidden panels are only a convenience: the lab server refuses
what a role forbids with :class:`~surveylab.errors.RoleRefusedError` (HTTP 403), whose message
names the role.

This module imports pydantic and PyYAML only: the hub imports it at start.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from .config_file import ConfigFileError, FileLayout, StrictModel, load_config
from .errors import RoleRefusedError

__all__ = [
    "CAPS",
    "FEATURES",
    "PANELS",
    "Feature",
    "Role",
    "RoleRefusedError",
    "RolesConfig",
    "RolesError",
    "load_roles",
]

#: The lab's panels and launcher items a role may show, by name.
PANELS = ("survey", "query", "jobs", "gallery", "footprint", "sql-terminal")

#: The features a role may forbid; the server refuses them with HTTP 403.
Feature = Literal["user_tables", "sql_terminal", "large_cutouts"]
FEATURES: tuple[Feature, ...] = ("user_tables", "sql_terminal", "large_cutouts")

#: What each feature is called in a refusal: "your role 'workshop' does not allow <this>".
_FEATURE_TEXT: dict[str, str] = {
    "user_tables": "user tables",
    "sql_terminal": "the SQL terminal",
    "large_cutouts": "large cutout jobs",
}

#: The :class:`~surveylab.settings.Settings` fields a role may lower.
CAPS = ("max_active_jobs", "job_storage_quota_gb", "jobs_running_per_user")

_NAME = r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$"


class RolesError(ConfigFileError):
    """The roles file is unreadable or invalid; ``problems`` holds one line per problem."""


_LAYOUT = FileLayout(
    shape="a mapping with 'roles' and 'default'", items="roles", key="name", noun="role"
)


class Role(StrictModel):
    """One role: the panels, profiles, caps and features of the users who have it."""

    name: str = Field(pattern=_NAME, description="The role's name, shown in refusals.")
    description: str = Field(default="", description="One line for administrators.")
    groups: tuple[str, ...] = Field(
        default=(), description="Hub groups that grant the role (from the login or an admin)."
    )
    users: tuple[str, ...] = Field(
        default=(), description="Hub users who have the role whatever their groups."
    )
    panels: tuple[str, ...] = Field(
        default=PANELS, description="The lab panels and launcher items shown (PANELS)."
    )
    profiles: tuple[str, ...] = Field(
        min_length=1, description="Slugs of profiles.yaml offered, in form order of that file."
    )
    max_active_jobs: int | None = Field(
        default=None, gt=0, description="Queued plus running jobs at once (None: Settings')."
    )
    job_storage_quota_gb: float | None = Field(
        default=None, gt=0, description="Gigabytes of job files kept (None: Settings')."
    )
    jobs_running_per_user: int | None = Field(
        default=None, gt=0, description="Jobs running at once in the platform service."
    )
    cutout_max_positions: int | None = Field(
        default=None,
        gt=0,
        description="Positions one cutout job may hold in this role: a job over it is a large "
        "cutout job, refused with 403 (None: large cutout jobs allowed, up to Settings').",
    )
    user_tables: bool = Field(default=True, description="May load and query user tables.")
    sql_terminal: bool = Field(default=True, description="May run the SQL terminal.")

    @model_validator(mode="after")
    def _check(self) -> Role:
        problems = []
        unknown = [panel for panel in self.panels if panel not in PANELS]
        if unknown:
            problems.append(f"panels: unknown panel {unknown[0]!r} (known: {', '.join(PANELS)})")
        if "sql-terminal" in self.panels and not self.sql_terminal:
            problems.append("panels: 'sql-terminal' is shown but sql_terminal is false")
        if len(set(self.profiles)) != len(self.profiles):
            problems.append("profiles lists a profile twice")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def allows(self, feature: Feature) -> bool:
        """Whether the role allows ``feature`` (one of :data:`FEATURES`); large cutout jobs
        are allowed when the role sets no ``cutout_max_positions``."""
        if feature == "large_cutouts":
            return self.cutout_max_positions is None
        return bool(getattr(self, feature))

    def check_cutout(self, positions: int) -> None:
        """Refuse a cutout job of ``positions`` positions if it is a large one for this role."""
        limit = self.cutout_max_positions
        if limit is not None and positions > limit:
            raise RoleRefusedError(
                f"your role {self.name!r} does not allow large cutout jobs: at most {limit:,} "
                f"positions per job, and this one has {positions:,}",
                role=self.name,
                feature="large_cutouts",
            )

    def require(self, feature: Feature) -> None:
        """Raise :class:`~surveylab.errors.RoleRefusedError` if the role forbids ``feature``."""
        if not self.allows(feature):
            raise RoleRefusedError(
                f"your role {self.name!r} does not allow {_FEATURE_TEXT[feature]}",
                role=self.name,
                feature=feature,
            )

    def caps(self) -> dict[str, int | float]:
        """The :class:`~surveylab.settings.Settings` fields this role sets (:data:`CAPS`)."""
        values = {name: getattr(self, name) for name in CAPS}
        return {name: value for name, value in values.items() if value is not None}

    def to_json(self) -> dict[str, Any]:
        """What the lab's front end needs: the name, panels and features."""
        return {
            "name": self.name,
            "description": self.description,
            "panels": list(self.panels),
            "features": {feature: self.allows(feature) for feature in FEATURES},
            "cutout_max_positions": self.cutout_max_positions,
        }


class RolesConfig(StrictModel):
    """The whole roles file: the roles in rank order (highest first) and the default."""

    roles: tuple[Role, ...] = Field(min_length=1, description="Roles, highest rank first.")
    default: str = Field(description="The role of a user in none of the roles' groups.")

    @model_validator(mode="after")
    def _check(self) -> RolesConfig:
        problems = []
        names = [role.name for role in self.roles]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"role {name!r}: name is used by another role")
        if self.default not in names:
            problems.append(f"default: unknown role {self.default!r} (known: {', '.join(names)})")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def get(self, name: str) -> Role:
        """The role named ``name``; KeyError if there is none."""
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    @property
    def default_role(self) -> Role:
        """The role of users in no role's groups."""
        return self.get(self.default)

    @property
    def group_names(self) -> set[str]:
        """Every hub group that grants a role."""
        return {group for role in self.roles for group in role.groups}

    def role_for(self, groups: Iterable[str], username: str | None = None) -> Role:
        """The highest-ranked role that ``groups`` (or ``username``) grant, else the default.

        >>> roles = RolesConfig(roles=[Role(name="a", groups=["x"], profiles=["small"]),
        ...                            Role(name="b", profiles=["small"])], default="b")
        >>> roles.role_for(["x", "y"]).name, roles.role_for([]).name
        ('a', 'b')
        """
        groups = set(groups)
        for role in self.roles:
            if not groups.isdisjoint(role.groups) or (username and username in role.users):
                return role
        return self.default_role

    def check_profiles(self, slugs: Iterable[str]) -> None:
        """Raise :class:`RolesError` if a role offers a profile not in ``slugs``."""
        known = list(slugs)
        problems = [
            f"role {role.name!r}: profiles: unknown profile {slug!r} (known: {', '.join(known)})"
            for role in self.roles
            for slug in role.profiles
            if slug not in known
        ]
        if problems:
            raise RolesError("roles.yaml", problems)


def load_roles(path: str | Path, profiles: Iterable[str] | None = None) -> RolesConfig:
    """Read and validate a roles file; with ``profiles`` (the slugs of ``profiles.yaml``),
    check that every role offers only known profiles.

    Raises
    ------
    RolesError
        The file is missing, is not YAML, or breaks a rule; each line of the message names the
        file, the role and the field.
    """
    path = Path(path)
    roles = load_config(path, RolesConfig, _LAYOUT, RolesError)
    if profiles is not None:
        try:
            roles.check_profiles(profiles)
        except RolesError as exc:
            raise RolesError(
                path.name, [p.removeprefix("roles.yaml: ") for p in exc.problems]
            ) from None
    return roles

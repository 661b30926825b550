"""What a lab receives from the hub: one contract, defined here once.

The hub hands each lab a few values through the lab's process environment. The hub builds the
variables with :meth:`LabEnvironment.to_environment` (its authenticators the credentials, both of
its spawners the profile, the deadline and the role); the lab reads each of them through one field
of :class:`~surveylab.settings.Settings`, whose name gives the variable's, ``SURVEYLAB_<FIELD>``:

==========================  ================  ===================================================
variable                    Settings field    meaning
==========================  ================  ===================================================
``SURVEYLAB_DB_USER``       ``db_user``       the database account the lab queries as
``SURVEYLAB_DB_PASSWORD``   ``db_password``   its password (on Kubernetes: from a Secret)
``SURVEYLAB_LAB_PROFILE``   ``lab_profile``   the slug of the lab's profile (``small``, ``gpu``)
``SURVEYLAB_LAB_DEADLINE``  ``lab_deadline``  when the hub stops a capped lab: ISO 8601 in UTC
``SURVEYLAB_PLATFORM_URL``  ``platform_url``  the hub's platform service, where the lab's jobs run
``SURVEYLAB_LAB_ROLE``      ``lab_role``      the user's role (:mod:`surveylab.roles`) as JSON
==========================  ================  ===================================================

The deadline is absolute, computed by the hub when it starts the lab (start + the profile's
``max_hours``). On Kubernetes the pod's ``activeDeadlineSeconds`` counts from the moment the
kubelet takes the pod, which is later than that, so the countdown ends a little early, never late.
A lab cannot do better on its own: its process starts after the pod (image pull), so a duration
counted from its own start would end late.

This module imports pydantic-settings only: the hub imports it at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

from .roles import Role
from .settings import Settings

__all__ = ["PLATFORM_SERVICE_NAME", "LabEnvironment", "lab_variable"]

#: The hub's platform service (``surveylab_server.service``), so its address on the hub:
#: ``/services/surveylab/``. Users reach it with the scope ``access:services!service=surveylab``.
PLATFORM_SERVICE_NAME = "surveylab"

V = TypeVar("V")


def lab_variable(name: str) -> str:
    """The environment variable that :class:`~surveylab.settings.Settings` field ``name`` reads.

    >>> lab_variable("lab_deadline")
    'SURVEYLAB_LAB_DEADLINE'
    """
    if name not in Settings.model_fields:
        raise ValueError(f"{name!r} is not a field of surveylab.Settings")
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


@dataclass(frozen=True)
class LabEnvironment:
    """The values a lab receives from the hub; each field is the Settings field that reads it.

    A field left None is not passed. The password never shows in a ``repr``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> lab = LabEnvironment(lab_profile="gpu", lab_deadline=datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
    >>> lab.to_environment()
    {'SURVEYLAB_LAB_PROFILE': 'gpu', 'SURVEYLAB_LAB_DEADLINE': '2030-01-02T03:04:00+00:00'}
    """

    db_user: str | None = None
    db_password: str | None = field(default=None, repr=False)
    lab_profile: str | None = None
    lab_deadline: datetime | None = None
    platform_url: str | None = None
    lab_role: Role | None = None

    #: The fields the hub's authenticators set: the database login.
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("db_user", "db_password")
    #: The fields the hub's spawners set when a lab starts.
    SPAWN: ClassVar[tuple[str, ...]] = ("lab_profile", "lab_deadline", "lab_role")
    #: The fields the hub sets for every lab alike.
    HUB: ClassVar[tuple[str, ...]] = ("platform_url",)

    def __post_init__(self) -> None:
        if self.lab_deadline is not None and self.lab_deadline.utcoffset() is None:
            raise ValueError(
                f"LabEnvironment.lab_deadline {self.lab_deadline.isoformat()} has no time zone; "
                "give an aware datetime (e.g. datetime.now(UTC) + ...)"
            )
        for name in ("db_user", "lab_profile"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ValueError(f"LabEnvironment.{name} must not be empty")

    @classmethod
    def variables(cls, names: Iterable[str] | None = None) -> tuple[str, ...]:
        """The environment variables of the fields ``names`` (default: all of them)."""
        chosen = [f.name for f in fields(cls)] if names is None else list(names)
        return tuple(lab_variable(name) for name in chosen)

    def to_environment(self) -> dict[str, str]:
        """The lab's environment variables for the fields that are set."""
        values: dict[str, str | None] = {
            "db_user": self.db_user,
            "db_password": self.db_password,
            "lab_profile": self.lab_profile,
            "lab_deadline": self.deadline_text,
            "platform_url": self.platform_url,
            "lab_role": self.lab_role.model_dump_json() if self.lab_role is not None else None,
        }
        return {lab_variable(name): value for name, value in values.items() if value is not None}

    def merged_into(self, environment: Mapping[str, V], names: Iterable[str]) -> dict[str, V | str]:
        """``environment`` with this lab's values of the fields ``names``.

        A field of ``names`` that is None removes its variable: a spawner's ``environment``
        outlives a lab, and no value of the last lab (a deadline) may reach the next one.
        """
        names = tuple(names)
        replaced = set(self.variables(names))
        merged: dict[str, V | str] = {
            key: value for key, value in environment.items() if key not in replaced
        }
        mine = self.to_environment()
        merged.update({key: mine[key] for key in self.variables(names) if key in mine})
        return merged

    @property
    def deadline_text(self) -> str | None:
        """The deadline as the lab receives it and shows it: ISO 8601 in UTC, to the second.

        The seconds are cut, not rounded: the deadline shown is never later than the real one.
        """
        if self.lab_deadline is None:
            return None
        return self.lab_deadline.astimezone(UTC).replace(microsecond=0).isoformat()

    @classmethod
    def from_settings(cls, settings: Settings) -> LabEnvironment:
        """What the hub gave this lab, as its settings read it from the environment."""
        password = settings.db_password
        return cls(
            db_user=(settings.db_user or "").strip() or None,
            db_password=password.get_secret_value() if password is not None else None,
            lab_profile=(settings.lab_profile or "").strip() or None,
            lab_deadline=settings.lab_deadline,
            platform_url=(settings.platform_url or "").strip() or None,
            lab_role=settings.lab_role,
        )

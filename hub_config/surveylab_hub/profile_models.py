"""The lab profiles file: its typed model and its reader, under every other hub module.

:func:`load_profiles` reads and validates ``hub_config/profiles.yaml`` into :class:`Profiles`; any
problem raises :class:`ProfilesError`, whose lines name the file, the profile and the field::

    profiles.yaml: profile 'gpu': cpu must be > 0

Who may choose a profile is not said here but by the roles (``hub_config/roles.yaml``,
:mod:`surveylab.roles`): each role lists the profiles it offers.

Pure data, no jupyterhub: :mod:`surveylab_hub.caps`, :mod:`surveylab_hub.pools` and
:mod:`surveylab_hub.profiles` (the spawners' policy) all build on it. A :class:`Profile` also
says what a lab of it receives when it starts (:meth:`Profile.lab_environment`, through the
core's :class:`~surveylab.labenv.LabEnvironment`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from surveylab.config_file import ConfigFileError, FileLayout, StrictModel, load_config
from surveylab.labenv import LabEnvironment

__all__ = [
    "DEFAULT_PROFILES_PATH",
    "DEFAULT_ROLES_PATH",
    "GPU_RESOURCE",
    "Image",
    "Profile",
    "Profiles",
    "ProfilesError",
    "Toleration",
    "load_profiles",
]

#: The profiles file shipped with the hub configuration.
DEFAULT_PROFILES_PATH = Path(__file__).resolve().parents[1] / "profiles.yaml"

#: The roles file shipped beside it: which roles offer which profiles.
DEFAULT_ROLES_PATH = DEFAULT_PROFILES_PATH.with_name("roles.yaml")

#: The extended resource a GPU profile asks for (NVIDIA device plugin).
GPU_RESOURCE = "nvidia.com/gpu"

_SLUG = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"


class ProfilesError(ConfigFileError):
    """The profiles file is unreadable or invalid; ``problems`` holds one line per problem."""


_LAYOUT = FileLayout(
    shape="a mapping with 'images' and 'profiles'",
    items="profiles",
    key="slug",
    noun="profile",
    sections={"images": "image"},
)


class Image(StrictModel):
    """A lab image a profile may offer as its ``image`` option."""

    display_name: str = Field(min_length=1, description="What the spawn form shows.")
    image: str = Field(min_length=1, description="The container image, pinned by tag.")
    gpu: bool = Field(
        default=False, description="A CUDA image: offered by GPU profiles only, and only by them."
    )


class Toleration(StrictModel):
    """A Kubernetes toleration (``V1Toleration``), e.g. of the GPU nodes' taint."""

    key: str | None = Field(default=None, description="Taint key; None with Exists: all taints.")
    operator: Literal["Exists", "Equal"] = Field(default="Equal", description="Exists or Equal.")
    value: str | None = Field(default=None, description="Taint value (Equal only).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="Taint effect to tolerate; None: all effects."
    )
    toleration_seconds: int | None = Field(
        default=None, ge=0, description="NoExecute only: how long the pod stays after the taint."
    )

    def manifest(self) -> dict[str, Any]:
        """The toleration as in a pod spec (camelCase keys, unset keys left out)."""
        out = {
            "key": self.key,
            "operator": self.operator,
            "value": self.value,
            "effect": self.effect,
            "tolerationSeconds": self.toleration_seconds,
        }
        return {key: value for key, value in out.items() if value is not None}


class Profile(StrictModel):
    """One lab profile: resources, placement, images and time limits."""

    slug: str = Field(pattern=_SLUG, description="Name in user_options: {'profile': slug}.")
    display_name: str = Field(min_length=1, description="What the spawn form shows.")
    description: str = Field(default="", description="One line under the name on the form.")
    default: bool = Field(default=False, description="Chosen when user_options name no profile.")
    cpu: float = Field(gt=0, description="CPU limit in cores.")
    cpu_guarantee: float | None = Field(
        default=None, gt=0, description="CPU the node reserves (default: cpu); at most cpu."
    )
    memory_gib: float = Field(gt=0, description="Memory limit in GiB.")
    memory_guarantee_gib: float | None = Field(
        default=None, gt=0, description="Memory the node reserves (default: memory_gib)."
    )
    gpus: int = Field(default=0, ge=0, description=f"Number of {GPU_RESOURCE}; >0 needs max_hours.")
    node_selector: dict[str, str] = Field(
        default_factory=dict, description="Node labels the lab must run on."
    )
    tolerations: tuple[Toleration, ...] = Field(
        default=(), description="Taints of the nodes the lab may run on."
    )
    images: tuple[str, ...] = Field(
        min_length=1, description="Image slugs offered as the 'image' option; the first is default."
    )
    idle_hours: float = Field(gt=0, description="An idle lab is stopped after this long.")
    max_hours: float | None = Field(
        default=None, gt=0, description="A lab is stopped this long after it starts (None: no cap)."
    )

    @model_validator(mode="after")
    def _check(self) -> Profile:
        problems = []
        if self.cpu_guarantee is not None and self.cpu_guarantee > self.cpu:
            problems.append(f"cpu_guarantee must be <= cpu ({self.cpu:g})")
        if self.memory_guarantee_gib is not None and self.memory_guarantee_gib > self.memory_gib:
            problems.append(f"memory_guarantee_gib must be <= memory_gib ({self.memory_gib:g})")
        if self.gpus and self.max_hours is None:
            problems.append("max_hours is required for a GPU profile (gpus > 0)")
        if len(set(self.images)) != len(self.images):
            problems.append("images lists an image twice")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def max_seconds(self) -> int | None:
        """``max_hours`` in whole seconds (the pod's ``activeDeadlineSeconds``), or None."""
        return None if self.max_hours is None else round(self.max_hours * 3600)

    @property
    def idle_seconds(self) -> int:
        """``idle_hours`` in whole seconds, for the culler."""
        return round(self.idle_hours * 3600)

    def deadline(self, started: datetime) -> datetime | None:
        """When a lab of this profile started at ``started`` is stopped (None: no cap)."""
        if self.max_seconds is None:
            return None
        return started + timedelta(seconds=self.max_seconds)

    def lab_environment(self, started: datetime) -> LabEnvironment:
        """What a lab of this profile started at ``started`` (aware) receives: its profile and,
        for a capped profile, its deadline."""
        return LabEnvironment(lab_profile=self.slug, lab_deadline=self.deadline(started))


class Profiles(StrictModel):
    """The whole profiles file: the images, and the profiles in form order."""

    images: dict[str, Image] = Field(min_length=1, description="Lab images by slug.")
    profiles: tuple[Profile, ...] = Field(min_length=1, description="Profiles in form order.")
    max_gpu_labs: int | None = Field(
        default=None,
        ge=1,
        description="Most labs of GPU profiles (gpus > 0) running at once, hub-wide; None: no cap.",
    )

    @model_validator(mode="after")
    def _check(self) -> Profiles:
        problems = []
        seen: set[str] = set()
        for profile in self.profiles:
            where = f"profile {profile.slug!r}"
            if profile.slug in seen:
                problems.append(f"{where}: slug is used by another profile")
            seen.add(profile.slug)
            for slug in profile.images:
                image = self.images.get(slug)
                if image is None:
                    known = ", ".join(self.images)
                    problems.append(f"{where}: images: unknown image {slug!r} (known: {known})")
                elif image.gpu != bool(profile.gpus):
                    kind, other = ("GPU", "CPU") if profile.gpus else ("CPU", "GPU")
                    problems.append(
                        f"{where}: images: {slug!r} is a {other} image; "
                        f"a {kind} profile offers only {kind} images"
                    )
        defaults = [profile.slug for profile in self.profiles if profile.default]
        if len(defaults) != 1:
            problems.append(f"exactly one profile must have default: true (found {defaults})")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def get(self, slug: str) -> Profile:
        """The profile named ``slug``; KeyError if there is none."""
        for profile in self.profiles:
            if profile.slug == slug:
                return profile
        raise KeyError(slug)

    @property
    def default_profile(self) -> Profile:
        """The profile with ``default: true``."""
        return next(profile for profile in self.profiles if profile.default)


def load_profiles(path: str | Path = DEFAULT_PROFILES_PATH) -> Profiles:
    """Read and validate a profiles file.

    Raises
    ------
    ProfilesError
        The file is missing, is not YAML, or breaks a rule; each line of the message names the
        file, the profile and the field.
    """
    return load_config(path, Profiles, _LAYOUT, ProfilesError)

"""Lab profiles: one YAML file (``hub_config/profiles.yaml``) for KubeSpawner and the local spawner.

:func:`load_profiles` reads and validates the file into :class:`Profiles`; any problem raises
:class:`ProfilesError`, whose lines name the file, the profile and the field::

    profiles.yaml: profile 'gpu': cpu must be > 0

Pure functions then build what the spawners need:

- :func:`kubespawner_profile_list` gives KubeSpawner's ``profile_list`` for a user in some groups;
- :func:`profile_list_for` is the callable ``profile_list`` (bind ``profiles`` with
  :func:`functools.partial`): it reads the user's hub groups from the spawner;
- :func:`check_user_options` turns an unknown profile or image in ``user_options`` into a clear
  :class:`UnknownChoiceError` (KubeSpawner itself raises a bare ``KeyError`` for an unknown image);
- :func:`spawn_profile` is the whole spawn-time policy of both spawners: a workshop pool user
  gets only the pool's profile and only while the pool is open, and the pool's seats and the
  hub's ``max_gpu_labs`` cap concurrent labs (:mod:`surveylab_hub.caps`);
- :func:`configure_kubespawner` fills the traitlets ``Config``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from surveylab_hub.caps import SpawnRefusedError, admit, record_profile
from surveylab_hub.pools import Pool, PoolStore

__all__ = [
    "DEFAULT_PROFILES_PATH",
    "GPU_RESOURCE",
    "Image",
    "Profile",
    "Profiles",
    "ProfilesError",
    "Toleration",
    "UnknownChoiceError",
    "check_spawner_options",
    "check_user_options",
    "configure_kubespawner",
    "kubespawner_profile",
    "kubespawner_profile_list",
    "load_profiles",
    "profile_list_for",
    "spawn_profile",
    "visible_profiles",
]

#: The profiles file shipped with the hub configuration.
DEFAULT_PROFILES_PATH = Path(__file__).resolve().parents[1] / "profiles.yaml"

#: The extended resource a GPU profile asks for (NVIDIA device plugin).
GPU_RESOURCE = "nvidia.com/gpu"

_GIB = 1024**3
_SLUG = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"


class ProfilesError(ValueError):
    """The profiles file is unreadable or invalid; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = [f"{source}: {problem}" for problem in problems]
        super().__init__("\n".join(self.problems))


class UnknownChoiceError(ValueError):
    """``user_options`` name a profile or image the user may not choose."""


class _Model(BaseModel):
    # An unknown key is a typo, not something to ignore.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Image(_Model):
    """A lab image a profile may offer as its ``image`` option."""

    display_name: str = Field(min_length=1, description="What the spawn form shows.")
    image: str = Field(min_length=1, description="The container image, pinned by tag.")
    gpu: bool = Field(
        default=False, description="A CUDA image: offered by GPU profiles only, and only by them."
    )


class Toleration(_Model):
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


class Profile(_Model):
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
    groups: tuple[str, ...] = Field(
        default=(), description="If not empty, only members of one of these hub groups see it."
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

    def visible_to(self, groups: Iterable[str]) -> bool:
        """Whether a member of ``groups`` may see and choose this profile."""
        return not self.groups or not set(self.groups).isdisjoint(groups)


class Profiles(_Model):
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
            if profile.default and profile.groups:
                problems.append(f"{where}: default: the default profile must not have groups")
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


def _problems(error: ValidationError, data: Any) -> list[str]:
    """pydantic's errors as lines naming the profile (by slug, else by position) and field."""
    raw_profiles = data.get("profiles") if isinstance(data, Mapping) else None
    errors = error.errors()
    lines: list[str] = []
    for err in errors:
        loc = list(err["loc"])
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and list(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue  # "must not be empty" only because its items were invalid: they say why
        where = ""
        if len(loc) >= 2 and loc[0] == "profiles" and isinstance(loc[1], int):
            index = loc[1]
            raw = raw_profiles[index] if isinstance(raw_profiles, list) else None
            slug = raw.get("slug") if isinstance(raw, Mapping) else None
            where = f"profile {slug!r}: " if slug else f"profile #{index + 1}: "
            loc = loc[2:]
        elif len(loc) >= 2 and loc[0] == "images":
            where = f"image {loc[1]!r}: "
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        kind, ctx = err["type"], err.get("ctx", {})
        if kind == "missing":
            message = f"{field} is required"
        elif kind == "extra_forbidden":
            message = f"unknown key {field!r}"
        elif kind in ("greater_than", "greater_than_equal"):
            sign = ">" if kind == "greater_than" else ">="
            bound = ctx.get("gt", ctx.get("ge"))
            message = f"{field} must be {sign} {bound:g}"
        elif kind == "too_short":
            message = f"{field} must not be empty"
        elif kind == "value_error":
            text = str(ctx.get("error", err["msg"]))
            prefix = f"{where}{field}: " if field else where
            lines.extend(prefix + line for line in text.splitlines())
            continue
        else:
            message = f"{field}: {err['msg']}" if field else err["msg"]
        lines.append(where + message)
    return lines


def load_profiles(path: str | Path = DEFAULT_PROFILES_PATH) -> Profiles:
    """Read and validate a profiles file.

    Raises
    ------
    ProfilesError
        The file is missing, is not YAML, or breaks a rule; each line of the message names the
        file, the profile and the field.
    """
    path = Path(path)
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfilesError(source, [f"cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfilesError(source, [f"not valid YAML{at}: {problem}"]) from None
    if not isinstance(data, Mapping):
        raise ProfilesError(source, ["must be a mapping with 'images' and 'profiles'"])
    try:
        return Profiles.model_validate(data)
    except ValidationError as exc:
        raise ProfilesError(source, _problems(exc, data)) from None


def visible_profiles(
    profiles: Profiles, *, groups: Iterable[str], pool: Pool | None = None
) -> list[Profile]:
    """The profiles a member of ``groups`` may choose, in form order.

    A user of workshop ``pool`` may choose only the pool's profile, whatever their groups.
    """
    if pool is not None:
        return [profile for profile in profiles.profiles if profile.slug == pool.profile]
    groups = set(groups)
    return [profile for profile in profiles.profiles if profile.visible_to(groups)]


def kubespawner_profile(profiles: Profiles, profile: Profile) -> dict[str, Any]:
    """One entry of KubeSpawner's ``profile_list`` for ``profile``."""
    override: dict[str, Any] = {
        "cpu_limit": profile.cpu,
        "cpu_guarantee": profile.cpu_guarantee or profile.cpu,
        "mem_limit": round(profile.memory_gib * _GIB),
        "mem_guarantee": round((profile.memory_guarantee_gib or profile.memory_gib) * _GIB),
        "environment": {"SURVEYLAB_LAB_PROFILE": profile.slug},
    }
    if profile.gpus:
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpus)}
    if profile.node_selector:
        override["node_selector"] = dict(profile.node_selector)
    if profile.tolerations:
        override["tolerations"] = [toleration.manifest() for toleration in profile.tolerations]
    if profile.max_seconds is not None:
        override["extra_pod_config"] = {"active_deadline_seconds": profile.max_seconds}
        # The deadline itself is known only at spawn time; the lab learns its cap here.
        override["environment"]["SURVEYLAB_LAB_MAX_SECONDS"] = str(profile.max_seconds)
    choices = {
        slug: {
            "display_name": profiles.images[slug].display_name,
            "default": index == 0,
            "kubespawner_override": {"image": profiles.images[slug].image},
        }
        for index, slug in enumerate(profile.images)
    }
    return {
        "display_name": profile.display_name,
        "slug": profile.slug,
        "description": profile.description,
        "default": profile.default,
        "kubespawner_override": override,
        "profile_options": {"image": {"display_name": "Image", "choices": choices}},
    }


def kubespawner_profile_list(
    profiles: Profiles, *, groups: Iterable[str], pool: Pool | None = None
) -> list[dict[str, Any]]:
    """KubeSpawner's ``profile_list`` for a member of ``groups`` (fresh dicts on every call).

    For a user of workshop ``pool`` it holds the pool's profile alone, as the default.
    """
    entries = [
        kubespawner_profile(profiles, p)
        for p in visible_profiles(profiles, groups=groups, pool=pool)
    ]
    if pool is not None:
        for entry in entries:
            entry["default"] = True
    return entries


def _spawner_groups(spawner: Any) -> set[str]:
    return {group.name for group in getattr(spawner.user, "groups", None) or ()}


def _spawner_pool(spawner: Any, pools: PoolStore | None) -> Pool | None:
    return pools.pool_of(spawner.user.name) if pools is not None else None


def profile_list_for(
    spawner: Any, *, profiles: Profiles, pools: PoolStore | None = None
) -> list[dict[str, Any]]:
    """The callable ``KubeSpawner.profile_list``: the profiles ``spawner.user`` may choose.

    Bind the profiles (and the hub's pools) first:
    ``functools.partial(profile_list_for, profiles=profiles, pools=pools)``.
    """
    return kubespawner_profile_list(
        profiles, groups=_spawner_groups(spawner), pool=_spawner_pool(spawner, pools)
    )


def check_user_options(
    profiles: Profiles,
    user_options: Mapping[str, Any],
    *,
    groups: Iterable[str],
    pool: Pool | None = None,
) -> Profile:
    """The profile ``user_options`` choose; refuse one a member of ``groups`` may not choose.

    ``user_options`` use the REST API's short keys (``{"profile": "gpu", "image": "lab-gpu"}``);
    KubeSpawner turns the form's ``profile-option-<profile>--image`` into the same. Missing keys
    mean the defaults and pass; for a user of workshop ``pool`` the default is the pool's
    profile, and no other may be chosen.

    Raises
    ------
    UnknownChoiceError
        A message naming the bad choice and the ones allowed.
    """
    visible = visible_profiles(profiles, groups=groups, pool=pool)
    default = pool.profile if pool is not None else profiles.default_profile.slug
    slug = user_options.get("profile") or default
    profile = next((p for p in visible if p.slug == slug), None)
    if profile is None and pool is not None:
        raise UnknownChoiceError(
            f"profile {slug!r} is not available to the workshop pool {pool.name!r}; "
            f"its labs use profile {pool.profile!r}"
        )
    if profile is None:
        allowed = ", ".join(p.slug for p in visible)
        raise UnknownChoiceError(f"unknown profile {slug!r}; choose one of: {allowed}")
    image = user_options.get("image")
    if image and image not in profile.images:
        allowed = ", ".join(profile.images)
        raise UnknownChoiceError(
            f"profile {slug!r} has no image {image!r}; choose one of: {allowed}"
        )
    return profile


def spawn_profile(
    spawner: Any,
    *,
    profiles: Profiles,
    pools: PoolStore | None = None,
    offered: Iterable[Profile] | None = None,
) -> Profile:
    """The spawn-time policy of both spawners: the profile ``spawner`` may start, admitted.

    A user of an ended workshop pool is refused (403); a profile or image the user may not
    choose, or one not in ``offered`` (what this machine offers), is refused (400); a full pool
    or a full ``max_gpu_labs`` is refused (409). The chosen profile is written back into
    ``user_options``. Every refusal is a :class:`~surveylab_hub.caps.SpawnRefusedError`, whose
    message the user sees.
    """
    pool = _spawner_pool(spawner, pools)
    refusal = pool.refusal() if pool is not None else None
    if refusal:
        raise SpawnRefusedError(refusal, reason="pool-ended", status_code=403)
    groups = _spawner_groups(spawner)
    try:
        profile = check_user_options(profiles, spawner.user_options or {}, groups=groups, pool=pool)
    except UnknownChoiceError as e:
        raise SpawnRefusedError(str(e), reason="profile") from e
    if offered is not None:
        offered = list(offered)
        if profile not in offered:
            allowed = ", ".join(p.slug for p in offered) or "none"
            raise SpawnRefusedError(
                f"profile {profile.slug!r} is not offered on this machine; choose one of: "
                f"{allowed}",
                reason="profile",
            )
    admit(spawner, profile, profiles=profiles, pool=pool)
    record_profile(spawner, profile.slug)
    return profile


def check_spawner_options(
    spawner: Any, *, profiles: Profiles, pools: PoolStore | None = None
) -> None:
    """:func:`spawn_profile` as KubeSpawner's ``pre_spawn_hook``.

    JupyterHub runs the hook before ``start``, so a bad choice fails the spawn with a clear
    message (HTTP 400) before KubeSpawner's ``load_user_options`` would raise a bare
    ``KeyError``, and a full cap fails it before a pod is made.
    """
    spawn_profile(spawner, profiles=profiles, pools=pools)


def configure_kubespawner(
    c: Any,
    profiles: Profiles,
    *,
    namespace: str | None = None,
    environment: Mapping[str, str] | None = None,
    pools_path: str | Path | None = None,
) -> None:
    """Spawn labs as Kubernetes pods with the profiles' form, resources and time caps.

    Parameters
    ----------
    c
        JupyterHub's traitlets ``Config``.
    profiles
        From :func:`load_profiles`; the GPU profile is shown only to its ``groups``.
    namespace
        Namespace of the lab pods (default: KubeSpawner's, the hub's own).
    environment
        Variables for every lab (e.g. ``SURVEYLAB_*``); never credentials, which
        :class:`~surveylab_hub.kube.SurveylabKubeSpawner` moves into a per-user Secret.
    pools_path
        The hub's ``pools.json``: its users see only their pool's profile, within its seats
        (default: no workshop pools).
    """
    pools = PoolStore(pools_path) if pools_path else None
    c.JupyterHub.spawner_class = "surveylab_hub.kube.SurveylabKubeSpawner"
    c.KubeSpawner.profile_list = functools.partial(profile_list_for, profiles=profiles, pools=pools)
    c.KubeSpawner.pre_spawn_hook = functools.partial(
        check_spawner_options, profiles=profiles, pools=pools
    )
    c.KubeSpawner.default_url = "/lab"
    c.KubeSpawner.environment = dict(environment or {})
    if namespace:
        c.KubeSpawner.namespace = namespace

"""Lab profiles: one YAML file (``hub_config/profiles.yaml``) for KubeSpawner and the local spawner.

The file's model and reader (:func:`load_profiles`, :class:`Profiles`, :class:`ProfilesError`)
live in :mod:`surveylab_hub.profile_models` and are re-exported here. Pure functions build what
the spawners need:

- :func:`kubespawner_profile_list` gives KubeSpawner's ``profile_list`` for a user in some groups:
  the profiles their role (:mod:`surveylab.roles`, ``hub_config/roles.yaml``) offers;
- :func:`profile_list_for` is the callable ``profile_list`` (bind ``profiles`` with
  :func:`functools.partial`): it reads the user's hub groups from the spawner;
- :func:`check_user_options` turns an unknown profile or image in ``user_options`` into a clear
  :class:`UnknownChoiceError` (KubeSpawner itself raises a bare ``KeyError`` for an unknown image);
- :func:`spawn_profile` is the whole spawn-time policy of both spawners: a workshop pool user
  gets only the pool's profile and only while the pool is open, and the pool's seats and the
  hub's ``max_gpu_labs`` cap concurrent labs (:mod:`surveylab_hub.caps`); the lab admitted gets
  its profile, deadline and role in its environment (:class:`surveylab.labenv.LabEnvironment`);
- :func:`configure_kubespawner` fills the traitlets ``Config``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from surveylab.labenv import LabEnvironment
from surveylab.roles import Role, RolesConfig, load_roles
from surveylab_hub.caps import SpawnRefusedError, admit, record_profile
from surveylab_hub.pools import WORKSHOP_GROUP, Pool, PoolStore
from surveylab_hub.profile_models import (
    DEFAULT_PROFILES_PATH,
    DEFAULT_ROLES_PATH,
    GPU_RESOURCE,
    Image,
    Profile,
    Profiles,
    ProfilesError,
    Toleration,
    load_profiles,
)

__all__ = [
    "DEFAULT_PROFILES_PATH",
    "DEFAULT_ROLES_PATH",
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
    "shipped_roles",
    "spawn_profile",
    "user_role",
    "visible_profiles",
]

_GIB = 1024**3


class UnknownChoiceError(ValueError):
    """``user_options`` name a profile or image the user may not choose."""


@functools.cache
def shipped_roles() -> RolesConfig:
    """The roles file shipped beside ``profiles.yaml`` (read once), for callers given none."""
    return load_roles(DEFAULT_ROLES_PATH)


def user_role(
    groups: Iterable[str],
    *,
    roles: RolesConfig | None = None,
    pool: Pool | None = None,
    username: str | None = None,
) -> Role:
    """The role of a member of ``groups``: a workshop pool's user is in the ``workshop`` group
    too, whatever the login said (:data:`~surveylab_hub.pools.WORKSHOP_GROUP`)."""
    groups = set(groups) | ({WORKSHOP_GROUP} if pool is not None else set())
    return (roles or shipped_roles()).role_for(groups, username)


def visible_profiles(
    profiles: Profiles,
    *,
    groups: Iterable[str],
    pool: Pool | None = None,
    roles: RolesConfig | None = None,
    username: str | None = None,
) -> list[Profile]:
    """The profiles a member of ``groups`` may choose, in form order: those their role offers
    (``roles``; default: the shipped ``roles.yaml``).

    A user of workshop ``pool`` may choose only the pool's profile, whatever their role.
    """
    if pool is not None:
        return [profile for profile in profiles.profiles if profile.slug == pool.profile]
    offered = user_role(groups, roles=roles, username=username).profiles
    return [profile for profile in profiles.profiles if profile.slug in offered]


def _default_slug(profiles: Profiles, visible: list[Profile]) -> str | None:
    """The profile chosen when none is named: the file's default if visible, else the first."""
    if profiles.default_profile in visible:
        return profiles.default_profile.slug
    return visible[0].slug if visible else None


def kubespawner_profile(profiles: Profiles, profile: Profile) -> dict[str, Any]:
    """One entry of KubeSpawner's ``profile_list`` for ``profile``."""
    override: dict[str, Any] = {
        "cpu_limit": profile.cpu,
        "cpu_guarantee": profile.cpu_guarantee or profile.cpu,
        "mem_limit": round(profile.memory_gib * _GIB),
        "mem_guarantee": round((profile.memory_guarantee_gib or profile.memory_gib) * _GIB),
    }
    if profile.gpus:
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpus)}
    if profile.node_selector:
        override["node_selector"] = dict(profile.node_selector)
    if profile.tolerations:
        override["tolerations"] = [toleration.manifest() for toleration in profile.tolerations]
    if profile.max_seconds is not None:
        # The lab's deadline is known only at spawn time: spawn_profile gives it to the lab.
        override["extra_pod_config"] = {"active_deadline_seconds": profile.max_seconds}
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
    profiles: Profiles,
    *,
    groups: Iterable[str],
    pool: Pool | None = None,
    roles: RolesConfig | None = None,
    username: str | None = None,
) -> list[dict[str, Any]]:
    """KubeSpawner's ``profile_list`` for a member of ``groups`` (fresh dicts on every call):
    the profiles their role offers, the default one marked.

    For a user of workshop ``pool`` it holds the pool's profile alone, as the default.
    """
    visible = visible_profiles(profiles, groups=groups, pool=pool, roles=roles, username=username)
    default = _default_slug(profiles, visible)
    entries = [kubespawner_profile(profiles, p) for p in visible]
    for entry in entries:
        entry["default"] = entry["slug"] == default
    return entries


def _spawner_groups(spawner: Any) -> set[str]:
    return {group.name for group in getattr(spawner.user, "groups", None) or ()}


def _spawner_pool(spawner: Any, pools: PoolStore | None) -> Pool | None:
    return pools.pool_of(spawner.user.name) if pools is not None else None


def profile_list_for(
    spawner: Any,
    *,
    profiles: Profiles,
    pools: PoolStore | None = None,
    roles: RolesConfig | None = None,
) -> list[dict[str, Any]]:
    """The callable ``KubeSpawner.profile_list``: the profiles ``spawner.user`` may choose.

    Bind the profiles (and the hub's pools and roles) first:
    ``functools.partial(profile_list_for, profiles=profiles, pools=pools, roles=roles)``.
    """
    return kubespawner_profile_list(
        profiles,
        groups=_spawner_groups(spawner),
        pool=_spawner_pool(spawner, pools),
        roles=roles,
        username=spawner.user.name,
    )


def check_user_options(
    profiles: Profiles,
    user_options: Mapping[str, Any],
    *,
    groups: Iterable[str],
    pool: Pool | None = None,
    roles: RolesConfig | None = None,
    username: str | None = None,
) -> Profile:
    """The profile ``user_options`` choose; refuse one a member of ``groups`` may not choose
    (one their role does not offer).

    ``user_options`` use the REST API's short keys (``{"profile": "gpu", "image": "lab-gpu"}``);
    KubeSpawner turns the form's ``profile-option-<profile>--image`` into the same. Missing keys
    mean the defaults and pass; for a user of workshop ``pool`` the default is the pool's
    profile, and no other may be chosen.

    Raises
    ------
    UnknownChoiceError
        A message naming the bad choice and the ones allowed.
    """
    visible = visible_profiles(profiles, groups=groups, pool=pool, roles=roles, username=username)
    default = pool.profile if pool is not None else _default_slug(profiles, visible)
    slug = user_options.get("profile") or default
    profile = next((p for p in visible if p.slug == slug), None)
    if profile is None and pool is not None:
        raise UnknownChoiceError(
            f"profile {slug!r} is not available to the workshop pool {pool.name!r}; "
            f"its labs use profile {pool.profile!r}"
        )
    if profile is None:
        allowed = ", ".join(p.slug for p in visible)
        known = any(p.slug == slug for p in profiles.profiles)
        if known:
            role = user_role(groups, roles=roles, username=username)
            raise UnknownChoiceError(
                f"your role {role.name!r} does not offer profile {slug!r}; choose one of: {allowed}"
            )
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
    roles: RolesConfig | None = None,
    templated: bool = False,
) -> Profile:
    """The spawn-time policy of both spawners: the profile ``spawner`` may start, admitted.

    A user of an ended workshop pool is refused (403); a profile or image the user may not
    choose, or one not in ``offered`` (what this machine offers), is refused (400); a full pool
    or a full ``max_gpu_labs`` is refused (409). Every refusal is a
    :class:`~surveylab_hub.caps.SpawnRefusedError`, whose message the user sees.

    The admitted profile is written back into ``user_options``, and the lab's profile,
    deadline (now + ``max_hours``) and the user's role (``roles``) into ``spawner.environment``
    (:meth:`~surveylab.labenv.LabEnvironment.merged_into`: a deadline of the last lab goes).
    ``templated``: the spawner formats its environment's values as templates (KubeSpawner's
    ``{username}``), so braces are doubled.
    """
    pool = _spawner_pool(spawner, pools)
    refusal = pool.refusal() if pool is not None else None
    if refusal:
        raise SpawnRefusedError(refusal, reason="pool-ended", status_code=403)
    groups = _spawner_groups(spawner)
    username = spawner.user.name
    try:
        profile = check_user_options(
            profiles,
            spawner.user_options or {},
            groups=groups,
            pool=pool,
            roles=roles,
            username=username,
        )
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
    role = user_role(groups, roles=roles, pool=pool, username=username)
    lab = dataclasses.replace(profile.lab_environment(started=datetime.now(UTC)), lab_role=role)
    environment = lab.merged_into(spawner.environment, LabEnvironment.SPAWN)
    if templated:  # KubeSpawner formats every value: the role's JSON braces are escaped
        for name in lab.variables(LabEnvironment.SPAWN):
            value = environment.get(name)
            if isinstance(value, str):
                environment[name] = value.replace("{", "{{").replace("}", "}}")
    spawner.environment = environment
    return profile


def check_spawner_options(
    spawner: Any,
    *,
    profiles: Profiles,
    pools: PoolStore | None = None,
    roles: RolesConfig | None = None,
) -> None:
    """:func:`spawn_profile` as KubeSpawner's ``pre_spawn_hook``.

    JupyterHub runs the hook before ``start``, so a bad choice fails the spawn with a clear
    message (HTTP 400) before KubeSpawner's ``load_user_options`` would raise a bare
    ``KeyError``, and a full cap fails it before a pod is made. The lab's profile and deadline
    go into ``spawner.environment`` here, just before the pod manifest is made: the pod's
    ``activeDeadlineSeconds`` counts from a later moment, so the lab's deadline is never late.
    """
    spawn_profile(spawner, profiles=profiles, pools=pools, roles=roles, templated=True)


def configure_kubespawner(
    c: Any,
    profiles: Profiles,
    *,
    namespace: str | None = None,
    environment: Mapping[str, str] | None = None,
    pools_path: str | Path | None = None,
    roles: RolesConfig | None = None,
) -> None:
    """Spawn labs as Kubernetes pods with the profiles' form, resources and time caps.

    Parameters
    ----------
    c
        JupyterHub's traitlets ``Config``.
    profiles
        From :func:`load_profiles`.
    namespace
        Namespace of the lab pods (default: KubeSpawner's, the hub's own).
    environment
        Variables for every lab (e.g. ``SURVEYLAB_*``); never credentials, which
        :class:`~surveylab_hub.kube.SurveylabKubeSpawner` moves into a per-user Secret.
    pools_path
        The hub's ``pools.json``: its users see only their pool's profile, within its seats
        (default: no workshop pools).
    roles
        From :func:`surveylab.roles.load_roles`: which profiles each role offers, and the role
        each lab gets (default: the shipped ``roles.yaml``).
    """
    pools = PoolStore(pools_path) if pools_path else None
    c.JupyterHub.spawner_class = "surveylab_hub.kube.SurveylabKubeSpawner"
    c.KubeSpawner.profile_list = functools.partial(
        profile_list_for, profiles=profiles, pools=pools, roles=roles
    )
    c.KubeSpawner.pre_spawn_hook = functools.partial(
        check_spawner_options, profiles=profiles, pools=pools, roles=roles
    )
    c.KubeSpawner.default_url = "/lab"
    c.KubeSpawner.environment = dict(environment or {})
    if namespace:
        c.KubeSpawner.namespace = namespace

"""Caps on concurrent labs, checked in the hub process when a lab is about to start.

Two caps: the seats of a workshop pool (labs of the pool's users running at once) and
``max_gpu_labs`` of ``profiles.yaml`` (GPU labs hub-wide). :func:`admit` counts the labs the hub
holds in memory (``spawner.user.settings["users"]``, JupyterHub's ``UserDict``, which has every
user with an active server) and refuses with :class:`SpawnRefusedError`, whose message the user
sees on the spawn page and in the REST API's answer.

A lab counts from the moment it is admitted until it has stopped: running (``ready``), or
starting or stopping after :func:`admit` let it through. Check and mark run with no ``await`` in
between, so concurrent spawns in the one hub event loop are admitted one at a time and never
overshoot a cap. Spawns still waiting for admission do not count against each other. Both
spawners call it: :class:`~surveylab_hub.spawner.ProfileLocalSpawner` in ``start`` and KubeSpawner
through the pre-spawn hook of :func:`surveylab_hub.profiles.check_spawner_options`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jupyterhub.spawner import SpawnException

if TYPE_CHECKING:
    from surveylab_hub.pools import Pool
    from surveylab_hub.profile_models import Profile, Profiles

__all__ = [
    "SpawnRefusedError",
    "admit",
    "counted_labs",
    "hub_spawners",
    "lab_profile",
    "record_profile",
]

#: Where a spawner remembers the server it was admitted for (an ``orm.Server``).
_ADMITTED = "_surveylab_admitted_server"


class SpawnRefusedError(SpawnException):  # type: ignore[misc]  # jupyterhub has no type hints
    """A spawn refused by a surveylab rule; JupyterHub shows ``message`` with ``status_code``."""

    def __init__(self, message: str, *, reason: str, status_code: int = 400) -> None:
        super().__init__(message, reason=reason, status_code=status_code)


def _server_key(spawner: Any) -> Any:
    orm_spawner = getattr(spawner, "orm_spawner", None)
    if orm_spawner is not None:
        return orm_spawner.server
    return getattr(spawner, "server", None)


def hub_spawners(spawner: Any) -> Iterator[Any]:
    """Every spawner the hub holds in memory, but ``spawner`` itself."""
    users = (getattr(spawner.user, "settings", None) or {}).get("users") or {}
    for user in list(users.values()):
        for other in list(user.spawners.values()):
            if other is not spawner:
                yield other


def _holds_lab(spawner: Any) -> bool:
    if spawner.ready:
        return True
    key = _server_key(spawner)
    return bool(spawner.pending) and key is not None and getattr(spawner, _ADMITTED, None) is key


def counted_labs(spawner: Any) -> list[Any]:
    """The other spawners whose labs count against the caps (see the module's docstring)."""
    return [other for other in hub_spawners(spawner) if _holds_lab(other)]


def lab_profile(spawner: Any, profiles: Profiles) -> Profile:
    """The profile of a spawner's lab, from its ``user_options`` (default profile if unknown)."""
    slug = (spawner.user_options or {}).get("profile")
    try:
        return profiles.get(str(slug)) if slug else profiles.default_profile
    except KeyError:
        return profiles.default_profile


def admit(spawner: Any, profile: Profile, *, profiles: Profiles, pool: Pool | None) -> None:
    """Let ``spawner`` start a lab of ``profile``, or raise :class:`SpawnRefusedError` (409).

    ``pool`` is the workshop pool of the spawner's user (None for other users).
    """
    others = counted_labs(spawner)
    if pool is not None:
        in_pool = sum(1 for other in others if other.user.name in pool.users)
        if in_pool >= pool.seats:
            raise SpawnRefusedError(
                f"all {pool.seats} seats of the workshop pool {pool.name!r} are in use; "
                "try again when another participant has stopped their lab",
                reason="pool-seats",
                status_code=409,
            )
    limit = profiles.max_gpu_labs
    if profile.gpus and limit is not None:
        gpu_labs = sum(1 for other in others if lab_profile(other, profiles).gpus)
        if gpu_labs >= limit:
            raise SpawnRefusedError(
                f"all {limit} GPU labs are in use; try again later or choose a CPU profile",
                reason="gpu-capacity",
                status_code=409,
            )
    setattr(spawner, _ADMITTED, _server_key(spawner))


def record_profile(spawner: Any, slug: str) -> None:
    """Write the profile a lab runs into its ``user_options``, where the culler and caps read it.

    A pool user who chose nothing gets the pool's profile, which need not be the default.
    """
    options = dict(spawner.user_options or {})
    if options.get("profile") == slug:
        return
    options["profile"] = slug
    spawner.user_options = options
    orm_spawner = getattr(spawner, "orm_spawner", None)
    if orm_spawner is not None:
        orm_spawner.user_options = options

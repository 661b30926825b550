"""The local spawner: one process per user, with the same profile form as on Kubernetes.

Locally a profile cannot reserve CPUs or pick an image; what it can apply is applied: the memory
and CPU limits are passed to the lab (``MEM_LIMIT``/``CPU_LIMIT``, as JupyterHub does), the lab
learns its profile, its role and, for capped profiles (GPU), its deadline
(``SURVEYLAB_LAB_PROFILE``, ``SURVEYLAB_LAB_ROLE``, ``SURVEYLAB_LAB_DEADLINE``:
:class:`surveylab.labenv.LabEnvironment`). A user is offered the profiles their role offers
(``roles.yaml``); GPU profiles only where a GPU is present, unless
``ProfileLocalSpawner.offer_gpu`` forces it.

A workshop pool user is offered only the pool's profile. At ``start`` the spawn-time policy of
:func:`surveylab_hub.profiles.spawn_profile` runs, as KubeSpawner's pre-spawn hook does there:
ended pools, forbidden choices, full pool seats and a full ``max_gpu_labs`` are refused with a
message the user sees.
"""

from __future__ import annotations

import os
import shutil
from html import escape
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, Unicode, default

from surveylab.roles import RolesConfig, load_roles
from surveylab_hub.caps import SpawnRefusedError
from surveylab_hub.pools import Pool, PoolStore, pool_store
from surveylab_hub.profiles import (
    DEFAULT_PROFILES_PATH,
    DEFAULT_ROLES_PATH,
    Profile,
    Profiles,
    UnknownChoiceError,
    check_user_options,
    load_profiles,
    spawn_profile,
    visible_profiles,
)

__all__ = ["ProfileLocalSpawner", "gpu_present", "profile_form"]

#: Device files and commands that tell a GPU is on this machine.
GPU_DEVICE = Path("/dev/nvidia0")


def gpu_present() -> bool:
    """Whether this machine has an NVIDIA GPU (a device file or ``nvidia-smi``)."""
    return GPU_DEVICE.exists() or shutil.which("nvidia-smi") is not None


def profile_form(profiles: list[Profile], all_profiles: Profiles) -> str:
    """The spawn form: one radio button per profile, with its images as a select."""
    rows = []
    first = not any(profile.default for profile in profiles)  # the role lacks the default
    for index, profile in enumerate(profiles):
        checked = " checked" if profile.default or (first and index == 0) else ""
        options = "".join(
            f'<option value="{escape(slug)}">{escape(all_profiles.images[slug].display_name)}'
            "</option>"
            for slug in profile.images
        )
        rows.append(
            f'<label class="surveylab-profile" style="display:block;margin:0.5em 0">'
            f'<input type="radio" name="profile" value="{escape(profile.slug)}"{checked}> '
            f"<strong>{escape(profile.display_name)}</strong> "
            f"<span>{escape(profile.description)}</span> "
            f'<select name="image-{escape(profile.slug)}">{options}</select></label>'
        )
    return "".join(rows)


class ProfileLocalSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]  # untyped base
    """``SimpleLocalProcessSpawner`` with surveylab's lab profiles."""

    environment: dict[str, Any]  # Spawner.environment, a trait of the untyped base: for mypy

    profiles_path = Unicode(
        str(DEFAULT_PROFILES_PATH),
        config=True,
        help="""The lab profiles file (YAML), the same one KubeSpawner's profile_list is built
        from. A malformed file stops the hub at start with a message naming the problem.""",
    )
    offer_gpu = Bool(
        None,
        allow_none=True,
        config=True,
        help="""Offer GPU profiles: None (default) when this machine has an NVIDIA GPU, True to
        offer them anyway (for testing the form), False never. The roles still apply.""",
    )
    roles_path = Unicode(
        str(DEFAULT_ROLES_PATH),
        config=True,
        help="""The roles file (YAML, beside profiles_path): which profiles each role offers,
        and the role each lab gets (SURVEYLAB_LAB_ROLE). A malformed file, or one naming a
        profile the profiles file lacks, stops the spawn with a message naming the problem.""",
    )

    pools_path = Unicode(
        "",
        config=True,
        help="""The hub's workshop pools file (`<state dir>/pools.json`, written by
        `surveylab pool`). Its users are offered only their pool's profile, and no more of
        their labs run at once than the pool has seats. Empty (default): no pools.""",
    )

    @default("offer_gpu")
    def _default_offer_gpu(self) -> bool | None:
        return None

    @property
    def pool_store(self) -> PoolStore | None:
        """The workshop pools at `pools_path`, or None without pools."""
        return pool_store(self.pools_path)

    def pool(self) -> Pool | None:
        """The workshop pool of this spawner's user, if any."""
        store = self.pool_store
        return store.pool_of(self.user.name) if store is not None else None

    @property
    def profiles(self) -> Profiles:
        """The profiles file, read once."""
        if not hasattr(self, "_profiles"):
            self._profiles = load_profiles(Path(self.profiles_path))
        return self._profiles

    @property
    def roles(self) -> RolesConfig:
        """The roles file, read once and checked against the profiles."""
        if not hasattr(self, "_roles"):
            slugs = [profile.slug for profile in self.profiles.profiles]
            self._roles = load_roles(Path(self.roles_path), slugs)
        return self._roles

    def _groups(self) -> set[str]:
        return {group.name for group in getattr(self.user, "groups", [])}

    def offered(self) -> list[Profile]:
        """The profiles this user may choose on this machine."""
        gpu = gpu_present() if self.offer_gpu is None else self.offer_gpu
        return [
            profile
            for profile in visible_profiles(
                self.profiles,
                groups=self._groups(),
                pool=self.pool(),
                roles=self.roles,
                username=self.user.name,
            )
            if gpu or not profile.gpus
        ]

    @default("options_form")
    def _default_options_form(self) -> Any:
        return lambda spawner: profile_form(spawner.offered(), spawner.profiles)

    def options_from_form(self, formdata: dict[str, list[str]]) -> dict[str, str]:
        """``{"profile": slug, "image": slug}`` from the form (the REST API's short keys)."""
        profile = (formdata.get("profile") or [""])[0]
        options = {"profile": profile} if profile else {}
        image = (formdata.get(f"image-{profile}") or [""])[0]
        if image:
            options["image"] = image
        return options

    def chosen_profile(self) -> Profile:
        """The profile of ``user_options``, checked against what this user may choose here.

        Raises :class:`~surveylab_hub.caps.SpawnRefusedError` (HTTP 400) for a bad choice.
        """
        try:
            profile = check_user_options(
                self.profiles,
                self.user_options or {},
                groups=self._groups(),
                pool=self.pool(),
                roles=self.roles,
                username=self.user.name,
            )
        except UnknownChoiceError as e:
            raise SpawnRefusedError(str(e), reason="profile") from e
        offered = self.offered()
        if profile not in offered:
            allowed = ", ".join(p.slug for p in offered) or "none"
            raise SpawnRefusedError(
                f"profile {profile.slug!r} is not offered here; choose one of: {allowed}",
                reason="profile",
            )
        return profile

    def get_env(self) -> dict[str, str]:
        """The lab's environment, with the lab's own ``bin`` folder first on ``PATH``: commands of
        its environment (``surveylab sql``, ``jupyter``) work in its terminals even when the hub
        was started without activating that environment."""
        env: dict[str, str] = super().get_env()
        if self.cmd:
            lab_bin = str(Path(self.cmd[0]).parent)
            env["PATH"] = os.pathsep.join([lab_bin, env.get("PATH") or os.defpath])
        return env

    async def start(self) -> Any:
        """Admit the chosen profile (pool and GPU caps), apply it, then start the lab process.

        :func:`~surveylab_hub.profiles.spawn_profile` also puts the lab's profile, role and
        deadline into `environment`, as it does for KubeSpawner.
        """
        profile = spawn_profile(
            self,
            profiles=self.profiles,
            pools=self.pool_store,
            offered=self.offered(),
            roles=self.roles,
        )
        self.mem_limit = round(profile.memory_gib * 2**30)
        self.cpu_limit = profile.cpu
        return await super().start()

"""Spawn-time policy: the pool's profile, pool seats and the GPU cap, as tables over real spawners.

The spawners are real ``ProfileLocalSpawner`` objects whose user stands in for JupyterHub's
``User`` (name, groups and the hub's ``settings["users"]``); only their server state (``ready``,
``pending``) is set by hand, as the hub would set it. The same checks on a real hub are in
``test_pools_e2e.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher

from surveylab_hub.caps import SpawnRefusedError, admit, counted_labs, lab_profile
from surveylab_hub.pools import PoolStore
from surveylab_hub.profiles import (
    DEFAULT_PROFILES_PATH,
    Profiles,
    ProfilesError,
    load_profiles,
    profile_list_for,
    spawn_profile,
)
from surveylab_hub.spawner import ProfileLocalSpawner
from surveylab_hub.store import CredentialStore

SHIPPED = load_profiles()
GPU_MESSAGE = "all {n} GPU labs are in use; try again later or choose a CPU profile"


def with_gpu_cap(limit: int | None) -> Profiles:
    return SHIPPED.model_copy(update={"max_gpu_labs": limit})


class Hub:
    """The hub's in-memory users, as ``spawner.user.settings["users"]`` holds them."""

    def __init__(self, pools_path: Path | None = None) -> None:
        self.users: dict[int, SimpleNamespace] = {}
        self.pools_path = pools_path

    def spawner(
        self,
        name: str,
        profile: str | None = None,
        *,
        state: str = "new",
        groups: tuple[str, ...] = (),
    ) -> ProfileLocalSpawner:
        """A spawner of user ``name``: ``new``, ``running``, ``starting`` or ``stopped``."""
        user = SimpleNamespace(
            name=name,
            url=f"/user/{name}/",
            groups=[SimpleNamespace(name=group) for group in groups],
            settings={"users": self.users},
            spawners={},
        )
        spawner = ProfileLocalSpawner(
            user=user, offer_gpu=True, pools_path=str(self.pools_path or "")
        )
        spawner.user_options = {"profile": profile} if profile else {}
        user.spawners[""] = spawner
        self.users[len(self.users) + 1] = user
        set_state(spawner, state)
        return spawner


def set_state(spawner: ProfileLocalSpawner, state: str) -> None:
    """Give ``spawner`` the server state the hub would: a server while starting or running."""
    spawner.server = SimpleNamespace() if state in ("running", "starting") else None
    spawner._spawn_pending = state == "starting"
    if state == "starting":  # admitted earlier in its own start()
        admit(spawner, lab_profile(spawner, SHIPPED), profiles=SHIPPED, pool=None)


@pytest.mark.parametrize(
    ("limit", "others", "request_profile", "refused"),
    [
        pytest.param(None, [("gpu", "running")] * 3, "gpu", False, id="no-cap"),
        pytest.param(1, [], "gpu", False, id="first-gpu-lab"),
        pytest.param(1, [("gpu", "running")], "gpu", True, id="one-running"),
        pytest.param(1, [("gpu", "starting")], "gpu", True, id="one-starting"),
        pytest.param(1, [("gpu", "stopped")], "gpu", False, id="stopped-labs-free-the-gpu"),
        pytest.param(
            2, [("gpu", "running"), ("small", "running")], "gpu", False, id="cpu-not-counted"
        ),
        pytest.param(2, [("gpu", "running"), ("gpu", "starting")], "gpu", True, id="two-of-two"),
        pytest.param(1, [("gpu", "running")], "small", False, id="cpu-lab-when-gpus-full"),
        pytest.param(1, [("gpu", "new")], "gpu", False, id="unadmitted-spawn-not-counted"),
    ],
)
def test_gpu_cap(
    limit: int | None, others: list[tuple[str, str]], request_profile: str, refused: bool
) -> None:
    hub = Hub()
    for index, (profile, state) in enumerate(others):
        hub.spawner(f"u{index}", profile, state=state)
    spawner = hub.spawner("ada", request_profile, groups=("gpu",))
    profiles = with_gpu_cap(limit)
    if refused:
        with pytest.raises(SpawnRefusedError) as caught:
            spawn_profile(spawner, profiles=profiles)
        assert caught.value.status_code == 409
        assert caught.value.message == GPU_MESSAGE.format(n=limit)
    else:
        assert spawn_profile(spawner, profiles=profiles).slug == request_profile


def test_concurrent_spawns_are_admitted_one_at_a_time() -> None:
    """Both pending at once: the first admitted counts for the second, whichever it is."""
    hub = Hub()
    first = hub.spawner("a", "gpu", groups=("gpu",))
    second = hub.spawner("b", "gpu", groups=("gpu",))
    for spawner in (first, second):  # both spawns under way, neither admitted yet
        spawner.server, spawner._spawn_pending = SimpleNamespace(), True
    profiles = with_gpu_cap(1)
    assert counted_labs(first) == []
    spawn_profile(first, profiles=profiles)
    assert counted_labs(second) == [first]
    with pytest.raises(SpawnRefusedError, match="all 1 GPU labs are in use"):
        spawn_profile(second, profiles=profiles)
    # The first one's start failed: it no longer holds the GPU.
    first.server, first._spawn_pending = None, False
    assert spawn_profile(second, profiles=profiles).slug == "gpu"


@pytest.mark.parametrize(
    ("options", "slug"),
    [
        pytest.param({}, "small", id="none-default"),
        pytest.param({"profile": "gpu"}, "gpu", id="gpu"),
        pytest.param({"profile": "retired"}, "small", id="unknown-default"),
    ],
)
def test_lab_profile(options: dict[str, str], slug: str) -> None:
    assert lab_profile(SimpleNamespace(user_options=options), SHIPPED).slug == slug


# --- workshop pools -------------------------------------------------------------------------------


@pytest.fixture
def pools(tmp_path: Path) -> PoolStore:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    store = PoolStore(
        tmp_path / "pools.json",
        credentials=CredentialStore(tmp_path / "users.json", hasher=cheap),
    )
    for name, profile in (("ws", "medium"), ("gpuws", "gpu")):
        store.create(
            name,
            size=3,
            seats=2,
            profile=profile,
            profiles=SHIPPED,
            expires=datetime.now(UTC) + timedelta(hours=1),
        )
    return store


@pytest.mark.parametrize(
    ("user", "options", "others", "status", "message"),
    [
        pytest.param("ws-01", {}, [], None, "medium", id="pool-profile-by-default"),
        pytest.param("ws-01", {"profile": "medium"}, [], None, "medium", id="pool-profile-chosen"),
        pytest.param(
            "ws-01",
            {"profile": "large"},
            [],
            400,
            "profile 'large' is not available to the workshop pool 'ws'; its labs use profile "
            "'medium'",
            id="other-profile",
        ),
        pytest.param(
            "ws-01",
            {"profile": "medium", "image": "lab-gpu"},
            [],
            400,
            "profile 'medium' has no image 'lab-gpu'",
            id="bad-image",
        ),
        pytest.param(
            "ws-03",
            {},
            [("ws-01", "running"), ("ws-02", "starting")],
            409,
            "all 2 seats of the workshop pool 'ws' are in use; try again when another "
            "participant has stopped their lab",
            id="seats-full",
        ),
        pytest.param(
            "ws-03",
            {},
            [("ws-01", "running"), ("gpuws-01", "running"), ("demo", "running")],
            None,
            "medium",
            id="other-pools-and-users-not-counted",
        ),
        pytest.param("gpuws-01", {}, [], None, "gpu", id="gpu-pool-without-gpu-group"),
        pytest.param(
            "demo",
            {"profile": "medium"},
            [("ws-01", "running")] * 2,
            None,
            "medium",
            id="non-pool-user",
        ),
    ],
)
def test_pool_users_get_their_pools_profile_within_its_seats(
    pools: PoolStore,
    user: str,
    options: dict[str, str],
    others: list[tuple[str, str]],
    status: int | None,
    message: str,
) -> None:
    hub = Hub(pools.path)
    for other, state in others:
        hub.spawner(other, state=state)
    spawner = hub.spawner(user)
    spawner.user_options = options
    if status is None:
        assert spawn_profile(spawner, profiles=SHIPPED, pools=pools).slug == message
        assert spawner.user_options["profile"] == message  # recorded for the culler and caps
    else:
        with pytest.raises(SpawnRefusedError) as caught:
            spawn_profile(spawner, profiles=SHIPPED, pools=pools)
        assert (caught.value.status_code, caught.value.message[: len(message)]) == (status, message)


def test_an_ended_pool_refuses_spawns(pools: PoolStore) -> None:
    pools.end("ws")
    spawner = Hub(pools.path).spawner("ws-01")
    with pytest.raises(SpawnRefusedError) as caught:
        spawn_profile(spawner, profiles=SHIPPED, pools=pools)
    assert caught.value.status_code == 403
    assert caught.value.message.startswith("the workshop pool 'ws' ended at ")


def test_the_local_form_offers_a_pool_user_only_the_pools_profile(pools: PoolStore) -> None:
    hub = Hub(pools.path)
    form = hub.spawner("ws-01").options_form(hub.spawner("ws-02"))
    assert 'value="medium" checked' in form
    assert 'value="small"' not in form
    assert 'value="small"' in hub.spawner("demo").options_form(hub.spawner("demo"))


@pytest.mark.parametrize(
    ("user", "groups", "slugs"),
    [
        pytest.param("ws-01", (), ["medium"], id="pool-user"),
        pytest.param("ws-01", ("gpu",), ["medium"], id="pool-user-in-gpu-group"),
        pytest.param("gpuws-02", (), ["gpu"], id="gpu-pool-user"),
        pytest.param("demo", (), ["small", "medium", "large"], id="other-user"),
    ],
)
def test_kubespawner_profile_list_for_pool_users(
    pools: PoolStore, user: str, groups: tuple[str, ...], slugs: list[str]
) -> None:
    spawner = SimpleNamespace(
        user=SimpleNamespace(name=user, groups=[SimpleNamespace(name=g) for g in groups])
    )
    entries = profile_list_for(spawner, profiles=SHIPPED, pools=pools)
    assert [entry["slug"] for entry in entries] == slugs
    assert sum(entry["default"] for entry in entries) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0", "max_gpu_labs must be >= 1", id="zero"),
        pytest.param("-2", "max_gpu_labs must be >= 1", id="negative"),
        pytest.param("many", "max_gpu_labs: Input should be a valid integer", id="word"),
    ],
)
def test_max_gpu_labs_is_validated(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "profiles.yaml"
    text = DEFAULT_PROFILES_PATH.read_text().replace("max_gpu_labs: 4", f"max_gpu_labs: {value}")
    path.write_text(text)
    with pytest.raises(ProfilesError) as caught:
        load_profiles(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"profiles.yaml: {message}")


def test_shipped_gpu_cap_and_unlimited_default(tmp_path: Path) -> None:
    assert SHIPPED.max_gpu_labs == 4
    path = tmp_path / "profiles.yaml"
    path.write_text(DEFAULT_PROFILES_PATH.read_text().replace("max_gpu_labs: 4\n", ""))
    assert load_profiles(path).max_gpu_labs is None

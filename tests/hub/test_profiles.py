"""Lab profiles: the shipped file, bad files, who sees the GPU profile, and the pod manifests.

The manifests come from a real KubeSpawner with no cluster (``load_config`` patched out; see
STACK.md) and are validated against the Kubernetes 1.30 schemas and the newest ones
kubernetes-validate knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jupyterhub.utils import maybe_future
from kubernetes_asyncio.client import ApiClient
from kubespawner import KubeSpawner
from traitlets.config import Config

from surveylab.roles import Role, RolesConfig
from surveylab_hub.caps import SpawnRefusedError
from surveylab_hub.profiles import (
    DEFAULT_PROFILES_PATH,
    Profiles,
    ProfilesError,
    UnknownChoiceError,
    check_user_options,
    configure_kubespawner,
    kubespawner_profile_list,
    load_profiles,
    profile_list_for,
)

GIB = 1024**3
K8S_VERSIONS = ["1.30", kubernetes_validate.latest_version()]
SHIPPED = load_profiles()
CPU_IMAGES = {
    "lab-cpu": "ghcr.io/surveylab/lab-cpu:2026.11",
    "lab-cpu-previous": "ghcr.io/surveylab/lab-cpu:2026.05",
}
GPU_IMAGES = {"lab-gpu": "ghcr.io/surveylab/lab-gpu:2026.11"}
GPU_SELECTOR = {"nvidia.com/gpu.present": "true"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

#: What the shipped file promises, profile by profile.
EXPECTED: dict[str, dict[str, Any]] = {
    "small": {"cpu": 1, "mem_gib": 2, "gpus": None, "deadline": None, "idle_hours": 8},
    "medium": {"cpu": 2, "mem_gib": 8, "gpus": None, "deadline": None, "idle_hours": 8},
    "large": {"cpu": 4, "mem_gib": 16, "gpus": None, "deadline": None, "idle_hours": 8},
    "gpu": {"cpu": 4, "mem_gib": 24, "gpus": "1", "deadline": 86400, "idle_hours": 1},
}


# --- the shipped file ----------------------------------------------------------------------------


def test_shipped_file_has_the_promised_profiles() -> None:
    assert [p.slug for p in SHIPPED.profiles] == list(EXPECTED)
    assert SHIPPED.default_profile.slug == "small"
    for slug, expected in EXPECTED.items():
        profile = SHIPPED.get(slug)
        assert profile.cpu == expected["cpu"]
        assert profile.memory_gib == expected["mem_gib"]
        assert profile.idle_hours == expected["idle_hours"]
        assert profile.max_seconds == expected["deadline"]
    gpu = SHIPPED.get("gpu")
    assert (gpu.gpus, gpu.images) == (1, ("lab-gpu",))
    assert {image: SHIPPED.images[image].image for image in SHIPPED.images} == {
        **CPU_IMAGES,
        **GPU_IMAGES,
    }


# --- bad files -----------------------------------------------------------------------------------


def _shipped_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_PROFILES_PATH.read_text(encoding="utf-8"))
    return data


def _profile(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(p for p in data["profiles"] if p["slug"] == slug)


Edit = Callable[[dict[str, Any]], object]

BAD_FILES: list[tuple[str, Edit | str, str]] = [
    # (id, an edit of the shipped data or the file's raw text, expected line of the error)
    (
        "missing-cpu",
        lambda d: _profile(d, "small").pop("cpu"),
        "profiles.yaml: profile 'small': cpu is required",
    ),
    (
        "missing-slug",
        lambda d: d["profiles"][1].pop("slug"),
        "profiles.yaml: profile #2: slug is required",
    ),
    (
        "negative-cpu",
        lambda d: _profile(d, "gpu").update(cpu=-1),
        "profiles.yaml: profile 'gpu': cpu must be > 0",
    ),
    (
        "zero-memory",
        lambda d: _profile(d, "large").update(memory_gib=0),
        "profiles.yaml: profile 'large': memory_gib must be > 0",
    ),
    (
        "unknown-key",
        lambda d: _profile(d, "medium").update(cpus=2),
        "profiles.yaml: profile 'medium': unknown key 'cpus'",
    ),
    (
        "unknown-image-key",
        lambda d: d["images"]["lab-cpu"].update(tag="latest"),
        "profiles.yaml: image 'lab-cpu': unknown key 'tag'",
    ),
    (
        "gpu-without-max-hours",
        lambda d: _profile(d, "gpu").pop("max_hours"),
        "profiles.yaml: profile 'gpu': max_hours is required for a GPU profile (gpus > 0)",
    ),
    (
        "duplicate-slug",
        lambda d: _profile(d, "large").update(slug="medium"),
        "profiles.yaml: profile 'medium': slug is used by another profile",
    ),
    (
        "bad-slug",
        lambda d: _profile(d, "large").update(slug="Large Lab"),
        "profiles.yaml: profile 'Large Lab': slug: String should match pattern",
    ),
    (
        "unknown-image",
        lambda d: _profile(d, "large").update(images=["lab-cpu-nightly"]),
        "profiles.yaml: profile 'large': images: unknown image 'lab-cpu-nightly'",
    ),
    (
        "cpu-image-on-gpu-profile",
        lambda d: _profile(d, "gpu").update(images=["lab-gpu", "lab-cpu"]),
        "profiles.yaml: profile 'gpu': images: 'lab-cpu' is a CPU image; a GPU profile offers",
    ),
    (
        "gpu-image-on-cpu-profile",
        lambda d: _profile(d, "medium").update(images=["lab-gpu"]),
        "profiles.yaml: profile 'medium': images: 'lab-gpu' is a GPU image; a CPU profile offers",
    ),
    (
        "guarantee-above-limit",
        lambda d: _profile(d, "small").update(cpu_guarantee=2),
        "profiles.yaml: profile 'small': cpu_guarantee must be <= cpu (1)",
    ),
    (
        "bad-toleration-effect",
        lambda d: _profile(d, "gpu")["tolerations"][0].update(effect="NoScheduling"),
        "profiles.yaml: profile 'gpu': tolerations.0.effect: Input should be 'NoSchedule'",
    ),
    (
        "two-defaults",
        lambda d: _profile(d, "medium").update(default=True),
        "profiles.yaml: exactly one profile must have default: true (found ['small', 'medium'])",
    ),
    (
        "no-profiles",
        lambda d: d.update(profiles=[]),
        "profiles.yaml: profiles must not be empty",
    ),
    (
        "bad-yaml",
        "images:\n  lab-cpu: {display_name: [unclosed\nprofiles: []\n",
        "profiles.yaml: not valid YAML at line 3",
    ),
    ("not-a-mapping", "- small\n- gpu\n", "profiles.yaml: must be a mapping"),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_names_profile_and_field(tmp_path: Path, edit: Edit | str, expected: str) -> None:
    path = tmp_path / "profiles.yaml"
    if isinstance(edit, str):
        path.write_text(edit, encoding="utf-8")
    else:
        data = _shipped_data()
        edit(data)
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProfilesError) as caught:
        load_profiles(path)
    assert any(line.startswith(expected) for line in caught.value.problems), caught.value.problems
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = _shipped_data()
    _profile(data, "gpu").update(cpu=-1, gpus=-2)
    _profile(data, "small").update(colour="blue")
    path = tmp_path / "profiles.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProfilesError) as caught:
        load_profiles(path)
    assert str(caught.value).splitlines() == [
        "profiles.yaml: profile 'small': unknown key 'colour'",
        "profiles.yaml: profile 'gpu': cpu must be > 0",
        "profiles.yaml: profile 'gpu': gpus must be >= 0",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfilesError, match=r"^nothere.yaml: cannot read: No such file"):
        load_profiles(tmp_path / "nothere.yaml")


# --- who sees which profile: the profiles of their role (roles.yaml) -----------------------------

CPU_SLUGS = ["small", "medium", "large"]
VISIBILITY = [
    ("no-groups", set(), CPU_SLUGS),
    ("other-group", {"astro"}, CPU_SLUGS),
    ("gpu-group", {"gpu"}, [*CPU_SLUGS, "gpu"]),
    ("gpu-and-other", {"astro", "gpu"}, [*CPU_SLUGS, "gpu"]),
    ("advanced-role", {"advanced"}, [*CPU_SLUGS, "gpu"]),
    ("limited-role", {"limited"}, ["small"]),
    ("workshop-role", {"workshop"}, ["small"]),
    ("highest-role-wins", {"limited", "advanced"}, [*CPU_SLUGS, "gpu"]),
]


def test_a_role_without_the_default_profile_defaults_to_its_first(tmp_path: Path) -> None:
    roles = RolesConfig.model_validate(
        {"default": "big", "roles": [{"name": "big", "profiles": ["medium", "large"]}]}
    )
    entries = kubespawner_profile_list(SHIPPED, groups=set(), roles=roles)
    assert [(e["slug"], e["default"]) for e in entries] == [("medium", True), ("large", False)]
    assert check_user_options(SHIPPED, {}, groups=set(), roles=roles).slug == "medium"


def _user(name: str, groups: set[str]) -> SimpleNamespace:
    """What KubeSpawner and our callable read of a hub ``User``."""
    return SimpleNamespace(
        name=name,
        id=1,
        url=f"/user/{name}/",
        groups=[SimpleNamespace(name=group) for group in sorted(groups)],
    )


@pytest.mark.parametrize(
    ("groups", "slugs"), [c[1:] for c in VISIBILITY], ids=[c[0] for c in VISIBILITY]
)
def test_profile_list_for_user_groups(groups: set[str], slugs: list[str]) -> None:
    spawner = SimpleNamespace(user=_user("ada", groups))
    assert [p["slug"] for p in profile_list_for(spawner, profiles=SHIPPED)] == slugs
    assert [p["slug"] for p in kubespawner_profile_list(SHIPPED, groups=groups)] == slugs


@pytest.fixture
def make_spawner(monkeypatch: pytest.MonkeyPatch) -> Callable[..., KubeSpawner]:
    """A real KubeSpawner configured by ``configure_kubespawner``, with no cluster or API client.

    Call it inside a running event loop (the tests are ``async def``).
    """
    monkeypatch.setattr("kubespawner.spawner.load_config", lambda **_: None)
    # No API client either: its closing task would outlive the test's event loop.
    monkeypatch.setattr("kubespawner.spawner.shared_client", lambda *_, **__: None)
    c = Config()
    configure_kubespawner(c, SHIPPED, namespace="surveylab", environment={"SURVEYLAB_X": "1"})

    def make(groups: set[str], user_options: dict[str, str] | None = None) -> KubeSpawner:
        spawner = KubeSpawner(_mock=True, config=c, user=_user("ada", groups))
        spawner.user_options = user_options or {}
        return spawner

    return make


@pytest.mark.parametrize(
    ("groups", "slugs"), [c[1:] for c in VISIBILITY], ids=[c[0] for c in VISIBILITY]
)
async def test_spawn_form_shows_gpu_only_to_its_group(
    make_spawner: Callable[..., KubeSpawner], groups: set[str], slugs: list[str]
) -> None:
    spawner = make_spawner(groups)
    form = await spawner._render_options_form_dynamically(spawner)
    assert ('value="gpu"' in form) == ("gpu" in slugs)
    assert 'value="small"' in form


# --- pod manifests -------------------------------------------------------------------------------

MANIFESTS = [
    (slug, image, ref)
    for slug in EXPECTED
    for image, ref in (GPU_IMAGES if slug == "gpu" else CPU_IMAGES).items()
]


def _serialise(pod: Any) -> dict[str, Any]:
    obj: dict[str, Any] = ApiClient().sanitize_for_serialization(pod)
    return {"apiVersion": "v1", "kind": "Pod", **obj}


@pytest.mark.parametrize(
    ("slug", "image", "ref"), MANIFESTS, ids=[f"{s}-{i}" for s, i, _ in MANIFESTS]
)
async def test_pod_manifest(
    make_spawner: Callable[..., KubeSpawner], slug: str, image: str, ref: str
) -> None:
    spawner = make_spawner({"gpu"}, {"profile": slug, "image": image})
    started = datetime.now(UTC)
    await maybe_future(spawner.run_pre_spawn_hook())  # as JupyterHub does before start
    await spawner.load_user_options()
    pod = _serialise(await spawner.get_pod_manifest())
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(pod, version, strict=True)

    expected = EXPECTED[slug]
    spec = pod["spec"]
    (container,) = spec["containers"]
    assert container["image"] == ref
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    assert float(limits["cpu"]) == float(requests["cpu"]) == expected["cpu"]
    assert int(limits["memory"]) == int(requests["memory"]) == expected["mem_gib"] * GIB
    assert limits.get("nvidia.com/gpu") == expected["gpus"]
    assert spec.get("activeDeadlineSeconds") == expected["deadline"]
    if expected["gpus"]:
        assert spec["nodeSelector"] == GPU_SELECTOR
        assert GPU_TOLERATION in spec["tolerations"]
    else:
        assert "nodeSelector" not in spec
        assert GPU_TOLERATION not in spec.get("tolerations", [])

    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SURVEYLAB_LAB_PROFILE"] == slug
    assert env["SURVEYLAB_X"] == "1"
    if expected["deadline"]:
        deadline = datetime.fromisoformat(env["SURVEYLAB_LAB_DEADLINE"])
        cap = timedelta(seconds=expected["deadline"])
        assert started.replace(microsecond=0) + cap <= deadline <= datetime.now(UTC) + cap
    else:
        assert "SURVEYLAB_LAB_DEADLINE" not in env
    # Credentials never travel in the manifest (the lab gets a Secret reference).
    assert not [name for name in env if "PASSWORD" in name]
    assert "password" not in json.dumps(pod).lower()


async def test_no_user_options_spawn_the_default(
    make_spawner: Callable[..., KubeSpawner],
) -> None:
    spawner = make_spawner(set())
    await spawner.load_user_options()
    pod = _serialise(await spawner.get_pod_manifest())
    assert pod["spec"]["containers"][0]["image"] == CPU_IMAGES["lab-cpu"]
    assert int(pod["spec"]["containers"][0]["resources"]["limits"]["memory"]) == 2 * GIB


# --- bad choices in user_options ------------------------------------------------------------------

BAD_CHOICES: list[tuple[str, set[str], dict[str, str], type[Exception], str]] = [
    # (id, groups, user_options, what KubeSpawner alone raises, our message)
    (
        "unknown-profile",
        {"gpu"},
        {"profile": "huge"},
        ValueError,
        "unknown profile 'huge'; choose one of: small, medium, large, gpu",
    ),
    (
        "gpu-outside-group",
        set(),
        {"profile": "gpu", "image": "lab-gpu"},
        ValueError,
        "your role 'default' does not offer profile 'gpu'; choose one of: small, medium, large",
    ),
    (
        "unknown-image",
        set(),
        {"profile": "small", "image": "lab-cpu-nightly"},
        KeyError,
        "profile 'small' has no image 'lab-cpu-nightly'; choose one of: lab-cpu, lab-cpu-previous",
    ),
    (
        "gpu-image-on-cpu-profile",
        {"gpu"},
        {"profile": "large", "image": "lab-gpu"},
        KeyError,
        "profile 'large' has no image 'lab-gpu'; choose one of: lab-cpu, lab-cpu-previous",
    ),
    (
        "image-of-default-profile",
        set(),
        {"image": "lab-gpu"},
        KeyError,
        "profile 'small' has no image 'lab-gpu'",
    ),
]


@pytest.mark.parametrize(
    ("groups", "options", "kubespawner_error", "message"),
    [c[1:] for c in BAD_CHOICES],
    ids=[c[0] for c in BAD_CHOICES],
)
async def test_bad_choice_is_refused_clearly(
    make_spawner: Callable[..., KubeSpawner],
    groups: set[str],
    options: dict[str, str],
    kubespawner_error: type[Exception],
    message: str,
) -> None:
    spawner = make_spawner(groups, options)
    # The pre-spawn hook set by configure_kubespawner runs before start() and says what is
    # wrong, as an HTTP 400 whose message JupyterHub shows on the spawn page and in the REST API.
    with pytest.raises(SpawnRefusedError) as caught:
        spawner.run_pre_spawn_hook()
    assert caught.value.status_code == 400
    assert caught.value.message.startswith(message)
    assert isinstance(caught.value.__cause__, UnknownChoiceError)
    with pytest.raises(UnknownChoiceError):
        check_user_options(SHIPPED, options, groups=groups)
    # KubeSpawner alone: a ValueError for a profile, a bare KeyError for an image.
    with pytest.raises(kubespawner_error):
        await spawner.load_user_options()


@pytest.mark.parametrize(
    ("groups", "options"),
    [
        pytest.param(set(), {}, id="nothing"),
        pytest.param(set(), {"profile": "medium"}, id="profile-only"),
        pytest.param(set(), {"profile": "small", "image": "lab-cpu-previous"}, id="cpu-image"),
        pytest.param({"gpu"}, {"profile": "gpu", "image": "lab-gpu"}, id="gpu"),
    ],
)
def test_good_choices_pass(groups: set[str], options: dict[str, str]) -> None:
    check_user_options(SHIPPED, options, groups=groups)


def test_configure_kubespawner_sets_the_spawner() -> None:
    c = Config()
    configure_kubespawner(c, SHIPPED)
    assert c.JupyterHub.spawner_class == "surveylab_hub.kube.SurveylabKubeSpawner"
    assert c.KubeSpawner.default_url == "/lab"
    assert "namespace" not in c.KubeSpawner
    spawner = SimpleNamespace(
        user=_user("ada", {"gpu"}), user_options={"profile": "gpu"}, environment={"A": "1"}
    )
    assert [p["slug"] for p in c.KubeSpawner.profile_list(spawner)][-1] == "gpu"
    c.KubeSpawner.pre_spawn_hook(spawner)
    assert set(spawner.environment) == {
        "A",
        "SURVEYLAB_LAB_PROFILE",
        "SURVEYLAB_LAB_DEADLINE",
        "SURVEYLAB_LAB_ROLE",
    }
    # KubeSpawner formats each value as a template: the role's braces come out whole
    role = spawner.environment["SURVEYLAB_LAB_ROLE"].format()
    assert Role.model_validate_json(role).name == "advanced"


def test_profile_list_is_fresh_each_call() -> None:
    first = kubespawner_profile_list(SHIPPED, groups={"gpu"})
    first[-1]["kubespawner_override"]["node_selector"]["X"] = "mutated"
    second = kubespawner_profile_list(SHIPPED, groups={"gpu"})
    assert "X" not in second[-1]["kubespawner_override"]["node_selector"]
    assert isinstance(SHIPPED, Profiles)

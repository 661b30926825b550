"""The hub↔lab contract on Kubernetes: what the pod manifest gives the lab is what the lab reads.

A real SurveylabKubeSpawner (no cluster: ``load_config`` and the shared client patched out, see
STACK.md) runs the hub's spawn steps in their order: the authenticator's credentials, the
pre-spawn hook (profile policy and lab environment), ``load_user_options`` and
``get_pod_manifest``. The container's plain ``env`` then becomes the environment of a real
jupyter server (``jp_fetch``), whose ``GET /surveylab/api/lab`` must give the deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pytest
from jupyterhub.utils import maybe_future
from kubernetes_asyncio.client import ApiClient
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

from surveylab_hub.kube import SurveylabKubeSpawner
from surveylab_hub.profiles import configure_kubespawner, load_profiles

SHIPPED = load_profiles()
GPU = SHIPPED.get("gpu")
#: The lab's database login, as the authenticator's pre_spawn_start puts it.
CREDENTIALS = {"SURVEYLAB_DB_USER": "ada", "SURVEYLAB_DB_PASSWORD": "pw-1"}
#: ApiClient's serialiser (camelCase JSON), without the HTTP pool its constructor opens.
_SERIALISER = object.__new__(ApiClient)


def _user(name: str = "ada") -> SimpleNamespace:
    return SimpleNamespace(
        name=name, id=1, url=f"/user/{name}/", groups=[SimpleNamespace(name="gpu")]
    )


@pytest.fixture
def make_spawner(monkeypatch: pytest.MonkeyPatch) -> Callable[[], SurveylabKubeSpawner]:
    """A SurveylabKubeSpawner as the hub configures it, with no cluster; call it in a loop."""
    monkeypatch.setattr("kubespawner.spawner.load_config", lambda **_: None)
    monkeypatch.setattr("kubespawner.spawner.shared_client", lambda *_, **__: None)
    c = Config()
    configure_kubespawner(c, SHIPPED, namespace="surveylab")

    def make() -> SurveylabKubeSpawner:
        return SurveylabKubeSpawner(
            _mock=True,
            config=c,
            user=_user(),
            orm_spawner=SimpleNamespace(name="", server=None, user_options={}),
            log=logging.getLogger("surveylab.test.contract"),
        )

    return make


async def spawn_manifest(spawner: SurveylabKubeSpawner, options: dict[str, str]) -> dict[str, Any]:
    """The pod JupyterHub's spawn would create: pre-spawn hook, user options, manifest."""
    spawner.user_options = options
    await maybe_future(spawner.run_pre_spawn_hook())
    await spawner.load_user_options()
    pod: dict[str, Any] = _SERIALISER.sanitize_for_serialization(await spawner.get_pod_manifest())
    pod = {"apiVersion": "v1", "kind": "Pod", **pod}
    kubernetes_validate.validate(pod, kubernetes_validate.latest_version(), strict=True)
    return pod


def container_env(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod["spec"]["containers"]
    return {entry["name"]: entry for entry in container["env"]}


class TestGpuLabOnKubernetes:
    """A GPU lab: the pod's environment, given to a lab server, shows the right deadline."""

    @pytest.fixture
    def pod(
        self,
        make_spawner: Callable[[], SurveylabKubeSpawner],
        jp_asyncio_loop: asyncio.AbstractEventLoop,
    ) -> tuple[dict[str, Any], datetime, datetime]:
        """The GPU lab's pod, and the times just before and after its spawn began."""

        async def spawn() -> tuple[dict[str, Any], datetime, datetime]:
            spawner = make_spawner()  # in the running loop, as KubeSpawner wants
            # What the authenticator's pre_spawn_start does first.
            spawner.environment = {**spawner.environment, **CREDENTIALS}
            before = datetime.now(UTC)
            pod = await spawn_manifest(spawner, {"profile": "gpu", "image": "lab-gpu"})
            return pod, before, datetime.now(UTC)

        # Before the lab server starts, in the loop the server will use (pytest-jupyter's).
        return jp_asyncio_loop.run_until_complete(spawn())

    @pytest.fixture
    def jp_server_config(
        self,
        jp_server_config: dict[str, Any],
        pod: tuple[dict[str, Any], datetime, datetime],
        monkeypatch: pytest.MonkeyPatch,
    ) -> dict[str, Any]:
        """The lab server starts with the container's plain values in its environment."""
        for name, entry in container_env(pod[0]).items():
            if "value" in entry:
                monkeypatch.setenv(name, entry["value"])
        return jp_server_config

    async def test_lab_api_gives_spawn_time_plus_the_cap(
        self,
        pod: tuple[dict[str, Any], datetime, datetime],
        jp_fetch: Callable[..., Any],
    ) -> None:
        manifest, before, after = pod
        assert GPU.max_seconds is not None
        cap = timedelta(seconds=GPU.max_seconds)
        assert cap == timedelta(hours=24)
        assert manifest["spec"]["activeDeadlineSeconds"] == GPU.max_seconds

        response: HTTPResponse = await jp_fetch("surveylab", "api", "lab")
        # the user is in the gpu group: the role reaches the lab whole through the pod's env
        assert json.loads(response.body)["role"]["name"] == "advanced"
        text = json.loads(response.body)["deadline"]
        assert text is not None, "the lab shows no deadline"
        deadline = datetime.fromisoformat(text)
        # Cut to the second, never later: between the spawn's start (to the second) and end.
        assert before.replace(microsecond=0) + cap <= deadline <= after + cap
        assert deadline.utcoffset() == timedelta(0)

    async def test_credentials_stay_in_the_secret(
        self, pod: tuple[dict[str, Any], datetime, datetime]
    ) -> None:
        env = container_env(pod[0])
        for name in CREDENTIALS:
            assert "valueFrom" in env[name] and "value" not in env[name]
        assert env["SURVEYLAB_LAB_PROFILE"]["value"] == "gpu"
        assert "pw-1" not in json.dumps(pod[0])


async def test_a_cpu_lab_after_a_gpu_lab_has_no_deadline(
    make_spawner: Callable[[], SurveylabKubeSpawner],
) -> None:
    """The spawner outlives a lab: the next lab of the same spawner gets no stale deadline."""
    spawner = make_spawner()
    first = container_env(await spawn_manifest(spawner, {"profile": "gpu", "image": "lab-gpu"}))
    assert "SURVEYLAB_LAB_DEADLINE" in first
    spawner.clear_state()
    second = container_env(await spawn_manifest(spawner, {"profile": "small"}))
    assert second["SURVEYLAB_LAB_PROFILE"]["value"] == "small"
    assert "SURVEYLAB_LAB_DEADLINE" not in second
    assert not [name for name in second if name.endswith("MAX_SECONDS")]

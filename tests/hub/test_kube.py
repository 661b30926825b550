"""SurveylabKubeSpawner: the lab's database credentials travel in a per-user Secret.

Manifests come from a real KubeSpawner subclass with no cluster (``load_config`` and the shared
client patched out, as in test_profiles.py) and are validated against the Kubernetes schemas.
The Secret's life (create before the pod, replace a stale one, delete on stop) runs the real
``KubeSpawner._start`` and ``stop`` against :class:`FakeCoreV1Api`, which records every call.

The platform service's own objects (``hub_config/helm/platform-service.yaml``) are validated the
same way, checked against their generator, and against what a lab pod mounts.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jupyter_server.base.handlers import APIVersionHandler
from jupyterhub.services.auth import HubOAuth
from jupyterhub.utils import maybe_future
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.rest import ApiException
from traitlets import TraitError
from traitlets.config import Config

from surveylab.labenv import PLATFORM_SERVICE_NAME
from surveylab_hub.authenticator import DatabaseAuthenticator
from surveylab_hub.kube import (
    HOME_CLAIM,
    PLATFORM_PORT,
    SECRET_COMPONENT,
    SECRET_VERBS,
    CredentialsSecretError,
    SurveylabKubeSpawner,
    check_secret_name,
    credentials_env,
    credentials_secret,
    platform_service_manifests,
    platform_service_prefix,
    split_credentials,
)
from surveylab_hub.profiles import DEFAULT_ROLES_PATH, configure_kubespawner, load_profiles
from surveylab_server.service import service_config

from .test_helm_values import VALUES, literal_secrets

K8S_VERSIONS = ["1.30", kubernetes_validate.latest_version()]
SHIPPED = load_profiles()
#: A password with everything that could break a template, a shell or YAML.
PASSWORD = "Pw{username}$(id);'\"\n: x-" + "7f3a9c"
DB_USER = "ada"
NAMESPACE = "surveylab"
LOGGER = "surveylab.test.kube"
#: Every profile with every image it offers.
CHOICES = [
    (profile.slug, image) for profile in SHIPPED.profiles for image in profile.images
]  # fmt: skip
#: The Zero to JupyterHub hub Role's verbs on secrets (jupyterhub/templates/hub/rbac.yaml,
#: chart 4.x): the spawner must make do with these.
Z2JH_HUB_SECRET_VERBS = {"get", "watch", "list", "create", "delete"}


#: ApiClient's serialiser (camelCase JSON), without the HTTP pool its constructor opens.
_SERIALISER = object.__new__(ApiClient)


def _serialise(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = _SERIALISER.sanitize_for_serialization(obj)
    return data


def _pod(obj: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", **_serialise(obj)}


def _user(name: str = "ada", groups: tuple[str, ...] = ("gpu",)) -> SimpleNamespace:
    return SimpleNamespace(
        name=name, id=1, url=f"/user/{name}/", groups=[SimpleNamespace(name=g) for g in groups]
    )


def assert_no_password(text: str) -> None:
    """Neither the password nor its base64 form (as in a Secret's data) is in ``text``."""
    assert PASSWORD not in text
    assert json.dumps(PASSWORD)[1:-1] not in text
    assert base64.b64encode(PASSWORD.encode()).decode() not in text


# --- pure functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "rest", "credentials"),
    [
        pytest.param({"A": "1"}, {"A": "1"}, {}, id="no-credentials"),
        pytest.param(
            {"A": "1", "SURVEYLAB_DB_USER": "ada", "SURVEYLAB_DB_PASSWORD": "pw"},
            {"A": "1"},
            {"SURVEYLAB_DB_USER": "ada", "SURVEYLAB_DB_PASSWORD": "pw"},
            id="both",
        ),
        pytest.param(
            {"SURVEYLAB_DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}}},
            {"SURVEYLAB_DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}}},
            {},
            id="ready-reference-stays",
        ),
        pytest.param(
            {"SURVEYLAB_DB_USER": len}, {"SURVEYLAB_DB_USER": len}, {}, id="callable-stays"
        ),
    ],
)
def test_split_credentials(
    environment: dict[str, Any], rest: dict[str, Any], credentials: dict[str, str]
) -> None:
    names = ["SURVEYLAB_DB_USER", "SURVEYLAB_DB_PASSWORD"]
    assert split_credentials(environment, names) == (rest, credentials)


def test_credentials_secret_is_a_valid_immutable_secret() -> None:
    secret = credentials_secret(
        "surveylab-db-ada",
        {"SURVEYLAB_DB_USER": DB_USER, "SURVEYLAB_DB_PASSWORD": PASSWORD},
        labels={"hub.jupyter.org/username": "ada"},
        annotations={"hub.jupyter.org/username": "Ada"},
    )
    manifest = _serialise(secret)
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(manifest, version, strict=True)
    assert manifest["type"] == "Opaque"
    assert manifest["immutable"] is True
    assert manifest["metadata"]["labels"] == {
        "hub.jupyter.org/username": "ada",
        "app.kubernetes.io/component": SECRET_COMPONENT,
    }
    decoded = {k: base64.b64decode(v).decode() for k, v in manifest["data"].items()}
    assert decoded == {"SURVEYLAB_DB_USER": DB_USER, "SURVEYLAB_DB_PASSWORD": PASSWORD}
    assert "stringData" not in manifest


@pytest.mark.parametrize(
    ("name", "credentials", "message"),
    [
        pytest.param("Surveylab_DB", {"K": "v"}, "not a valid Secret name", id="bad-name"),
        pytest.param("x" * 254, {"K": "v"}, "at most 253 characters", id="long-name"),
        pytest.param("surveylab-db-ada", {}, "no credentials", id="empty"),
        pytest.param("surveylab-db-ada", {"BAD KEY": "v"}, "invalid keys", id="bad-key"),
    ],
)
def test_credentials_secret_refuses_bad_input(
    name: str, credentials: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        credentials_secret(name, credentials)


def test_check_secret_name_accepts_dotted_names() -> None:
    assert check_secret_name("surveylab-db.ada-2") == "surveylab-db.ada-2"


def test_credentials_env() -> None:
    assert credentials_env("s", ["B", "A"]) == {
        "A": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "A"}}},
        "B": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "B"}}},
    }


def test_the_chart_role_allows_what_the_spawner_does() -> None:
    """No RBAC beyond the chart's: replacing is delete + create, never update or patch."""
    assert SECRET_VERBS <= Z2JH_HUB_SECRET_VERBS


@pytest.mark.parametrize(
    ("traits", "fragment"),
    [
        pytest.param({"credential_env": ["NOT OK"]}, "credential_env", id="bad-env-name"),
        pytest.param({"db_secret_name_template": " "}, "db_secret_name_template", id="empty"),
    ],
)
def test_traits_are_validated(
    make_spawner: Callable[..., SurveylabKubeSpawner], traits: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(TraitError, match=f"SurveylabKubeSpawner.{fragment}"):
        make_spawner(**traits)


# --- a spawner with no cluster ------------------------------------------------------------


@pytest.fixture
def make_spawner(monkeypatch: pytest.MonkeyPatch) -> Callable[..., SurveylabKubeSpawner]:
    """A SurveylabKubeSpawner configured by ``configure_kubespawner``, with no cluster."""
    monkeypatch.setattr("kubespawner.spawner.load_config", lambda **_: None)
    monkeypatch.setattr("kubespawner.spawner.shared_client", lambda *_, **__: None)
    c = Config()
    configure_kubespawner(c, SHIPPED, namespace=NAMESPACE, environment={"SURVEYLAB_X": "1"})

    def make(
        user_options: dict[str, str] | None = None,
        name: str = "",
        user_name: str = "ada",
        **traits: Any,
    ) -> SurveylabKubeSpawner:
        spawner = SurveylabKubeSpawner(
            _mock=True,
            config=c,
            user=_user(user_name),
            orm_spawner=SimpleNamespace(name=name, server=None),
            log=logging.getLogger(LOGGER),
            **traits,
        )
        spawner.user_options = user_options or {}
        return spawner

    return make


def with_credentials(spawner: SurveylabKubeSpawner) -> SurveylabKubeSpawner:
    """What ``DatabaseAuthenticator.pre_spawn_start`` does before ``start``."""
    spawner.environment = {
        **spawner.environment,
        "SURVEYLAB_DB_USER": DB_USER,
        "SURVEYLAB_DB_PASSWORD": PASSWORD,
    }
    return spawner


def test_configure_kubespawner_chooses_this_spawner() -> None:
    c = Config()
    configure_kubespawner(c, SHIPPED)
    assert c.JupyterHub.spawner_class == "surveylab_hub.kube.SurveylabKubeSpawner"


@pytest.mark.parametrize(("slug", "image"), CHOICES, ids=[f"{s}-{i}" for s, i in CHOICES])
async def test_pod_manifest_reads_credentials_from_the_secret(
    make_spawner: Callable[..., SurveylabKubeSpawner], slug: str, image: str
) -> None:
    spawner = with_credentials(make_spawner({"profile": slug, "image": image}))
    await maybe_future(spawner.run_pre_spawn_hook())  # as JupyterHub does before start
    await spawner.load_user_options()
    pod = _pod(await spawner.get_pod_manifest())
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(pod, version, strict=True)

    (container,) = pod["spec"]["containers"]
    env = {entry["name"]: entry for entry in container["env"]}
    for key in ("SURVEYLAB_DB_USER", "SURVEYLAB_DB_PASSWORD"):
        assert env[key] == {
            "name": key,
            "valueFrom": {"secretKeyRef": {"name": "surveylab-db-ada", "key": key}},
        }
    assert env["SURVEYLAB_LAB_PROFILE"]["value"] == slug
    assert env["SURVEYLAB_X"]["value"] == "1"
    assert_no_password(json.dumps(pod))
    assert "SURVEYLAB_DB_PASSWORD" not in spawner.environment

    secret = _serialise(spawner.get_db_secret_manifest())
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(secret, version, strict=True)
    assert secret["metadata"]["name"] == "surveylab-db-ada"
    assert secret["metadata"]["labels"]["hub.jupyter.org/username"] == "ada"
    assert base64.b64decode(secret["data"]["SURVEYLAB_DB_PASSWORD"]).decode() == PASSWORD


@pytest.mark.parametrize(
    ("server", "secret_name"),
    [
        pytest.param("", "surveylab-db-ada", id="default-server"),
        pytest.param("run1", "surveylab-db-ada--run1", id="named-server"),
        pytest.param("Big Run", "surveylab-db-ada--big-run-", id="escaped-server"),
    ],
)
async def test_one_secret_per_user_and_server(
    make_spawner: Callable[..., SurveylabKubeSpawner], server: str, secret_name: str
) -> None:
    spawner = with_credentials(make_spawner(name=server))
    pod = _pod(await spawner.get_pod_manifest())
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in pod["spec"]["containers"][0]["env"]
        if "valueFrom" in e
    }
    assert len(refs) == 1
    (name,) = refs
    assert name.startswith(secret_name)
    assert check_secret_name(name) == name


async def test_no_credentials_no_secret_reference(
    make_spawner: Callable[..., SurveylabKubeSpawner],
) -> None:
    spawner = make_spawner()
    pod = _pod(await spawner.get_pod_manifest())
    assert not [e for e in pod["spec"]["containers"][0]["env"] if "valueFrom" in e]
    with pytest.raises(CredentialsSecretError, match="no database credentials"):
        spawner.get_db_secret_manifest()


async def test_credentials_from_the_authenticator_reach_only_the_secret(
    make_spawner: Callable[..., SurveylabKubeSpawner],
) -> None:
    """The real ``pre_spawn_start`` of the database login, then the manifests."""
    auth = DatabaseAuthenticator(pass_credentials_to_lab=True)

    async def get_auth_state() -> dict[str, str]:
        return {"db_user": DB_USER, "db_password": PASSWORD}

    spawner = make_spawner()
    user = SimpleNamespace(name="ada", get_auth_state=get_auth_state)
    await auth.pre_spawn_start(user, spawner)
    assert_no_password(json.dumps(_pod(await spawner.get_pod_manifest())))
    secret = _serialise(spawner.get_db_secret_manifest())
    assert base64.b64decode(secret["data"]["SURVEYLAB_DB_USER"]).decode() == DB_USER


# --- the Secret's life, against a fake Kubernetes API ---------------------------------------


@dataclass
class FakeCoreV1Api:
    """Records calls; answers from queued ApiException statuses (or TimeoutError) per call."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[int | type[BaseException]]] = field(default_factory=dict)

    def _fail(self, verb: str) -> None:
        queued = self.failures.get(verb)
        if queued:
            failure = queued.pop(0)
            if isinstance(failure, int):
                raise ApiException(status=failure, reason=f"status {failure}")
            raise failure()

    async def create_namespaced_secret(self, namespace: str, body: Any, **_: Any) -> None:
        name = body.metadata.name
        self.calls.append(("create_secret", name))
        self._fail("create_secret")
        if name in self.secrets:
            raise ApiException(status=409, reason="Conflict")
        self.secrets[name] = {"namespace": namespace, **_serialise(body)}

    async def delete_namespaced_secret(self, namespace: str, name: str, **_: Any) -> None:
        self.calls.append(("delete_secret", name))
        self._fail("delete_secret")
        if self.secrets.pop(name, None) is None:
            raise ApiException(status=404, reason="Not Found")

    async def create_namespaced_pod(self, namespace: str, body: Any, **_: Any) -> None:
        name = body.metadata.name
        self.calls.append(("create_pod", name))
        self._fail("create_pod")
        pod = _pod(body)
        pod["metadata"]["uid"] = "uid-1"
        ready = [{"ready": True}]
        pod["status"] = {"phase": "Running", "podIP": "10.0.0.7", "containerStatuses": ready}
        self.pods[f"{namespace}/{name}"] = pod

    async def delete_namespaced_persistent_volume_claim(
        self, name: str, namespace: str, **_: Any
    ) -> None:
        self.calls.append(("delete_pvc", name))
        raise ApiException(status=404, reason="Not Found")

    async def delete_namespaced_pod(self, name: str, namespace: str, **_: Any) -> None:
        self.calls.append(("delete_pod", name))
        if self.pods.pop(f"{namespace}/{name}", None) is None:
            raise ApiException(status=404, reason="Not Found")


@pytest.fixture
def cluster(
    monkeypatch: pytest.MonkeyPatch, make_spawner: Callable[..., SurveylabKubeSpawner]
) -> tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]]:
    """A fake API, and spawners that use it (its pods are what the pod reflector sees)."""
    api = FakeCoreV1Api()

    async def no_watch(self: SurveylabKubeSpawner, replace: bool = False) -> None:
        return None

    monkeypatch.setattr(SurveylabKubeSpawner, "_start_watching_pods", no_watch)
    monkeypatch.setattr(
        SurveylabKubeSpawner, "pod_reflector", property(lambda self: SimpleNamespace(pods=api.pods))
    )

    def make(**kwargs: Any) -> SurveylabKubeSpawner:
        spawner = make_spawner(events_enabled=False, **kwargs)
        spawner.api = api
        spawner.k8s_api_request_retry_timeout = 5
        return spawner

    return api, make


async def test_secret_is_created_before_the_pod_and_deleted_after_it(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, make = cluster
    caplog.set_level(logging.DEBUG)
    spawner = with_credentials(make())
    url = await spawner.start()
    assert url == "http://10.0.0.7:8888"
    assert api.calls == [("create_secret", "surveylab-db-ada"), ("create_pod", "jupyter-ada")]
    secret = api.secrets["surveylab-db-ada"]
    assert secret["namespace"] == NAMESPACE
    assert base64.b64decode(secret["data"]["SURVEYLAB_DB_PASSWORD"]).decode() == PASSWORD
    assert_no_password(json.dumps(api.pods))
    assert spawner._db_credentials is None  # the hub keeps no copy once the lab runs

    state = spawner.get_state()
    assert state["db_secret_name"] == "surveylab-db-ada"
    await spawner.stop()
    assert api.calls[2:] == [("delete_pod", "jupyter-ada"), ("delete_secret", "surveylab-db-ada")]
    assert api.secrets == {}
    assert_no_password(caplog.text)


async def test_a_restarted_hub_deletes_the_secret_named_in_the_state(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    first = with_credentials(make(db_secret_name_template="old-{username}"))
    await first.start()
    state = first.get_state()

    restarted = make()  # the template has changed since
    restarted.load_state(state)
    await restarted.stop()
    assert api.calls[-1] == ("delete_secret", "old-ada")
    assert api.secrets == {}
    restarted.clear_state()
    assert "db_secret_name" not in restarted.get_state()


async def test_a_stale_secret_is_replaced_by_delete_and_create(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    api.secrets["surveylab-db-ada"] = {"data": {"SURVEYLAB_DB_PASSWORD": "b2xk"}}
    await with_credentials(make()).start()
    assert api.calls == [
        ("create_secret", "surveylab-db-ada"),
        ("delete_secret", "surveylab-db-ada"),
        ("create_secret", "surveylab-db-ada"),
        ("create_pod", "jupyter-ada"),
    ]
    data = api.secrets["surveylab-db-ada"]["data"]
    assert base64.b64decode(data["SURVEYLAB_DB_PASSWORD"]).decode() == PASSWORD


async def test_a_timeout_creating_the_secret_is_retried(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    api.failures["create_secret"] = [asyncio.TimeoutError]
    await with_credentials(make()).start()
    assert [c[0] for c in api.calls] == ["create_secret", "create_secret", "create_pod"]


async def test_a_pod_conflict_recreates_the_secret_kubespawner_stop_deleted(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    """On 409 KubeSpawner stops the old pod (our stop deletes the Secret) and tries again."""
    api, make = cluster
    api.failures["create_pod"] = [409]
    await with_credentials(make()).start()
    assert [c[0] for c in api.calls] == [
        "create_secret",
        "create_pod",
        "delete_pod",
        "delete_secret",
        "create_secret",
        "create_pod",
    ]
    assert "surveylab-db-ada" in api.secrets


async def test_forbidden_secret_fails_the_spawn_clearly_and_creates_no_pod(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    api.failures["create_secret"] = [403]
    with pytest.raises(CredentialsSecretError) as excinfo:
        await with_credentials(make()).start()
    message = str(excinfo.value)
    assert "could not create Secret surveylab/surveylab-db-ada" in message
    assert "HTTP 403" in message
    assert "needs create and delete on secrets" in message
    assert excinfo.value.__cause__ is None
    assert_no_password(message + repr(excinfo.value))
    assert ("create_pod", "jupyter-ada") not in api.calls


async def test_a_lab_without_credentials_gets_no_secret(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    spawner = make()
    await spawner.start()
    assert api.calls == [("create_pod", "jupyter-ada")]
    assert "db_secret_name" not in spawner.get_state()
    await spawner.stop()  # deleting an absent Secret is fine
    assert api.calls[-1] == ("delete_secret", "surveylab-db-ada")


async def test_a_failed_secret_deletion_is_logged_not_raised(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, make = cluster
    spawner = with_credentials(make())
    await spawner.start()
    api.failures["delete_secret"] = [500]
    caplog.set_level(logging.ERROR)
    await spawner.stop()
    assert "Could not delete Secret surveylab/surveylab-db-ada" in caplog.text
    assert "HTTP 500" in caplog.text
    assert api.pods == {}


async def test_delete_forever_deletes_the_secret(
    cluster: tuple[FakeCoreV1Api, Callable[..., SurveylabKubeSpawner]],
) -> None:
    api, make = cluster
    api.secrets["surveylab-db-ada"] = {}
    await make().delete_forever()
    assert api.calls == [("delete_pvc", "claim-ada"), ("delete_secret", "surveylab-db-ada")]
    assert api.secrets == {}


# --- the platform service's objects ---------------------------------------------------------------

HELM_DIR = Path(__file__).resolve().parents[2] / "hub_config" / "helm"
PLATFORM_FILE = HELM_DIR / "platform-service.yaml"
PLATFORM_DOCS: list[dict[str, Any]] = list(
    yaml.safe_load_all(PLATFORM_FILE.read_text(encoding="utf-8"))
)
PLATFORM = {doc["kind"]: doc for doc in PLATFORM_DOCS}
POD = PLATFORM["Deployment"]["spec"]["template"]
(CONTAINER,) = POD["spec"]["containers"]
PREFIX = platform_service_prefix()


def _render_values_module() -> Any:
    spec = importlib.util.spec_from_file_location("render_values", HELM_DIR / "render_values.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("manifest", PLATFORM_DOCS, ids=lambda doc: doc["kind"])
def test_platform_service_manifests_are_valid_kubernetes(manifest: dict[str, Any]) -> None:
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(manifest, version, strict=True)


def test_the_committed_platform_manifests_are_the_generators_output() -> None:
    render_values = _render_values_module()
    assert PLATFORM_FILE.read_text(encoding="utf-8") == render_values.render_platform(), (
        "stale: run python hub_config/helm/render_values.py"
    )
    default = SHIPPED.images[SHIPPED.default_profile.images[0]].image
    roles = DEFAULT_ROLES_PATH.read_text(encoding="utf-8")
    assert platform_service_manifests("surveylab", default, roles=roles) == PLATFORM_DOCS
    assert sorted(PLATFORM) == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Service"]
    # the roles file, mounted where the service reads it
    assert PLATFORM["ConfigMap"]["data"] == {"roles.yaml": roles}
    assert CONTAINER["command"][6:8] == ["--roles", "/usr/local/etc/surveylab/roles/roles.yaml"]
    without = platform_service_manifests("surveylab", default)
    assert [doc["kind"] for doc in without] == ["PersistentVolumeClaim", "Deployment", "Service"]


def test_the_platform_service_runs_in_the_labs_image_over_every_home() -> None:
    default = SHIPPED.images[SHIPPED.default_profile.images[0]].image
    assert CONTAINER["image"] == default  # the labs' code: it serves what they serve
    assert CONTAINER["command"] == [
        "python",
        "-m",
        "surveylab_server.service",
        "--homes",
        "/home/{username}",
        "--open-metrics",  # scraped in the cluster by the pod's annotations
        "--roles",  # each user's role, from their hub groups
        "/usr/local/etc/surveylab/roles/roles.yaml",
        "--logins-from-hub",  # the chart's login is a database's (test_helm_values.py)
        "--db-accounts",  # pools' and OAuth identities' shared accounts
        "/usr/local/etc/surveylab/db-accounts/db-accounts.yaml",
    ]
    mounts = {m["mountPath"]: m["name"] for m in CONTAINER["volumeMounts"]}
    volumes = {v["name"]: v for v in POD["spec"]["volumes"]}
    assert volumes[mounts["/home"]]["persistentVolumeClaim"] == {"claimName": HOME_CLAIM}
    assert "subPath" not in next(m for m in CONTAINER["volumeMounts"] if m["mountPath"] == "/home")
    assert "emptyDir" in volumes[mounts["/tmp"]]  # the only other writable place: HOME
    accounts = volumes[mounts["/usr/local/etc/surveylab/db-accounts"]]["secret"]
    assert accounts["defaultMode"] == 0o400 and POD["spec"]["securityContext"]["fsGroup"] == 100
    env = {e["name"]: e.get("value") for e in CONTAINER["env"]}
    assert env["HOME"] == "/tmp" and CONTAINER["workingDir"] == "/tmp"


def test_one_platform_pod_at_a_time_under_one_host_name() -> None:
    spec = PLATFORM["Deployment"]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert POD["spec"]["hostname"] == PLATFORM["Deployment"]["metadata"]["name"]
    assert spec["selector"]["matchLabels"].items() <= POD["metadata"]["labels"].items()
    assert PLATFORM["Service"]["spec"]["selector"] == spec["selector"]["matchLabels"]


def test_the_platform_pod_is_locked_down() -> None:
    pod_security = POD["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == 1000  # the labs' jovyan: users' files stay theirs
    assert CONTAINER["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert POD["spec"]["automountServiceAccountToken"] is False  # it never calls Kubernetes
    for bound in ("requests", "limits"):
        assert set(CONTAINER["resources"][bound]) == {"cpu", "memory"}


def test_the_platform_probes_need_no_token() -> None:
    named_ports = {port["name"] for port in CONTAINER["ports"]}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert CONTAINER[kind]["httpGet"] == {"path": f"{PREFIX}api", "port": "http"}, kind
    assert "http" in named_ports
    # jupyter_server's "api" route (its version) is open without a login, and asks no hub
    assert getattr(APIVersionHandler.get, "__allow_unauthenticated", False) is True


def test_the_platform_pod_gets_what_the_hub_gives_a_managed_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {e["name"]: e["value"] for e in CONTAINER["env"] if "value" in e}
    config = service_config(env, homes="/home/{username}")
    assert (config.ServerApp.ip, config.ServerApp.port) == ("0.0.0.0", PLATFORM_PORT)
    assert config.ServerApp.base_url == PREFIX == f"/services/{PLATFORM_SERVICE_NAME}/"

    (token,) = [e for e in CONTAINER["env"] if e["name"] == "JUPYTERHUB_API_TOKEN"]
    service_key = PLATFORM_SERVICE_NAME
    assert service_key in VALUES["hub"]["services"]  # the chart generates its token ...
    assert token["valueFrom"] == {  # ... into its own Secret `hub`, under this key
        "secretKeyRef": {"name": "hub", "key": f"hub.services.{service_key}.apiToken"}
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    auth = HubOAuth(api_token="from-the-secret")
    assert auth.oauth_client_id == f"service-{PLATFORM_SERVICE_NAME}"  # JupyterHub's default
    assert auth.oauth_redirect_uri == f"{PREFIX}oauth_callback"
    assert auth.api_url == "http://hub:8081/hub/api"
    assert f"access:services!service={PLATFORM_SERVICE_NAME}" in auth.access_scopes
    assert literal_secrets(PLATFORM_DOCS) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"hub_base_url": "hub"}, "must start and end with", id="bad-base-url"),
        pytest.param({"environment": {"HOME": "/x"}}, "HOME", id="sets-a-fixed-variable"),
        pytest.param(
            {"environment": {"SURVEYLAB_DB_PASSWORD": "pw"}}, "credentials", id="a-credential"
        ),
    ],
)
def test_platform_service_manifests_refuse_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        platform_service_manifests("surveylab", "lab:1", **kwargs)


def test_platform_service_manifests_follow_the_hub_base_url_and_settings() -> None:
    manifests = platform_service_manifests(
        "sky",
        "lab:1",
        storage_class=None,
        hub_base_url="/sky/",
        logins_from_hub=False,
        environment={"SURVEYLAB_CATALOG_URL": "postgresql://db/survey"},
    )
    claim, deployment, _service = manifests
    assert "storageClassName" not in claim["spec"]  # the cluster's default class
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "--logins-from-hub" not in container["command"]  # e.g. an OAuth login
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/sky/services/surveylab/metrics"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == "/sky/services/surveylab/"
    assert env["JUPYTERHUB_API_URL"] == "http://hub:8081/sky/hub/api"
    assert env["SURVEYLAB_CATALOG_URL"] == "postgresql://db/survey"
    assert container["livenessProbe"]["httpGet"]["path"] == "/sky/services/surveylab/api"
    assert {m["metadata"]["namespace"] for m in manifests} == {"sky"}


@pytest.mark.parametrize("user_name", ["ada", "ada.lovelace", "Ada_L+survey@example.org"])
async def test_a_lab_and_the_platform_service_see_one_folder_per_user(
    make_spawner: Callable[..., SurveylabKubeSpawner], user_name: str
) -> None:
    """The lab mounts its user's folder of the shared volume as its home, as the chart does for
    ``singleuser.storage.type: static``; the service finds the same folder by the user's name."""
    storage = VALUES["singleuser"]["storage"]
    volumes = [
        {"name": "home", "persistentVolumeClaim": {"claimName": storage["static"]["pvcName"]}}
    ]
    mounts = [
        {
            "name": "home",
            "mountPath": storage["homeMountPath"],
            "subPath": storage["static"]["subPath"],
        }
    ]
    spawner = make_spawner(user_name=user_name, volumes=volumes, volume_mounts=mounts)
    pod = _pod(await spawner.get_pod_manifest())
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(pod, version, strict=True)

    (lab_home,) = [m for m in pod["spec"]["containers"][0]["volumeMounts"] if m["name"] == "home"]
    (lab_volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "home"]
    assert lab_volume["persistentVolumeClaim"]["claimName"] == HOME_CLAIM
    homes = CONTAINER["command"][CONTAINER["command"].index("--homes") + 1]
    service_home = homes.format(username=user_name)  # under /home, the whole volume
    assert service_home == f"/home/{lab_home['subPath']}"

"""Zero to JupyterHub values (``hub_config/helm/values.yaml``): schema, secrets, profiles, culler,
the platform service.

The chart's own schema (``../shared/data/z2jh_values.schema.yaml``) validates the file. Its
generated blocks must equal what ``surveylab_hub.profiles`` builds from ``hub_config/profiles.yaml``
(re-render with ``python hub_config/helm/render_values.py``), and no password, secret or token
may appear in it except as a reference to a Kubernetes Secret.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from surveylab.labenv import PLATFORM_SERVICE_NAME, LabEnvironment
from surveylab_hub.authenticator import DatabaseAuthenticator
from surveylab_hub.config import configure_platform_service
from surveylab_hub.kube import (
    HOME_CLAIM,
    PLATFORM_NAME,
    PLATFORM_PORT,
    SECRET_VERBS,
    platform_service_url,
)
from surveylab_hub.profiles import (
    DEFAULT_PROFILES_PATH,
    DEFAULT_ROLES_PATH,
    kubespawner_profile_list,
    load_profiles,
)

REPO = Path(__file__).resolve().parents[2]
HELM_DIR = REPO / "hub_config" / "helm"
VALUES_PATH = HELM_DIR / "values.yaml"
SCHEMA_PATH = REPO.parent / "shared" / "data" / "z2jh_values.schema.yaml"

VALUES: dict[str, Any] = yaml.safe_load(VALUES_PATH.read_text(encoding="utf-8"))
#: The platform service's objects (hub_config/helm/platform-service.yaml), by kind.
PLATFORM = {
    doc["kind"]: doc
    for doc in yaml.safe_load_all((HELM_DIR / "platform-service.yaml").read_text(encoding="utf-8"))
}

#: Keys whose value would be a credential if it were a literal.
SENSITIVE = re.compile(r"password|passwd|secret|token|crypt", re.IGNORECASE)
#: Keys whose value is the *name* of a Kubernetes Secret: a reference, not a credential.
SECRET_NAME_KEYS = {"existingSecret", "secretName"}
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _is_reference(key: str, value: Any) -> bool:
    """Whether ``value`` under the sensitive ``key`` is empty, a switch (e.g.
    ``automountServiceAccountToken: false``) or a reference to a Secret."""
    if value in (None, "", {}, []) or isinstance(value, bool):
        return True
    if key in SECRET_NAME_KEYS:
        return isinstance(value, str) and bool(K8S_NAME.match(value))
    if key == "secretKeyRef":
        return (
            isinstance(value, dict)
            and set(value) <= {"name", "key", "optional"}
            and all(isinstance(value.get(part), str) for part in ("name", "key"))
        )
    if key == "secret":  # a volume from a Secret, by name
        return (
            isinstance(value, dict)
            and set(value) <= {"secretName", "defaultMode", "items", "optional"}
            and _is_reference("secretName", value.get("secretName"))
        )
    if isinstance(value, dict) and set(value) == {"valueFrom"}:
        return _is_reference("secretKeyRef", value["valueFrom"].get("secretKeyRef"))
    return False


def literal_secrets(node: Any, path: str = "") -> list[str]:
    """Paths of the sensitive keys in ``node`` that hold a literal rather than a reference."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if SENSITIVE.search(str(key)) and not _is_reference(str(key), value):
                found.append(where)
            found.extend(literal_secrets(value, where))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            # extraEnv may also be a list of {name, value | valueFrom}
            if (
                isinstance(item, dict)
                and SENSITIVE.search(str(item.get("name", "")))
                and item.get("value") not in (None, "")
            ):
                found.append(f"{path}[{index}].value")
            found.extend(literal_secrets(item, f"{path}[{index}]"))
    return found


def secret_references(node: Any) -> set[str]:
    """Names of the Kubernetes Secrets that ``node`` refers to."""
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "secretKeyRef" and isinstance(value, dict):
                names.add(value["name"])
            elif key in SECRET_NAME_KEYS and isinstance(value, str) and value:
                names.add(value)
            else:
                names |= secret_references(value)
    elif isinstance(node, list):
        for item in node:
            names |= secret_references(item)
    return names


def _ref(name: str, key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


# --- the chart's schema ----------------------------------------------------------------------


def test_values_validate_against_the_chart_schema() -> None:
    schema = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(VALUES)
    ]
    assert errors == []


def test_the_schema_catches_a_mistake() -> None:
    """The validation is real: an unknown key under hub is an error."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    broken = {**VALUES, "hub": {**VALUES["hub"], "extraConfg": {}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


# --- secrets by reference only ---------------------------------------------------------------


def test_no_literal_secret_in_values() -> None:
    assert literal_secrets(VALUES) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"hub": {"config": {"JupyterHub": {"cookie_secret": "0123abcd"}}}},
            ["hub.config.JupyterHub.cookie_secret"],
            id="cookie-secret-literal",
        ),
        pytest.param(
            {"hub": {"extraEnv": {"SURVEYLAB_DB_PASSWORD": "hunter2"}}},
            ["hub.extraEnv.SURVEYLAB_DB_PASSWORD"],
            id="env-dict-literal",
        ),
        pytest.param(
            {"hub": {"extraEnv": [{"name": "JUPYTERHUB_CRYPT_KEY", "value": "ab" * 32}]}},
            ["hub.extraEnv[0].value"],
            id="env-list-literal",
        ),
        pytest.param(
            {"hub": {"services": {"x": {"api_token": "s3cr3t"}}}},
            ["hub.services.x.api_token"],
            id="service-token-literal",
        ),
        pytest.param(
            {"proxy": {"secretToken": "abc"}},
            ["proxy.secretToken"],
            id="proxy-token-literal",
        ),
        pytest.param(
            {"hub": {"existingSecret": "not a name: hunter2"}},
            ["hub.existingSecret"],
            id="existing-secret-not-a-name",
        ),
        pytest.param(
            {"hub": {"extraEnv": {"DB_PASSWORD": _ref("db", "password")}}}, [], id="env-ref-ok"
        ),
        pytest.param(
            {"hub": {"extraEnv": [{"name": "DB_PASSWORD", **_ref("db", "password")}]}},
            [],
            id="env-list-ref-ok",
        ),
        pytest.param({"hub": {"existingSecret": "surveylab-hub"}}, [], id="secret-name-ok"),
        pytest.param(
            {"hub": {"extraVolumes": [{"name": "a", "secret": {"secretName": "db-accounts"}}]}},
            [],
            id="secret-volume-ok",
        ),
        pytest.param(
            {"hub": {"extraVolumes": [{"secret": {"secretName": "a", "stringData": "pw"}}]}},
            ["hub.extraVolumes[0].secret"],
            id="secret-volume-with-data",
        ),
        pytest.param({"proxy": {"secretToken": None}}, [], id="empty-ok"),
        pytest.param({"spec": {"automountServiceAccountToken": False}}, [], id="switch-ok"),
        pytest.param({"x": {"apiToken": 1234}}, ["x.apiToken"], id="number-literal"),
    ],
)
def test_literal_secret_check(values: dict[str, Any], expected: list[str]) -> None:
    assert literal_secrets(values) == expected


def test_the_crypt_key_and_the_shared_accounts_come_from_secrets() -> None:
    hub = VALUES["hub"]
    env = hub["extraEnv"]
    assert _is_reference("secretKeyRef", env["JUPYTERHUB_CRYPT_KEY"]["valueFrom"]["secretKeyRef"])
    assert hub["existingSecret"]
    (volume,) = hub["extraVolumes"]
    assert volume["secret"]["secretName"] == "surveylab-db-accounts"
    assert volume["secret"]["defaultMode"] == 0o400  # the hub's user alone
    (mount,) = hub["extraVolumeMounts"]
    assert mount["name"] == volume["name"] and mount["readOnly"] is True
    assert env["SURVEYLAB_HUB_DB_ACCOUNTS"].startswith(mount["mountPath"] + "/")


def test_every_referenced_secret_is_documented() -> None:
    """The README tells how to create every Secret the values refer to."""
    readme = (HELM_DIR / "README.md").read_text(encoding="utf-8")
    names = secret_references(VALUES)
    assert names, "the values refer to no Secret"
    missing = sorted(name for name in names if f"create secret generic {name} " not in readme)
    assert missing == []


# --- the authenticator -----------------------------------------------------------------------


def _import(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_authenticator_is_surveylab_postgres_with_auth_state() -> None:
    config = VALUES["hub"]["config"]
    cls = _import(config["JupyterHub"]["authenticator_class"])
    assert cls.__name__ == "PostgresAuthenticator"
    assert config["Authenticator"]["enable_auth_state"] is True
    traits = cls.class_traits(config=True)
    unknown = sorted(set(config["PostgresAuthenticator"]) - set(traits))
    assert unknown == []
    # A DB authenticator needs the crypt key for auth_state.
    assert "JUPYTERHUB_CRYPT_KEY" in VALUES["hub"]["extraEnv"]


def test_the_oracle_alternative_is_documented_in_comments() -> None:
    text = VALUES_PATH.read_text(encoding="utf-8")
    assert "# authenticator_class: surveylab_hub.db_authenticators.OracleAuthenticator" in text
    _import("surveylab_hub.db_authenticators.OracleAuthenticator")


# --- profiles: the same file everywhere ------------------------------------------------------


def test_profile_list_is_generated_from_profiles_yaml() -> None:
    expected = kubespawner_profile_list(load_profiles(), groups={"gpu"})
    assert VALUES["singleuser"]["profileList"] == expected, (
        "stale: run python hub_config/helm/render_values.py"
    )


def test_mounted_profiles_file_is_profiles_yaml() -> None:
    mounted = VALUES["hub"]["extraFiles"]["surveylab-profiles"]
    assert mounted["stringData"] == DEFAULT_PROFILES_PATH.read_text(encoding="utf-8"), (
        "stale: run python hub_config/helm/render_values.py"
    )
    path = mounted["mountPath"]
    assert VALUES["hub"]["extraEnv"]["SURVEYLAB_HUB_PROFILES"] == path
    assert VALUES["hub"]["services"]["surveylab-culler"]["environment"] == {
        "SURVEYLAB_HUB_PROFILES": path
    }


def test_mounted_roles_file_is_roles_yaml() -> None:
    mounted = VALUES["hub"]["extraFiles"]["surveylab-roles"]
    assert mounted["stringData"] == DEFAULT_ROLES_PATH.read_text(encoding="utf-8"), (
        "stale: run python hub_config/helm/render_values.py"
    )
    assert VALUES["hub"]["extraEnv"]["SURVEYLAB_HUB_ROLES"] == mounted["mountPath"]


def test_render_script_check_passes() -> None:
    spec = importlib.util.spec_from_file_location("render_values", HELM_DIR / "render_values.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    stale = VALUES_PATH.read_text(encoding="utf-8").replace("slug: gpu", "slug: gpu-old", 1)
    assert module.render(stale) == VALUES_PATH.read_text(encoding="utf-8")


def run_extra_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> Config:
    """Run the extraConfig snippets as the chart does, on the mounted profiles file, over a
    KubeSpawner ``environment`` the chart set first (``singleuser.extraEnv``)."""
    profiles_file = tmp_path / "profiles.yaml"
    profiles_file.write_text(VALUES["hub"]["extraFiles"]["surveylab-profiles"]["stringData"])
    monkeypatch.setenv("SURVEYLAB_HUB_PROFILES", str(profiles_file))
    roles_file = tmp_path / "roles.yaml"
    roles_file.write_text(VALUES["hub"]["extraFiles"]["surveylab-roles"]["stringData"])
    monkeypatch.setenv("SURVEYLAB_HUB_ROLES", str(roles_file))
    for name in ("SURVEYLAB_HUB_STATE_DIR", "SURVEYLAB_HUB_DB_ACCOUNTS"):
        monkeypatch.setenv(name, VALUES["hub"]["extraEnv"][name])
    c = Config()
    c.KubeSpawner.environment = environment
    for name in sorted(VALUES["hub"]["extraConfig"]):
        exec(compile(VALUES["hub"]["extraConfig"][name], name, "exec"), {"c": c})
    return c


def test_extra_config_makes_the_profile_list_group_aware(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the extraConfig snippets as the chart does, on the mounted profiles file."""
    c = run_extra_config(tmp_path, monkeypatch, {"FROM_SINGLEUSER_EXTRAENV": "1"})
    assert c.KubeSpawner.environment == {"FROM_SINGLEUSER_EXTRAENV": "1"}
    assert c.JupyterHub.spawner_class == "surveylab_hub.kube.SurveylabKubeSpawner"
    assert issubclass(_import(c.JupyterHub.spawner_class), _import("kubespawner.KubeSpawner"))
    profile_list = c.KubeSpawner.profile_list

    def slugs(groups: list[str]) -> list[str]:
        groups_ = [type("G", (), {"name": g})() for g in groups]
        user = type("User", (), {"name": "ada", "groups": groups_})()
        return [p["slug"] for p in profile_list(type("Spawner", (), {"user": user})())]

    assert "gpu" not in slugs([])
    assert slugs(["gpu"]) == [p["slug"] for p in VALUES["singleuser"]["profileList"]]
    assert slugs(["workshop"]) == ["small"]
    # the logins give the groups that grant roles
    assert c.Authenticator.manage_groups is True
    assert c.LoginGroups.role_groups == ["advanced", "gpu", "limited", "workshop"]
    # workshop pools live in the hub's state folder on its PVC
    assert c.DatabaseAuthenticator.pools_path == "/srv/jupyterhub/pools.json"
    assert (
        c.DatabaseAuthenticator.shared_accounts_path
        == (VALUES["hub"]["extraEnv"]["SURVEYLAB_HUB_DB_ACCOUNTS"])
    )


def test_the_pool_service_ends_pools_in_the_hubs_state_folder() -> None:
    service = VALUES["hub"]["services"]["surveylab-pools"]
    assert service["command"] == [
        "python",
        "-m",
        "surveylab_hub.pool_service",
        "--state-dir",
        VALUES["hub"]["extraEnv"]["SURVEYLAB_HUB_STATE_DIR"],
    ]
    role = VALUES["hub"]["loadRoles"]["surveylab-pools"]
    assert role["services"] == ["surveylab-pools"]
    assert set(role["scopes"]) == {"read:users", "read:servers", "delete:servers", "delete:users"}


# --- per-user credential Secrets: RBAC ----------------------------------------------------------


def test_the_chart_role_lets_the_hub_manage_the_credential_secrets() -> None:
    """The chart's hub Role (rbac.create) grants create and delete on secrets, all we use."""
    assert VALUES["rbac"]["create"] is True
    text = VALUES_PATH.read_text(encoding="utf-8")
    rbac_comment = text[: text.index("\nrbac:")].rsplit("\n\n", 1)[1]
    assert "SurveylabKubeSpawner" in rbac_comment
    for verb in SECRET_VERBS:
        assert verb in rbac_comment


# --- images ----------------------------------------------------------------------------------


def test_images_are_surveylab_images() -> None:
    hub_image = VALUES["hub"]["image"]
    assert hub_image["name"].endswith("/hub")
    assert (REPO / "images" / "hub" / "Dockerfile").is_file()
    lab = VALUES["singleuser"]["image"]
    default_profile = load_profiles().default_profile
    default_image = load_profiles().images[default_profile.images[0]].image
    assert f"{lab['name']}:{lab['tag']}" == default_image
    assert VALUES["singleuser"]["cmd"] == "jupyterhub-singleuser"


# --- culling ---------------------------------------------------------------------------------


def test_z2jh_culler_is_off_and_the_surveylab_culler_runs_as_a_service() -> None:
    assert VALUES["cull"]["enabled"] is False
    service = VALUES["hub"]["services"]["surveylab-culler"]
    assert service["command"] == ["python", "-m", "surveylab_hub.culler"]
    assert "api_token" not in service  # the chart generates it into its own Secret
    role = VALUES["hub"]["loadRoles"]["surveylab-culler"]
    assert role["services"] == ["surveylab-culler"]
    assert {"list:users", "read:servers", "delete:servers"} <= set(role["scopes"])
    text = VALUES_PATH.read_text(encoding="utf-8")
    cull_comment = text[: text.index("\ncull:")].rsplit("\n\n", 1)[1]
    assert "hub.services.surveylab-culler" in cull_comment


# --- the platform service ----------------------------------------------------------------------


def _local_platform_config() -> Config:
    """What a hub on one machine with a database login configures for the platform service."""
    c = Config()
    configure_platform_service(
        c,
        home_root=Path("/home"),
        python="python",
        port=8082,
        environment={},
        logins_from_hub=True,
        roles_path=DEFAULT_ROLES_PATH,
    )
    return c


def test_the_platform_service_is_registered_at_its_kubernetes_service() -> None:
    service = VALUES["hub"]["services"][PLATFORM_SERVICE_NAME]
    assert service == {
        "url": f"http://{PLATFORM_NAME}:{PLATFORM_PORT}",
        "oauth_no_confirm": True,
        "display": True,
    }  # no command: the hub does not start it; no api_token: the chart generates it
    (local,) = _local_platform_config().JupyterHub.services
    assert {k: local[k] for k in ("oauth_no_confirm", "display")} == {
        "oauth_no_confirm": True,
        "display": True,
    }
    kube_service = PLATFORM["Service"]
    assert kube_service["metadata"]["name"] == PLATFORM_NAME
    assert [port["port"] for port in kube_service["spec"]["ports"]] == [PLATFORM_PORT]


def test_users_and_their_labs_may_reach_the_platform_service_as_on_one_machine() -> None:
    local = _local_platform_config()
    local_roles = {role["name"]: role for role in local.JupyterHub.load_roles}
    user_role = VALUES["hub"]["loadRoles"]["user"]
    assert {"name": "user", **user_role} == local_roles["user"]
    assert f"access:services!service={PLATFORM_SERVICE_NAME}" in user_role["scopes"]

    c = Config()
    exec(compile(VALUES["hub"]["extraConfig"]["20-surveylab-platform"], "20", "exec"), {"c": c})
    assert c.Spawner.server_token_scopes == local.Spawner.server_token_scopes
    assert f"access:services!service={PLATFORM_SERVICE_NAME}" in c.Spawner.server_token_scopes


def test_the_platform_service_may_read_database_logins_and_nothing_more() -> None:
    """A database login (the chart's authenticator): the service runs each user's jobs as their
    own account, read from auth_state, and under their role (their groups), with the scopes a
    hub on one machine gives it."""
    authenticator = _import(VALUES["hub"]["config"]["JupyterHub"]["authenticator_class"])
    assert issubclass(authenticator, DatabaseAuthenticator)
    role = VALUES["hub"]["loadRoles"][PLATFORM_SERVICE_NAME]
    local = {r["name"]: r for r in _local_platform_config().JupyterHub.load_roles}
    assert {"name": PLATFORM_SERVICE_NAME, **role} == local[PLATFORM_SERVICE_NAME]
    assert set(role["scopes"]) == {"read:users:name", "admin:auth_state", "read:users:groups"}
    (container,) = PLATFORM["Deployment"]["spec"]["template"]["spec"]["containers"]
    # and the shared accounts (pools, OAuth) from the hub's own Secret, at the hub's own path
    assert container["command"][-3:] == [
        "--logins-from-hub",
        "--db-accounts",
        VALUES["hub"]["extraEnv"]["SURVEYLAB_HUB_DB_ACCOUNTS"],
    ]
    (hub_accounts,) = [v for v in VALUES["hub"]["extraVolumes"] if "secret" in v]
    pod = PLATFORM["Deployment"]["spec"]["template"]["spec"]
    (accounts,) = [v for v in pod["volumes"] if "secret" in v]
    assert accounts["secret"] == hub_accounts["secret"]
    text = VALUES_PATH.read_text(encoding="utf-8")
    block = text[text.index("\n    surveylab:\n      description:") :]
    reason = block[: block.index("scopes:")]
    assert "auth_state" in reason and "database account" in reason


def test_the_labs_are_told_where_the_platform_service_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = VALUES["singleuser"]["extraEnv"]
    assert env == LabEnvironment(platform_url=platform_service_url()).to_environment()
    assert env["SURVEYLAB_PLATFORM_URL"] == (
        f"http://{PLATFORM_NAME}:{PLATFORM_PORT}/services/{PLATFORM_SERVICE_NAME}/"
    )
    # the chart sets singleuser.extraEnv first; hub.extraConfig keeps it
    c = run_extra_config(tmp_path, monkeypatch, dict(env))
    assert c.KubeSpawner.environment == env


def test_the_labs_network_policy_lets_them_reach_the_platform_pod() -> None:
    (rule,) = VALUES["singleuser"]["networkPolicy"]["egress"]
    (target,) = rule["to"]
    pod = PLATFORM["Deployment"]["spec"]["template"]
    assert target["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert rule["ports"] == [{"protocol": "TCP", "port": container["ports"][0]["containerPort"]}]
    # and the hub's own policy lets the service's pod reach the hub's API
    assert pod["metadata"]["labels"]["hub.jupyter.org/network-access-hub"] == "true"


def test_every_home_is_a_folder_of_one_shared_volume() -> None:
    storage = VALUES["singleuser"]["storage"]
    assert storage["type"] == "static"
    assert storage["static"] == {"pvcName": HOME_CLAIM, "subPath": "{unescaped_username}"}
    claim = PLATFORM["PersistentVolumeClaim"]
    assert claim["metadata"]["name"] == HOME_CLAIM
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_prometheus_scrapes_the_hub_and_the_platform_service_by_annotations() -> None:
    """The usual pod discovery (``prometheus.io/*`` annotations) finds both; neither asks it for
    a token, as it has none to give."""
    hub = VALUES["hub"]
    hub_path = hub["baseUrl"].rstrip("/") + "/hub/metrics"
    assert hub["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/path": hub_path,
        "prometheus.io/port": "8081",  # the hub's own port, not the proxy's
    }
    assert hub["authenticatePrometheus"] is False
    pod = PLATFORM["Deployment"]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert pod["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/path": f"/services/{PLATFORM_SERVICE_NAME}/metrics",
        "prometheus.io/port": str(ports["http"]),
    }
    assert "--open-metrics" in container["command"]

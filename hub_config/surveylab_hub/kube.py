"""KubeSpawner with the lab's database credentials in a per-user Kubernetes Secret.

The authenticator's ``pre_spawn_start`` puts ``SURVEYLAB_DB_USER`` and ``SURVEYLAB_DB_PASSWORD``
into ``spawner.environment`` (the user's own login from ``auth_state``, or a shared account for
pool users). Plain KubeSpawner would write them as literal values into the pod spec, where
anyone who may ``get pods`` reads them. :class:`SurveylabKubeSpawner` moves them out:

1. before anything else, the credential variables (:attr:`SurveylabKubeSpawner.credential_env`)
   leave ``environment`` for a private attribute, so that no pod manifest, log line or
   ``{username}`` template expansion ever sees them;
2. the pod's container gets them from ``env[].valueFrom.secretKeyRef`` of one Secret per user and
   server, ``surveylab-db-<user>[--<server>]`` (:func:`credentials_env`);
3. just before the pod is created, the Secret is created through KubeSpawner's own async
   Kubernetes client; an existing one (a crash left it) is deleted and created again, which
   needs only the ``create`` and ``delete`` verbs the Zero to JupyterHub hub Role already grants;
4. it is deleted when the lab stops (and when the server is deleted for good).

Pure functions build the data (:func:`split_credentials`, :func:`credentials_secret`,
:func:`credentials_env`), so manifests are tested with no cluster.

The platform service (:mod:`surveylab_server.service`) is no pod of the hub's on Kubernetes but a
Deployment of its own; :func:`platform_service_manifests` builds it, its Service and the one
ReadWriteMany volume of users' homes that it shares with the labs (written to
``hub_config/helm/platform-service.yaml`` by ``hub_config/helm/render_values.py``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jupyterhub.utils import exponential_backoff
from kubernetes_asyncio.client import V1ObjectMeta, V1Secret
from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from traitlets import List, TraitError, Unicode, validate

from surveylab.labenv import PLATFORM_SERVICE_NAME, LabEnvironment

__all__ = [
    "HOME_CLAIM",
    "PLATFORM_NAME",
    "PLATFORM_PORT",
    "SECRET_COMPONENT",
    "SECRET_VERBS",
    "CredentialsSecretError",
    "SurveylabKubeSpawner",
    "check_secret_name",
    "credentials_env",
    "credentials_secret",
    "platform_service_manifests",
    "platform_service_prefix",
    "platform_service_url",
    "scrape_annotations",
    "split_credentials",
]

#: ``app.kubernetes.io/component`` of the credentials Secrets: list them with
#: ``kubectl get secret -l app.kubernetes.io/component=surveylab-db-credentials``.
SECRET_COMPONENT = "surveylab-db-credentials"

#: The verbs on ``secrets`` the hub's ServiceAccount needs (the Zero to JupyterHub hub Role
#: grants get, watch, list, create and delete; it has no update or patch).
SECRET_VERBS = frozenset({"create", "delete"})

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class CredentialsSecretError(RuntimeError):
    """The credentials Secret could not be created; the message names it and the HTTP status."""


def check_secret_name(name: str) -> str:
    """Return ``name`` if it is a valid Secret name (a DNS subdomain), else raise ValueError.

    >>> check_secret_name("surveylab-db-ada")
    'surveylab-db-ada'
    """
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise ValueError(
            f"{name!r} is not a valid Secret name: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters"
        )
    return name


def split_credentials(
    environment: Mapping[str, Any], names: Iterable[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Split ``environment`` into the other variables and the credentials among ``names``.

    Only plain string values are credentials: a callable or a ready ``valueFrom`` entry under
    one of ``names`` stays where it is.

    >>> split_credentials({"A": "1", "SURVEYLAB_DB_PASSWORD": "pw"}, ["SURVEYLAB_DB_PASSWORD"])
    ({'A': '1'}, {'SURVEYLAB_DB_PASSWORD': 'pw'})
    """
    wanted = set(names)
    rest: dict[str, Any] = {}
    credentials: dict[str, str] = {}
    for key, value in environment.items():
        if key in wanted and isinstance(value, str):
            credentials[key] = value
        else:
            rest[key] = value
    return rest, credentials


def credentials_secret(
    name: str,
    credentials: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> V1Secret:
    """The Secret holding ``credentials`` (one key per environment variable).

    It is immutable (replaced by delete and create, never updated) and labelled with
    ``app.kubernetes.io/component`` = :data:`SECRET_COMPONENT` on top of ``labels``.

    Raises
    ------
    ValueError
        A bad Secret name or key, or no credentials at all.
    """
    check_secret_name(name)
    if not credentials:
        raise ValueError(f"Secret {name}: no credentials to keep")
    bad = sorted(key for key in credentials if not _SECRET_KEY.match(key))
    if bad:
        raise ValueError(f"Secret {name}: invalid keys {bad} (letters, digits, '-', '_', '.')")
    data = {
        key: base64.b64encode(value.encode("utf-8")).decode("ascii")
        for key, value in sorted(credentials.items())
    }
    return V1Secret(
        api_version="v1",
        kind="Secret",
        metadata=V1ObjectMeta(
            name=name,
            labels={**(labels or {}), "app.kubernetes.io/component": SECRET_COMPONENT},
            annotations=dict(annotations or {}),
        ),
        type="Opaque",
        immutable=True,
        data=data,
    )


def credentials_env(name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """KubeSpawner environment entries reading each of ``keys`` from Secret ``name``.

    >>> credentials_env("surveylab-db-ada", ["SURVEYLAB_DB_USER"])["SURVEYLAB_DB_USER"]
    {'valueFrom': {'secretKeyRef': {'name': 'surveylab-db-ada', 'key': 'SURVEYLAB_DB_USER'}}}
    """
    return {
        key: {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}} for key in sorted(keys)
    }


class SurveylabKubeSpawner(KubeSpawner):  # type: ignore[misc]  # kubespawner has no type hints
    """KubeSpawner whose pods read the database credentials from a per-user Secret.

    Configured like KubeSpawner (``c.KubeSpawner.*`` applies); see the module docstring for
    the life of the Secret.
    """

    credential_env = List(
        Unicode(),
        list(LabEnvironment.variables(LabEnvironment.CREDENTIALS)),
        config=True,
        help="""
        Names of the environment variables that carry credentials. When `environment` holds
        one of them as a plain string (the authenticator's `pre_spawn_start` puts the user's
        database login there), it is moved into the per-user Secret named by
        `db_secret_name_template`, and the pod reads it through `valueFrom.secretKeyRef`.
        Default: `SURVEYLAB_DB_USER` and `SURVEYLAB_DB_PASSWORD`.
        """,
    )

    db_secret_name_template = Unicode(
        "surveylab-db-{user_server}",
        config=True,
        help="""
        Name of the Secret that holds a lab's credentials, expanded like
        `KubeSpawner.pod_name_template` (`{user_server}` is the escaped username, plus
        `--<servername>` for a named server). One Secret per user and server, in the lab's
        namespace; it must not collide with other objects' names. Default
        `surveylab-db-{user_server}`.
        """,
    )

    @validate("credential_env")
    def _validate_credential_env(self, proposal: dict[str, Any]) -> list[str]:
        names = list(proposal["value"])
        bad = [name for name in names if not _SECRET_KEY.match(name)]
        if bad:
            raise TraitError(
                f"SurveylabKubeSpawner.credential_env: {bad} cannot be Secret keys "
                "(letters, digits, '-', '_', '.')"
            )
        return names

    @validate("db_secret_name_template")
    def _validate_db_secret_name_template(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.strip():
            raise TraitError("SurveylabKubeSpawner.db_secret_name_template must not be empty")
        return value

    #: The Secret's name once credentials were seen (kept in the spawner's state).
    db_secret_name: str | None = None
    #: The credentials on their way to the Secret; emptied once the lab has started.
    _db_credentials: dict[str, str] | None = None
    #: The keys of the Secret the pod reads.
    _db_secret_keys: tuple[str, ...] = ()
    #: Whether this spawner created the Secret and has not deleted it since.
    _db_secret_created: bool = False

    # --- pure parts: the environment and the manifests ----------------------------------

    def _take_credentials(self) -> None:
        """Move the credential variables out of `environment`, before anything reads it."""
        environment: dict[str, Any] = self.environment  # type: ignore[has-type]  # untyped base
        rest, credentials = split_credentials(environment, self.credential_env)
        if not credentials:
            return
        self.environment = rest
        self._db_credentials = credentials
        self._db_secret_keys = tuple(sorted(credentials))
        self.db_secret_name = check_secret_name(
            self._expand_user_properties(self.db_secret_name_template)
        )

    def get_env(self) -> dict[str, Any]:
        """KubeSpawner's environment, with the credentials as ``secretKeyRef`` entries."""
        self._take_credentials()
        env: dict[str, Any] = super().get_env()
        if self._db_secret_keys and self.db_secret_name:
            env.update(credentials_env(self.db_secret_name, self._db_secret_keys))
        return env

    def get_db_secret_manifest(self) -> V1Secret:
        """The Secret with the credentials taken from `environment`, labelled like the pod."""
        if not self._db_credentials or not self.db_secret_name:
            raise CredentialsSecretError("no database credentials to put into a Secret")
        labels = self._build_common_labels(self._expand_all(self.extra_labels))
        annotations = self._build_common_annotations(self._expand_all(self.extra_annotations))
        return credentials_secret(
            self.db_secret_name, self._db_credentials, labels=labels, annotations=annotations
        )

    # --- the Secret's life --------------------------------------------------------------

    async def _secret_call(self, verb: str, **kwargs: Any) -> None:
        """``<verb>_namespaced_secret`` through KubeSpawner's client, within its timeout."""
        method = getattr(self.api, f"{verb}_namespaced_secret")
        await asyncio.wait_for(
            method(namespace=self.namespace, **kwargs), self.k8s_api_request_timeout
        )

    def _secret_error(self, action: str, error: ApiException) -> CredentialsSecretError:
        # Status and reason only: a response body may echo the request.
        hint = ""
        if error.status == 403:
            verbs = " and ".join(sorted(SECRET_VERBS))
            hint = f"; the hub's ServiceAccount needs {verbs} on secrets"
        return CredentialsSecretError(
            f"could not {action} Secret {self.namespace}/{self.db_secret_name} with the lab's "
            f"database credentials: HTTP {error.status} {error.reason}{hint}"
        )

    async def _ensure_db_secret(self) -> bool:
        """Create the Secret (deleting a stale one first); False on a timeout, to retry."""
        if self._db_secret_created or not self._db_credentials:
            return True
        manifest = self.get_db_secret_manifest()
        name = manifest.metadata.name
        try:
            try:
                await self._secret_call("create", body=manifest)
            except ApiException as e:
                if e.status != 409:
                    raise self._secret_error("create", e) from None
                self.log.info("Replacing the stale Secret %s/%s", self.namespace, name)
                try:
                    await self._secret_call("delete", name=name)
                    await self._secret_call("create", body=manifest)
                except ApiException as e2:
                    raise self._secret_error("replace", e2) from None
        except TimeoutError:
            return False
        self._db_secret_created = True
        self.log.info(
            "Created Secret %s/%s with the lab's database credentials (keys %s)",
            self.namespace,
            name,
            ", ".join(self._db_secret_keys),
        )
        return True

    async def _delete_db_secret(self) -> None:
        """Delete the Secret (gone already is fine); an API error is logged, not raised."""
        name = self.db_secret_name or self._expand_user_properties(self.db_secret_name_template)

        async def attempt() -> bool:
            try:
                await self._secret_call("delete", name=name)
            except TimeoutError:
                return False
            except ApiException as e:
                if e.status != 404:
                    raise
            return True

        try:
            await exponential_backoff(
                attempt,
                f"Could not delete Secret {self.namespace}/{name}",
                timeout=self.k8s_api_request_retry_timeout,
            )
        except (ApiException, TimeoutError) as e:
            status = f"HTTP {e.status} {e.reason}" if isinstance(e, ApiException) else "timeout"
            self.log.error(
                "Could not delete Secret %s/%s with a lab's database credentials (%s); "
                "delete it by hand",
                self.namespace,
                name,
                status,
            )
            return
        self._db_secret_created = False

    # --- KubeSpawner's flow -------------------------------------------------------------

    async def _start(self) -> Any:
        """Take the credentials out of `environment` first; forget them once the pod is up."""
        self._take_credentials()
        try:
            return await super()._start()
        finally:
            self._db_credentials = None

    async def _make_create_pod_request(self, pod: Any, request_timeout: float) -> bool:
        """Create the credentials Secret just before the pod that reads it."""
        if not await self._ensure_db_secret():
            return False  # a timeout: KubeSpawner's exponential_backoff tries again
        created: bool = await super()._make_create_pod_request(pod, request_timeout)
        return created

    async def stop(self, now: bool = False) -> None:
        """Stop the pod, then delete the credentials Secret."""
        try:
            await super().stop(now)
        finally:
            await self._delete_db_secret()

    async def delete_forever(self) -> None:
        """KubeSpawner's cleanup (e.g. the PVC), and the credentials Secret if still there."""
        await super().delete_forever()
        await self._delete_db_secret()

    def get_state(self) -> dict[str, Any]:
        """KubeSpawner's state, plus the Secret's name (so a restarted hub deletes it)."""
        state: dict[str, Any] = super().get_state()
        if self.db_secret_name:
            state["db_secret_name"] = self.db_secret_name
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore KubeSpawner's state and the Secret's name."""
        super().load_state(state)
        if state.get("db_secret_name"):
            self.db_secret_name = str(state["db_secret_name"])

    def clear_state(self) -> None:
        """Forget the stopped lab's Secret."""
        super().clear_state()
        self.db_secret_name = None
        self._db_secret_keys = ()


# --- the platform service's own objects ---------------------------------------------------------

#: Name of the platform service's Deployment and Service, and its pods' ``app.kubernetes.io/name``.
PLATFORM_NAME = "surveylab-platform"
#: The port the service listens on, in its pod and on its Service.
PLATFORM_PORT = 8000
#: The ReadWriteMany claim holding every user's home, ``<volume>/<user name>``.
HOME_CLAIM = "surveylab-home"
#: The lab images' user and group (jovyan, users): the service writes users' files as labs do.
LAB_UID, LAB_GID = 1000, 100
#: The shared database accounts Secret (the hub's, ``hub.extraVolumes``), where the service
#: mounts it, and its file.
DB_ACCOUNTS_SECRET = "surveylab-db-accounts"
DB_ACCOUNTS_DIR = "/usr/local/etc/surveylab/db-accounts"
DB_ACCOUNTS_FILE = f"{DB_ACCOUNTS_DIR}/db-accounts.yaml"
#: The ConfigMap of the roles file, and where the platform service reads it.
ROLES_CONFIG_MAP = "surveylab-roles"
ROLES_DIR = "/usr/local/etc/surveylab/roles"
ROLES_FILE = f"{ROLES_DIR}/roles.yaml"
#: Z2JH's hub Service (``fullnameOverride: ""``) and the Secret where the chart keeps the API
#: tokens it generates for ``hub.services``.
HUB_SERVICE = "hub"
HUB_SECRET = "hub"
_HUB_ACCESS_LABEL = "hub.jupyter.org/network-access-hub"  # the hub's NetworkPolicy lets these in
_SENSITIVE_ENV = re.compile(r"PASSWORD|SECRET|TOKEN|CRYPT|KEY", re.IGNORECASE)


def _check_base_url(base_url: str) -> str:
    if not (base_url.startswith("/") and base_url.endswith("/")):
        raise ValueError(f"hub base URL {base_url!r} must start and end with '/'")
    return base_url


def platform_service_prefix(hub_base_url: str = "/") -> str:
    """The service's path on the hub (``JUPYTERHUB_SERVICE_PREFIX``).

    >>> platform_service_prefix()
    '/services/surveylab/'
    """
    return f"{_check_base_url(hub_base_url)}services/{PLATFORM_SERVICE_NAME}/"


def platform_service_url(hub_base_url: str = "/") -> str:
    """The labs' in-cluster URL of the service (their ``SURVEYLAB_PLATFORM_URL``).

    >>> platform_service_url()
    'http://surveylab-platform:8000/services/surveylab/'
    """
    return f"http://{PLATFORM_NAME}:{PLATFORM_PORT}{platform_service_prefix(hub_base_url)}"


def _platform_env(hub_base_url: str, environment: Mapping[str, str]) -> list[dict[str, Any]]:
    """What the hub gives a managed service, set by hand; the API token from the chart's Secret."""
    prefix = platform_service_prefix(hub_base_url)
    fixed = {
        "JUPYTERHUB_SERVICE_NAME": PLATFORM_SERVICE_NAME,
        # where the server binds (surveylab_server.service reads host and port from it)
        "JUPYTERHUB_SERVICE_URL": f"http://0.0.0.0:{PLATFORM_PORT}",
        "JUPYTERHUB_SERVICE_PREFIX": prefix,
        "JUPYTERHUB_BASE_URL": hub_base_url,
        "JUPYTERHUB_API_URL": f"http://{HUB_SERVICE}:8081{hub_base_url}hub/api",
        "JUPYTERHUB_CLIENT_ID": f"service-{PLATFORM_SERVICE_NAME}",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{prefix}oauth_callback",
        "JUPYTERHUB_OAUTH_ACCESS_SCOPES": json.dumps(
            ["access:services", f"access:services!service={PLATFORM_SERVICE_NAME}"]
        ),
        # the root file system is read-only: Jupyter's runtime files and caches go to /tmp
        "HOME": "/tmp",
    }
    refused = sorted(
        name
        for name in environment
        if name in fixed or name == "JUPYTERHUB_API_TOKEN" or _SENSITIVE_ENV.search(name)
    )
    if refused:
        raise ValueError(
            f"platform service environment: {refused} are set by the manifest or are "
            "credentials (give those through a Secret)"
        )
    token = {
        "secretKeyRef": {
            "name": HUB_SECRET,
            "key": f"hub.services.{PLATFORM_SERVICE_NAME}.apiToken",
        }
    }
    return [
        {"name": "JUPYTERHUB_API_TOKEN", "valueFrom": token},
        *({"name": k, "value": v} for k, v in fixed.items()),
        *({"name": k, "value": environment[k]} for k in sorted(environment)),
    ]


def scrape_annotations(path: str, port: int = PLATFORM_PORT) -> dict[str, str]:
    """The ``prometheus.io`` annotations by which Prometheus's usual Kubernetes pod discovery
    scrapes ``path`` on ``port`` of a pod."""
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/path": path,
        "prometheus.io/port": str(port),
    }


def platform_service_manifests(
    namespace: str,
    image: str,
    *,
    storage_class: str | None = "nfs-client",
    storage: str = "1Ti",
    hub_base_url: str = "/",
    logins_from_hub: bool = True,
    environment: Mapping[str, str] | None = None,
    scrape_metrics: bool = True,
    roles: str | None = None,
) -> list[dict[str, Any]]:
    """The platform service's objects in ``namespace``: the homes' claim, Deployment, Service,
    and with ``roles`` the ConfigMap of the roles file.

    Parameters
    ----------
    namespace
        The Helm release's namespace (the hub and the labs are there).
    image
        An image with ``surveylab_server`` and the survey's code: the labs' default image, so
        that the service serves what the labs serve.
    storage_class, storage
        The claim ``surveylab-home``: a ReadWriteMany class (NFS, CephFS); None takes the
        cluster's default class, which is rarely ReadWriteMany.
    hub_base_url
        ``hub.baseUrl`` of the chart.
    logins_from_hub
        Run each user's jobs as the database account their lab gets, named in the hub's
        auth_state (``--logins-from-hub``; the service's role needs ``read:users:name`` and
        ``admin:auth_state``): a database login's own, or the shared account of a workshop pool
        or an OAuth identity, read from the Secret ``surveylab-db-accounts`` as the hub reads it
        (``--db-accounts``).
    environment
        More variables for the service, e.g. the labs' ``SURVEYLAB_*`` settings; no credentials.
    scrape_metrics
        Let an in-cluster Prometheus scrape the service's metrics (:mod:`surveylab.metrics`):
        the pod's ``prometheus.io/scrape``, ``path`` and ``port`` annotations, and the metrics
        served with no token (``--open-metrics``; they name no user).
    roles
        The text of the roles file (``hub_config/roles.yaml``, :mod:`surveylab.roles`): put in
        the ConfigMap ``surveylab-roles`` and read by the service (``--roles``), which learns
        each user's role from their hub groups (its role needs ``read:users:groups``).

    Raises
    ------
    ValueError
        A bad base URL, or an environment variable that the manifest sets or that holds a
        credential.
    """
    prefix = platform_service_prefix(hub_base_url)

    def labels(**more: str) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": PLATFORM_NAME,
            "app.kubernetes.io/part-of": "surveylab",
            "app.kubernetes.io/component": "platform-service",
            **more,
        }

    def selector() -> dict[str, str]:
        return {"app.kubernetes.io/name": PLATFORM_NAME}

    def probe(**timing: int) -> dict[str, Any]:
        # jupyter_server's version endpoint: it answers with no token and asks nothing of the hub
        return {"httpGet": {"path": f"{prefix}api", "port": "http"}, **timing}

    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": HOME_CLAIM, "namespace": namespace, "labels": labels()},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            **({"storageClassName": storage_class} if storage_class else {}),
            "resources": {"requests": {"storage": storage}},
        },
    }
    container = {
        "name": "platform",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": [
            *("python", "-m", "surveylab_server.service", "--homes", "/home/{username}"),
            *(["--open-metrics"] if scrape_metrics else []),
            *(["--roles", ROLES_FILE] if roles is not None else []),
            *(["--logins-from-hub", "--db-accounts", DB_ACCOUNTS_FILE] if logins_from_hub else []),
        ],
        "workingDir": "/tmp",
        "env": _platform_env(hub_base_url, environment or {}),
        "ports": [{"name": "http", "containerPort": PLATFORM_PORT, "protocol": "TCP"}],
        # the survey may take minutes to open at first (the demo survey is generated)
        "startupProbe": probe(periodSeconds=10, failureThreshold=30),
        "readinessProbe": probe(periodSeconds=10, timeoutSeconds=5),
        "livenessProbe": probe(periodSeconds=20, timeoutSeconds=5, failureThreshold=5),
        "resources": {
            "requests": {"cpu": "1", "memory": "2Gi"},
            "limits": {"cpu": "4", "memory": "8Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "home", "mountPath": "/home"},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "db-accounts", "mountPath": DB_ACCOUNTS_DIR, "readOnly": True},
            *(
                [{"name": "roles", "mountPath": ROLES_DIR, "readOnly": True}]
                if roles is not None
                else []
            ),
        ],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": PLATFORM_NAME, "namespace": namespace, "labels": labels()},
        "spec": {
            # One job runner per user's store: the per-user caps and fair turns hold within one
            # process, and a new pod's recovery must not meet an old pod's running jobs. So
            # one replica, and Recreate: the old pod stops before the new one starts (a rolling
            # update would run both).
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector()},
            "template": {
                "metadata": {
                    "labels": labels(**{_HUB_ACCESS_LABEL: "true"}),
                    **(
                        {"annotations": scrape_annotations(f"{prefix}metrics")}
                        if scrape_metrics
                        else {}
                    ),
                },
                "spec": {
                    # One host name for every pod of it: a replacement pod judges the jobs its
                    # predecessor left as its own host's, by pid and start time, at once.
                    "hostname": PLATFORM_NAME,
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 60,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": LAB_UID,
                        "runAsGroup": LAB_GID,
                        # the accounts Secret's file: group-readable by this group alone
                        "fsGroup": LAB_GID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {"name": "home", "persistentVolumeClaim": {"claimName": HOME_CLAIM}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "4Gi"}},
                        {
                            "name": "db-accounts",
                            "secret": {
                                "secretName": DB_ACCOUNTS_SECRET,
                                "defaultMode": 0o400,
                                "optional": True,
                            },
                        },
                        *(
                            [{"name": "roles", "configMap": {"name": ROLES_CONFIG_MAP}}]
                            if roles is not None
                            else []
                        ),
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": PLATFORM_NAME, "namespace": namespace, "labels": labels()},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(),
            "ports": [
                {"name": "http", "port": PLATFORM_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }
    if roles is None:
        return [claim, deployment, service]
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": ROLES_CONFIG_MAP, "namespace": namespace, "labels": labels()},
        "data": {"roles.yaml": roles},
    }
    return [claim, config_map, deployment, service]

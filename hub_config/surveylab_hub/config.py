"""The surveylab hub's configuration, built by pure functions.

``hub_config/jupyterhub_config.py`` comes down to::

    options = hub_options_from_environ(os.environ)
    prepare_state_dir(options["state_dir"], demo_user=demo_user_from_environ(os.environ))
    configure(c, **options)

:func:`hub_options_from_environ` reads the ``SURVEYLAB_HUB_*`` variables (see :data:`ENV_VARS`);
:func:`configure` fills the traitlets ``Config``. Neither writes anything, so both are tested
as tables; only :func:`prepare_state_dir` makes the state folder and the demo user.

This module builds the local hub: configurable-http-proxy, the embedded credential store, one
process per user. Other authenticators, KubeSpawner, profiles and pools come as further
``configure_*`` steps.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from surveylab.labenv import PLATFORM_SERVICE_NAME, LabEnvironment, lab_variable
from surveylab.roles import RolesConfig, load_roles
from surveylab_hub.profiles import (
    DEFAULT_PROFILES_PATH,
    DEFAULT_ROLES_PATH,
    configure_kubespawner,
    load_profiles,
)
from surveylab_hub.store import CredentialStore

__all__ = [
    "CULLER_NAME",
    "DEFAULT_STATE_DIR",
    "ENV_VARS",
    "LAB_ARGS",
    "POOL_SERVICE_NAME",
    "SERVICE_NAME",
    "SERVICE_ONLY_VARIABLES",
    "HubOptions",
    "add_service",
    "configure",
    "configure_culler",
    "configure_database_auth",
    "configure_embedded_auth",
    "configure_hub",
    "configure_local_spawner",
    "configure_oauth",
    "configure_pool_service",
    "configure_pools",
    "configure_proxy",
    "configure_service",
    "default_proxy_cmd",
    "demo_user_from_environ",
    "hub_options_from_environ",
    "lab_environment",
    "prepare_state_dir",
    "service_environment",
]

DEFAULT_STATE_DIR = Path("var/hub")
SERVICE_NAME = "surveylab-admin"
CULLER_NAME = "surveylab-culler"
POOL_SERVICE_NAME = "surveylab-pools"

#: The environment variables of the hub (not passed to the labs).
ENV_VARS: dict[str, str] = {
    "SURVEYLAB_HUB_STATE_DIR": "folder of the hub's state: database, cookie secret, users.json, "
    f"homes (default ./{DEFAULT_STATE_DIR})",
    "SURVEYLAB_HUB_IP": "IP the proxy listens on (default 127.0.0.1)",
    "SURVEYLAB_HUB_PORT": "port the proxy listens on (default 8000)",
    "SURVEYLAB_HUB_API_PORT": "port of the hub's own API, on 127.0.0.1 (default port + 81)",
    "SURVEYLAB_HUB_PROXY_API_PORT": "port of the proxy's REST API, on 127.0.0.1 (default port + 1)",
    "SURVEYLAB_HUB_PLATFORM_PORT": "port of the platform service /services/surveylab/, on "
    "127.0.0.1 (default port + 82)",
    "SURVEYLAB_HUB_PLATFORM": "on (default): the hub runs the platform service and the labs "
    "submit their jobs to it; off: none, each lab runs its own jobs. With the kubernetes spawner "
    "the service is a Deployment declared in the Helm values, not started by the hub",
    "SURVEYLAB_HUB_PROXY_CMD": "configurable-http-proxy executable (default: the one installed "
    "by `npm --prefix hub_config install`, else the one on PATH)",
    "SURVEYLAB_HUB_SERVICE_TOKEN": "if set, an API token of the admin service "
    f"{SERVICE_NAME!r} (for tests and automation)",
    "SURVEYLAB_HUB_DEMO_USER": "demo user created at start with a random password (default demo; "
    "empty: none)",
    "SURVEYLAB_HUB_AUTH": "how users log in: embedded (default), postgresql, oracle, oauth (any "
    "OAuth2/OpenID Connect provider) or cilogon",
    "SURVEYLAB_HUB_DB_HOST": "PostgreSQL host checked at login (auth postgresql)",
    "SURVEYLAB_HUB_DB_PORT": "PostgreSQL port (default 5432)",
    "SURVEYLAB_HUB_DB_NAME": "PostgreSQL database (default survey)",
    "SURVEYLAB_HUB_ORACLE_DSN": "Oracle host:port/service checked at login (auth oracle)",
    "SURVEYLAB_HUB_OAUTH_CLIENT_ID": "client id registered with the provider (auth oauth, cilogon)",
    "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET": "its client secret: only ever from the environment "
    "(never in a command line or a log)",
    "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE": "or a private file (mode 0600) holding the secret",
    "SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL": "the provider's authorization endpoint (auth oauth; "
    "cilogon: default https://cilogon.org/authorize)",
    "SURVEYLAB_HUB_OAUTH_TOKEN_URL": "the provider's token endpoint (auth oauth)",
    "SURVEYLAB_HUB_OAUTH_USERDATA_URL": "the provider's userinfo endpoint (auth oauth)",
    "SURVEYLAB_HUB_OAUTH_CALLBACK_URL": "https://<host>/hub/oauth_callback as registered with "
    "the provider (default: from the request's host)",
    "SURVEYLAB_HUB_OAUTH_USERNAME_CLAIM": "claim naming the user (default email; cilogon: eppn)",
    "SURVEYLAB_HUB_OAUTH_SCOPES": "scopes to request, blank-separated (default: openid email "
    "profile; cilogon: oauthenticator's)",
    "SURVEYLAB_HUB_OAUTH_LOGIN_SERVICE": "the provider's name on the login button",
    "SURVEYLAB_HUB_OAUTH_ACCOUNT_MAP": "YAML file mapping OAuth identities to shared database "
    "accounts (default <state dir>/oauth-accounts.yaml)",
    "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT": "shared account of identities the map does not list "
    "(default readonly; none: refuse them)",
    "SURVEYLAB_HUB_OAUTH_ALLOW_ALL": "1: admit every identity the provider authenticates, not "
    "only those the map lists (default 0)",
    "SURVEYLAB_HUB_CILOGON_IDPS": "CILogon identity providers (entity IDs) to offer, "
    "comma-separated (auth cilogon)",
    "SURVEYLAB_HUB_DB_ACCOUNTS": "private YAML file of shared database accounts (pools, OAuth) "
    "(default <state dir>/db-accounts.yaml)",
    "SURVEYLAB_HUB_SPAWNER": "local (default: one process per user) or kubernetes (KubeSpawner)",
    "SURVEYLAB_HUB_PROFILES": "the lab profiles file (default hub_config/profiles.yaml)",
    "SURVEYLAB_HUB_ROLES": "the roles file (default hub_config/roles.yaml)",
    "SURVEYLAB_HUB_POOL_INTERVAL": "seconds between the checks for ended workshop pools "
    "(default 60)",
    "SURVEYLAB_HUB_OFFER_GPU": "local spawner: offer GPU profiles; auto (default: if this machine "
    "has an NVIDIA GPU), yes or no",
}

#: Authenticator class of each ``SURVEYLAB_HUB_AUTH`` value.
AUTHENTICATORS = {
    "embedded": "surveylab_hub.authenticator.EmbeddedAuthenticator",
    "postgresql": "surveylab_hub.db_authenticators.PostgresAuthenticator",
    "oracle": "surveylab_hub.db_authenticators.OracleAuthenticator",
    "oauth": "surveylab_hub.oauth.SurveylabGenericOAuthenticator",
    "cilogon": "surveylab_hub.oauth.SurveylabCILogonOAuthenticator",
}

#: The ``SURVEYLAB_HUB_AUTH`` values that log in through an OAuth provider.
OAUTH_AUTHS = ("oauth", "cilogon")

#: The keys of :func:`configure`'s ``oauth`` argument and their variables.
OAUTH_VARS = {
    "client_id": "SURVEYLAB_HUB_OAUTH_CLIENT_ID",
    "client_secret": "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET",
    "client_secret_file": "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE",
    "authorize_url": "SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL",
    "token_url": "SURVEYLAB_HUB_OAUTH_TOKEN_URL",
    "userdata_url": "SURVEYLAB_HUB_OAUTH_USERDATA_URL",
    "callback_url": "SURVEYLAB_HUB_OAUTH_CALLBACK_URL",
    "username_claim": "SURVEYLAB_HUB_OAUTH_USERNAME_CLAIM",
    "scopes": "SURVEYLAB_HUB_OAUTH_SCOPES",
    "login_service": "SURVEYLAB_HUB_OAUTH_LOGIN_SERVICE",
    "account_map": "SURVEYLAB_HUB_OAUTH_ACCOUNT_MAP",
    "default_account": "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT",
    "allow_all": "SURVEYLAB_HUB_OAUTH_ALLOW_ALL",
    "cilogon_idps": "SURVEYLAB_HUB_CILOGON_IDPS",
}

#: Spawners of each ``SURVEYLAB_HUB_SPAWNER`` value.
SPAWNERS = ("local", "kubernetes")

#: Arguments of every lab: a platform's labs do not phone home (no news feed, no update check).
LAB_ARGS = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
)

#: Where ``npm --prefix hub_config install`` puts the proxy.
PROJECT_PROXY = Path(__file__).resolve().parents[1] / "node_modules/.bin/configurable-http-proxy"


class HubOptions(TypedDict):
    """The keyword arguments of :func:`configure`, as read from the environment."""

    state_dir: Path
    data_dir: Path | None
    ip: str
    port: int
    hub_port: NotRequired[int | None]
    proxy_api_port: NotRequired[int | None]
    proxy_cmd: NotRequired[Sequence[str] | None]
    lab_env: NotRequired[Mapping[str, str]]
    service_env: NotRequired[Mapping[str, str]]
    service_token: NotRequired[str | None]
    auth: NotRequired[str]
    database: NotRequired[Mapping[str, str]]
    oauth: NotRequired[Mapping[str, str]]
    spawner: NotRequired[str]
    profiles_path: NotRequired[Path | None]
    roles_path: NotRequired[Path | None]
    db_accounts_path: NotRequired[Path | None]
    pool_interval: NotRequired[float | None]
    offer_gpu: NotRequired[bool | None]
    service_port: NotRequired[int | None]
    platform: NotRequired[bool]


def default_proxy_cmd() -> list[str]:
    """The project's configurable-http-proxy if installed, else ``configurable-http-proxy``."""
    if PROJECT_PROXY.exists():
        return [str(PROJECT_PROXY)]
    return [shutil.which("configurable-http-proxy") or "configurable-http-proxy"]


#: Settings that stay with the hub and its platform service, never in a lab's environment (or
#: pod spec) where its user could read them: the login of the SMTP server. A lab sends e-mail
#: through ``SURVEYLAB_SMTP_HOST`` without a login.
SERVICE_ONLY_VARIABLES = frozenset({lab_variable("smtp_user"), lab_variable("smtp_password")})


def service_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``SURVEYLAB_*`` variables to pass on to the platform service: all but the hub's own."""
    return {
        key: value
        for key, value in environ.items()
        if key.startswith("SURVEYLAB_") and not key.startswith("SURVEYLAB_HUB_")
    }


def lab_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``SURVEYLAB_*`` variables to pass on to the labs: the service's but the SMTP login."""
    service = service_environment(environ)
    return {key: value for key, value in service.items() if key not in SERVICE_ONLY_VARIABLES}


def _int_var(environ: Mapping[str, str], name: str) -> int | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a port number") from None
    if not 0 < number < 65536:
        raise ValueError(f"{name}={value!r} is not a port number (1-65535)")
    return number


def hub_options_from_environ(environ: Mapping[str, str], *, cwd: Path | None = None) -> HubOptions:
    """Read :func:`configure`'s arguments from ``SURVEYLAB_HUB_*`` and ``SURVEYLAB_*`` variables.

    Relative paths are taken from ``cwd`` (default: the current folder). Without
    ``SURVEYLAB_DATA_DIR``, ``data_dir`` is None and the labs use surveylab's default.
    """
    base = cwd or Path.cwd()
    state_dir = environ.get("SURVEYLAB_HUB_STATE_DIR", "").strip() or str(DEFAULT_STATE_DIR)
    data_dir = environ.get("SURVEYLAB_DATA_DIR", "").strip()
    proxy = environ.get("SURVEYLAB_HUB_PROXY_CMD", "").strip()
    return HubOptions(
        state_dir=base / state_dir,
        data_dir=base / data_dir if data_dir else None,
        ip=environ.get("SURVEYLAB_HUB_IP", "").strip() or "127.0.0.1",
        port=_int_var(environ, "SURVEYLAB_HUB_PORT") or 8000,
        hub_port=_int_var(environ, "SURVEYLAB_HUB_API_PORT"),
        proxy_api_port=_int_var(environ, "SURVEYLAB_HUB_PROXY_API_PORT"),
        service_port=_int_var(environ, "SURVEYLAB_HUB_PLATFORM_PORT"),
        platform=_choice(environ, "SURVEYLAB_HUB_PLATFORM", ("on", "off"), "on") == "on",
        proxy_cmd=[proxy] if proxy else None,
        lab_env=lab_environment(environ),
        service_env=service_environment(environ),
        service_token=environ.get("SURVEYLAB_HUB_SERVICE_TOKEN") or None,
        auth=_choice(environ, "SURVEYLAB_HUB_AUTH", tuple(AUTHENTICATORS), "embedded"),
        database={
            key: environ[name].strip()
            for key, name in (
                ("db_host", "SURVEYLAB_HUB_DB_HOST"),
                ("db_port", "SURVEYLAB_HUB_DB_PORT"),
                ("db_name", "SURVEYLAB_HUB_DB_NAME"),
                ("dsn", "SURVEYLAB_HUB_ORACLE_DSN"),
            )
            if environ.get(name, "").strip()
        },
        oauth={
            key: environ[name].strip()
            for key, name in OAUTH_VARS.items()
            if environ.get(name, "").strip()
        },
        spawner=_choice(environ, "SURVEYLAB_HUB_SPAWNER", SPAWNERS, "local"),
        profiles_path=Path(environ["SURVEYLAB_HUB_PROFILES"])
        if environ.get("SURVEYLAB_HUB_PROFILES", "").strip()
        else None,
        roles_path=Path(environ["SURVEYLAB_HUB_ROLES"])
        if environ.get("SURVEYLAB_HUB_ROLES", "").strip()
        else None,
        db_accounts_path=base / environ["SURVEYLAB_HUB_DB_ACCOUNTS"].strip()
        if environ.get("SURVEYLAB_HUB_DB_ACCOUNTS", "").strip()
        else None,
        pool_interval=_seconds_var(environ, "SURVEYLAB_HUB_POOL_INTERVAL"),
        offer_gpu={"auto": None, "yes": True, "no": False}[
            _choice(environ, "SURVEYLAB_HUB_OFFER_GPU", ("auto", "yes", "no"), "auto")
        ],
    )


def _seconds_var(environ: Mapping[str, str], name: str) -> float | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from None
    if not 0 < seconds <= 86400:
        raise ValueError(f"{name}={value!r} must be between 0 and 86400 seconds")
    return seconds


def _choice(environ: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    value = environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ValueError(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return value


def configure(
    c: Any,
    *,
    state_dir: Path,
    data_dir: Path | None = None,
    ip: str = "127.0.0.1",
    port: int = 8000,
    hub_port: int | None = None,
    proxy_api_port: int | None = None,
    proxy_cmd: Sequence[str] | None = None,
    lab_env: Mapping[str, str] | None = None,
    service_env: Mapping[str, str] | None = None,
    service_token: str | None = None,
    python: str | None = None,
    as_root: bool | None = None,
    auth: str = "embedded",
    database: Mapping[str, str] | None = None,
    oauth: Mapping[str, str] | None = None,
    spawner: str = "local",
    profiles_path: Path | None = None,
    roles_path: Path | None = None,
    crypt_key: str | None = None,
    db_accounts_path: Path | None = None,
    pool_interval: float | None = None,
    offer_gpu: bool | None = None,
    service_port: int | None = None,
    platform: bool = True,
) -> None:
    """Fill the traitlets ``Config`` ``c`` for the local surveylab hub.

    Parameters
    ----------
    c
        JupyterHub's ``Config`` (``get_config()`` in ``jupyterhub_config.py``).
    state_dir
        Folder of the hub's state: ``jupyterhub.sqlite``, the cookie secret, pid files,
        ``users.json`` and the users' homes (``home/<name>``).
    data_dir
        The survey, passed to the labs as ``SURVEYLAB_DATA_DIR``; None leaves it to ``lab_env``
        or surveylab's default.
    ip, port
        Where the proxy, and so the hub, is reached: ``http://<ip>:<port>/``.
    hub_port, proxy_api_port
        Loopback ports of the hub's API (default ``port + 81``) and the proxy's (``port + 1``).
    proxy_cmd
        configurable-http-proxy command; default :func:`default_proxy_cmd`.
    lab_env
        Variables for every lab, e.g. ``SURVEYLAB_*`` from :func:`lab_environment`.
    service_env
        Variables for the platform service besides ``lab_env``'s, e.g. from
        :func:`service_environment` (the SMTP login, which no lab sees).
    service_token
        If given, the API token of an admin service named :data:`SERVICE_NAME`.
    python
        The interpreter whose environment runs the labs (default ``sys.executable``).
    as_root
        Whether the hub runs as root, which makes the labs need ``--allow-root``
        (default: ask the OS).
    auth, database
        ``embedded`` (the credential store), ``postgresql`` or ``oracle``, and the database's
        settings (``db_host``, ``db_port``, ``db_name`` or ``dsn``).
    oauth
        With ``auth`` ``oauth`` or ``cilogon``: the provider's settings, keys of
        :data:`OAUTH_VARS` (see :func:`configure_oauth`).
    spawner, profiles_path
        ``local`` or ``kubernetes``, and the lab profiles file (checked at start either way).
    roles_path
        The roles file (default ``hub_config/roles.yaml``; checked at start, against the
        profiles): which profiles each role offers, and the role each lab gets.
    crypt_key
        ``JUPYTERHUB_CRYPT_KEY`` (default: from the environment). A database login carries the
        user's credentials to the lab in encrypted auth_state, and an OAuth login the user's
        identity, so both refuse to start without.
    db_accounts_path
        The shared database accounts file (default ``<state_dir>/db-accounts.yaml``): the
        workshop pools' labs query as its accounts (:func:`configure_pools`).
    pool_interval
        Seconds between the pool service's checks for ended workshop pools (default 60).
    offer_gpu
        Local spawner: offer GPU profiles (None: if this machine has an NVIDIA GPU).
    service_port
        Loopback port of the platform service (default ``port + 82``).
    platform
        Run the platform service and point the labs at it (local spawner only: on Kubernetes
        it is a Deployment of its own, declared in the Helm values).
    """
    state_dir = Path(state_dir)
    configure_hub(c, state_dir=state_dir, ip=ip, port=port, hub_port=hub_port or port + 81)
    configure_proxy(
        c,
        state_dir=state_dir,
        proxy_cmd=proxy_cmd or default_proxy_cmd(),
        api_port=proxy_api_port or port + 1,
    )
    if auth == "embedded":
        configure_embedded_auth(c, store_path=state_dir / "users.json")
    elif auth in OAUTH_AUTHS:
        configure_oauth(
            c,
            auth=auth,
            state_dir=state_dir,
            oauth=oauth or {},
            accounts_path=db_accounts_path or state_dir / "db-accounts.yaml",
            crypt_key=os.environ.get("JUPYTERHUB_CRYPT_KEY") if crypt_key is None else crypt_key,
        )
    else:
        configure_database_auth(
            c,
            auth=auth,
            database=database or {},
            crypt_key=os.environ.get("JUPYTERHUB_CRYPT_KEY") if crypt_key is None else crypt_key,
        )
    env = dict(lab_env or {})
    if data_dir is not None:
        env["SURVEYLAB_DATA_DIR"] = str(data_dir)
    service_env = {**(service_env or {}), **env}  # the service serves what the labs serve
    service_port = service_port or port + 82
    platform = platform and spawner != "kubernetes"  # on Kubernetes: a Deployment of its own
    if platform:  # the labs run on this machine: the service is on loopback
        service_url = f"http://127.0.0.1:{service_port}/services/{PLATFORM_SERVICE_NAME}/"
        env.update(LabEnvironment(platform_url=service_url).to_environment())
    profiles = load_profiles(profiles_path or DEFAULT_PROFILES_PATH)  # a bad file stops the hub
    slugs = [profile.slug for profile in profiles.profiles]
    roles = load_roles(roles_path or DEFAULT_ROLES_PATH, slugs)  # so does a bad roles file
    configure_roles(c, roles)
    if spawner == "kubernetes":
        configure_kubespawner(
            c, profiles, environment=env, pools_path=state_dir / "pools.json", roles=roles
        )
    else:
        configure_local_spawner(
            c,
            home_root=state_dir / "home",
            python=python or sys.executable,
            as_root=os.geteuid() == 0 if as_root is None else as_root,
            environment=env,
            profiles_path=profiles_path or DEFAULT_PROFILES_PATH,
        )
        c.ProfileLocalSpawner.roles_path = str(roles_path or DEFAULT_ROLES_PATH)
    if offer_gpu is not None:
        c.ProfileLocalSpawner.offer_gpu = offer_gpu
    configure_culler(
        c, profiles_path=profiles_path or DEFAULT_PROFILES_PATH, python=python or sys.executable
    )
    configure_pools(
        c, state_dir=state_dir, accounts_path=db_accounts_path or state_dir / "db-accounts.yaml"
    )
    configure_pool_service(
        c, state_dir=state_dir, python=python or sys.executable, interval=pool_interval or 60
    )
    if platform:
        configure_platform_service(
            c,
            home_root=state_dir / "home",
            python=python or sys.executable,
            port=service_port,
            environment=service_env,
            as_root=os.geteuid() == 0 if as_root is None else as_root,
            logins_from_hub=auth != "embedded",
            db_accounts=db_accounts_path or state_dir / "db-accounts.yaml",
            roles_path=roles_path or DEFAULT_ROLES_PATH,
        )
    if service_token:
        configure_service(c, token=service_token)


def configure_roles(c: Any, roles: RolesConfig) -> None:
    """Let the logins give the hub groups that grant roles (``Authenticator.manage_groups``):
    database roles, an OAuth groups claim, ``workshop`` for pool users
    (:mod:`surveylab_hub.login_groups`)."""
    c.Authenticator.manage_groups = True
    c.LoginGroups.role_groups = sorted(roles.group_names)


def configure_hub(c: Any, *, state_dir: Path, ip: str, port: int, hub_port: int) -> None:
    """Where the hub listens and where it keeps its own state."""
    c.JupyterHub.bind_url = f"http://{ip}:{port}/"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_port}"
    c.JupyterHub.db_url = f"sqlite:///{state_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state_dir / "jupyterhub.pid")
    # Stopping the hub stops the labs and the proxy: a local hub leaves nothing behind.
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True


def configure_proxy(c: Any, *, state_dir: Path, proxy_cmd: Sequence[str], api_port: int) -> None:
    """configurable-http-proxy, started and stopped by the hub."""
    c.ConfigurableHTTPProxy.should_start = True
    c.ConfigurableHTTPProxy.command = list(proxy_cmd)
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(state_dir / "jupyterhub-proxy.pid")


def configure_embedded_auth(c: Any, *, store_path: Path) -> None:
    """Log in against the embedded credential store; every user in it is admitted."""
    c.JupyterHub.authenticator_class = "surveylab_hub.authenticator.EmbeddedAuthenticator"
    c.EmbeddedAuthenticator.store_path = str(store_path)


def configure_database_auth(
    c: Any, *, auth: str, database: Mapping[str, str], crypt_key: str | None
) -> None:
    """Log in with database credentials, carried to the lab in encrypted auth_state.

    Raises
    ------
    ValueError
        Without ``JUPYTERHUB_CRYPT_KEY``: the hub would otherwise have nowhere safe to keep the
        credentials, and the labs could not query as their users.
    """
    if not crypt_key:
        raise ValueError(
            f"SURVEYLAB_HUB_AUTH={auth} needs JUPYTERHUB_CRYPT_KEY (32 bytes, hex: "
            "`openssl rand -hex 32`) to encrypt the credentials the labs query with"
        )
    class_name = AUTHENTICATORS[auth].rsplit(".", 1)[1]
    c.JupyterHub.authenticator_class = AUTHENTICATORS[auth]
    c.Authenticator.enable_auth_state = True
    for key, value in database.items():
        if key in ("db_host", "db_name", "dsn"):
            setattr(c[class_name], key, value)
        elif key == "db_port":
            setattr(c[class_name], key, int(value))


def configure_oauth(
    c: Any,
    *,
    auth: str,
    state_dir: Path,
    oauth: Mapping[str, str],
    accounts_path: Path,
    crypt_key: str | None,
) -> None:
    """Log in through an OAuth provider (``oauth``: any OAuth2/OIDC; ``cilogon``); query the
    survey as the shared database account the identity maps to (:mod:`surveylab_hub.oauth`).

    ``oauth`` holds the keys of :data:`OAUTH_VARS`. The client secret comes from
    ``client_secret`` (the environment) or ``client_secret_file``, never from a command line.
    ``accounts_path`` is the shared accounts file the identities map to; the account map
    defaults to ``<state_dir>/oauth-accounts.yaml``.

    Raises
    ------
    ValueError
        Without ``JUPYTERHUB_CRYPT_KEY`` (the identity travels to the spawn in encrypted
        auth_state), a client id or secret, the endpoints of a generic provider, CILogon's
        identity providers, or with a secret file that others can read.
    """
    variable = f"SURVEYLAB_HUB_AUTH={auth}"
    if not crypt_key:
        raise ValueError(
            f"{variable} needs JUPYTERHUB_CRYPT_KEY (32 bytes, hex: `openssl rand -hex 32`) to "
            "keep the user's OAuth identity and tokens in encrypted auth_state"
        )
    required = ["client_id"]
    if auth == "oauth":
        required += ["authorize_url", "token_url", "userdata_url"]
    else:
        required.append("cilogon_idps")
    missing = [OAUTH_VARS[key] for key in required if not oauth.get(key)]
    if missing:
        raise ValueError(f"{variable} needs {', '.join(missing)}")
    for key in ("authorize_url", "token_url", "userdata_url", "callback_url"):
        if oauth.get(key) and not oauth[key].startswith(("https://", "http://")):
            raise ValueError(f"{OAUTH_VARS[key]}={oauth[key]!r} is not an http(s) URL")
    class_name = AUTHENTICATORS[auth].rsplit(".", 1)[1]
    settings = c[class_name]
    c.JupyterHub.authenticator_class = AUTHENTICATORS[auth]
    c.Authenticator.enable_auth_state = True
    settings.client_id = oauth["client_id"]
    settings.client_secret = _oauth_client_secret(variable, oauth)
    for key in ("authorize_url", "token_url", "userdata_url", "login_service"):
        if oauth.get(key):
            setattr(settings, key, oauth[key])
    if oauth.get("callback_url"):
        settings.oauth_callback_url = oauth["callback_url"]
    claim = oauth.get("username_claim") or ("eppn" if auth == "cilogon" else "email")
    scopes = oauth.get("scopes", "").split()
    if auth == "cilogon":
        entity_ids = [entity.strip() for entity in oauth["cilogon_idps"].split(",")]
        for entity_id in entity_ids:
            if not entity_id.startswith(("https://", "http://", "urn:")):
                raise ValueError(
                    f"SURVEYLAB_HUB_CILOGON_IDPS: {entity_id!r} is not a CILogon entity ID "
                    "(https://..., urn:...; see https://cilogon.org/idplist)"
                )
        settings.idps = {
            entity_id: {"username_derivation": {"username_claim": claim}}
            for entity_id in entity_ids
        }
    else:
        settings.username_claim = claim
    if scopes or auth == "oauth":
        settings.scope = scopes or ["openid", "email", "profile"]
    settings.allow_all = oauth.get("allow_all", "").lower() in ("1", "true", "yes")
    settings.db_account_map = oauth.get("account_map") or str(state_dir / "oauth-accounts.yaml")
    settings.shared_accounts_path = str(accounts_path)
    default_account = oauth.get("default_account", "readonly")
    settings.default_db_account = "" if default_account.lower() == "none" else default_account


def _oauth_client_secret(variable: str, oauth: Mapping[str, str]) -> str:
    """The client secret, from ``client_secret`` or the private ``client_secret_file``."""
    if oauth.get("client_secret"):
        return oauth["client_secret"]
    name = oauth.get("client_secret_file")
    if not name:
        raise ValueError(
            f"{variable} needs SURVEYLAB_HUB_OAUTH_CLIENT_SECRET or "
            "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE"
        )
    path = Path(name)
    try:
        mode = path.stat().st_mode
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ValueError(
            f"SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE={name!r} cannot be read ({e.strerror})"
        ) from None
    if mode & 0o077:
        raise ValueError(
            f"SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE={name!r} holds a secret but other users can "
            f"read it (mode {mode & 0o777:o}); run `chmod 600 {name}`"
        )
    if not secret:
        raise ValueError(f"SURVEYLAB_HUB_OAUTH_CLIENT_SECRET_FILE={name!r} is empty")
    return secret


def configure_local_spawner(
    c: Any,
    *,
    home_root: Path,
    python: str,
    as_root: bool,
    environment: Mapping[str, str],
    profiles_path: Path = DEFAULT_PROFILES_PATH,
) -> None:
    """One ``jupyterhub-singleuser`` process per user, from ``python``'s environment, with the
    lab profile form (:class:`surveylab_hub.spawner.ProfileLocalSpawner`).

    Each user gets ``home_root/<name>`` as home and lands in JupyterLab, run with
    :data:`LAB_ARGS` (and ``--allow-root`` if ``as_root``). The timeouts leave
    room for a first start on two cores (a start takes 4-8 s there).
    """
    c.JupyterHub.spawner_class = "surveylab_hub.spawner.ProfileLocalSpawner"
    c.ProfileLocalSpawner.profiles_path = str(profiles_path)
    c.SimpleLocalProcessSpawner.home_dir_template = str(home_root / "{username}")
    c.Spawner.cmd = [str(Path(python).parent / "jupyterhub-singleuser")]
    c.Spawner.args = [*(["--allow-root"] if as_root else []), *LAB_ARGS]
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = dict(environment)
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 90


def configure_service(c: Any, *, token: str) -> None:
    """An admin service with API ``token``: manages users, their groups (so their roles, until
    their next login) and servers, and reads the hub's Prometheus metrics (tests, automation)."""
    add_service(
        c,
        {"name": SERVICE_NAME, "api_token": token},
        description="Manage users, their groups and their servers, read the metrics "
        "(surveylab automation)",
        scopes=["admin:users", "admin:servers", "admin:groups", "read:metrics"],
    )


def configure_culler(c: Any, *, profiles_path: Path, python: str, interval: int = 60) -> None:
    """The per-profile idle culler (:mod:`surveylab_hub.culler`) as a hub-managed service.

    It also stops labs past their profile's maximum age (GPU: 24 h) under every spawner.
    """
    add_service(
        c,
        {
            "name": CULLER_NAME,
            "command": [
                python,
                "-m",
                "surveylab_hub.culler",
                "--profiles",
                str(profiles_path),
                "--interval",
                str(interval),
            ],
        },
        description="Stop labs idle or older than their profile allows",
        scopes=["list:users", "read:servers", "delete:servers"],
    )


def configure_pools(c: Any, *, state_dir: Path, accounts_path: Path) -> None:
    """Workshop pools (``surveylab pool``): their users log in, see their pool's profile within
    its seats, and query as its shared account from ``accounts_path``.

    Set on the base classes, so it holds for every surveylab authenticator and both spawners.
    """
    pools_path = str(state_dir / "pools.json")
    c.DatabaseAuthenticator.pools_path = pools_path
    c.DatabaseAuthenticator.shared_accounts_path = str(accounts_path)
    c.ProfileLocalSpawner.pools_path = pools_path


def configure_pool_service(c: Any, *, state_dir: Path, python: str, interval: float = 60) -> None:
    """The pool service (:mod:`surveylab_hub.pool_service`): every ``interval`` seconds it
    stops the labs and removes the users of ended pools, with only the scopes that needs."""
    add_service(
        c,
        {
            "name": POOL_SERVICE_NAME,
            "command": [
                python,
                "-m",
                "surveylab_hub.pool_service",
                "--state-dir",
                str(state_dir),
                "--interval",
                f"{interval:g}",
            ],
        },
        description="Stop the labs and remove the users of ended workshop pools",
        scopes=["read:users", "read:servers", "delete:servers", "delete:users"],
    )


def configure_platform_service(
    c: Any,
    *,
    home_root: Path,
    python: str,
    port: int,
    environment: Mapping[str, str],
    as_root: bool = False,
    logins_from_hub: bool = False,
    db_accounts: Path | None = None,
    roles_path: Path | None = None,
) -> None:
    """The platform service (:mod:`surveylab_server.service`) at ``/services/surveylab/``: the
    REST API and the IVOA services for every user, with a JupyterHub token, lab or no lab.

    It listens on loopback ``port``; each user's jobs go to ``home_root/<name>/surveylab-jobs``,
    their lab's own job store. Every user may access it (the ``user`` role gains
    ``access:services!service=surveylab``); the service needs no scope to check tokens. With
    ``logins_from_hub`` (any login with auth_state) it runs each user's work as the database
    account their lab gets: their own login, or the shared account of ``db_accounts`` named in
    their auth_state; its role gets ``read:users:name`` and ``admin:auth_state``. With
    ``roles_path`` each user's role (their hub groups: ``read:users:groups``) caps and refuses
    their requests as in their lab. Nothing more.
    """
    scopes = ["read:users:name", "admin:auth_state"] if logins_from_hub else []
    if roles_path is not None:
        scopes = [*scopes, "read:users:groups"]
    add_service(
        c,
        {
            "name": PLATFORM_SERVICE_NAME,
            "url": f"http://127.0.0.1:{port}",
            "command": [
                python,
                "-m",
                "surveylab_server.service",
                "--homes",
                str(home_root / "{username}"),
                *(["--roles", str(roles_path)] if roles_path is not None else []),
                *(["--allow-root"] if as_root else []),
                *(["--logins-from-hub"] if logins_from_hub else []),
                *(["--db-accounts", str(db_accounts)] if logins_from_hub and db_accounts else []),
            ],
            "environment": dict(environment),
            "oauth_no_confirm": True,
            "display": True,
        },
        description="The survey's REST API and IVOA services, for scripts and TOPCAT",
        scopes=scopes,
    )
    # a lab's own token may submit the lab's jobs to the service (see surveylab.platform)
    c.Spawner.server_token_scopes = [
        "users:activity!user",
        "access:servers!server",
        f"access:services!service={PLATFORM_SERVICE_NAME}",
    ]
    roles = list(c.JupyterHub.load_roles)
    c.JupyterHub.load_roles = [
        *roles,
        {
            "name": "user",
            "description": "Standard user privileges, and the survey's platform service",
            "scopes": ["self", f"access:services!service={PLATFORM_SERVICE_NAME}"],
        },
    ]


def add_service(c: Any, service: dict[str, Any], *, description: str, scopes: list[str]) -> None:
    """Register a hub service and a role of its own with ``scopes``."""
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    c.JupyterHub.services = [*services, service]
    c.JupyterHub.load_roles = [
        *roles,
        {
            "name": service["name"],
            "description": description,
            "scopes": scopes,
            "services": [service["name"]],
        },
    ]


def demo_user_from_environ(environ: Mapping[str, str]) -> str | None:
    """The demo user's name from ``SURVEYLAB_HUB_DEMO_USER``: default ``demo``, empty for none."""
    return environ.get("SURVEYLAB_HUB_DEMO_USER", "demo").strip() or None


def prepare_state_dir(state_dir: Path, *, demo_user: str | None = "demo") -> str | None:
    """Make the private state folder and, if ``demo_user``, the demo user.

    Returns the demo user's new password (also in ``<state_dir>/demo-login.txt``), or None if
    there is no demo user or it already existed.
    """
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state_dir / "home").mkdir(mode=0o700, exist_ok=True)
    if not demo_user:
        return None
    return CredentialStore(state_dir / "users.json").ensure_demo_user(demo_user)

"""configure() and the environment it is read from: tables of input and expected traits."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config, PyFileConfigLoader
from traitlets.utils.importstring import import_item

from surveylab.labenv import PLATFORM_SERVICE_NAME
from surveylab_hub.authenticator import EmbeddedAuthenticator
from surveylab_hub.config import (
    CULLER_NAME,
    LAB_ARGS,
    POOL_SERVICE_NAME,
    PROJECT_PROXY,
    SERVICE_NAME,
    configure,
    default_proxy_cmd,
    demo_user_from_environ,
    hub_options_from_environ,
    lab_environment,
    prepare_state_dir,
)
from surveylab_hub.profiles import DEFAULT_ROLES_PATH
from surveylab_hub.store import CredentialStore
from tests.support.hub import HUB_CONFIG

STATE = Path("/srv/hub")
DATA = Path("/data/dr1")
#: What every local lab is told of the platform service (port + 82 of the default 8000).
PLATFORM = {"SURVEYLAB_PLATFORM_URL": "http://127.0.0.1:8082/services/surveylab/"}
VENV_PYTHON = "/opt/venv/bin/python"


def configured(**overrides: Any) -> Config:
    c = Config()
    kwargs: dict[str, Any] = {
        "state_dir": STATE,
        "data_dir": DATA,
        "proxy_cmd": ["/opt/chp"],
        "python": VENV_PYTHON,
        "as_root": False,
        **overrides,
    }
    configure(c, **kwargs)
    return c


def trait(c: Config, dotted: str) -> Any:
    section, name = dotted.rsplit(".", 1)
    return c[section][name]


DEFAULTS = [
    ("JupyterHub.bind_url", "http://127.0.0.1:8000/"),
    ("JupyterHub.hub_bind_url", "http://127.0.0.1:8081"),
    ("JupyterHub.db_url", "sqlite:////srv/hub/jupyterhub.sqlite"),
    ("JupyterHub.cookie_secret_file", "/srv/hub/jupyterhub_cookie_secret"),
    ("JupyterHub.pid_file", "/srv/hub/jupyterhub.pid"),
    ("JupyterHub.cleanup_servers", True),
    ("JupyterHub.cleanup_proxy", True),
    ("ConfigurableHTTPProxy.should_start", True),
    ("ConfigurableHTTPProxy.command", ["/opt/chp"]),
    ("ConfigurableHTTPProxy.api_url", "http://127.0.0.1:8001"),
    ("ConfigurableHTTPProxy.pid_file", "/srv/hub/jupyterhub-proxy.pid"),
    ("JupyterHub.authenticator_class", "surveylab_hub.authenticator.EmbeddedAuthenticator"),
    ("EmbeddedAuthenticator.store_path", "/srv/hub/users.json"),
    ("JupyterHub.spawner_class", "surveylab_hub.spawner.ProfileLocalSpawner"),
    ("SimpleLocalProcessSpawner.home_dir_template", "/srv/hub/home/{username}"),
    ("Spawner.cmd", ["/opt/venv/bin/jupyterhub-singleuser"]),
    ("Spawner.args", [*LAB_ARGS]),
    ("Spawner.default_url", "/lab"),
    ("Spawner.environment", {"SURVEYLAB_DATA_DIR": "/data/dr1", **PLATFORM}),
    ("Spawner.start_timeout", 120),
    ("Spawner.http_timeout", 90),
]


@pytest.mark.parametrize(("dotted", "expected"), [pytest.param(d, e, id=d) for d, e in DEFAULTS])
def test_defaults(dotted: str, expected: Any) -> None:
    assert trait(configured(), dotted) == expected


@pytest.mark.parametrize(
    ("overrides", "dotted", "expected"),
    [
        pytest.param({"port": 9000}, "JupyterHub.bind_url", "http://127.0.0.1:9000/", id="port"),
        pytest.param(
            {"port": 9000}, "JupyterHub.hub_bind_url", "http://127.0.0.1:9081", id="port-hub-api"
        ),
        pytest.param(
            {"port": 9000},
            "ConfigurableHTTPProxy.api_url",
            "http://127.0.0.1:9001",
            id="port-proxy-api",
        ),
        pytest.param(
            {"ip": "0.0.0.0"}, "JupyterHub.bind_url", "http://0.0.0.0:8000/", id="public-ip"
        ),
        pytest.param(
            {"hub_port": 18081}, "JupyterHub.hub_bind_url", "http://127.0.0.1:18081", id="hub-port"
        ),
        pytest.param(
            {"proxy_api_port": 18001},
            "ConfigurableHTTPProxy.api_url",
            "http://127.0.0.1:18001",
            id="proxy-api-port",
        ),
        pytest.param({"as_root": True}, "Spawner.args", ["--allow-root", *LAB_ARGS], id="root"),
        pytest.param(
            {"lab_env": {"SURVEYLAB_RELEASE_NAME": "DR1", "SURVEYLAB_DATA_DIR": "/old"}},
            "Spawner.environment",
            {"SURVEYLAB_RELEASE_NAME": "DR1", "SURVEYLAB_DATA_DIR": "/data/dr1", **PLATFORM},
            id="lab-env-data-dir-wins",
        ),
        pytest.param(
            {"data_dir": None, "lab_env": {"SURVEYLAB_CATALOG_URL": "duckdb:///x.duckdb"}},
            "Spawner.environment",
            {"SURVEYLAB_CATALOG_URL": "duckdb:///x.duckdb", **PLATFORM},
            id="no-data-dir",
        ),
    ],
)
def test_overrides(overrides: dict[str, Any], dotted: str, expected: Any) -> None:
    assert trait(configured(**overrides), dotted) == expected


def test_classes_resolve() -> None:
    c = configured()
    assert import_item(c.JupyterHub.authenticator_class) is EmbeddedAuthenticator
    from surveylab_hub.spawner import ProfileLocalSpawner

    assert import_item(c.JupyterHub.spawner_class) is ProfileLocalSpawner


def test_labs_run_from_the_hubs_environment_by_default() -> None:
    c = Config()
    configure(c, state_dir=STATE)
    assert c.Spawner.cmd == [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    assert Path(c.Spawner.cmd[0]).exists()
    assert c.ConfigurableHTTPProxy.command == default_proxy_cmd()


def test_service_token_adds_an_admin_service() -> None:
    c = configured(service_token="t" * 64)
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert services[SERVICE_NAME] == {"name": SERVICE_NAME, "api_token": "t" * 64}
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles[SERVICE_NAME]["services"] == [SERVICE_NAME]
    assert set(roles[SERVICE_NAME]["scopes"]) == {
        "admin:users",
        "admin:servers",
        "admin:groups",
        "read:metrics",
    }
    assert SERVICE_NAME not in {service["name"] for service in configured().JupyterHub.services}


@pytest.mark.parametrize(
    ("name", "module", "scopes"),
    [
        pytest.param(
            CULLER_NAME,
            "surveylab_hub.culler",
            {"list:users", "read:servers", "delete:servers"},
            id="culler",
        ),
        pytest.param(
            POOL_SERVICE_NAME,
            "surveylab_hub.pool_service",
            {"read:users", "read:servers", "delete:servers", "delete:users"},
            id="pool-service",
        ),
    ],
)
def test_hub_services_run_with_minimal_scopes(name: str, module: str, scopes: set[str]) -> None:
    c = configured()
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert set(services) == {CULLER_NAME, POOL_SERVICE_NAME, PLATFORM_SERVICE_NAME}
    assert services[name]["command"][:3] == [VENV_PYTHON, "-m", module]
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert set(roles[name]["scopes"]) == scopes
    assert roles[name]["services"] == [name]


def test_the_platform_service_serves_every_user_from_their_home() -> None:
    c = configured()
    services = {service["name"]: service for service in c.JupyterHub.services}
    service = services[PLATFORM_SERVICE_NAME]
    assert service["url"] == "http://127.0.0.1:8082"  # port + 82, on loopback
    assert service["command"] == [
        VENV_PYTHON,
        "-m",
        "surveylab_server.service",
        "--homes",
        "/srv/hub/home/{username}",
        "--roles",  # each user's role, from their hub groups
        str(DEFAULT_ROLES_PATH),
    ]
    assert service["environment"] == {"SURVEYLAB_DATA_DIR": str(DATA)}  # the labs' survey
    assert (
        c.Spawner.environment["SURVEYLAB_PLATFORM_URL"] == f"{service['url']}/services/surveylab/"
    )
    assert "access:services!service=surveylab" in c.Spawner.server_token_scopes  # labs' token
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    # checking a token needs no scope; the users' roles need their groups
    assert roles[PLATFORM_SERVICE_NAME]["scopes"] == ["read:users:groups"]
    # the logins give the groups that grant roles
    assert c.Authenticator.manage_groups is True
    assert c.LoginGroups.role_groups == ["advanced", "gpu", "limited", "workshop"]
    assert roles["user"]["scopes"] == ["self", "access:services!service=surveylab"]
    moved = configured(service_port=9123).JupyterHub.services
    assert {s["name"]: s for s in moved}[PLATFORM_SERVICE_NAME]["url"] == "http://127.0.0.1:9123"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"platform": False}, id="off"),
        pytest.param({"spawner": "kubernetes"}, id="k8s"),
    ],
)
def test_no_platform_service_means_labs_run_their_own_jobs(overrides: dict[str, Any]) -> None:
    """Off, or on Kubernetes (where it is a Deployment of its own): the hub starts no service
    and tells the labs of none, so each lab keeps its in-lab job store."""
    c = configured(**overrides)
    assert PLATFORM_SERVICE_NAME not in {service["name"] for service in c.JupyterHub.services}
    spawner = c.KubeSpawner if overrides.get("spawner") == "kubernetes" else c.Spawner
    assert spawner.environment["SURVEYLAB_DATA_DIR"] == str(DATA)
    assert "SURVEYLAB_PLATFORM_URL" not in spawner.environment
    assert PLATFORM_SERVICE_NAME not in {role["name"] for role in c.JupyterHub.load_roles}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, True),
        ({"SURVEYLAB_HUB_PLATFORM": "on"}, True),
        ({"SURVEYLAB_HUB_PLATFORM": "OFF"}, False),
    ],
)
def test_platform_option_from_environ(environ: dict[str, str], expected: bool) -> None:
    assert hub_options_from_environ(environ)["platform"] is expected
    with pytest.raises(ValueError, match="SURVEYLAB_HUB_PLATFORM='maybe': choose one of on, off"):
        hub_options_from_environ({"SURVEYLAB_HUB_PLATFORM": "maybe"})


def test_pool_service_watches_the_state_folder_at_the_chosen_interval() -> None:
    services = {s["name"]: s for s in configured(pool_interval=1.5).JupyterHub.services}
    assert services[POOL_SERVICE_NAME]["command"][3:] == [
        "--state-dir",
        "/srv/hub",
        "--interval",
        "1.5",
    ]


@pytest.mark.parametrize(
    ("overrides", "dotted", "expected"),
    [
        pytest.param(
            {}, "DatabaseAuthenticator.pools_path", "/srv/hub/pools.json", id="auth-pools"
        ),
        pytest.param(
            {},
            "DatabaseAuthenticator.shared_accounts_path",
            "/srv/hub/db-accounts.yaml",
            id="accounts-default",
        ),
        pytest.param(
            {"db_accounts_path": Path("/etc/surveylab/db.yaml")},
            "DatabaseAuthenticator.shared_accounts_path",
            "/etc/surveylab/db.yaml",
            id="accounts-chosen",
        ),
        pytest.param({}, "ProfileLocalSpawner.pools_path", "/srv/hub/pools.json", id="spawner"),
        pytest.param({"offer_gpu": True}, "ProfileLocalSpawner.offer_gpu", True, id="offer-gpu"),
    ],
)
def test_pools_and_accounts_are_configured(
    overrides: dict[str, Any], dotted: str, expected: Any
) -> None:
    assert trait(configured(**overrides), dotted) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {}, {"db_accounts_path": None, "pool_interval": None, "offer_gpu": None}, id="unset"
        ),
        pytest.param(
            {
                "SURVEYLAB_HUB_DB_ACCOUNTS": "secrets/db.yaml",
                "SURVEYLAB_HUB_POOL_INTERVAL": "2.5",
                "SURVEYLAB_HUB_OFFER_GPU": "YES",
            },
            {
                "db_accounts_path": Path("/work/secrets/db.yaml"),
                "pool_interval": 2.5,
                "offer_gpu": True,
            },
            id="set",
        ),
        pytest.param({"SURVEYLAB_HUB_OFFER_GPU": "no"}, {"offer_gpu": False}, id="no-gpu"),
    ],
)
def test_pool_options_from_environ(environ: dict[str, str], expected: dict[str, Any]) -> None:
    options: dict[str, Any] = dict(hub_options_from_environ(environ, cwd=Path("/work")))
    assert {key: options[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"SURVEYLAB_HUB_POOL_INTERVAL": "soon"},
            "SURVEYLAB_HUB_POOL_INTERVAL='soon' is not a number of seconds",
            id="interval-word",
        ),
        pytest.param(
            {"SURVEYLAB_HUB_POOL_INTERVAL": "0"},
            "SURVEYLAB_HUB_POOL_INTERVAL='0' must be between 0 and 86400 seconds",
            id="interval-zero",
        ),
        pytest.param(
            {"SURVEYLAB_HUB_OFFER_GPU": "maybe"},
            "SURVEYLAB_HUB_OFFER_GPU='maybe': choose one of auto, yes, no",
            id="offer-gpu",
        ),
    ],
)
def test_bad_pool_options_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        hub_options_from_environ(environ)


def test_project_proxy_is_installed() -> None:
    """``npm --prefix hub_config install`` put configurable-http-proxy where configure looks."""
    assert PROJECT_PROXY.exists()
    assert default_proxy_cmd() == [str(PROJECT_PROXY)]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {},
            {
                "state_dir": Path("/work/var/hub"),
                "data_dir": None,
                "ip": "127.0.0.1",
                "port": 8000,
                "hub_port": None,
                "proxy_api_port": None,
                "proxy_cmd": None,
                "lab_env": {},
                "service_token": None,
            },
            id="defaults",
        ),
        pytest.param(
            {
                "SURVEYLAB_HUB_STATE_DIR": "/srv/hub",
                "SURVEYLAB_DATA_DIR": "data/dr1",
                "SURVEYLAB_HUB_IP": "0.0.0.0",
                "SURVEYLAB_HUB_PORT": "9000",
                "SURVEYLAB_HUB_API_PORT": "9100",
                "SURVEYLAB_HUB_PROXY_API_PORT": "9200",
                "SURVEYLAB_HUB_PROXY_CMD": "/usr/bin/chp",
                "SURVEYLAB_HUB_SERVICE_TOKEN": "abc",
                "SURVEYLAB_RELEASE_NAME": "DR1",
                "HOME": "/root",
            },
            {
                "state_dir": Path("/srv/hub"),
                "data_dir": Path("/work/data/dr1"),
                "ip": "0.0.0.0",
                "port": 9000,
                "hub_port": 9100,
                "proxy_api_port": 9200,
                "proxy_cmd": ["/usr/bin/chp"],
                "lab_env": {"SURVEYLAB_DATA_DIR": "data/dr1", "SURVEYLAB_RELEASE_NAME": "DR1"},
                "service_token": "abc",
            },
            id="everything",
        ),
        pytest.param(
            {"SURVEYLAB_HUB_STATE_DIR": "state", "SURVEYLAB_HUB_PORT": " "},
            {"state_dir": Path("/work/state"), "port": 8000},
            id="relative-and-blank",
        ),
    ],
)
def test_options_from_environ(environ: dict[str, str], expected: dict[str, Any]) -> None:
    options: dict[str, Any] = dict(hub_options_from_environ(environ, cwd=Path("/work")))
    assert {key: options[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({"SURVEYLAB_HUB_PORT": "eighty"}, "SURVEYLAB_HUB_PORT='eighty'", id="word"),
        pytest.param({"SURVEYLAB_HUB_API_PORT": "70000"}, "SURVEYLAB_HUB_API_PORT", id="too-big"),
        pytest.param({"SURVEYLAB_HUB_PROXY_API_PORT": "-1"}, "(1-65535)", id="negative"),
    ],
)
def test_bad_ports_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        hub_options_from_environ(environ)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="empty"),
        pytest.param(
            {
                "SURVEYLAB_DATA_DIR": "/d",
                "SURVEYLAB_CATALOG_URL": "duckdb:///c",
                "SURVEYLAB_HUB_SERVICE_TOKEN": "secret",
                "SURVEYLAB_HUB_PORT": "8000",
                "PATH": "/bin",
                "JUPYTERHUB_API_TOKEN": "secret",
            },
            {"SURVEYLAB_DATA_DIR": "/d", "SURVEYLAB_CATALOG_URL": "duckdb:///c"},
            id="hub-variables-stay-in-the-hub",
        ),
        pytest.param(
            {
                "SURVEYLAB_SMTP_HOST": "mail",
                "SURVEYLAB_SMTP_USER": "desk",
                "SURVEYLAB_SMTP_PASSWORD": "smtp-secret",
            },
            {"SURVEYLAB_SMTP_HOST": "mail"},
            id="the-smtp-login-stays-with-the-service",
        ),
    ],
)
def test_lab_environment(environ: dict[str, str], expected: dict[str, str]) -> None:
    assert lab_environment(environ) == expected


def test_the_platform_service_gets_the_smtp_login_the_labs_do_not(tmp_path: Path) -> None:
    environ = {
        "SURVEYLAB_SMTP_HOST": "mail",
        "SURVEYLAB_SMTP_PASSWORD": "smtp-secret",
        "SURVEYLAB_HUB_STATE_DIR": str(tmp_path),
    }
    c = Config()
    configure(c, **hub_options_from_environ(environ), python="/usr/bin/python3", as_root=False)
    (service,) = [s for s in c.JupyterHub.services if s["name"] == PLATFORM_SERVICE_NAME]
    assert service["environment"]["SURVEYLAB_SMTP_PASSWORD"] == "smtp-secret"
    assert "smtp-secret" not in repr(c.Spawner.environment)
    assert c.Spawner.environment["SURVEYLAB_SMTP_HOST"] == "mail"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, "demo", id="default"),
        pytest.param({"SURVEYLAB_HUB_DEMO_USER": "guest"}, "guest", id="named"),
        pytest.param({"SURVEYLAB_HUB_DEMO_USER": ""}, None, id="none"),
    ],
)
def test_demo_user_from_environ(environ: dict[str, str], expected: str | None) -> None:
    assert demo_user_from_environ(environ) == expected


def test_prepare_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "var" / "hub"
    password = prepare_state_dir(state)
    assert password is not None
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "home").stat().st_mode) == 0o700
    assert CredentialStore(state / "users.json").verify("demo", password)
    assert prepare_state_dir(state) is None


def test_prepare_state_dir_without_demo_user(tmp_path: Path) -> None:
    assert prepare_state_dir(tmp_path / "hub", demo_user=None) is None
    assert not (tmp_path / "hub" / "users.json").exists()


def test_jupyterhub_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real config file, loaded the way JupyterHub loads it."""
    for name in [name for name in os.environ if name.startswith("SURVEYLAB_HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEYLAB_HUB_STATE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("SURVEYLAB_HUB_PORT", "8765")
    monkeypatch.setenv("SURVEYLAB_DATA_DIR", str(tmp_path / "dr1"))
    monkeypatch.setenv("SURVEYLAB_HUB_SERVICE_TOKEN", "x" * 32)
    loader = PyFileConfigLoader(HUB_CONFIG.name, path=str(HUB_CONFIG.parent))
    c = loader.load_config()
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8765/"
    assert c.EmbeddedAuthenticator.store_path == str(tmp_path / "hub" / "users.json")
    assert c.Spawner.environment["SURVEYLAB_DATA_DIR"] == str(tmp_path / "dr1")
    assert "SURVEYLAB_HUB_SERVICE_TOKEN" not in c.Spawner.environment
    assert SERVICE_NAME in {service["name"] for service in c.JupyterHub.services}
    assert CredentialStore(tmp_path / "hub" / "users.json").names() == ["demo"]

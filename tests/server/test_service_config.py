"""The platform service's server configuration, read from what the hub gives a managed
service, and its routes at the service's root (the service itself runs in
``tests/hub/test_platform_service_e2e.py``)."""

from __future__ import annotations

import pytest

from surveylab_server.handlers import default_handlers, routes
from surveylab_server.service import ServiceAuthorizer, ServiceIdentityProvider, service_config

HUB_GIVES = {
    "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:8082",
    "JUPYTERHUB_SERVICE_PREFIX": "/services/surveylab/",
}


def test_the_server_listens_where_the_hub_routes_the_service() -> None:
    c = service_config(HUB_GIVES, homes="/srv/home/{username}")
    assert (c.ServerApp.ip, c.ServerApp.port) == ("127.0.0.1", 8082)
    assert c.ServerApp.base_url == "/services/surveylab/"
    assert c.ServerApp.identity_provider_class is ServiceIdentityProvider
    assert c.ServerApp.authorizer_class is ServiceAuthorizer
    assert c.ServerApp.jpserver_extensions == {"surveylab_server": True}  # nothing else
    assert c.ServerApp.terminals_enabled is False and c.ServerApp.allow_root is False
    assert (c.SurveylabApp.user_homes, c.SurveylabApp.mount) == ("/srv/home/{username}", "")


def test_the_flag_reads_database_logins_from_the_hub() -> None:
    assert service_config(HUB_GIVES, homes="/h/{username}").SurveylabApp.logins_from_hub is False
    c = service_config(HUB_GIVES, homes="/h/{username}", logins_from_hub=True)
    assert c.SurveylabApp.logins_from_hub is True


def test_the_metrics_ask_for_a_token_unless_opened_for_a_scraper() -> None:
    """By default ``<prefix>metrics`` needs a token that may access the service, as every other
    path (the real service refuses one without: test_platform_service_e2e.py)."""
    assert service_config(HUB_GIVES, homes="/h/{username}").ServerApp.authenticate_prometheus
    opened = service_config(HUB_GIVES, homes="/h/{username}", open_metrics=True)
    assert opened.ServerApp.authenticate_prometheus is False


def test_without_the_hub_it_says_who_starts_it() -> None:
    with pytest.raises(SystemExit, match="the hub starts this service"):
        service_config({}, homes="/srv/home/{username}")


def test_routes_are_mounted_at_the_services_root() -> None:
    mounted = dict(routes(""))
    assert "/api/jobs" in mounted and "/(?P<path>(?:tap|soda|sia|datalink)(?:/.*)?)" in mounted
    assert not [pattern for pattern in mounted if pattern.startswith("/surveylab")]
    assert routes() == default_handlers  # a lab's

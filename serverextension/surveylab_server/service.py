"""The hub's platform service: the lab's REST API and IVOA services for every hub user, at
``/services/surveylab/``, reachable with a JupyterHub API token from a laptop's pyvo, curl or
TOPCAT, whether or not the user's lab runs.

It is a jupyter_server with one extension, :class:`~surveylab_server.SurveylabApp`, in its
multi-user mode (``user_homes``): the same handlers as in a lab, mounted at the service's root,
each request served by the user's own ``Survey`` (:class:`surveylab.surveys.UserSurveys`), whose
jobs land in the user's ``~/surveylab-jobs``. JupyterHub authenticates every request
(:class:`~jupyterhub.singleuser.extension.JupyterHubIdentityProvider`: a token in the
``Authorization`` header, or the service's OAuth cookie in a browser); :class:`ServiceAuthorizer`
lets a user with access to the service reach the surveylab API and nothing else of the server
(no contents, no kernels, no terminals).

The hub runs it as a managed service (``surveylab_hub.config.configure_platform_service``), with
``python -m surveylab_server.service --homes '<home>/{username}'``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlparse

from jupyter_server.serverapp import ServerApp
from jupyterhub.services.auth import HubOAuth
from jupyterhub.singleuser.extension import JupyterHubAuthorizer, JupyterHubIdentityProvider
from traitlets import default
from traitlets.config import Config

from surveylab.labenv import PLATFORM_SERVICE_NAME

__all__ = ["ServiceAuthorizer", "ServiceIdentityProvider", "main", "service_config"]


class FreshHubOAuth(HubOAuth):  # type: ignore[misc]  # jupyterhub has no type hints
    """JupyterHub's OAuth client, asking the hub about every token it is shown: HubOAuth keeps
    the hub's replies for 5 minutes, so a revoked token would work on for that long.

    It also takes the token as the password of HTTP Basic authentication (any user name), which
    is all that clients such as TOPCAT and STILTS can send: they answer the service's
    ``WWW-Authenticate: Basic`` challenge with ``-Dstar.basicauth.password=<token>``.
    """

    def get_token(self, handler: Any, in_cookie: bool = True) -> str | None:
        scheme, _, credentials = handler.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return cast("str | None", super().get_token(handler, in_cookie))
        try:
            _user, _, password = (
                base64.b64decode(credentials, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password.strip() or None

    def user_for_token(
        self, token: str, use_cache: bool = True, session_id: str = "", *, sync: bool = True
    ) -> Any:
        return super().user_for_token(token, False, session_id, sync=sync)


class ServiceIdentityProvider(JupyterHubIdentityProvider):  # type: ignore[misc]
    """Who a request comes from, by its JupyterHub token or the service's OAuth cookie
    (:class:`FreshHubOAuth`: a revoked token is refused at once)."""

    @default("hub_auth")
    def _default_hub_auth(self) -> HubOAuth:
        return FreshHubOAuth(parent=self)


class ServiceAuthorizer(JupyterHubAuthorizer):  # type: ignore[misc]
    """The surveylab API only, and only to users whose token or cookie may access the service."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource == "surveylab" and bool(
            super().is_authorized(handler, user, action, resource)
        )


def service_config(
    environ: Mapping[str, str],
    *,
    homes: str,
    allow_root: bool = False,
    logins_from_hub: bool = False,
    db_accounts: str | None = None,
    open_metrics: bool = False,
    roles: str | None = None,
) -> Config:
    """The server's configuration, from the variables the hub gives a managed service
    (``JUPYTERHUB_SERVICE_URL`` and ``JUPYTERHUB_SERVICE_PREFIX``) and the users' ``homes``.

    ``logins_from_hub``: query as each user's own database account, from the hub's auth_state
    (:mod:`surveylab_server.hub_logins`), or the shared account named there, from the
    ``db_accounts`` file. ``roles``: the roles file; each user's role follows from their hub
    groups (:class:`~surveylab_server.hub_logins.HubUserRoles`).

    ``open_metrics``: serve the Prometheus metrics (``<prefix>metrics``, jupyter_server's
    handler of the default registry, :mod:`surveylab.metrics`) with no token, for a scraper
    inside the cluster (the pod's ``prometheus.io`` annotations); by default they need a hub
    token that may access the service, as every other path.

    ``allow_root``: run although the process is root (a hub run as root starts it so); it
    serves no kernels, files or terminals, only the survey.
    """
    url = environ.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        raise SystemExit(
            "surveylab service: JUPYTERHUB_SERVICE_URL is not set; the hub starts this service"
        )
    address = urlparse(url)
    c = Config()
    c.ServerApp.ip = address.hostname or "127.0.0.1"
    c.ServerApp.port = address.port or 80
    c.ServerApp.port_retries = 0
    c.ServerApp.base_url = (
        environ.get("JUPYTERHUB_SERVICE_PREFIX") or f"/services/{PLATFORM_SERVICE_NAME}/"
    )
    c.ServerApp.identity_provider_class = ServiceIdentityProvider
    c.ServerApp.authorizer_class = ServiceAuthorizer
    c.ServerApp.open_browser = False
    c.ServerApp.allow_remote_access = True
    c.ServerApp.trust_xheaders = True
    c.ServerApp.terminals_enabled = False
    c.ServerApp.allow_root = allow_root
    c.ServerApp.authenticate_prometheus = not open_metrics
    c.ServerApp.default_url = "/home"  # a browser's page; scripts go to api/ and tap
    # a request with no credentials at all is asked for them (401), so that TOPCAT and STILTS
    # send the token as a Basic password; a wrong or revoked token stays refused (403)
    c.ServerApp.tornado_settings = {"surveylab_auth_challenge": 'Basic realm="surveylab"'}
    c.ServerApp.jpserver_extensions = {"surveylab_server": True}
    c.SurveylabApp.user_homes = homes
    c.SurveylabApp.logins_from_hub = logins_from_hub
    c.SurveylabApp.db_accounts_path = db_accounts
    c.SurveylabApp.roles_path = roles
    c.SurveylabApp.mount = ""
    return c


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service (the hub starts it; see the module's description)."""
    parser = argparse.ArgumentParser(prog="python -m surveylab_server.service", description=__doc__)
    parser.add_argument(
        "--homes",
        required=True,
        help="each user's home, with {username}: their jobs go to its surveylab-jobs folder",
    )
    parser.add_argument(
        "--allow-root", action="store_true", help="run although the process is root"
    )
    parser.add_argument(
        "--logins-from-hub",
        action="store_true",
        help="query as each user's own database account, from the hub's auth_state",
    )
    parser.add_argument(
        "--db-accounts",
        help="the shared database accounts file, for workshop pool and OAuth users",
    )
    parser.add_argument(
        "--open-metrics",
        action="store_true",
        help="serve the Prometheus metrics at <prefix>metrics with no token (in-cluster scrape)",
    )
    parser.add_argument(
        "--roles",
        help="the roles file: each user's caps and refusals follow from their hub groups",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    config = service_config(
        os.environ,
        homes=args.homes,
        allow_root=args.allow_root,
        logins_from_hub=args.logins_from_hub,
        db_accounts=args.db_accounts,
        open_metrics=args.open_metrics,
        roles=args.roles,
    )
    server = ServerApp.instance(config=config)
    server.initialize(argv=[], find_extensions=False)
    # As jupyterhub-singleuser does: tornado's own XSRF check runs before the user is known,
    # so it would refuse a token's POST; jupyter_server checks XSRF itself once the user is
    # known (cookie logins only), so nothing goes unchecked.
    server.web_app.settings["xsrf_cookies"] = False
    server.start()


if __name__ == "__main__":
    main()

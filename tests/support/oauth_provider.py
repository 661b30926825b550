"""A tiny real OAuth2 / OpenID Connect provider on loopback, for the hub's OAuth login tests.

:func:`start_provider` serves, from a tornado loop in a thread of its own:

``GET /authorize``
    The authorization endpoint. It checks the client id and the registered redirect URI, then
    "logs in" whoever the test chose with :meth:`OAuthProvider.log_in_as` (a real provider would
    show its login page) and redirects back with a one-time ``code`` and the client's ``state``.
``POST /token``
    The token endpoint: checks the client secret (form or HTTP Basic), the code, its redirect
    URI and the PKCE ``code_verifier`` (S256), and answers a bearer access token.
``GET /userinfo``
    The userinfo endpoint: the claims of the bearer token's user.

Errors follow RFC 6749 (``{"error": ...}`` with 400 or 401). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tornado import httpserver, web
from tornado.netutil import bind_sockets

__all__ = ["OAuthProvider", "start_provider"]


@dataclass
class _Grant:
    claims: dict[str, Any]
    redirect_uri: str
    code_challenge: str | None


@dataclass
class OAuthProvider:
    """A running provider. ``client_secret`` is the registered client's secret."""

    client_id: str
    client_secret: str
    redirect_uri: str
    url: str = ""
    claims: dict[str, Any] | None = None
    codes: dict[str, _Grant] = field(default_factory=dict, repr=False)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    token_requests: int = 0
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: httpserver.HTTPServer | None = field(default=None, repr=False)

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def userinfo_url(self) -> str:
        return f"{self.url}/userinfo"

    def log_in_as(self, **claims: Any) -> None:
        """The user whom the next ``/authorize`` authenticates, by their claims."""
        self.claims = dict(claims)

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is None or self._thread is None:
            return
        loop, server = self._loop, self._server

        def shutdown() -> None:
            if server is not None:
                server.stop()
            loop.stop()

        loop.call_soon_threadsafe(shutdown)
        self._thread.join(10)


class _Handler(web.RequestHandler):
    def initialize(self, provider: OAuthProvider) -> None:
        self.provider = provider

    def oauth_error(self, status: int, error: str, description: str) -> None:
        self.set_status(status)
        self.finish({"error": error, "error_description": description})


class _Authorize(_Handler):
    def get(self) -> None:
        p = self.provider
        if self.get_argument("client_id", "") != p.client_id:
            self.oauth_error(400, "invalid_client", "unknown client_id")
            return
        redirect_uri = self.get_argument("redirect_uri", "")
        if redirect_uri != p.redirect_uri:
            self.oauth_error(400, "invalid_request", "redirect_uri is not registered")
            return
        if self.get_argument("response_type", "") != "code":
            self.oauth_error(400, "unsupported_response_type", "only code is supported")
            return
        challenge = self.get_argument("code_challenge", None)
        if challenge and self.get_argument("code_challenge_method", "") != "S256":
            self.oauth_error(400, "invalid_request", "only S256 PKCE is supported")
            return
        if p.claims is None:
            self.redirect(f"{redirect_uri}?{urlencode({'error': 'access_denied'})}")
            return
        code = secrets.token_urlsafe(24)
        p.codes[code] = _Grant(dict(p.claims), redirect_uri, challenge)
        self.redirect(f"{redirect_uri}?{urlencode({'code': code, **self._state()})}")

    def _state(self) -> dict[str, str]:
        state = self.get_argument("state", None)
        return {"state": state} if state is not None else {}


class _Token(_Handler):
    def post(self) -> None:
        p = self.provider
        p.token_requests += 1
        client_id = self.get_body_argument("client_id", None)
        client_secret = self.get_body_argument("client_secret", None)
        basic = self.request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != p.client_id or not hmac.compare_digest(
            (client_secret or "").encode(), p.client_secret.encode()
        ):
            self.oauth_error(401, "invalid_client", "client authentication failed")
            return
        if self.get_body_argument("grant_type", "") != "authorization_code":
            self.oauth_error(400, "unsupported_grant_type", "only authorization_code")
            return
        grant = p.codes.pop(self.get_body_argument("code", ""), None)  # one use only
        if grant is None or grant.redirect_uri != self.get_body_argument("redirect_uri", ""):
            self.oauth_error(400, "invalid_grant", "unknown or used code")
            return
        if grant.code_challenge is not None:
            verifier = self.get_body_argument("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != grant.code_challenge:
                self.oauth_error(400, "invalid_grant", "PKCE verification failed")
                return
        token = secrets.token_urlsafe(32)
        p.tokens[token] = grant.claims
        self.finish(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "openid"}
        )


class _UserInfo(_Handler):
    def get(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        claims = self.provider.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if claims is None:
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            self.oauth_error(401, "invalid_token", "unknown access token")
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(claims))


def start_provider(
    *, redirect_uri: str, client_id: str = "surveylab-hub", client_secret: str | None = None
) -> OAuthProvider:
    """Serve a provider on a free port of 127.0.0.1 for one client; :meth:`~OAuthProvider.stop`
    it when done."""
    provider = OAuthProvider(
        client_id=client_id,
        client_secret=client_secret or secrets.token_urlsafe(24),
        redirect_uri=redirect_uri,
    )
    sockets = bind_sockets(0, "127.0.0.1")
    provider.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    app = web.Application(
        [
            (r"/authorize", _Authorize, {"provider": provider}),
            (r"/token", _Token, {"provider": provider}),
            (r"/userinfo", _UserInfo, {"provider": provider}),
        ]
    )
    ready = threading.Event()

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        provider._loop, provider._server = loop, server
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    provider._thread = threading.Thread(target=serve, name="oauth-provider", daemon=True)
    provider._thread.start()
    if not ready.wait(10):
        raise RuntimeError("the OAuth provider did not start")
    return provider

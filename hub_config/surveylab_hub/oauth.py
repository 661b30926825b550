"""OAuth login (any OAuth2/OIDC provider, or CILogon) mapped onto shared database accounts.

oauthenticator owns the login flow (``/hub/oauth_login`` → provider → ``/hub/oauth_callback``);
:class:`SurveylabOAuthMixin` adds what a survey platform needs on top, through the hooks
oauthenticator offers:

- **identity**: the provider's username claim after oauthenticator's own processing (for
  example an e-mail address, or CILogon's ``eppn``), stripped and lowercased. It is what the
  account map is keyed by. A bad identity (empty, blanks, control characters, too long) is
  refused with a clear message.
- **hub username**: :func:`hub_username` turns the identity into a name that passes surveylab's
  naming rule (:func:`surveylab_hub.store.validate_username`): an identity that already passes
  is kept; any other (``alice@example.org``) becomes a readable name with a short hash of the
  whole identity, so that two identities never share a hub user
  (``alice-at-example.org-<10 hex>``). ``Authenticator.username_map`` still applies first, so
  an operator can give an identity a nicer name.
- **database account**: the account map (:func:`load_account_map`, a YAML file) names the
  shared account (:mod:`surveylab.accounts`) each identity queries the survey as; an
  identity it does not list gets ``default_db_account`` (``readonly``), or is refused if that
  is empty. When the lab starts, the account's user and password go into its environment
  (``SURVEYLAB_DB_USER``, ``SURVEYLAB_DB_PASSWORD``). ``auth_state`` keeps only the identity,
  never the password: the accounts file is read at every spawn, so a password rotates there.

The map file::

    identities:
      alice.smith@example.org: alice_db     # exact identities first
      "*@des.example.org": collaboration     # then shell-style patterns, in file order
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from oauthenticator.cilogon import CILogonOAuthenticator
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from tornado.httpclient import HTTPClientError
from traitlets import Bool, TraitError, Unicode, default, validate

from surveylab.accounts import AUTH_STATE_ACCOUNT, SharedAccountsError, shared_account
from surveylab.labenv import LabEnvironment
from surveylab_hub.login import LoginRefusedError
from surveylab_hub.login_groups import LoginGroups
from surveylab_hub.store import InvalidUsernameError, validate_username
from surveylab_hub.throttle import LoginThrottle

__all__ = [
    "IDENTITY_KEY",
    "MAX_IDENTITY_LENGTH",
    "AccountMap",
    "AccountMapError",
    "InvalidIdentityError",
    "SurveylabCILogonOAuthenticator",
    "SurveylabGenericOAuthenticator",
    "SurveylabOAuthMixin",
    "canonical_identity",
    "hub_username",
    "load_account_map",
]

#: The key of ``auth_state`` that keeps the user's OAuth identity (and nothing secret).
IDENTITY_KEY = "surveylab_identity"
#: The longest identity accepted (e-mail addresses are at most 254 characters).
MAX_IDENTITY_LENGTH = 256
#: Hex digits of the identity's hash in a derived hub username.
HASH_DIGITS = 10

_ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")
_PATTERN_CHARS = frozenset("*?[")


class InvalidIdentityError(ValueError):
    """The provider's username claim cannot be an identity; the message says why."""


class AccountMapError(ValueError):
    """The account map file is malformed; the message names the file and the entry."""


def canonical_identity(claim: object) -> str:
    """The identity of a username claim: stripped and lowercased, or :class:`InvalidIdentityError`.

    Examples
    --------
    >>> canonical_identity("  Alice.Smith@Example.org ")
    'alice.smith@example.org'
    """
    if not isinstance(claim, str):
        raise InvalidIdentityError(
            f"the identity provider's username claim is a {type(claim).__name__}, not text"
        )
    identity = claim.strip().lower()
    if not identity:
        raise InvalidIdentityError("the identity provider sent an empty username claim")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentityError(
            f"the identity provider's username claim is {len(identity)} characters long; "
            f"at most {MAX_IDENTITY_LENGTH} are allowed"
        )
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in identity):
        raise InvalidIdentityError(
            f"the identity {identity!r} contains blanks or control characters"
        )
    return identity


def hub_username(identity: str) -> str:
    """The hub username of a canonical ``identity``: itself if valid, else a safe derived name.

    The derived name replaces ``@`` by ``-at-`` and every run of characters other than
    ``a-z 0-9 _ . -`` by one ``-``, cuts it to fit, and appends ``-`` and the first 10 hex
    digits of the identity's SHA-256, so distinct identities get distinct names. It is
    idempotent: a derived name is valid, so it maps to itself.

    Examples
    --------
    >>> hub_username("alice")
    'alice'
    >>> hub_username("alice.smith@example.org")
    'alice.smith-at-example.org-0d1cf0a945'
    """
    try:
        return validate_username(identity)
    except InvalidUsernameError:
        pass
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:HASH_DIGITS]
    readable = _UNSAFE.sub("-", identity.replace("@", "-at-"))
    readable = re.sub("-{2,}", "-", readable).strip("-.")
    readable = readable[: 64 - HASH_DIGITS - 1].rstrip("-.")
    return f"{readable}-{digest}" if readable else f"user-{digest}"


@dataclass(frozen=True)
class AccountMap:
    """OAuth identities → shared account names: exact identities, then patterns in order."""

    exact: dict[str, str] = field(default_factory=dict)
    patterns: tuple[tuple[str, str], ...] = ()

    def listed(self, identity: str) -> str | None:
        """The account the map names for ``identity``, or None if it does not list it."""
        if identity in self.exact:
            return self.exact[identity]
        for pattern, account in self.patterns:
            if fnmatch.fnmatchcase(identity, pattern):
                return account
        return None

    def resolve(self, identity: str, default: str | None) -> str | None:
        """The account of ``identity``: the listed one, else ``default`` (None: refused)."""
        return self.listed(identity) or default or None


def load_account_map(path: str | Path) -> AccountMap:
    """Read the account map at ``path``; an absent or empty file lists nobody.

    Raises
    ------
    AccountMapError
        The file is not YAML, not ``identities: {identity: account}``, or names an account
        that is not a valid account name.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AccountMap()
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AccountMapError(f"{path} is not valid YAML{where}") from None
    if data is None:
        return AccountMap()
    if not isinstance(data, dict) or set(data) - {"identities"}:
        raise AccountMapError(f"{path}: expected one mapping `identities: {{identity: account}}`")
    entries = data.get("identities") or {}
    if not isinstance(entries, dict):
        raise AccountMapError(f"{path}: `identities` must map identities to account names")
    exact: dict[str, str] = {}
    patterns: list[tuple[str, str]] = []
    for key, account in entries.items():
        try:
            identity = canonical_identity(key)
        except InvalidIdentityError as e:
            raise AccountMapError(f"{path}: bad identity {key!r}: {e}") from None
        if not isinstance(account, str) or not _ACCOUNT_NAME.fullmatch(account):
            raise AccountMapError(
                f"{path}: identity {identity!r} maps to {account!r}; an account name has "
                "1-64 of a-z, 0-9, '_', '.', '-'"
            )
        if _PATTERN_CHARS & set(identity):
            patterns.append((identity, account))
        else:
            exact[identity] = account
    return AccountMap(exact, tuple(patterns))


def _refusal(message: str) -> web.HTTPError:
    return LoginRefusedError(message).http_error()


class SurveylabOAuthMixin(LoginGroups, LoginThrottle):
    """Identity, hub username and shared database account on top of an OAuthenticator.

    Mix in before the OAuthenticator class; it overrides only oauthenticator's hooks
    (``user_info_to_username``, ``get_token_info``, ``update_auth_model``, ``check_allowed``,
    ``get_user_groups``: only groups that grant a role in ``roles.yaml``)
    and JupyterHub's (``normalize_username``, ``validate_username``, ``pre_spawn_start``), and
    wraps JupyterHub's ``get_authenticated_user`` in the failure throttle.

    No password is typed into an OAuth hub: the provider checks the user's, and the mapped
    shared account's password is read from its file at spawn. The secret the hub has checked
    is the callback's one-time code, at the provider's token endpoint. So the throttle counts
    failed callbacks per client address (`address_failure_limit`): a code the provider
    rejects, and an identity refused here. A throttled address is refused (HTTP 429) before
    the code is sent to the provider.
    """

    # Provided by the OAuthenticator this is mixed into.
    user_auth_state_key: str
    username_map: dict[str, str]

    db_account_map = Unicode(
        config=True,
        help="""
        Path of the YAML file that maps OAuth identities to shared database accounts:
        `identities: {identity: account}`. An identity is the provider's username claim
        (after oauthenticator's processing, e.g. CILogon's `idps` actions), stripped and
        lowercased, such as `alice@example.org`; shell-style patterns (`*@des.example.org`)
        are tried after the exact identities, in file order. Each account must be in
        `shared_accounts_path`.

        The file is read at every login and every spawn, so edits apply at once. An absent
        file lists nobody: every identity gets `default_db_account`. Default: empty (no file).
        """,
    )

    shared_accounts_path = Unicode(
        config=True,
        help="""
        Path of the private shared accounts file (see `surveylab.accounts`) whose accounts
        `db_account_map` and `default_db_account` name. Read when a lab starts; the password
        goes into the lab's environment only. Default `db-accounts.yaml` in the hub's working
        folder; `surveylab hub` sets `<state dir>/db-accounts.yaml`.
        """,
    )

    @default("shared_accounts_path")
    def _default_shared_accounts_path(self) -> str:
        return "db-accounts.yaml"

    default_db_account = Unicode(
        "readonly",
        config=True,
        help="""
        The shared account of identities that `db_account_map` does not list (default
        `readonly`). Empty: such identities are refused at login with a clear message, even
        if another rule (`allow_all`, `allowed_users`, CILogon's `idps`) would admit them.
        """,
    )

    allow_mapped_identities = Bool(
        True,
        config=True,
        help="""
        Admit every identity that `db_account_map` lists (default True). Identities that only
        `default_db_account` covers still need an allow rule of oauthenticator (`allow_all`,
        `allowed_users`, CILogon's `idps` `allow_all`/`allowed_domains`). False: only those
        rules decide.
        """,
    )

    @validate("default_db_account")
    def _validate_default_db_account(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).strip()
        if value and not _ACCOUNT_NAME.fullmatch(value):
            raise TraitError(
                f"{type(self).__name__}.default_db_account {value!r} is not an account name "
                "(1-64 of a-z, 0-9, '_', '.', '-'; empty refuses unmapped identities)"
            )
        return value

    # --- the failure throttle ------------------------------------------------------------

    async def get_authenticated_user(
        self, handler: web.RequestHandler | None, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """JupyterHub's login steps, behind the failure throttle of the client address.

        A refused callback (HTTP 400 or 403: a code the provider rejects, a refused identity,
        a user not allowed) counts against the address; an outage (5xx) does not.
        """
        keys = self.throttle_keys(handler, None)  # no username before the provider names it
        try:
            self.check_throttle(keys)
        except LoginRefusedError as e:
            raise e.http_error() from None
        get_authenticated_user = super().get_authenticated_user  # type: ignore[misc]  # untyped
        try:
            auth_model: dict[str, Any] | None = await get_authenticated_user(handler, data)
        except web.HTTPError as e:
            if e.status_code in (400, 403):
                self.record_failed_login(keys)
            raise
        if auth_model is None:
            self.record_failed_login(keys)
        return auth_model

    async def get_token_info(self, handler: Any, params: dict[str, Any]) -> dict[str, Any]:
        """Exchange the callback's code at the token endpoint; a rejection is a clear 403.

        oauthenticator lets the HTTP client's error through (a 500 page); here a code the
        provider refuses (4xx: unknown, used or expired code) becomes HTTP 403, counted by the
        throttle, and a provider that fails (5xx, unreachable) HTTP 503.
        """
        get_token_info = super().get_token_info  # type: ignore[misc]  # oauthenticator is untyped
        status = 0
        try:
            token_info: dict[str, Any] = await get_token_info(handler, params)
        except HTTPClientError as e:
            status = e.code  # the request holds the client secret and the code: not kept
        except OSError:  # no connection to the provider
            status = 599
        if not status:
            return token_info
        if 400 <= status < 500:
            raise _refusal(
                "the identity provider did not accept this login (its code is unknown, used or "
                "expired); start again from the login page"
            )
        raise web.HTTPError(503, "the identity provider is not answering; try again later")

    # --- identity and username -----------------------------------------------------------

    def identity_of(self, user_info: dict[str, Any]) -> str:
        """The canonical identity of the provider's ``user_info`` (HTTP 403 if it has none)."""
        try:
            claim = super().user_info_to_username(user_info)  # type: ignore[misc]  # the OAuthenticator's
        except ValueError:  # the generic one's "No <claim> found in <user_info>", logged already
            wanted = getattr(self, "username_claim", "")
            wanted = repr(wanted) if isinstance(wanted, str) and wanted else "username"
            raise _refusal(
                f"the identity provider did not send the {wanted} claim that names you; "
                "this hub cannot log you in"
            ) from None
        try:
            return canonical_identity(claim)
        except InvalidIdentityError as e:
            self.log.warning("OAuth login refused: %s", e)
            raise _refusal(f"{e}; this hub cannot log you in") from None

    def user_info_to_username(self, user_info: dict[str, Any]) -> str:
        """The identity; :meth:`normalize_username` then makes the hub username of it."""
        return self.identity_of(user_info)

    def normalize_username(self, username: str) -> str:
        """Lowercase, apply `username_map`, then :func:`hub_username` (idempotent)."""
        name = username.strip().lower()
        name = self.username_map.get(name, name)
        try:
            return hub_username(canonical_identity(name))
        except InvalidIdentityError:
            return name  # validate_username refuses it

    def validate_username(self, username: str) -> bool:
        """surveylab's naming rule (:func:`surveylab_hub.store.validate_username`)."""
        try:
            validate_username(username)
        except InvalidUsernameError as e:
            self.log.warning("Invalid hub username: %s", e)
            return False
        return True

    # --- the account ---------------------------------------------------------------------

    def account_map(self) -> AccountMap:
        """The account map file, read now (:class:`AccountMapError` if malformed)."""
        return load_account_map(self.db_account_map) if self.db_account_map else AccountMap()

    def account_for(self, identity: str) -> str | None:
        """The shared account name of ``identity``, or None if it is refused."""
        return self.account_map().resolve(identity, self.default_db_account or None)

    async def get_user_groups(self, auth_state: dict[str, Any]) -> set[str]:
        """The groups of the claim `auth_state_groups_key` that grant a role (`role_groups`);
        none if the key is not set (the provider gives no groups)."""
        if not getattr(self, "auth_state_groups_key", None):
            return set()
        groups = await super().get_user_groups(auth_state)  # type: ignore[misc]
        return set(self.login_groups(groups))

    async def update_auth_model(self, auth_model: dict[str, Any]) -> dict[str, Any]:
        """Keep the identity in auth_state, for the spawn, and the name of its shared account
        (never a password), for the platform service."""
        auth_model = await super().update_auth_model(auth_model)  # type: ignore[misc]
        auth_state = auth_model.setdefault("auth_state", {})
        identity = self.identity_of(auth_state[self.user_auth_state_key])
        auth_state[IDENTITY_KEY] = identity
        try:
            account = self.account_for(identity)
        except AccountMapError:  # check_allowed refuses the login, with the reason
            account = None
        if account:
            auth_state[AUTH_STATE_ACCOUNT] = account
        return auth_model

    async def check_allowed(self, username: str, auth_model: dict[str, Any] | None) -> bool:
        """Refuse identities with no account; admit listed ones; else oauthenticator's rules."""
        identity = ((auth_model or {}).get("auth_state") or {}).get(IDENTITY_KEY)
        if identity is None:  # not a login (JupyterHub < 5 asks with no model)
            return bool(await super().check_allowed(username, auth_model))  # type: ignore[misc]
        try:
            listed = self.account_map().listed(identity)
        except AccountMapError as e:
            self.log.error("OAuth login of %r refused: %s", identity, e)
            raise _refusal("the hub's account map is broken; tell its operator") from None
        account = listed or self.default_db_account or None
        if account is None:
            self.log.warning("OAuth login refused: no database account for %r", identity)
            raise _refusal(
                f"no survey database account is mapped to your identity {identity!r}; "
                "ask the survey team to add it"
            )
        try:
            shared_account(self.shared_accounts_path, account)
        except SharedAccountsError as e:
            self.log.error("OAuth login of %r refused: %s", identity, e)
            raise _refusal(
                f"the database account {account!r} of your identity is not set up on this hub; "
                "tell its operator"
            ) from None
        if listed is not None and self.allow_mapped_identities:
            return True
        return bool(await super().check_allowed(username, auth_model))  # type: ignore[misc]

    async def pre_spawn_start(self, user: Any, spawner: Any) -> None:
        """Put the identity's shared account (user and password) into the lab's environment.

        The account is looked up again, so a changed map or a rotated password applies at the
        next start. Raises (and so fails the spawn) with a clear message otherwise.
        """
        auth_state = await user.get_auth_state() or {}
        identity = auth_state.get(IDENTITY_KEY)
        if not identity:
            raise web.HTTPError(
                403, "no OAuth identity is recorded for %s; log out and in again", user.name
            )
        try:
            account_name = self.account_for(identity)
            if account_name is None:
                raise web.HTTPError(403, "no survey database account is mapped to %r", identity)
            account = shared_account(self.shared_accounts_path, account_name)
        except (AccountMapError, SharedAccountsError) as e:  # messages name file and entry
            raise web.HTTPError(500, "%s", str(e)) from None
        self.log.info("The lab of %r queries as shared account %r", user.name, account_name)
        lab = account.lab_environment()
        spawner.environment = lab.merged_into(spawner.environment, LabEnvironment.CREDENTIALS)


class SurveylabGenericOAuthenticator(SurveylabOAuthMixin, GenericOAuthenticator):  # type: ignore[misc]
    """Log in with any OAuth2/OpenID Connect provider; query as the mapped shared account."""


class SurveylabCILogonOAuthenticator(SurveylabOAuthMixin, CILogonOAuthenticator):  # type: ignore[misc]
    """Log in with CILogon (e.g. an ``eppn`` through ``idps``); query as the mapped account."""

"""Per-profile idle culling and maximum lab age: a JupyterHub service over the hub's REST API.

Each lab's profile (``user_options["profile"]``; none or an unknown one means the default profile)
sets how long it may sit idle (``idle_hours``) and how long it may run at all (``max_hours``), as
written in ``hub_config/profiles.yaml``. A GPU lab is thus stopped after 1 h idle and after 24 h
in any case, a CPU lab after 8 h idle. The age cap is the hub-side half of the GPU time limit: it
holds for every spawner, where ``activeDeadlineSeconds`` holds only on Kubernetes.

The decisions are pure functions, tested as tables:

- :func:`decide` says whether one server is to be stopped, and why
  (``idle 1 h 2 min > 1 h idle limit of profile gpu``);
- :func:`plan` turns the hub's user models into the REST calls that carry the decisions out.

:func:`cull_once` lists the ready servers (``GET /users?state=ready``), and stops the ones
:func:`decide` picks (``DELETE /users/{name}/server``, or ``/servers/{name}`` for a named
server). :func:`main` runs it every ``--interval`` seconds as a hub-managed service, reading
``JUPYTERHUB_API_URL`` and ``JUPYTERHUB_API_TOKEN``. The token needs the scopes ``list:users``,
``read:servers`` and ``delete:servers`` (``admin:users`` too with ``--cull-users``)::

    c.JupyterHub.services = [{
        "name": "surveylab-culler",
        "command": [sys.executable, "-m", "surveylab_hub.culler", "--profiles", PROFILES],
    }]
    c.JupyterHub.load_roles = [{
        "name": "surveylab-culler",
        "scopes": ["list:users", "read:servers", "delete:servers"],
        "services": ["surveylab-culler"],
    }]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from surveylab_hub.profile_models import DEFAULT_PROFILES_PATH, Profile, Profiles, load_profiles

__all__ = [
    "Action",
    "CullPolicy",
    "Decision",
    "LimitOverride",
    "ServerInfo",
    "cull_once",
    "decide",
    "format_duration",
    "main",
    "parse_duration",
    "parse_override",
    "plan",
    "run",
]

log = logging.getLogger("surveylab_hub.culler")

#: What the hub's REST API sends for a paginated list.
_PAGINATION = "application/jupyterhub-pagination+json"


def parse_time(value: str | None) -> datetime | None:
    """A REST API timestamp (``2026-11-22T01:02:03.456789Z``) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class ServerInfo:
    """What the culler knows of one server: from the hub's server model (``GET /users``)."""

    user: str
    name: str = ""  # "" is the default server
    started: datetime | None = None
    last_activity: datetime | None = None
    user_options: Mapping[str, Any] = field(default_factory=dict)
    ready: bool = True
    pending: str | None = None

    @classmethod
    def from_model(cls, user: str, model: Mapping[str, Any]) -> ServerInfo:
        """From one entry of a user model's ``servers``."""
        return cls(
            user=user,
            name=model.get("name") or "",
            started=parse_time(model.get("started")),
            last_activity=parse_time(model.get("last_activity")),
            user_options=dict(model.get("user_options") or {}),
            ready=bool(model.get("ready")),
            pending=model.get("pending"),
        )

    @property
    def label(self) -> str:
        """``user`` for a default server, ``user/name`` for a named one (for logs)."""
        return f"{self.user}/{self.name}" if self.name else self.user


@dataclass(frozen=True)
class LimitOverride:
    """Limits that replace a profile's, in seconds; None keeps the profile's own."""

    idle_seconds: float | None = None
    max_seconds: float | None = None


@dataclass(frozen=True)
class CullPolicy:
    """How the profiles' limits are applied.

    ``overrides`` replace the limits of the profiles they name (by slug); ``default`` those of
    every other profile. ``cull_users`` also deletes a user from the hub once its last server is
    culled (needs ``admin:users``); the default keeps users.
    """

    overrides: Mapping[str, LimitOverride] = field(default_factory=dict)
    default: LimitOverride = field(default_factory=LimitOverride)
    cull_users: bool = False

    def limits(self, profile: Profile) -> tuple[float, float | None]:
        """The idle limit and the maximum age (None: no cap) of a lab of ``profile``."""
        own = self.overrides.get(profile.slug, LimitOverride())
        idle = own.idle_seconds or self.default.idle_seconds or profile.idle_seconds
        age = own.max_seconds or self.default.max_seconds or profile.max_seconds
        return float(idle), None if age is None else float(age)


@dataclass(frozen=True)
class Decision:
    """A server to stop, and why (for the log)."""

    server: ServerInfo
    profile: str
    kind: Literal["idle", "age"]
    reason: str


def format_duration(seconds: float) -> str:
    """A duration for people: ``3720`` → ``1 h 2 min``; ``86400`` → ``24 h``; ``0.5`` → ``0.5 s``.

    Whole seconds from 10 s up (floored), so ``3720.9`` is still ``1 h 2 min``.
    """
    if seconds < 10:
        return f"{seconds:.3g} s"
    whole = math.floor(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _profile_of(server: ServerInfo, profiles: Profiles) -> tuple[Profile, str]:
    slug = server.user_options.get("profile")
    if not slug:
        return profiles.default_profile, ""
    try:
        return profiles.get(str(slug)), ""
    except KeyError:
        default = profiles.default_profile
        return default, f" (unknown profile {slug!r}: limits of the default, {default.slug})"


def decide(
    server: ServerInfo, profiles: Profiles, now: datetime, policy: CullPolicy | None = None
) -> Decision | None:
    """Whether ``server`` is to be stopped at ``now``: a :class:`Decision`, or None to keep it.

    A server that is not ready, or is starting or stopping, is left alone. Its age runs from
    ``started``; it is idle since ``last_activity`` (``started`` if there was none). The age cap
    wins when both limits are passed. Durations use ``timedelta.total_seconds()``: a lab idle for
    two days is two days idle, not the ``.seconds`` remainder.
    """
    policy = policy or CullPolicy()
    if not server.ready or server.pending:
        return None
    profile, note = _profile_of(server, profiles)
    idle_limit, age_limit = policy.limits(profile)
    if server.started is not None and age_limit is not None:
        age = (now - server.started).total_seconds()
        if age > age_limit:
            reason = (
                f"age {format_duration(age)} > max {format_duration(age_limit)} "
                f"of profile {profile.slug}{note}"
            )
            return Decision(server, profile.slug, "age", reason)
    since = server.last_activity or server.started
    if since is None:
        return None
    idle = (now - since).total_seconds()
    if idle > idle_limit:
        reason = (
            f"idle {format_duration(idle)} > {format_duration(idle_limit)} idle limit "
            f"of profile {profile.slug}{note}"
        )
        return Decision(server, profile.slug, "idle", reason)
    return None


@dataclass(frozen=True)
class Action:
    """One REST call to make: ``method`` on ``path`` (relative to the hub API URL)."""

    method: Literal["DELETE"]
    path: str
    reason: str


def _server_path(server: ServerInfo) -> str:
    user = quote(server.user, safe="")
    if server.name:
        return f"users/{user}/servers/{quote(server.name, safe='')}"
    return f"users/{user}/server"


def plan(
    users: Iterable[Mapping[str, Any]],
    profiles: Profiles,
    now: datetime,
    policy: CullPolicy | None = None,
) -> tuple[list[Decision], list[Action]]:
    """The decisions for every server of ``users`` (hub user models) and the calls they need.

    With ``policy.cull_users``, a user whose only server is a culled default server is deleted
    instead (the hub stops the server first); admins are never deleted. A user with named
    servers only has them stopped: deleting the user would not stop them first.
    """
    policy = policy or CullPolicy()
    decisions: list[Decision] = []
    actions: list[Action] = []
    for user in users:
        servers = [
            ServerInfo.from_model(user["name"], model)
            for model in (user.get("servers") or {}).values()
        ]
        culled = [d for s in servers if (d := decide(s, profiles, now, policy)) is not None]
        decisions += culled
        if not culled:
            continue
        only_default = len(servers) == 1 and not servers[0].name
        if policy.cull_users and only_default and not user.get("admin"):
            reason = "; ".join(d.reason for d in culled)
            actions.append(Action("DELETE", f"users/{quote(user['name'], safe='')}", reason))
        else:
            actions += [Action("DELETE", _server_path(d.server), d.reason) for d in culled]
    return decisions, actions


async def _list_users(
    client: AsyncHTTPClient, api_url: str, token: str, *, state: str | None
) -> list[dict[str, Any]]:
    """The users with a server in ``state`` (None: all users), following the API's pages."""
    users: list[dict[str, Any]] = []
    offset = 0
    while True:
        params: dict[str, Any] = {"offset": offset, "limit": 200}
        if state:
            params["state"] = state
        query = urlencode(params)
        response = await client.fetch(
            HTTPRequest(
                f"{api_url}/users?{query}",
                headers={"Authorization": f"token {token}", "Accept": _PAGINATION},
            )
        )
        body = json.loads(response.body)
        if isinstance(body, list):  # a hub without pagination
            return body
        users += body["items"]
        following = (body.get("_pagination") or {}).get("next")
        if not following:
            return users
        offset = int(following["offset"])


async def cull_once(
    api_url: str,
    token: str,
    profiles: Profiles,
    policy: CullPolicy | None = None,
    *,
    now: datetime | None = None,
) -> list[Decision]:
    """One pass: list the ready servers, stop the ones :func:`decide` picks; the decisions made.

    A failed stop is logged and the pass goes on; a failed listing raises.
    """
    api_url = api_url.rstrip("/")
    client = AsyncHTTPClient()
    policy = policy or CullPolicy()
    # To delete users, see all their servers (pending ones too), not just the ready ones.
    state = None if policy.cull_users else "ready"
    users = await _list_users(client, api_url, token, state=state)
    now = now or datetime.now(UTC)
    decisions, actions = plan(users, profiles, now, policy)
    kept = sum(len(user.get("servers") or {}) for user in users) - len(decisions)
    log.info("%d servers to stop, %d kept", len(decisions), kept)
    for action in actions:
        log.info("Culling %s: %s", action.path, action.reason)
        request = HTTPRequest(
            f"{api_url}/{action.path}",
            method=action.method,
            headers={"Authorization": f"token {token}"},
        )
        try:
            response = await client.fetch(request)
        except HTTPClientError as exc:
            body = exc.response.body.decode(errors="replace") if exc.response else ""
            log.error("%s %s failed: %s %s", action.method, action.path, exc.code, body)
            continue
        log.info("%s %s: %s", action.method, action.path, response.code)
    return decisions


async def run(
    api_url: str,
    token: str,
    profiles: Profiles,
    policy: CullPolicy,
    *,
    interval: float,
    once: bool = False,
) -> None:
    """:func:`cull_once` every ``interval`` seconds (just once with ``once``)."""
    while True:
        try:
            await cull_once(api_url, token, profiles, policy)
        except Exception:
            if once:
                raise
            log.exception("Culling pass failed; trying again in %g s", interval)
        if once:
            return
        await asyncio.sleep(interval)


_UNITS = {"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*")


def parse_duration(text: str) -> float:
    """``"90"`` and ``"90s"`` → 90; ``"30m"`` → 1800; ``"1.5h"`` → 5400; ``"2d"`` → 172800."""
    match = _DURATION.fullmatch(text.lower())
    if not match or match[2] not in _UNITS:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90, 90s, 30m, 1.5h, 2d)")
    seconds = float(match[1]) * _UNITS[match[2]]
    if seconds <= 0:
        raise ValueError(f"a limit must be > 0: {text!r}")
    return seconds


def parse_override(text: str) -> tuple[str, LimitOverride]:
    """``SLUG=IDLE:MAX`` (either part may be empty: the profile's own) → slug and override.

    ``*`` as the slug stands for every profile not named in another override.
    """
    slug, sep, limits = text.partition("=")
    idle, _, age = limits.partition(":")
    if not sep or not slug.strip():
        raise ValueError(f"not an override: {text!r} (use SLUG=IDLE:MAX, e.g. gpu=30m:12h)")
    return slug.strip(), LimitOverride(
        idle_seconds=parse_duration(idle) if idle.strip() else None,
        max_seconds=parse_duration(age) if age.strip() else None,
    )


def _override_arg(text: str) -> tuple[str, LimitOverride]:
    try:
        return parse_override(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m surveylab_hub.culler",
        description="Stop idle and over-age labs, with the limits of each lab's profile. "
        "Runs as a JupyterHub service: reads JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN.",
    )
    parser.add_argument(
        "--profiles",
        type=Path,
        default=Path(os.environ.get("SURVEYLAB_HUB_PROFILES") or DEFAULT_PROFILES_PATH),
        help="the profiles file (default: $SURVEYLAB_HUB_PROFILES or %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=parse_duration,
        default=300.0,
        help="time between passes, e.g. 300 or 5m (default: 300 s)",
    )
    parser.add_argument(
        "--override",
        type=_override_arg,
        action="append",
        default=[],
        metavar="SLUG=IDLE:MAX",
        help="replace a profile's idle limit and/or maximum age, e.g. gpu=30m:12h or small=1s: "
        "(an empty part keeps the profile's own; SLUG * means every other profile); repeatable",
    )
    parser.add_argument(
        "--cull-users",
        action="store_true",
        help="also delete a user whose servers are all culled (needs admin:users)",
    )
    add_service_arguments(parser)
    return parser


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """``--once`` and ``--api-url``: the options every surveylab hub service has."""
    parser.add_argument("--once", action="store_true", help="make one pass and exit")
    parser.add_argument(
        "--api-url",
        default=os.environ.get("JUPYTERHUB_API_URL"),
        help="the hub's REST API (default: $JUPYTERHUB_API_URL)",
    )


def start_service(api_url: str | None) -> str | None:
    """Set up a service's logging; return its API token, or None (logged) if it cannot run.

    The token comes only from ``JUPYTERHUB_API_TOKEN``, never from the command line.
    """
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s"
    )
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not api_url or not token:
        log.error("JUPYTERHUB_API_URL (or --api-url) and JUPYTERHUB_API_TOKEN must be set")
        return None
    return token


def main(argv: Sequence[str] | None = None) -> int:
    """The service's command line; the token comes only from ``JUPYTERHUB_API_TOKEN``."""
    args = _parser().parse_args(argv)
    token = start_service(args.api_url)
    if token is None:
        return 2
    profiles = load_profiles(args.profiles)
    overrides = dict(args.override)
    default = overrides.pop("*", LimitOverride())
    unknown = sorted(set(overrides) - {p.slug for p in profiles.profiles})
    if unknown:
        log.error("--override names unknown profiles: %s", ", ".join(unknown))
        return 2
    policy = CullPolicy(overrides=overrides, default=default, cull_users=args.cull_users)
    for profile in profiles.profiles:
        idle, age = policy.limits(profile)
        cap = "no cap" if age is None else f"max {format_duration(age)}"
        log.info("Profile %s: idle %s, %s", profile.slug, format_duration(idle), cap)
    asyncio.run(run(args.api_url, token, profiles, policy, interval=args.interval, once=args.once))
    return 0


if __name__ == "__main__":
    sys.exit(main())

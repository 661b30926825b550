"""Close ended workshop pools: a JupyterHub service over the hub's REST API.

Every ``--interval`` seconds it reads ``<state dir>/pools.json`` (:mod:`surveylab_hub.pools`).
A pool that has expired is marked ended first, so that ``surveylab pool extend`` can no longer
revive it halfway through. For each user of an ended pool it then

1. stops the user's lab (``DELETE /users/{name}/server``) and waits until it has stopped;
2. deletes the user from the hub (``DELETE /users/{name}``), which ends their sessions;
3. removes the user from the embedded credential store (``users.json``);
4. archives their home ``<state dir>/home/<name>`` to
   ``<state dir>/pool-archives/<pool>/<name>.tar.gz`` (mode 0600), or removes it, as the pool's
   ``home`` policy says, then deletes the folder.

Every step is idempotent, so a failed step is retried at the next pass; once all of a pool's
users are gone the pool is marked closed. Only the users listed in ``pools.json`` are touched.
On Kubernetes the homes are volumes, and what happens to them is the operator's storage policy.

The service reads ``JUPYTERHUB_API_URL`` and ``JUPYTERHUB_API_TOKEN``; its token needs the
scopes ``read:users``, ``read:servers``, ``delete:servers`` and ``delete:users``
(:func:`surveylab_hub.config.configure_pool_service` registers it so).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from surveylab_hub.culler import add_service_arguments, parse_duration, start_service
from surveylab_hub.pools import Pool, PoolStore
from surveylab_hub.store import make_private_dir, validate_username

__all__ = [
    "ARCHIVE_DIRNAME",
    "HubClient",
    "close_home",
    "close_pools_once",
    "close_user",
    "main",
    "run",
]

log = logging.getLogger("surveylab_hub.pool_service")

#: The folder of ``<state dir>`` that keeps archived homes, one subfolder per pool.
ARCHIVE_DIRNAME = "pool-archives"


class HubClient:
    """The few REST calls of the service, with its token, on the hub's API URL."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token

    async def call(self, method: str, path: str) -> tuple[int, Any]:
        """``method`` on ``path``; the status and JSON body (None if empty), errors included."""
        request = HTTPRequest(
            f"{self.api_url}/{path}",
            method=method,
            headers={"Authorization": f"token {self._token}"},
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            if exc.response is None:
                raise
            response = exc.response
        body = json.loads(response.body) if response.body else None
        return response.code, body


async def close_user(hub: HubClient, username: str, *, stop_timeout: float = 60) -> None:
    """Stop ``username``'s lab, wait for it to stop, and delete the user from the hub.

    A user the hub does not know (never logged in, or deleted already) is fine.

    Raises
    ------
    RuntimeError
        A call failed or the lab did not stop in ``stop_timeout`` seconds.
    """
    user = quote(username, safe="")
    code, body = await hub.call("DELETE", f"users/{user}/server")
    if code == 404:
        return
    if code not in (202, 204, 400):  # 400: no server to stop
        raise RuntimeError(f"stopping {username}'s lab failed: {code} {body}")
    deadline = time.monotonic() + stop_timeout
    while True:
        code, body = await hub.call("GET", f"users/{user}")
        if code == 404:
            return
        if code != 200:
            raise RuntimeError(f"reading user {username} failed: {code} {body}")
        if not body.get("servers"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{username}'s lab did not stop in {stop_timeout:g} s")
        await asyncio.sleep(0.5)
    code, body = await hub.call("DELETE", f"users/{user}")
    if code not in (204, 404):
        raise RuntimeError(f"deleting user {username} failed: {code} {body}")


def close_home(
    state_dir: Path, pool: Pool, username: str
) -> Literal["archived", "removed", "none"]:
    """Archive or remove ``username``'s home as ``pool.home`` says; what was done.

    The archive is ``<state dir>/pool-archives/<pool>/<username>.tar.gz`` (mode 0600), written
    to a temporary file first; symbolic links are stored as links, never followed. A home that
    is itself a symbolic link is unlinked, its target left alone.
    """
    validate_username(username)
    home = state_dir / "home" / username
    if home.is_symlink():
        home.unlink()
        return "removed"
    if not home.is_dir():
        return "none"
    if pool.home == "archive":
        folder = state_dir / ARCHIVE_DIRNAME / pool.name
        make_private_dir(folder)
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{username}.", suffix=".tmp")
        tmp = Path(name)
        try:
            # mkstemp made the file 0600; tar stores symbolic links as links.
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(home, arcname=username)
            tmp.replace(folder / f"{username}.tar.gz")
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
    shutil.rmtree(home)
    return "archived" if pool.home == "archive" else "removed"


async def close_pools_once(
    hub: HubClient,
    pools: PoolStore,
    state_dir: Path,
    *,
    now: datetime | None = None,
    concurrency: int = 10,
) -> list[str]:
    """One pass: close every ended pool whose users can all be removed; the pools closed.

    Up to ``concurrency`` users are closed at once. A user that fails is logged and retried
    at the next pass, and keeps its pool open.
    """
    now = now or datetime.now(UTC)
    limit = asyncio.Semaphore(concurrency)

    async def close_one(pool: Pool, username: str) -> bool:
        async with limit:
            try:
                await close_user(hub, username)
                await asyncio.to_thread(pools.credentials.discard_many, [username])
                done = await asyncio.to_thread(close_home, state_dir, pool, username)
            except Exception as exc:
                log.error("Closing %s of pool %s failed: %s", username, pool.name, exc)
                return False
        log.info("Removed %s of pool %s (home: %s)", username, pool.name, done)
        return True

    closed = []
    for pool in pools.ending(now=now):
        log.info("Closing pool %s (ended %s): %d users", pool.name, pool.end_time, len(pool.users))
        results = await asyncio.gather(*(close_one(pool, name) for name in pool.users))
        if all(results):
            pools.mark_closed(pool.name, now=datetime.now(UTC))
            closed.append(pool.name)
            log.info("Pool %s closed", pool.name)
    return closed


async def run(
    hub: HubClient, pools: PoolStore, state_dir: Path, *, interval: float, once: bool
) -> None:
    """:func:`close_pools_once` every ``interval`` seconds (just once with ``once``)."""
    while True:
        try:
            await close_pools_once(hub, pools, state_dir)
        except Exception:
            if once:
                raise
            log.exception("Pool pass failed; trying again in %g s", interval)
        if once:
            return
        await asyncio.sleep(interval)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m surveylab_hub.pool_service",
        description="Stop the labs and remove the users of ended workshop pools. Runs as a "
        "JupyterHub service: reads JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN.",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("SURVEYLAB_HUB_STATE_DIR") or "var/hub"),
        help="the hub's state folder, with pools.json, users.json and home/ "
        "(default: $SURVEYLAB_HUB_STATE_DIR or %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=parse_duration,
        default=60.0,
        help="time between passes, e.g. 60 or 1m (default: 60 s)",
    )
    add_service_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The service's command line; the token comes only from ``JUPYTERHUB_API_TOKEN``."""
    args = _parser().parse_args(argv)
    token = start_service(args.api_url)
    if token is None:
        return 2
    state_dir = args.state_dir.resolve()
    log.info("Watching %s every %g s", state_dir / "pools.json", args.interval)
    hub = HubClient(args.api_url, token)
    pools = PoolStore.in_state_dir(state_dir)
    asyncio.run(run(hub, pools, state_dir, interval=args.interval, once=args.once))
    return 0


if __name__ == "__main__":
    sys.exit(main())

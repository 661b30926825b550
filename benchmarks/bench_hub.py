"""Hub login latency under load, embedded store and PostgreSQL, and local spawn-to-ready time.

Usage: ``python benchmarks/bench_hub.py [--logins 200] [--concurrency 20] [--users 20]
[--spawns 20] [--quick]``.

It starts a real hub (JupyterHub + configurable-http-proxy, ``tests/support/hub.py``) twice:

1. with the embedded credential store holding ``--users`` users: ``--logins`` form logins
   (GET ``/hub/login`` for ``_xsrf``, then POST) from ``--concurrency`` threads, each login in a
   fresh ``requests`` session; then ``--spawns`` local spawns in sequence (REST, as the admin
   service: start, wait until ready, stop);
2. with ``SURVEYLAB_HUB_AUTH=postgresql`` against a throwaway PostgreSQL 15 holding as many
   login roles: the same logins.

A login's latency is its POST (the credential check and the session cookie); one untimed login
warms each hub up first. The limit of each
backend is measured in the same run, at the same concurrency, with no hub: bare argon2 verifies
of the store, and bare PostgreSQL connections as the roles. Every login succeeds (the failure
throttle counts failures only), so any error is a fault; the exit status is 1 if there was one.
``--quick`` runs tiny counts, for a smoke test.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.support: the test suite's real hub and PostgreSQL

from surveylab.demo import generate_demo  # noqa: E402  (after the path)
from surveylab_hub.store import CredentialStore  # noqa: E402
from tests.support.hub import RunningHub, start_hub, stop_hub  # noqa: E402
from tests.support.postgres import (  # noqa: E402
    PostgresServer,
    create_login_roles,
    start_postgres,
)

#: A tiny survey for the labs: spawns do not depend on its size.
DEMO = {"objects": 2_000, "pixel_scale": 4.0, "bands": ("g", "r", "i"), "image_tiles": []}


@dataclass
class Timings:
    """Seconds of each successful operation, and the failures' descriptions."""

    seconds: list[float]
    errors: list[str]
    wall: float = 0.0

    def percentile(self, fraction: float) -> float:
        """The ``fraction`` quantile of the successful operations (NaN if none)."""
        if not self.seconds:
            return float("nan")
        if len(self.seconds) == 1:
            return self.seconds[0]
        quantiles = statistics.quantiles(self.seconds, n=100, method="inclusive")
        return quantiles[round(fraction * 100) - 1]

    @property
    def rate(self) -> float:
        """Successful operations per second of wall time."""
        return len(self.seconds) / self.wall if self.wall else float("nan")

    def line(self, label: str, total: int, *, rate: bool = True) -> str:
        return (
            f"  {label:<38} p50 {self.percentile(0.5) * 1e3:7.1f} ms   "
            f"p99 {self.percentile(0.99) * 1e3:7.1f} ms   errors {len(self.errors)}/{total}"
            + (f"   ({self.rate:.1f}/s)" if rate else "")
        )


def run_concurrently(operation: Callable[[int], None], count: int, concurrency: int) -> Timings:
    """Run ``operation(i)`` for i in range(count) from ``concurrency`` threads, thread ``t``
    taking the i with ``i % concurrency == t`` in order; time each."""
    seconds: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        for i in range(t, count, concurrency):
            started = time.perf_counter()
            try:
                operation(i)
            except Exception as e:  # a failed request is a result, not a crash
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                seconds.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return Timings(seconds, errors, time.perf_counter() - started)


def form_login(hub: RunningHub, username: str, password: str) -> float:
    """One browser-like login in a fresh session; returns the POST's seconds."""
    with requests.Session() as session:
        session.get(f"{hub.url}/hub/login", timeout=60).raise_for_status()
        xsrf = session.cookies.get("_xsrf", path="/hub/")
        started = time.perf_counter()
        response = session.post(
            f"{hub.url}/hub/login",
            data={"username": username, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        elapsed = time.perf_counter() - started
    if response.status_code != 302 or "jupyterhub-session-id" not in session.cookies:
        raise RuntimeError(f"login of {username} answered {response.status_code}")
    return elapsed


def bench_logins(hub: RunningHub, logins: dict[str, str], count: int, concurrency: int) -> Timings:
    """``count`` logins round-robin over ``logins``, after one untimed warm-up login; each
    latency is the POST's."""
    names = sorted(logins)
    form_login(hub, names[0], logins[names[0]])
    post_seconds: list[float] = []
    lock = threading.Lock()

    def login(i: int) -> None:
        name = names[i % len(names)]
        elapsed = form_login(hub, name, logins[name])
        with lock:
            post_seconds.append(elapsed)

    timings = run_concurrently(login, count, concurrency)
    timings.seconds = post_seconds
    return timings


def bench_spawns(hub: RunningHub, names: list[str], count: int) -> Timings:
    """``count`` default-server spawns in sequence via REST: start, wait until ready, stop."""
    seconds: list[float] = []
    errors: list[str] = []
    started_all = time.perf_counter()
    for i in range(count):
        name = names[i % len(names)]
        started = time.perf_counter()
        try:
            response = hub.api("POST", f"users/{name}/server", json={"profile": "small"})
            if response.status_code not in (201, 202):
                raise RuntimeError(f"spawn of {name} answered {response.status_code}")
            hub.wait_for_server(name, timeout=120)
            seconds.append(time.perf_counter() - started)
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
        finally:
            try:
                hub.stop_server(name)
            except Exception as e:
                errors.append(f"stop {name}: {type(e).__name__}: {e}")
    return Timings(seconds, errors, time.perf_counter() - started_all)


def make_logins(users: int) -> dict[str, str]:
    return {f"bench{i:03d}": secrets.token_urlsafe(12) for i in range(users)}


def embedded_phase(
    folder: Path, data_dir: Path, args: argparse.Namespace
) -> tuple[Timings, Timings, Timings]:
    """Logins and spawns against the embedded store; its limit, bare argon2 verifies."""
    logins = make_logins(args.users)
    state_dir = folder / "hub-embedded"
    state_dir.mkdir()
    store = CredentialStore(state_dir / "users.json")
    for name, password in logins.items():
        store.add(name, password)
    names = sorted(logins)
    limit = run_concurrently(
        lambda i: _check(store.verify(names[i % len(names)], logins[names[i % len(names)]])),
        args.logins,
        args.concurrency,
    )
    hub = start_hub(state_dir, data_dir, extra_env={"SURVEYLAB_HUB_DEMO_USER": ""})
    try:
        timings = bench_logins(hub, logins, args.logins, args.concurrency)
        spawns = bench_spawns(hub, names, args.spawns)
    finally:
        stop_hub(hub)
    return timings, limit, spawns


def postgres_phase(
    folder: Path, data_dir: Path, server: PostgresServer, args: argparse.Namespace
) -> tuple[Timings, Timings]:
    """Logins against PostgreSQL roles; its limit, bare connections as the roles."""
    logins = make_logins(args.users)
    create_login_roles(server, logins)
    names = sorted(logins)

    def connect(i: int) -> None:
        name = names[i % len(names)]
        with psycopg.connect(
            host=server.host,
            port=server.port,
            dbname=server.dbname,
            user=name,
            password=logins[name],
            connect_timeout=10,
        ):
            pass

    limit = run_concurrently(connect, args.logins, args.concurrency)
    hub = start_hub(
        folder / "hub-postgres",
        data_dir,
        extra_env={
            "SURVEYLAB_HUB_AUTH": "postgresql",
            "SURVEYLAB_HUB_DB_HOST": server.host,
            "SURVEYLAB_HUB_DB_PORT": str(server.port),
            "SURVEYLAB_HUB_DB_NAME": server.dbname,
            "SURVEYLAB_HUB_DEMO_USER": "",
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
        },
    )
    try:
        timings = bench_logins(hub, logins, args.logins, args.concurrency)
    finally:
        stop_hub(hub)
    return timings, limit


def _check(accepted: bool) -> None:
    if not accepted:
        raise RuntimeError("the store refused a right password")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200, help="logins per backend")
    parser.add_argument("--concurrency", type=int, default=20, help="logins in flight")
    parser.add_argument("--users", type=int, default=20, help="distinct users per backend")
    parser.add_argument("--spawns", type=int, default=20, help="local spawns in sequence")
    parser.add_argument("--quick", action="store_true", help="tiny counts, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.logins, args.concurrency, args.users, args.spawns = 8, 4, 2, 1
    for name in ("logins", "concurrency", "users", "spawns"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as scratch:
        folder = Path(scratch)
        data_dir = folder / "dr1"
        generate_demo(data_dir, **DEMO)  # type: ignore[arg-type]
        print(f"hub logins: {args.logins} per backend at concurrency {args.concurrency}, "
              f"{args.users} users")  # fmt: skip
        embedded, argon2, spawns = embedded_phase(folder, data_dir, args)
        print(embedded.line("embedded store (hub login)", args.logins))
        print(argon2.line("bare argon2 verify (limit)", args.logins))
        print(f"  embedded login p50: {embedded.percentile(0.5) / argon2.percentile(0.5):.1f}x "
              "the bare argon2 verify at the same concurrency")  # fmt: skip
        server = start_postgres()
        try:
            postgres, connect = postgres_phase(folder, data_dir, server, args)
        finally:
            server.stop()
        print(postgres.line("postgresql (hub login)", args.logins))
        print(connect.line("bare PostgreSQL connect (limit)", args.logins))
        print(f"  postgresql login p50: {postgres.percentile(0.5) / connect.percentile(0.5):.1f}x "
              "a bare connect at the same concurrency")  # fmt: skip
        print(f"local spawns: {args.spawns} in sequence")
        print(f"  spawn-to-ready p50 {spawns.percentile(0.5):.2f} s   "
              f"max {max(spawns.seconds, default=float('nan')):.2f} s   "
              f"errors {len(spawns.errors)}/{args.spawns}")  # fmt: skip
        for timings in (embedded, argon2, postgres, connect, spawns):
            for error in sorted(set(timings.errors))[:5]:
                print(f"  error: {error}")
            failed = failed or bool(timings.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The hub's platform service under load: TAP sync queries and query jobs with users' own tokens.

Usage: ``python benchmarks/bench_platform.py [--users 10] [--queries 1000] [--serial 100]
[--jobs 50] [--objects 1000000] [--workers 2] [--poll 0.02] [--quick]``.

It starts a real hub with the platform service (JupyterHub + configurable-http-proxy +
``/services/surveylab/``, ``tests/support/hub.py``) serving a generated demo release, adds
``--users`` users to the embedded store, and each user makes their own API token as the hub's
Token page does. One thread per user, each with its own ``requests.Session``, then runs:

1. **TAP sync** through the hub's proxy: ``--queries`` ADQL cones in the style of DES's M2 query
   (``SELECT TOP 100 RA, DEC FROM DR1_MAIN WHERE CONTAINS(POINT(...), CIRCLE(..., 0.05)) = 1``)
   at random positions within 0.2° of M2, round-robin over the users. Its limits, the same
   queries at the same concurrency in the same run:

   a. straight to the service's own port: no proxy, still authenticated (the hub checks each
      token: the service keeps no cache, so that a revoked token is refused at once);
   b. the bare token check: ``GET /hub/api/user`` with each token on the hub's API port, which
      is what the service asks the hub on every request;
   c. in-process: the core's ``VOService.handle`` on a ``Survey`` of the same release (the
      service's own work with no HTTP, no proxy and no token);
   d. a lab: a standalone ``jupyter server`` with surveylab on the same release
      (``tests/support/server.py``), the same handlers with the server's own token check.

   Then, with no other load, one client sends ``--serial`` of the queries one at a time through
   the proxy, and the token check and the in-process query are timed alone the same way: the
   cost of one request when nothing queues for the 2 cores.

2. **Query jobs** through the REST API: ``--jobs`` tiny query jobs (``POST api/jobs``) spread
   over the users, each user submitting their next job once the previous one ended (so no user
   hits the per-user cap), on the service's pool of ``--workers`` job workers. Submit-to-RUNNING
   is read from each job's own record (``started - created``, the runner's clock; ``created``
   is stamped once the token is checked, so the POST's own round trip is timed apart) and, as
   a client sees it, by polling ``GET api/jobs/{id}`` every ``--poll`` seconds (the poll
   interval plus a poll's round trip bounds that figure); submit-to-COMPLETED as polled.

Every request must succeed and every job complete: the exit status is 1 otherwise. ``--quick``
runs tiny counts, for a smoke test.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.support: the test suite's real hub

from bench_hub import Timings, run_concurrently  # noqa: E402  (the same measures)

from surveylab import Settings, Survey  # noqa: E402  (after the path)
from surveylab.demo import M2_DEC, M2_RA, generate_demo  # noqa: E402
from surveylab.jobs.models import parse_time  # noqa: E402
from surveylab.vo.protocol import Params, VORequest  # noqa: E402
from surveylab.vo.service import VOService  # noqa: E402
from tests.support.hub import RunningHub, start_hub, stop_hub  # noqa: E402
from tests.support.server import jupyter_server  # noqa: E402

SERVICE = "services/surveylab"
#: DES's M2-style small query: a 0.05° cone, at most 100 rows.
CONE_ADQL = (
    "SELECT TOP 100 RA, DEC FROM DR1_MAIN "
    "WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', {ra:.5f}, {dec:.5f}, 0.05)) = 1"
)
#: How far from M2 the cones fall, degrees: some catch the cluster, most the field around it.
SPREAD = 0.2
#: The tiny query of each job: the tile list.
JOB_SQL = "SELECT TILENAME FROM DR1_TILE_INFO"
PASSWORD = "a long password for the platform benchmark"
OK = b'<INFO name="QUERY_STATUS" value="OK"'


def cone_queries(count: int, seed: int = 20261121) -> list[str]:
    """``count`` ADQL cones at random positions within :data:`SPREAD` degrees of M2."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        dec = M2_DEC + rng.uniform(-SPREAD, SPREAD)
        ra = (M2_RA + rng.uniform(-SPREAD, SPREAD) / math.cos(math.radians(dec))) % 360
        queries.append(CONE_ADQL.format(ra=ra, dec=dec))
    return queries


def tap_params(query: str) -> dict[str, str]:
    return {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}


def check_votable(status: int, body: bytes) -> None:
    """Raise unless ``body`` is a complete VOTable with ``QUERY_STATUS`` OK."""
    if status != 200 or OK not in body or not body.rstrip().endswith(b"</VOTABLE>"):
        raise RuntimeError(f"TAP answered {status}: {body[:200]!r}")


@dataclass
class User:
    """A hub user, their API token and a session that sends it."""

    name: str
    token: str
    session: requests.Session = field(repr=False)


def make_user(hub: RunningHub, name: str) -> User:
    """Add ``name`` to the store; they log in and make a token as the hub's Token page does
    (their login cookie and ``_xsrf``, ``POST /hub/api/users/<name>/tokens``)."""
    hub.store.add(name, PASSWORD, replace=True)
    browser, response = hub.login(name, PASSWORD)
    if response.status_code != 302:
        raise RuntimeError(f"login of {name} answered {response.status_code}")
    made = browser.post(
        f"{hub.url}/hub/api/users/{name}/tokens",
        json={"note": "platform benchmark"},
        headers={"X-XSRFToken": browser.cookies.get("_xsrf", path="/hub/") or ""},
        timeout=30,
    )
    if made.status_code != 201:
        raise RuntimeError(f"token of {name} answered {made.status_code}: {made.text}")
    browser.close()
    token = made.json()["token"]
    return User(name, token, token_session(token))


def token_session(token: str) -> requests.Session:
    """A session that sends ``token`` in the ``Authorization`` header."""
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"
    return session


def wait_for_service(user: User, base: str, timeout: float = 60) -> None:
    """Return once ``base``/api/info answers ``user``: the hub answers before its managed
    service may."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if user.session.get(f"{base}/api/info", timeout=10).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the platform service did not answer at {base} in {timeout} s")
        time.sleep(0.2)


def bench_http_tap(users: list[User], base: str, queries: list[str]) -> Timings:
    """The queries as TAP sync GETs to ``base``/tap/sync, user ``i % len(users)`` sending the
    i-th, one thread per user; one untimed query per user first."""

    def query(i: int) -> None:
        response = users[i % len(users)].session.get(
            f"{base}/tap/sync", params=tap_params(queries[i % len(queries)]), timeout=120
        )
        check_votable(response.status_code, response.content)

    for i in range(len(users)):
        query(i)
    return run_concurrently(query, len(queries), len(users))


def bench_token_check(users: list[User], api_url: str, count: int) -> Timings:
    """``count`` ``GET /hub/api/user`` with the users' tokens, one thread per user, as the
    service asks the hub about each request's token."""

    def whoami(i: int) -> None:
        user = users[i % len(users)]
        response = user.session.get(f"{api_url}/user", timeout=60)
        if response.status_code != 200 or response.json().get("name") != user.name:
            raise RuntimeError(f"GET /hub/api/user answered {response.status_code}")

    for i in range(len(users)):
        whoami(i)
    return run_concurrently(whoami, count, len(users))


def bench_in_process(
    data_dir: Path, folder: Path, queries: list[str], concurrency: int, serial: int
) -> tuple[Timings, Timings]:
    """The queries through the core's ``VOService.handle`` on one ``Survey``: all of them at
    ``concurrency``, and the first ``serial`` one at a time; one untimed query first."""
    settings = Settings(data_dir=data_dir, jobs_dir=folder / "in-process-jobs")
    with Survey(settings) as survey:
        service = VOService(survey)

        def query(i: int) -> None:
            params = Params({k: [v] for k, v in tap_params(queries[i % len(queries)]).items()})
            answer = service.handle(VORequest("GET", "tap/sync", params, "http://bench/tap"))
            body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
            check_votable(answer.status, body)

        query(0)
        return (
            run_concurrently(query, len(queries), concurrency),
            run_concurrently(query, serial, 1),
        )


@dataclass
class JobTimings:
    """Per job: the POST's round trip; created→started and started→ended from the job's record;
    submit→running and submit→completed as polled; the polls made."""

    post: Timings = field(default_factory=lambda: Timings([], []))
    queued: Timings = field(default_factory=lambda: Timings([], []))
    executing: Timings = field(default_factory=lambda: Timings([], []))
    seen_running: Timings = field(default_factory=lambda: Timings([], []))
    seen_completed: Timings = field(default_factory=lambda: Timings([], []))
    polls: int = 0


def bench_jobs(users: list[User], base: str, count: int, poll: float) -> JobTimings:
    """``count`` tiny query jobs, round-robin over the users, one thread per user; each user
    submits their next job once the previous one ended."""
    timings = JobTimings()
    lock = threading.Lock()

    def record(which: Timings, seconds: float) -> None:
        with lock:
            which.seconds.append(seconds)

    def job(i: int) -> None:
        session = users[i % len(users)].session
        body = {"type": "query", "sql": JOB_SQL, "format": "csv", "name": f"bench-{i}"}
        submitted = time.perf_counter()
        response = session.post(f"{base}/api/jobs", json=body, timeout=60)
        record(timings.post, time.perf_counter() - submitted)
        if response.status_code != 201:
            raise RuntimeError(f"POST api/jobs answered {response.status_code}: {response.text}")
        job_id = response.json()["id"]
        polls, running_seen = 0, None
        deadline = submitted + 120
        while True:
            polled = session.get(f"{base}/api/jobs/{job_id}", timeout=60)
            now = time.perf_counter()
            polls += 1
            if polled.status_code != 200:
                raise RuntimeError(f"GET api/jobs/{job_id} answered {polled.status_code}")
            model: dict[str, Any] = polled.json()
            phase = model["phase"]
            if running_seen is None and phase not in ("PENDING", "QUEUED"):
                running_seen = now - submitted
            if phase in ("COMPLETED", "ERROR", "ABORTED", "ARCHIVED"):
                break
            if now > deadline:
                raise TimeoutError(f"job {job_id} still {phase} after 120 s")
            time.sleep(poll)
        with lock:
            timings.polls += polls
        if phase != "COMPLETED":
            raise RuntimeError(f"job {job_id} ended {phase}: {model.get('error')}")
        created, started, ended = (parse_time(model[k]) for k in ("created", "started", "ended"))
        record(timings.queued, (started - created).total_seconds())
        record(timings.executing, (ended - started).total_seconds())
        assert running_seen is not None  # a COMPLETED job was seen started
        record(timings.seen_running, running_seen)
        record(timings.seen_completed, now - submitted)

    every = run_concurrently(job, count, len(users))
    timings.seen_completed.errors = every.errors  # a job's failure, wherever it happened
    for which in (timings.post, timings.queued, timings.executing, timings.seen_running):
        which.wall = every.wall
    timings.seen_completed.wall = every.wall
    return timings


def ratio(numerator: Timings, denominator: Timings) -> float:
    return numerator.percentile(0.5) / denominator.percentile(0.5)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10, help="users, one client thread each")
    parser.add_argument("--queries", type=int, default=1000, help="TAP sync queries per path")
    parser.add_argument("--serial", type=int, default=100, help="queries from one client alone")
    parser.add_argument("--jobs", type=int, default=50, help="query jobs over the users")
    parser.add_argument("--objects", type=int, default=1_000_000, help="objects in the release")
    parser.add_argument("--workers", type=int, default=2, help="the service's job workers")
    parser.add_argument("--poll", type=float, default=0.02, help="job poll interval, seconds")
    parser.add_argument("--quick", action="store_true", help="tiny counts, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.queries, args.serial, args.jobs, args.objects = 2, 20, 10, 4, 20_000
    for name in ("users", "queries", "serial", "jobs", "objects", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.poll < 0:
        parser.error("--poll must not be negative")

    queries = cone_queries(args.queries)
    serial = min(args.serial, args.queries)
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as scratch:
        folder = Path(scratch)
        data_dir = folder / "dr1"
        generate_demo(data_dir, objects=args.objects, image_tiles=[])
        core, core_1 = bench_in_process(data_dir, folder, queries, args.users, serial)
        with jupyter_server(data_dir, folder / "lab") as lab:
            clients = [User("lab", lab.token, token_session(lab.token)) for _ in range(args.users)]
            via_lab = bench_http_tap(clients, f"{lab.url}/surveylab", queries)
        hub = start_hub(
            folder / "hub",
            data_dir,
            platform=True,
            extra_env={"SURVEYLAB_HUB_DEMO_USER": "", "SURVEYLAB_JOB_WORKERS": str(args.workers)},
        )
        try:
            users = [make_user(hub, f"bench{i:03d}") for i in range(args.users)]
            proxied = f"{hub.url}/{SERVICE}"
            direct = f"http://127.0.0.1:{hub.env['SURVEYLAB_HUB_PLATFORM_PORT']}/{SERVICE}"
            api_url = f"http://127.0.0.1:{hub.env['SURVEYLAB_HUB_API_PORT']}/hub/api"
            wait_for_service(users[0], proxied)
            via_proxy = bench_http_tap(users, proxied, queries)
            via_port = bench_http_tap(users, direct, queries)
            token_check = bench_token_check(users, api_url, args.queries)
            via_proxy_1 = bench_http_tap(users[:1], proxied, queries[:serial])
            token_check_1 = bench_token_check(users[:1], api_url, serial)
            jobs = bench_jobs(users, proxied, args.jobs, args.poll)
        finally:
            stop_hub(hub)

    print(f"platform service: {args.objects:,} objects, {args.users} users at once (a thread "
          f"and a token each), {args.queries} TAP sync 0.05° cones per path")  # fmt: skip
    print(via_proxy.line("TAP sync via the hub's proxy", args.queries))
    print(via_port.line("TAP sync to the service's port (a)", args.queries))
    print(token_check.line("GET /hub/api/user, token check (b)", args.queries))
    print(core.line("in-process VOService.handle (c)", args.queries))
    print(via_lab.line("TAP sync to a lab (d)", args.queries))
    print(f"  via the proxy: {ratio(via_proxy, via_lab):.1f}x a lab (d) and "
          f"{ratio(via_proxy, core):.1f}x the in-process query (c) at the same "
          f"concurrency; the proxy adds {ratio(via_proxy, via_port):.2f}x over (a)")  # fmt: skip
    print(f"  the hub's token check alone (b) is {ratio(token_check, via_proxy):.0%} of the "
          "proxied p50 (measured apart, at the same concurrency)")  # fmt: skip
    print(f"one client, {serial} queries one at a time:")
    print(via_proxy_1.line("TAP sync via the hub's proxy", serial))
    print(token_check_1.line("GET /hub/api/user, token check", serial))
    print(core_1.line("in-process VOService.handle", serial))
    print(f"  via the proxy: {ratio(via_proxy_1, core_1):.1f}x in-process; the token check is "
          f"{ratio(token_check_1, via_proxy_1):.0%} of the proxied p50")  # fmt: skip
    print(f"query jobs: {args.jobs} over {args.users} users, one at a time each, "
          f"{args.workers} job workers, polled every {args.poll * 1e3:.0f} ms")  # fmt: skip
    print(jobs.post.line("POST api/jobs", args.jobs, rate=False))
    print(jobs.queued.line("created -> started (job record)", args.jobs, rate=False))
    print(jobs.executing.line("started -> ended (job record)", args.jobs, rate=False))
    print(jobs.seen_running.line("submit -> running, polled", args.jobs, rate=False))
    print(jobs.seen_completed.line("submit -> COMPLETED, polled", args.jobs))
    seconds = jobs.seen_completed.wall
    print(f"  {jobs.polls} polls ({jobs.polls / seconds if seconds else 0:.0f}/s): a polled "
          "figure is late by up to one interval plus a poll's round trip")  # fmt: skip

    failed = False
    every = (via_proxy, via_port, token_check, core, via_lab, via_proxy_1, token_check_1, core_1)
    for timings in (*every, jobs.seen_completed):
        for error in sorted(set(timings.errors))[:5]:
            print(f"  error: {error}")
        failed = failed or bool(timings.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``surveylab pool``: workshop pools of numbered accounts that end on their own.

Registered in the ``surveylab`` command through the entry point group ``surveylab.commands``::

    surveylab pool create NAME --size 40 --expires 2026-12-01T18:00 [--seats 30]
        [--profile small] [--db-account readonly] [--home archive|remove] [--csv FILE]
    surveylab pool list
    surveylab pool extend NAME --expires 2026-12-02T18:00
    surveylab pool end NAME [--wait [SECONDS]]

Each works on the hub's state folder (``--state-dir``, as ``surveylab hub users``), and applies
at once to a running hub. The generated passwords are printed once, as CSV on standard output
or into a private file (``--csv``), and stored only as argon2 hashes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from surveylab.accounts import SharedAccountsError
from surveylab_hub.cli import _add_state_dir, _state_dir
from surveylab_hub.pools import (
    HOME_POLICIES,
    MAX_POOL_SIZE,
    CreatedPool,
    Pool,
    PoolError,
    PoolStore,
    format_time,
    parse_expires,
)
from surveylab_hub.profile_models import DEFAULT_PROFILES_PATH, ProfilesError, load_profiles
from surveylab_hub.store import StoreError, write_private

__all__ = ["register"]

#: The errors a pool command reports as one line, without a traceback.
_USER_ERRORS = (OSError, StoreError, ProfilesError, SharedAccountsError)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``pool`` subcommand (``create``, ``list``, ``extend``, ``end``)."""
    pool = subparsers.add_parser(
        "pool",
        help="manage workshop pools of temporary accounts",
        description="Create numbered accounts for a workshop (NAME-01, NAME-02, ...) that log in "
        "like other users, see one lab profile, query as a shared read-only database account, "
        "and are removed with their labs when the pool expires or is ended.",
    )
    _add_state_dir(pool, default=None)
    actions = pool.add_subparsers(dest="pool_command", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="create a pool and print its usernames and passwords as CSV",
        description="Create a pool of --size users with random passwords. The CSV "
        "(username,password,pool,expires_utc) goes to standard output, or to --csv FILE "
        "(mode 0600); it is the only copy of the passwords.",
    )
    create.add_argument("name", help="pool name: lowercase letters, digits, '-' (e.g. des-school)")
    create.add_argument(
        "--size", type=int, required=True, help=f"number of users (1-{MAX_POOL_SIZE})"
    )
    create.add_argument(
        "--expires",
        required=True,
        metavar="WHEN",
        help="when the pool ends: 2026-12-01T18:00 (this machine's local time), "
        "2026-12-01T17:00Z or +02:00 offsets, or +3h / +2d from now",
    )
    create.add_argument(
        "--seats", type=int, help="most labs of the pool running at once (default: --size)"
    )
    create.add_argument(
        "--profile", help="the one lab profile of the pool (default: the profiles file's default)"
    )
    create.add_argument(
        "--db-account",
        metavar="ACCOUNT",
        help="shared read-only database account the labs query as (from --db-accounts)",
    )
    create.add_argument(
        "--home",
        choices=HOME_POLICIES,
        default="archive",
        help="what happens to the users' homes when the pool ends: archive to "
        "<state dir>/pool-archives/NAME/ (default) or remove",
    )
    create.add_argument(
        "--csv", type=Path, metavar="FILE", help="write the CSV here (mode 0600), not to stdout"
    )
    create.add_argument(
        "--profiles",
        type=Path,
        metavar="FILE",
        help="the lab profiles file (default: $SURVEYLAB_HUB_PROFILES or the shipped one)",
    )
    create.add_argument(
        "--db-accounts",
        type=Path,
        metavar="FILE",
        help="the shared accounts file (default: $SURVEYLAB_HUB_DB_ACCOUNTS or "
        "<state dir>/db-accounts.yaml)",
    )
    _add_state_dir(create)
    create.set_defaults(func=pool_create)

    listing = actions.add_parser("list", help="list the pools with their seats, expiry and status")
    _add_state_dir(listing)
    listing.set_defaults(func=pool_list)

    extend = actions.add_parser("extend", help="move the expiry of a pool that has not ended")
    extend.add_argument("name", help="the pool")
    extend.add_argument("--expires", required=True, metavar="WHEN", help="the new expiry")
    _add_state_dir(extend)
    extend.set_defaults(func=pool_extend)

    end = actions.add_parser(
        "end",
        help="end a pool now: its users are logged out, their labs stopped, their accounts removed",
        description="End a pool now. The hub's pool service then stops its labs and removes its "
        "users and homes (within SURVEYLAB_HUB_POOL_INTERVAL seconds).",
    )
    end.add_argument("name", help="the pool")
    end.add_argument(
        "--wait",
        type=float,
        nargs="?",
        const=300.0,
        metavar="SECONDS",
        help="wait until the pool service has closed the pool (default: up to 300 s)",
    )
    _add_state_dir(end)
    end.set_defaults(func=pool_end)


def _fail(message: str) -> int:
    print(f"surveylab pool: error: {message}", file=sys.stderr)
    return 1


def _pools(args: argparse.Namespace) -> PoolStore:
    return PoolStore.in_state_dir(_state_dir(args))


def _describe(pool: Pool) -> str:
    return (
        f"pool {pool.name}: {pool.size} users ({pool.users[0]} to {pool.users[-1]}), "
        f"{pool.seats} seats, profile {pool.profile}, "
        f"database account {pool.db_account or '(none)'}, expires {format_time(pool.expires)}"
    )


def pool_create(args: argparse.Namespace) -> int:
    """``surveylab pool create NAME --size N --expires WHEN``."""
    state_dir = _state_dir(args)
    profiles_path = (
        args.profiles or os.environ.get("SURVEYLAB_HUB_PROFILES") or DEFAULT_PROFILES_PATH
    )
    accounts_path = (
        args.db_accounts
        or os.environ.get("SURVEYLAB_HUB_DB_ACCOUNTS")
        or state_dir / "db-accounts.yaml"
    )
    csv_path: Path | None = args.csv

    def hand_out(created: CreatedPool) -> None:
        if csv_path is not None:
            write_private(csv_path, created.csv_text())

    try:
        if csv_path is not None and csv_path.exists():
            raise PoolError(f"--csv {csv_path} exists; choose a new file (it would be replaced)")
        if csv_path is not None and not csv_path.parent.is_dir():
            raise PoolError(f"--csv {csv_path}: folder {csv_path.parent} does not exist")
        expires = parse_expires(args.expires)
        created = _pools(args).create(
            args.name,
            size=args.size,
            seats=args.seats,
            expires=expires,
            profiles=load_profiles(profiles_path),
            profile=args.profile,
            db_account=args.db_account,
            accounts_path=accounts_path,
            home=args.home,
            handout=hand_out,
        )
    except _USER_ERRORS as e:
        return _fail(str(e))
    if csv_path is None:
        sys.stdout.write(created.csv_text())
        sys.stdout.flush()
    where = f"written to {csv_path} (mode 0600)" if csv_path else "printed above"
    print(f"created {_describe(created.pool)}; logins {where}", file=sys.stderr)
    return 0


def pool_list(args: argparse.Namespace) -> int:
    """``surveylab pool list``: one line per pool."""
    try:
        pools = _pools(args).pools()
    except _USER_ERRORS as e:
        return _fail(str(e))
    now = datetime.now(UTC)
    rows = [("NAME", "SIZE", "SEATS", "PROFILE", "DB ACCOUNT", "EXPIRES", "STATUS")]
    for pool in pools:
        status: str = pool.status(now)
        if status in ("ending", "closed"):
            status += f" (ended {format_time(pool.end_time)})"
        rows.append(
            (
                pool.name,
                str(pool.size),
                str(pool.seats),
                pool.profile,
                pool.db_account or "-",
                format_time(pool.expires),
                status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        print("  ".join([*cells, row[-1]]))
    return 0


def pool_extend(args: argparse.Namespace) -> int:
    """``surveylab pool extend NAME --expires WHEN``."""
    try:
        pool = _pools(args).extend(args.name, parse_expires(args.expires))
    except _USER_ERRORS as e:
        return _fail(str(e))
    print(f"pool {pool.name} now expires {format_time(pool.expires)}")
    return 0


def pool_end(args: argparse.Namespace) -> int:
    """``surveylab pool end NAME [--wait [SECONDS]]``."""
    pools = _pools(args)
    try:
        pool = pools.end(args.name)
    except _USER_ERRORS as e:
        return _fail(str(e))
    print(f"pool {pool.name} ended at {format_time(pool.end_time)}; its users can no longer log in")
    if args.wait is None or pool.closed is not None:
        if pool.closed is not None:
            print(f"pool {pool.name} is closed: its labs are stopped and its users removed")
        return 0
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            pool = pools.get(args.name)
        except _USER_ERRORS as e:
            return _fail(str(e))
        if pool.closed is not None:
            print(f"pool {pool.name} is closed: its labs are stopped and its users removed")
            return 0
    return _fail(
        f"pool {pool.name} is not closed after {args.wait:g} s; is the hub (and its "
        "surveylab-pools service) running? It closes the pool when it next checks"
    )

"""``surveylab hub``: run the local demo hub and manage its users.

Registered in the ``surveylab`` command through the entry point group ``surveylab.commands``::

    surveylab hub [--state-dir DIR] [--port 8000] [--ip 127.0.0.1]
    surveylab hub users add NAME [--password-file FILE|-] [--replace]
    surveylab hub users list
    surveylab hub users remove NAME

Passwords are read from a prompt or a file, never from the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import http.client
import os
import secrets
import select
import shutil
import signal
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

from surveylab_hub.config import (
    DEFAULT_STATE_DIR,
    ENV_VARS,
    default_proxy_cmd,
    demo_user_from_environ,
    hub_options_from_environ,
    prepare_state_dir,
)
from surveylab_hub.store import (
    CredentialStore,
    DemoLogin,
    StoreError,
    UserExistsError,
    validate_username,
    write_private,
)

__all__ = [
    "config_file",
    "hub_command",
    "hub_environment",
    "publish_demo_login",
    "register",
    "wait_until_answering",
    "withdraw_demo_login",
    "withhold_demo_login",
]


#: The column of the variables' meanings in ``surveylab hub --help``.
_width = max(map(len, ENV_VARS))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``hub`` subcommand (and ``hub users ...``) to the ``surveylab`` parser."""
    hub = subparsers.add_parser(
        "hub",
        help="run the local demo JupyterHub and manage its users",
        description="Start the local surveylab JupyterHub (proxy, hub, one lab per user). "
        "Once the hub answers at its URL, it writes the demo login to <state dir>/demo-login.txt "
        "and says so. Stop it with Ctrl-C.",
        epilog="environment variables read by the hub:\n"
        + "\n".join(f"  {name:<{_width}} {meaning}" for name, meaning in ENV_VARS.items())
        + "\n  SURVEYLAB_DATA_DIR and the other SURVEYLAB_* variables are passed to the labs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_state_dir(hub, default=None)
    hub.add_argument(
        "--port", type=int, help="port of the hub (default: $SURVEYLAB_HUB_PORT or 8000)"
    )
    hub.add_argument("--ip", help="IP to listen on (default: $SURVEYLAB_HUB_IP or 127.0.0.1)")
    hub.set_defaults(func=run_hub)

    hub_commands = hub.add_subparsers(dest="hub_command", metavar="COMMAND")
    users = hub_commands.add_parser(
        "users",
        help="manage the hub's embedded credential store",
        description="Add, list and remove the users of the embedded credential store "
        "(<state dir>/users.json). Changes apply at once, even to a running hub.",
    )
    _add_state_dir(users)
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        allow_abbrev=False,  # "--password" must not pass for "--password-file"
        help="add a user (the password is asked for, or read from --password-file)",
        description="Add a user. The password is asked for twice, or read from the first "
        "line of --password-file ('-' for standard input); it is never a command-line argument.",
    )
    add.add_argument("name", help="username: lowercase letters, digits, '_', '-', '.'")
    add.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="file whose first line is the password, or '-' for standard input",
    )
    add.add_argument(
        "--replace", action="store_true", help="change the password of an existing user"
    )
    add.add_argument("--password", action=_RefusePassword, help=argparse.SUPPRESS)
    _add_state_dir(add)
    add.set_defaults(func=users_add)

    listing = actions.add_parser("list", help="list the users and when they were added")
    _add_state_dir(listing)
    listing.set_defaults(func=users_list)

    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name", help="username to remove")
    _add_state_dir(remove)
    remove.set_defaults(func=users_remove)


class _RefusePassword(argparse.Action):
    """``--password``: refused without echoing its value (it would land in logs and ``ps``)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs="?", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        parser.error(
            "passwords are not taken on the command line; "
            "answer the prompt or use --password-file FILE (or - for standard input)"
        )


def _add_state_dir(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default,
        metavar="DIR",
        help=f"the hub's state folder (default: $SURVEYLAB_HUB_STATE_DIR or ./{DEFAULT_STATE_DIR})",
    )


def _state_dir(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Path:
    chosen = args.state_dir or environ.get("SURVEYLAB_HUB_STATE_DIR") or DEFAULT_STATE_DIR
    return Path(chosen).resolve()


def _store(args: argparse.Namespace) -> CredentialStore:
    return CredentialStore(_state_dir(args) / "users.json")


def _fail(message: str) -> int:
    print(f"surveylab hub: error: {message}", file=sys.stderr)
    return 1


# -- surveylab hub -------------------------------------------------------------------------------


def config_file() -> Path:
    """``jupyterhub_config.py``: next to this package in a source tree, else the installed copy."""
    candidates = [
        Path(__file__).resolve().parents[1] / "jupyterhub_config.py",
        Path(sys.prefix) / "share" / "surveylab" / "hub" / "jupyterhub_config.py",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "jupyterhub_config.py not found in " + " or ".join(str(p) for p in candidates)
    )


def hub_command(config: Path, python: str = sys.executable) -> list[str]:
    """The command that runs JupyterHub with ``config``, from ``python``'s environment."""
    return [python, "-m", "jupyterhub", "-f", str(config)]


def hub_environment(
    environ: Mapping[str, str], *, state_dir: Path, ip: str, port: int
) -> dict[str, str]:
    """``environ`` plus the ``SURVEYLAB_HUB_*`` variables that ``jupyterhub_config.py`` reads."""
    return {
        **environ,
        "SURVEYLAB_HUB_STATE_DIR": str(state_dir),
        "SURVEYLAB_HUB_IP": ip,
        "SURVEYLAB_HUB_PORT": str(port),
    }


def run_hub(args: argparse.Namespace) -> int:
    """Prepare the state folder and the demo user, print the URL, exec JupyterHub.

    The demo login is announced (written to ``demo-login.txt`` and printed) by a small detached
    process once the hub answers at its URL, and withdrawn when the hub stops: whoever waits
    for the file can log in at once.
    """
    state_dir = _state_dir(args)
    defaults = hub_options_from_environ(os.environ)
    ip: str = args.ip or defaults["ip"]
    port: int = args.port or defaults["port"]
    proxy = os.environ.get("SURVEYLAB_HUB_PROXY_CMD") or default_proxy_cmd()[0]
    if not (Path(proxy).is_file() or shutil.which(proxy)):
        return _fail(
            "configurable-http-proxy is not installed: run `npm --prefix hub_config install`"
        )
    demo_user = demo_user_from_environ(os.environ)
    store = CredentialStore(state_dir / "users.json")
    try:
        config = config_file()
        prepare_state_dir(state_dir, demo_user=None)
        login = withhold_demo_login(store, demo_user)
    except (OSError, StoreError) as e:
        return _fail(str(e))
    host = "localhost" if ip == "0.0.0.0" else ip
    url = f"http://{host}:{port}/"
    print(f"surveylab hub: starting at {url}  (state in {state_dir})")
    sys.stdout.flush()
    sys.stderr.flush()
    _start_announcer(os.getpid(), url, store, demo_user, login)
    command = hub_command(config)
    environment = hub_environment(os.environ, state_dir=state_dir, ip=ip, port=port)
    # A shell's background job (`make demo &`) inherits SIGINT ignored, and so would the hub's
    # services, which the hub stops with SIGINT: it would wait on each at its shutdown.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execve(command[0], command, environment)
    return 0  # not reached


def _start_announcer(
    hub_pid: int, url: str, store: CredentialStore, demo_user: str | None, login: DemoLogin | None
) -> None:
    """Fork the process that announces the demo login, detached (a grandchild, so that the hub
    this process becomes never has a stray child to reap)."""
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    try:  # the child: fork the announcer and leave at once
        if os.fork() == 0:
            _announcer(hub_pid, url, store, demo_user, login)
    finally:
        os._exit(0)


def _announcer(
    hub_pid: int, url: str, store: CredentialStore, demo_user: str | None, login: DemoLogin | None
) -> None:
    """Wait until the hub answers, announce the login; when the hub stops, withdraw it."""
    # A Ctrl-C or a closed terminal stops the hub; this process stays to withdraw the login.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        hub = os.pidfd_open(hub_pid)
    except ProcessLookupError:  # already gone
        return
    except OSError as e:
        _say(f"surveylab hub: warning: the demo login is not announced: {e}", sys.stderr)
        return
    try:
        if not wait_until_answering(url, lambda: not _has_exited(hub)):
            return
        _say(f"surveylab hub: ready at {url}")
        published = _announce_demo_login(store, demo_user, login)
        select.select([hub], [], [])  # until the hub exits
        if published and login is not None:
            withdraw_demo_login(store, login)
    except Exception as e:  # a detached process: say what went wrong, never a traceback
        _say(f"surveylab hub: warning: the demo login: {e}", sys.stderr)
    finally:
        os.close(hub)
        sys.stdout.flush()


def _say(line: str, stream: TextIO | None = None) -> None:
    """Write ``line`` in one piece: the hub writes to the same output, and ``print`` makes the
    text and its newline two writes when Python is unbuffered (``PYTHONUNBUFFERED``), between
    which a line of the hub's log could land."""
    stream = stream or sys.stdout
    stream.write(line + "\n")
    stream.flush()


def _has_exited(pidfd: int) -> bool:
    """Whether the process of ``pidfd`` has exited (its pidfd is readable then)."""
    return bool(select.select([pidfd], [], [], 0)[0])


#: Where the demo login waits, next to the store, until the hub answers.
PENDING_DEMO_LOGIN = ".demo-login.pending"


def _read_login(path: Path) -> DemoLogin | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    if "username" not in fields or "password" not in fields:
        return None
    return DemoLogin(fields["username"], fields["password"])


def withhold_demo_login(store: CredentialStore, demo_user: str | None) -> DemoLogin | None:
    """Make the demo user if it is absent, and keep its login out of ``demo-login.txt`` until
    :func:`publish_demo_login`: whoever waits for that file may then connect at once.

    The login waits in a private file beside the store (not only in memory), so that a hub that
    fails to start loses no password. Returns the demo login, or None if none is known.
    """
    pending = store.path.with_name(PENDING_DEMO_LOGIN)
    with contextlib.suppress(FileNotFoundError):  # from an earlier run: hidden until we answer
        store.demo_login_path.replace(pending)
    if demo_user and demo_user not in store:
        password = secrets.token_urlsafe(12)
        with contextlib.suppress(UserExistsError):  # made meanwhile by another process
            store.add(demo_user, password)
            write_private(pending, f"username: {demo_user}\npassword: {password}\n")
    return _read_login(pending)


def publish_demo_login(store: CredentialStore, login: DemoLogin) -> bool:
    """Move the withheld login into ``demo-login.txt`` (one rename: the file appears whole),
    if its password is still the user's; whether it was published."""
    pending = store.path.with_name(PENDING_DEMO_LOGIN)
    if not store.verify(login.name, login.password):  # changed meanwhile: the file would lie
        pending.unlink(missing_ok=True)
        return False
    pending.replace(store.demo_login_path)
    return True


def withdraw_demo_login(store: CredentialStore, login: DemoLogin) -> None:
    """Move ``demo-login.txt`` back beside the store, if it still holds ``login``: with no hub
    answering, the file would mislead whoever waits for it. The next start announces it again."""
    if store.demo_login() == login:
        store.demo_login_path.replace(store.path.with_name(PENDING_DEMO_LOGIN))


def _announce_demo_login(
    store: CredentialStore, demo_user: str | None, login: DemoLogin | None
) -> bool:
    """Publish and print the demo login; whether it was published."""
    published = login is not None and publish_demo_login(store, login)
    if published and login is not None:
        # Only where the password is: this output may well end up in a log.
        _say(f"demo login: username {login.name}, password in {store.demo_login_path}")
    elif demo_user:
        _say(f"demo login: set a password with `surveylab hub users add {demo_user} --replace`")
    sys.stdout.flush()
    return published


#: How often :func:`wait_until_answering` asks, seconds.
POLL_SECONDS = 0.1


def wait_until_answering(url: str, running: Callable[[], bool]) -> bool:
    """Wait until ``GET <url>hub/api/`` through the public proxy answers 200; False as soon as
    ``running()`` is false (the hub exited first)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no HTTP proxy
    while running():
        try:
            with opener.open(f"{url}hub/api/", timeout=5) as response:
                if response.status == HTTPStatus.OK:
                    return True
        except (OSError, http.client.HTTPException):
            pass  # not listening yet, or the proxy has no route to the hub yet (503)
        time.sleep(POLL_SECONDS)
    return False


# -- surveylab hub users ... ---------------------------------------------------------------------


def _read_password(args: argparse.Namespace) -> str:
    if args.password_file is None:
        first = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Repeat it: ") != first:
            raise StoreError("the two passwords differ")
        return first
    if str(args.password_file) == "-":
        text = sys.stdin.read()
    else:
        path: Path = args.password_file
        if path.stat().st_mode & 0o077:
            print(f"surveylab hub: warning: {path} is readable by others", file=sys.stderr)
        text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return lines[0] if lines else ""


def users_add(args: argparse.Namespace) -> int:
    """``surveylab hub users add NAME``."""
    store = _store(args)
    try:
        validate_username(args.name)
        existed = args.name in store
        if existed and not args.replace:
            raise UserExistsError(f"user {args.name!r} already exists (use --replace)")
        store.add(args.name, _read_password(args), replace=args.replace)
    except (OSError, StoreError) as e:
        return _fail(str(e))
    print(f"{'changed' if existed else 'added'} user {args.name} in {store.path}")
    return 0


def users_list(args: argparse.Namespace) -> int:
    """``surveylab hub users list``: one ``name<TAB>created`` line per user."""
    try:
        records = _store(args).records()
    except (OSError, StoreError) as e:
        return _fail(str(e))
    for record in records:
        print(f"{record.name}\t{record.created.isoformat()}")
    return 0


def users_remove(args: argparse.Namespace) -> int:
    """``surveylab hub users remove NAME``."""
    store = _store(args)
    try:
        store.remove(args.name)
    except (OSError, StoreError) as e:
        return _fail(str(e))
    print(f"removed user {args.name} from {store.path}")
    return 0

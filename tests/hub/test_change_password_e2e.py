"""A real hub with the Oracle login (fake driver): an expired password leads to a change form.

The hub runs ``tests/hub/fake_oracle_hub_config.py``: the shipped configuration with
``SURVEYLAB_HUB_AUTH=oracle``, whose ``connect_function`` follows Oracle's ORA-28001 /
``newpassword`` rules over a small JSON file of accounts. The tests drive it like a browser:
the login form, the redirect, the change-password form with its XSRF token.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.hub import RunningHub, start_hub, stop_hub

pytestmark = pytest.mark.hub

FAKE_CONFIG = Path(__file__).resolve().parent / "fake_oracle_hub_config.py"
#: Passwords of this module; none may ever show in the hub's log.
OLD = "Old-pw-" + secrets.token_hex(6)
NEW = "New-pw-" + secrets.token_hex(6)
EARLIER = "Earlier-pw-" + secrets.token_hex(6)


def write_accounts(path: Path, accounts: dict[str, dict[str, Any]]) -> None:
    path.write_text(json.dumps(accounts), encoding="utf-8")


def read_accounts(path: Path) -> dict[str, dict[str, Any]]:
    accounts: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return accounts


def start_oracle_hub(state_dir: Path, data_dir: Path, *, failure_limit: int = 20) -> RunningHub:
    return start_hub(
        state_dir,
        data_dir,
        config=FAKE_CONFIG,
        extra_env={
            "SURVEYLAB_HUB_AUTH": "oracle",
            "SURVEYLAB_HUB_ORACLE_DSN": "db.example.org:1521/desdr",
            "SURVEYLAB_HUB_DEMO_USER": "",
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
            "SURVEYLAB_FAKE_ORACLE_STATE": str(state_dir / "oracle-accounts.json"),
            "SURVEYLAB_FAKE_ORACLE_FAILURE_LIMIT": str(failure_limit),
        },
    )


@pytest.fixture(scope="module")
def oracle_hub(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHub]:
    state_dir = tmp_path_factory.mktemp("oracle-hub")
    write_accounts(state_dir / "oracle-accounts.json", {})
    hub = start_oracle_hub(state_dir, demo_data_dir)
    yield hub
    stop_hub(hub)
    assert_no_password_in_log(hub)


@pytest.fixture
def account(oracle_hub: RunningHub, request: pytest.FixtureRequest) -> Callable[..., str]:
    """Add an account (named after the test) to the fake database; returns its name."""
    path = oracle_hub.state_dir / "oracle-accounts.json"
    counter = iter(range(100))

    def add(**fields: Any) -> str:
        name = re.sub(r"[^a-z0-9]", "", request.node.name.lower())[-24:] + str(next(counter))
        accounts = read_accounts(path)
        accounts[name] = {"password": OLD, "expired": True, "history": [EARLIER], **fields}
        write_accounts(path, accounts)
        return name

    return add


def assert_no_password_in_log(hub: RunningHub) -> None:
    log = hub.log_path.read_text(errors="replace")
    for password in (OLD, NEW, EARLIER):
        assert password not in log


def login(
    hub: RunningHub, username: str, password: str, *, next_url: str = ""
) -> tuple[requests.Session, requests.Response]:
    """The login form as a browser fills it (``next`` in the query, as the hub passes it)."""
    session = requests.Session()
    query = f"?next={requests.utils.quote(next_url, safe='')}" if next_url else ""
    session.get(f"{hub.url}/hub/login{query}", timeout=30).raise_for_status()
    response = session.post(
        f"{hub.url}/hub/login{query}",
        data={"username": username, "password": password, "_xsrf": session.cookies["_xsrf"]},
        allow_redirects=False,
        timeout=30,
    )
    return session, response


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the change-password form."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return dict(fields)


def change(
    hub: RunningHub,
    session: requests.Session,
    form_url: str,
    *,
    username: str | None = None,
    password: str = OLD,
    new: str = NEW,
    confirm: str | None = None,
) -> requests.Response:
    """Open the change-password form at ``form_url`` and submit it as a browser does."""
    page = session.get(f"{hub.url}{form_url}", timeout=30)
    assert page.status_code == 200, page.text
    data = {
        **hidden_fields(page.text),
        "password": password,
        "new_password": new,
        "new_password_confirm": new if confirm is None else confirm,
    }
    if username is not None:
        data["username"] = username
    else:
        data["username"] = re.search(r'name="username"\s+value="([^"]*)"', page.text)[1]  # type: ignore[index]
    return session.post(
        f"{hub.url}/hub/change-password", data=data, allow_redirects=False, timeout=30
    )


def logged_in(hub: RunningHub, session: requests.Session) -> bool:
    """Whether the session's cookie logs in (the home page answers instead of redirecting)."""
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=30)
    return home.status_code == 200


# --- the happy path ---------------------------------------------------------------------------


def test_expired_password_is_changed_and_the_user_logged_in(
    oracle_hub: RunningHub, account: Callable[..., str]
) -> None:
    hub, user = oracle_hub, account()
    session, refused = login(hub, user, OLD, next_url="/hub/token")
    assert refused.status_code == 303
    form_url = refused.headers["Location"]
    assert urlsplit(form_url).path == "/hub/change-password"
    assert parse_qs(urlsplit(form_url).query) == {
        "username": [user],
        "expired": ["1"],
        "next": ["/hub/token"],
    }
    assert OLD not in form_url
    assert not logged_in(hub, session)

    page = session.get(f"{hub.url}{form_url}", timeout=30)
    assert "Your database password has expired" in page.text
    assert f'value="{user}"' in page.text

    done = change(hub, session, form_url)
    assert done.status_code == 302, done.text
    assert done.headers["Location"].endswith("/hub/token")
    assert logged_in(hub, session)
    assert read_accounts(hub.state_dir / "oracle-accounts.json")[user]["password"] == NEW

    # the new password logs in from now on; the old one no longer does
    assert login(hub, user, NEW)[1].status_code == 302
    assert login(hub, user, OLD)[1].status_code == 403
    assert_no_password_in_log(hub)


def test_a_login_with_a_current_password_goes_straight_in(
    oracle_hub: RunningHub, account: Callable[..., str]
) -> None:
    user = account(expired=False)
    session, response = login(oracle_hub, user, OLD)
    assert response.status_code == 302
    assert "change-password" not in response.headers["Location"]
    assert logged_in(oracle_hub, session)


def test_the_form_without_a_redirect_changes_a_password_at_will(
    oracle_hub: RunningHub, account: Callable[..., str]
) -> None:
    user = account(expired=False)
    session = requests.Session()
    page = session.get(f"{oracle_hub.url}/hub/change-password", timeout=30)
    assert "has expired" not in page.text
    response = change(oracle_hub, session, "/hub/change-password", username=user)
    assert response.status_code == 302
    assert logged_in(oracle_hub, session)


# --- refusals, shown on the form ----------------------------------------------------------------

REFUSALS = [
    # (id, account fields, form fields, status, message on the form)
    ("copies-differ", {}, {"confirm": NEW + "x"}, 400, "the two copies of the new password differ"),
    ("too-short", {}, {"new": "Sh0rt"}, 400, "the new password must have at least 8 characters"),
    ("same-as-current", {}, {"new": OLD}, 400, "the new password must differ from the current one"),
    ("empty-current", {}, {"password": ""}, 400, "fill in the current password and the new"),
    ("wrong-current", {}, {"password": "Wrong-" + OLD}, 403, "wrong username or current password"),
    ("database-rules", {}, {"new": "Only10char"}, 400, "refused the new password (ORA-28003)"),
    ("reused", {}, {"new": EARLIER}, 400, "(ORA-28007): it was used before and cannot be reused"),
    ("locked", {"locked": True}, {}, 403, "is locked; ask the survey's DBA to unlock it"),
    ("bad-username", {}, {"username": "x'--"}, 400, "username"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "form", "status", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_are_shown_on_the_form(
    oracle_hub: RunningHub,
    account: Callable[..., str],
    fields: dict[str, Any],
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    hub, user = oracle_hub, account(**fields)
    session, refused = login(hub, user, OLD)
    if fields.get("locked"):
        assert refused.status_code == 403  # locked: no detour; use the form directly
        form_url = f"/hub/change-password?username={user}"
    else:
        assert refused.status_code == 303
        form_url = refused.headers["Location"]
    response = change(hub, session, form_url, **form)
    assert response.status_code == status
    assert message in html.unescape(response.text)
    assert 'id="change-password-error"' in response.text
    assert f'value="{user}"' in response.text or "username" in form
    for password in (OLD, NEW, EARLIER):
        assert password not in response.text  # the form never echoes a password
    assert read_accounts(hub.state_dir / "oracle-accounts.json")[user]["password"] == OLD
    assert not logged_in(hub, session)


def test_the_form_needs_its_xsrf_token(oracle_hub: RunningHub, account: Callable[..., str]) -> None:
    user = account()
    response = requests.post(
        f"{oracle_hub.url}/hub/change-password",
        data={"username": user, "password": OLD, "new_password": NEW, "new_password_confirm": NEW},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 403
    assert "_xsrf" in response.text
    assert read_accounts(oracle_hub.state_dir / "oracle-accounts.json")[user]["password"] == OLD


def test_throttled_after_wrong_current_passwords(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Two wrong current passwords: the next attempt is refused before the database is asked."""
    state_dir = tmp_path_factory.mktemp("oracle-throttle-hub")
    accounts = state_dir / "oracle-accounts.json"
    write_accounts(accounts, {"cy": {"password": OLD, "expired": True}})
    hub = start_oracle_hub(state_dir, demo_data_dir, failure_limit=2)
    try:
        session, refused = login(hub, "cy", OLD)
        form_url = refused.headers["Location"]
        for _ in range(2):
            wrong = change(hub, session, form_url, password="Wrong-" + OLD)
            assert wrong.status_code == 403
        throttled = change(hub, session, form_url)  # even the right password must wait
        assert throttled.status_code == 429
        assert re.search(
            r"too many failed logins for this username; try again in \d+ minutes", throttled.text
        )
        assert read_accounts(accounts)["cy"]["password"] == OLD
    finally:
        stop_hub(hub)
    assert_no_password_in_log(hub)


def test_no_change_password_page_without_a_backend_that_changes_passwords(
    running_hub: RunningHub,
) -> None:
    """The embedded store's hub (the session's shared hub) has no such page."""
    response = requests.get(f"{running_hub.url}/hub/change-password", timeout=30)
    assert response.status_code == 404

"""The failure throttle on real hubs: the embedded store, workshop pool accounts, PostgreSQL, and
OAuth callbacks of identities mapped to shared database accounts.

Each hub runs ``throttle_hub_config.py``: 3 failed logins per username, 5 per client address
within 60 s, then 120 s out, on a clock the test moves forward through a file. Every request
comes from 127.0.0.1, so each test first moves the clock past any earlier cooldown.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from argon2 import PasswordHasher

from surveylab_hub.pools import PoolStore
from surveylab_hub.profiles import load_profiles
from surveylab_hub.store import CredentialStore
from tests.support.hub import RunningHub, start_hub, stop_hub
from tests.support.oauth_provider import OAuthProvider, start_provider
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.hub

CONFIG = Path(__file__).with_name("throttle_hub_config.py")
PASSWORD = "Throttle-test-pw-" + secrets.token_hex(4)
USER_THROTTLED = "too many failed logins for this username; try again in 2 minutes"
ADDRESS_THROTTLED = "too many failed logins from your network address; try again in 2 minutes"
#: Past the window and the cooldown of the test configuration.
LONG_AGO = 1000.0


class HubClock:
    """The hub's throttle clock: seconds added to its monotonic clock, through a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0.0
        path.write_text("0", encoding="utf-8")

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.path.write_text(repr(self.offset), encoding="utf-8")


def throttled_hub(
    state_dir: Path, data_dir: Path, env: dict[str, str]
) -> tuple[RunningHub, HubClock]:
    """A hub with the test throttle, a workshop pool ``ws`` of 8 users (all with PASSWORD)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    clock = HubClock(state_dir / "throttle-clock")
    hub = start_hub(
        state_dir,
        data_dir,
        config=CONFIG,
        extra_env={
            "SURVEYLAB_TEST_CLOCK_FILE": str(clock.path),
            "SURVEYLAB_HUB_DEMO_USER": "",
            **env,
        },
    )
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    store = CredentialStore(state_dir / "users.json", hasher=cheap)
    PoolStore(state_dir / "pools.json", credentials=store).create(
        "ws", size=8, expires=datetime.now(UTC) + timedelta(hours=2), profiles=load_profiles()
    )
    for n in range(1, 9):  # as if read off the handout
        store.add(f"ws-{n:02d}", PASSWORD, replace=True)
    store.add("alice", PASSWORD)
    return hub, clock


@pytest.fixture(scope="module")
def embedded_hub(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHub, HubClock]]:
    hub, clock = throttled_hub(tmp_path_factory.mktemp("throttle-embedded"), demo_data_dir, {})
    yield hub, clock
    stop_hub(hub)


@pytest.fixture(scope="module")
def postgres_hub(
    postgres_server: PostgresServer, demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHub, HubClock]]:
    hub, clock = throttled_hub(
        tmp_path_factory.mktemp("throttle-postgres"),
        demo_data_dir,
        {
            "SURVEYLAB_HUB_AUTH": "postgresql",
            "SURVEYLAB_HUB_DB_HOST": postgres_server.host,
            "SURVEYLAB_HUB_DB_PORT": str(postgres_server.port),
            "SURVEYLAB_HUB_DB_NAME": postgres_server.dbname,
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
        },
    )
    yield hub, clock
    stop_hub(hub)


def hub_and_login(
    request: pytest.FixtureRequest, kind: str, who: str
) -> tuple[RunningHub, HubClock, str, str]:
    """The hub of ``kind``, its clock moved past every earlier cooldown, and a login on it."""
    hub, clock = request.getfixturevalue(f"{kind}_hub")
    clock.advance(LONG_AGO)
    if who == "postgres-user":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return hub, clock, server.user, server.password
    return hub, clock, who, PASSWORD


def login_error(response: requests.Response) -> str:
    """The message of the login page's error box."""
    found = re.search(r'<p class="login_error">(.*?)</p>', response.text, re.S)
    assert found, f"no login error on the page ({response.status_code})"
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("kind", "who"),
    [
        pytest.param("embedded", "alice", id="embedded-store"),
        pytest.param("embedded", "ws-01", id="pool-account"),
        pytest.param("postgres", "postgres-user", id="postgresql"),
        pytest.param("postgres", "ws-02", id="pool-account-on-postgresql"),
    ],
)
def test_wrong_passwords_then_the_right_one_waits(
    request: pytest.FixtureRequest, kind: str, who: str
) -> None:
    hub, clock, username, password = hub_and_login(request, kind, who)
    for _ in range(3):
        _, wrong = hub.login(username, "not-" + password)
        assert wrong.status_code == 403
        assert login_error(wrong) == "Invalid username or password"

    _, refused = hub.login(username, password)
    assert refused.status_code == 429
    assert login_error(refused) == USER_THROTTLED

    clock.advance(120)  # the cooldown is over
    _, admitted = hub.login(username, password)
    assert admitted.status_code == 302, admitted.text

    # a name nobody has is refused in the same words: the throttle tells nothing of who exists
    for _ in range(3):
        hub.login("ws-99", "not-" + password)
    _, stranger = hub.login("ws-99", password)
    assert (stranger.status_code, login_error(stranger)) == (429, USER_THROTTLED)
    assert password not in hub.log_path.read_text()


@pytest.mark.parametrize("kind", ["embedded", "postgres"])
def test_one_address_guessing_many_usernames_waits(
    request: pytest.FixtureRequest, kind: str
) -> None:
    """Pool usernames are predictable: guessing them, one try each, still stops at the
    address's limit, for every user at that address."""
    who = "alice" if kind == "embedded" else "postgres-user"
    hub, clock, username, password = hub_and_login(request, kind, who)
    for n in range(3, 8):
        _, wrong = hub.login(f"ws-{n:02d}", "guess-" + secrets.token_hex(4))
        assert wrong.status_code == 403
    _, refused = hub.login(username, password)
    assert refused.status_code == 429
    assert login_error(refused) == ADDRESS_THROTTLED

    clock.advance(120)
    _, admitted = hub.login(username, password)
    assert admitted.status_code == 302, admitted.text


# --- OAuth ----------------------------------------------------------------------------------

SHARED_ACCOUNTS = "accounts:\n  collab:\n    user: oauth_collab\n    password: collab-secret-pw\n"


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuthProvider]:
    provider = start_provider(redirect_uri="set once the hub runs")
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def oauth_hub(
    provider: OAuthProvider, demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHub, HubClock]]:
    """An OAuth hub: alice's identity maps to the shared account ``collab``; others are refused."""
    state_dir = tmp_path_factory.mktemp("throttle-oauth")
    accounts = state_dir / "db-accounts.yaml"
    accounts.write_text(SHARED_ACCOUNTS, encoding="utf-8")
    accounts.chmod(0o600)
    (state_dir / "oauth-accounts.yaml").write_text("identities:\n  alice@example.org: collab\n")
    clock = HubClock(state_dir / "throttle-clock")
    hub = start_hub(
        state_dir,
        demo_data_dir,
        config=CONFIG,
        extra_env={
            "SURVEYLAB_TEST_CLOCK_FILE": str(clock.path),
            "SURVEYLAB_HUB_AUTH": "oauth",
            "SURVEYLAB_HUB_OAUTH_CLIENT_ID": provider.client_id,
            "SURVEYLAB_HUB_OAUTH_CLIENT_SECRET": provider.client_secret,
            "SURVEYLAB_HUB_OAUTH_AUTHORIZE_URL": provider.authorize_url,
            "SURVEYLAB_HUB_OAUTH_TOKEN_URL": provider.token_url,
            "SURVEYLAB_HUB_OAUTH_USERDATA_URL": provider.userinfo_url,
            "SURVEYLAB_HUB_OAUTH_DEFAULT_ACCOUNT": "none",  # refuse unmapped identities
            "SURVEYLAB_HUB_DEMO_USER": "",
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
        },
    )
    provider.redirect_uri = f"{hub.url}/hub/oauth_callback"
    yield hub, clock
    stop_hub(hub)


def oauth_login(hub: RunningHub, provider: OAuthProvider, email: str) -> requests.Response:
    """Log in as a browser does: /hub/oauth_login → provider → /hub/oauth_callback → the hub."""
    provider.log_in_as(email=email, sub=email)
    return requests.Session().get(f"{hub.url}/hub/oauth_login", timeout=60)


def forged_callback(hub: RunningHub) -> requests.Response:
    """A callback with the browser's real state but a made-up code, as a guesser would send."""
    session = requests.Session()
    start = session.get(f"{hub.url}/hub/oauth_login", allow_redirects=False, timeout=30)
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
    return session.get(
        f"{hub.url}/hub/oauth_callback",
        params={"code": secrets.token_urlsafe(24), "state": state},
        allow_redirects=False,
        timeout=30,
    )


def test_oauth_forged_callbacks_make_the_address_wait(
    oauth_hub: tuple[RunningHub, HubClock], provider: OAuthProvider
) -> None:
    """No password is typed into an OAuth hub; the secret it checks is the callback's code, at
    the provider. Codes the provider rejects count against the address; then even a real
    login from there waits, and its code is not even sent to the provider."""
    hub, clock = oauth_hub
    clock.advance(LONG_AGO)
    for _ in range(5):
        forged = forged_callback(hub)
        assert forged.status_code == 403, forged.text
        assert "the identity provider did not accept this login" in forged.text
    asked = provider.token_requests
    refused = oauth_login(hub, provider, "alice@example.org")
    assert refused.status_code == 429
    assert ADDRESS_THROTTLED in refused.text
    assert provider.token_requests == asked

    clock.advance(120)
    admitted = oauth_login(hub, provider, "alice@example.org")
    assert admitted.status_code == 200, admitted.text
    assert provider.client_secret not in hub.log_path.read_text()


def test_oauth_refused_identities_make_the_address_wait(
    oauth_hub: tuple[RunningHub, HubClock], provider: OAuthProvider
) -> None:
    """Identities with no mapped database account, one try each: the address's limit."""
    hub, clock = oauth_hub
    clock.advance(LONG_AGO)
    for n in range(5):
        refused = oauth_login(hub, provider, f"guess{n}@example.org")
        assert refused.status_code == 403
        assert "no survey database account is mapped to your identity" in refused.text
    mapped = oauth_login(hub, provider, "alice@example.org")
    assert mapped.status_code == 429
    assert ADDRESS_THROTTLED in mapped.text

    clock.advance(120)
    admitted = oauth_login(hub, provider, "alice@example.org")
    assert admitted.status_code == 200, admitted.text

"""The failure throttle of every login path: per username and per client address.

:class:`FailureThrottle` counts failures per key in a sliding window and, past a limit, refuses
the key for a cooldown. :class:`LoginThrottle` is the configurable part every authenticator of
the hub mixes in (the embedded store, workshop pools, PostgreSQL, Oracle and OAuth): its traits
(`failure_limit`, `address_failure_limit`, `failure_window`, `failure_cooldown`) can be set for
all of them at once as ``c.LoginThrottle.<trait>``. A throttled login is refused with HTTP 429
and a message that says when to try again, before any password is checked, so that it costs the
hub no CPU (an argon2 check) and the database no connection.

The throttle lives in the hub's memory: it restarts empty with the hub.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from traitlets import Callable as CallableTrait
from traitlets import Float, Int, TraitError, validate
from traitlets.config import LoggingConfigurable

from surveylab_hub.login import ThrottledError

__all__ = ["FailureThrottle", "LoginThrottle", "ThrottleKeys", "wait_text"]


class FailureThrottle:
    """Count failures per key in a sliding window; after ``limit`` of them, refuse for a while.

    In memory, so per hub process. ``clock`` returns seconds (monotonic by default).

    Examples
    --------
    >>> now = [0.0]
    >>> throttle = FailureThrottle(limit=2, window=60, cooldown=30, clock=lambda: now[0])
    >>> throttle.record_failure("user:alice"); throttle.retry_after("user:alice")
    0.0
    >>> throttle.record_failure("user:alice"); throttle.retry_after("user:alice")
    30.0
    >>> now[0] = 30.0; throttle.retry_after("user:alice")
    0.0
    """

    #: Keys kept before expired ones are pruned (bounds memory under a spray of names).
    max_keys = 10_000

    def __init__(
        self,
        limit: int = 5,
        window: float = 300.0,
        cooldown: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 if it may now."""
        until = self._blocked_until.get(key)
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._blocked_until[key]
            return 0.0
        return left

    def record_failure(self, key: str) -> None:
        """Count one failure of ``key``; block it once ``limit`` fall within ``window``."""
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        failures.append(now)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) >= self.limit:
            self._blocked_until[key] = now + self.cooldown
            del self._failures[key]
        if len(self._failures) > self.max_keys:
            self._prune(now)

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        self._failures.pop(key, None)
        self._blocked_until.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._blocked_until.items() if until <= now]:
            del self._blocked_until[key]


def wait_text(seconds: float) -> str:
    """``seconds`` as a person reads a wait: whole seconds under a minute, else whole minutes
    (both rounded up).

    >>> wait_text(0.2), wait_text(45), wait_text(60), wait_text(61), wait_text(300)
    ('1 second', '45 seconds', '1 minute', '2 minutes', '5 minutes')
    """
    if seconds <= 60:
        count, unit = max(1, math.ceil(seconds)), "second"
        if count == 60:
            count, unit = 1, "minute"
    else:
        count, unit = math.ceil(seconds / 60), "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class ThrottleKeys:
    """Who a login attempt is counted against: its (normalised, valid) username and its client
    address; either may be unknown (an invalid username, an OAuth callback, no request)."""

    username: str | None = None
    address: str | None = None


class LoginThrottle(LoggingConfigurable):
    """The failure throttle's settings and steps, mixed into every authenticator of the hub.

    A login flow calls :meth:`check_throttle` before checking anything costly, then
    :meth:`record_failed_login` for a failed guess, or :meth:`reset_user` after a success.
    """

    failure_limit = Int(
        5,
        config=True,
        help="""
        Failed logins allowed per username within `failure_window` seconds; the next login of
        that username, even with the right password, is refused for `failure_cooldown`
        seconds with HTTP 429 ("too many failed logins ...; try again in N minutes"), before
        the password is checked. A successful login clears the username's count. Counted alike
        for users who exist and names that do not, so the refusal tells nothing about which
        exist. Applies to every login path (embedded store, workshop pools, PostgreSQL,
        Oracle, the change-password form); set it for all as `c.LoginThrottle.failure_limit`.
        Default 5.
        """,
    )

    address_failure_limit = Int(
        30,
        config=True,
        help="""
        Failed logins allowed per client address (whatever the usernames) within
        `failure_window` seconds; then every login from that address is refused for
        `failure_cooldown` seconds with HTTP 429. It stops one address from guessing many
        usernames (workshop pool names, `ws-01`, `ws-02`, ..., are easy to guess), and
        counts failed OAuth callbacks (a code the provider rejects, a refused identity).
        Higher than `failure_limit` because a whole workshop room often shares one address.
        The address is the request's `remote_ip` (JupyterHub trusts the proxy's
        `X-Forwarded-For`). A successful login does not clear it. Default 30.
        """,
    )

    failure_window = Float(
        300.0,
        config=True,
        help="""
        Seconds of the sliding window in which `failure_limit` and `address_failure_limit`
        count failed logins. Default 300.
        """,
    )

    failure_cooldown = Float(
        300.0,
        config=True,
        help="""
        Seconds a username or client address is refused once it reached its limit of failed
        logins (`failure_limit`, `address_failure_limit`). Default 300.
        """,
    )

    clock = CallableTrait(
        time.monotonic,
        config=True,
        help="""
        The throttle's clock: a function of no arguments returning seconds, monotonic
        (default `time.monotonic`). For tests, which set a clock they can move forward.
        """,
    )

    @validate("failure_limit", "address_failure_limit")
    def _validate_limit(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 1:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be at least 1, not {value}")
        return value

    @validate("failure_window", "failure_cooldown")
    def _validate_seconds(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not value > 0:
            name = proposal["trait"].name
            raise TraitError(f"{type(self).__name__}.{name} must be positive, not {value}")
        return value

    _user_throttle: FailureThrottle | None = None
    _address_throttle: FailureThrottle | None = None

    @property
    def user_throttle(self) -> FailureThrottle:
        """Failures per username, made on first use from the traits."""
        if self._user_throttle is None:
            self._user_throttle = self._new_throttle(self.failure_limit)
        return self._user_throttle

    @property
    def address_throttle(self) -> FailureThrottle:
        """Failures per client address, made on first use from the traits."""
        if self._address_throttle is None:
            self._address_throttle = self._new_throttle(self.address_failure_limit)
        return self._address_throttle

    def _new_throttle(self, limit: int) -> FailureThrottle:
        return FailureThrottle(
            limit=limit,
            window=self.failure_window,
            cooldown=self.failure_cooldown,
            clock=self.clock,
        )

    @staticmethod
    def throttle_keys(handler: Any, username: str | None) -> ThrottleKeys:
        """The keys of a login by ``username`` (None if invalid or unknown) through ``handler``
        (the request's handler, or None)."""
        address = getattr(getattr(handler, "request", None), "remote_ip", None)
        return ThrottleKeys(username=username or None, address=str(address) if address else None)

    def check_throttle(self, keys: ThrottleKeys) -> None:
        """Raise :class:`ThrottledError` if the username or the address must wait."""
        user_wait = self.user_throttle.retry_after(keys.username) if keys.username else 0.0
        address_wait = self.address_throttle.retry_after(keys.address) if keys.address else 0.0
        if user_wait <= 0 and address_wait <= 0:
            return
        if user_wait >= address_wait:
            who, wait = "for this username", user_wait
            self.log.warning("Login of %r refused: too many failed logins", keys.username)
        else:
            who, wait = "from your network address", address_wait
            self.log.warning("Login from %s refused: too many failed logins", keys.address)
        raise ThrottledError(f"too many failed logins {who}; try again in {wait_text(wait)}")

    def record_failed_login(self, keys: ThrottleKeys) -> None:
        """Count a failed guess against the username and the address."""
        if keys.username:
            self.user_throttle.record_failure(keys.username)
        if keys.address:
            self.address_throttle.record_failure(keys.address)

    def reset_user(self, username: str) -> None:
        """Forget the failed logins of ``username`` (after a successful login)."""
        self.user_throttle.reset(username)

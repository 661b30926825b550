"""Test-only hub configuration: the shipped ``hub_config/jupyterhub_config.py``, with a small
failure throttle on a clock the test moves forward.

The throttle of every authenticator (``c.LoginThrottle``) allows 3 failed logins per username
and 5 per client address within 60 s, then refuses for 120 s. Its clock is ``time.monotonic()``
plus the seconds written in the file named by ``SURVEYLAB_TEST_CLOCK_FILE`` (read at every
call; absent or empty: 0), so a test ends a cooldown by writing a larger number, not by sleeping.
"""

import os
import time
from pathlib import Path

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "hub_config" / "jupyterhub_config.py"
load_subconfig(str(SHIPPED_CONFIG))  # noqa: F821
c = get_config()  # noqa: F821  (traitlets defines both when it loads this file)

CLOCK_FILE = Path(os.environ["SURVEYLAB_TEST_CLOCK_FILE"])


def clock() -> float:
    """``time.monotonic()`` moved forward by the test's offset."""
    try:
        offset = float(CLOCK_FILE.read_text(encoding="utf-8").strip() or 0)
    except FileNotFoundError:
        offset = 0.0
    return time.monotonic() + offset


c.LoginThrottle.clock = clock
c.LoginThrottle.failure_limit = 3
c.LoginThrottle.address_failure_limit = 5
c.LoginThrottle.failure_window = 60.0
c.LoginThrottle.failure_cooldown = 120.0

"""Test-only hub configuration: the shipped ``hub_config/jupyterhub_config.py`` with a fake Oracle.

Run with ``SURVEYLAB_HUB_AUTH=oracle``, ``SURVEYLAB_HUB_ORACLE_DSN`` and ``JUPYTERHUB_CRYPT_KEY``
as for a real Oracle login. Only ``OracleAuthenticator.connect_function`` differs: instead of
``oracledb.connect_async`` it checks the accounts in the JSON file named by
``SURVEYLAB_FAKE_ORACLE_STATE`` (read and written on every call, so a test can set them up and
look at them while the hub runs)::

    {"ada": {"password": "...", "expired": true, "locked": false, "history": ["..."]}}

and raises python-oracledb's own ``DatabaseError`` with Oracle's codes, as a server would:

- ORA-01017 for an unknown user or a wrong password (checked first, as Oracle does);
- ORA-28000 for a locked account;
- with ``newpassword``: ORA-28003 if it is shorter than :data:`DB_MIN_LENGTH` (the profile's
  verify function), ORA-28007 if it is the current or an earlier password; otherwise the
  password is changed, the account no longer expired, and the connection succeeds;
- without it: ORA-28001 for an expired password, else success.

``SURVEYLAB_FAKE_ORACLE_FAILURE_LIMIT`` sets ``failure_limit`` (default 20: tests from one
address must not throttle each other).
"""

import json
import os
from pathlib import Path
from typing import Any

import oracledb
from oracledb.errors import _Error

#: The fake database's own rule for new passwords (stricter than the hub's default 8).
DB_MIN_LENGTH = 12

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "hub_config" / "jupyterhub_config.py"
load_subconfig(str(SHIPPED_CONFIG))  # noqa: F821
c = get_config()  # noqa: F821  (traitlets defines both when it loads this file)

STATE = Path(os.environ["SURVEYLAB_FAKE_ORACLE_STATE"])


class FakeConnection:
    """What ``connect_async`` returns; the authenticator only closes it."""

    async def close(self) -> None:
        return None


def oracle_error(code: str, text: str) -> oracledb.DatabaseError:
    """python-oracledb's error for ``code`` (``args[0].full_code`` is ``code``)."""
    return oracledb.DatabaseError(_Error(f"{code}: {text}"))


async def fake_connect(
    *, user: str, password: str, dsn: str, newpassword: str | None = None, **_: Any
) -> FakeConnection:
    """``oracledb.connect_async`` against the accounts in :data:`STATE`."""
    accounts = json.loads(STATE.read_text(encoding="utf-8"))
    account = accounts.get(user)
    if account is None or password != account["password"]:
        raise oracle_error("ORA-01017", "invalid credential or not authorized; logon denied")
    if account.get("locked"):
        raise oracle_error("ORA-28000", "The account is locked.")
    if newpassword is not None:
        if len(newpassword) < DB_MIN_LENGTH:
            raise oracle_error(
                "ORA-28003", "password verification for the specified password failed"
            )
        if newpassword == password or newpassword in account.get("history", []):
            raise oracle_error("ORA-28007", "the password cannot be reused")
        account["history"] = [*account.get("history", []), password]
        account["password"] = newpassword
        account["expired"] = False
        STATE.write_text(json.dumps(accounts), encoding="utf-8")
        return FakeConnection()
    if account.get("expired"):
        raise oracle_error("ORA-28001", "the password has expired")
    return FakeConnection()


c.OracleAuthenticator.connect_function = fake_connect
FAILURE_LIMIT = os.environ.get("SURVEYLAB_FAKE_ORACLE_FAILURE_LIMIT", "20")
c.OracleAuthenticator.failure_limit = int(FAILURE_LIMIT)

"""The lab's client of the hub's platform service, where nothing answers (the service itself
answers in ``tests/hub/test_platform_service_e2e.py``)."""

from __future__ import annotations

import socket

import pytest

from surveylab.errors import HTTP_STATUS
from surveylab.platform import PlatformClient, PlatformUnavailableError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_service_that_does_not_answer_is_said_so_and_the_token_never_shows() -> None:
    url = f"http://127.0.0.1:{closed_port()}/services/surveylab"
    client = PlatformClient(url, "secret-token-4711", timeout=5)
    with pytest.raises(PlatformUnavailableError) as failed:
        client.submit({"type": "query", "sql": "SELECT 1"})
    assert f"the platform service at {url}/ cannot be reached" in str(failed.value)
    assert HTTP_STATUS[failed.value.category] == 503
    assert "secret-token-4711" not in repr(client) + str(failed.value)

"""The test being run, so that what starts a hub or a browser can check that the test carries
the marker (``hub``, ``browser``) by which ``make test-fast`` leaves it out."""

from __future__ import annotations

import pytest

__all__ = ["require_marker", "running_item"]

_running: list[pytest.Item] = []


def running_item(item: pytest.Item | None) -> None:
    """Record the test pytest runs now (``None`` once it is done)."""
    _running[:] = [] if item is None else [item]


def require_marker(name: str, what: str) -> None:
    """Fail the running test unless it is marked ``name``: it is about to start ``what``."""
    for item in _running:
        if item.get_closest_marker(name) is None:
            pytest.fail(
                f"{item.nodeid} starts {what} but is not marked @pytest.mark.{name}",
                pytrace=False,
            )

"""Fixtures of the hub tests: the session's real JupyterHub (see tests/support/hub.py)."""

from tests.support.hub import running_hub

__all__ = ["running_hub"]

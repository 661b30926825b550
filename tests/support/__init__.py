"""Test support code: helpers that tests import (fixtures live in conftest.py)."""

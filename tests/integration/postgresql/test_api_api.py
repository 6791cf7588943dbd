"""tests/unit/api/test_api.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_api import *  # noqa: F403 - the tests themselves

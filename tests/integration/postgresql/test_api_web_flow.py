"""tests/unit/api/test_web_flow.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_web_flow import *  # noqa: F403 - the tests themselves

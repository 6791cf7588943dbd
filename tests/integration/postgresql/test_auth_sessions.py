"""tests/unit/services/test_auth_sessions.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_auth_sessions import *  # noqa: F403 - the tests themselves

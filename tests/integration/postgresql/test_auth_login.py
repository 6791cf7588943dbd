"""tests/unit/services/test_auth_login.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_auth_login import *  # noqa: F403 - the tests themselves

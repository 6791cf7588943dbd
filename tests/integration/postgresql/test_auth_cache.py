"""tests/unit/services/test_auth_cache.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_auth_cache import *  # noqa: F403 - the tests themselves

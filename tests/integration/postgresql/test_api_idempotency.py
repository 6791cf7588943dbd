"""tests/unit/api/test_idempotency.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_idempotency import *  # noqa: F403 - the tests themselves

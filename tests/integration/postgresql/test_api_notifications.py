"""tests/unit/api/test_notifications.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_notifications import *  # noqa: F403 - the tests themselves

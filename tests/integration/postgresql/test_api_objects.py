"""tests/unit/api/test_objects.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_objects import *  # noqa: F403 - the tests themselves

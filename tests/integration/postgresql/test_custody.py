"""tests/unit/services/test_custody.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_custody import *  # noqa: F403 - the tests themselves

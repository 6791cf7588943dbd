"""tests/unit/services/test_auth_people.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_auth_people import *  # noqa: F403 - the tests themselves

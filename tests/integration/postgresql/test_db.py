"""tests/unit/services/test_db.py on PostgreSQL (see conftest.py)."""

from tests.unit.services.test_db import *  # noqa: F403 - the tests themselves

"""tests/unit/api/test_write_matrix.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_write_matrix import *  # noqa: F403 - the tests themselves

"""tests/unit/api/test_confidentiality.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_confidentiality import *  # noqa: F403 - the tests themselves

"""tests/unit/api/test_audit_routes.py on PostgreSQL (see conftest.py)."""

from tests.unit.api.test_audit_routes import *  # noqa: F403 - the tests themselves

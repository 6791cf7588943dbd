"""tests/unit/projections/test_projection_rows.py on PostgreSQL (see conftest.py)."""

from tests.unit.projections.test_projection_rows import *  # noqa: F403 - the tests themselves

"""Fixtures of the projection tests: the service database they project into."""

from __future__ import annotations

import pytest


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """A SQLite service database at the newest schema; tests/integration/postgresql runs the
    projection tests again on a real PostgreSQL 15 by overriding this fixture."""
    return sqlite_url

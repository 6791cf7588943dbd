"""The service and API tests again, on a real PostgreSQL 15 service database.

The tests themselves live in ``tests/unit`` (where they run on SQLite); each module here
imports one of them, and the fixtures below give them a PostgreSQL database instead (a copy of
a template migrated once for the run: ``tests/common/postgres.py``). Everything here is marked
``integration``.
"""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import anonymous, app, browser, client  # noqa: F401 - fixtures
from tests.unit.services.conftest import (  # noqa: F401 - fixtures
    admin,
    auth,
    clock,
    custody,
    engine,
    session_factory,
    settings,
)


@pytest.fixture
def service_database_url(migrated_postgres_url: str) -> str:
    return migrated_postgres_url


@pytest.fixture
def db_url(migrated_postgres_url: str) -> str:
    return migrated_postgres_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/postgresql/" in str(item.path):
            item.add_marker(pytest.mark.integration)

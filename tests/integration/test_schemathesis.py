"""schemathesis against the app's own OpenAPI document, on the real app under uvicorn.

Every GET route and every POST route gets a fixed number of generated requests (derandomized,
so every run sends the same ones; signed in with the org admin's API token, as the API tests
are); no answer may be a server error (5xx) and every answer must match what the document says
about it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.unit.api.conftest import anonymous, app, client  # noqa: F401 - the API fixtures

pytestmark = pytest.mark.integration


@pytest.fixture
def service_database_url(tmp_path: Path) -> str:
    """SQLite only: the schemathesis budget is spent once (the API tests cover PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'schemathesis.sqlite'}"


EXAMPLES_PER_OPERATION = 25

# Operations left out, and why.
EXCLUDED = {
    # Disabling a user may disable the signed-in admin itself and make every later request 401;
    # the route is covered by the authorization tests instead.
    ("POST", "/api/v1/admin/users/{user_id}/disable"),
}


def test_the_api_keeps_to_its_openapi_document(
    client: httpx.Client,  # noqa: F811 - the fixture
) -> None:
    raw: dict[str, Any] = client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    base_url = str(client.base_url)
    headers = {"Authorization": client.headers["Authorization"]}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself must be valid
        operations.append(result.ok())
    selected = [
        op
        for op in operations
        if op.method.upper() in ("GET", "POST") and (op.method.upper(), op.path) not in EXCLUDED
    ]
    assert len(selected) > 20
    failures: list[str] = []
    statuses: list[int] = []
    for operation in selected:
        try:
            checker(operation, base_url, headers, statuses)()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    print(f"{len(statuses)} requests:", dict(Counter(statuses)))
    assert len(statuses) >= 3 * len(selected)
    assert not failures, "\n\n".join(failures)


def checker(
    operation: Any, base_url: str, headers: dict[str, str], statuses: list[int]
) -> Callable[[], None]:
    """A hypothesis test of one operation: a fixed number of derandomized examples."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        statuses.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    result: Callable[[], None] = run
    return result

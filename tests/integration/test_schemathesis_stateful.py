"""schemathesis STATEFUL runs against the real app under uvicorn: sequences of calls, each
feeding the next through OpenAPI links, by a signed-in AI engineer (session cookie + CSRF), so
writes go through the server's signing and land on the ledger. No answer may be a server error
(5xx) and every answer must match the document.

The app's own document has no links (its responses are not typed enough for schemathesis to
infer them), so this test adds them to its copy: every write's ``tx_id`` leads to the tx and
its inclusion proof; a new API token to its deletion; a stored object to its download; the
block list to a block; notifications to marking one read. Path parameters naming the project
and its versions are narrowed to the ones that exist, so the sequences reach past "not found".
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.unit.api.conftest import anonymous, app  # noqa: F401 - the API fixtures
from tetherai.identity.roles import Role
from tetherai.services.enrolment import web_account_for_participant

pytestmark = pytest.mark.integration

PASSWORD = "a long stateful password"
RUNS = 40
STEPS = 8
MAX_ROUNDS = 5

# Left out: ending the session under test, org admins' routes (the author is no admin: each
# call would be a 403), and the author's own keys and address (a random password would lock
# the account); the stateless test, the authorization matrix and the people tests cover them.
# Fewer dead ends leave the sequences more steps for the links.
EXCLUDED_PATHS = {
    "/api/v1/auth/logout",
    "/api/v1/admin/invitations",
    "/api/v1/admin/users",
    "/api/v1/admin/users/{user_id}/disable",
    "/api/v1/admin/users/{user_id}/enable",
    "/api/v1/admin/users/{user_id}/password-reset",
    "/api/v1/admin/webhooks",
    "/api/v1/admin/webhooks/{webhook_id}",
    "/api/v1/channel",
    "/api/v1/channel/proposals",
    "/api/v1/channel/proposals/{proposal}/approve",
    "/api/v1/channel/proposals/{proposal}/withdraw",
    "/api/v1/me/email",
    "/api/v1/me/keys",
    "/api/v1/me/keys/{cert_sha256}/revoke",
}
NARROWED = {"org": ["Org1"], "slug": ["credit-scoring"], "version": ["v1", "v2", "v9"]}


def tx_links() -> dict[str, Any]:
    return {
        "TheTx": {
            "operationId": "tx",
            "parameters": {"tx_id": "$response.body#/tx_id"},
        },
        "ItsProof": {
            "operationId": "proof",
            "parameters": {"tx_id": "$response.body#/tx_id"},
        },
    }


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the API document with links between operations, and narrowed path names."""
    doc = copy.deepcopy(document)
    for path in EXCLUDED_PATHS:
        doc["paths"].pop(path, None)
    ids = {
        ("GET", "/api/v1/ledger/txs/{tx_id}"): "tx",
        ("GET", "/api/v1/ledger/txs/{tx_id}/proof"): "proof",
        ("DELETE", "/api/v1/me/tokens/{token_id}"): "deleteToken",
        ("GET", "/api/v1/objects/{sha256}"): "download",
        ("GET", "/api/v1/ledger/blocks/{number}"): "block",
        ("POST", "/api/v1/me/notifications/{notification_id}/read"): "markRead",
    }
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            if (method.upper(), path) in ids:
                operation["operationId"] = ids[(method.upper(), path)]
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in NARROWED:
                    parameter["schema"] = {"type": "string", "enum": NARROWED[parameter["name"]]}
            ok = next((s for s in ("200", "201") if s in operation.get("responses", {})), None)
            if ok is None:
                continue
            links: dict[str, Any] = {}
            schema_ref = str(operation["responses"][ok])
            if method in ("post", "put", "patch") and "TxOutcome" in schema_ref:
                links |= tx_links()
            if (method, path) == ("post", "/api/v1/me/tokens"):
                links["DeleteIt"] = {
                    "operationId": "deleteToken",
                    "parameters": {"token_id": "$response.body#/id"},
                }
            if (method, path) == ("post", "/api/v1/objects"):
                links["DownloadIt"] = {
                    "operationId": "download",
                    "parameters": {"sha256": "$response.body#/sha256"},
                }
            if (method, path) == ("get", "/api/v1/ledger/blocks"):
                links["FirstBlock"] = {
                    "operationId": "block",
                    "parameters": {"number": "$response.body#/items/0/number"},
                }
            if (method, path) == ("get", "/api/v1/me/notifications"):
                links["ReadIt"] = {
                    "operationId": "markRead",
                    "parameters": {"notification_id": "$response.body#/items/0/id"},
                }
            if links:
                operation["responses"][ok]["links"] = links
    return doc


def sign_in_author(server: Any, http: httpx.Client, people: Cast) -> dict[str, str]:
    rt = server.state.runtime
    web_account_for_participant(
        rt.auth,
        rt.custody,
        people.net.home,
        passphrase=PASSPHRASE,
        participant_id=people["author"].id,
        role=Role.AI_ENGINEER,
        password=PASSWORD,
    )
    signed_in = http.post(
        "/api/v1/auth/login", json={"username": people["author"].id, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    cookie = "; ".join(f"{name}={value}" for name, value in signed_in.cookies.items())
    return {"Cookie": cookie, "X-CSRF-Token": signed_in.json()["csrf_token"]}


@pytest.fixture
def service_database_url(tmp_path: Path) -> str:
    """One service database is enough here (the API tests run both)."""
    return f"sqlite:///{tmp_path / 's.sqlite'}"


def test_call_sequences_keep_to_the_openapi_document(
    app: Any,  # noqa: F811 - the fixture
    anonymous: httpx.Client,  # noqa: F811
    cast: Cast,
) -> None:
    cast.new_version("v1")
    cast.new_version("v2")
    headers = sign_in_author(app, anonymous, cast)
    document = with_links(anonymous.get("/openapi.json").json())
    schema = schemathesis.openapi.from_dict(document)
    base_url = str(anonymous.base_url)
    statuses: Counter[int] = Counter()
    steps: Counter[str] = Counter()

    class Run(schema.as_state_machine()):  # type: ignore[misc]
        calls: ClassVar[int] = 0

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "headers": headers, "timeout": 30}

        def call(self, case: Any, **kwargs: Any) -> Any:
            response = case.call(**kwargs)
            statuses[response.status_code] += 1
            steps[f"{case.method} {case.path}"] += 1
            return response

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

    # As schemathesis' own runner does: the server's state moves on between scenarios, so
    # hypothesis may find a replayed prefix drawing differently (FlakyStrategyDefinition);
    # that ends a round, not the test. A failing check (or a FlakyFailure carrying one) fails it.
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        try:
            Run.run(
                settings=settings(
                    max_examples=RUNS,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except FlakyStrategyDefinition:
            continue
        break
    print(f"{rounds} rounds, {sum(statuses.values())} requests:", dict(statuses))
    print(steps.most_common(15))
    assert sum(statuses.values()) >= RUNS * 2
    # The sequences went through links: a write's tx was then read, and proved.
    assert steps["GET /api/v1/ledger/txs/{tx_id}"] + steps["GET /api/v1/ledger/txs/{tx_id}/proof"]
    assert statuses[200] + statuses[201] > 0

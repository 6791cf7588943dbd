"""Idempotency keys: a write sent twice with one key makes one tx; another body is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tests.unit.api.conftest import ADMIN_PASSWORD, FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.services.settings import Settings


def tx_count(client: httpx.Client) -> int:
    return int(client.get("/api/v1/ledger").json()["txs"])


def test_an_envelope_sent_twice_with_one_key_makes_one_tx(client: httpx.Client, cast: Cast) -> None:
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Twice"})
    before = tx_count(client)
    key = {"Idempotency-Key": "create twice-1"}
    first = client.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
    again = client.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and first.json()["tx_id"] == envelope.tx_id
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert tx_count(client) == before + 1
    # without the key the same envelope is a replay the ledger refuses
    replay = client.post("/api/v1/envelopes", json=envelope.to_json())
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "tx.replayed"


def test_the_same_key_with_another_body_is_refused(client: httpx.Client, cast: Cast) -> None:
    key = {"Idempotency-Key": "k-1"}
    one = cast.net.sign(cast["author"], "project", "create", {"name": "One"})
    other = cast.net.sign(cast["author"], "project", "create", {"name": "Other"})
    assert client.post("/api/v1/envelopes", json=one.to_json(), headers=key).status_code == 200
    before = tx_count(client)
    refused = client.post("/api/v1/envelopes", json=other.to_json(), headers=key)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "request.idempotency_conflict" and error["hint"]
    assert tx_count(client) == before
    fresh = client.post(
        "/api/v1/envelopes", json=other.to_json(), headers={"Idempotency-Key": "k-2"}
    )
    assert fresh.status_code == 200


def test_concurrent_repeats_run_once(client: httpx.Client, cast: Cast) -> None:
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Racing"})
    before = tx_count(client)
    base_url, headers = client.base_url, dict(client.headers) | {"Idempotency-Key": "race"}

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, headers=headers, timeout=PATIENCE) as http:
            return http.post("/api/v1/envelopes", json=envelope.to_json())

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["tx_id"] for r in responses} == {envelope.tx_id}
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 7
    assert tx_count(client) == before + 1


def test_a_refusal_is_remembered_too(client: httpx.Client, cast: Cast) -> None:
    envelope = cast.net.sign(
        cast["stake1"],
        "model_version",
        "create",
        {"project": cast.project, "version": "x", "code_repo": "r", "commit": "c"},
    )
    key = {"Idempotency-Key": "refused"}
    first = client.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
    before = tx_count(client)
    again = client.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
    assert first.status_code == again.status_code == 403
    assert (
        again.json() == first.json() and first.json()["error"]["code"] == "contract.not_permitted"
    )
    assert tx_count(client) == before


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_bad_keys_are_refused(client: httpx.Client, cast: Cast, key: str) -> None:
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Bad key"})
    response = client.post(
        "/api/v1/envelopes", json=envelope.to_json(), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "request.invalid"


def test_a_use_case_write_sent_twice_with_one_key_makes_one_tx(
    client: httpx.Client, browser: httpx.Client
) -> None:
    login = browser.post(
        "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"X-CSRF-Token": login.json()["csrf_token"], "Idempotency-Key": "web-1"}
    before = tx_count(client)
    first = browser.post("/api/v1/projects", json={"name": "Web once"}, headers=headers)
    again = browser.post("/api/v1/projects", json={"name": "Web once"}, headers=headers)
    assert first.status_code == again.status_code, again.text
    assert first.status_code in (201, 403)  # created, or refused (and recorded) for an admin
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert tx_count(client) == before + 1
    other = browser.post("/api/v1/projects", json={"name": "Web twice"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "request.idempotency_conflict"


def test_a_repeat_reaching_another_server_on_the_same_database_gets_the_first_answer(
    client: httpx.Client, cast: Cast, service_database_url: str
) -> None:
    """As after a restart: the keys are in the service database, not in the process."""
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Restarted"})
    key = {"Idempotency-Key": "across a restart"}
    first = client.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
    assert first.status_code == 200, first.text
    before = tx_count(client)
    settings = Settings(
        home=cast.net.home.root,
        database_url=service_database_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    with serve(create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)) as other:
        other.headers["Authorization"] = client.headers["Authorization"]
        again = other.post("/api/v1/envelopes", json=envelope.to_json(), headers=key)
        assert again.status_code == 200, again.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert tx_count(other) == before

"""Idempotency keys: a write sent twice with one key makes one tx; another body is refused."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.common.waiting import PATIENCE
from tests.unit.api.conftest import ADMIN_PASSWORD
from tetherai.api.idempotency import IdempotencyStore
from tetherai.http.errors import ApiError
from tetherai.ordering.errors import OrdererBusy


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


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_store_forgets_after_its_ttl_and_beyond_its_size() -> None:
    asyncio.run(_forgets())


async def _forgets() -> None:
    clock = Clock()
    store = IdempotencyStore(ttl_seconds=10, max_entries=2, clock=clock)
    runs: list[int] = []

    def action(n: int) -> Any:
        async def run() -> tuple[int, Any]:
            runs.append(n)
            return 200, {"n": n}

        return run

    assert await store.run("u", "a", "f", action(1)) == (200, {"n": 1}, False)
    assert await store.run("u", "a", "f", action(2)) == (200, {"n": 1}, True)
    assert await store.run("v", "a", "f", action(3)) == (200, {"n": 3}, False)  # per user
    await store.run("u", "b", "f", action(4))
    assert len(store) == 2  # ("u", "a") went first
    assert (await store.run("u", "a", "f", action(5)))[2] is False
    clock.now = 11
    assert (await store.run("u", "a", "f", action(6)))[2] is False
    assert runs == [1, 3, 4, 5, 6]
    with pytest.raises(ApiError) as refused:
        await store.run("u", "a", "g", action(7))
    assert refused.value.code == "request.idempotency_conflict" and refused.value.status == 422


def test_server_errors_are_not_remembered() -> None:
    asyncio.run(_not_remembered())


async def _not_remembered() -> None:
    store = IdempotencyStore()

    async def busy() -> tuple[int, Any]:
        raise OrdererBusy("busy")

    async def created() -> tuple[int, Any]:
        return 201, {"ok": True}

    with pytest.raises(OrdererBusy):
        await store.run("u", "k", "f", busy)
    assert len(store) == 0
    assert await store.run("u", "k", "f", created) == (201, {"ok": True}, False)

"""A request waits its turn for a worker thread once at most.

Under load every trip to the thread pool queues behind every other request, so a request that
makes two takes twice as long as the rest (the load benchmark saw pages, proofs and comments
through a browser session do so). Each trip the server makes is counted here, at AnyIO's and
asyncio's doors to their thread pools and at the admission line's (writes); reading a session from the database (when it was not
resolved a moment ago) is the one trip allowed on top, and is left out of the count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn
from tetherai.services.admission_line import AdmissionLine

_SESSION_READS = ("resolve_session",)


def _name(func: Callable[..., Any]) -> str:
    target = getattr(func, "func", func)  # Starlette passes a functools.partial
    return str(getattr(target, "__qualname__", target))


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    counted: list[str] = []
    run_sync, to_thread = anyio.to_thread.run_sync, asyncio.to_thread

    async def counted_run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        counted.append(_name(func))
        return await run_sync(func, *args, **kwargs)

    async def counted_to_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        counted.append(_name(func))
        return await to_thread(func, *args, **kwargs)

    run_in_line = AdmissionLine.run

    async def counted_run_in_line(line: AdmissionLine, func: Callable[[], Any]) -> Any:
        counted.append(_name(func))
        return await run_in_line(line, func)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted_run_sync)
    monkeypatch.setattr(asyncio, "to_thread", counted_to_thread)
    monkeypatch.setattr(AdmissionLine, "run", counted_run_in_line)
    return counted


def _counted(trips: list[str], call: Callable[[], httpx.Response]) -> list[str]:
    trips.clear()
    response = call()
    assert response.status_code in (200, 201), response.text[:300]
    return [name for name in trips if not name.endswith(_SESSION_READS)]


def test_a_page_makes_one_trip(sign_in: SignIn, trips: list[str]) -> None:
    http = sign_in("mlops")
    for path in ("/dashboard", "/ledger"):
        assert len(_counted(trips, lambda p=path: http.get(p))) == 1, path  # type: ignore[misc]


def test_a_proof_and_a_comment_through_a_session_make_one_trip_each(
    author: httpx.Client, cast: Cast, trips: list[str]
) -> None:
    cast.new_version("v1")
    url = f"/api/v1/projects/{cast.project}/versions/v1/comments"
    comment: list[httpx.Response] = []

    def post() -> httpx.Response:
        comment.append(author.post(url, json={"text": "looks fine"}))
        return comment[0]

    assert len(_counted(trips, post)) == 1
    proof = f"/api/v1/ledger/txs/{comment[0].json()['tx_id']}/proof"
    assert len(_counted(trips, lambda: author.get(proof))) == 1

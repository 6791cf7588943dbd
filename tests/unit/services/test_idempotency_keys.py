"""Idempotency keys in the service database: two server processes on one database (here two
stores with their own engines) give a repeat one answer, and run a key's request once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tetherai.api.idempotency import IdempotencyStore
from tetherai.http.errors import ApiError
from tetherai.ordering.errors import OrdererBusy
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.idempotency_keys import Claimed, SharedKeys


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite'}"
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def processes(database_url: str, clock: Clock) -> Iterator[list[SharedKeys]]:
    """Two processes' views of one database, each with its own engine."""
    engines = [make_engine(database_url) for _ in range(2)]
    migrate(engines[0])
    yield [
        SharedKeys(make_session_factory(e), ttl_seconds=100, lease_seconds=10, clock=clock)
        for e in engines
    ]
    for engine in engines:
        engine.dispose()


def answering(runs: list[int], n: int, status: int = 201) -> Any:
    async def action() -> tuple[int, Any]:
        runs.append(n)
        return status, {"n": n}

    return action


def test_a_repeat_on_another_process_gets_the_first_answer(processes: list[SharedKeys]) -> None:
    one, two = (IdempotencyStore(keys) for keys in processes)
    runs: list[int] = []

    async def scenario() -> None:
        assert await one.run("u@Org1", "k", "f", answering(runs, 1)) == (201, {"n": 1}, False)
        assert await two.run("u@Org1", "k", "f", answering(runs, 2)) == (201, {"n": 1}, True)
        # per user: another person's key of the same name is their own
        assert await two.run("v@Org1", "k", "f", answering(runs, 3)) == (201, {"n": 3}, False)
        with pytest.raises(ApiError) as refused:
            await two.run("u@Org1", "k", "other", answering(runs, 4))
        assert refused.value.code == "request.idempotency_conflict"
        assert refused.value.status == 422

    asyncio.run(scenario())
    assert runs == [1, 3]


def test_a_repeat_while_the_first_runs_elsewhere_is_told_to_retry(
    processes: list[SharedKeys],
) -> None:
    one, two = (IdempotencyStore(keys) for keys in processes)
    runs: list[int] = []

    async def scenario() -> None:
        started, release = asyncio.Event(), asyncio.Event()

        async def slow() -> tuple[int, Any]:
            started.set()
            await release.wait()
            runs.append(1)
            return 200, {"n": 1}

        first = asyncio.create_task(one.run("u", "k", "f", slow))
        await started.wait()
        with pytest.raises(ApiError) as busy:
            await two.run("u", "k", "f", answering(runs, 2))
        assert busy.value.status == 409
        assert busy.value.code == "request.idempotency_in_progress" and busy.value.hint
        with pytest.raises(ApiError) as conflict:  # another request is refused at once
            await two.run("u", "k", "g", answering(runs, 3))
        assert conflict.value.code == "request.idempotency_conflict"
        release.set()
        assert await first == (200, {"n": 1}, False)
        assert await two.run("u", "k", "f", answering(runs, 4)) == (200, {"n": 1}, True)

    asyncio.run(scenario())
    assert runs == [1]


def test_refusals_are_remembered_and_server_errors_are_not(processes: list[SharedKeys]) -> None:
    one, two = (IdempotencyStore(keys) for keys in processes)
    runs: list[int] = []

    async def busy() -> tuple[int, Any]:
        runs.append(0)
        raise OrdererBusy("busy")

    async def refused() -> tuple[int, Any]:
        runs.append(1)
        raise ApiError(403, "not yours", code="access.denied")

    async def scenario() -> None:
        with pytest.raises(OrdererBusy):
            await one.run("u", "k", "f", busy)
        assert processes[0].count() == 0  # released: a retry runs again
        with pytest.raises(ApiError):
            await two.run("u", "k", "f", refused)
        status, body, replayed = await one.run("u", "k", "f", answering(runs, 2))
        assert (status, replayed) == (403, True)
        assert body["error"]["code"] == "access.denied"

    asyncio.run(scenario())
    assert runs == [0, 1]


def test_keys_expire_and_a_claim_left_by_a_stopped_server_is_taken_over(
    processes: list[SharedKeys], clock: Clock
) -> None:
    one, two = processes
    store = IdempotencyStore(two)
    runs: list[int] = []
    left = one.claim("u", "stopped", "f")  # its server stops before answering
    assert isinstance(left, Claimed)

    async def scenario() -> None:
        with pytest.raises(ApiError) as busy:
            await store.run("u", "stopped", "f", answering(runs, 1))
        assert busy.value.status == 409
        clock.now += 11  # past the lease
        assert await store.run("u", "stopped", "f", answering(runs, 2)) == (201, {"n": 2}, False)
        one.finish("u", "stopped", left, 500, {"late": True})  # the stopped one's late answer
        assert await store.run("u", "stopped", "f", answering(runs, 9)) == (201, {"n": 2}, True)
        assert await store.run("u", "done", "f", answering(runs, 3)) == (201, {"n": 3}, False)
        clock.now += 101  # past the time to live: forgotten
        assert await store.run("u", "done", "g", answering(runs, 4)) == (201, {"n": 4}, False)

    asyncio.run(scenario())
    assert runs == [2, 3, 4]
    clock.now += 1_000
    assert one.prune() == 2
    assert one.count() == 0


def test_each_person_keeps_their_newest_answers_only(
    processes: list[SharedKeys], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tetherai.services.idempotency_keys.KEYS_PER_USER", 3)
    store = IdempotencyStore(processes[0])
    runs: list[int] = []

    async def scenario() -> None:
        for n in range(5):
            clock.now += 1
            await store.run("u", f"k{n}", "f", answering(runs, n))
        await store.run("v", "k0", "f", answering(runs, 9))  # another person's are their own
        for n in (2, 3, 4):  # the newest three are answered again
            assert (await store.run("u", f"k{n}", "f", answering(runs, -1)))[2] is True
        assert (await store.run("u", "k0", "f", answering(runs, 10)))[2] is False

    asyncio.run(scenario())
    assert runs == [0, 1, 2, 3, 4, 9, 10]

"""Awaiting an orderer's future from the event loop (``services.txs.committed``): the outcome
arrives from the orderer's thread; giving up never cancels the orderer's own future."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

import pytest

from tests.unit.services.conftest import count_wakeups
from tetherai.ledger.errors import TxRejected
from tetherai.services.txs import committed


def test_the_result_set_by_another_thread_is_awaited() -> None:
    async def main() -> int:
        future: Future[int] = Future()
        waiting = asyncio.ensure_future(committed(future))
        await asyncio.sleep(0)
        threading.Thread(target=future.set_result, args=(7,)).start()
        return await waiting

    assert asyncio.run(main()) == 7


def test_an_error_set_by_the_orderer_is_raised() -> None:
    async def main() -> None:
        future: Future[int] = Future()
        future.set_exception(TxRejected("no", code="tx.replayed"))
        await committed(future)

    with pytest.raises(TxRejected, match="no"):
        asyncio.run(main())


def test_a_cancelled_wait_leaves_the_orderers_future_alone() -> None:
    async def main() -> Future[int]:
        future: Future[int] = Future()
        waiting = asyncio.ensure_future(committed(future))
        await asyncio.sleep(0)
        waiting.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not future.cancelled()
        future.set_result(1)  # the block is durable later: resolving it raises nothing
        await asyncio.sleep(0)
        return future

    assert asyncio.run(main()).result() == 1


def test_a_future_resolved_already_is_answered_without_a_trip_through_the_loop() -> None:
    async def main() -> tuple[int, list[object]]:
        wakeups = count_wakeups(asyncio.get_running_loop())
        future: Future[int] = Future()
        future.set_result(3)  # the block was durable before the request came back to it
        return await committed(future), wakeups

    assert asyncio.run(main()) == (3, [])

"""The admission line (``services.admission_line``): work from the event loop runs in its
threads in arrival order, outcomes come back in batches, and closing it runs what is queued."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.common.waiting import PATIENCE
from tests.unit.services.conftest import count_wakeups
from tetherai.ledger.errors import TxRejected
from tetherai.ordering.errors import OrdererBusy, OrdererClosed
from tetherai.services.admission_line import BATCH, AdmissionLine

LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="en")


@pytest.fixture
def line() -> Iterator[AdmissionLine]:
    opened = AdmissionLine(threads=1)
    yield opened
    opened.close()


def squared(n: int) -> Callable[[], int]:
    return lambda: n * n


def test_results_and_errors_come_back_to_their_callers(line: AdmissionLine) -> None:
    def refuse() -> int:
        raise TxRejected("no", code="tx.replayed")

    async def main() -> tuple[list[int], BaseException | None]:
        results = await asyncio.gather(*(line.run(squared(n)) for n in range(20)))
        try:
            await line.run(refuse)
        except TxRejected as error:
            return results, error
        return results, None

    results, error = asyncio.run(main())
    assert results == [n * n for n in range(20)]
    assert isinstance(error, TxRejected) and error.code == "tx.replayed"


def test_work_runs_off_the_loop_in_arrival_order_with_the_callers_context(
    line: AdmissionLine,
) -> None:
    seen: list[tuple[int, str, bool]] = []

    async def one(n: int) -> None:
        LANGUAGE.set(f"lang-{n}")
        loop_thread = threading.get_ident()
        await line.run(
            lambda: seen.append((n, LANGUAGE.get(), threading.get_ident() == loop_thread))
        )

    async def main() -> None:
        await asyncio.gather(*(one(n) for n in range(10)))

    asyncio.run(main())
    assert seen == [(n, f"lang-{n}", False) for n in range(10)]


def test_what_queues_meanwhile_comes_back_in_one_wakeup(line: AdmissionLine) -> None:
    release = threading.Event()

    def held() -> int:
        release.wait(30)
        return -1

    async def main() -> tuple[list[int], list[object]]:
        wakeups = count_wakeups(asyncio.get_running_loop())
        first = asyncio.ensure_future(line.run(held))
        await asyncio.sleep(0)  # queued, and taken by the line's one thread, which waits
        rest = [asyncio.ensure_future(line.run(squared(n))) for n in range(10)]
        await asyncio.sleep(0)  # all ten queued behind it
        release.set()
        return [await first, *[await task for task in rest]], wakeups

    results, wakeups = asyncio.run(main())
    assert results == [-1, *(n * n for n in range(10))]
    assert len(wakeups) <= 2  # the first item's batch, then the ten together


def test_a_cancelled_wait_does_not_stop_the_work(line: AdmissionLine) -> None:
    ran = threading.Event()
    release = threading.Event()

    async def main() -> None:
        def held() -> None:
            release.wait(30)
            ran.set()

        waiting = asyncio.ensure_future(line.run(held))
        await asyncio.sleep(0)
        waiting.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        await line.run(lambda: None)  # behind it in the line: it has run by now

    asyncio.run(main())
    assert ran.is_set()


def test_closing_runs_what_is_queued_and_refuses_more() -> None:
    line = AdmissionLine(threads=2)
    release = threading.Event()
    done: list[int] = []

    async def main() -> None:
        def held(n: int) -> Callable[[], None]:
            def run() -> None:
                release.wait(30)
                done.append(n)

            return run

        tasks = [asyncio.ensure_future(line.run(held(n))) for n in range(5)]
        await asyncio.sleep(0)
        closing = threading.Thread(target=line.close)
        closing.start()
        release.set()
        closing.join(30)
        await asyncio.gather(*tasks)
        with pytest.raises(OrdererClosed):
            await line.run(lambda: None)

    asyncio.run(main())
    assert sorted(done) == list(range(5))


def test_a_full_line_refuses_more_at_once() -> None:
    line = AdmissionLine(threads=1, max_waiting=2)
    started, release = threading.Event(), threading.Event()

    def held() -> None:
        started.set()
        release.wait(PATIENCE)

    async def main() -> None:
        running = asyncio.ensure_future(line.run(held))
        for _ in range(int(PATIENCE * 100)):  # until the line's thread has taken it
            if started.is_set():
                break
            await asyncio.sleep(0.01)
        waiting = [asyncio.ensure_future(line.run(squared(n))) for n in range(2)]
        await asyncio.sleep(0)  # both queued behind it: the line is full
        with pytest.raises(OrdererBusy, match="2 writes are waiting"):
            await line.run(squared(9))
        release.set()
        assert await asyncio.gather(running, *waiting) == [None, 0, 1]
        assert await line.run(squared(3)) == 9  # room again

    asyncio.run(main())
    line.close()


def test_a_long_queue_comes_back_in_batches_not_all_at_the_end() -> None:
    line = AdmissionLine(threads=1)
    release = threading.Event()

    def held() -> int:
        release.wait(PATIENCE)
        return -1

    async def main() -> tuple[list[int], list[object]]:
        wakeups = count_wakeups(asyncio.get_running_loop())
        first = asyncio.ensure_future(line.run(held))
        await asyncio.sleep(0)
        rest = [asyncio.ensure_future(line.run(squared(n))) for n in range(2 * BATCH)]
        await asyncio.sleep(0)
        release.set()
        return [await first, *[await task for task in rest]], wakeups

    results, wakeups = asyncio.run(main())
    line.close()
    assert results == [-1, *(n * n for n in range(2 * BATCH))]
    # 1 + 2 * BATCH outcomes, no batch holding more than BATCH: three wake-ups, not one or two
    assert len(wakeups) == 3

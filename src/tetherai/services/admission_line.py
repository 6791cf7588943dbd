"""The server's writes before ordering (checks, signing, admission), run off the event loop in
arrival order, their outcomes handed back in batches.

That work is Python holding the interpreter lock (an Ed25519 check, a contract run, reads of
the state), so threads give it no parallelism, only hand-offs. ``asyncio.to_thread`` gave each
write its own trip through the default executor: a future, a wrapping future, a thread woken,
and the event loop woken through its self-pipe; under load those hand-offs cost more CPU than
the work. Here two threads take what is queued (up to 64 writes at a time), run it in order,
and wake each waiting loop once per batch. Two, not one: while a check waits on the service database (a query to
PostgreSQL gives the lock up), the other thread goes on. (Alternating servers under 50 writing
clients showed no difference in CPU per write between one thread and two.)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from tetherai.ordering.errors import OrdererBusy, OrdererClosed

__all__ = ["AdmissionLine"]

T = TypeVar("T")
MAX_WAITING = 10_000
"""Writes that may wait for the line at once (~1.5 s of work): more are refused at once with
503 and Retry-After rather than queued without bound."""
BATCH = 64
"""Writes a thread takes at once: each batch's outcomes go back in one wake-up, and the first
of a batch waits for at most 63 others (~10 ms) before its answer leaves."""
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]
_Item = tuple[
    asyncio.AbstractEventLoop, contextvars.Context, Callable[[], Any], "asyncio.Future[Any]"
]


class AdmissionLine:
    """Threads (two by default) that run work queued from event loops, each taking the oldest
    first (see the module)."""

    def __init__(self, threads: int = 2, *, max_waiting: int = MAX_WAITING) -> None:
        self._max_waiting = max_waiting
        self._queue: deque[_Item] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"tether-admission-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in one of the line's threads, in this task's context variables; its
        result or its exception here. A cancelled wait does not stop ``work``.

        Raises:
            OrdererClosed: the line is closed (the server is stopping).
            OrdererBusy: ``max_waiting`` writes are waiting already (503, retry later).
        """
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = loop.create_future()
        with self._ready:
            if self._closed:
                raise OrdererClosed("the server is stopping; it takes no more writes")
            if len(self._queue) >= self._max_waiting:
                raise OrdererBusy(f"{len(self._queue)} writes are waiting to be checked")
            self._queue.append((loop, contextvars.copy_context(), work, outcome))
            self._ready.notify()
        return await outcome

    def close(self) -> None:
        """Run what is queued, then stop the threads; later :meth:`run` calls raise."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()

    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return  # closed, and nothing left to run
                queue = self._queue
                batch = [queue.popleft() for _ in range(min(len(queue), BATCH))]
                if queue:
                    self._ready.notify()  # the rest is the other thread's
            done: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
            for loop, context, work, outcome in batch:
                try:
                    done.setdefault(loop, []).append((outcome, context.run(work), None))
                except BaseException as error:  # handed to the waiter, as to_thread does
                    done.setdefault(loop, []).append((outcome, None, error))
            for loop, outcomes in done.items():
                with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                    loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[_Outcome]) -> None:
    for outcome, result, error in outcomes:
        if outcome.done():  # the waiter gave up (its request was cancelled)
            continue
        if error is not None:
            outcome.set_exception(error)
        else:
            outcome.set_result(result)

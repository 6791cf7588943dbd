"""Keep the projections current while the server runs: catch up after every new block.

The follower polls the ledger's height (an integer in memory) every ``interval`` and catches
up when it grew, so many blocks share one catch-up. A page write that must show what it wrote
on the next page asks :meth:`ProjectionFollower.reached`: that wakes the follower at once and
waits — in the event loop, holding no thread — until the projections include the block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from tetherai.services.projections import Projector

__all__ = ["ProjectionFollower"]

log = logging.getLogger(__name__)


class ProjectionFollower:
    """A thread that applies new blocks to the projections soon after they are committed.

    ``height`` tells the ledger's current height; the follower polls it (cheap: an integer in
    memory) and catches up when it grew. A failure is logged and retried at the next poll;
    the tables can always be rebuilt from the ledger.
    """

    def __init__(
        self, projector: Projector, height: Callable[[], int], *, interval: float = 0.2
    ) -> None:
        self._projector = projector
        self._height = height
        self._interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._seen = -1
        self._lock = threading.Lock()
        self._projected = 0
        """Every block below this number is in the projections."""
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._thread = threading.Thread(target=self._run, name="tether-projections", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    async def reached(self, height: int, *, timeout: float = 3.0) -> bool:
        """Wait (bounded) until every block below ``height`` is projected; False if it did
        not get there in time. Holds no thread: the follower resolves a future in this loop."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (height, loop, waiter)
        with self._lock:
            if self._projected >= height:
                return True
            self._waiters.append(entry)
        self._wake.set()  # catch up now rather than at the next poll
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    def _advance(self, height: int) -> None:
        with self._lock:
            self._projected = max(self._projected, height)
            ready = [w for w in self._waiters if w[0] <= self._projected]
        for _, loop, waiter in ready:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, waiter)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reading the height: a wake-up after this is kept
            height = self._height()
            if height != self._seen:
                try:
                    self._projector.catch_up()
                    self._seen = height
                    self._advance(height)
                except Exception:  # a TetherError or a bug: logged, retried, never a silent stop
                    log.exception("could not bring the projections up to block %s", height - 1)
            self._wake.wait(self._interval)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

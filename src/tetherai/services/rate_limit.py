"""Sign-in attempts per client address.

The account lockout (services/auth) stops guessing one person's password; this stops one
address from trying many usernames. A sliding window in memory: per process, which is what a
single server needs; behind a proxy, uvicorn's ``--proxy-headers`` makes the client address the
real one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from tetherai.errors import RateLimited

__all__ = ["SlidingWindow", "TooManyAttempts"]


class TooManyAttempts(RateLimited):
    """Too many sign-in attempts from one address within the window (HTTP 429)."""

    code = "auth.rate_limited"


class SlidingWindow:
    def __init__(
        self, limit: int, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._seconds = seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one attempt by ``key``.

        Raises:
            TooManyAttempts: when ``key`` made ``limit`` attempts within the window already.
        """
        now = self._clock()
        with self._lock:
            if len(self._events) > 10_000:
                self._forget_idle(now)
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self._seconds:
                events.popleft()
            if len(events) >= self._limit:
                wait = max(1, round(events[0] + self._seconds - now))
                raise TooManyAttempts(
                    f"too many sign-in attempts from your address: try again in {wait} s",
                    hint="wait a moment; the limit protects every account on this server",
                    details={"retry_after_seconds": wait, "limit": self._limit},
                )
            events.append(now)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, e in self._events.items() if not e or e[-1] <= now - self._seconds]:
            del self._events[key]

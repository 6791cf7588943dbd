"""Wait for an event, not for a guessed time.

Tests never assert how long something took (that is a benchmark's job): they poll for the
condition they need and fail only when it has not come after a long safety limit, long enough
that a busy 2-core machine running the whole suite never reaches it when nothing is wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# The safety limit: a stuck test fails after this, a slow machine never does.
PATIENCE = 120.0


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = PATIENCE,
    interval: float = 0.05,
    message: str | Callable[[], str] = "the condition never became true",
) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    Raises:
        AssertionError: still falsy after ``timeout`` seconds; carries ``message`` (called
            then, when it is a function, so it can show the last state seen).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)

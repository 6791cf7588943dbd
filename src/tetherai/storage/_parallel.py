"""A thread pool map for hashing and transfers (DESIGN.md §6): heaviest items first."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def default_workers() -> int:
    """Threads to hash with: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run_parallel(
    function: Callable[[_Item], _Result],
    items: Sequence[_Item],
    weights: Sequence[int],
    workers: int | None,
) -> list[_Result]:
    """``[function(item) for item in items]`` on a thread pool, in input order.

    The heaviest items start first, so that the threads finish together (longest processing
    time first). The first error in input order is raised once pending work is cancelled.
    """
    count = workers or default_workers()
    if count <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    order = sorted(range(len(items)), key=lambda index: -weights[index])
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="tether-storage") as pool:
        futures = {index: pool.submit(function, items[index]) for index in order}
        try:
            return [futures[index].result() for index in range(len(items))]
        except BaseException:
            for future in futures.values():
                future.cancel()
            raise

"""Which state keys the recent commits of a store wrote, by the store version each made.

A cache of answers derived from the world state (``services.query_memo``) keeps each answer
with the store version it was computed at and the keys it read; asking which keys changed
since that version tells it, without reading any of them again, whether the answer still
holds. Only the most recent commits are kept: an answer older than that is checked the slow
way (against the stored text of what it read).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

__all__ = ["ChangeLog"]

KEPT = 4096
"""Commits whose written keys are kept."""


class ChangeLog:
    """The keys each recent commit wrote, by the store version after it (thread-safe)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._entries: deque[tuple[int, frozenset[str]]] = deque(maxlen=kept)
        self._lock = threading.Lock()
        self.latest = 0
        """The version of the last commit recorded. It moves once that commit is durable
        and readable, so whatever is read after looking at it is at least that recent."""

    def add(self, version: int, keys: Iterable[str]) -> None:
        """Record that the commit which made ``version`` wrote ``keys``: once it is readable,
        and before the store's version says ``version``."""
        with self._lock:
            self._entries.append((version, frozenset(keys)))
            self.latest = version

    def since(self, version: int, now: int) -> frozenset[str] | None:
        """The keys written by the commits after ``version`` up to ``now``; ``None`` when
        some of those commits are no longer kept (the caller must check another way)."""
        if version == now:
            return frozenset()
        with self._lock:
            entries = list(self._entries)
        if not entries or entries[0][0] > version + 1:
            return None
        keys: set[str] = set()
        for made, written in reversed(entries):
            if made <= version:
                break
            if made <= now:
                keys |= written
        return frozenset(keys)

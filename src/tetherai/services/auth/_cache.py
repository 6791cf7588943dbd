"""A few seconds' memory of resolved credentials, so a read request does not query the
database to learn who is calling.

Correctness first: an entry lives at most ``ttl`` (``Settings.auth_cache_seconds``), never past
the credential's own expiry or its next last-seen touch, and the whole cache is dropped whenever
this process commits a write to the people tables (a revocation, a disabled user, a new role take
effect at once). A write made by another process (a second worker, ``tether`` on the same
database) takes effect within ``ttl``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    fresh_until: datetime


class CredentialCache(Generic[T]):
    def __init__(self, ttl: timedelta, *, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, _Entry[T]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> T | None:
        entry = self._entries.get(key)
        if entry is None or not now < entry.fresh_until:
            return None
        return entry.value

    def put(self, key: str, value: T, now: datetime, *, until: datetime) -> None:
        """Remember ``value`` until ``until`` or ``now + ttl``, whichever is sooner."""
        if self._ttl <= timedelta(0):
            return
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # rare (many distinct live tokens): start over
            self._entries[key] = _Entry(value, min(until, now + self._ttl))

    def clear(self) -> None:
        with self._lock:
            self._entries = {}

"""World state (DESIGN.md §3): key → JSON value, with each key's full history in the store.

:class:`MemoryState` is a world state held in memory (tests, small replays); the verifier reads
the store's verified history instead (:mod:`tetherai.ledger.verified_state`). :class:`BlockState`
is the overlay a block executes against, so its writes reach the store only once the whole
block has run.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from tetherai.crypto.jcs import JSONValue

__all__ = ["BlockState", "CachedReads", "MemoryState", "StateReader", "bounded"]


class StateReader(Protocol):
    """Read access to world state. Values are JSON; a missing key reads as ``None``."""

    def get(self, key: str) -> JSONValue | None: ...

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        """Every (key, value) whose key starts with ``prefix``, in key order; with ``after``,
        only the keys that sort after it, and with ``limit``, at most that many (a page of a
        long list reads only that page)."""
        ...

    def keys(self, prefix: str) -> Iterator[str]:
        """The keys :meth:`scan` gives for ``prefix``, without reading their values: for a
        caller that asks which records exist, not what they hold (decoding is most of a
        scan's cost)."""
        ...


def bounded(
    rows: Iterable[tuple[str, JSONValue]], after: str, limit: int | None
) -> Iterator[tuple[str, JSONValue]]:
    """The rows of a full prefix scan (in key order) that :meth:`StateReader.scan` gives for
    ``after`` and ``limit``: for readers that have no cheaper way to skip."""
    if limit is not None and limit <= 0:
        return
    count = 0
    for key, value in rows:
        if key <= after:
            continue
        yield key, value
        count += 1
        if count == limit:
            return


class MemoryState:
    """An in-memory world state with ordered prefix scans.

    Keys are sorted only when a scan needs them (once per batch of writes), so applying
    writes costs a dict update per key, not an insertion into a sorted list.
    """

    def __init__(self) -> None:
        self._values: dict[str, JSONValue] = {}
        self._keys: list[str] = []
        self._sorted = True

    def get(self, key: str) -> JSONValue | None:
        return self._values.get(key)

    def _ordered(self) -> list[str]:
        if not self._sorted:
            self._keys = sorted(self._values)
            self._sorted = True
        return self._keys

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        keys = self._ordered()
        start = max(bisect.bisect_left(keys, prefix), bisect.bisect_right(keys, after))
        end = len(keys) if limit is None else start + max(limit, 0)
        for key in keys[start:end]:
            if not key.startswith(prefix):
                break
            yield key, self._values[key]

    def keys(self, prefix: str) -> Iterator[str]:
        keys = self._ordered()
        for index in range(bisect.bisect_left(keys, prefix), len(keys)):  # no copy of the tail
            if not keys[index].startswith(prefix):
                break
            yield keys[index]

    def apply(self, writes: Mapping[str, JSONValue | None]) -> None:
        for key, value in writes.items():
            if value is None:
                if self._values.pop(key, None) is not None:
                    self._sorted = False
            else:
                if key not in self._values:
                    self._sorted = False
                self._values[key] = value

    def items(self) -> Iterator[tuple[str, JSONValue]]:
        """All entries in key order."""
        for key in self._ordered():
            yield key, self._values[key]

    def __len__(self) -> int:
        return len(self._values)


class BlockState:
    """Reads through to ``base`` after this block's own earlier writes."""

    def __init__(self, base: StateReader) -> None:
        self._base = base
        self.writes: dict[str, JSONValue | None] = {}

    def get(self, key: str) -> JSONValue | None:
        if key in self.writes:
            return self.writes[key]
        return self._base.get(key)

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        own = {k: v for k, v in self.writes.items() if k.startswith(prefix) and k > after}
        if not own:
            yield from self._base.scan(prefix, after=after, limit=limit)
            return
        merged: dict[str, JSONValue | None] = dict(self._base.scan(prefix, after=after))
        merged.update(own)
        rows = ((key, merged[key]) for key in sorted(merged))
        yield from bounded(((k, v) for k, v in rows if v is not None), after, limit)

    def keys(self, prefix: str) -> Iterator[str]:
        own = {k: v for k, v in self.writes.items() if k.startswith(prefix)}
        if not own:
            yield from self._base.keys(prefix)
            return
        found = set(self._base.keys(prefix))
        found.update(key for key, value in own.items() if value is not None)
        found.difference_update(key for key, value in own.items() if value is None)
        yield from sorted(found)

    def apply(self, writes: Mapping[str, JSONValue | None]) -> None:
        self.writes.update(writes)


class CachedReads:
    """A read-only view of ``base`` that decodes each key once: for code that never changes
    what it reads (the channel rules, which read the same few membership records for every
    tx). :meth:`forget` drops keys that were written since; scans are not cached."""

    def __init__(self, base: StateReader) -> None:
        self._base = base
        self._values: dict[str, JSONValue | None] = {}

    def get(self, key: str) -> JSONValue | None:
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = self._base.get(key)
            return value

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        return self._base.scan(prefix, after=after, limit=limit)

    def keys(self, prefix: str) -> Iterator[str]:
        return self._base.keys(prefix)

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._values.pop(key, None)

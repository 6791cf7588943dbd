"""Is a tx already on the ledger? Answered in memory for almost every tx (DESIGN.md §3).

A replayed envelope must be refused (``tx.replayed``), so admission and execution ask for
every tx whether its id is on the ledger; a database query per tx was the largest single cost
of admission. :class:`SeenTxIds` keeps every id in a Bloom filter: its "no" is certain, and
only a "maybe" (under 1 in 100 new txs, and every real replay) is checked in the store, so
the answer is exactly the store's. The ids are SHA-256 digests, so the filter's bit positions
are slices of the id itself; no hashing is needed. Memory: 1.75 bytes per tx (18 MB for ten
million), in filters that grow fourfold as the ledger grows, so none is ever rebuilt.

:class:`StateKeys` is the same filter over state keys (by their SHA-256): a certain "never
written" answers a read of a key no tx wrote — every new record's existence check — without
a query.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from hashlib import sha256

__all__ = ["SeenTxIds", "StateKeys"]

_BITS_PER_ID = 14  # with 8 probes: about 0.2 % false "maybe" per full filter
_PROBES = 8  # each takes 8 of the id's 64 hex digits
_FIRST_CAPACITY = 1 << 16
_GROWTH = 4  # each new filter holds 4 times the last: 5 filters for ten million ids
_WORDS = struct.Struct(f">{_PROBES}I")


def _words(tx_id: str) -> tuple[int, ...]:
    """The id's 64 hex digits as 8 numbers of 32 bits: one probe each, read once per id and
    shared by every filter (each takes them modulo its own size)."""
    return _WORDS.unpack(bytes.fromhex(tx_id))


def _key_words(key: str) -> tuple[int, ...]:
    """The probes of a state key: its SHA-256 digest read as by :func:`_words` (no hex)."""
    # surrogatepass: a contract may read any str, even one no write could hold.
    return _WORDS.unpack(sha256(key.encode("utf-8", "surrogatepass")).digest())


class _Filter:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.count = 0
        self._bits = bytearray(capacity * _BITS_PER_ID // 8)
        self._size = len(self._bits) * 8

    def add(self, words: tuple[int, ...]) -> None:
        bits, size = self._bits, self._size
        for word in words:
            position = word % size
            bits[position >> 3] |= 1 << (position & 7)
        self.count += 1

    def maybe(self, words: tuple[int, ...]) -> bool:
        bits, size = self._bits, self._size
        for word in words:
            position = word % size
            if not bits[position >> 3] & (1 << (position & 7)):
                return False
        return True


class SeenTxIds:
    """Every tx id added so far, as Bloom filters; ids are lowercase hex SHA-256 digests."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._filters = [_Filter(_FIRST_CAPACITY)]
        self.add_all(ids)

    def add_all(self, ids: Iterable[str]) -> None:
        self._add_words(map(_words, ids))

    def maybe(self, tx_id: str) -> bool:
        """False: the id was never added. True: it may have been (ask the store)."""
        return self._maybe_words(_words(tx_id))

    def _add_words(self, probes: Iterable[tuple[int, ...]]) -> None:
        current = self._filters[-1]
        for words in probes:
            if current.count >= current.capacity:
                current = _Filter(current.capacity * _GROWTH)
                self._filters.append(current)
            current.add(words)

    def _maybe_words(self, words: tuple[int, ...]) -> bool:
        for bloom in self._filters:  # noqa: SIM110 - any() over a generator costs more, per read
            if bloom.maybe(words):
                return True
        return False

    def __len__(self) -> int:
        return sum(f.count for f in self._filters)


class StateKeys:
    """Every state key added so far (a Bloom filter of their digests): ``maybe`` is False only
    for a key never added. Thread-safe for one writer adding beside any number of readers."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._seen = SeenTxIds()
        self.add_all(keys)

    def add_all(self, keys: Iterable[str]) -> None:
        self._seen._add_words(map(_key_words, keys))

    def maybe(self, key: str) -> bool:
        """False: the key was never added. True: it may have been (ask the store)."""
        return self._seen._maybe_words(_key_words(key))

    def __len__(self) -> int:
        return len(self._seen)

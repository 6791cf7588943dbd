"""The verifier's world state, read from the part of the store it has already verified.

Replaying a ledger needs the state each block ran against. Keeping a copy in memory made the
verifier's memory grow with the ledger (about 1 KB per tx). It does not need one: the
verifier compares every block's history rows with the writes its replay made *before* it
moves on, so the store's history below the next block's first tx is exactly the replay's own
writes. :class:`VerifiedHistory` reads a key's value there (the last write before that
position), through a bounded cache of decoded values that each block's writes keep current,
and a Bloom filter of the keys written so far, whose certain "never written" spares the query
for a key a tx reads before anyone wrote it (every new record's existence check). Memory stays
flat however long the ledger (the filter holds under 2 bytes per key); the state comparison at
the end streams both tables in key order (:func:`compare_state`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping

from tetherai.crypto.jcs import JSONValue, loads_stored
from tetherai.ledger.replays import StateKeys
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.state import bounded

__all__ = ["VerifiedHistory", "compare_state"]

CACHE_ENTRIES = 10_000
"""Decoded values kept: the rules' few membership records stay, most other keys are read once."""


class VerifiedHistory:
    """World state as of the verified prefix of ``store``'s history (a ``StateReader``).

    :meth:`advance` moves the prefix past a block whose history rows were compared with the
    replay, with the block's writes (so cached keys stay current without a read).
    """

    def __init__(self, store: SqliteLedgerStore, *, verified_below: int = 0) -> None:
        self._store = store
        self._below = verified_below
        self._cache: OrderedDict[str, JSONValue | None] = OrderedDict()
        # Keys written below the verified position, when this replay saw every one of them
        # written (from block 0); resuming after a checkpoint always asks the store.
        self._written: StateKeys | None = StateKeys() if verified_below == 0 else None

    @property
    def verified_below(self) -> int:
        """Log position (seq) of the first tx whose writes are not part of this state."""
        return self._below

    def get(self, key: str) -> JSONValue | None:
        cache = self._cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        written = self._written
        if written is not None and not written.maybe(key):
            # Never written: the filter answers again next time, so the cache is left to the
            # keys that cost a query.
            return None
        text = self._store.value_before(key, self._below)
        value = None if text is None else loads_stored(text)
        self._remember(key, value)
        return value

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        # Replayed contracts scan whole prefixes; a bounded scan skips in memory.
        rows = self._store.values_before(prefix, self._below)
        yield from bounded(((key, loads_stored(text)) for key, text in rows), after, limit)

    def keys(self, prefix: str) -> Iterator[str]:
        for key, _ in self._store.values_before(prefix, self._below):
            yield key

    def advance(self, below: int, writes: Mapping[str, JSONValue | None]) -> None:
        """The history below ``below`` is verified now; ``writes`` are the last block's."""
        self._below = below
        for key, value in writes.items():
            self._remember(key, value)
        if self._written is not None:
            self._written.add_all(writes)

    def _remember(self, key: str, value: JSONValue | None) -> None:
        cache = self._cache
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > CACHE_ENTRIES:
            cache.popitem(last=False)


Mismatch = Callable[[str, str | None, str | None, int | None], Exception]


def compare_state(
    store: SqliteLedgerStore,
    *,
    same_text: Callable[[str, str], bool],
    mismatch: Mismatch,
) -> None:
    """Compare the state table with the last verified write of every key, in key order.

    ``mismatch(key, expected_text, found_text, last_seq)`` builds the error raised for the
    first difference: a key whose value or last-write position differs, a key no tx left
    (``expected_text`` is ``None``), or a key missing from the state (``found_text`` is
    ``None``). ``same_text`` tells two value texts apart (a format-1 store may hold an older
    spelling of the same value).
    """
    state = store.state_rows()
    row = next(state, None)
    for key, seq, text in store.last_writes():
        if row is not None and row[0] < key:  # a key no tx wrote
            raise mismatch(row[0], None, row[1], None)
        if text is None:  # deleted: the state must not hold it
            if row is not None and row[0] == key:
                raise mismatch(key, None, row[1], seq)
            continue
        if row is None or row[0] != key:
            raise mismatch(key, text, None, seq)
        if row[2] != seq or (row[1] != text and not same_text(text, row[1])):
            raise mismatch(key, text, row[1], seq)
        row = next(state, None)
    if row is not None:
        raise mismatch(row[0], None, row[1], None)

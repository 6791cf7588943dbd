"""Answers of read-only contract queries, remembered by exactly what they read.

A query such as ``workflow.actions`` is a function of the world state it reads (and nothing
else: not the clock, not the block height). So its answer may be kept with the text of every
key it read and of every prefix it scanned, and given again while all of those still read the
same: checking that costs one text comparison per key, not the query. The dashboard asks it of
up to 200 versions on every view, and between two views few of them change.

Checks and fresh answers read through one :class:`StateView` per request, which fetches each
key's text once and decodes it once for all the queries of that request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tetherai.crypto.jcs import JSONValue, canonicalize, loads_stored
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore

__all__ = ["StateView", "remembered_query"]

_KEPT = 20_000


class StateView:
    """One request's reads of a ledger's state: each key's text fetched and decoded once.
    The decoded values are shared by the queries of the request, which only judge them."""

    def __init__(self, store: SqliteLedgerStore) -> None:
        self.store = store
        self._texts: dict[str, str | None] = {}
        self._values: dict[str, JSONValue | None] = {}
        self._scans: dict[str, list[tuple[str, str]]] = {}

    def text(self, key: str) -> str | None:
        if key not in self._texts:
            self._texts[key] = self.store.text(key)
        return self._texts[key]

    def value(self, key: str) -> JSONValue | None:
        if key not in self._values:
            text = self.text(key)
            self._values[key] = None if text is None else loads_stored(text)
        return self._values[key]

    def scan_texts(self, prefix: str) -> list[tuple[str, str]]:
        if prefix not in self._scans:
            self._scans[prefix] = self.store.scan_texts(prefix)
        return self._scans[prefix]


class _Recording:
    """A state reader over a view that notes the text of everything read through it."""

    def __init__(self, view: StateView) -> None:
        self._view = view
        self.keys: dict[str, str | None] = {}
        self.prefixes: dict[str, list[tuple[str, str]]] = {}

    def get(self, key: str) -> JSONValue | None:
        self.keys[key] = self._view.text(key)
        return self._view.value(key)

    def scan(self, prefix: str) -> Iterator[tuple[str, JSONValue]]:
        rows = self.prefixes[prefix] = self._view.scan_texts(prefix)
        for key, text in rows:
            yield key, loads_stored(text)


@dataclass(frozen=True, slots=True)
class _Answer:
    keys: Mapping[str, str | None]
    prefixes: Mapping[str, list[tuple[str, str]]]
    result: JSONValue

    def holds(self, view: StateView) -> bool:
        """Whether everything the answer was computed from still reads the same."""
        return all(view.text(key) == text for key, text in self.keys.items()) and all(
            view.scan_texts(prefix) == rows for prefix, rows in self.prefixes.items()
        )


_ANSWERS: dict[tuple[str, str, str, bytes], _Answer] = {}
_LOCK = threading.Lock()


def remembered_query(
    peer: Peer, view: StateView, contract: str, fn: str, args: Mapping[str, JSONValue]
) -> JSONValue:
    """``peer.query(contract, fn, args)`` against ``view``'s ledger, given from memory while
    everything it read is unchanged. Only for queries that read nothing but the state; the
    answer is shared, so callers must not change it. A query that raises is not remembered.

    Raises:
        TxInvalid, ContractError: as :meth:`Peer.query`.
    """
    slot = (view.store.path, contract, fn, canonicalize(dict(args)))
    found = _ANSWERS.get(slot)
    if found is not None and found.holds(view):
        return found.result
    recording = _Recording(view)
    result = peer.query(contract, fn, args, state=recording)
    with _LOCK:
        if len(_ANSWERS) >= _KEPT:
            _ANSWERS.clear()
        _ANSWERS[slot] = _Answer(recording.keys, recording.prefixes, result)
    return result

"""Answers of read-only contract queries, remembered by exactly what they read.

A query such as ``workflow.actions`` is a function of the world state it reads (and nothing
else: not the clock, not the block height). So its answer may be kept with every key it read
and every prefix it scanned, and given again while none of those changed. The dashboard asks
it of up to 200 versions on every view, and between two views few of them change.

Whether one changed is told by the store's log of the keys each recent commit wrote
(``ledger.changes``): an answer is kept with the store version it is known to hold at, and
holds at a later version if no commit in between wrote a key it read or a key under a prefix it
scanned. That costs a set intersection per answer, reading nothing. An answer older than the
log is checked against the stored text of what it read (one text comparison per key).

Checks and fresh answers read through one :class:`StateView` per request, which fetches each
key's text once and decodes it once for all the queries of that request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from tetherai.crypto.jcs import JSONValue, canonicalize, loads_stored
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore

__all__ = ["StateView", "remembered_query", "remembered_reading"]

_T = TypeVar("_T")

_KEPT = 20_000

_Scan = tuple[str, str, int | None]
"""A scan as :meth:`StateReader.scan` takes it: prefix, ``after`` and ``limit``."""


class StateView:
    """One request's reads of a ledger's state: each key's text fetched and decoded once.
    The decoded values are shared by the queries of the request, which only judge them."""

    def __init__(self, store: SqliteLedgerStore) -> None:
        self.store = store
        # Looked at before anything is read: what the view reads is at least this recent.
        self.version = store.changes.latest
        self._changes: dict[int, _Changes | None] = {}
        self._texts: dict[str, str | None] = {}
        self._values: dict[str, JSONValue | None] = {}
        self._scans: dict[_Scan, list[tuple[str, str]]] = {}

    def text(self, key: str) -> str | None:
        if key not in self._texts:
            self._texts[key] = self.store.text(key)
        return self._texts[key]

    def value(self, key: str) -> JSONValue | None:
        if key not in self._values:
            text = self.text(key)
            self._values[key] = None if text is None else loads_stored(text)
        return self._values[key]

    def changes_since(self, version: int) -> _Changes | None:
        """What the commits after ``version`` up to this view's wrote (``None``: not known)."""
        if version not in self._changes:
            keys = self.store.changes.since(version, self.version)
            self._changes[version] = None if keys is None else _Changes(keys)
        return self._changes[version]

    def scan_texts(self, scan: _Scan) -> list[tuple[str, str]]:
        if scan not in self._scans:
            prefix, after, limit = scan
            self._scans[scan] = self.store.scan_texts(prefix, after=after, limit=limit)
        return self._scans[scan]


class _Recording:
    """A state reader over a view that notes the text of everything read through it."""

    def __init__(self, view: StateView) -> None:
        self._view = view
        self.texts: dict[str, str | None] = {}
        self.prefixes: dict[_Scan, list[tuple[str, str]]] = {}

    def get(self, key: str) -> JSONValue | None:
        self.texts[key] = self._view.text(key)
        return self._view.value(key)

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        scan = (prefix, after, limit)
        rows = self.prefixes[scan] = self._view.scan_texts(scan)
        for key, text in rows:
            yield key, loads_stored(text)

    def keys(self, prefix: str) -> Iterator[str]:
        # Noted as the whole scan: the answer is checked again when anything under it changes.
        scan = (prefix, "", None)
        rows = self.prefixes[scan] = self._view.scan_texts(scan)
        for key, _ in rows:
            yield key


class _Changes:
    """The keys some commits wrote, and every ``…/`` prefix of them (what a scan of that
    prefix would have seen change)."""

    def __init__(self, keys: frozenset[str]) -> None:
        self.keys = keys
        self.folders = {key[: end + 1] for key in keys for end in _slashes(key)}

    def seen_by(self, scan: _Scan, rows: list[tuple[str, str]]) -> bool:
        """Whether a scan that read ``rows`` could read something else now: a key under its
        prefix, after its ``after``, and (when its ``limit`` cut it) not after its last row."""
        prefix, after, limit = scan
        if prefix.endswith("/") and prefix not in self.folders:
            return False
        last = rows[-1][0] if rows and limit is not None and len(rows) >= limit else None
        return any(
            key.startswith(prefix) and key > after and (last is None or key <= last)
            for key in self.keys
        )


def _slashes(key: str) -> Iterator[int]:
    end = key.find("/")
    while end >= 0:
        yield end
        end = key.find("/", end + 1)


@dataclass(slots=True)
class _Answer:
    keys: Mapping[str, str | None]
    prefixes: Mapping[_Scan, list[tuple[str, str]]]
    result: JSONValue
    version: int
    """A store version at which the answer is known to hold. Moved forward when checked
    again (two threads may race to set it: either value is one at which it held)."""
    readings: dict[Callable[[JSONValue], object], object] = field(default_factory=dict)
    """What callers made of ``result`` (:func:`remembered_reading`), kept as long as it."""

    def holds(self, view: StateView) -> bool:
        """Whether everything the answer was computed from still reads the same."""
        if self.version == view.version:
            return True
        changed = view.changes_since(self.version)
        if changed is not None:
            return self.keys.keys().isdisjoint(changed.keys) and not any(
                changed.seen_by(scan, rows) for scan, rows in self.prefixes.items()
            )
        return all(view.text(key) == text for key, text in self.keys.items()) and all(
            view.scan_texts(scan) == rows for scan, rows in self.prefixes.items()
        )


_ANSWERS: dict[tuple[str, str, str, object], _Answer] = {}
_LOCK = threading.Lock()


def _arguments(args: Mapping[str, JSONValue]) -> object:
    """The arguments as a dict key: their names and texts when all are texts (the usual case,
    cheap), else their canonical JSON (which tells ``1`` from ``true`` and ``1.0``)."""
    items = tuple(sorted(args.items()))
    for _, value in items:
        if type(value) is not str:
            return canonicalize(dict(args))
    return items


def remembered_query(
    peer: Peer, view: StateView, contract: str, fn: str, args: Mapping[str, JSONValue]
) -> JSONValue:
    """``peer.query(contract, fn, args)`` against ``view``'s ledger, given from memory while
    everything it read is unchanged. Only for queries that read nothing but the state; the
    answer is shared, so callers must not change it. A query that raises is not remembered.

    Raises:
        TxInvalid, ContractError: as :meth:`Peer.query`.
    """
    return _answer(peer, view, contract, fn, args).result


def remembered_reading(
    peer: Peer,
    view: StateView,
    contract: str,
    fn: str,
    args: Mapping[str, JSONValue],
    read: Callable[[JSONValue], _T],
) -> _T:
    """``read(answer)`` of :func:`remembered_query`'s answer, itself remembered with the
    answer: ``read`` (a function of the answer alone, the same object at every call) runs
    again only when the answer is asked afresh. For a page that asks the same query of
    hundreds of rows and keeps a little of each answer.

    Raises:
        TxInvalid, ContractError: as :meth:`Peer.query`.
    """
    answer = _answer(peer, view, contract, fn, args)
    try:
        return cast(_T, answer.readings[read])
    except KeyError:
        made = answer.readings[read] = read(answer.result)  # two threads: the same value
        return made


def _answer(
    peer: Peer, view: StateView, contract: str, fn: str, args: Mapping[str, JSONValue]
) -> _Answer:
    slot = (view.store.path, contract, fn, _arguments(args))
    found = _ANSWERS.get(slot)
    if found is not None and found.holds(view):
        found.version = view.version  # known to hold up to this view's version now
        return found
    recording = _Recording(view)
    result = peer.query(contract, fn, args, state=recording)
    answer = _Answer(recording.texts, recording.prefixes, result, view.version)
    with _LOCK:
        if len(_ANSWERS) >= _KEPT:
            _ANSWERS.clear()
        _ANSWERS[slot] = answer
    return answer

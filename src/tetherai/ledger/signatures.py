"""Checking envelope signatures on every core.

Signature checks are the most expensive step of executing a block, so a block's checks are
started on a pool before the block runs in order, and collected as execution reaches each tx.
A peer uses threads: an Ed25519 check keeps the GIL (``tetherai.crypto._ed25519`` says why), so
they take turns with execution rather than run beside it, but start checking a block's txs
before execution reaches them. The verifier replaying a large ledger uses a process pool, which
does run beside its busy main thread (its workers import only the checking code:
``tetherai.crypto.verify_workers``). What admission already checked in this same process (the
solo orderer's pre-check) is remembered and not checked twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from tetherai.crypto.errors import SignatureError
from tetherai.crypto.signature import PublicKey, verify
from tetherai.crypto.verify_workers import VerifyWorkers, worker_key
from tetherai.ledger.transaction import Envelope

__all__ = ["PendingChecks", "SignatureChecker"]

KeyLookup = Callable[[str], PublicKey | None]
_CHUNK = 128


def _valid(public_key: PublicKey, sig: bytes, data: bytes) -> bool:
    try:
        verify(public_key, sig, data)
    except SignatureError:
        return False
    return True


def _check_chunk(items: Sequence[tuple[PublicKey, bytes, bytes]]) -> list[bool]:
    return [_valid(key, sig, data) for key, sig, data in items]


class PendingChecks:
    """Signature results of one block, computed ahead on the pool."""

    def __init__(
        self, envelopes: Sequence[Envelope], keys: dict[int, PublicKey], remembered: set[int]
    ) -> None:
        self._envelopes = envelopes
        self._keys = keys
        self._remembered = remembered
        self._chunks: dict[int, tuple[list[int], Future[list[bool]]]] = {}
        self._done: dict[int, bool] = {}

    def _add(self, indexes: list[int], future: Future[list[bool]]) -> None:
        for index in indexes:
            self._chunks[index] = (indexes, future)

    def valid(self, index: int, public_key: PublicKey) -> bool:
        """Whether envelope ``index`` is signed by ``public_key``."""
        if self._keys.get(index) == public_key:
            if index in self._remembered:
                return True
            if index not in self._done and index in self._chunks:
                indexes, future = self._chunks[index]
                self._done.update(zip(indexes, future.result(), strict=True))
            if index in self._done:
                return self._done[index]
        envelope = self._envelopes[index]
        return _valid(public_key, envelope.sig, envelope.tx_bytes)


class SignatureChecker:
    """Verifies envelope signatures, ahead of execution and in parallel."""

    def __init__(
        self, workers: int = 2, *, processes: bool = False, remember: int = 100_000
    ) -> None:
        self._threads: ThreadPoolExecutor | None = None
        self._processes: VerifyWorkers | None = None
        if processes:
            # Fresh interpreters, not forks: never fork a process that runs threads (SQLite,
            # the orderer). Keys travel once per chunk, in a form the workers read at once.
            self._processes = VerifyWorkers(workers)
        else:
            self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tether-sig")
        self._verified: OrderedDict[tuple[str, bytes], PublicKey] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def check_now(self, envelope: Envelope, public_key: PublicKey) -> bool:
        """Verify one envelope at once; a success is remembered for its block."""
        if not _valid(public_key, envelope.sig, envelope.tx_bytes):
            return False
        with self._lock:  # admissions call this from many threads
            self._verified[(envelope.tx_id, envelope.sig)] = public_key
            while len(self._verified) > self._remember:
                self._verified.popitem(last=False)
        return True

    def start(self, envelopes: Sequence[Envelope], keys: KeyLookup) -> PendingChecks:
        """Begin checking a block's signatures with the keys known now."""
        known: dict[int, PublicKey] = {}
        remembered: set[int] = set()
        todo: list[int] = []
        verified, lock = self._verified, self._lock
        for index, envelope in enumerate(envelopes):
            key = keys(envelope.tx.creator.cert_sha256)
            if key is None:
                continue
            known[index] = key
            previous = None
            if verified:  # a replay never checked anything at admission: no lock per tx
                with lock:
                    previous = verified.pop((envelope.tx_id, envelope.sig), None)
            if previous == key:
                remembered.add(index)
            else:
                todo.append(index)
        pending = PendingChecks(envelopes, known, remembered)
        for start in range(0, len(todo), _CHUNK):
            chunk = todo[start : start + _CHUNK]
            pending._add(chunk, self._submit(chunk, envelopes, known))
        return pending

    def _submit(
        self, chunk: list[int], envelopes: Sequence[Envelope], known: dict[int, PublicKey]
    ) -> Future[list[bool]]:
        if self._processes is None:
            assert self._threads is not None
            return self._threads.submit(
                _check_chunk, [(known[i], envelopes[i].sig, envelopes[i].tx_bytes) for i in chunk]
            )
        encoded: dict[bytes, int] = {}
        # A block's txs come from a few creators: each key object is encoded once per chunk
        # (``known`` holds the keys, so their ids stay theirs meanwhile).
        by_key: dict[int, int] = {}
        items = []
        for i in chunk:
            key = known[i]
            number = by_key.get(id(key))
            if number is None:
                number = by_key[id(key)] = encoded.setdefault(worker_key(key), len(encoded))
            items.append((number, envelopes[i].sig, envelopes[i].tx_bytes))
        return self._processes.submit(list(encoded), items)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        if self._processes is not None:
            self._processes.shutdown()

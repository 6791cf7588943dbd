"""Checking envelope signatures on every core.

Signature checks are the most expensive step of executing a block, and ``cryptography``
releases the GIL while it verifies, so a block's checks are started on a thread pool before
the block runs in order. What admission already checked in this same process (the solo
orderer's pre-check) is remembered and not checked twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from tetherai.crypto.errors import SignatureError
from tetherai.crypto.signature import PublicKey, verify
from tetherai.ledger.transaction import Envelope

__all__ = ["SignatureChecker"]

KeyLookup = Callable[[str], PublicKey | None]
_CHUNK = 64


def _valid(public_key: PublicKey, envelope: Envelope) -> bool:
    try:
        verify(public_key, envelope.sig, envelope.tx_bytes)
    except SignatureError:
        return False
    return True


def _check_chunk(items: Sequence[tuple[PublicKey, Envelope]]) -> list[bool]:
    return [_valid(key, envelope) for key, envelope in items]


class PendingChecks:
    """Signature results of one block, some computed ahead on the pool."""

    def __init__(
        self,
        envelopes: Sequence[Envelope],
        keys: dict[int, PublicKey],
        futures: list[tuple[list[int], Future[list[bool]]]],
        remembered: set[int],
    ) -> None:
        self._envelopes = envelopes
        self._keys = keys
        self._futures = futures
        self._remembered = remembered
        self._done: dict[int, bool] = {}

    def valid(self, index: int, public_key: PublicKey) -> bool:
        """Whether envelope ``index`` is signed by ``public_key``."""
        if index in self._remembered and self._keys.get(index) == public_key:
            return True
        if self._keys.get(index) == public_key:
            if index not in self._done:
                self._collect(index)
            if index in self._done:
                return self._done[index]
        return _valid(public_key, self._envelopes[index])

    def _collect(self, index: int) -> None:
        for position, (indexes, future) in enumerate(self._futures):
            if indexes[0] <= index <= indexes[-1] and index in indexes:
                self._done.update(zip(indexes, future.result(), strict=True))
                del self._futures[position]
                return


class SignatureChecker:
    """Verifies envelope signatures, ahead of execution and on several threads."""

    def __init__(self, workers: int = 2, remember: int = 100_000) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tether-sig")
        self._verified: OrderedDict[tuple[str, bytes], PublicKey] = OrderedDict()
        self._remember = remember

    def check_now(self, envelope: Envelope, public_key: PublicKey) -> bool:
        """Verify one envelope at once; a success is remembered for its block."""
        if not _valid(public_key, envelope):
            return False
        self._verified[(envelope.tx_id, envelope.sig)] = public_key
        while len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return True

    def start(self, envelopes: Sequence[Envelope], keys: KeyLookup) -> PendingChecks:
        """Begin checking a block's signatures with the keys known now."""
        known: dict[int, PublicKey] = {}
        remembered: set[int] = set()
        todo: list[tuple[int, PublicKey, Envelope]] = []
        for index, envelope in enumerate(envelopes):
            key = keys(envelope.tx.creator.cert_sha256)
            if key is None:
                continue
            known[index] = key
            if self._verified.pop((envelope.tx_id, envelope.sig), None) == key:
                remembered.add(index)
            else:
                todo.append((index, key, envelope))
        futures = []
        for start in range(0, len(todo), _CHUNK):
            chunk = todo[start : start + _CHUNK]
            futures.append(
                (
                    [index for index, _, _ in chunk],
                    self._pool.submit(_check_chunk, [(key, env) for _, key, env in chunk]),
                )
            )
        return PendingChecks(envelopes, known, futures, remembered)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

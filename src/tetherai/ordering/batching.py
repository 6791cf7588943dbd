"""Block cutting shared by every orderer (DESIGN.md §3, §7).

Envelopes are admitted (checked against current state by a peer), queued, and cut into
blocks by one thread, which hands each batch to :meth:`BatchingOrderer._order`; that makes the
block durable (a local store for solo, the etcd cluster for etcd) and returns each tx's result.
Every tx's future is resolved only after that, so an acknowledged tx survives a crash.

**Group commit** (``max_wait=0``, the default): a block is cut as soon as the cutter is idle
and something is waiting, or ``max_txs`` are waiting. While one block commits, arrivals queue
and form the next one, so blocks grow with the load by themselves: a lone writer waits one
commit, many writers share each commit. A positive ``max_wait`` makes the cutter linger up to
that long for more txs before cutting a block that is not full (fewer, larger blocks for a
back end where each append costs much, or for tests that want several txs in one block).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.ledger.block import Block, BlockHeader
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.ledger.peer import Peer
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.errors import OrdererBusy, OrdererClosed

__all__ = ["BatchingOrderer", "Clock", "cut_block", "wall_clock_ms"]

Clock = Callable[[], int]
log = logging.getLogger(__name__)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def cut_block(peer: Peer, envelopes: Sequence[Envelope], key: Ed25519PrivateKey, ts: int) -> Block:
    """Build and sign the block that follows the peer's head."""
    head = peer.head
    growth = peer.grow_log(envelopes)
    header = BlockHeader(
        number=head.height,
        prev_hash=head.block_hash,
        ts=max(ts, head.ts),
        tx_count=len(growth.envelopes),
        txs_root=growth.txs_root,
        log_size=growth.tree.size,
        log_root=growth.log_root,
    )
    return Block(header, growth.envelopes, key.sign(header.canonical_bytes()))


class BatchingOrderer:
    """Admission, the pending queue and the cutter thread; subclasses make blocks durable."""

    def __init__(
        self,
        peer: Peer,
        *,
        clock: Clock = wall_clock_ms,
        max_txs: int = 1000,
        max_wait: float = 0.0,
        max_pending: int = 50_000,
        thread_name: str = "tether-orderer",
    ) -> None:
        self._peer = peer
        self._clock = clock
        self._max_txs = max_txs
        self._max_wait = max_wait
        self._max_pending = max_pending
        self._pending: list[tuple[Envelope, Future[TxResult]]] = []
        self._pending_ids: set[str] = set()
        self._oldest = 0.0
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    def _start(self) -> None:
        """Start the cutter (subclasses call it once they are fully set up)."""
        self._thread.start()

    @property
    def clock(self) -> Clock:
        """The orderer's clock: what a tx signed for this node should carry as its time."""
        return self._clock

    @property
    def in_flight(self) -> int:
        """Txs admitted whose block is not durable yet (queued, or in the block committing)."""
        with self._condition:
            return len(self._pending_ids)

    def submit(self, envelope: Envelope) -> Future[TxResult]:
        with self._condition:
            if self._closed:
                raise OrdererClosed("the orderer is closed")
            if len(self._pending) >= self._max_pending:
                raise OrdererBusy(f"{len(self._pending)} txs are waiting to be ordered")
            pending = self._pending_ids
        # Admission runs outside the queue lock so signature checks use every core.
        self._peer.admit(envelope, now_ms=self._clock(), pending=pending)
        future: Future[TxResult] = Future()
        with self._condition:
            if envelope.tx_id in self._pending_ids:
                raise TxRejected(
                    f"tx {envelope.tx_id} is already waiting to be ordered", code="tx.replayed"
                )
            if not self._pending:
                self._oldest = time.monotonic()
                self._condition.notify()  # start the cutter's max_wait timer
            self._pending.append((envelope, future))
            self._pending_ids.add(envelope.tx_id)
            if len(self._pending) >= self._max_txs:
                self._condition.notify()
        return future

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _order(self, envelopes: list[Envelope]) -> list[TxResult]:
        """Make one block of ``envelopes`` durable and return each tx's result."""
        raise NotImplementedError

    def _take_batch(self) -> list[tuple[Envelope, Future[TxResult]]] | None:
        with self._condition:
            while True:
                if self._pending:
                    waited = time.monotonic() - self._oldest
                    if (
                        len(self._pending) >= self._max_txs
                        or waited >= self._max_wait
                        or self._closed
                    ):
                        batch = self._pending[: self._max_txs]
                        del self._pending[: self._max_txs]
                        self._oldest = time.monotonic()
                        for _, future in batch:
                            # From here on a caller's cancel() fails: the tx is being ordered.
                            future.set_running_or_notify_cancel()
                        return batch
                    self._condition.wait(self._max_wait - waited)
                elif self._closed:
                    return None
                else:
                    self._condition.wait()

    def _run(self) -> None:
        while (batch := self._take_batch()) is not None:
            envelopes = [envelope for envelope, _ in batch]
            try:
                results = self._order(envelopes)
            except BaseException as error:  # the block was refused or not stored: tell every caller
                log.error(
                    "a block of %d txs was not ordered: %s",
                    len(envelopes),
                    error,
                    exc_info=not isinstance(error, OrdererClosed),
                )
                for _, future in batch:
                    if not future.cancelled():
                        future.set_exception(error)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.cancelled():  # cancelled before its block was cut
                        future.set_result(result)
            finally:
                with self._condition:
                    for envelope in envelopes:
                        self._pending_ids.discard(envelope.tx_id)

"""The in-process ("solo") orderer, the embedded default (DESIGN.md §3).

Envelopes are admitted (checked against current state by the peer), queued, and cut into a
block when ``max_txs`` are waiting or the oldest has waited ``max_wait`` seconds. One thread
builds, signs and hands each block to the peer, then resolves every tx's future only after the
block is durable, so an acknowledged tx survives a crash. After each block a checkpoint is
signed by the orderer and cosigned by the peer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.ledger.block import Block, BlockHeader, txs_root
from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.ledger.merkle import leaf_hash
from tetherai.ledger.peer import Peer, copy_tree
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.errors import OrdererBusy, OrdererClosed

__all__ = ["SoloOrderer", "cut_block"]

Clock = Callable[[], int]
# Given a block's time (ms), the signers of its checkpoint (cosignatures carry that time).
CheckpointSigners = Callable[[int], Sequence[NoteSigner | CosignatureSigner]]


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def cut_block(peer: Peer, envelopes: Sequence[Envelope], key: Ed25519PrivateKey, ts: int) -> Block:
    """Build and sign the block that follows the peer's head."""
    head = peer.head
    tree = copy_tree(peer.tree)
    for envelope in envelopes:
        tree.append(leaf_hash(envelope.leaf_data))
    header = BlockHeader(
        number=head.height,
        prev_hash=head.block_hash,
        ts=max(ts, head.ts),
        tx_count=len(envelopes),
        txs_root=txs_root(envelopes),
        log_size=tree.size,
        log_root=tree.root().hex(),
    )
    return Block(header, tuple(envelopes), key.sign(header.canonical_bytes()))


class SoloOrderer:
    """Orders envelopes for one peer in the same process."""

    def __init__(
        self,
        peer: Peer,
        *,
        key: Ed25519PrivateKey,
        checkpoint_signers: CheckpointSigners | None = None,
        clock: Clock = wall_clock_ms,
        max_txs: int = 1000,
        max_wait: float = 0.05,
        max_pending: int = 50_000,
    ) -> None:
        self._peer = peer
        self._key = key
        self._checkpoint_signers = checkpoint_signers
        self._clock = clock
        self._max_txs = max_txs
        self._max_wait = max_wait
        self._max_pending = max_pending
        self._pending: list[tuple[Envelope, Future[TxResult]]] = []
        self._pending_ids: set[str] = set()
        self._oldest = 0.0
        self._condition = threading.Condition()
        self._closed = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tether-orderer", daemon=True)
        self._thread.start()

    @property
    def clock(self) -> Clock:
        """The orderer's clock: what a tx signed for this node should carry as its time."""
        return self._clock

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
        self._thread.join()

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
                block = cut_block(self._peer, envelopes, self._key, self._clock())
                results = self._peer.commit(block)
                if self._checkpoint_signers is not None:
                    signers = self._checkpoint_signers(block.header.ts)
                    self._peer.store_checkpoint(self._peer.checkpoint(), signers)
            except BaseException as error:  # the peer refused or the disk failed: tell every caller
                for _, future in batch:
                    future.set_exception(error)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    future.set_result(result)
            finally:
                with self._condition:
                    for envelope in envelopes:
                        self._pending_ids.discard(envelope.tx_id)

"""The in-process ("solo") orderer, the embedded default (DESIGN.md §3).

Batching and admission are :class:`~tetherai.ordering.batching.BatchingOrderer`'s; solo makes
each block durable by committing it to its one peer's store, together with the checkpoint after
it, signed with the orderer's key and cosigned by the peer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner
from tetherai.ledger.executor import TxResult
from tetherai.ledger.peer import Peer
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.batching import BatchingOrderer, Clock, cut_block, wall_clock_ms

__all__ = ["CheckpointSigners", "SoloOrderer", "cut_block"]

# Given a block's time (ms), the signers of its checkpoint (cosignatures carry that time).
CheckpointSigners = Callable[[int], Sequence[NoteSigner | CosignatureSigner]]


class SoloOrderer(BatchingOrderer):
    """Orders envelopes for one peer in the same process."""

    def __init__(
        self,
        peer: Peer,
        *,
        key: Ed25519PrivateKey,
        checkpoint_signers: CheckpointSigners | None = None,
        clock: Clock = wall_clock_ms,
        max_txs: int = 1000,
        max_wait: float = 0.0,
        max_pending: int = 50_000,
    ) -> None:
        super().__init__(
            peer, clock=clock, max_txs=max_txs, max_wait=max_wait, max_pending=max_pending
        )
        self._key = key
        self._checkpoint_signers = checkpoint_signers
        self._start()

    def _order(self, envelopes: list[Envelope]) -> list[TxResult]:
        block = cut_block(self._peer, envelopes, self._key, self._clock())
        signers = self._checkpoint_signers(block.header.ts) if self._checkpoint_signers else ()
        # The checkpoint goes into the block's own store transaction: one durable write.
        return self._peer.commit(block, checkpoint_signers=signers)

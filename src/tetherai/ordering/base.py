"""What an orderer does (DESIGN.md §3, §7): put envelopes in one total order and cut blocks.

Implementations: :mod:`tetherai.ordering.solo` (in-process, the embedded default) and, for
clusters, an etcd-backed orderer. Callers depend on this protocol only.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope

__all__ = ["Orderer"]


class Orderer(Protocol):
    @property
    def clock(self) -> Callable[[], int]:
        """The time (ms since the epoch) the orderer stamps blocks with; a tx signed for it
        must be within the channel's clock skew of it."""
        ...

    def submit(self, envelope: Envelope) -> Future[TxResult]:
        """Admit an envelope and order it.

        The future resolves once the block holding the tx is durable, with the tx's result
        (valid, or invalid with its reason).

        Raises:
            TxRejected: admission refused the tx; nothing was stored.
            OrdererBusy: too many txs are waiting.
        """
        ...

    def close(self) -> None:
        """Cut what is pending, wait for it to commit, and stop."""
        ...

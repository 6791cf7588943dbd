"""Errors of the ordering layer: all :class:`~tetherai.errors.Unavailable` (503 with
Retry-After, exit 3): the ordering service is busy, closing or cannot order now.

    TetherError
    └── OrderingError          ordering.error
        ├── OrdererBusy        ordering.busy
        ├── OrdererClosed      ordering.closed
        ├── etcd_client.EtcdUnavailable
        └── etcd.BlocksCompacted
"""

from __future__ import annotations

from tetherai.errors import Unavailable

__all__ = ["CommitTimeout", "OrdererBusy", "OrdererClosed", "OrderingError"]


class OrderingError(Unavailable):
    code = "ordering.error"


class OrdererBusy(OrderingError):
    """Too many txs are waiting; the caller should retry later (HTTP 503 + Retry-After)."""

    code = "ordering.busy"
    hint = "retry in a moment"


class OrdererClosed(OrderingError):
    code = "ordering.closed"
    hint = "the node is shutting down; retry once it is back"


class CommitTimeout(OrdererBusy):
    """A tx was admitted but its block was not durable in time; it may still be committed."""

    code = "ordering.commit_timeout"
    hint = "the tx may still be committed: look it up by its id before signing it again"

"""Blocks (DESIGN.md §3).

The orderer fixes the order of envelopes and signs a :class:`BlockHeader`
``{number, prev_hash, ts, tx_count, txs_root, log_size, log_root}``; everything in it is known
before execution, so any orderer can produce it. What execution yields (each tx's validity,
writes, and the chained state root) is a :class:`BlockCommit`, recorded by every peer and
covered by checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from tetherai.crypto.jcs import JSONValue, canonicalize
from tetherai.ledger.merkle import tree_hash
from tetherai.ledger.transaction import Envelope

__all__ = ["GENESIS_PREV_HASH", "Block", "BlockCommit", "BlockHeader", "txs_root"]

GENESIS_PREV_HASH = "0" * 64
GENESIS_STATE_ROOT = "0" * 64


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """What the orderer signs: position, time and the Merkle commitments of a block."""

    number: int
    prev_hash: str
    ts: int
    tx_count: int
    txs_root: str
    log_size: int
    log_root: str

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "number": self.number,
            "prev_hash": self.prev_hash,
            "ts": self.ts,
            "tx_count": self.tx_count,
            "txs_root": self.txs_root,
            "log_size": self.log_size,
            "log_root": self.log_root,
        }

    def canonical_bytes(self) -> bytes:
        return canonicalize(self.to_json())

    @property
    def hash(self) -> str:
        """``block_hash = sha256(JCS(header))``."""
        return sha256(self.canonical_bytes()).hexdigest()

    @classmethod
    def from_json(cls, value: dict[str, JSONValue]) -> BlockHeader:
        return cls(
            number=_int(value["number"]),
            prev_hash=str(value["prev_hash"]),
            ts=_int(value["ts"]),
            tx_count=_int(value["tx_count"]),
            txs_root=str(value["txs_root"]),
            log_size=_int(value["log_size"]),
            log_root=str(value["log_root"]),
        )


@dataclass(frozen=True, slots=True)
class Block:
    """A header, the envelopes it commits to, in order, and the orderer's signature."""

    header: BlockHeader
    envelopes: tuple[Envelope, ...]
    orderer_sig: bytes


@dataclass(frozen=True, slots=True)
class BlockCommit:
    """The outcome of executing a block: its results commitment and the chained state root.

    ``state_root(n) = sha256(state_root(n-1) || results_hash(n))``; ``results_hash`` is the
    commitment of :mod:`tetherai.ledger.results` for the channel's format (format 2: the
    Merkle root over the per-tx results). Folding validity in, not only the writes, means a
    flipped valid/invalid flag changes the root even for a tx that wrote nothing.
    """

    number: int
    results_hash: str
    state_root: str


def txs_root(envelopes: Sequence[Envelope]) -> str:
    """RFC 6962 root over this block's envelopes alone (verifiable without the whole log)."""
    return tree_hash([envelope.leaf_hash for envelope in envelopes]).hex()


def _int(value: JSONValue) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, found {value!r}")
    return value

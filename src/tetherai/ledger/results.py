"""What a block's results commit to, per ledger format (DESIGN.md §3 "State root"; design notes).

Each tx's result is a canonical JSON document (``{tx_id, valid, code, message}`` or ``{tx_id,
valid, version, writes, result}``). The state root chains one commitment per block:

    state_root(n) = SHA-256(state_root(n-1) || results_commitment(n)),  state_root(-1) = 0^32

- **Format 1** (ledgers made before format 2): ``results_commitment`` is the SHA-256 of the
  JCS list of the block's results. Proving one result needs all of them.
- **Format 2**: ``results_commitment`` is the RFC 6962 Merkle tree hash over the block's
  results in tx order, each leaf being the result's canonical bytes (so the per-tx result hash
  is the leaf hash ``SHA-256(0x00 || JCS(result))``). One result is proven by an inclusion
  proof, and the others show only as hashes.

A channel's format is fixed by its genesis configuration (``ledger_format``, absent = 1) and
kept in the peer store's metadata; new channels get :data:`LEDGER_FORMAT`.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from tetherai.ledger.merkle import CompactRange, leaf_hash, tree_hash
from tetherai.ledger.proofs import inclusion_proof

__all__ = [
    "LEDGER_FORMAT",
    "LEDGER_FORMATS",
    "chain_state_root",
    "result_hashes",
    "results_commitment",
    "results_proof",
]

LEDGER_FORMAT = 2
"""The format of channels created now."""

LEDGER_FORMATS = (1, 2)
"""Every format this code reads and verifies."""


def results_commitment(encoded: Sequence[bytes], ledger_format: int) -> str:
    """The hex commitment to a block's results (``encoded``: each result's JCS bytes)."""
    if ledger_format == 1:
        # JCS of a list is its elements' JCS joined by commas: no second canonicalization.
        return sha256(b"[" + b",".join(encoded) + b"]").hexdigest()
    return tree_hash([leaf_hash(data) for data in encoded]).hex()


def result_hashes(encoded: Sequence[bytes]) -> list[bytes]:
    """The format-2 leaf hash of each result."""
    return [leaf_hash(data) for data in encoded]


def results_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The format-2 inclusion proof of result ``index`` among a block's result leaf hashes."""
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for leaf in leaves:
        for level, position, node in tree.append(leaf):
            nodes[(level, position)] = node
    return inclusion_proof(index, len(leaves), lambda level, position: nodes[(level, position)])


def chain_state_root(previous: str, commitment: str) -> str:
    """``SHA-256(previous || commitment)`` on the raw 32-byte digests, as hex."""
    return sha256(bytes.fromhex(previous) + bytes.fromhex(commitment)).hexdigest()

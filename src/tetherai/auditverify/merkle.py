"""RFC 6962 / RFC 9162 Merkle proofs: leaf and node hashes, inclusion and consistency checks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["ProofFailure", "leaf_hash", "node_hash", "verify_consistency", "verify_inclusion"]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofFailure(ValueError):
    """A Merkle proof does not hold; the message says how."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _hashes(proof: Sequence[bytes], *more: bytes) -> None:
    if any(len(item) != 32 for item in (*proof, *more)):
        raise ProofFailure("a proof hash or root is not 32 bytes")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: ``leaf`` (a leaf hash) is leaf ``index`` of the tree (size, root)."""
    if not 0 <= index < size:
        raise ProofFailure(f"leaf {index} is not in a tree of {size} leaves")
    _hashes(proof, leaf, root)
    fn, sn, computed = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofFailure(f"the inclusion proof of leaf {index} is too long")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailure(f"the inclusion proof of leaf {index} is too short")
    if computed != root:
        raise ProofFailure(
            f"the inclusion proof of leaf {index} leads to root {computed.hex()}, "
            f"not the checkpoint's {root.hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    if not 0 <= old_size <= new_size:
        raise ProofFailure(f"a tree of {old_size} leaves cannot be a prefix of one of {new_size}")
    _hashes(proof, old_root, new_root)
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofFailure(f"a consistency proof from {old_size} to {new_size} must be empty")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofFailure("an empty tree's root must be SHA-256 of nothing")
        if old_size == new_size and old_root != new_root:
            raise ProofFailure(f"two checkpoints of size {old_size} have different roots (a fork)")
        return
    if not proof:
        raise ProofFailure(f"the consistency proof from {old_size} to {new_size} is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a perfect old tree is a node of the new one
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofFailure(f"the consistency proof from {old_size} to {new_size} is too long")
        if fn & 1 or fn == sn:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_computed = node_hash(new_computed, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailure(f"the consistency proof from {old_size} to {new_size} is too short")
    if old_computed != old_root:
        raise ProofFailure(
            f"the consistency proof from {old_size} to {new_size} does not lead to the old root"
        )
    if new_computed != new_root:
        raise ProofFailure(
            f"the consistency proof from {old_size} to {new_size} does not lead to the new root"
        )

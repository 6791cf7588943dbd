"""An independent RFC 6962 reference, written from the RFC text with only ``hashlib``.

Nothing here imports tetherai: tests compare tetherai's Merkle code against this module, so
a shared misreading of the RFCs would have to be made twice, in two different styles.

- ``mth``, ``path``, ``proof``: RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF and
  SUBPROOF), transcribed as the recursive definitions over a list of leaf *data*.
- ``verify_inclusion``, ``verify_consistency``: verifiers that rebuild the roots by
  following the same recursions (not RFC 9162's bit-twiddling loops, which tetherai uses),
  consuming the proof from its top-most element.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "leaf_hash",
    "mth",
    "node_hash",
    "path",
    "proof",
    "verify_consistency",
    "verify_inclusion",
]


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n: int) -> int:
    """RFC 6962 §2.1: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1: the Merkle Tree Hash of a list of leaf data."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = _k(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1: PATH(m, D[n]), the audit path of leaf m."""
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.2: PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` is PATH(index, D[size]) for a tree whose MTH is ``root``."""
    if not 0 <= index < size or any(len(element) != 32 for element in proof):
        return False
    remaining = list(proof)

    def rebuild(m: int, n: int) -> bytes | None:
        # Undo PATH: its last element is the sibling of the top-level split.
        if n == 1:
            return leaf_hash
        if not remaining:
            return None
        sibling = remaining.pop()
        k = _k(n)
        if m < k:
            left = rebuild(m, k)
            return None if left is None else node_hash(left, sibling)
        right = rebuild(m - k, n - k)
        return None if right is None else node_hash(sibling, right)

    computed = rebuild(index, size)
    return computed is not None and not remaining and computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` is PROOF(old_size, D[new_size]) linking the two roots."""
    if not 0 <= old_size <= new_size or any(len(element) != 32 for element in proof):
        return False
    if old_size == 0 or old_size == new_size:
        # Nothing to prove; the roots must still be the empty tree's / each other.
        empty_ok = old_size != 0 or old_root == hashlib.sha256(b"").digest()
        same_ok = old_size != new_size or old_root == new_root
        return not proof and empty_ok and same_ok
    remaining = list(proof)

    def rebuild(m: int, n: int, b: bool) -> tuple[bytes, bytes] | None:
        # Returns (MTH of the old leaves in this subtree, MTH of the whole subtree), undoing
        # SUBPROOF: its last element belongs to the top-level split.
        if m == n:
            if b:
                # The subtree is the old tree itself: the verifier knows its hash.
                return old_root, old_root
            if not remaining:
                return None
            element = remaining.pop()
            return element, element
        if not remaining:
            return None
        sibling = remaining.pop()
        k = _k(n)
        if m <= k:
            inner = rebuild(m, k, b)
            if inner is None:
                return None
            return inner[0], node_hash(inner[1], sibling)
        inner = rebuild(m - k, n - k, False)
        if inner is None:
            return None
        return node_hash(sibling, inner[0]), node_hash(sibling, inner[1])

    result = rebuild(old_size, new_size, True)
    return result is not None and not remaining and result == (old_root, new_root)

"""Merkle tree hashing and storage-independent tree math (DESIGN.md §3, "Merkle log").

The ledger's log of envelopes is an RFC 6962 §2.1 / RFC 9162 §2.1 Merkle Tree Hash (MTH)
tree. This module holds the hashing rules and the tree math that every store shares, in the
style of transparency-dev/tessera: functions are fed a :data:`NodeReader` (a "read node"
callable), never a database, so SQLite, object stores and tests all reuse the same code.

Node addressing: ``(level, index)`` names the *perfect* subtree of ``2**level`` leaves that
covers leaves ``[index << level, (index + 1) << level)``. Level 0 nodes are leaf hashes. Only
perfect subtrees are ever stored; hashes of the ragged right edge of a tree are recomputed
from them (RFC 9162 §2.1.1: MTH splits a list of ``n`` leaves at the largest power of two
``k < n``, so every tree is a left-to-right run of perfect subtrees).

- :func:`leaf_hash`, :func:`node_hash`: the domain-separated hashes of RFC 9162 §2.1.1.
- :class:`CompactRange`: the right frontier of an append-only tree, O(log n) memory; each
  append reports the perfect nodes it completed so the caller can store them.
- :func:`root_at`, :func:`subtree_hash`: MTH of a prefix or of a range from stored nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from hashlib import sha256
from typing import TypeVar

from tetherai.ledger.errors import LedgerError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeReader",
    "leaf_hash",
    "node_count",
    "node_hash",
    "read_at_once",
    "root_at",
    "subtree_hash",
    "tree_hash",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

# RFC 9162 §2.1.1: "The hash of an empty list is the hash of an empty string".
EMPTY_ROOT: bytes = sha256(b"").digest()

# RFC 9162 §2.1.1 prefixes leaves with 0x00 and interior nodes with 0x01 so that a leaf can
# never be passed off as an interior node (second-preimage resistance).
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

T = TypeVar("T")

NodeReader = Callable[[int, int], bytes]
"""``reader(level, index)`` returns the stored hash of the perfect node ``(level, index)``.

It is only asked for nodes that lie fully inside the tree being read, i.e. nodes a
:class:`CompactRange` reported from :meth:`CompactRange.append` while building that tree.
A reader that cannot find such a node should raise a :class:`~tetherai.errors.TetherError`
(the store's own error); this module does not catch it.
"""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 §2.1.1 leaf hash ``SHA-256(0x00 || data)``."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 §2.1.1 interior node hash ``SHA-256(0x01 || left || right)``."""
    return sha256(_NODE_PREFIX + left + right).digest()


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """The MTH of a whole list of *leaf hashes* at once, keeping no node: a block's txs_root
    and results commitment.

    Pairing each level left to right and carrying an odd last node up unchanged builds the
    same left-balanced tree as RFC 9162's split at the largest power of two below the size;
    it costs one hash per node and no bookkeeping of the nodes completed.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [
            sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def node_count(size: int) -> int:
    """How many nodes (leaves included) a tree of ``size`` leaves stores: every perfect
    subtree, so ``size // 2**level`` at each level."""
    count = 0
    while size:
        count += size
        size >>= 1
    return count


def _check_size(size: int, what: str = "size") -> None:
    if size < 0:
        raise LedgerError(
            f"tree {what} must not be negative, got {size}",
            details={what: size},
            hint="Pass a tree size of 0 or more.",
        )


class CompactRange:
    """The right frontier of an append-only RFC 6962 tree: O(log n) hashes.

    The frontier of a tree of ``size`` leaves is the list of perfect subtrees whose sizes are
    the set bits of ``size``, largest (leftmost) first. Appending a leaf merges equal-sized
    subtrees from the right, like incrementing a binary counter; :meth:`root` folds the
    frontier as RFC 9162 §2.1.1 MTH does.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        # Hashes of the frontier's perfect subtrees, largest first; one per set bit of size.
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one *leaf hash* (see :func:`leaf_hash`) and return the completed nodes.

        The result starts with ``(0, index, leaf)`` and continues with every parent that the
        append completed, lowest first. Storing all of them lets a :data:`NodeReader` serve
        any perfect node of the tree later.

        Raises:
            LedgerError: ``leaf`` is not a 32-byte hash.
        """
        if len(leaf) != HASH_SIZE:
            raise LedgerError(
                f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}",
                details={"length": len(leaf)},
                hint="Append leaf_hash(data), not the data itself.",
            )
        index = self._size
        completed = [(0, index, leaf)]
        hashes = self._hashes
        current = leaf
        level = 0
        # Each trailing 1 bit of the old size is a perfect subtree of the same size as the
        # one we are carrying; merge them (left sibling first) exactly as a binary increment
        # carries. This is the only loop in the hot path: amortised one merge per append.
        position = index
        while position & 1:
            current = sha256(_NODE_PREFIX + hashes.pop() + current).digest()
            level += 1
            position >>= 1
            completed.append((level, position, current))
        hashes.append(current)
        self._size = index + 1
        return completed

    def root(self) -> bytes:
        """Return the MTH of all leaves appended so far (:data:`EMPTY_ROOT` when empty)."""
        return _fold_right(self._hashes)

    def frontier(self) -> list[tuple[int, int, bytes]]:
        """Return the frontier as ``(level, index, hash)`` triples, largest subtree first."""
        return [
            (level, (self._size >> level) - 1, digest)
            for level, digest in zip(_frontier_levels(self._size), self._hashes, strict=True)
        ]

    @classmethod
    def from_reader(cls, size: int, reader: NodeReader) -> CompactRange:
        """Rebuild the frontier of a tree of ``size`` leaves with one read per set bit.

        Raises:
            LedgerError: ``size`` is negative.
        """
        _check_size(size)
        compact = cls()
        # The piece at a set bit ``level`` ends where the bits below it start, so its index
        # is ``(size >> level) - 1`` (see the module docstring's node addressing).
        compact._hashes = [reader(level, (size >> level) - 1) for level in _frontier_levels(size)]
        compact._size = size
        return compact

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size})"


def _frontier_levels(size: int) -> list[int]:
    """Levels of the perfect subtrees making up a tree of ``size`` leaves, largest first."""
    return [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


def _fold_right(hashes: list[bytes]) -> bytes:
    """Fold a frontier (largest first) into the MTH of the tree it covers.

    RFC 9162 §2.1.1 splits ``n`` leaves at the largest power of two ``k < n``: the left part
    is the largest perfect subtree and the right part is, recursively, the rest. Folding the
    frontier from the right reproduces exactly that recursion.
    """
    if not hashes:
        return EMPTY_ROOT
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def read_at_once(
    plan: Callable[[NodeReader], T],
    fetch: Callable[[Sequence[tuple[int, int]]], Mapping[tuple[int, int], bytes]],
    reader: NodeReader,
) -> T:
    """Run ``plan`` (a proof, a root) with every node it reads fetched by one call of ``fetch``.

    This module chooses which nodes to read from the sizes and indexes it is given, never
    from what a node holds. So ``plan`` runs once against a reader that only notes the
    positions, ``fetch`` reads them all together (one database query instead of one a
    node), and ``plan`` runs again on what came back. A node ``fetch`` did not return is
    asked of ``reader``, which raises the store's own error for a missing one.
    """
    wanted: list[tuple[int, int]] = []

    def note(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return bytes(HASH_SIZE)

    plan(note)
    found = fetch(wanted)

    def read(level: int, index: int) -> bytes:
        node = found.get((level, index))
        return node if node is not None else reader(level, index)

    return plan(read)


def root_at(size: int, reader: NodeReader) -> bytes:
    """Return the MTH of the first ``size`` leaves from O(log n) stored perfect nodes.

    Raises:
        LedgerError: ``size`` is negative.
    """
    return CompactRange.from_reader(size, reader).root()


def _largest_power_of_two_below(n: int) -> int:
    """The RFC 9162 §2.1.1 split point: the largest power of two strictly less than ``n``."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, reader: NodeReader) -> bytes:
    """Return the MTH of the leaves ``[start, end)`` taken as a list of their own.

    This is RFC 9162 §2.1.1's MTH(D[start:end]): the range splits at the largest power of two
    ``k < end - start`` *counted from start*, which is not the same as folding the range's
    aligned perfect pieces left to right when ``start`` is unaligned. Perfect, aligned pieces
    met on the way are read from ``reader``.

    Cost: when ``start`` is a multiple of the smallest power of two ``>= end - start`` (true
    for every subtree the RFC 9162 proofs use: each is a node of the tree being proven), the
    range is a node of the tree and this takes O(log n) reads. Other ranges are still hashed
    correctly but may need up to O(n) reads.

    Raises:
        LedgerError: ``start < 0`` or ``end < start``.
    """
    if start < 0 or end < start:
        raise LedgerError(
            f"invalid leaf range [{start}, {end})",
            details={"start": start, "end": end},
            hint="Pass 0 <= start <= end.",
        )
    if start == end:
        return EMPTY_ROOT
    return _subtree_hash(start, end, reader)


def _subtree_hash(start: int, end: int, reader: NodeReader) -> bytes:
    count = end - start
    # A perfect, aligned range is a stored node: one read instead of a recursion.
    if count & (count - 1) == 0 and start & (count - 1) == 0:
        level = count.bit_length() - 1
        return reader(level, start >> level)
    split = start + _largest_power_of_two_below(count)
    return node_hash(_subtree_hash(start, split, reader), _subtree_hash(split, end, reader))

"""Merkle inclusion and consistency proofs (DESIGN.md §3, "Merkle log").

Generation follows the recursive definitions of RFC 6962 §2.1.1 (PATH) and §2.1.2
(PROOF/SUBPROOF), restated in RFC 9162 §2.1.3.1 and §2.1.4.1; verification follows the
iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2. Generation reads stored perfect
nodes through a :data:`~tetherai.ledger.merkle.NodeReader`, so every store shares this code.

Proof elements are ordered bottom-up (the sibling nearest the leaf first), as both RFCs
require. Every failure raises :class:`~tetherai.ledger.errors.ProofError` with the evidence
(sizes, index, expected and computed roots) in ``details``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tetherai.ledger.errors import ProofError
from tetherai.ledger.merkle import EMPTY_ROOT, HASH_SIZE, NodeReader, node_hash, subtree_hash

__all__ = ["consistency_proof", "inclusion_proof", "verify_consistency", "verify_inclusion"]


def _split(count: int) -> int:
    """RFC 9162 §2.1.1: the largest power of two strictly less than ``count`` (count > 1)."""
    return 1 << ((count - 1).bit_length() - 1)


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the tree of ``size`` leaves.

    RFC 9162 §2.1.3.1 (RFC 6962 §2.1.1 PATH). Uses O(log n) reads: every sibling is a node
    of the tree, and only one of them (the first right sibling met in a ragged subtree) is
    not a single stored perfect node.

    Raises:
        ProofError: ``size <= 0`` or ``index`` is not in ``[0, size)``.
    """
    if size <= 0 or not 0 <= index < size:
        raise ProofError(
            f"no inclusion proof for leaf {index} in a tree of {size} leaves",
            details={"index": index, "size": size},
            hint="Ask for a leaf index below the tree size of a non-empty tree.",
        )
    siblings: list[bytes] = []
    start, end, target = 0, size, index
    # PATH(m, D[n]) recurses into the half holding leaf m and appends the MTH of the other
    # half *after* the deeper path; walking top-down we collect siblings and reverse once.
    while end - start > 1:
        middle = start + _split(end - start)
        if target < middle:
            siblings.append(subtree_hash(middle, end, reader))
            end = middle
        else:
            siblings.append(subtree_hash(start, middle, reader))
            start = middle
    siblings.reverse()
    return siblings


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """Return the proof that the tree of ``old_size`` leaves is a prefix of ``new_size``.

    RFC 9162 §2.1.4.1 (RFC 6962 §2.1.2 PROOF/SUBPROOF). Empty when ``old_size == new_size``
    or ``old_size == 0`` (both are trivially consistent). O(log n) reads.

    Raises:
        ProofError: a size is negative or ``old_size > new_size``.
    """
    if old_size < 0 or new_size < 0 or old_size > new_size:
        raise ProofError(
            f"no consistency proof from tree size {old_size} to {new_size}",
            details={"old_size": old_size, "new_size": new_size},
            hint="The old tree size must be between 0 and the new tree size.",
        )
    if old_size in (0, new_size):
        return []
    nodes: list[bytes] = []
    start, end = 0, new_size
    # ``from_old_root`` is SUBPROOF's flag b: true while the current subtree's left edge is
    # the old tree's, so that reaching m == n means "this subtree IS the old tree", whose
    # hash the verifier already has and the proof must not repeat.
    from_old_root = True
    while end != old_size:
        middle = start + _split(end - start)
        if old_size <= middle:
            # The old tree ends in the left half: the right half is all new leaves.
            nodes.append(subtree_hash(middle, end, reader))
            end = middle
        else:
            # The old tree covers the whole left half; recurse right with b = false.
            nodes.append(subtree_hash(start, middle, reader))
            start = middle
            from_old_root = False
    if not from_old_root:
        # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the verifier cannot know this subtree.
        nodes.append(subtree_hash(start, end, reader))
    nodes.reverse()
    return nodes


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(
            f"{what} is {len(value)} bytes, expected a {HASH_SIZE}-byte hash",
            details={"field": what, "length": len(value)},
        )


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2. ``leaf`` is the *leaf hash* (``leaf_hash(data)``), as in the RFC.

    Raises:
        ProofError: the proof does not verify, including a wrong proof length, an index
            outside the tree or a hash that is not 32 bytes. ``details`` carries
            ``expected_root`` and ``computed_root`` (hex) when a root was computed.
    """
    details: dict[str, object] = {"index": index, "size": size, "proof_length": len(proof)}
    if size <= 0 or not 0 <= index < size:
        # Step 1: "If leaf_index >= tree_size, stop and fail".
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves", details=details)
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root hash")
    for position, element in enumerate(proof):
        _check_hash(element, f"proof[{position}]")
    # Step 2: fn is the leaf's position, sn the last position; they walk up together.
    fn, sn = index, size - 1
    computed = leaf
    for element in proof:
        if sn == 0:
            # Step 4a: the path is longer than the tree is tall.
            raise ProofError(
                f"inclusion proof for leaf {index} in tree size {size} is too long",
                details=details,
            )
        if fn & 1 or fn == sn:
            # Step 4b: we are a right child, or the last node of a ragged level, so the
            # sibling is on the left.
            computed = node_hash(element, computed)
            if not fn & 1:
                # A last node without a right sibling moves up unchanged: skip the levels
                # where it has none (RFC 9162 §2.1.3.2 step 4b.ii).
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            computed = node_hash(computed, element)
        fn >>= 1
        sn >>= 1
    details["expected_root"] = root.hex()
    details["computed_root"] = computed.hex()
    # Step 5: a correct path ends exactly at the root (sn == 0) with the root's hash.
    if sn != 0:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree size {size} is too short",
            details=details,
        )
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree size {size} does not match the root",
            details=details,
        )


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree ``(old_size, old_root)`` is a prefix of ``(new_size, new_root)``.

    RFC 9162 §2.1.4.2, plus the trivial cases the RFC leaves to the caller: equal sizes need
    an empty proof and equal roots; an old size of 0 needs an empty proof and the empty-tree
    root (stricter than transparency-dev/merkle, which accepts any old root there).

    Raises:
        ProofError: the proof does not verify; ``details`` carries the expected and computed
            old and new roots (hex) when they were computed.
    """
    details: dict[str, object] = {
        "old_size": old_size,
        "new_size": new_size,
        "proof_length": len(proof),
    }
    if old_size < 0 or old_size > new_size:
        raise ProofError(
            f"tree size {old_size} cannot be a prefix of tree size {new_size}", details=details
        )
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    for position, element in enumerate(proof):
        _check_hash(element, f"proof[{position}]")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofError(
                f"consistency proof from {old_size} to {new_size} must be empty",
                details=details,
            )
        # Nothing to prove, but the roots must still agree: an empty tree has one root, and
        # two heads of one size with different roots are a fork.
        details.update(old_root=old_root.hex(), new_root=new_root.hex())
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError(
                "the root of an empty tree must be SHA-256 of nothing", details=details
            )
        if old_size == new_size and old_root != new_root:
            raise ProofError(
                f"two tree heads of size {old_size} have different roots", details=details
            )
        return
    # Step 1: a non-trivial proof is never empty.
    if not proof:
        raise ProofError(
            f"consistency proof from {old_size} to {new_size} is empty", details=details
        )
    path = list(proof)
    # Step 2: when the old tree is perfect it is a node of the new tree, so the proof omits
    # it (SUBPROOF's b flag); put the old root back as the starting node.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Step 3/4: skip the levels where the old tree's last node is a right child, since the
    # first proof element already is the hash of that whole left-aligned subtree.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr rebuilds the old root, sr the new one, from the same starting node.
    old_computed = new_computed = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ProofError(
                f"consistency proof from {old_size} to {new_size} is too long", details=details
            )
        if fn & 1 or fn == sn:
            # Step 6b.i: a left sibling belongs to both trees.
            old_computed = node_hash(element, old_computed)
            new_computed = node_hash(element, new_computed)
            if not fn & 1:
                # Step 6b.ii: climb past levels where the old edge has no right sibling.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            # Step 6b, otherwise: a right sibling holds only new leaves.
            new_computed = node_hash(new_computed, element)
        fn >>= 1
        sn >>= 1
    details.update(
        expected_old_root=old_root.hex(),
        computed_old_root=old_computed.hex(),
        expected_new_root=new_root.hex(),
        computed_new_root=new_computed.hex(),
    )
    # Step 7: both roots must match and the walk must have reached the top.
    if sn != 0:
        raise ProofError(
            f"consistency proof from {old_size} to {new_size} is too short", details=details
        )
    if old_computed != old_root:
        raise ProofError(
            f"consistency proof from {old_size} to {new_size} does not match the old root",
            details=details,
        )
    if new_computed != new_root:
        raise ProofError(
            f"consistency proof from {old_size} to {new_size} does not match the new root",
            details=details,
        )

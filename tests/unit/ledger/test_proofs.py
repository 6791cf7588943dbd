"""Tests for tetherai.ledger.proofs: RFC 9162 §2.1.3/§2.1.4 proofs, against vectors, a
brute-force RFC 6962 reference and an independent verifier (tests/common)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.common import independent_proofs as reference
from tests.unit.ledger.memory_tree import MemoryTree
from tests.unit.ledger.vectors import LEAVES, RFC6962, ROOTS
from tetherai.ledger.errors import ProofError
from tetherai.ledger.merkle import EMPTY_ROOT, NodeReader, leaf_hash, read_at_once, root_at
from tetherai.ledger.proofs import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

# Distinct leaves: with repeated leaves a proof for one index can honestly verify for another.
# The size is drawn first so that large trees are as likely as small ones.
unique_leaf_lists = st.integers(min_value=1, max_value=200).flatmap(
    lambda size: st.lists(st.binary(max_size=10), min_size=size, max_size=size, unique=True)
)


def _inclusion_accepted(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except ProofError:
        return False
    return True


def _consistency_accepted(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    try:
        verify_consistency(old_size, new_size, old_root, new_root, proof)
    except ProofError:
        return False
    return True


def _flip(proof: list[bytes], position: int, mask: int = 0x08) -> list[bytes]:
    changed = list(proof)
    changed[position] = bytes([changed[position][0] ^ mask]) + changed[position][1:]
    return changed


def _structural_mutations(proof: list[bytes], extra: bytes) -> list[tuple[str, list[bytes]]]:
    """Mutations of a proof's elements that must always be rejected."""
    mutations = [
        ("trailing element", [*proof, extra]),
        ("trailing empty", [*proof, b""]),
        ("preceding element", [extra, *proof]),
        ("preceding empty", [b"", *proof]),
    ]
    mutations += [(f"flipped bit in [{i}]", _flip(proof, i)) for i in range(len(proof))]
    if proof:
        mutations.append(("removed last", proof[:-1]))
        mutations.append(("removed first", proof[1:]))
    if len(proof) > 1:
        mutations.append(("inserted", [proof[0], SOME_HASH, *proof[1:]]))
    return mutations


# --- vectors (transparency-dev/merkle, certificate-transparency) ---------------------------


@pytest.mark.parametrize(
    "vector", RFC6962["inclusion"], ids=lambda v: f"{v['index']}-of-{v['size']}"
)
def test_inclusion_vectors(vector: dict[str, object]) -> None:
    index, size = int(str(vector["index"])), int(str(vector["size"]))
    expected = [bytes.fromhex(str(element)) for element in vector["proof"]]  # type: ignore[attr-defined]
    tree = MemoryTree(LEAVES)
    assert inclusion_proof(index, size, tree.reader(size)) == expected
    leaf = leaf_hash(LEAVES[index])
    verify_inclusion(leaf, index, size, expected, ROOTS[size])
    assert reference.verify_inclusion(leaf, index, size, expected, ROOTS[size])


@pytest.mark.parametrize(
    "vector", RFC6962["consistency"], ids=lambda v: f"{v['old_size']}-to-{v['new_size']}"
)
def test_consistency_vectors(vector: dict[str, object]) -> None:
    old_size, new_size = int(str(vector["old_size"])), int(str(vector["new_size"]))
    expected = [bytes.fromhex(str(element)) for element in vector["proof"]]  # type: ignore[attr-defined]
    tree = MemoryTree(LEAVES)
    assert consistency_proof(old_size, new_size, tree.reader(new_size)) == expected
    verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], expected)
    assert reference.verify_consistency(
        old_size, new_size, ROOTS[old_size], ROOTS[new_size], expected
    )


def test_inclusion_vector_probes_are_all_rejected() -> None:
    # The corruption probes of transparency-dev/merkle proof/verify_test.go.
    for vector in RFC6962["inclusion"]:
        index, size = vector["index"], vector["size"]
        proof = [bytes.fromhex(element) for element in vector["proof"]]
        root, leaf = ROOTS[size], leaf_hash(LEAVES[index])
        probes: list[tuple[str, bytes, int, int, list[bytes], bytes]] = [
            ("index - 1", leaf, index - 1, size, proof, root),
            ("index + 1", leaf, index + 1, size, proof, root),
            ("index ^ 2", leaf, index ^ 2, size, proof, root),
            ("size * 2", leaf, index, size * 2, proof, root),
            ("size // 2", leaf, index, size // 2, proof, root),
            ("wrong leaf", leaf_hash(b"WrongLeaf"), index, size, proof, root),
            ("empty root", leaf, index, size, proof, EMPTY_ROOT),
            ("random root", leaf, index, size, proof, SOME_HASH),
        ]
        probes += [
            (name, leaf, index, size, mutated, root)
            for name, mutated in _structural_mutations(proof, root)
        ]
        for name, probe_leaf, probe_index, probe_size, probe_proof, probe_root in probes:
            assert not _inclusion_accepted(
                probe_leaf, probe_index, probe_size, probe_proof, probe_root
            ), (index, size, name)
            assert not reference.verify_inclusion(
                probe_leaf, probe_index, probe_size, probe_proof, probe_root
            ), (index, size, name)


def test_consistency_vector_probes_are_all_rejected() -> None:
    for vector in RFC6962["consistency"]:
        old_size, new_size = vector["old_size"], vector["new_size"]
        proof = [bytes.fromhex(element) for element in vector["proof"]]
        if not proof:
            continue
        old_root, new_root = ROOTS[old_size], ROOTS[new_size]
        probes: list[tuple[str, int, int, bytes, bytes, list[bytes]]] = [
            ("old - 1", old_size - 1, new_size, old_root, new_root, proof),
            ("old + 1", old_size + 1, new_size, old_root, new_root, proof),
            ("old ^ 2", old_size ^ 2, new_size, old_root, new_root, proof),
            ("new * 2", old_size, new_size * 2, old_root, new_root, proof),
            ("new // 2", old_size, new_size // 2, old_root, new_root, proof),
            ("wrong old root", old_size, new_size, SOME_HASH, new_root, proof),
            ("wrong new root", old_size, new_size, old_root, SOME_HASH, proof),
            ("swapped roots", old_size, new_size, new_root, old_root, proof),
            ("empty proof", old_size, new_size, old_root, new_root, []),
            ("preceding proof[0]", old_size, new_size, old_root, new_root, [proof[0], *proof]),
            ("trailing new root", old_size, new_size, old_root, new_root, [*proof, new_root]),
        ]
        probes += [
            (name, old_size, new_size, old_root, new_root, mutated)
            for name, mutated in _structural_mutations(proof, old_root)
        ]
        for name, p_old, p_new, p_old_root, p_new_root, p_proof in probes:
            assert not _consistency_accepted(p_old, p_new, p_old_root, p_new_root, p_proof), (
                old_size,
                new_size,
                name,
            )
            assert not reference.verify_consistency(
                p_old, p_new, p_old_root, p_new_root, p_proof
            ), (old_size, new_size, name)


# --- exhaustive agreement with the RFC 6962 recursion on small trees -----------------------


def test_every_inclusion_and_consistency_proof_of_small_trees_matches_rfc_6962() -> None:
    leaves = [index.to_bytes(2, "big") for index in range(40)]
    tree = MemoryTree(leaves)
    roots = [reference.mth(leaves[:size]) for size in range(len(leaves) + 1)]
    for size in range(1, len(leaves) + 1):
        prefix = leaves[:size]
        for index in range(size):
            proof = inclusion_proof(index, size, tree.reader(size))
            assert proof == reference.path(index, prefix), (index, size)
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, roots[size])
    for new_size in range(len(leaves) + 1):
        for old_size in range(new_size + 1):
            proof = consistency_proof(old_size, new_size, tree.reader(new_size))
            if 0 < old_size < new_size:
                assert proof == reference.proof(old_size, leaves[:new_size])
            else:
                assert proof == []
            verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof)
            assert reference.verify_consistency(
                old_size, new_size, roots[old_size], roots[new_size], proof
            )


def test_proofs_take_logarithmic_reads() -> None:
    size = 1000
    tree = MemoryTree(index.to_bytes(2, "big") for index in range(size))
    bound = 2 * size.bit_length()
    for index in (0, 1, 511, 512, 767, 998, 999):
        before = tree.reads
        inclusion_proof(index, size, tree.reader())
        assert tree.reads - before <= bound, index
    for old_size in (1, 2, 511, 512, 513, 700, 999):
        before = tree.reads
        consistency_proof(old_size, size, tree.reader())
        assert tree.reads - before <= bound, old_size


# --- properties ---------------------------------------------------------------------------


@PROPERTY
@given(unique_leaf_lists, st.data())
def test_inclusion_proofs_match_reference_and_reject_mutations(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = data.draw(st.integers(min_value=1, max_value=len(leaves)), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    tree = MemoryTree(leaves)
    root = reference.mth(leaves[:size])
    leaf = leaf_hash(leaves[index])

    proof = inclusion_proof(index, size, tree.reader(size))
    assert proof == reference.path(index, leaves[:size])
    verify_inclusion(leaf, index, size, proof, root)
    assert reference.verify_inclusion(leaf, index, size, proof, root)

    for name, mutated in _structural_mutations(proof, root):
        assert not _inclusion_accepted(leaf, index, size, mutated, root), name
        assert not reference.verify_inclusion(leaf, index, size, mutated, root), name
    other_leaf = leaf_hash(leaves[index] + b"!")
    assert not _inclusion_accepted(other_leaf, index, size, proof, root)
    assert not reference.verify_inclusion(other_leaf, index, size, proof, root)
    # With distinct leaves, no other position in the same tree can take this proof.
    other_index = data.draw(st.integers(min_value=-1, max_value=size), label="other_index")
    if other_index != index:
        assert not _inclusion_accepted(leaf, other_index, size, proof, root)
        assert not reference.verify_inclusion(leaf, other_index, size, proof, root)
    # A different tree size may or may not share this proof's shape (see
    # test_inclusion_proof_alone_does_not_pin_the_tree_size); both verifiers must agree.
    other_size = data.draw(st.integers(min_value=0, max_value=2 * size + 1), label="other_size")
    assert _inclusion_accepted(leaf, index, other_size, proof, root) == (
        reference.verify_inclusion(leaf, index, other_size, proof, root)
    )


@PROPERTY
@given(unique_leaf_lists, st.data())
def test_consistency_proofs_match_reference_and_reject_mutations(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new_size = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="new_size")
    old_size = data.draw(st.integers(min_value=0, max_value=new_size), label="old_size")
    tree = MemoryTree(leaves)
    old_root, new_root = reference.mth(leaves[:old_size]), reference.mth(leaves[:new_size])

    proof = consistency_proof(old_size, new_size, tree.reader(new_size))
    expected = reference.proof(old_size, leaves[:new_size]) if 0 < old_size < new_size else []
    assert proof == expected
    verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert reference.verify_consistency(old_size, new_size, old_root, new_root, proof)

    for name, mutated in _structural_mutations(proof, new_root):
        assert not _consistency_accepted(old_size, new_size, old_root, new_root, mutated), name
        assert not reference.verify_consistency(old_size, new_size, old_root, new_root, mutated)
    if old_root != new_root:
        assert not _consistency_accepted(old_size, new_size, new_root, old_root, proof)
        assert not reference.verify_consistency(old_size, new_size, new_root, old_root, proof)
    other_old = data.draw(st.integers(min_value=-1, max_value=new_size + 1), label="other_old")
    other_new = data.draw(st.integers(min_value=0, max_value=2 * new_size), label="other_new")
    for claimed_old, claimed_new in ((other_old, new_size), (old_size, other_new)):
        assert _consistency_accepted(claimed_old, claimed_new, old_root, new_root, proof) == (
            reference.verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)
        )


# --- edge cases and errors ----------------------------------------------------------------


def test_inclusion_proof_alone_does_not_pin_the_tree_size() -> None:
    # RFC 9162 verification binds (index, size) only through the proof's shape: leaf 0 of a
    # 3-leaf tree has the same shape as leaf 0 of a 4-leaf tree, so the same proof and root
    # also "verify" for size 4. This is why a checkpoint signs the size with the root.
    tree = MemoryTree(LEAVES)
    proof = inclusion_proof(0, 3, tree.reader(3))
    leaf = leaf_hash(LEAVES[0])
    verify_inclusion(leaf, 0, 4, proof, ROOTS[3])
    assert reference.verify_inclusion(leaf, 0, 4, proof, ROOTS[3])


def test_single_leaf_tree() -> None:
    leaf = leaf_hash(b"data")
    tree = MemoryTree([b"data"])
    assert inclusion_proof(0, 1, tree.reader()) == []
    verify_inclusion(leaf, 0, 1, [], leaf)
    for bad_leaf, bad_root in [(leaf, b""), (b"", leaf), (b"", b""), (leaf, SOME_HASH)]:
        assert not _inclusion_accepted(bad_leaf, 0, 1, [], bad_root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (-1, 5), (5, 5), (0, -1)])
def test_inclusion_proof_refuses_leaves_outside_the_tree(index: int, size: int) -> None:
    tree = MemoryTree(LEAVES)
    with pytest.raises(ProofError) as caught:
        inclusion_proof(index, size, tree.reader())
    assert caught.value.details == {"index": index, "size": size}
    assert caught.value.code == "ledger.bad_proof"
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(b""), index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("old_size", "new_size"), [(3, 2), (-1, 4), (1, 0), (0, -1)])
def test_consistency_proof_refuses_impossible_sizes(old_size: int, new_size: int) -> None:
    tree = MemoryTree(LEAVES)
    with pytest.raises(ProofError) as caught:
        consistency_proof(old_size, new_size, tree.reader())
    assert caught.value.details == {"old_size": old_size, "new_size": new_size}
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, EMPTY_ROOT, EMPTY_ROOT, [])


def test_trivial_consistency_proofs_are_empty_and_read_nothing() -> None:
    tree = MemoryTree(LEAVES)
    assert consistency_proof(0, 8, tree.reader()) == []
    assert consistency_proof(0, 0, tree.reader()) == []
    assert consistency_proof(5, 5, tree.reader()) == []
    assert tree.reads == 0


_CONSISTENCY_EDGE_CASES: list[tuple[str, int, int, bytes, bytes, list[bytes], bool]] = [
    # Sizes that are always consistent, with the right roots and no proof.
    ("0-to-0", 0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
    ("0-to-1", 0, 1, EMPTY_ROOT, ROOTS[1], [], True),
    ("1-to-1", 1, 1, ROOTS[1], ROOTS[1], [], True),
    ("8-to-8", 8, 8, ROOTS[8], ROOTS[8], [], True),
    # Equal sizes with different roots: a fork.
    ("fork at 1", 1, 1, ROOTS[1], ROOTS[2], [], False),
    ("fork at 0", 0, 0, EMPTY_ROOT, SOME_HASH, [], False),
    # An empty tree has exactly one root (stricter than transparency-dev/merkle).
    ("bad empty root", 0, 1, SOME_HASH, ROOTS[1], [], False),
    # Trivial cases must come with an empty proof.
    ("0-to-0 with proof", 0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ("0-to-1 with proof", 0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT], False),
    ("1-to-1 with proof", 1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT], False),
    # Time travel to the past.
    ("1-to-0", 1, 0, ROOTS[1], EMPTY_ROOT, [], False),
    ("2-to-1", 2, 1, ROOTS[2], ROOTS[1], [], False),
    # A non-trivial proof is never empty.
    ("1-to-2 empty", 1, 2, ROOTS[1], ROOTS[2], [], False),
    # Roots that are not hashes.
    ("short old root", 1, 2, b"short", ROOTS[2], [LEAVES[0]], False),
    ("empty new root", 1, 1, ROOTS[1], b"", [], False),
]


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof", "accepted"),
    [pytest.param(*case[1:], id=case[0]) for case in _CONSISTENCY_EDGE_CASES],
)
def test_verify_consistency_edge_cases(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: list[bytes],
    accepted: bool,
) -> None:
    assert _consistency_accepted(old_size, new_size, old_root, new_root, proof) is accepted
    assert reference.verify_consistency(old_size, new_size, old_root, new_root, proof) is (accepted)


def test_inclusion_failure_carries_the_evidence() -> None:
    tree = MemoryTree(LEAVES)
    proof = inclusion_proof(5, 8, tree.reader())
    with pytest.raises(ProofError, match="does not match the root") as caught:
        verify_inclusion(leaf_hash(LEAVES[5]), 5, 8, proof, SOME_HASH)
    details = caught.value.details
    assert details["expected_root"] == SOME_HASH.hex()
    assert details["computed_root"] == ROOTS[8].hex()
    assert details["index"] == 5
    assert details["size"] == 8
    assert details["proof_length"] == 3


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda proof: [*proof, SOME_HASH], "too long"),
        (lambda proof: proof[:-1], "too short"),
        (lambda proof: [*proof[:1], b"\x00" * 31, *proof[2:]], "32-byte hash"),
    ],
)
def test_inclusion_failure_messages(
    mutate: Callable[[list[bytes]], list[bytes]], message: str
) -> None:
    tree = MemoryTree(LEAVES)
    proof = inclusion_proof(5, 8, tree.reader())
    with pytest.raises(ProofError, match=message):
        verify_inclusion(leaf_hash(LEAVES[5]), 5, 8, mutate(proof), ROOTS[8])


@pytest.mark.parametrize(
    ("old_root", "new_root", "mutate", "message"),
    [
        (ROOTS[6], ROOTS[8], lambda proof: [*proof, SOME_HASH], "too long"),
        (ROOTS[6], ROOTS[8], lambda proof: proof[:-1], "too short"),
        (SOME_HASH, ROOTS[8], lambda proof: proof, "does not match the old root"),
        (ROOTS[6], SOME_HASH, lambda proof: proof, "does not match the new root"),
        (ROOTS[6], ROOTS[8], lambda proof: [], "is empty"),
    ],
)
def test_consistency_failure_messages_and_evidence(
    old_root: bytes,
    new_root: bytes,
    mutate: Callable[[list[bytes]], list[bytes]],
    message: str,
) -> None:
    tree = MemoryTree(LEAVES)
    proof = consistency_proof(6, 8, tree.reader())
    with pytest.raises(ProofError, match=message) as caught:
        verify_consistency(6, 8, old_root, new_root, mutate(proof))
    assert caught.value.details["old_size"] == 6
    assert caught.value.details["new_size"] == 8
    if "does not match" in message:
        assert caught.value.details["computed_old_root"] == ROOTS[6].hex()
        assert caught.value.details["computed_new_root"] == ROOTS[8].hex()


def test_proofs_and_roots_read_at_once_match_node_by_node() -> None:
    """``read_at_once`` gives what reading node by node gives, with one fetch for all."""
    size = 1000
    tree = MemoryTree(index.to_bytes(2, "big") for index in range(size))
    fetches: list[int] = []

    def fetch(positions: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        fetches.append(len(positions))
        return {position: tree.nodes[position] for position in positions}

    def unfetched(level: int, index: int) -> bytes:
        pytest.fail(f"node {(level, index)} was not fetched")

    for index, tree_size in ((0, 1), (511, 512), (700, 1000), (999, 1000), (3, 777)):

        def plan(node: NodeReader, i: int = index, n: int = tree_size) -> tuple[list[bytes], bytes]:
            return inclusion_proof(i, n, node), root_at(n, node)

        assert read_at_once(plan, fetch, unfetched) == plan(tree.reader(tree_size))
    assert len(fetches) == 5
    old = read_at_once(lambda node: consistency_proof(300, size, node), fetch, tree.reader())
    assert old == consistency_proof(300, size, tree.reader())


def test_a_node_the_fetch_missed_is_read_from_the_reader() -> None:
    tree = MemoryTree(index.to_bytes(2, "big") for index in range(20))
    asked: list[tuple[int, int]] = []

    def reader(level: int, index: int) -> bytes:
        asked.append((level, index))
        return tree.nodes[(level, index)]

    proof = read_at_once(lambda node: inclusion_proof(5, 20, node), lambda _: {}, reader)
    assert proof == inclusion_proof(5, 20, tree.reader())
    assert asked  # every node came from the reader

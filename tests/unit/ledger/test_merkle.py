"""Tests for tetherai.ledger.merkle: RFC 6962 hashing, CompactRange, root_at, subtree_hash."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.common.independent_proofs import mth
from tests.unit.ledger.memory_tree import MemoryTree
from tests.unit.ledger.vectors import LEAVES, NODE_HASHES, ROOTS
from tetherai.ledger.errors import LedgerError
from tetherai.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    leaf_hash,
    node_hash,
    root_at,
    subtree_hash,
    tree_hash,
)

# No example database: keep the working tree free of .hypothesis/ (see the ledger report).
PROPERTY = settings(max_examples=150, deadline=None, database=None)

# The size is drawn first so that large trees are as likely as small ones.
leaf_lists = st.integers(min_value=0, max_value=200).flatmap(
    lambda size: st.lists(st.binary(max_size=12), min_size=size, max_size=size)
)


def _levels_of(size: int) -> list[int]:
    return [level for level in reversed(range(size.bit_length())) if size >> level & 1]


# --- hashing (RFC 6962 §2.1) -------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert HASH_SIZE == 32


def test_leaf_and_node_hashes_match_the_vectors() -> None:
    for index, data in enumerate(LEAVES):
        assert leaf_hash(data) == NODE_HASHES[(0, index)]
    for (level, index), digest in NODE_HASHES.items():
        if level:
            left = NODE_HASHES[(level - 1, 2 * index)]
            right = NODE_HASHES[(level - 1, 2 * index + 1)]
            assert node_hash(left, right) == digest


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    # A node must never hash like a leaf holding the same bytes (second preimage).
    assert node_hash(left, right) != leaf_hash(left + right)
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()


# --- CompactRange ---------------------------------------------------------------------------


def test_compact_range_roots_match_the_vectors_after_every_append() -> None:
    compact = CompactRange()
    assert compact.size == 0
    assert compact.root() == ROOTS[0]
    assert compact.frontier() == []
    for size, data in enumerate(LEAVES, start=1):
        compact.append(leaf_hash(data))
        assert compact.size == size
        assert compact.root() == ROOTS[size]


def test_compact_range_reports_exactly_the_perfect_nodes_of_the_vectors() -> None:
    tree = MemoryTree(LEAVES)
    assert tree.nodes == NODE_HASHES


def test_append_reports_the_leaf_then_each_completed_parent() -> None:
    tree = MemoryTree(LEAVES[:7])
    completed = tree.append(LEAVES[7])
    assert completed == [
        (0, 7, NODE_HASHES[(0, 7)]),
        (1, 3, NODE_HASHES[(1, 3)]),
        (2, 1, NODE_HASHES[(2, 1)]),
        (3, 0, NODE_HASHES[(3, 0)]),
    ]
    assert MemoryTree(LEAVES[:4]).append(LEAVES[4]) == [(0, 4, NODE_HASHES[(0, 4)])]


def test_frontier_is_the_set_bits_of_the_size_largest_first() -> None:
    compact = CompactRange()
    for data in LEAVES[:7]:
        compact.append(leaf_hash(data))
    assert compact.frontier() == [
        (2, 0, NODE_HASHES[(2, 0)]),
        (1, 2, NODE_HASHES[(1, 2)]),
        (0, 6, NODE_HASHES[(0, 6)]),
    ]


def test_append_rejects_something_that_is_not_a_leaf_hash() -> None:
    compact = CompactRange()
    with pytest.raises(LedgerError) as caught:
        compact.append(b"raw data")
    assert caught.value.details == {"length": 8}
    assert compact.size == 0


def test_repr_names_the_size() -> None:
    compact = CompactRange()
    compact.append(leaf_hash(b"x"))
    assert repr(compact) == "CompactRange(size=1)"


@PROPERTY
@given(leaf_lists)
def test_compact_range_root_equals_brute_force_after_every_append(leaves: list[bytes]) -> None:
    compact = CompactRange()
    for size, data in enumerate(leaves, start=1):
        compact.append(leaf_hash(data))
        assert compact.root() == mth(leaves[:size])
        assert [level for level, _, _ in compact.frontier()] == _levels_of(size)


@PROPERTY
@given(leaf_lists, st.data())
def test_from_reader_rebuilds_a_frontier_that_keeps_appending_identically(
    leaves: list[bytes], data: st.DataObject
) -> None:
    full = MemoryTree(leaves)
    split = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="split")
    before = full.reads
    resumed = CompactRange.from_reader(split, full.reader(split))
    # One read per perfect subtree of the frontier: O(log n).
    assert full.reads - before == bin(split).count("1")
    assert resumed.size == split
    assert resumed.root() == mth(leaves[:split])
    assert resumed.frontier() == MemoryTree(leaves[:split]).compact.frontier()
    # A peer that restarts from its store must emit the same nodes as one that never stopped.
    for position in range(split, len(leaves)):
        for level, index, digest in resumed.append(leaf_hash(leaves[position])):
            assert full.nodes[(level, index)] == digest
    assert resumed.root() == full.compact.root()


# --- root_at --------------------------------------------------------------------------------


def test_root_at_matches_the_vectors_with_one_read_per_set_bit() -> None:
    tree = MemoryTree(LEAVES)
    for size, expected in enumerate(ROOTS):
        before = tree.reads
        assert root_at(size, tree.reader(size)) == expected
        assert tree.reads - before == bin(size).count("1")


@PROPERTY
@given(leaf_lists, st.data())
def test_root_at_equals_brute_force(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree(leaves)
    size = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="size")
    assert root_at(size, tree.reader(size)) == mth(leaves[:size])
    assert CompactRange.from_reader(size, tree.reader(size)).root() == mth(leaves[:size])


def test_negative_sizes_are_refused() -> None:
    tree = MemoryTree(LEAVES)
    with pytest.raises(LedgerError):
        root_at(-1, tree.reader())
    with pytest.raises(LedgerError):
        CompactRange.from_reader(-3, tree.reader())


# --- subtree_hash -----------------------------------------------------------------------------


def test_subtree_hash_of_every_range_of_small_trees_equals_brute_force() -> None:
    # Exhaustive over all ranges, aligned or not, including the ones where folding the
    # aligned perfect pieces left to right would differ from MTH (e.g. [1, 4), [3, 8)).
    leaves = [bytes([index]) * (index % 5) for index in range(37)]
    tree = MemoryTree(leaves)
    for start in range(len(leaves) + 1):
        for end in range(start, len(leaves) + 1):
            assert subtree_hash(start, end, tree.reader()) == mth(leaves[start:end]), (start, end)


def test_subtree_hash_differs_from_a_left_to_right_fold_on_unaligned_ranges() -> None:
    # [1, 4) = leaves 1, 2, 3. Aligned perfect pieces: leaf 1 and node (1, 1) = leaves 2-3.
    # MTH splits at k = 2 from the range's own start: node(node(l1, l2), l3), which is not
    # node(l1, node(l2, l3)).
    tree = MemoryTree(LEAVES)
    l1, l2, l3 = (NODE_HASHES[(0, index)] for index in (1, 2, 3))
    assert subtree_hash(1, 4, tree.reader()) == node_hash(node_hash(l1, l2), l3)
    assert subtree_hash(1, 4, tree.reader()) != node_hash(l1, NODE_HASHES[(1, 1)])


def test_subtree_hash_of_tree_nodes_takes_logarithmic_reads() -> None:
    tree = MemoryTree(bytes([index % 256, index // 256]) for index in range(1000))
    # Every range a proof asks for is a node of some tree: start is a multiple of the
    # smallest power of two >= its length.
    for start, end in [(0, 1000), (512, 1000), (768, 1000), (992, 1000), (0, 999), (0, 513)]:
        before = tree.reads
        subtree_hash(start, end, tree.reader())
        assert tree.reads - before <= (end - start).bit_length(), (start, end)


@PROPERTY
@given(leaf_lists.filter(bool), st.data())
def test_subtree_hash_equals_brute_force(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree(leaves)
    start = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="start")
    end = data.draw(st.integers(min_value=start, max_value=len(leaves)), label="end")
    assert subtree_hash(start, end, tree.reader()) == mth(leaves[start:end])


def test_subtree_hash_of_an_empty_range_is_the_empty_root() -> None:
    tree = MemoryTree(LEAVES)
    assert subtree_hash(3, 3, tree.reader()) == EMPTY_ROOT
    assert tree.reads == 0


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (5, 4)])
def test_subtree_hash_refuses_invalid_ranges(start: int, end: int) -> None:
    tree = MemoryTree(LEAVES)
    with pytest.raises(LedgerError) as caught:
        subtree_hash(start, end, tree.reader())
    assert caught.value.details == {"start": start, "end": end}


@PROPERTY
@given(leaf_lists)
def test_tree_hash_of_a_whole_list_is_the_rfc_6962_mth(leaves: list[bytes]) -> None:
    """A block's txs_root and results commitment, made in one pass, are the MTH exactly."""
    assert tree_hash([leaf_hash(leaf) for leaf in leaves]) == mth(leaves)


def test_tree_hash_matches_the_published_vectors_at_every_size() -> None:
    for size, root in enumerate(ROOTS):
        assert tree_hash([leaf_hash(leaf) for leaf in LEAVES[:size]]) == root

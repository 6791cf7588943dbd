"""An in-memory node store for the Merkle tests: a dict of the nodes CompactRange reports.

Its readers count reads and fail loudly when asked for a node outside the tree they serve,
which is the NodeReader contract (tetherai.ledger.merkle.NodeReader).
"""

from __future__ import annotations

from collections.abc import Iterable

from tetherai.ledger.merkle import CompactRange, NodeReader, leaf_hash


class MemoryTree:
    """Leaves appended through a CompactRange, with every completed node kept in a dict."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.compact = CompactRange()
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.reads = 0
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        return self.compact.size

    def append(self, data: bytes) -> list[tuple[int, int, bytes]]:
        completed = self.compact.append(leaf_hash(data))
        for level, index, digest in completed:
            assert (level, index) not in self.nodes, f"node {(level, index)} reported twice"
            self.nodes[(level, index)] = digest
        return completed

    def reader(self, size: int | None = None) -> NodeReader:
        """A reader for the tree of the first ``size`` leaves (default: all of them)."""
        tree_size = self.size if size is None else size

        def read(level: int, index: int) -> bytes:
            assert level >= 0, (level, index)
            assert index >= 0, (level, index)
            assert (index + 1) << level <= tree_size, (
                f"node {(level, index)} is not inside the tree of size {tree_size}"
            )
            self.reads += 1
            return self.nodes[(level, index)]

        return read

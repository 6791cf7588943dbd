"""``model_version.list_versions`` in pages: each page is that slice of the whole list, and a
page after a given version reads only that page (bounded scans of the state)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts.errors import InvalidArgument
from tetherai.ledger.state import BlockState, CachedReads, MemoryState, StateReader
from tetherai.ledger.verified_state import VerifiedHistory


def test_pages_are_slices_of_the_whole_list(cast: Cast) -> None:
    for number in range(5):
        cast.new_version(f"p{number}")
    cast.ok("author", "model_version", "submit", project=cast.project, version="p3")
    whole = cast.query("model_version", "list_versions", project=cast.project)
    assert [v["version"]["version"] for v in whole] == [f"p{n}" for n in range(5)]
    assert whole[3]["status"]["status"] == "submitted"
    for first in range(7):
        for limit in range(4):
            page = cast.query(
                "model_version", "list_versions", project=cast.project, first=first, limit=limit
            )
            assert page == whole[first : first + limit], (first, limit)
    assert cast.query("model_version", "list_versions", project=cast.project, first=2) == whole[2:]
    with pytest.raises(InvalidArgument):
        cast.query("model_version", "list_versions", project=cast.project, first=-1)


def _names(page: Any) -> list[str]:
    return [str(item["version"]["version"]) for item in page]


def test_pages_after_a_version_read_only_that_page(cast: Cast) -> None:
    names = ["a", "b", "b-2", "b.1", "c", "d10", "d9"]
    for name in names:
        cast.new_version(name)
    whole = cast.query("model_version", "list_versions", project=cast.project)
    assert _names(whole) == sorted(names)
    for index, after in enumerate(["", *sorted(names)]):
        for limit in range(4):
            page = cast.query(
                "model_version", "list_versions", project=cast.project, after=after, limit=limit
            )
            assert page == whole[index : index + limit], (after, limit)
    # A name that is no version still pages from where it sorts.
    assert _names(
        cast.query("model_version", "list_versions", project=cast.project, after="b-1", limit=2)
    ) == ["b-2", "b.1"]
    with pytest.raises(InvalidArgument, match="not a version name"):
        cast.query("model_version", "list_versions", project=cast.project, after="../x")


def test_a_versions_own_keys_among_the_versions_are_passed_over(cast: Cast) -> None:
    """Keys under a version (``…/replaced_by``) sort between versions; a page still holds
    ``limit`` versions, whatever the reader (a bounded scan of the store, or in memory)."""
    for name in ("a", "a-1", "b", "c"):
        cast.new_version(name)
    reader = cast.net.node.peer.store.reader()
    memory = MemoryState()
    memory.apply(dict(reader.scan("")))
    prefix = f"model_version/{cast.project}/"
    memory.apply({f"{prefix}{name}/replaced_by": {"version": "x"} for name in ("a", "a-1", "b")})
    peer = cast.net.node.peer
    whole = peer.query("model_version", "list_versions", {"project": cast.project}, state=memory)
    assert _names(whole) == ["a", "a-1", "b", "c"]
    for after in ("", "a", "a-1", "b", "c"):
        for limit in range(1, 4):
            page = peer.query(
                "model_version",
                "list_versions",
                {"project": cast.project, "after": after, "limit": limit},
                state=memory,
            )
            start = 0 if not after else _names(whole).index(after) + 1
            assert page == whole[start : start + limit], (after, limit)


def test_bounded_scans_are_slices_of_the_whole_scan_in_every_reader(cast: Cast) -> None:
    for name in ("a", "b", "c"):
        cast.new_version(name)
    store = cast.net.node.peer.store
    memory = MemoryState()
    memory.apply(dict(store.reader().scan("")))
    overlay = BlockState(memory)
    overlay.apply({f"model_version/{cast.project}/b": None, f"model_version/{cast.project}/bb": 1})
    readers: list[StateReader] = [
        store.reader(),
        memory,
        CachedReads(memory),
        overlay,
        VerifiedHistory(store, verified_below=store.tx_count),
    ]
    prefix = f"model_version/{cast.project}/"
    for reader in readers:
        whole = list(reader.scan(prefix))
        assert whole, type(reader).__name__
        for after in ["", "a", prefix, *(key for key, _ in whole), prefix + "zz"]:
            rest = [row for row in whole if row[0] > after]
            assert list(reader.scan(prefix, after=after)) == rest
            for limit in range(4):
                got = list(reader.scan(prefix, after=after, limit=limit))
                assert got == rest[:limit], (type(reader).__name__, after, limit)

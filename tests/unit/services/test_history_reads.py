"""A version's audit history reads the ledger in a fixed number of queries, however many txs
changed it, and says the same as reading each tx and its block one by one."""

from __future__ import annotations

from dataclasses import replace

from tests.common.lifecycle import Cast
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope
from tetherai.services import history
from tetherai.services.history import version_history


def statements(store: SqliteLedgerStore, read: object) -> int:
    """How many SQL statements ``read()`` runs on ``store``'s connection."""
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    try:
        read()  # type: ignore[operator]
    finally:
        store._db.set_trace_callback(None)
    return len(seen)


def comment(cast: Cast, version: str, count: int) -> None:
    for number in range(count):
        cast.ok(
            "stake1", "review", "comment", project=cast.project, version=version, text=f"c{number}"
        )


def test_history_queries_do_not_grow_with_its_txs(cast: Cast) -> None:
    store = cast.net.node.peer.store
    few, many = cast.new_version(), cast.new_version()
    comment(cast, few, 1)
    comment(cast, many, 12)
    short = statements(store, lambda: version_history(store, cast.project, few))
    long = statements(store, lambda: version_history(store, cast.project, many))
    assert len(version_history(store, cast.project, many)) == 13
    assert long == short


def test_history_entries_match_each_tx_and_its_block(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    cast.walk(version, "reviewing")
    comment(cast, version, 2)
    entries = version_history(store, cast.project, version)
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert [e.status_after for e in entries if e.status_after] == [
        "draft",
        "submitted",
        "reviewing",
    ]
    for entry in entries:
        stored = store.tx_at(entry.seq)
        tx = Envelope.from_bytes(stored.envelope).tx
        assert (entry.tx_id, entry.block) == (stored.tx_id, stored.block)
        assert entry.ts == store.block_ts(stored.block)
        assert (entry.participant, entry.action) == (tx.creator.id, f"{tx.contract}.{tx.fn}")


def test_txs_at_reads_positions_in_log_order(cast: Cast) -> None:
    store = cast.net.node.peer.store
    size = store.tx_count
    wanted = [size - 1, 0, size - 1, size + 5]  # a repeat and a position past the end
    found = store.txs_at(wanted)
    assert [stored.seq for stored, _ in found] == [0, size - 1]
    for stored, ts in found:
        assert stored == store.tx_at(stored.seq)
        assert ts == store.block_ts(stored.block)


def test_remembered_facts_serve_only_the_tx_they_were_taken_from(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    comment(cast, version, 2)
    fresh = version_history(store, cast.project, version)
    assert version_history(store, cast.project, version) == fresh  # from memory
    # Facts remembered for a position under another tx's id (a ledger file replaced at the
    # same path) are not used: the entry is read again from the tx now there.
    last = fresh[-1]
    history._FACTS[(store.path, last.seq)] = replace(
        history._FACTS[(store.path, last.seq)], tx_id="0" * 64, participant="mallory"
    )
    assert version_history(store, cast.project, version) == fresh

"""The in-memory answer to "is this tx id on the ledger?": never a wrong "no"."""

from __future__ import annotations

import sqlite3
from hashlib import sha256

import pytest

from tests.common.network import Network
from tetherai.ledger.errors import StoreError, TxRejected
from tetherai.ledger.replays import SeenTxIds, StateKeys


def ids(start: int, count: int) -> list[str]:
    return [sha256(str(n).encode()).hexdigest() for n in range(start, start + count)]


def test_every_added_id_is_a_maybe_and_few_others_are() -> None:
    added = ids(0, 300_000)  # past the first filters: several of them answer
    seen = SeenTxIds(added)
    assert len(seen) == len(added)
    assert all(seen.maybe(tx_id) for tx_id in added)
    others = ids(10_000_000, 20_000)
    false_maybes = sum(seen.maybe(tx_id) for tx_id in others)
    assert false_maybes < len(others) // 100


def test_a_replay_is_refused_at_admission_and_in_a_block(network: Network) -> None:
    alice = network.participant("alice")
    envelope = network.sign(alice, "notary", "notarize", {"name": "once", "sha256": "0" * 64})
    assert network.node.orderer.submit(envelope).result(timeout=30).valid
    with pytest.raises(TxRejected) as refused:
        network.node.orderer.submit(envelope)
    assert refused.value.code == "tx.replayed"
    # A peer opened on the same ledger knows it too (the ids are loaded from the store).
    from tetherai.contracts.membership import MembershipRules
    from tetherai.contracts.registry import default_registry
    from tetherai.ledger.peer import Peer

    peer = Peer(
        store=network.node.peer.store,
        channel="main",
        registry=default_registry(),
        rules=MembershipRules(),
    )
    try:
        assert peer._known_ids([envelope.tx_id, "f" * 64]) == {envelope.tx_id}
    finally:
        peer.close()


def test_every_added_state_key_is_a_maybe_and_few_others_are() -> None:
    keys = [f"notary/run/{n}" for n in range(100_000)] + ["odd/\ud800", "", "é/ü"]
    known = StateKeys(keys)
    assert len(known) == len(keys)
    assert all(known.maybe(key) for key in keys)
    false_maybes = sum(known.maybe(f"notary/other/{n}") for n in range(20_000))
    assert false_maybes < 200


def _notary_reads(connection: sqlite3.Connection) -> list[str]:
    """The state reads of notary records the connection makes from now on."""
    statements: list[str] = []
    connection.set_trace_callback(
        lambda sql: statements.append(sql) if "FROM state WHERE key = 'notary/" in sql else None
    )
    return statements


def test_a_peer_reads_a_key_no_tx_wrote_without_a_query_and_sees_new_keys_at_once(
    network: Network,
) -> None:
    from tetherai.ledger.sqlite_store import SqliteLedgerStore

    store = network.node.peer.store
    reader = store.reader()
    queries = _notary_reads(reader._db)
    assert reader.get("notary/never-written") is None
    alice = network.participant("alice")
    envelope = network.sign(alice, "notary", "notarize", {"name": "fresh", "sha256": "1" * 64})
    assert network.node.orderer.submit(envelope).result(timeout=30).valid
    assert queries == []  # the filter's certain "no", here and in admission's existence check
    store._cache.clear()  # so the readers must ask the database for what the block wrote
    assert isinstance(reader.get("notary/fresh"), dict)
    assert len(queries) == 1
    # A second notarization of the name is refused by admission, which reads through a reader.
    again = network.sign(alice, "notary", "notarize", {"name": "fresh", "sha256": "2" * 64})
    with pytest.raises(TxRejected) as refused:
        network.node.orderer.submit(again)
    assert refused.value.code == "contract.conflict"
    # A store opened on the file later learns its keys from the state table.
    other = SqliteLedgerStore(store.path)
    try:
        other.track_state_keys()
        assert isinstance(other.get("notary/fresh"), dict)
        assert other.get("notary/never-written") is None
        with pytest.raises(StoreError):
            other.reader().track_state_keys()
    finally:
        other.close()

"""The solo orderer cuts blocks by size or by time, and acknowledges only durable txs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.common.network import make_network
from tests.common.waiting import PATIENCE
from tetherai.ordering.errors import OrdererBusy, OrdererClosed


def block_sizes(net_path: Path) -> list[int]:
    from tetherai.ledger.sqlite_store import SqliteLedgerStore

    store = SqliteLedgerStore(net_path, readonly=True)
    try:
        return [len(block.txs) for block in store.blocks()]
    finally:
        store.close()


def test_blocks_are_cut_by_size_then_by_time(tmp_path: Path) -> None:
    net = make_network(tmp_path, max_txs=3, max_wait=0.2)
    try:
        alice = net.participant("alice")
        futures = [
            net.node.orderer.submit(
                net.sign(alice, "notary", "notarize", {"name": f"d{i}", "sha256": f"{i:064x}"})
            )
            for i in range(7)
        ]
        results = [future.result(timeout=PATIENCE) for future in futures]
        assert all(result.valid for result in results)
    finally:
        net.close()
    # genesis, the enrolment (cut by time), then 3 + 3 by size and the last one by time.
    assert block_sizes(net.home.ledger_path("main")) == [1, 1, 3, 3, 1]


def test_an_acknowledged_tx_is_already_durable(tmp_path: Path) -> None:
    import sqlite3

    net = make_network(tmp_path)
    try:
        result = net.notarize(net.participant("alice"), "doc")
        # A separate connection (another process would see the same) finds it committed.
        db = sqlite3.connect(net.home.ledger_path("main"))
        row = db.execute(
            "SELECT valid, result FROM txs WHERE tx_id = ?", (result.tx_id,)
        ).fetchone()
        db.close()
        assert row[0] == 1 and json.loads(row[1])["valid"] is True
    finally:
        net.close()


def test_a_full_queue_says_busy_and_a_closed_orderer_says_closed(tmp_path: Path) -> None:
    from tests.common.network import PASSPHRASE
    from tetherai.ordering.solo import SoloOrderer
    from tetherai.services.network import load_node_key

    net = make_network(tmp_path)
    alice = net.participant("alice")
    net.node.orderer.close()
    key = load_node_key(net.home, net.home.config()["orderer"], PASSPHRASE)
    orderer = SoloOrderer(
        net.node.peer, key=key, clock=net.clock, max_txs=100, max_wait=60, max_pending=2
    )
    envelopes = [
        net.sign(alice, "notary", "notarize", {"name": f"q{i}", "sha256": f"{i:064x}"})
        for i in range(3)
    ]
    first = [orderer.submit(envelope) for envelope in envelopes[:2]]
    with pytest.raises(OrdererBusy, match="waiting to be ordered"):
        orderer.submit(envelopes[2])
    orderer.close()  # cuts what is pending before it stops
    assert all(future.result(timeout=PATIENCE).valid for future in first)
    with pytest.raises(OrdererClosed):
        orderer.submit(envelopes[2])
    net.node.peer.close()
    net.node.peer.store.close()

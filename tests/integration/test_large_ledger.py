"""A ledger of 100,000 txs verifies end to end."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from tests.common.network import make_network
from tests.common.waiting import PATIENCE
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.ledger.executor import TxResult
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.verifier import verify_ledger

TXS = 100_000


@pytest.mark.integration
@pytest.mark.slow
# Not traced for coverage: every line it runs is covered by smaller tests, and tracing would
# make this one of the suite's longest (~160 s against ~60 s on 2 cores).
@pytest.mark.no_cover
def test_hundred_thousand_tx_ledger_verifies(tmp_path: Path) -> None:
    net = make_network(tmp_path, max_txs=1000, max_wait=0.05)
    try:
        signers = [net.participant(f"client{i}") for i in range(4)]
        envelopes = [
            net.sign(
                signers[i % 4], "notary", "notarize", {"name": f"n/{i}", "sha256": f"{i:064x}"}
            )
            for i in range(TXS)
        ]
        futures: list[list[Future[TxResult]]] = [[], []]

        def client(number: int) -> None:
            futures[number].extend(net.node.orderer.submit(e) for e in envelopes[number::2])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(f.result(timeout=PATIENCE).valid for share in futures for f in share)
    finally:
        net.close()
    store = SqliteLedgerStore(net.home.ledger_path("main"), readonly=True)
    try:
        report = verify_ledger(
            store, channel="main", registry=default_registry(), rules=MembershipRules()
        )
    finally:
        store.close()
    assert report.ok, report.problem
    assert report.txs == report.tree_size == TXS + 1 + 4
    assert report.valid_txs == report.txs

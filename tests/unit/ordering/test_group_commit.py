"""Group commit: a block is cut as soon as the orderer is idle; txs that arrive while a block
commits queue and form the next block, in the order they were admitted."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from tests.common.network import Network, make_network
from tests.common.orderers import gate
from tetherai.ledger.executor import TxResult
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope


def notarize(net: Network, name: str, number: int) -> Envelope:
    return net.sign(net.admin, "notary", "notarize", {"name": name, "sha256": f"{number:064x}"})


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    made = make_network(tmp_path)
    yield made
    made.close()


def test_a_lone_tx_is_cut_at_once_and_arrivals_during_its_commit_form_the_next_block(
    net: Network,
) -> None:
    orderer = gate(net)
    first = orderer.submit(notarize(net, "first", 0))
    # No batching wait: the idle orderer cuts a block of the one tx it has.
    assert orderer.entered.wait(30)
    assert len(orderer.blocks) == 1
    later: list[Future[TxResult]] = [
        orderer.submit(notarize(net, f"later-{n}", n + 1)) for n in range(5)
    ]
    assert orderer.in_flight == 6 and not first.done()
    orderer.gate.set()
    assert first.result(timeout=30).valid
    assert all(future.result(timeout=30).valid for future in later)
    # The five that queued behind the committing block went into the next one, in order.
    assert [len(block) for block in orderer.blocks] == [1, 5]
    assert orderer.blocks[1] == [future.result().tx_id for future in later]
    assert orderer.in_flight == 0
    store = SqliteLedgerStore(net.home.ledger_path("main"), readonly=True)
    try:
        stored = list(store.blocks())
        assert [tx.tx_id for tx in stored[-1].txs] == orderer.blocks[1]
        assert [tx.tx_id for tx in stored[-2].txs] == orderer.blocks[0]
    finally:
        store.close()


def test_a_lingering_orderer_waits_for_more_txs_before_cutting(net: Network) -> None:
    orderer = gate(net, max_wait=3600)
    futures = [orderer.submit(notarize(net, f"d{n}", n)) for n in range(3)]
    assert not orderer.entered.is_set() and orderer.in_flight == 3
    orderer.gate.set()
    orderer.close()  # cuts what is pending before it stops
    assert all(future.result(timeout=30).valid for future in futures)
    assert [len(block) for block in orderer.blocks] == [3]


def test_a_cancelled_future_does_not_stop_the_orderer(net: Network) -> None:
    orderer = gate(net)
    first = orderer.submit(notarize(net, "kept", 0))
    assert orderer.entered.wait(30)
    dropped = orderer.submit(notarize(net, "dropped", 1))
    assert dropped.cancel()  # its caller gave up before its block was cut
    orderer.gate.set()
    assert first.result(timeout=30).valid
    after = orderer.submit(notarize(net, "after", 2))
    assert after.result(timeout=30).valid  # the cutter thread is alive
    assert dropped.cancelled()

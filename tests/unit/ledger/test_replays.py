"""The in-memory answer to "is this tx id on the ledger?": never a wrong "no"."""

from __future__ import annotations

from hashlib import sha256

import pytest

from tests.common.network import Network
from tetherai.ledger.replays import SeenTxIds


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
    from tetherai.ledger.errors import TxRejected

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

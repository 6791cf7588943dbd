"""What a peer checks of a block before it runs it: the orderer's commitments to its txs and to
the Merkle log, and the orderer's signature. A block the peer's own orderer cut reuses the log
hashes computed for it (``Peer.grow_log``); any other block is hashed again."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.common.network import PASSPHRASE, Network
from tetherai.ledger.block import Block
from tetherai.ledger.errors import BlockRejected
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.solo import cut_block
from tetherai.services import ledger_info
from tetherai.services.network import load_node_key, open_ledger


def _stopped(network: Network) -> Ed25519PrivateKey:
    """Stop the running orderer (the test cuts blocks itself); return the orderer's key."""
    network.node.orderer.close()
    return load_node_key(network.home, network.home.config()["orderer"], PASSPHRASE)


def _envelopes(network: Network, count: int) -> list[Envelope]:
    alice = network.participant("alice")
    return [
        network.sign(alice, "notary", "notarize", {"name": f"doc{i}", "sha256": f"{i:064x}"})
        for i in range(count)
    ]


def test_a_block_cut_here_is_committed_with_the_hashes_computed_for_it(network: Network) -> None:
    envelopes = _envelopes(network, 5)
    key = _stopped(network)
    peer = network.node.peer
    block = cut_block(peer, envelopes, key, network.clock())
    growth = peer._growth
    assert growth is not None and growth.envelopes is block.envelopes
    assert all(result.valid for result in peer.commit(block))
    assert peer.tree is growth.tree and peer._growth is None
    # The stored log is the one a full check rebuilds from the txs.
    store, channel = open_ledger(network.home)
    try:
        report = ledger_info.verify(store, channel)
    finally:
        store.close()
    assert report.ok, report.problem


def test_txs_changed_after_the_cut_are_refused(network: Network) -> None:
    first, second, third = _envelopes(network, 3)
    key = _stopped(network)
    peer = network.node.peer
    height = peer.head.height
    block = cut_block(peer, [first, second], key, network.clock())
    for txs in ((second, first), (first, third), (first,)):
        changed = dataclasses.replace(block, envelopes=txs)
        with pytest.raises(BlockRejected, match="txs_root does not match"):
            peer.commit(changed)
    assert peer.head.height == height  # nothing was stored
    assert all(result.valid for result in peer.commit(cut_block(peer, [first], key, 0)))


def test_a_block_whose_log_root_lies_is_refused(network: Network) -> None:
    envelopes = _envelopes(network, 2)
    key = _stopped(network)
    peer = network.node.peer
    block = cut_block(peer, envelopes, key, network.clock())
    header = dataclasses.replace(block.header, log_root="00" * 32)
    forged = Block(header, block.envelopes, key.sign(header.canonical_bytes()))
    with pytest.raises(BlockRejected, match="log_root does not match"):
        peer.commit(forged)


def test_a_block_signed_by_another_key_is_refused(network: Network) -> None:
    envelopes = _envelopes(network, 1)
    _stopped(network)
    peer = network.node.peer
    block = cut_block(peer, envelopes, Ed25519PrivateKey.generate(), network.clock())
    with pytest.raises(BlockRejected, match="not signed by the channel's orderer"):
        peer.commit(block)


def test_the_store_reads_many_merkle_nodes_in_one_call(network: Network) -> None:
    envelopes = _envelopes(network, 7)
    key = _stopped(network)
    peer = network.node.peer
    peer.commit(cut_block(peer, envelopes, key, network.clock()))
    store = peer.store
    stored = [(level, index) for level, index, _ in store.merkle_rows()]
    missing = [(0, 10_000), (30, 0)]
    found = store.nodes([*stored, *missing, stored[0]])
    assert found == {position: store.node(*position) for position in stored}

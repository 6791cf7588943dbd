"""The etcd orderer's pure parts: the block's wire form and the chain's key layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.common.network import make_network
from tetherai.cluster.follower import stored_block
from tetherai.ordering.errors import OrderingError
from tetherai.ordering.etcd import ChainKeys, decode_block, encode_block
from tetherai.ordering.etcd_client import EtcdClient, prefix_end


def test_a_block_survives_the_wire_and_a_stored_block_reads_back(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    try:
        net.notarize(net.admin)
        block = stored_block(net.node.peer.store, 1)
        assert block is not None
        decoded = decode_block(encode_block(block))
        assert decoded == block
        assert decoded.header.hash == net.node.peer.store.block(1).hash  # type: ignore[union-attr]
    finally:
        net.close()


@pytest.mark.parametrize(
    "data", [b"not json", b"{}", b'{"header": {}, "envelopes": [], "orderer_sig": "x"}']
)
def test_a_malformed_stored_block_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(OrderingError, match="malformed"):
        decode_block(data)


def test_keys_sort_by_block_number_and_prefixes_select_them() -> None:
    keys = ChainKeys("main")
    assert keys.block(9) < keys.block(10) < keys.block(100)
    assert keys.block(7).startswith(keys.prefix)
    assert keys.acks < keys.ack("peer0.Org1") < prefix_end(keys.acks)
    assert keys.root(3, "p") < prefix_end(keys.roots(3)) <= keys.roots(4)


def test_a_client_needs_an_endpoint() -> None:
    with pytest.raises(OrderingError, match="no etcd endpoints"):
        EtcdClient([])

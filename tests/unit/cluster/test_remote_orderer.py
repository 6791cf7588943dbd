"""A cluster peer's orderer (``cluster.api_node.RemoteOrderer``) hands the caller its future at
once: the round trip to the orderer waits in a thread of its own, never in the caller's (the
server's admission line has two threads, and must not sit out a round trip and a block)."""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from tests.common.waiting import PATIENCE
from tetherai.cluster.api_node import RemoteOrderer
from tetherai.cluster.config import NodeSpec
from tetherai.cluster.follower import PeerFollower
from tetherai.cluster.tls import NodeClients
from tetherai.crypto.signature import generate_private_key
from tetherai.ledger.transaction import (
    Creator,
    Envelope,
    Transaction,
    new_nonce,
    sign_transaction,
)
from tetherai.ordering.errors import OrdererBusy, OrderingError


def _envelope() -> Envelope:
    tx = Transaction(
        channel="main",
        contract="notary",
        fn="notarize",
        args={"name": "a", "sha256": "00" * 32},
        creator=Creator("Org1", "alice", "ab" * 32),
        nonce=new_nonce(),
        ts=1_790_000_000_000,
    )
    return sign_transaction(tx, generate_private_key())


def _remote(port: int, http: httpx.Client, divergence: object = None) -> RemoteOrderer:
    follower = SimpleNamespace(divergence=divergence, wait_for=lambda block, timeout: True)
    clients = SimpleNamespace(client=lambda org: http)
    return RemoteOrderer(
        cast(PeerFollower, follower),
        [NodeSpec("orderer0", "Org1", f"127.0.0.1:{port}")],
        cast(NodeClients, clients),
        timeout=PATIENCE,
    )


def test_the_caller_has_its_future_while_the_orderer_has_not_answered() -> None:
    with socket.socket() as orderer, httpx.Client(timeout=PATIENCE) as http:
        orderer.bind(("127.0.0.1", 0))
        orderer.listen()
        remote = _remote(orderer.getsockname()[1], http)
        future = remote.submit(_envelope())
        connection, _ = orderer.accept()  # the round trip reached the orderer, which says nothing
        assert not future.done()
        connection.close()  # the orderer goes away without an answer
        with pytest.raises(OrdererBusy, match="no orderer took the tx"):
            future.result(PATIENCE)
        remote.close()


def test_a_diverged_peer_refuses_at_once() -> None:
    with httpx.Client(timeout=PATIENCE) as http:
        remote = _remote(1, http, divergence=SimpleNamespace(block=7))
        with pytest.raises(OrderingError, match="diverged at block 7"):
            remote.submit(_envelope())
        remote.close()


def test_beyond_its_bound_a_peer_refuses_at_once_until_a_tx_is_answered() -> None:
    with socket.socket() as orderer, httpx.Client(timeout=PATIENCE) as http:
        orderer.bind(("127.0.0.1", 0))
        orderer.listen()
        follower = SimpleNamespace(divergence=None, wait_for=lambda block, timeout: True)
        remote = RemoteOrderer(
            cast(PeerFollower, follower),
            [NodeSpec("orderer0", "Org1", f"127.0.0.1:{orderer.getsockname()[1]}")],
            cast(NodeClients, SimpleNamespace(client=lambda org: http)),
            timeout=PATIENCE,
            round_trips=1,
            max_waiting=2,
        )
        first = remote.submit(_envelope())  # in its round trip
        second = remote.submit(_envelope())  # queued behind it
        with pytest.raises(OrdererBusy, match="2 txs on their way"):
            remote.submit(_envelope())
        connection, _ = orderer.accept()
        connection.close()  # the first is answered (no orderer took it): one place frees
        with pytest.raises(OrdererBusy):
            first.result(PATIENCE)
        third = remote.submit(_envelope())
        for _ in range(2):  # the second's and the third's round trips
            connection, _ = orderer.accept()
            connection.close()
        for future in (second, third):
            with pytest.raises(OrdererBusy, match="no orderer took the tx"):
                future.result(PATIENCE)
        remote.close()
